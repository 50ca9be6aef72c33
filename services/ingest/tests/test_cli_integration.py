"""The operator CLI publishes stream configuration and shows the key exactly once."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from sightline_common.topics import Topic
from sightline_ingest.keys import hash_key
from sightline_testkit.kafka import read_messages
from sightline_testkit.plugin import Isolated

pytestmark = pytest.mark.integration


def cli(isolated: Isolated, *args: str) -> str:
    result = subprocess.run(
        [sys.executable, "-m", "sightline_ingest.cli", *args],
        env={**os.environ, **isolated.env},
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    return result.stdout


def test_streams_add_publishes_a_hashed_key_and_disable_switches_it_off(isolated: Isolated) -> None:
    out = cli(isolated, "streams", "add", "--name", "Main stage", "--kind", "rtmp")
    fields = dict(line.split(": ", 1) for line in out.splitlines() if ": " in line)
    stream_id, key = fields["stream_id"], fields["stream_key"]
    cli(isolated, "streams", "disable", stream_id)
    topic = isolated.topics.name(Topic.STREAM_CONFIG)
    configs = [m.payload for m in read_messages(isolated.bootstrap, topic)]
    assert [(c.stream_id, c.key_hash, c.enabled) for c in configs] == [
        (stream_id, hash_key(key), True),
        (stream_id, hash_key(key), False),
    ]
    assert key not in str(configs)
