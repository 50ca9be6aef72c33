"""Sampled decoding: the right frames at the right offsets, corrupt input refused."""

from __future__ import annotations

import io
import math
from pathlib import Path
from typing import Any

import av
import numpy as np
import pytest

from sightline_analysis import decode
from sightline_analysis.decode import HANDOVER_S, SkipLevel, decode_sampled, sample_slots
from sightline_analysis.frames import Frame
from sightline_analysis.synthetic import background, write_ts
from sightline_common.errors import CorruptMediaError


def test_frames_are_sampled_at_the_requested_rate(logo_segment: bytes) -> None:
    frames = decode_sampled(logo_segment, sample_fps=2)
    # Non-reference frames are skipped, so a sample may land a frame or two after its slot.
    assert len(frames) == 4
    for slot, frame in enumerate(frames):
        assert slot * 0.5 <= frame.offset < slot * 0.5 + 0.2
    assert frames[0].width == 640
    assert frames[0].height == 360


def test_sparse_sampling_decodes_keyframes_only(logo_segment: bytes) -> None:
    frames = decode_sampled(logo_segment, sample_fps=0.5, keyframe_interval=2.0)
    assert [f.offset for f in frames] == [0.0]


@pytest.mark.parametrize("data", [b"", b"\x00" * 4096, b"not a video at all" * 50])
def test_bytes_that_are_not_video_are_corrupt_media(data: bytes) -> None:
    with pytest.raises(CorruptMediaError):
        decode_sampled(data, sample_fps=2)


def test_a_truncated_segment_header_is_corrupt_media(logo_segment: bytes) -> None:
    with pytest.raises(CorruptMediaError):
        decode_sampled(logo_segment[:300], sample_fps=2)


def _moving_clip(folder: Path, preset: str) -> bytes:
    """2 s of a panning, noisy 320x180 picture at 30 fps in one 2-s GOP: every frame differs,
    so a frame decoded from the wrong references or taken at the wrong time shows."""
    rng = np.random.default_rng(5)
    base = background(21, size=(320, 180))
    frames = [
        np.clip(np.roll(base, 2 * i, axis=1) + rng.normal(0.0, 4.0, base.shape), 0, 255).astype(
            np.uint8
        )
        for i in range(60)
    ]
    return write_ts(frames, folder / f"{preset}.ts", fps=30, preset=preset).read_bytes()


@pytest.fixture(scope="module", params=["veryfast", "ultrafast"])
def moving_clip(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> bytes:
    """The clip as x264 encodes it by default (veryfast, as OBS: B-frames, some kept as
    references) and without B-frames (ultrafast)."""
    preset = str(request.param)
    data = _moving_clip(tmp_path_factory.mktemp(preset), preset)
    reordered = _reference_decode(data, "DEFAULT")[1]
    assert reordered == (preset == "veryfast")  # the clip is what its name says
    return data


def _reference_decode(data: bytes, skip_frame: SkipLevel) -> tuple[list[Frame], bool]:
    """Every frame PyAV decodes at `skip_frame` from a plainly opened container (the full
    stream probe), and whether any packet is decoded out of presentation order."""
    with av.open(io.BytesIO(data), mode="r", format="mpegts") as container:
        stream = container.streams.video[0]
        stream.codec_context.skip_frame = skip_frame
        stream.codec_context.thread_count = 1
        packets = list(container.demux(stream))
        frames = [
            (
                float((f.pts or 0) * (f.time_base or 0)),
                np.asarray(f.to_ndarray(format="bgr24"), np.uint8),
            )
            for packet in packets
            for f in stream.codec_context.decode(packet)
        ]
    first = frames[0][0]
    reordered = any(p.pts is not None and p.pts != p.dts for p in packets)
    return [Frame(image, at - first) for at, image in frames], reordered


def _assert_same(frames: list[Frame], expected: list[Frame]) -> None:
    assert [round(f.offset, 6) for f in frames] == [round(f.offset, 6) for f in expected]
    for frame, reference in zip(frames, expected, strict=True):
        assert np.array_equal(frame.image, reference.image)


def test_every_frame_equals_a_plain_full_decode(moving_clip: bytes) -> None:
    # The light stream probe must not change what the decoder outputs (order, first frames).
    frames = decode_sampled(moving_clip, sample_fps=1000.0, skip_frame="DEFAULT")
    expected = _reference_decode(moving_clip, "DEFAULT")[0]
    assert len(expected) == 60
    _assert_same(frames, expected)


def test_samples_are_the_frames_a_plain_decode_picks(moving_clip: bytes) -> None:
    # Each 0.5-s slot takes the first reference frame at or after it, as before the probe
    # change: the decoder skips non-reference frames, whatever the stream probe did.
    frames = decode_sampled(moving_clip, sample_fps=2.0, keyframe_interval=2.0, duration=2.0)
    decoded = _reference_decode(moving_clip, "NONREF")[0]
    expected = [next(f for f in decoded if f.offset >= slot * 0.5 - 1e-6) for slot in range(4)]
    _assert_same(frames, expected)


def test_a_later_segment_is_sampled_on_the_streams_grid(moving_clip: bytes) -> None:
    # The clip as a segment 2.2 s into its stream (nginx-rtmp cut the one before at a
    # scene-cut keyframe): its samples are at stream times 2.5 ... 4.0, not 2.2 ... 3.7 (2.2
    # was 0.2 s after the previous segment's sample at 2.0).
    frames = decode_sampled(moving_clip, sample_fps=2.0, keyframe_interval=2.0, duration=2.0,
                            start=2.2)  # fmt: skip
    decoded = _reference_decode(moving_clip, "NONREF")[0]
    slots = [0.3, 0.8, 1.3, 1.8]
    _assert_same(frames, [next(f for f in decoded if f.offset >= slot - 1e-6) for slot in slots])


def test_a_slot_takes_its_own_frame_whatever_the_rounding_of_the_start(moving_clip: bytes) -> None:
    # A playlist's durations, summed into `start`, are rounded to the millisecond: the slots
    # 0.301 s ... into the segment still take the frames shown at 0.3 s ... when decodable.
    frames = decode_sampled(moving_clip, sample_fps=2.0, keyframe_interval=2.0, duration=2.0,
                            start=2.199)  # fmt: skip
    decoded = _reference_decode(moving_clip, "NONREF")[0]
    slots = [0.301, 0.801, 1.301, 1.801]
    expected = [next(f for f in decoded if f.offset >= slot - 1 / 120) for slot in slots]
    _assert_same(frames, expected)


def test_segments_of_any_length_fill_each_slot_of_the_grid_once() -> None:
    # Segments cut at scene-cut keyframes as well as every 2 s (the logo kit's first ones):
    # together they sample the stream every 0.5 s, without a slot twice or left out.
    starts, lengths = [0.0], [2.2, 3.633, 2.0, 3.2, 2.067, 3.367]
    for length in lengths[:-1]:
        starts.append(round(starts[-1] + length, 3))
    sampled: list[float] = []
    for start, length in zip(starts, lengths, strict=True):
        slots = sample_slots(0.5, 1 / 30, length, start)
        assert slots.last is not None
        assert slots.last < length - HANDOVER_S
        count = round((slots.last - slots.first) / 0.5) + 1
        sampled.extend(round(start + max(0.0, slots.first + k * 0.5), 3) for k in range(count))
    # A slot just before a segment's start is filled by its first frame (a keyframe).
    filled = [math.floor(at / 0.5 + 1e-6) for at in sampled]
    end = starts[-1] + lengths[-1] - HANDOVER_S
    assert filled == list(range(math.ceil(end / 0.5)))
    assert all(at - slot * 0.5 <= HANDOVER_S for at, slot in zip(sampled, filled, strict=True))


def test_a_segment_shorter_than_its_share_of_the_grid_gives_its_first_frame() -> None:
    slots = sample_slots(0.5, 1 / 30, 0.2, 2.2)
    assert (slots.first, slots.last) == (0.0, 0.0)


def test_decoding_stops_at_the_packet_of_the_last_sample(
    moving_clip: bytes, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The decoder is drained right after the last sample's packet instead of decoding later
    # frames until it lets that sample out; the segment is opened once (no fallback).
    opened: list[bool] = []
    sent: list[float] = []
    real_open, real_decoded = decode._open, decode._decoded

    def counting_open(data: bytes, *, probe_decodes: bool) -> Any:
        opened.append(probe_decodes)
        return real_open(data, probe_decodes=probe_decodes)

    def recording_decoded(context: Any, packets: list[Any], flushed: bool) -> Any:
        sent.extend(float(p.pts * p.time_base) for p in packets if p.pts is not None)
        return real_decoded(context, packets, flushed)

    monkeypatch.setattr(decode, "_open", counting_open)
    monkeypatch.setattr(decode, "_decoded", recording_decoded)
    frames = decode_sampled(moving_clip, sample_fps=2.0, keyframe_interval=2.0, duration=2.0)
    assert opened == [False]
    assert len(frames) == 4
    assert sent[-1] - min(sent) == pytest.approx(frames[-1].offset)


def test_a_stop_before_the_last_sample_falls_back_to_decoding_on(
    moving_clip: bytes, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Should the decoder not output what the packets promised, the segment is decoded again
    # without the early stop: the samples stay the ones a plain decode picks.
    monkeypatch.setattr(decode, "_last_needed", lambda *_: 5)
    frames = decode_sampled(moving_clip, sample_fps=2.0, keyframe_interval=2.0, duration=2.0)
    decoded = _reference_decode(moving_clip, "NONREF")[0]
    expected = [next(f for f in decoded if f.offset >= slot * 0.5 - 1e-6) for slot in range(4)]
    _assert_same(frames, expected)


def test_skipping_the_loop_filter_of_non_reference_frames_changes_nothing(
    moving_clip: bytes,
) -> None:
    # FFmpeg skips the loop filter at "noref" only on pictures no other picture references,
    # and the sampled decode never decodes those: the setting cannot save anything (the
    # bench's table once showed it cheaper only because its rows ran at different loads).
    default = decode_sampled(moving_clip, sample_fps=2.0, keyframe_interval=2.0, duration=2.0)
    noref = decode_sampled(
        moving_clip, sample_fps=2.0, keyframe_interval=2.0, duration=2.0, skip_loop_filter="noref"
    )
    _assert_same(noref, default)


def test_the_loop_filter_setting_reaches_the_decoder(tmp_path: Path) -> None:
    # So the test above compares two decodes that differ in what the decoder is told:
    # skipped on every picture, the filter's absence shows (veryfast filters; ultrafast not).
    clip = _moving_clip(tmp_path, "veryfast")
    default = decode_sampled(clip, sample_fps=2.0, keyframe_interval=2.0, duration=2.0)
    skipped = decode_sampled(
        clip, sample_fps=2.0, keyframe_interval=2.0, duration=2.0, skip_loop_filter="all"
    )
    assert any(not np.array_equal(a.image, b.image) for a, b in zip(skipped, default, strict=True))
