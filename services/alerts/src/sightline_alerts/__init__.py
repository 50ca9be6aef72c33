"""Sightline alerts: rules evaluated live on the detection and segment streams."""
