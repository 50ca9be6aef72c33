"""The removed-segments marker: ranges merge, membership, and the playlist without them."""

from __future__ import annotations

import pytest

from sightline_common.hls import StoredSegment, parse_media_playlist
from sightline_common.removed_segments import RemovedSegments, render_kept


def _segments(count: int) -> list[StoredSegment]:
    return [StoredSegment(f"{seq:08d}.ts", 2.0) for seq in range(count)]


def test_ranges_merge_and_answer_membership() -> None:
    removed = RemovedSegments().with_ranges([(5, 7), (0, 2)]).with_sequences([3, 9])
    assert removed.ranges == ((0, 3), (5, 7), (9, 9))
    assert [seq for seq in range(11) if seq in removed] == [0, 1, 2, 3, 5, 6, 7, 9]
    assert None not in removed
    assert not RemovedSegments()


def test_the_stored_form_round_trips_and_garbage_is_refused() -> None:
    removed = RemovedSegments(((0, 4), (8, 8)))
    assert RemovedSegments.from_json(removed.to_json()) == removed
    with pytest.raises(ValueError, match="not a removed-segments marker"):
        RemovedSegments.from_json(b'{"what": 1}')


def test_a_live_playlist_cut_at_the_head_slides_and_a_cut_inside_is_a_discontinuity() -> None:
    removed = RemovedSegments(((0, 1), (3, 3)))
    text = render_kept(_segments(6), removed, ended=False)
    assert [s.name for s in parse_media_playlist(text)] == [
        "00000002.ts",
        "00000004.ts",
        "00000005.ts",
    ]
    assert "#EXT-X-MEDIA-SEQUENCE:2" in text
    assert "EVENT" not in text  # an EVENT playlist may never lose its head
    assert text.count("#EXT-X-DISCONTINUITY") == 1
    assert [s.discontinuity for s in parse_media_playlist(text)] == [False, True, False]


def test_nothing_removed_renders_the_usual_playlist() -> None:
    text = render_kept(_segments(2), RemovedSegments(), ended=True)
    assert "#EXT-X-PLAYLIST-TYPE:VOD" in text
    assert "#EXT-X-MEDIA-SEQUENCE:0" in text
    assert text.rstrip().endswith("#EXT-X-ENDLIST")
