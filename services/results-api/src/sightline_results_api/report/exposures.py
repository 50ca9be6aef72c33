"""An exposure as measured: one continuous appearance of a brand on a stream.

Postgres merges logo sightings into exposures (`report.query`): a brand's sightings in sampled
frames of one stream belong to one exposure while the hole between the end of one sighting's
span and the next sighting is at most the gap tolerance (a detector that misses a frame or two
does not split an appearance). Each exposure comes back with raw measures averaged over its
sightings; `report.quality` turns them into scores. An exposure shorter than the minimum
duration (Nielsen's rule: at least 1 s) is not counted.
"""

from __future__ import annotations

from dataclasses import dataclass

# Float sums of spans land a hair under whole seconds; this keeps a 1.0-s exposure counted.
EPSILON = 1e-6


@dataclass(frozen=True, slots=True)
class Measured:
    """One exposure and what was seen in it, averaged over its sightings (one per frame).

    `mean_area`: share of the frame the logo's box covered. `mean_confidence`: the detector's
    confidence. `mean_centre_distance`: distance of the box centre from the frame centre (0 to
    ~0.707). `edge_share`: share of sightings whose box touches the frame's edge (cut off).
    `mean_solus`: mean of 1 / (1 + other brands in the same frame). `mean_sharpness`: the logo
    detector's sharpness of the box (0 blurred to 1 crisp), None when no sighting has one
    (detections made before it was measured). `best_*` name the detection of the largest,
    clearest frame (the evidence).
    """

    stream_id: str
    brand: str
    start: float
    end: float
    sightings: int
    mean_area: float
    mean_confidence: float
    mean_centre_distance: float
    edge_share: float
    mean_solus: float
    best_event_id: str
    best_item_index: int
    best_media_ts: float
    best_box: tuple[float, float, float, float]
    mean_sharpness: float | None = None

    @property
    def duration(self) -> float:
        """Seconds from the first sighting to the end of the last (bridged gaps included)."""
        return self.end - self.start


def counted(exposure: Measured, min_duration_s: float) -> bool:
    """Whether an exposure lasts long enough to count."""
    return exposure.duration + EPSILON >= min_duration_s
