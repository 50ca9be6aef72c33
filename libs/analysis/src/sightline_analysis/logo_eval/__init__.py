"""A hard, honest logo evaluation kit, generated in the repo (nothing downloaded).

- `brands`: the brand kit — logos drawn by the kit (transparent PNG wordmarks and icons, an
  opaque JPEG, one on a white box), look-alike distractors, extra references for cost runs, and
  the reference files as a user would upload them.
- `backgrounds`: non-trivial footage behind the logos (textures, gradients, moving patterns,
  text), with sensor noise.
- `scene`: what a clip shows, planned from a seed: shots with a cut every ~3 s, logo tracks
  whose pose (width, tilt, rotation, blur, defocus) changes over the shot, occluders,
  brightness, one stressed condition per clip.
- `render`: a clip's frame as pixels and its owner map (which instance each pixel shows).
- `truth`: owner map -> per-instance visible box and visibility, and the rule that says which
  instances a detector must find.
- `scoring`: 0.5-s bins per brand: precision, recall, box IoU, time to first detection,
  appearances found, screen-time error; per clip, per brand, per condition.
- `runner`: sampled frames (raw or through H.264 as OBS sends them) fed to a matcher-like
  callable, with the CPU cost per frame; `table` prints the results.

Keep it honest: tune a matcher on `TUNE_SEED` only; the benchmark reports on `REPORT_SEED`.
"""

TUNE_SEED = 1401
"""The seed to tune a matcher on (look at its clips, failures, thresholds as you like)."""

REPORT_SEED = 1402
"""The seed the benchmark reports on; never tune on it."""
