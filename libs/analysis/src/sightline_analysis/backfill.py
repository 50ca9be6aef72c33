"""Handing live-skipped segments to the replay worker as backfill runs.

A backfill run is an ordinary reanalysis request on the `reanalysis` topic (purpose
`backfill`, this detector only, the skipped range's media times and when its first segment was
stored), so the replay worker reads the range back exactly as for a reanalysis, at its lower
CPU priority. Its detections complete the `live` run under the event ids live analysis would
have used, so a segment is never stored twice, and they say `mode: backfill`. A range is
re-requested, wider, under the same run id at every skip (see `shedding`).
"""

from __future__ import annotations

from collections.abc import Callable

import structlog

from sightline_analysis import metrics
from sightline_analysis.shedding import BackfillRange
from sightline_common.envelope import deterministic_event_id, wrap
from sightline_common.messages import (
    Envelope,
    ReanalysisAction,
    ReanalysisPurpose,
    ReanalysisRequest,
)

log = structlog.get_logger(__name__)

Publish = Callable[[str, Envelope], None]


class BackfillRequests:
    """Publishes backfill requests (delivery is confirmed by the consumer loop's producer flush,
    before it stores the offset of the skipped segment)."""

    def __init__(self, *, detector: str, publish: Publish, topic: str, producer_id: str) -> None:
        self._detector = detector
        self._publish = publish
        self._topic = topic
        self._producer_id = producer_id

    def hand_over(self, skipped: BackfillRange) -> None:
        """Request the backfill run of `skipped` (as it stands now)."""
        run_id = skipped.run_id(self._detector)
        request = ReanalysisRequest(
            run_id=run_id,
            action=ReanalysisAction.start,
            purpose=ReanalysisPurpose.backfill,
            stream_id=skipped.stream_id,
            media_from=skipped.media_from,
            media_to=skipped.media_to,
            detectors=[self._detector],
            config={},
            wall_from=skipped.wall_from,
            wall_to=None,
        )
        # The request for each extent of the range is its own event (a wider one is no duplicate).
        event_id = deterministic_event_id("reanalysis", run_id, "start", skipped.last_sequence)
        self._publish(
            self._topic,
            wrap(request, key=run_id, producer=self._producer_id, event_id=event_id),
        )
        metrics.BACKFILL_REQUESTED.labels(self._detector).inc()  # one skipped segment more
        log.info(
            "backfill.requested",
            run_id=run_id,
            stream_id=skipped.stream_id,
            sequences=[skipped.first_sequence, skipped.last_sequence],
            segments=skipped.segments,
        )
