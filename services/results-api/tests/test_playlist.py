"""Playlists are rewritten so segments load through the API."""

from __future__ import annotations

from sightline_results_api.playlist import rewrite_playlist, segment_name

PLAYLIST = """#EXTM3U
#EXT-X-VERSION:3
#EXT-X-TARGETDURATION:2
#EXT-X-MEDIA-SEQUENCE:41
#EXTINF:2.000,
41.ts
#EXT-X-DISCONTINUITY
#EXTINF:2.000,
streams/abc/42.ts
#EXT-X-ENDLIST
"""


def test_segment_uris_point_at_the_proxy() -> None:
    out = rewrite_playlist(PLAYLIST).splitlines()
    assert "segments/41.ts" in out
    assert "segments/42.ts" in out
    assert "#EXT-X-DISCONTINUITY" in out
    assert out[-1] == "#EXT-X-ENDLIST"


def test_each_segment_gets_its_own_query() -> None:
    out = rewrite_playlist(PLAYLIST, lambda name: f"sig={name}").splitlines()
    assert "segments/41.ts?sig=41.ts" in out
    assert "segments/42.ts?sig=42.ts" in out


def test_only_plain_ts_names_are_served() -> None:
    assert segment_name("http://x/streams/a/7.ts?sig=1") == "7.ts"
    assert segment_name("../secret") is None
    assert segment_name("init.mp4") is None
