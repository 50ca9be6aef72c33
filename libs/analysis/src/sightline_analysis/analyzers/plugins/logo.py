"""Logo analyzer: each stream's frames through its own `LogoPipeline` (image matcher + OCR
wordmark channel + tracker).

A segment's frames go through the pipeline together (`process_segment`), so a brand first
verified in the middle of a segment is also reported on the segment's frames before, where it
was already showing (backward tracking). The pipeline keeps per-stream state across segments
(live tracks, the last histogram for cut detection, the last segment's last frames), so a
logo followed at the end of one segment carries on into the next, and one first verified in a
segment is followed back into the previous segment's last frames too: those sightings are
`late` results (the engine adds them to the detection as `earlier_frames`). The state
is dropped in `forget` (partition revoked): the new owner starts fresh, as does a reanalysis run
(it builds its own analyzers), so a replayed range begins without tracks from before it.
Event ids do not depend on the state (segment + fingerprint), so a redelivered segment keeps
its id; what it reports may differ only by tracks carried in from the previous segment.

The OCR channel needs the `ocr` extra (rapidocr); without it the channel is off, said once in
the log and in `describe()`, so the fingerprint tells the two apart.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from typing import Final, Literal

import structlog

from sightline_analysis.analyzers.base import (
    Analyzer,
    AnalyzerConfig,
    AnalyzerContext,
    LateResult,
    collect,
    normalised_box,
)
from sightline_analysis.frames import Frame
from sightline_analysis.logo.clarity import sharpness
from sightline_analysis.logo.learned.proposals import ProposalMatcher
from sightline_analysis.logo.learned.train import MODEL_VERSION
from sightline_analysis.logo.matcher import LogoMatcher
from sightline_analysis.logo.pipeline import LogoPipeline, PipelineConfig, Sighting
from sightline_analysis.logo.text_extent import TextPlaces
from sightline_analysis.logo.wordmark import WordmarkReader
from sightline_common.messages import Point, ResultItem

KEY: Final = "logo"
log = structlog.get_logger(__name__)


class LogoConfig(AnalyzerConfig):
    """The pipeline's settings (tracker, OCR channel); the matcher carries its own tuning."""

    type: Literal["logo"] = KEY
    pipeline: PipelineConfig = PipelineConfig()


class LogoAnalyzer(Analyzer):
    """Reports each brand of the logo library seen in a frame: box, polygon, prominence, the
    channel that saw it (`attributes.source`: image, zoom, text, track or back; `late` when
    found on the previous segment's frames, see `late`), how sharp the
    logo looked (`attributes.sharpness`, `logo.clarity`; absent for a box too small) and, with
    learned proposals on, the weights that proposed where to look (`attributes.proposals`)."""

    key = KEY
    config_model = LogoConfig

    def __init__(self, config: AnalyzerConfig, context: AnalyzerContext) -> None:
        super().__init__(config, context)
        assert isinstance(config, LogoConfig)
        self._pipeline_config = config.pipeline
        self._reader: WordmarkReader | None = None
        if config.pipeline.wordmark.enabled:
            try:
                self._reader = WordmarkReader(config.pipeline.wordmark)
            except ImportError as exc:
                log.warning("logo.ocr_unavailable", reason=str(exc))
                off = config.pipeline.wordmark.model_copy(update={"enabled": False})
                self._pipeline_config = config.pipeline.model_copy(update={"wordmark": off})
        self._reader_lock = threading.Lock()
        self._places = TextPlaces(self._reader) if self._reader is not None else None
        self._pipelines: dict[str, LogoPipeline] = {}
        self._late: dict[str, list[LateResult]] = {}

    @property
    def matcher(self) -> LogoMatcher:
        """The matcher the context shares (followed logo library)."""
        if self.context.logo_matcher is None:
            raise RuntimeError("the logo analyzer needs a LogoMatcher in its context")
        return self.context.logo_matcher

    def describe(self) -> dict[str, object]:
        """The matcher's tuning and the pipeline's settings as in effect shape the output; with
        learned proposals, their settings and training recipe (the weights are a function of
        the recipe and the library, as the SIFT index is of the matcher's tuning and the
        library), so turning them on or retraining differently changes the fingerprint."""
        described: dict[str, object] = {
            **super().describe(),
            "pipeline": self._pipeline_config.model_dump(mode="json"),
            "matcher": self.matcher.config.model_dump(mode="json"),
            "sharpness": "blur-effect/1",
        }
        if isinstance(self.matcher, ProposalMatcher):
            described["proposals"] = {
                **self.matcher.proposals.model_dump(mode="json"),
                "model": MODEL_VERSION,
            }
        return described

    def pipeline(self, stream_id: str) -> LogoPipeline:
        """The stream's pipeline, made on its first frames."""
        found = self._pipelines.get(stream_id)
        if found is None:
            found = LogoPipeline(self.matcher, self._pipeline_config, self._reader,
                                 self._reader_lock, self._places)  # fmt: skip
            self._pipelines[stream_id] = found
        return found

    def analyze(self, stream_id: str, frames: Sequence[Frame]) -> list[list[ResultItem]]:
        """Logo sightings per frame, in order, through the stream's pipeline; those it found
        on the previous segment's last frames are kept for `late`."""
        out = collect(frames)
        pipeline = self.pipeline(stream_id)
        found = pipeline.process_segment(frames)
        proposals = self._proposals_used()
        for slot, frame, sightings in zip(out, frames, found, strict=True):
            slot.extend(_result(frame, sighting, proposals) for sighting in sightings)
        self._late[stream_id] = [
            LateResult(late.ago, _result(late.frame, late.sighting, proposals, late=True))
            for late in pipeline.late
        ]
        return out

    def late(self, stream_id: str) -> list[LateResult]:
        """The sightings the stream's last segment found on its previous segment's last
        frames (`attributes.late`: true)."""
        return self._late.get(stream_id, [])

    def _proposals_used(self) -> str | None:
        """With learned proposals on, what searched this segment's frames: the key of the
        net's weights, or `whole-frame` while the library has none (evidence for a sighting:
        which weights were behind it)."""
        if not isinstance(self.matcher, ProposalMatcher):
            return None
        return self.matcher.net_key or "whole-frame"

    def forget(self, stream_id: str) -> None:
        """Drop the stream's tracks and cut-detection state."""
        self._pipelines.pop(stream_id, None)
        self._late.pop(stream_id, None)


def _result(
    frame: Frame, sighting: Sighting, proposals: str | None, *, late: bool = False
) -> ResultItem:
    """`sighting` on `frame` as a result item (see `LogoAnalyzer`)."""
    box = normalised_box(sighting.box, frame.width, frame.height)
    attributes: dict[str, object] = {
        "logo_id": sighting.logo_id,
        "inliers": sighting.inliers,
        "source": sighting.source,
    }
    sharp = sharpness(frame.image, sighting.box)
    if sharp is not None:
        attributes["sharpness"] = round(sharp, 4)
    if proposals is not None:
        attributes["proposals"] = proposals
    if late:
        attributes["late"] = True
    return ResultItem(
        kind="logo",
        label=sighting.brand,
        confidence=sighting.confidence,
        box=box,
        polygon=[
            Point(x=float(x) / frame.width, y=float(y) / frame.height) for x, y in sighting.polygon
        ],
        area_share=round(box.w * box.h, 6),
        attributes=attributes,
    )
