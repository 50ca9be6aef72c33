"""Test fixtures and helpers shared by every Sightline test suite."""
