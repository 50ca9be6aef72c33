"""The followed tables survive outages at start-up: a detector started while Kafka or MinIO is
unreachable waits for its logo library instead of analysing without it for good."""

from __future__ import annotations

import base64
import socket
import threading
import time

import pytest

from sightline_analysis.logo.library import LogoLibrary
from sightline_analysis.logo.matcher import LogoMatcher
from sightline_analysis.scenario import Scenario
from sightline_analysis.wire import encode_image
from sightline_common.errors import StorageUnavailableError
from sightline_common.kafka.follower import CompactedTopicFollower
from sightline_common.messages import LogoEntry
from sightline_common.topics import Topic
from sightline_devstack.ports import ephemeral_port
from sightline_testkit.plugin import Isolated

from .conftest import LOGO


class FlakyStore:
    """Storage that is down for the first `outage` reads."""

    def __init__(self, data: bytes, outage: int) -> None:
        self.data, self.outage, self.reads = data, outage, 0

    def get_bytes(self, bucket: str, key: str) -> bytes:
        self.reads += 1
        if self.reads <= self.outage:
            raise StorageUnavailableError("minio down")
        return self.data


def test_a_logo_whose_image_storage_is_down_is_retried_not_skipped() -> None:
    data = base64.b64decode(encode_image(LOGO, quality=95))
    store = FlakyStore(data, outage=2)
    library = LogoLibrary(LogoMatcher(), store)
    entry = LogoEntry(logo_id="acme-1", brand="acme", bucket="b", object_key="k", sha256="0" * 64)
    library.apply("acme-1", entry)
    assert store.reads == 3
    assert library.matcher.brands == {"acme"}


def _forward(listener: socket.socket, upstream: tuple[str, int], stop: threading.Event) -> None:
    """Accept on `listener` and pipe each connection to `upstream` (the bootstrap only: the
    broker then tells clients its own address)."""
    listener.settimeout(0.2)
    while not stop.is_set():
        try:
            client, _ = listener.accept()
        except TimeoutError:
            continue
        except OSError:  # the listener was closed
            return
        server = socket.create_connection(upstream)
        for a, b in ((client, server), (server, client)):
            threading.Thread(target=_pipe, args=(a, b), daemon=True).start()


def _pipe(source: socket.socket, sink: socket.socket) -> None:
    try:
        while chunk := source.recv(65536):
            sink.sendall(chunk)
    except OSError:
        pass
    finally:
        sink.close()


@pytest.mark.integration
@pytest.mark.topic_partitions(1)  # outages, not partitions (testkit)
def test_a_follower_started_while_kafka_is_unreachable_catches_up_once_it_is(
    isolated: Isolated,
) -> None:
    Scenario(isolated.settings()).add_logo("acme-1", "acme", LOGO)
    port = ephemeral_port()
    seen: list[str] = []
    follower = CompactedTopicFollower(
        f"127.0.0.1:{port}",  # nothing listens there yet
        isolated.topics.name(Topic.LOGO_LIBRARY),
        LogoEntry,
        lambda key, _entry: seen.append(key),
        "test",
    )
    follower.start()
    time.sleep(12)  # past the first attempt's 10 s metadata timeout: it failed, now it retries
    assert not follower.caught_up.is_set()

    host, broker_port = isolated.bootstrap.split(",")[0].rsplit(":", 1)
    stop = threading.Event()
    with socket.socket() as listener:
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", port))
        listener.listen()
        threading.Thread(
            target=_forward, args=(listener, (host, int(broker_port)), stop), daemon=True
        ).start()
        try:
            assert follower.caught_up.wait(60), "the follower never caught up"
            assert seen == ["acme-1"]
        finally:
            follower.stop()
            stop.set()
