"""Sightline's local platform without Docker."""
