"""Running a costly detector on some of a segment's sampled frames and holding its results on
the frames between (issue 15: faces and people were two thirds of detector-visual's CPU).

People and faces move little in half a second of a live picture, and their overlays must not
blink, so the detector runs on a segment's first sampled frame, then on the first frame at least
`every_s` seconds of stream time after the last one it ran on, and on any frame whose picture
differs from that one's (the shots analyzer's HSV histogram distance above `redetect_above`):
held results from another shot would be wrong. The default 0.2 is below the shots analyzer's
cut (0.45) and above what a pan does in half a second (0.05-0.09 in visual_cost_bench's clip);
the astronaut portrait taken off its background moves it by 0.3. The frames between report the
last detected frame's results again, each marked `held` in its attributes, so a reader knows they
were not detected there. Holding never crosses a segment boundary, so a Detection only carries
results found in its own segment. The time rule keeps the cost per stream-second the same
whatever the sampling rate; when overload lowers the rate below 1/`every_s`, every frame is
detected.
"""

from __future__ import annotations

from collections.abc import Sequence

from pydantic import Field

from sightline_analysis.analyzers.base import AnalyzerConfig
from sightline_analysis.analyzers.plugins.shots import Histogram, distance, frame_histogram
from sightline_analysis.frames import Frame
from sightline_common.messages import ResultItem

_EPSILON = 1e-6


class HeldConfig(AnalyzerConfig):
    """How often (stream seconds) the detector runs; 0 runs it on every sampled frame. A held
    frame whose picture differs from the detected one by more than `redetect_above` is detected
    anew (1 or more: never)."""

    every_s: float = Field(1.0, ge=0.0)
    redetect_above: float = Field(0.2, gt=0.0)


def detection_plan(frames: Sequence[Frame], config: HeldConfig) -> list[int]:
    """For each of `frames`, the index of the frame whose detections it reports: its own index
    where the detector must run, an earlier one where that frame's results are held."""
    plan: list[int] = []
    anchor = 0
    anchor_picture: Histogram | None = None
    for index, frame in enumerate(frames):
        due = index == 0 or frame.offset - frames[anchor].offset >= config.every_s - _EPSILON
        if not due:
            anchor_picture = (
                anchor_picture if anchor_picture is not None else frame_histogram(frames[anchor])
            )
            due = distance(anchor_picture, frame_histogram(frame)) > config.redetect_above
        if due:
            anchor, anchor_picture = index, None
        plan.append(anchor)
    return plan


def held(found: list[ResultItem]) -> list[ResultItem]:
    """`found` marked as reported again on a frame the detector did not run on."""
    return [
        item.model_copy(update={"attributes": {**item.attributes, "held": True}}) for item in found
    ]


def hold(plan: Sequence[int], detected: dict[int, list[ResultItem]]) -> list[list[ResultItem]]:
    """Per frame of `plan`: its own detections, or its anchor's marked `held`."""
    return [
        detected[anchor] if anchor == index else held(detected[anchor])
        for index, anchor in enumerate(plan)
    ]
