"""Signed playback URLs: pure signing logic with a fake clock."""

from __future__ import annotations

import subprocess
import sys

from sightline_results_api.api.app import private_cache_control
from sightline_results_api.playback_urls import PlaybackSigner

PATH = "/api/hls/streams/s1/playlist.m3u8"


def signer(now: float) -> PlaybackSigner:
    return PlaybackSigner(b"k" * 32, 300, clock=lambda: now)


def test_a_signature_holds_until_its_expiry_and_not_after() -> None:
    expires = signer(1000).expiry()
    assert expires == 1300
    sig = signer(1000).signature(PATH, expires)
    assert signer(1299).verify(PATH, str(expires), sig)
    assert signer(1300).verify(PATH, str(expires), sig)
    assert not signer(1301).verify(PATH, str(expires), sig)


def test_a_signature_is_bound_to_path_expiry_and_key() -> None:
    sig = signer(0).signature(PATH, 300)
    assert not signer(0).verify(PATH.replace("s1", "s2"), "300", sig)
    assert not signer(0).verify(PATH, "301", sig)
    assert not PlaybackSigner(b"other", 300, clock=lambda: 0).verify(PATH, "300", sig)
    for expires, given in [(None, sig), ("300", None), ("-1", sig), ("3e2", sig), ("", sig)]:
        assert not signer(0).verify(PATH, expires, given)


def test_the_query_is_url_safe() -> None:
    query = signer(0).query(PATH, 300)
    assert query.startswith("exp=300&sig=")
    assert all(c.isalnum() or c in "-_=&" for c in query)


def test_api_answers_are_made_private() -> None:
    assert private_cache_control(None) == "private, no-store"
    assert private_cache_control("no-cache") == "private, no-cache"
    assert private_cache_control("public, max-age=60") == "private, max-age=60"
    assert private_cache_control("private, max-age=86400") == "private, max-age=86400"


def test_the_api_without_a_signing_key_exits_2_outside_development() -> None:
    env = {
        "PATH": "/usr/bin:/bin",
        "SIGHTLINE_KAFKA_BOOTSTRAP": "127.0.0.1:1",
        "SIGHTLINE_S3_SECRET_KEY": "a-real-secret",
        "SIGHTLINE_DATABASE_URL": "postgresql+psycopg://sightline:s3cr3t-Long@127.0.0.1:1/x",
    }
    done = subprocess.run(
        [sys.executable, "-m", "sightline_results_api", "api"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 2, done.stderr[-2000:]
    assert "SIGHTLINE_PLAYBACK_SIGNING_KEY is not set" in done.stdout + done.stderr
