"""A small heatmap net trained by the project on synthetic composites of the library's own
references (nothing downloaded), used to propose where the `LogoMatcher` should look.

`synth` draws training crops, `model` is the net and its heatmap -> candidate boxes, `train`
fits it on one CPU thread, `weights` stores it in object storage keyed by the library, and
`proposals.ProposalMatcher` searches a frame only where the net proposes. TensorFlow (the
`tensorflow` extra) is imported only by the modules that run the net.
"""
