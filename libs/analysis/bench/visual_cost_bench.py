"""CPU cost of detector-visual per second of live video: decode, each analyzer, the whole detector.

`make bench` runs this file (`BENCH_ONLY=visual_cost make bench` runs it alone). It generates a
720p30 H.264 clip with 2-s GOPs cut into 2-s segments as ingest stores them (a panning textured
scene, a face and a person in it, a caption in the lower third, a cut between shots; nothing
downloaded), then measures in CPU seconds (`time.process_time`: every thread of this process,
not wall time, since the machine is shared) per second of video at 2 sampled frames/s:

- the decode-only ceiling: sampled decode of every segment, nothing else;
- each visual analyzer alone on the decoded frames (stream state carried across segments);
- the whole detector-visual: an `AnalysisEngine` with detector-visual's analyzer set on the
  local executor, segment bytes in, Detection out; with `SIGHTLINE_ANALYZER_SETTINGS` set, also
  with those settings (e.g. `{"faces_mtcnn": {"every_s": 2}, "people": {"every_s": 4}}`: what
  slower live rates would save). Measured at f1b987f (nproc 2, load 5.4-6.6, one bench run):
  detector-visual 0.236 with the defaults, 0.185 with faces every 2 s and people every 4 s
  (segments are 2 s and holding never crosses one, so people then runs once per segment).

Budget (issue 15): <= 0.33 CPU-s per stream-second for the whole system, both detectors,
ingest, sink and notifier together.

Measured on this 2-core machine (CPU-s per stream-second; load average 2-28, other agents'
work beside it): at a41bbf2 decode 0.052, faces_mtcnn 0.055, people 0.062, text 0.057, colours
0.006, quality 0.003, shots 0.002, detector-visual 0.227; with faces detected once per second
and people once per 2 s (held between, `analyzers/cadence.py`) and OCR reusing a read while
its text areas are unchanged (0f3c340): faces_mtcnn 0.027, people 0.032, text 0.037 (one
fresh read of 4 segments: each run is a new stream; a reused read costs only the detection
pass), detector-visual 0.147, of which decode 0.056.

That 0.147 (and faces_mtcnn's 0.027) did not reproduce, and it was no regression that later
runs gave 0.236 (e416a4d) and 0.203 (8a393c6, load 0.7-6.9): the analyzers' code of 10b29d6
run beside HEAD's on the same cached segments, alternately in separate processes (session 11,
load 4-13), gave 0.255 / 0.235 against 0.246 / 0.231 for the whole detector and 0.055-0.066
against 0.054-0.060 for faces_mtcnn; in between the analyzers changed only by refactors and
a still-picture OCR shortcut that never fires on this panning clip (fa2c6fe). On this shared
VM one bench run's figures move by a quarter (decode, same code, 0.056 and 0.072 in two runs
the same day), so a change is judged by an A/B in one process (alternating repeats), as
below. Idle thread pools were not the difference: decode
(thread_count 1) and text (onnxruntime, 1 thread) use only the calling thread; MTCNN's work
runs in TensorFlow's one inter-op thread (tf_Compute; pinning the process to one core did
not change its CPU); HOG people, split across OpenCV's two threads, cost 0.040-0.045 with
OpenCV's default threads, with cv2.setNumThreads(1) and pinned to one core alike (load
14-18; one earlier run at load 8-11 gave 0.057 with the default: not settled for a quiet
machine), so no process-wide thread setting is made.

Session 11 (nproc 2), each A/B in one process on the bench clip, same results both ways: the
shots histogram shared by the shots analyzer and the faces/people cadence (48 -> 16 per 4
segments, ~0.0025) and MTCNN's canvas converted by cv2.cvtColor (~0.0014) (bce04ac); the
text analyzer's onnxruntime sessions keeping their CPU memory arena, 0.0504 -> 0.0463 and
0.0464 -> 0.0442 (3ea8575), and its detector input made by cv2.dnn.blobFromImage, 0.0487 ->
0.0448 (694a780). Tried and not taken: the MTCNN P-net compiled by XLA (jit_compile) gave
-12 to -16% of faces_mtcnn with the same boxes, but XLA compiles per pyramid level and
batch size (warm-up 5.6 against 1.0 CPU-s for the bench's batches of 2; a new batch size, at
a cut or a lowered rate, compiles again inside a live segment; +19-40 s per unit test that
builds the analyzer, load ~14); the text detection pass at 512/480/416 px
instead of 640 reads 48/55/48 of the 60 10-35 px caption lines a full-size pass reads 58 of
(640: 59). One bench run at 694a780 (load 5.0-6.0): decode 0.072, faces_mtcnn 0.060, people
0.047, text 0.047, colours 0.008, quality 0.004, shots 0.002, detector-visual 0.216.

Session 16 (nproc 2). One bench run at ee448c8 (load 1.1-5.0): decode 0.058, faces_mtcnn 0.056,
people 0.044, text 0.037, colours 0.006, quality 0.003, shots 0.002, detector-visual 0.228.
Profiled: MTCNN's PNet was 0.38 of faces_mtcnn's 0.47 CPU-s per 4 segments (RNet 0.06; "face
detection only" runs no ONet); the text detection pass ~3/4 of text's time under the profiler (the
reads are reused on this clip); HOG finds no person on this clip. PNet on OpenCV's DNN module
(bffef51, the mtcnn wheel's weights copied in; same boxes and confidences), A/B in one process,
alternating: faces_mtcnn 0.0616 -> 0.0453 (6 runs each, load 5.0-5.7) and 0.0692 -> 0.0473 (8 each,
load 6.5-6.8); the whole detector 0.226 -> 0.210 (median of 3 alternating `detector_cost` medians,
each 0.19-0.26, load 7-10). One bench run after it (load 5.2-6.6) gave decode 0.080, faces_mtcnn
0.055, people 0.049, text 0.049, colours 0.008, quality 0.004, shots 0.004, detector-visual 0.240:
decode (same code) 38% above the run before, text (same code) 32%, so a single run cannot show a
change of this size. Tried and not taken (the first four A/B in one process): RNet on OpenCV too
(0.0475 against 0.0473), OpenCV's resize for mtcnn's pyramid (0.0485 against 0.0461; one confidence
off by 1e-4), cv2.setNumThreads(1) (faces_mtcnn 0.0386 / people 0.0423 against 0.0396 / 0.0422 with
2), the decoder's flags2 +fast (no change), fewer bytes probed at av.open (11.4 -> 8.8 ms per
segment, but the frame rate is then guessed as 60); HOG at 480 px with a 48x96 window on 6-px cells
(the same smallest person as 128 px at 640): -29% of HOG's CPU on synthetic frames, but it found
people the 640-px pass does not (the astronaut 700 px high, 6 of 6 backgrounds against 0) and there
is no person set to tell which is right; the text detection pass reused where the picture is the
last pass's, still or moved by the pan (phase correlation) and run again on windows around the
rest: on this clip phase correlation follows the presenter's drift (15 px per 2 s at 320 px wide)
rather than the pan (45), and with the pan's true shift 35-42% of the compared luma still differs
(the edge the pan brings in, the presenter), so the windows would cover over half the frame: no
saving here (other content not measured).

Decode, session 16 (h6; the sampled decode already skipped non-reference frames and stopped
after the last slot): the container's stream probe decodes nothing (it decoded the keyframe a
second time only to learn the reorder delay x264 declares in the SPS; open 11.4 -> 2.1 ms per
veryfast segment, 26.4 -> 4.1 ultrafast; unlike a smaller probe the frame rate is still read
as 30), 2c885c9; and decoding ends at the last sample's packet with a drain, 2c6f054 (one
P-frame fewer per veryfast segment: 125.8 -> 121.4 ms, 20 alternating runs, load 5.7-6.2).
Same frames, offsets and pixels, both ways. A/B in one process, alternating, 10 runs each, the
bench's clip (seed 7), CPU-s per stream-second, before (ad4a710's decode.py) -> after: veryfast
(B-frames, B-refs; as OBS and the logo kit encode) 0.0637 -> 0.0539 (-15 %) and 0.0585 ->
0.0522 (-11 %), ultrafast (no B-frames) 0.0739 -> 0.0652 (-12 %) and 0.0718 -> 0.0613 (-15 %),
two runs of the A/B, nproc 2, load 3.8-5.0. Not exact, so not taken:
skipping B-refs away from the samples (BIDIR row, ad4a710: same pixels on this clip, but
nothing in the stream promises that no later P-frame references a B-ref) and the loop filter
(rows above).

Session 18 (h3, nproc 2). The decoder table's "skip loop filter, non-ref frames" row had shown
0.059 against 0.071 CPU-s/s for the default with identical samples (99 dB): FFmpeg's H.264
decoder skips the loop filter at that level only on pictures with nal_ref_idc 0, and the sampled
decode never decodes those (skip_frame NONREF), so the option does nothing (the product never
set it: `skip_loop_filter` is a bench-only argument); the rows had each been measured five times
in a row, in turn, and the load drifted between them. Now the rows are measured in turns
(`_alternating_costs`; one run, load 7.4-8.4: veryfast default 0.0630, noref 0.0622). A/B in one
process, alternating, 10 runs each, on the bench clip (seed 7) and four re-encodes of it by
ffmpeg at 3 Mbit/s (x264 medium; veryfast without B-frames; veryfast with 2 B-frames and no
B-pyramid, OBS-like; veryfast tune zerolatency), load 7.7-10.3: identical frames and offsets on
all six, and CPU-s per stream-second (default / noref) veryfast 0.0635 / 0.0646, ultrafast
0.0735 / 0.0737, medium 0.0633 / 0.0633, no B-frames 0.0712 / 0.0778, OBS-like 0.0454 / 0.0453,
zerolatency 0.0828 / 0.0871: no saving on any. The BGR conversion with one swscale thread
instead of PyAV's automatic count: identical pixels, 0.0639 / 0.0718 / 0.0625 / 0.0739 / 0.0428
/ 0.0759 on the same six (within the noise: converting a sampled 720p frame costs ~0.5-0.8 ms,
decoding a segment ~130 ms), not taken.

Session 18, the analyzers (h3, nproc 2). Profiled (cProfile, the whole detector, 3 x 4 segments,
load 7.0-7.6): decode 3.15 of 9.77 s, faces_mtcnn 2.28 (PNet on OpenCV 0.92, RNet and
TensorFlow's eager ops most of the rest), text 2.05 (the 640-px detection pass 1.57), people
1.77 (all of it HOG's detectMultiScale), colours 0.38 (k-means 0.31), quality 0.12. No exact cut
was found; what the existing settings trade, A/B in one process on the bench clip, alternating,
10 runs each, load 11.0-13.0, median CPU-s per stream-second of the whole detector: defaults
0.206; faces_mtcnn min_face_px 24 0.195; people scale 1.1 0.185; both 0.182; faces every 2 s and
people every 4 s 0.187; all four 0.162 (none reaches 0.15); again at 3be0ad3 (h2's folded OCR
models in), load 11.2-14.2: 0.193, 0.183, 0.175, 0.160, 0.185, 0.151. What they cost:
min_face_px 24 (-22% of faces_mtcnn alone, 0.0373 -> 0.0292, load 7.9-9.1) on 180 frames of the
astronaut and Grace Hopper portraits scaled to face boxes 26-44 px high at 720p, 10 random
places each (seed 3), found 11/10/14/17/19/19 of 20 at 26/28/30/32/34/36 px against
17/20/20/20/20/20 with 20 (all from 38 px); on the bench clip the same faces (boxes within 6
px). HOG's scale 1.1 (and 1.08): on 90 composites (astronaut, cameraman, Grace Hopper, 360-680
px high, 6 places each) the 1.05 pass finds a person on 6, every box on the person; 1.1 and 1.08
find none of them (1 and 2 other boxes). Also tried and not taken: HOG on the grey picture
(-17%: 5 of those 6 and 6 others); the Daimler 48x96 HOG detector at 480 px (the same smallest
person, -54% per call) finds persons on 81/63/31/19/9 of the 90 at score floors 0.5/1/1.5/2/2.5,
but no floor both keeps the unit and integration tests' astronaut (scores 1.45-1.95) and keeps
false persons off the bench clip (7 at 1.5, 34 at 1.0); colours with one k-means attempt instead
of 3 (half its CPU, but the colours named differ on 19 of 36 frames).
"""

from __future__ import annotations

import functools
import json
import math
import os
import statistics
import tempfile
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import cv2
import numpy as np
from skimage import data as skdata

from sightline_analysis.analyzers import AnalyzerContext, AnalyzerRegistry, AnalyzerSet
from sightline_analysis.decode import decode_sampled
from sightline_analysis.engine import AnalysisEngine, DetectorIdentity
from sightline_analysis.executors import ExecutorRouter, build_executor
from sightline_analysis.frames import Frame, Image
from sightline_analysis.runtime import check_analyzer_settings
from sightline_analysis.settings import DetectorSettings
from sightline_analysis.synthetic import background, write_ts
from sightline_benchkit import BenchResults, progress
from sightline_common.messages import AnalysisPolicy, ExecutorKind, SegmentReady

FPS = 30
SIZE = (1280, 720)
SEGMENT_S = 2.0
SEGMENTS = 4
SAMPLE_FPS = 2.0
REPEATS = 3  # the median of repeats is reported (CPU time still wobbles on a busy machine)
# detector-visual's default analyzer set (services/detector-visual `ANALYZERS`; a library does
# not import a service, so it is repeated here).
DETECTOR_VISUAL = ("faces_mtcnn", "people", "shots", "colours", "quality", "text")
ALONE = ("faces", "faces_mtcnn", "people", "text", "colours", "quality", "shots")
NOISE = 7.0  # grey levels of per-frame noise: ~3 Mbit/s, a typical 720p30 live bitrate
BUDGET = 0.33  # CPU-s per stream-second for the whole system (issue 15)

# The figures this bench printed before the speed work of issue 15 item 1 (commit c86d138,
# this 2-core machine, load average 1-3): CPU-s per stream-second.
BEFORE: dict[str, float] = {
    "decode": 0.050,
    "faces": 0.121,
    "faces_mtcnn": 0.191,
    "people": 0.102,
    "text": 0.165,
    "colours": 0.005,
    "quality": 0.006,
    "shots": 0.001,
    "detector-visual": 0.534,
}


def scene(index: int, portrait: Image, rng: np.random.Generator) -> Image:
    """Frame `index` of the clip: a panning scene with sensor noise, a face/person drifting, a
    caption; the scene changes (a cut) halfway through."""
    shot = index * 2 // (SEGMENTS * int(SEGMENT_S) * FPS)
    base = _BACKGROUNDS[shot]
    frame = np.roll(base, 3 * index, axis=1)  # a slow pan: P-frames carry real motion
    x = 560 + index  # the presenter drifts right
    frame[120 : 120 + portrait.shape[0], x : x + portrait.shape[1]] = portrait
    cv2.rectangle(frame, (60, 600), (700, 680), (20, 20, 20), -1)
    cv2.putText(frame, "LIVE STUDIO 24", (80, 660), cv2.FONT_HERSHEY_DUPLEX, 1.6, (255,) * 3, 3)
    # Fresh noise in every frame, as a camera gives: without it the clip compresses to a
    # fraction of a live stream's bitrate and decoding looks cheaper than it is.
    noisy = frame.astype(np.float32) + rng.normal(0.0, NOISE, frame.shape).astype(np.float32)
    return np.clip(noisy, 0, 255).astype(np.uint8)


_BACKGROUNDS = [background(31, SIZE), background(32, SIZE)]


def make_segments(folder: Path, preset: str) -> list[bytes]:
    """The clip, encoded by libx264 `preset` as `SEGMENTS` MPEG-TS segments of `SEGMENT_S` s
    (a 2-s GOP each)."""
    photo = skdata.astronaut()
    portrait = np.asarray(cv2.cvtColor(photo, cv2.COLOR_RGB2BGR)[:400, 60:460], np.uint8)
    rng = np.random.default_rng(7)
    per_segment = int(SEGMENT_S * FPS)
    out = []
    for seq in progress(range(SEGMENTS), f"encoding segments ({preset})"):
        frames = [scene(seq * per_segment + i, portrait, rng) for i in range(per_segment)]
        path = write_ts(
            frames, folder / f"seg{seq}.ts", fps=FPS, gop_seconds=SEGMENT_S, preset=preset
        )
        out.append(path.read_bytes())
    return out


def cpu_of(work: Callable[[], object]) -> tuple[float, float]:
    """(CPU seconds, wall seconds) `work()` took in this process."""
    cpu, wall = time.process_time(), time.perf_counter()
    work()
    return time.process_time() - cpu, time.perf_counter() - wall


def median_cost(work: Callable[[], object], repeats: int = REPEATS) -> tuple[float, float]:
    """Median (CPU, wall) seconds of `repeats` runs of `work`."""
    return _alternating_costs({"": work}, repeats)[""]


def decode_all(segments: Sequence[bytes]) -> list[list[Frame]]:
    """Every segment's sampled frames, decoded as the engine decodes them."""
    return [decode_sampled(d, SAMPLE_FPS, SEGMENT_S, duration=SEGMENT_S) for d in segments]


# Decoder settings compared (each row adds one choice to today's default or varies it).
DECODE_VARIANTS: dict[str, dict[str, Any]] = {
    "whole segment (before)": {"duration": None},
    "stop after the last sample slot (now)": {},
    "  + skip every B-frame (B-refs too)": {"skip_frame": "BIDIR"},
    "  + skip loop filter, non-ref frames (a no-op)": {"skip_loop_filter": "noref"},
    "  + skip loop filter, all frames": {"skip_loop_filter": "all"},
    "  + 2 decoding threads": {"threads": 2},
}


def decode_variants(
    clips: dict[str, list[bytes]],
) -> dict[str, tuple[float, float, float, float]]:
    """Per encoder preset and decoder setting: CPU-s and wall s per stream-second, the worst
    PSNR (dB) of a sampled frame against the same frame in a decode of every frame, and how
    late (ms) the latest sample lands after its slot."""
    out = {}
    for preset, segments in clips.items():
        every = [
            {round(f.offset, 3): f.image for f in decode_sampled(d, 1000.0, skip_frame="DEFAULT")}
            for d in segments
        ]
        works = {
            label: functools.partial(_decode_segments, segments, {"duration": SEGMENT_S, **options})
            for label, options in DECODE_VARIANTS.items()
        }
        costs = _alternating_costs(works, rounds=5)
        for label, work in works.items():
            cpu, wall = costs[label]
            sampled = work()
            worst = min(
                _psnr(f.image, full[round(f.offset, 3)])
                for frames, full in zip(sampled, every, strict=True)
                for f in frames
            )
            late = max(
                f.offset - slot / SAMPLE_FPS for frames in sampled for slot, f in enumerate(frames)
            )
            seconds = len(segments) * SEGMENT_S
            out[f"{preset}: {label}"] = (cpu / seconds, wall / seconds, worst, late * 1000)
    return out


def _decode_segments(segments: Sequence[bytes], options: dict[str, Any]) -> list[list[Frame]]:
    return [decode_sampled(d, SAMPLE_FPS, SEGMENT_S, **options) for d in segments]


def _alternating_costs(
    works: Mapping[str, Callable[[], object]], rounds: int
) -> dict[str, tuple[float, float]]:
    """Median (CPU, wall) seconds of each of `works`, run in turns (forwards, then backwards)
    rather than each `rounds` times in a row: on a shared machine the load drifts during a
    bench, and rows measured one after the other differed by a fifth with identical work."""
    runs: dict[str, list[tuple[float, float]]] = {label: [] for label in works}
    for round_ in range(rounds):
        labels = list(works)
        for label in labels if round_ % 2 == 0 else labels[::-1]:
            runs[label].append(cpu_of(works[label]))
    return {
        label: (statistics.median(r[0] for r in rs), statistics.median(r[1] for r in rs))
        for label, rs in runs.items()
    }


def _psnr(a: Image, b: Image) -> float:
    error = float(np.mean((a.astype(np.float32) - b.astype(np.float32)) ** 2))
    return 99.0 if error == 0 else 10 * math.log10(255.0**2 / error)


def analyzer_cost(key: str, decoded: list[list[Frame]]) -> tuple[float, float]:
    """Median (CPU, wall) seconds of analyzer `key` over every segment's frames, in order.

    Each run gets fresh `Frame`s: alone, an analyzer pays for its own downscaled copies."""
    analyzer = AnalyzerRegistry.discover().build(key, AnalyzerContext())
    for frames in decoded:  # model loading and graph tracing happen once per process
        analyzer.analyze("warm-up", [Frame(f.image, f.offset) for f in frames])
    runs = []
    for run in range(REPEATS):
        fresh = [[Frame(f.image, f.offset) for f in frames] for frames in decoded]

        def work(segs: list[list[Frame]] = fresh, stream: str = f"bench-{run}") -> None:
            for frames in segs:
                analyzer.analyze(stream, frames)

        runs.append(cpu_of(work))
    return statistics.median(r[0] for r in runs), statistics.median(r[1] for r in runs)


def detector_cost(
    segments: Sequence[bytes], settings: dict[str, dict[str, Any]] | None = None
) -> tuple[float, float, int]:
    """Median (CPU, wall) seconds of detector-visual's engine over every segment (its analyzers
    given `settings`, per key), and how many results it published (a sanity check that it did
    the work)."""
    registry = AnalyzerRegistry.discover()
    settings = settings or {}
    analyzers = AnalyzerSet(
        [registry.build(k, AnalyzerContext(), settings.get(k)) for k in DETECTOR_VISUAL]
    )
    executor = build_executor({"type": "local"}, analyzers)
    router = ExecutorRouter("visual", {ExecutorKind.local: executor})
    store = _Memory({f"seg{i}.ts": data for i, data in enumerate(segments)})
    engine = AnalysisEngine(
        DetectorIdentity("visual", "bench", analyzers.fingerprint()), router, store, SEGMENT_S
    )
    policy = AnalysisPolicy.model_validate({"sample_fps": SAMPLE_FPS})
    results = 0
    runs = 0
    for seq in range(len(segments)):  # model loading and graph tracing: once per process
        engine.analyse(_segment("warm-up", seq), policy)

    def work() -> None:
        nonlocal results, runs
        runs += 1
        results = 0
        for seq in range(len(segments)):
            detection = engine.analyse(_segment(f"bench-{runs}", seq), policy)
            results += sum(len(f.results) for f in detection.frames)

    cpu, wall = median_cost(work)
    router.close()
    return cpu, wall, results


class _Memory:
    def __init__(self, objects: dict[str, bytes]) -> None:
        self.objects = objects

    def get_bytes(self, bucket: str, key: str) -> bytes:
        return self.objects[key]


def _segment(stream_id: str, seq: int) -> SegmentReady:
    from datetime import UTC, datetime  # noqa: PLC0415

    return SegmentReady(
        stream_id=stream_id,
        sequence=seq,
        bucket="bench",
        object_key=f"seg{seq}.ts",
        playlist_key=f"{stream_id}/index.m3u8",
        media_start=seq * SEGMENT_S,
        duration=SEGMENT_S,
        wall_clock=datetime.now(UTC),
        size_bytes=1,
        sha256="0" * 64,
    )


def _line(label: str, cpu: float, wall: float, key: str) -> None:
    before = BEFORE.get(key)
    was = f"   before {before:.3f}  ({before / cpu:.1f}x)" if before else ""
    print(f"  {label:<34} {cpu:7.3f} CPU-s/s   wall {wall:6.3f} s/s{was}")


def main() -> None:
    """Generate the clip, measure, print and record."""
    cores = os.cpu_count() or 1
    load = " ".join(f"{v:.2f}" for v in os.getloadavg())
    results = BenchResults(
        "visual_cost",
        "detector-visual: CPU per stream-second by stage",
        source=__file__,
        params={"size": "1280x720@30", "gop_s": SEGMENT_S, "sample_fps": SAMPLE_FPS},
    )
    video_s = SEGMENTS * SEGMENT_S
    print(
        f"nproc: {cores}  load average: {load}  "
        f"({SEGMENTS} segments of {SEGMENT_S:g} s 720p30 H.264, {SAMPLE_FPS:g} sampled frames/s)"
    )
    with tempfile.TemporaryDirectory() as tmp:
        # veryfast with B-frames and the loop filter, as OBS pushes and the e2e bench sends;
        # ultrafast (no B-frames, no loop filter) as ingest's own test/webcam/file sources.
        clips = {preset: make_segments(Path(tmp), preset) for preset in ("veryfast", "ultrafast")}
    segments = clips["veryfast"]
    kib = statistics.mean(len(s) for s in segments) / 1024
    print(f"clip: libx264 veryfast, {kib * 8 / 1024 / SEGMENT_S:.1f} Mbit/s")
    print(
        "decoder settings: CPU-s / wall s per stream-second; worst PSNR of a sample against "
        "a full decode; latest sample after its slot"
    )
    for label, (cpu, wall, psnr, late_ms) in decode_variants(clips).items():
        print(f"  {label:<56} {cpu:.4f} / {wall:.4f}   {psnr:5.1f} dB  {late_ms:4.0f} ms")
    print(f"CPU seconds per second of video (median of {REPEATS} runs, one process)")
    per_second: dict[str, float] = {}

    cpu, wall = median_cost(lambda: decode_all(segments))
    per_second["decode"] = cpu / video_s
    _line("decode only (ceiling)", cpu / video_s, wall / video_s, "decode")
    decoded = decode_all(segments)
    for key in progress(ALONE, "analyzers"):
        cpu, wall = analyzer_cost(key, decoded)
        per_second[key] = cpu / video_s
        _line(f"{key} alone", cpu / video_s, wall / video_s, key)
    cpu, wall, found = detector_cost(segments)
    per_second["detector-visual"] = cpu / video_s
    _line("detector-visual (decode + set)", cpu / video_s, wall / video_s, "detector-visual")
    print(f"  ({found} results in the last run's detections; budget for everything {BUDGET})")
    deployed = DetectorSettings().analyzer_settings
    if deployed:
        check_analyzer_settings(DETECTOR_VISUAL, DetectorSettings())
        cpu, wall, found = detector_cost(segments, deployed)
        per_second["detector-visual-configured"] = cpu / video_s
        print(f"  with SIGHTLINE_ANALYZER_SETTINGS={json.dumps(deployed)}:")
        _line("detector-visual (decode + set)", cpu / video_s, wall / video_s, "")
        print(f"  ({found} results in the last run's detections)")
    print(f"  load average after: {' '.join(f'{v:.2f}' for v in os.getloadavg())}")

    for key, value in per_second.items():
        name = key.removeprefix("detector-")
        results.figure(
            f"cpu_per_s.{name}",
            value,
            "CPU-s/s",
            label=f"{key}: CPU-s per stream-second",
            comparison="<=",
            notes=f"budget for the whole system (every service): {BUDGET} CPU-s/s",
        )
    results.breakdown(
        "visual_cpu_per_stream_second",
        {
            "detector-visual (measured whole)": {"total": per_second["detector-visual"]},
            "decode + each analyzer alone": {
                "decode": per_second["decode"],
                **{k: per_second[k] for k in DETECTOR_VISUAL},
            },
        },
        "CPU-s per stream-second",
        label="detector-visual: where the CPU goes per second of 720p30 video",
        notes=f"{SAMPLE_FPS:g} sampled frames/s; process CPU time, nproc {cores}",
    )
    results.write()


if __name__ == "__main__":
    main()
