"""Pickup gives segments per-stream sequence numbers that survive reconnects and restarts."""

from __future__ import annotations

import os
from pathlib import Path

from sightline_common.messages import AnalysisPolicy, Source, SourceKind, StreamConfig
from sightline_common.topics import TopicNames
from sightline_ingest.folders import HlsFolders
from sightline_ingest.gate import PublishGate
from sightline_ingest.keys import SourceKeys, hash_key
from sightline_ingest.media import MediaInfo
from sightline_ingest.pickup import PickupTimings, SegmentPickup
from sightline_ingest.registry import StreamRegistry
from sightline_ingest.spool import Spool
from sightline_ingest.state import StateStore

KEY = "stream-key-0001"


def ts_bytes(marker: int, packets: int = 3) -> bytes:
    return b"".join(bytes([0x47, marker % 256]) + bytes(186) for _ in range(packets))


class FakeNginx:
    """Writes segments and a playlist the way nginx-rtmp does (hls_nested)."""

    def __init__(self, hls: Path) -> None:
        self.folder = hls / KEY
        self.folder.mkdir(parents=True, exist_ok=True)
        self.listed: list[str] = []
        self.mtime = 1_700_000_000

    def segment(self, number: int, marker: int) -> None:
        path = self.folder / f"{number}.ts"
        path.write_bytes(ts_bytes(marker))
        self.mtime += 2
        os.utime(path, (self.mtime, self.mtime))
        self.listed.append(path.name)
        body = "".join(f"#EXTINF:2.000,\n{name}\n" for name in self.listed[-5:])
        (self.folder / "index.m3u8").write_text(f"#EXTM3U\n#EXT-X-TARGETDURATION:2\n{body}")

    def restart_numbering(self) -> None:
        self.listed = []


class Rig:
    def __init__(self, tmp: Path) -> None:
        self.tmp = tmp
        self.registry = StreamRegistry()
        self.registry.apply(
            StreamConfig(
                stream_id="s1",
                name="s1",
                key_hash=hash_key(KEY),
                source=Source(kind=SourceKind.rtmp),
                policy=AnalysisPolicy.model_validate({"executors": ["local"]}),
                enabled=True,
            )
        )
        self.nginx = FakeNginx(tmp / "hls")
        self.reopen()

    def reopen(self) -> None:
        """A fresh process over the same state file (what a restart sees)."""
        self.state = StateStore(self.tmp / "state.sqlite3")
        folders = HlsFolders(self.tmp / "hls")
        self.gate = PublishGate(
            registry=self.registry,
            source_keys=SourceKeys(),
            folders=folders,
            state=self.state,
            topics=TopicNames(),
            producer_id="test",
            rtmp_app="live",
        )
        self.pickup = SegmentPickup(
            state=self.state,
            folders=folders,
            spool=Spool(self.tmp / "spool"),
            prober=lambda _path: MediaInfo(1280, 720, "h264"),
            topics=TopicNames(),
            producer_id="test",
            timings=PickupTimings(stall_seconds=20, close_grace=0),
        )

    def publish(self, clientid: str) -> None:
        form = {"app": "live", "name": KEY, "clientid": clientid, "addr": "127.0.0.1"}
        assert self.gate.on_publish(form).status == 200

    def publish_done(self, clientid: str) -> None:
        self.gate.on_publish_done({"app": "live", "name": KEY, "clientid": clientid})

    def sequences(self) -> list[tuple[int, bool]]:
        pending = {r.seq: r.discontinuity for r in self.state.next_to_upload()}
        rows = self.state.published("s1")
        for record in rows:
            pending[record.seq] = record.discontinuity
        return sorted(pending.items())


def drain(rig: Rig) -> list[tuple[int, float, bool]]:
    """Mark everything published in order, returning (seq, media_start, discontinuity)."""
    out = []
    while batch := rig.state.next_to_upload():
        for record in batch:
            out.append((record.seq, record.media_start, record.discontinuity))
            rig.state.mark_published(record.stream_id, record.seq)
    return out


def test_each_listed_segment_gets_the_next_sequence_once(tmp_path: Path) -> None:
    rig = Rig(tmp_path)
    rig.publish("1")
    for n in range(3):
        rig.nginx.segment(n, marker=n)
    assert rig.pickup.scan_once() == 3
    assert rig.pickup.scan_once() == 0
    assert drain(rig) == [(0, 0.0, False), (1, 2.0, False), (2, 4.0, False)]


def test_nginx_renumbering_after_a_reconnect_never_collides(tmp_path: Path) -> None:
    rig = Rig(tmp_path)
    rig.publish("1")
    for n in range(3):
        rig.nginx.segment(n, marker=n)
    rig.pickup.scan_once()
    rig.publish_done("1")
    rig.pickup.scan_once()
    rig.nginx.restart_numbering()
    rig.publish("2")
    for n in range(2):
        rig.nginx.segment(n, marker=100 + n)  # same names 0.ts, 1.ts, new content
    assert rig.pickup.scan_once() == 2
    assert drain(rig) == [
        (0, 0.0, False),
        (1, 2.0, False),
        (2, 4.0, False),
        (3, 6.0, True),
        (4, 8.0, False),
    ]
    stream = rig.state.stream("s1")
    assert stream is not None
    assert stream.sessions == 2


def test_a_restart_neither_repeats_nor_skips_a_segment(tmp_path: Path) -> None:
    rig = Rig(tmp_path)
    rig.publish("1")
    rig.nginx.segment(0, marker=0)
    rig.nginx.segment(1, marker=1)
    rig.pickup.scan_once()
    rig.state.close()
    rig.reopen()  # like a SIGKILL: no publish_done, the session is still open in the state
    rig.nginx.segment(2, marker=2)
    assert rig.pickup.scan_once() == 1
    assert [seq for seq, _, _ in drain(rig)] == [0, 1, 2]


def test_an_unreadable_segment_is_dead_lettered_and_the_next_one_marks_the_gap(
    tmp_path: Path,
) -> None:
    rig = Rig(tmp_path)
    rig.publish("1")
    rig.nginx.segment(0, marker=0)
    rig.pickup.scan_once()
    rig.nginx.segment(1, marker=1)
    (rig.nginx.folder / "1.ts").write_bytes(ts_bytes(1)[:300])  # truncated mid-packet
    rig.nginx.segment(2, marker=2)
    rig.pickup.scan_once()
    assert drain(rig) == [(0, 0.0, False), (1, 4.0, True)]
    dead = [e for e in rig.state.outbox() if e.topic == "segments.dlq"]
    assert len(dead) == 1
    assert b"truncated" in dead[0].value


def test_a_silent_stream_is_stalled_once_and_resumed_by_its_next_segment(
    tmp_path: Path,
) -> None:
    rig = Rig(tmp_path)
    rig.publish("1")
    opened = rig.state.active_sessions()[0].opened_at
    rig.pickup.scan_once(now=opened + 5)
    rig.pickup.scan_once(now=opened + 21)
    rig.pickup.scan_once(now=opened + 30)
    rig.nginx.segment(0, marker=0)
    rig.pickup.scan_once(now=opened + 31)
    statuses = [e.value for e in rig.state.outbox() if e.topic == "streams"]
    assert [b'"status":"stalled"' in v for v in statuses].count(True) == 1
    assert [b'"status":"resumed"' in v for v in statuses].count(True) == 1


def test_segments_that_expired_unseen_are_reported_as_a_gap_in_stream_time(
    tmp_path: Path,
) -> None:
    rig = Rig(tmp_path)
    rig.publish("1")
    rig.nginx.segment(0, marker=0)
    rig.pickup.scan_once()
    for n in (1, 2, 3):
        rig.nginx.segment(n, marker=n)
    rig.nginx.listed = ["3.ts"]  # 1.ts and 2.ts left nginx's window while ingest was down
    rig.nginx.segment(4, marker=4)
    rig.pickup.scan_once()
    assert drain(rig) == [(0, 0.0, False), (1, 6.0, True), (2, 8.0, False)]
