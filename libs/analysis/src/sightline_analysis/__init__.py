"""Sightline analysis engine: sampled decoding, analyzer plugins and executors."""
