"""Sightline ingest: where a stream enters the system (RTMP callbacks, HLS pickup, sources)."""
