"""The source policy: file sources only inside the media folder, no internal addresses unless
allowed, only allowed schemes, webcams only as video devices."""

from __future__ import annotations

from pathlib import Path

import pytest

from sightline_common.messages import Source
from sightline_common.source_policy import (
    SourceNotAllowedError,
    SourcePolicy,
    SourcePolicySettings,
)


def source(kind: str, uri: str | None) -> Source:
    return Source.model_validate({"kind": kind, "uri": uri})


@pytest.fixture
def media(tmp_path: Path) -> Path:
    (tmp_path / "media").mkdir()
    (tmp_path / "media" / "clip.mp4").write_bytes(b"x")
    (tmp_path / "media" / "escape.mp4").symlink_to("/etc/passwd")
    return tmp_path / "media"


def policy(media: Path | None, allow_private: bool = False) -> SourcePolicy:
    return SourcePolicySettings(
        media_dir=str(media or ""), source_allow_private=allow_private
    ).source_policy()


@pytest.mark.parametrize(
    "uri",
    [
        "/etc/passwd",
        "file:///etc/passwd",
        "{media}/../outside.mp4",
        "{media}/escape.mp4",  # a symlink out of the folder
        "http://169.254.169.254/latest/meta-data/",
        "http://127.0.0.1:9000/sightline-segments/",
        "https://localhost/x.m3u8",
        "rtsp://10.0.0.7/stream",
        "rtsp://[::1]/stream",
        "gopher://example.com/",
        "concat:/etc/passwd|/etc/hosts",
    ],
)
def test_sources_into_the_host_or_internal_networks_are_refused(media: Path, uri: str) -> None:
    with pytest.raises(SourceNotAllowedError):
        policy(media).check(source("file", uri.format(media=media)))


def test_files_inside_the_media_folder_and_public_streams_are_allowed(media: Path) -> None:
    allowed = policy(media)
    allowed.check(source("file", str(media / "clip.mp4")))
    allowed.check(source("file", f"file://{media}/clip.mp4"))
    allowed.check(source("file", "rtmp://8.8.8.8/live/cam"))
    assert allowed.protocols(source("file", str(media / "clip.mp4"))) == "file"


def test_no_media_folder_means_no_file_sources(media: Path) -> None:
    with pytest.raises(SourceNotAllowedError, match="no media directory"):
        policy(None).check(source("file", str(media / "clip.mp4")))


def test_cameras_on_the_local_network_need_the_explicit_setting(media: Path) -> None:
    camera = source("file", "rtsp://192.168.1.20:554/stream")
    with pytest.raises(SourceNotAllowedError, match="SOURCE_ALLOW_PRIVATE"):
        policy(media).check(camera)
    policy(media, allow_private=True).check(camera)


def test_a_webcam_is_a_video_device() -> None:
    policy(None).check(source("webcam", "/dev/video2"))
    policy(None).check(source("webcam", None))
    with pytest.raises(SourceNotAllowedError):
        policy(None).check(source("webcam", "/etc/passwd"))
