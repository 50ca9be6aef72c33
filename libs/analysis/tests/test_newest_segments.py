"""The newest-segment follower on the real broker: it knows what each stream published,
including what was published shortly before it started, and nothing newer than that."""

from __future__ import annotations

import time

import pytest

from sightline_analysis.newest import NewestSegments
from sightline_analysis.scenario import Scenario
from sightline_common.topics import Topic
from sightline_testkit.plugin import Isolated

pytestmark = pytest.mark.integration


def _until(check: object, timeout: float = 30.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if callable(check) and check():
            return True
        time.sleep(0.1)
    return False


def test_the_newest_sequence_of_each_stream_is_followed(isolated: Isolated) -> None:
    scenario = Scenario(isolated.settings())
    scenario.add_segment("cam-a", 0, b"\x47" * 188, store=False)
    scenario.add_segment("cam-a", 1, b"\x47" * 188, store=False)  # before the follower starts
    newest = NewestSegments(isolated.bootstrap, isolated.topics.name(Topic.SEGMENTS), "newest-test")
    newest.start()
    try:
        assert _until(lambda: newest.newer_than("cam-a", 0))
        assert not newest.newer_than("cam-a", 1)  # the latest: nothing newer waiting
        assert not newest.newer_than("cam-b", 0)  # a stream it never saw
        scenario.add_segment("cam-b", 0, b"\x47" * 188, store=False)
        scenario.add_segment("cam-a", 2, b"\x47" * 188, store=False)
        assert _until(lambda: newest.newer_than("cam-a", 1))
        assert not newest.newer_than("cam-a", 2)
        assert not newest.newer_than("cam-b", 0)
    finally:
        newest.stop()
