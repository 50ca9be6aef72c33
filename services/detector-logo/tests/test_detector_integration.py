"""detector-logo end to end on the real platform: Kafka, MinIO, the service as a process."""

from __future__ import annotations

import time
import urllib.request
from pathlib import Path

import pytest

from sightline_analysis.logo.matcher import iou
from sightline_analysis.scenario import Scenario
from sightline_analysis.synthetic import Placement, background, composite, make_logo, write_ts
from sightline_common.messages import DeadLetter, Detection, ExecutorKind
from sightline_common.topics import Topic
from sightline_devstack.ports import ephemeral_port
from sightline_testkit.kafka import wait_for_messages
from sightline_testkit.plugin import Isolated
from sightline_testkit.processes import ChildProcess

# One detector process on a stream or two: one partition per topic is enough (testkit).
pytestmark = [pytest.mark.integration, pytest.mark.topic_partitions(1)]

SIZE = (1280, 720)
ACME = make_logo("ACME", seed=1)
PLACE = Placement(centre=(900, 250), width=200, angle=8)
Box = tuple[float, float, float, float]


def clip(tmp: Path, name: str, with_logo: bool) -> tuple[bytes, Box | None]:
    """A 2 s 720p segment (15 fps to spare the CPU), with or without the ACME logo, and the
    logo's (x, y, w, h) box (None without it)."""
    box: Box | None = None
    if with_logo:
        frame, (x, y, w, h) = composite(background(5, SIZE), ACME, PLACE)
        box = (x, y, w, h)
    else:
        frame = background(6, SIZE)
    return write_ts([frame] * 30, tmp / f"{name}.ts", fps=15).read_bytes(), box


def detections(iso: Isolated, count: int) -> dict[tuple[str, int], Detection]:
    found = wait_for_messages(iso.bootstrap, iso.topics.name(Topic.DETECTIONS), count, timeout=120)
    return {(m.payload.stream_id, m.payload.segment.sequence): m.payload for m in found}


def logos(detection: Detection) -> list[tuple[float, str, Box]]:
    out: list[tuple[float, str, Box]] = []
    for frame in detection.frames:
        for r in frame.results:
            if r.kind == "logo" and r.box is not None:
                box = (r.box.x * SIZE[0], r.box.y * SIZE[1], r.box.w * SIZE[0], r.box.h * SIZE[1])
                out.append((frame.media_ts, r.label, box))
    return out


def start_detector(iso: Isolated, **env: str) -> ChildProcess:
    port = ephemeral_port()
    child = iso.spawn("sightline_detector_logo", SIGHTLINE_HTTP_PORT=str(port), **env)
    child.wait_http_ok(f"http://127.0.0.1:{port}/readyz", timeout=90)
    return child


def test_logo_found_with_box_logo_free_none_corrupt_and_missing_to_dlq(isolated: Isolated) -> None:
    scenario = Scenario(isolated.settings())
    scenario.add_logo("acme-1", "acme", ACME)
    scenario.add_logo("acne-1", "acne", make_logo("ACNE", seed=1))  # look-alike in the library
    detector = start_detector(isolated)

    with_logo, truth = clip(isolated.tmp, "logo", with_logo=True)
    assert truth is not None
    without, _ = clip(isolated.tmp, "plain", with_logo=False)
    scenario.add_segment("cam-1", 0, without)
    scenario.add_segment("cam-1", 1, with_logo)
    scenario.add_segment("cam-1", 2, b"\x47\x00garbage" * 500)  # corrupt: DLQ, then carry on
    scenario.add_segment("cam-1", 3, with_logo, store=False)  # missing object: DLQ too
    scenario.add_segment("cam-1", 4, with_logo)

    found = detections(isolated, 3)
    assert set(found) == {("cam-1", 0), ("cam-1", 1), ("cam-1", 4)}
    assert logos(found[("cam-1", 0)]) == []
    for sequence in (1, 4):
        detection = found[("cam-1", sequence)]
        assert detection.executor.kind is ExecutorKind.local
        sightings = logos(detection)
        assert {label for _, label, _ in sightings} == {"acme"}
        assert len(sightings) == len(detection.frames) == 4
        assert all(iou(box, truth) > 0.5 for _, _, box in sightings)
        assert all(2.0 * sequence <= ts < 2.0 * sequence + 2 for ts, _, _ in sightings)

    dlq = isolated.topics.dlq(isolated.topics.name(Topic.SEGMENTS))
    dead = [m.payload for m in wait_for_messages(isolated.bootstrap, dlq, 2)]
    assert all(isinstance(d, DeadLetter) for d in dead)
    assert [d.error_type for d in dead] == ["CorruptMediaError", "MissingObjectError"]
    assert detector.stop() == 0  # SIGTERM: finish, commit, exit cleanly


def test_a_logo_added_while_running_takes_effect_without_restart(isolated: Isolated) -> None:
    scenario = Scenario(isolated.settings())
    detector = start_detector(isolated)
    with_logo, _ = clip(isolated.tmp, "logo", with_logo=True)
    scenario.add_segment("cam-2", 0, with_logo)
    assert logos(detections(isolated, 1)[("cam-2", 0)]) == []

    scenario.add_logo("acme-1", "acme", ACME)
    # The library is followed in the background: within moments, not before the next segment.
    deadline = time.monotonic() + 60
    while '"logo.added"' not in detector.log_path.read_text():
        assert time.monotonic() < deadline, "the detector never took the new logo"
        time.sleep(0.2)
    scenario.add_segment("cam-2", 1, with_logo)
    assert {label for _, label, _ in logos(detections(isolated, 2)[("cam-2", 1)])} == {"acme"}


def test_lan_and_cloud_policies_and_fallback_when_the_lan_executor_dies(isolated: Isolated) -> None:
    scenario = Scenario(isolated.settings())
    scenario.add_logo("acme-1", "acme", ACME)
    scenario.set_policy("cam-lan", [ExecutorKind.lan, ExecutorKind.local])
    scenario.set_policy("cam-cloud", [ExecutorKind.cloud])
    lan_port, cloud_port = ephemeral_port(), ephemeral_port()
    lan = isolated.spawn(
        "sightline_detector_logo",
        "executor",
        "--port",
        str(lan_port),
        SIGHTLINE_LAN_SECRET="lan-test-secret",
    )
    cloud = isolated.spawn(
        "sightline_analysis.cloud_standin", "--port", str(cloud_port), "--api-key", "k-test"
    )
    lan.wait_http_ok(f"http://127.0.0.1:{lan_port}/readyz", timeout=90)
    cloud.wait_http_ok(f"http://127.0.0.1:{cloud_port}/readyz", timeout=90)
    # Generous call timeouts: this test is about routing, and a loaded test machine can take
    # longer than the default 10 s for an executor's first answer (the fallback below is a dead
    # executor, refused at once, not a timeout).
    detector = start_detector(
        isolated,
        SIGHTLINE_LAN_HOSTS=f"127.0.0.1:{lan_port}",
        SIGHTLINE_LAN_SECRET="lan-test-secret",
        SIGHTLINE_LAN_TIMEOUT="60",
        SIGHTLINE_CLOUD_ENDPOINT=f"http://127.0.0.1:{cloud_port}",
        SIGHTLINE_CLOUD_API_KEY="k-test",
        SIGHTLINE_CLOUD_TIMEOUT="60",
    )
    with_logo, truth = clip(isolated.tmp, "logo", with_logo=True)
    assert truth is not None
    scenario.add_segment("cam-lan", 0, with_logo)
    scenario.add_segment("cam-cloud", 0, with_logo)

    found = detections(isolated, 2)
    by_lan, by_cloud = found[("cam-lan", 0)], found[("cam-cloud", 0)]
    assert (by_lan.executor.kind, by_lan.executor.host) == (
        ExecutorKind.lan,
        f"127.0.0.1:{lan_port}",
    )
    assert by_cloud.executor.kind is ExecutorKind.cloud
    for detection in (by_lan, by_cloud):
        assert detection.executor.fallback_from == []
        sightings = logos(detection)
        assert {label for _, label, _ in sightings} == {"acme"}
        assert all(iou(box, truth) > 0.5 for _, _, box in sightings)

    lan.kill()
    scenario.add_segment("cam-lan", 1, with_logo)
    fallback = detections(isolated, 3)[("cam-lan", 1)]
    assert fallback.executor.kind is ExecutorKind.local
    assert fallback.executor.fallback_from == [ExecutorKind.lan]
    assert {label for _, label, _ in logos(fallback)} == {"acme"}
    metrics_url = f"http://127.0.0.1:{detector.env['SIGHTLINE_HTTP_PORT']}/metrics"
    with urllib.request.urlopen(metrics_url, timeout=5) as response:
        exposition = response.read().decode()
    fallbacks = 'from_executor="lan",to_executor="local"} 1.0'
    assert f'sightline_executor_fallbacks_total{{detector="logo",{fallbacks}' in exposition
