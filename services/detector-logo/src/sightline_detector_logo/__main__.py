"""Entry point: `python -m sightline_detector_logo [executor --port N]`."""

from __future__ import annotations

import sys
from importlib.metadata import version

from sightline_analysis.service import DetectorSpec
from sightline_analysis.service import main as run
from sightline_detector_logo.settings import LogoDetectorSettings


def main() -> int:
    """Run the logo detector (or its executor mode)."""
    spec = DetectorSpec(
        name="logo",
        version=version("sightline-detector-logo"),
        analyzers=("logo",),
        group_id="detector-logo",
    )
    return run(spec, LogoDetectorSettings())


if __name__ == "__main__":
    sys.exit(main())
