"""Entry point: `python -m sightline_detector_visual [executor --port N]`."""

from __future__ import annotations

import sys
from importlib.metadata import version

from sightline_analysis.service import DetectorSpec
from sightline_analysis.service import main as run
from sightline_detector_visual.settings import VisualDetectorSettings

ANALYZERS = ("faces_mtcnn", "people", "shots", "colours", "quality", "text")


def main() -> int:
    """Run the visual detector (or its executor mode)."""
    spec = DetectorSpec(
        name="visual",
        version=version("sightline-detector-visual"),
        analyzers=ANALYZERS,
        group_id="detector-visual",
    )
    return run(spec, VisualDetectorSettings())


if __name__ == "__main__":
    sys.exit(main())
