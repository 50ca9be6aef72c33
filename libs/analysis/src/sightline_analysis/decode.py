"""Decoding only the frames an analysis samples from an MPEG-TS segment held in memory.

The decoder does as little as the samples allow (each choice measured by
`libs/analysis/bench/visual_cost_bench.py`, CPU time per second of 720p30 video):

- the stream probe that opening a container runs decodes nothing: it decoded the keyframe a
  second time only to learn the reorder delay the stream's SPS declares (open: 11.4 -> 2.1 ms
  per 720p x264 segment; the full probe still runs for a stream that reorders frames without
  declaring a delay);
- non-reference frames are skipped (nothing else is predicted from them), and only keyframes
  are decoded when the sampling interval is at least the keyframe interval;
- decoding stops once the segment's last sample slot is filled (`duration` given): the frames
  after it would only be thrown away (a quarter of a 2-s segment at 2 samples/s); and it stops
  at the packet of the last sample, read from the packets (H.264 nal_ref_idc, timestamps),
  then drains the decoder, rather than decoding the next reference frames until the decoder
  lets that sample out (x264 veryfast: one P-frame fewer per segment, 125.8 -> 121.4 ms);
- B-frames used as references are decoded: skipping every B-frame saves another quarter on
  x264 streams with B-pyramids and gives the same pixels there, but samples land up to 3
  frames after their slot, and an encoder whose P-frames reference B-frames would decode
  with errors;
- one decoding thread: threads lower wall time but add CPU (and frame threading's start-up
  delay), and a live system with many streams is bound by CPU, not by one segment's latency;
- the loop filter is kept: skipping it saves little and its error drifts through every frame
  predicted from a reference, blurring the edges logo and text matching rely on (skipping it
  on non-reference pictures only, FFmpeg's "noref", does nothing here: those are never
  decoded; same pixels and CPU on six x264 encodes, session 18);
- the samples follow the stream's grid across segments, not each segment's own
  (`sample_slots`): a segment cut at a scene-cut keyframe would otherwise add a sample
  33 ms after the previous one;
- only the sampled frames are converted to BGR, at full size (the logo matcher and OCR read
  detail); analyzers that work smaller share one reduced copy (`Frame.scaled`).
"""

from __future__ import annotations

import io
import math
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal, TypeAlias

import av
import av.error
import numpy as np

from sightline_analysis.frames import Frame
from sightline_common.errors import CorruptMediaError

if TYPE_CHECKING:
    _Packet: TypeAlias = av.Packet[av.video.stream.VideoStream]

_EPSILON = 1e-6
HANDOVER_S = 0.1
"""A slot of the stream's grid this close to a segment's end is left to the next segment, whose
first frame (a keyframe) fills it: the last frames may be non-reference B-frames, which the
sampled decode skips (x264 writes up to 3 in a row, 0.1 s at 30 fps)."""
SkipLevel = Literal["NONE", "DEFAULT", "NONREF", "BIDIR", "NONINTRA", "NONKEY", "ALL"]


def decode_sampled(
    data: bytes,
    sample_fps: float,
    keyframe_interval: float = 2.0,
    duration: float | None = None,
    *,
    skip_frame: SkipLevel | None = None,
    skip_loop_filter: str | None = None,
    threads: int = 1,
    start: float = 0.0,
) -> list[Frame]:
    """Frames of the first video stream in `data`, one per 1/`sample_fps` seconds, on the
    stream's grid: `start` is the segment's media time in its stream (see `sample_slots`;
    keyframes-only sampling ignores it: each segment then gives its first frame).

    `keyframe_interval` is the encoder's GOP length in seconds as the ingest side configures
    it; when sampling is no denser than that, only keyframes are decoded. `duration` is the
    segment's length (from its playlist entry): decoding stops after the last sample slot it
    holds; without it the whole segment is read. `skip_frame` (a PyAV discard level, e.g.
    "BIDIR"), `skip_loop_filter` (an FFmpeg one, e.g. "noref") and `threads` exist for the
    benchmark's comparison; the defaults are the cheapest that keep picture quality.
    Raises `CorruptMediaError` when the bytes hold no decodable video (empty, truncated
    header, not media); a segment truncated mid-stream yields the frames before the damage.
    """
    if not data:
        raise CorruptMediaError("segment is empty")
    interval = 1.0 / sample_fps
    container, packets = _open(data, probe_decodes=False)
    try:
        if _undeclared_reordering(container, packets):
            container.close()
            container, packets = _open(data, probe_decodes=True)
        stream = container.streams.video[0]
        context = stream.codec_context
        level = skip_frame or ("NONKEY" if interval >= keyframe_interval else "NONREF")
        _configure(context, level, skip_loop_filter, threads)
        slots = sample_slots(interval, _frame_seconds(stream), duration,
                             start if level != "NONKEY" else 0.0)  # fmt: skip
        last = _last_needed(packets, _decodes(context, packets, level), slots)
        frames, complete = _sample(context, packets, interval, slots, last)
        if last is not None and not complete:
            # The decoder did not output the frames the packets promised (damaged or unusual
            # stream): decode again as far as needed, as without the early stop.
            container.close()
            container, packets = _open(data, probe_decodes=True)
            context = container.streams.video[0].codec_context
            _configure(context, level, skip_loop_filter, threads)
            frames, _ = _sample(context, packets, interval, slots, None)
    except (av.error.FFmpegError, ValueError, OSError) as exc:
        raise CorruptMediaError(f"segment cannot be decoded: {exc}") from exc
    finally:
        container.close()
    if not frames:
        raise CorruptMediaError("segment holds no decodable video frame")
    return frames


def _configure(
    context: av.video.codeccontext.VideoCodecContext,
    level: SkipLevel,
    skip_loop_filter: str | None,
    threads: int,
) -> None:
    context.skip_frame = level
    context.thread_count = threads
    context.thread_type = "SLICE" if threads == 1 else "AUTO"
    if skip_loop_filter:
        context.options = {**context.options, "skip_loop_filter": skip_loop_filter}


def _frame_seconds(stream: av.video.stream.VideoStream) -> float:
    """One frame's duration (30 fps when the stream does not say)."""
    rate = stream.average_rate or stream.guessed_rate
    return 1.0 / float(rate) if rate else 1.0 / 30.0


@dataclass(frozen=True)
class Slots:
    """A segment's first and last sample slots, offsets from its first frame (`last` None:
    to its end). `first` is negative for a slot just before the segment's start: the
    segment's first frame fills it. A slot takes the first decoded frame from `slack` before
    it: a quarter of a frame, so that the frame shown at the slot's time fills it whatever the
    rounding of the timestamps (RTMP carries milliseconds, a playlist's durations and so a
    segment's `start` are rounded to them: 0.5 s is 15 frames at 30 fps, so every slot falls
    on a frame, and a slot 1 ms late took the next reference frame, 33-67 ms later). Logo kit
    1401, the end-to-end run's frames against those of its segments replayed in process
    (exact timestamps): 70 % -> 100 % of the frames with a sighting the same, 0.5-s bins
    without a frame 12 -> 7 of 273 (replay precision / recall 0.984 / 0.803 -> 0.989 / 0.794,
    43/51 appearances both: within what a frame's shift changes)."""

    first: float
    last: float | None
    slack: float


def sample_slots(
    interval: float, frame_s: float, duration: float | None, start: float = 0.0
) -> Slots:
    """The slots of the stream's sampling grid (media times k * `interval`) that a segment
    starting at `start` fills: those from `HANDOVER_S` before its start to `HANDOVER_S` before
    its end, so consecutive segments share the grid without a gap or a slot filled twice.

    A segment's own grid, restarting at its start, put samples on a segment's last frame and
    on the next one's first, as little as 33 ms apart, wherever a segment's length is not a
    multiple of the interval, the rule once the packager also cuts at the encoder's scene-cut
    keyframes (nginx-rtmp: at the first keyframe >= 2 s, 2.0-3.8 s on the logo kit):
    near-duplicate frames analysed, the cadences of the analyzers that count frames (OCR on
    every 2nd frame of a shot, a tracker's coasting frames) shifted, and 0.5-s windows left
    without a frame. Logo kit, the broadcast cut as nginx-rtmp cuts it and its segments
    analysed in process by one pipeline (the end-to-end run without the transport: same
    segment lengths; 1401 0.983 / 0.785, 42/51 against 0.983 / 0.798, 42/51 end to end),
    segment grid -> stream grid: tune seed 1401 290 -> 268 frames analysed, 15 -> 12 of 273
    0.5-s bins without a frame, precision / recall 0.983 / 0.785 -> 0.984 / 0.803,
    appearances 42 -> 43/51; 1403 285 -> 264 frames, 7 -> 3 of 267 bins, 0.988 / 0.807 ->
    0.989 / 0.844, 41/48 (in process, each clip sampled from its first frame: 0.995 / 0.861
    and 0.995 / 0.854).

    A segment too short to hold a slot is sampled at its first frame. The whole segment is
    read when `duration` is not known."""
    handover = max(HANDOVER_S, frame_s / 2)
    first_index = math.ceil((start - handover) / interval - _EPSILON)
    first = first_index * interval - start
    slack = frame_s / 4
    if duration is None:
        return Slots(first, None, slack)
    after_last = math.ceil((start + duration - handover) / interval - _EPSILON)
    last = (after_last - 1) * interval - start
    return Slots(first, last, slack) if last + _EPSILON >= first else Slots(0.0, 0.0, slack)


def _open(data: bytes, *, probe_decodes: bool) -> tuple[av.container.InputContainer, list[_Packet]]:
    """The segment opened, and its first video stream's packets in decode order.

    Opening probes the stream (`avformat_find_stream_info`), and the probe decodes the first
    frames with a decoder of its own only to learn the reorder delay, which an H.264 stream
    declares in its SPS (VUI `max_num_reorder_frames`; x264 writes it) and our decoder reads
    there again: a second decode of the keyframe, the costliest frame (open 11.4 -> 2.1 ms per
    720p x264 segment). So the probe decodes nothing unless `probe_decodes`. The packets are read
    ahead so that `_undeclared_reordering` can look at them; a read that fails mid-segment
    keeps the packets before the damage.
    """
    options = {} if probe_decodes else {"skip_frame": "all"}
    try:
        container = av.open(io.BytesIO(data), mode="r", format="mpegts", options=options)
    except (av.error.FFmpegError, ValueError, OSError) as exc:
        raise CorruptMediaError(f"not a readable MPEG-TS segment: {exc}") from exc
    if not container.streams.video:
        container.close()
        raise CorruptMediaError("segment has no video stream")
    packets: list[_Packet] = []
    try:
        packets.extend(container.demux(container.streams.video[0]))
    except av.error.InvalidDataError as exc:
        if not packets:
            container.close()
            raise CorruptMediaError(f"segment cannot be demuxed: {exc}") from exc
    return container, packets


def _undeclared_reordering(container: av.container.InputContainer, packets: list[_Packet]) -> bool:
    """Whether frames arrive out of presentation order (B-frames) while the decoder has no
    reorder delay: the stream does not declare one (no VUI bitstream restriction), so the
    delay must be guessed by decoding the first frames, as the full probe does; a decoder
    started without it guesses as it goes and may output the first frames differently."""
    if container.streams.video[0].codec_context.has_b_frames:
        return False
    return any(p.pts is not None and p.dts is not None and p.pts != p.dts for p in packets)


def _decodes(
    context: av.video.codeccontext.VideoCodecContext, packets: list[_Packet], level: SkipLevel
) -> list[bool] | None:
    """Which packets the decoder will turn into a frame at discard `level`, read from the
    packets themselves (None: not known for this codec or level)."""
    if level in ("NONE", "DEFAULT"):
        return [p.size > 0 for p in packets]
    if level == "NONKEY":
        return [p.size > 0 and p.is_keyframe for p in packets]
    if level == "NONREF" and context.name == "h264":
        return [p.size > 0 and _is_reference(bytes(p)) for p in packets]
    return None


def _is_reference(data: bytes) -> bool:
    """Whether an H.264 access unit (Annex B, as MPEG-TS carries it) is a reference picture:
    the nal_ref_idc of its first slice (every slice of a picture has the same). An access unit
    with no slice found counts as one, so that nothing the decoder may need is cut off."""
    start = data.find(b"\x00\x00\x01")
    while 0 <= start < len(data) - 3:
        header = data[start + 3]
        if header & 0x1F in (1, 5):  # coded slice, non-IDR or IDR
            return header & 0x60 != 0
        start = data.find(b"\x00\x00\x01", start + 3)
    return True


def _last_needed(packets: list[_Packet], decodes: list[bool] | None, slots: Slots) -> int | None:
    """Index of the last packet (decode order) that the segment's samples need, or None when
    that cannot be told: the samples are the first decoded frames at or after each slot, so the
    last one is the first decoded frame at or after the last slot, and every decoded frame shown
    before it may be a sample too. Packets after them are only decoded before the decoder
    outputs the last sample (it holds a frame back until nothing can come before it); draining
    the decoder instead outputs it at once."""
    if decodes is None or slots.last is None:
        return None
    shown = [
        (float(p.pts * p.time_base), i)
        for i, p in enumerate(packets)
        if decodes[i] and p.pts is not None and p.time_base is not None
    ]
    if not shown:
        return None
    first = min(at for at, _ in shown)
    later = [at for at, _ in shown if at - first + slots.slack >= slots.last]
    if not later:
        return None
    return max(i for at, i in shown if at <= min(later))


def _sample(
    context: av.video.codeccontext.VideoCodecContext,
    packets: list[_Packet],
    interval: float,
    slots: Slots,
    last_needed: int | None,
) -> tuple[list[Frame], bool]:
    """The sampled frames, and whether every slot up to `slots.last` was filled. With
    `last_needed`, only the packets up to it are decoded and the decoder is drained then."""
    frames: list[Frame] = []
    first: float | None = None
    due = slots.first
    complete = False
    if last_needed is not None:
        packets = packets[: last_needed + 1]
    flushed = last_needed is None and bool(packets) and packets[-1].size == 0
    try:
        for decoded in _decoded(context, packets, flushed):
            if decoded.pts is None or decoded.time_base is None:
                continue
            at = float(decoded.pts * decoded.time_base)
            first = at if first is None else first
            offset = at - first
            if offset + slots.slack < due:
                continue
            image = np.asarray(decoded.to_ndarray(format="bgr24"), dtype=np.uint8)
            frames.append(Frame(image=image, offset=offset))
            while due <= offset + slots.slack:
                due += interval
            if slots.last is not None and due > slots.last + _EPSILON:
                complete = True
                break  # every slot of the segment is filled: the rest would be thrown away
    except av.error.InvalidDataError:
        if not frames:
            raise
    return frames, complete


def _decoded(
    context: av.video.codeccontext.VideoCodecContext, packets: list[_Packet], flushed: bool
) -> Iterator[av.VideoFrame]:
    """Frames of `packets` in presentation order; the decoder is drained at the end whether or
    not the demuxer's final empty packet (which drains it) was read. A drain of our own carries
    the packets' time base: frames drained by a bare `decode(None)` come without one."""
    for packet in packets:
        yield from context.decode(packet)
    if not flushed and packets:
        drain = av.Packet()
        drain.time_base = packets[-1].time_base
        yield from context.decode(drain)
