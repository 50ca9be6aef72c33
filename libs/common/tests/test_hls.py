"""Reading nginx-rtmp's playlist and writing the stored one."""

from __future__ import annotations

import pytest

from sightline_common.hls import (
    ListedSegment,
    PlaylistError,
    StoredSegment,
    parse_media_playlist,
    render_playlist,
)

NGINX_PLAYLIST = """#EXTM3U
#EXT-X-VERSION:3
#EXT-X-MEDIA-SEQUENCE:4
#EXT-X-TARGETDURATION:2
#EXTINF:2.000,
4.ts
#EXTINF:2.002,
5.ts
#EXT-X-DISCONTINUITY
#EXTINF:1.967,
0.ts
"""


def test_only_listed_segments_with_their_extinf_durations_are_returned() -> None:
    assert parse_media_playlist(NGINX_PLAYLIST) == [
        ListedSegment("4.ts", 2.0),
        ListedSegment("5.ts", 2.002),
        ListedSegment("0.ts", 1.967, discontinuity=True),
    ]


def test_a_fragment_listed_with_a_zero_duration_is_listed() -> None:
    # nginx-rtmp closes the fragment it just opened when the publisher dies at a boundary.
    text = "#EXTM3U\n#EXTINF:2.000,\n4.ts\n#EXTINF:0.000,\n5.ts\n#EXTINF:-1,\nbad.ts\n"
    assert parse_media_playlist(text) == [ListedSegment("4.ts", 2.0), ListedSegment("5.ts", 0.0)]


def test_an_empty_live_playlist_lists_nothing() -> None:
    assert parse_media_playlist("#EXTM3U\n#EXT-X-TARGETDURATION:2\n") == []


def test_paths_and_urls_are_never_taken_as_segment_files() -> None:
    text = "#EXTM3U\n#EXTINF:2,\n../x.ts\n#EXTINF:2,\nhttp://a/b.ts\n#EXTINF:2,\nok.ts\n"
    assert [s.name for s in parse_media_playlist(text)] == ["ok.ts"]


def test_a_file_that_is_not_a_playlist_is_refused() -> None:
    with pytest.raises(PlaylistError):
        parse_media_playlist("<html>")


def test_a_live_stream_is_an_event_playlist_without_endlist() -> None:
    text = render_playlist([StoredSegment("00000000.ts", 2.0)], ended=False)
    assert "#EXT-X-PLAYLIST-TYPE:EVENT" in text
    assert "#EXT-X-ENDLIST" not in text


def test_a_stopped_stream_is_a_vod_playlist_with_discontinuities_where_it_reconnected() -> None:
    segments = [
        StoredSegment("00000000.ts", 2.0),
        StoredSegment("00000001.ts", 1.5),
        StoredSegment("00000002.ts", 2.1, discontinuity=True),
    ]
    text = render_playlist(segments, ended=True)
    lines = text.splitlines()
    assert lines[0] == "#EXTM3U"
    assert "#EXT-X-PLAYLIST-TYPE:VOD" in lines
    assert "#EXT-X-TARGETDURATION:3" in lines
    assert lines[-1] == "#EXT-X-ENDLIST"
    assert lines.index("#EXT-X-DISCONTINUITY") == lines.index("00000002.ts") - 2
    assert parse_media_playlist(text) == [
        ListedSegment("00000000.ts", 2.0),
        ListedSegment("00000001.ts", 1.5),
        ListedSegment("00000002.ts", 2.1, discontinuity=True),
    ]
