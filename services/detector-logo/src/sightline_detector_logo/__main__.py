"""Entry point: `python -m sightline_detector_logo [executor --port N | replay --port N |
train-proposals [--once]]`."""

from __future__ import annotations

import sys
from importlib.metadata import version

from sightline_analysis.service import DetectorSpec
from sightline_analysis.service import main as run
from sightline_detector_logo import trainer
from sightline_detector_logo.settings import LogoDetectorSettings


def main() -> int:
    """Run the logo detector (or its executor, replay or train-proposals mode)."""
    if sys.argv[1:2] == ["train-proposals"]:
        return trainer.run(trainer.TrainerSettings(), sys.argv[2:])
    spec = DetectorSpec(
        name="logo",
        version=version("sightline-detector-logo"),
        analyzers=("logo",),
        group_id="detector-logo",
    )
    return run(spec, LogoDetectorSettings())


if __name__ == "__main__":
    sys.exit(main())
