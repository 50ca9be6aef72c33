"""detector-visual: faces, shot changes, colours and picture quality in every segment."""
