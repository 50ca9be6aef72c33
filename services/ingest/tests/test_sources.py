"""Source adapter command lines and nginx's stat page: pure functions."""

from __future__ import annotations

from pathlib import Path

import pytest

from sightline_common.messages import Source
from sightline_common.source_policy import SourcePolicy
from sightline_ingest.keys import hash_key
from sightline_ingest.publishers import publishing_hashes
from sightline_ingest.sources import SourceConfigError, ffmpeg_command, runs_forever

URL = "rtmp://127.0.0.1:1935/live/k"
POLICY = SourcePolicy(media_dir=Path("/clips"), schemes=frozenset({"rtsp"}), allow_private=True)


def source(**fields: object) -> Source:
    return Source.model_validate(fields)


def test_the_test_source_is_a_720p30_pattern_with_tone_and_2s_key_frames() -> None:
    command = ffmpeg_command("ffmpeg", source(kind="test"), URL, POLICY)
    assert "testsrc2=size=1280x720:rate=30" in command
    assert "expr:gte(t,n_forced*2)" in command
    assert command[-3:] == ["-f", "flv", URL]
    assert runs_forever(source(kind="test"))


def test_a_file_loops_only_when_asked_and_a_live_url_is_not_paced() -> None:
    once = ffmpeg_command("ffmpeg", source(kind="file", uri="/clips/a.mp4"), URL, POLICY)
    looped = ffmpeg_command(
        "ffmpeg", source(kind="file", uri="/clips/a.mp4", loop=True), URL, POLICY
    )
    live = ffmpeg_command("ffmpeg", source(kind="file", uri="rtsp://cam/stream"), URL, POLICY)
    assert "-stream_loop" not in once
    assert "-re" in once
    assert looped[looped.index("-stream_loop") + 1] == "-1"
    assert "-re" not in live
    assert not runs_forever(source(kind="file", uri="/clips/a.mp4"))


def test_a_webcam_reads_v4l2_from_its_device() -> None:
    command = ffmpeg_command("ffmpeg", source(kind="webcam", uri="/dev/video2"), URL, POLICY)
    assert command[command.index("-f") + 1] == "v4l2"
    assert "/dev/video2" in command


def test_a_file_source_without_uri_and_rtmp_sources_are_not_run() -> None:
    with pytest.raises(SourceConfigError):
        ffmpeg_command("ffmpeg", source(kind="file"), URL, POLICY)
    with pytest.raises(SourceConfigError):
        ffmpeg_command("ffmpeg", source(kind="rtmp"), URL, POLICY)


STAT = """<?xml version="1.0" encoding="utf-8" ?>
<rtmp><server><application><name>live</name><live>
<stream><name>key-publishing</name><client><id>3</id><publishing/></client><publishing/>
<active/></stream>
<stream><name>key-idle</name></stream>
</live></application>
<application><name>other</name><live><stream><name>key-other</name><publishing/></stream>
</live></application></server></rtmp>"""


def test_only_streams_publishing_in_the_application_are_reported_as_hashes() -> None:
    assert publishing_hashes(STAT, "live") == {hash_key("key-publishing")}


def test_a_file_source_reads_only_inside_the_media_folder_and_only_its_own_protocols() -> None:
    command = ffmpeg_command("ffmpeg", source(kind="file", uri="/clips/a.mp4"), URL, POLICY)
    assert command[command.index("-protocol_whitelist") + 1] == "file"
    live = ffmpeg_command("ffmpeg", source(kind="file", uri="rtsp://cam/s"), URL, POLICY)
    assert "file" not in live[live.index("-protocol_whitelist") + 1].split(",")
    for uri in ("/etc/passwd", "file:///etc/passwd", "/clips/../etc/passwd", "gopher://x/"):
        with pytest.raises(SourceConfigError):
            ffmpeg_command("ffmpeg", source(kind="file", uri=uri), URL, POLICY)
