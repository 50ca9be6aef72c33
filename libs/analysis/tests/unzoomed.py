"""Settings shared by the logo pipeline tests whose stand-in nets see one scale only (kept out
of conftest.py, which every test process imports: the zoomed module costs ~0.6 CPU-s there)."""

from sightline_analysis.logo.zoomed import ZoomedConfig

UNZOOMED = ZoomedConfig(enabled=False)
"""The zoomed net off (it is on by default): a stand-in net answers one scale."""
