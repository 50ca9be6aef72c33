"""Sightline results-api: the read side (materializer + REST API)."""
