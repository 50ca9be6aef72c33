"""MinIO stopped for 30 s mid-stream: segments wait in the spool and all arrive, in order."""

from __future__ import annotations

import dataclasses
import shutil
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from sightline_common.errors import StorageUnavailableError
from sightline_common.topics import Topic

from .conftest import PUSH_UP_TO_S, IngestRig, end_push, nginx_fragments, start_push
from .test_resilience_integration import (
    assert_one_id_per_sequence_and_none_missing,
    wait_for_segments,
    wait_until_stopped,
)
from .test_rtmp_integration import messages_for

pytestmark = pytest.mark.integration


@dataclasses.dataclass
class PrivateMinio:
    endpoint: str
    up: Callable[[], None]
    down: Callable[[], None]


@pytest.fixture
def private_minio(platform_env: dict[str, str]) -> Iterator[PrivateMinio]:
    from sightline_devstack import ports  # noqa: PLC0415 - integration-only dependency
    from sightline_devstack.platform import down, ensure_up  # noqa: PLC0415
    from sightline_devstack.settings import DevstackSettings  # noqa: PLC0415

    folder = Path(tempfile.mkdtemp(prefix="sightline-ingest-minio-"))
    folder.chmod(0o755)
    settings = dataclasses.replace(
        DevstackSettings.from_env(),
        state_dir=folder / "state",
        minio_port=ports.ephemeral_port(),
        minio_console_port=ports.ephemeral_port(),
    )

    def start() -> None:
        ensure_up(settings, only=["minio"], say=lambda _: None, install_packages=False)

    def stop() -> None:
        down(settings, only=["minio"], say=lambda _: None)

    start()
    try:
        yield PrivateMinio(f"127.0.0.1:{settings.minio_port}", start, stop)
    finally:
        stop()
        shutil.rmtree(folder, ignore_errors=True)


def test_segments_spool_while_minio_is_down_and_arrive_in_order_after(
    rig: IngestRig, private_minio: PrivateMinio
) -> None:
    rig.s3_endpoint = private_minio.endpoint
    store = rig.store()
    stream_id, key = rig.add_stream("rtmp")
    rig.start()
    # Pushed until segments cut after the outage have arrived: stopping and starting MinIO
    # takes longer on a loaded machine, and a push of fixed length could end mid-outage.
    pusher = start_push(f"{rig.nginx.rtmp_url}/{key}", PUSH_UP_TO_S)
    try:
        wait_for_segments(rig, stream_id, 2)
        private_minio.down()
        with pytest.raises(StorageUnavailableError):
            store.exists(rig.bucket, "anything")
        during = len(messages_for(rig, Topic.SEGMENTS, stream_id))
        time.sleep(30)  # the outage itself, not a wait for something
        assert len(messages_for(rig, Topic.SEGMENTS, stream_id)) <= during + 1
        private_minio.up()
        cut_in_outage = nginx_fragments(rig, key)
        wait_for_segments(rig, stream_id, cut_in_outage + 2, timeout=120)
        end_push(pusher)  # the stream was live through the outage and after it
    finally:
        if pusher.poll() is None:
            pusher.kill()
    wait_until_stopped(rig, stream_id, starts=1, timeout=120)
    sequences = assert_one_id_per_sequence_and_none_missing(rig, stream_id)
    assert sequences == sorted(sequences)
    assert len(sequences) >= cut_in_outage + 2
    # A fragment ingest never took would show as a discontinuity (stream time skipping it).
    ready = [m.payload for m in messages_for(rig, Topic.SEGMENTS, stream_id)]
    assert [r.sequence for r in ready if r.discontinuity] == []
