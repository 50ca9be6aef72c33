"""Sampled decoding: the right frames at the right offsets, corrupt input refused."""

from __future__ import annotations

import pytest

from sightline_analysis.decode import decode_sampled
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
