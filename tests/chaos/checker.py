"""The chaos run's verdict: compares what nginx wrote with what ended in MinIO, Kafka, Postgres.

Pure: it takes `Evidence` (plain values) and returns a `Verdict`, so it is unit-tested with
hand-made evidence.

What "lost" means. The reference is every segment nginx-rtmp *wrote* (closed and listed in its
playlist), identified by content (SHA-256), not by file name: nginx renumbers its files after a
publisher reconnects, and the same name can then hold another segment. Frames an encoder had not
delivered when its connection dropped never became a segment on disk, so they are not a loss of
the pipeline; everything nginx did write must be published, stored byte-identical, materialized
and analysed by every detector. A logo detection that does not name the logo which is on
screen the whole time counts as lost too: it is a segment analysed blind (say, with an empty
logo library), which no row count would reveal. (Ingest is down only for seconds during a
kill, well inside nginx's 60 s playlist window, so no segment may expire before pickup either.)
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from .evidence import (
    BadInput,
    DeadLetterSeen,
    DetectionFact,
    Evidence,
    FaultRecord,
    PublishedSegment,
    WrittenSegment,
)

LOGO_DETECTOR = "logo"


@dataclass(frozen=True)
class Loss:
    """A segment nginx wrote that did not make it through one stage."""

    segment: WrittenSegment
    stage: str  # "not published", "not stored", "not materialized", "not analysed by <d>"
    sequence: int | None = None


@dataclass(frozen=True)
class Duplicate:
    """One fact recorded under more than one event id (or one event id more than once)."""

    where: str
    key: str
    event_ids: tuple[str, ...]


@dataclass(frozen=True)
class DlqOutcome:
    """Whether an injected bad input reached a dead-letter topic with a reason."""

    bad: BadInput
    found: tuple[DeadLetterSeen, ...]

    @property
    def dead_lettered(self) -> bool:
        """Found in a dead-letter topic with a non-empty reason."""
        return bool(self.found)

    @property
    def ok(self) -> bool:
        """Dead-lettered, or not expected to be."""
        return self.dead_lettered or not self.bad.expect_dlq


@dataclass(frozen=True)
class Recovery:
    """How long the pipeline took to get going again after one fault ended."""

    fault: FaultRecord
    next_done_s: float | None  # the first segment fully processed after the fault's end
    caught_up_s: float | None  # every segment written before the end fully processed
    pending: int  # segments written before the end and never fully processed


@dataclass
class Verdict:
    """Everything the checker found; `passed` when nothing was lost, duplicated or undead."""

    losses: list[Loss] = field(default_factory=list)
    duplicates: list[Duplicate] = field(default_factory=list)
    dlq: list[DlqOutcome] = field(default_factory=list)
    recoveries: list[Recovery] = field(default_factory=list)
    blind: list[DetectionFact] = field(default_factory=list)
    sequence_gaps: list[int] = field(default_factory=list)
    unmatched_published: list[PublishedSegment] = field(default_factory=list)
    fault_errors: list[FaultRecord] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)
    latency_p50_s: float | None = None
    latency_p95_s: float | None = None

    @property
    def passed(self) -> bool:
        """Zero segments lost, zero duplicates, every expected dead letter, every fault done."""
        return not (
            self.losses
            or self.duplicates
            or self.blind
            or self.sequence_gaps
            or self.fault_errors
            or any(not outcome.ok for outcome in self.dlq)
        )


def check(evidence: Evidence) -> Verdict:
    """Compare the evidence; see the module docstring for what counts as lost."""
    e = evidence
    published = [p for p in e.published if p.stream_id == e.stream_id]
    pairs, extra = match_segments(e.written, published)
    verdict = Verdict()
    verdict.losses = _losses(e, pairs)
    verdict.duplicates = [
        *_duplicate_segments(e, published, extra),
        # Per configuration: after a code or config change mid-run (a rolling deploy) a segment
        # may be analysed live again under the new hash, hence a new event id; the tables keep
        # one live analysis per segment and detector (results-api migration 0016), checked below.
        *_duplicate_facts("detections topic", _ours(e, e.detection_messages), per_config=True),
        *_duplicate_facts("detections table", _ours(e, e.detection_rows)),
        *_duplicate_facts("analysed_segments table", _ours(e, e.analysed_rows)),
        *_repeated_event_ids("analysed_segments table", _ours(e, e.analysed_rows)),
    ]
    blind = {
        f.event_id: f
        for f in _ours(e, e.detection_messages)
        if f.detector == LOGO_DETECTOR and f.brand_hits == 0
    }
    verdict.blind = sorted(blind.values(), key=lambda f: f.sequence)  # redeliveries once
    verdict.dlq = [_dead_lettered(bad, e.dead_letters) for bad in e.bad_inputs]
    verdict.sequence_gaps = _gaps({p.sequence for p in published})
    written_shas = {w.sha256 for w in e.written}
    verdict.unmatched_published = [p for p in published if p.sha256 not in written_shas]
    verdict.fault_errors = [f for f in e.faults if f.error]
    done = done_at(e)
    verdict.recoveries = [_recovery(f, pairs, done) for f in e.faults]
    latencies = sorted(done[seq] - w.mtime for w, seq in pairs if seq is not None and seq in done)
    verdict.latency_p50_s = _quantile(latencies, 0.5)
    verdict.latency_p95_s = _quantile(latencies, 0.95)
    verdict.counts = {
        "written by nginx": len(e.written),
        "published (distinct sequences)": len({p.sequence for p in published}),
        "stored objects": len(e.stored),
        "segments rows": len({r.sequence for r in e.segment_rows if r.stream_id == e.stream_id}),
        "detection messages": len(_ours(e, e.detection_messages)),
        "analysed_segments rows": len(_ours(e, e.analysed_rows)),
        "dead letters": len(e.dead_letters),
    }
    return verdict


def match_segments(
    written: Iterable[WrittenSegment], published: Iterable[PublishedSegment]
) -> tuple[list[tuple[WrittenSegment, int | None]], dict[str, list[int]]]:
    """Pair each written segment with the sequence it was published under, by content.

    The same bytes can honestly be written twice (a deterministic encoder restarted after a
    reconnect produces identical segments), so contents are matched as multisets, in order:
    the n-th write of some bytes pairs with the n-th sequence carrying them. Returns the pairs
    (None: never published) and, per content, the sequences left over (published more often
    than written: a duplicate).
    """
    by_sha: dict[str, list[int]] = defaultdict(list)
    for sha, seq in sorted({(p.sha256, p.sequence) for p in published}, key=lambda x: x[1]):
        by_sha[sha].append(seq)
    pairs: list[tuple[WrittenSegment, int | None]] = []
    for w in sorted(written, key=lambda w: w.mtime):
        seqs = by_sha.get(w.sha256)
        pairs.append((w, seqs.pop(0) if seqs else None))
    return pairs, {sha: seqs for sha, seqs in by_sha.items() if seqs}


def done_at(evidence: Evidence) -> dict[int, float]:
    """sequence -> when it was first seen both materialized and analysed by every detector."""
    out: dict[int, float] = {}
    for seq, seen in evidence.segment_seen_at.items():
        times = [seen]
        for detector in evidence.detectors:
            analysed = evidence.analysed_seen_at.get(detector, {}).get(seq)
            if analysed is None:
                break
            times.append(analysed)
        else:
            out[seq] = max(times)
    return out


def _losses(e: Evidence, pairs: list[tuple[WrittenSegment, int | None]]) -> list[Loss]:
    published = {p.sequence: p for p in e.published if p.stream_id == e.stream_id}
    materialized = {r.sequence for r in e.segment_rows if r.stream_id == e.stream_id}
    analysed: dict[str, set[int]] = defaultdict(set)
    for fact in _ours(e, e.analysed_rows):
        analysed[fact.detector].add(fact.sequence)
    losses: list[Loss] = []
    for w, seq in pairs:
        if seq is None:
            losses.append(Loss(w, "not published"))
            continue
        stored = e.stored.get(published[seq].object_key)
        if stored is None or stored.size != w.size or stored.etag.strip('"') != w.md5:
            losses.append(Loss(w, "not stored", seq))
        if seq not in materialized:
            losses.append(Loss(w, "not materialized", seq))
        losses += [
            Loss(w, f"not analysed by {d}", seq) for d in e.detectors if seq not in analysed[d]
        ]
    return losses


def _ours(e: Evidence, facts: Iterable[DetectionFact]) -> list[DetectionFact]:
    return [f for f in facts if f.stream_id == e.stream_id]


def _duplicate_segments(
    e: Evidence, published: list[PublishedSegment], extra: dict[str, list[int]]
) -> list[Duplicate]:
    out: list[Duplicate] = []
    by_seq: dict[int, set[str]] = defaultdict(set)
    for p in published:
        by_seq[p.sequence].add(p.event_id)
    rows: dict[int, set[str]] = defaultdict(set)
    for r in e.segment_rows:
        if r.stream_id == e.stream_id:
            rows[r.sequence].add(r.event_id)
    for where, groups in (("segments topic", by_seq), ("segments table", rows)):
        out += [
            Duplicate(where, f"{e.stream_id}/{seq}", tuple(sorted(ids)))
            for seq, ids in sorted(groups.items())
            if len(ids) > 1
        ]
    written = {w.sha256 for w in e.written}
    out += [
        Duplicate(
            "segments topic: one written file under several sequences", sha[:12], tuple(map(str, s))
        )
        for sha, s in extra.items()
        if sha in written
    ]
    return out


def _duplicate_facts(
    where: str, facts: Iterable[DetectionFact], *, per_config: bool = False
) -> list[Duplicate]:
    groups: dict[tuple[str, str, str, int, str], set[str]] = defaultdict(set)
    for f in facts:
        config = f.config_hash if per_config else ""
        groups[(f.detector, f.run_id, f.stream_id, f.sequence, config)].add(f.event_id)
    return [
        Duplicate(where, _fact_key(key), tuple(sorted(ids)))
        for key, ids in sorted(groups.items())
        if len(ids) > 1
    ]


def _fact_key(key: tuple[str, str, str, int, str]) -> str:
    detector, run_id, stream_id, sequence, config = key
    about = f"{detector}/{run_id}/{stream_id}/{sequence}"
    return f"{about} (config {config})" if config else about


def _repeated_event_ids(where: str, facts: Iterable[DetectionFact]) -> list[Duplicate]:
    counts: dict[str, int] = defaultdict(int)
    for f in facts:
        counts[f.event_id] += 1
    return [
        Duplicate(f"{where}: event id repeated", event_id, (event_id,) * n)
        for event_id, n in sorted(counts.items())
        if n > 1
    ]


def _dead_lettered(bad: BadInput, letters: Iterable[DeadLetterSeen]) -> DlqOutcome:
    found = tuple(
        dl
        for dl in letters
        if dl.dlq_topic == f"{bad.topic}.dlq" and bad.marker in dl.original and dl.reason.strip()
    )
    return DlqOutcome(bad, found)


def _gaps(sequences: set[int]) -> list[int]:
    if not sequences:
        return []
    return sorted(set(range(min(sequences), max(sequences) + 1)) - sequences)


def _recovery(
    fault: FaultRecord, pairs: list[tuple[WrittenSegment, int | None]], done: dict[int, float]
) -> Recovery:
    before = [seq for w, seq in pairs if w.mtime <= fault.ended]
    pending = sum(1 for seq in before if seq is None or seq not in done)
    caught_up = None
    if before and pending == 0:
        caught_up = max(0.0, max(done[seq] for seq in before if seq is not None) - fault.ended)
    after = [t for t in done.values() if t > fault.ended]
    next_done = min(after) - fault.ended if after else None
    return Recovery(fault, next_done, caught_up, pending)


def _quantile(values: list[float], q: float) -> float | None:
    if not values:
        return None
    return values[min(len(values) - 1, int(q * len(values)))]
