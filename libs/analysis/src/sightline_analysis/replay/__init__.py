"""Reanalysis: re-running a detector over a stretch of a stream read back from the topics."""
