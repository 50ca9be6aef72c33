"""A new stream's first segment is announced in the uploader's first pass, on a ready producer.

It used to wait twice: one pass interval after the pass that only asked storage what it held
of the stream, then ~0.5 s for a producer made at that moment to get its producer id. The
first segment of every stream reached the detectors ~0.8 s later than the ones after it.
"""

from __future__ import annotations

import threading
from pathlib import Path

from sightline_common.kafka import EventProducer
from sightline_common.storage import ObjectStore
from sightline_common.topics import Topic
from sightline_ingest.spool import Spool
from sightline_ingest.uploader import SegmentUploader
from sightline_testkit.kafka import read_messages
from sightline_testkit.plugin import Isolated

from .test_sequencing import Rig


def test_a_new_streams_first_segment_is_announced_in_the_first_pass(
    isolated: Isolated, tmp_path: Path
) -> None:
    rig = Rig(tmp_path)
    rig.publish("1")
    rig.nginx.segment(0, marker=0)
    assert rig.pickup.scan_once() == 1
    made: list[EventProducer] = []

    def new_producer() -> EventProducer:
        made.append(EventProducer(isolated.bootstrap, "ingest-first-segment-test"))
        return made[-1]

    uploader = SegmentUploader(
        state=rig.state,
        spool=Spool(tmp_path / "spool"),
        store=ObjectStore.from_settings(isolated.settings()),
        new_producer=new_producer,
        bucket=isolated.env["SIGHTLINE_SEGMENTS_BUCKET"],
        topics=isolated.topics,
        producer_id="test",
        stopping=threading.Event(),
        threads=2,
    )
    assert len(made) == 2  # ready before any segment comes, one per upload thread

    assert uploader.upload_once() == 1
    announced = read_messages(isolated.bootstrap, isolated.topics.name(Topic.SEGMENTS))
    assert [(m.envelope.key, m.payload.sequence) for m in announced] == [("s1", 0)]
