"""The chaos checker on hand-made evidence: what counts as lost, duplicated, dead-lettered, and
how recovery is timed. (The seeded plan is tested here too: it is pure as well.)"""

from __future__ import annotations

import dataclasses
import hashlib

from .checker import check
from .evidence import (
    BadInput,
    DeadLetterSeen,
    DetectionFact,
    Evidence,
    FaultRecord,
    PublishedSegment,
    SegmentRow,
    StoredObject,
    WrittenSegment,
)
from .faults import KillService, MalformedMessages, StopServer
from .schedule import faults_for, plan

STREAM = "s-1"


def written(n: int, name: str | None = None) -> WrittenSegment:
    data = f"segment {n}".encode()
    return WrittenSegment(
        name=name or f"{n}.ts",
        size=len(data),
        mtime=100.0 + 2 * n,
        sha256=hashlib.sha256(data).hexdigest(),
        md5=hashlib.md5(data, usedforsecurity=False).hexdigest(),
    )


def healthy(count: int) -> Evidence:
    """Evidence of `count` segments that went all the way through, 3 s after being written."""
    e = Evidence(STREAM, ("logo",))
    for seq in range(count):
        w = written(seq)
        key = f"streams/{STREAM}/{seq:08d}.ts"
        e.written.append(w)
        e.published.append(PublishedSegment(f"seg-{seq}", STREAM, seq, w.sha256, key, w.size))
        e.stored[key] = StoredObject(key, w.size, f'"{w.md5}"')
        e.segment_rows.append(SegmentRow(f"seg-{seq}", STREAM, seq, w.sha256))
        fact = DetectionFact(f"det-{seq}", "logo", "live", STREAM, seq)
        e.detection_messages.append(dataclasses.replace(fact, brand_hits=2))
        e.detection_rows.append(fact)
        e.analysed_rows.append(fact)
        e.segment_seen_at[seq] = w.mtime + 2
        e.analysed_seen_at.setdefault("logo", {})[seq] = w.mtime + 3
    return e


def test_a_clean_run_passes_with_latency_and_counts() -> None:
    verdict = check(healthy(5))
    assert verdict.passed
    assert verdict.latency_p50_s == 3.0
    assert verdict.counts["written by nginx"] == 5


def test_each_stage_a_segment_can_be_lost_at_is_named() -> None:
    e = healthy(4)
    e.published = [p for p in e.published if p.sequence != 3]  # never published (nor later)
    e.stored.pop(f"streams/{STREAM}/00000001.ts")
    e.segment_rows = [r for r in e.segment_rows if r.sequence != 2]
    e.analysed_rows = [f for f in e.analysed_rows if f.sequence != 0]
    verdict = check(e)
    stages = {(loss.segment.name, loss.stage) for loss in verdict.losses}
    assert stages == {
        ("3.ts", "not published"),
        ("1.ts", "not stored"),
        ("2.ts", "not materialized"),
        ("0.ts", "not analysed by logo"),
    }
    assert not verdict.passed


def test_a_stored_object_with_other_bytes_is_not_stored() -> None:
    e = healthy(1)
    key = f"streams/{STREAM}/00000000.ts"
    e.stored[key] = StoredObject(key, e.stored[key].size, '"0000"')
    assert [loss.stage for loss in check(e).losses] == ["not stored"]


def test_segments_are_matched_by_content_not_by_the_name_nginx_reused() -> None:
    e = healthy(3)
    e.written[2] = written(2, name="0.ts")  # after a reconnect nginx counts from 0 again
    assert check(e).passed


def test_redelivered_same_event_is_fine_but_a_second_event_id_is_a_duplicate() -> None:
    e = healthy(3)
    e.detection_messages.append(DetectionFact("det-1", "logo", "live", STREAM, 1))  # redelivery
    assert check(e).passed
    e.detection_messages.append(DetectionFact("det-1-again", "logo", "live", STREAM, 1))
    e.analysed_rows.append(DetectionFact("det-2-again", "logo", "live", STREAM, 2))
    verdict = check(e)
    assert {(d.where, d.key) for d in verdict.duplicates} == {
        ("detections topic", f"logo/live/{STREAM}/1"),
        ("analysed_segments table", f"logo/live/{STREAM}/2"),
    }


def test_a_segment_analysed_again_under_a_new_config_is_stored_once_not_published_once() -> None:
    """A rolling deploy mid-run: the restarted detector's new config hash gives a segment it
    analyses again a second event id. The topic may carry both; the tables must keep one."""
    e = healthy(3)
    e.detection_messages.append(DetectionFact("det-1-new", "logo", "live", STREAM, 1, 1, "new"))
    assert check(e).passed
    e.analysed_rows.append(DetectionFact("det-1-new", "logo", "live", STREAM, 1))
    assert {(d.where, d.key) for d in check(e).duplicates} == {
        ("analysed_segments table", f"logo/live/{STREAM}/1"),
    }


def test_a_logo_detection_without_the_logo_on_screen_is_analysed_blind() -> None:
    e = healthy(3)
    e.detection_messages[1] = dataclasses.replace(e.detection_messages[1], brand_hits=0)
    e.detection_messages.append(e.detection_messages[1])  # redelivered: still one
    verdict = check(e)
    assert [f.sequence for f in verdict.blind] == [1]
    assert not verdict.passed


def test_one_file_sequenced_twice_is_a_duplicate_segment() -> None:
    e = healthy(2)
    w = e.written[1]
    e.published.append(PublishedSegment("seg-x", STREAM, 2, w.sha256, "k", w.size))
    verdict = check(e)
    assert [d.where for d in verdict.duplicates] == [
        "segments topic: one written file under several sequences"
    ]


def test_identical_bytes_written_twice_are_two_segments_to_account_for() -> None:
    e = healthy(3)  # a restarted deterministic encoder wrote segment 0's bytes again as 3.ts
    again = WrittenSegment("3.ts", e.written[0].size, 200.0, e.written[0].sha256, e.written[0].md5)
    e.written.append(again)
    assert [(loss.segment.name, loss.stage) for loss in check(e).losses] == [
        ("3.ts", "not published")
    ]
    key = f"streams/{STREAM}/00000003.ts"
    e.published.append(PublishedSegment("seg-3", STREAM, 3, again.sha256, key, again.size))
    e.stored[key] = StoredObject(key, again.size, again.md5)
    e.segment_rows.append(SegmentRow("seg-3", STREAM, 3, again.sha256))
    e.analysed_rows.append(DetectionFact("det-3", "logo", "live", STREAM, 3))
    assert check(e).passed


def test_a_sequence_number_never_published_fails_the_run() -> None:
    e = healthy(3)
    e.published = [p for p in e.published if p.sequence != 1]
    e.written.pop(1)
    verdict = check(e)
    assert verdict.sequence_gaps == [1]
    assert not verdict.passed


def test_bad_inputs_need_a_dead_letter_with_a_reason_where_one_is_expected() -> None:
    e = healthy(1)
    e.bad_inputs = [
        BadInput("garbage on segments", "segments", b"m-1"),
        BadInput("garbage on detections", "detections", b"m-2"),
        BadInput("garbage on stream-config", "stream-config", b"m-3", expect_dlq=False),
    ]
    e.dead_letters = [
        DeadLetterSeen("segments.dlq", "detector-logo", "InvalidMessageError", "bad", b"x m-1 x"),
        DeadLetterSeen("detections.dlq", "results-api", "InvalidMessageError", " ", b"m-2"),
    ]
    verdict = check(e)
    assert [o.dead_lettered for o in verdict.dlq] == [True, False, False]
    assert [o.ok for o in verdict.dlq] == [True, False, True]
    assert not verdict.passed


def test_recovery_is_timed_from_the_end_of_the_fault() -> None:
    e = healthy(10)  # segment n written at 100 + 2n, fully processed 3 s later
    for seq in (4, 5, 6):  # held up by an outage ending at 113, processed at 120
        e.analysed_seen_at["logo"][seq] = 120.0
    e.faults = [FaultRecord("stop postgres", 105.0, 113.0)]
    (recovery,) = check(e).recoveries
    assert recovery.caught_up_s == 7.0  # 4, 5 and 6 (written by 113) done at 120
    assert recovery.next_done_s == 4.0  # 7.ts, written at 114, was done at 117
    assert recovery.pending == 0


def test_recovery_with_a_segment_never_processed_reports_it_pending() -> None:
    e = healthy(3)
    e.analysed_rows = [f for f in e.analysed_rows if f.sequence != 1]
    del e.analysed_seen_at["logo"][1]
    e.faults = [FaultRecord("kill ingest", 103.0, 103.0)]
    (recovery,) = check(e).recoveries
    assert (recovery.caught_up_s, recovery.pending) == (None, 1)


def test_a_fault_that_could_not_be_injected_fails_the_run() -> None:
    e = healthy(1)
    e.faults = [FaultRecord("restart kafka", 1.0, 2.0, error="TimeoutError: not healthy")]
    assert not check(e).passed


def test_the_plan_is_reproducible_from_its_seed_and_covers_every_fault() -> None:
    faults = faults_for(["ingest", "notifier"], kill_rounds=2, outage_s=30)
    first = [(p.at_s, p.fault.name) for p in plan(42, 300, faults)]
    assert first == [(p.at_s, p.fault.name) for p in plan(42, 300, faults)]
    assert first != [(p.at_s, p.fault.name) for p in plan(43, 300, faults)]
    names = [name for _, name in first]
    assert names.count("kill ingest") == names.count("kill notifier") == 2
    assert {"restart kafka", "stop minio 30s", "stop postgres 30s"} <= set(names)
    assert [at for at, _ in first] == sorted(at for at, _ in first)
    assert all(10 <= at <= 300 for at, _ in first)
    assert sum(isinstance(p.fault, KillService) for p in plan(1, 60, faults)) == 4
    assert any(isinstance(f, StopServer) for f in faults)
    assert any(isinstance(f, MalformedMessages) for f in faults)
