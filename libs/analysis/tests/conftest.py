"""Shared fixtures: a short synthetic segment with a logo in it, and its reference image."""

from __future__ import annotations

from pathlib import Path

import pytest

from sightline_analysis.synthetic import Placement, background, composite, make_logo, write_ts

LOGO = make_logo("ACME", seed=1)


@pytest.fixture(scope="session")
def logo_segment(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    """2 s of 640x360 at 15 fps with the ACME logo in the middle of every frame."""
    base = background(11, size=(640, 360))
    frame, _ = composite(base, LOGO, Placement(centre=(320, 180), width=160))
    path = tmp_path_factory.mktemp("seg") / "logo.ts"
    return write_ts([frame] * 30, Path(path), fps=15).read_bytes()
