"""LAN and cloud executors against real HTTP servers (the executor app and the stand-in)."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from sightline_analysis.analyzers import AnalyzerContext, AnalyzerRegistry, AnalyzerSet
from sightline_analysis.cloud_standin import standin_app
from sightline_analysis.decode import decode_sampled
from sightline_analysis.executor_server import ExecutorLimits, executor_app
from sightline_analysis.executors import AnalysisCall, ExecutorFailedError, build_executor
from sightline_analysis.logo.matcher import LogoMatcher
from sightline_common.ops import BackgroundServer
from sightline_devstack.ports import ephemeral_port

from .conftest import LOGO, FoundLate

SECRET = "lan-test-secret"


@pytest.fixture(scope="module")
def analyzers() -> AnalyzerSet:
    matcher = LogoMatcher()
    matcher.add("acme-1", "acme", LOGO)
    return AnalyzerSet(
        [AnalyzerRegistry.discover().build("logo", AnalyzerContext(logo_matcher=matcher))]
    )


@pytest.fixture
def call(logo_segment: bytes) -> AnalysisCall:
    return AnalysisCall("cam-1", decode_sampled(logo_segment, sample_fps=1))


def serve(app: object) -> Iterator[str]:
    port = ephemeral_port()
    server = BackgroundServer(app, "127.0.0.1", port)  # type: ignore[arg-type]
    server.start()
    try:
        yield f"127.0.0.1:{port}"
    finally:
        server.stop()


@pytest.fixture(scope="module")
def lan_host(analyzers: AnalyzerSet) -> Iterator[str]:
    yield from serve(executor_app(analyzers, lambda: True, ExecutorLimits(SECRET), "lan-a"))


@pytest.fixture(scope="module")
def cloud_url(analyzers: AnalyzerSet) -> Iterator[str]:
    yield from serve(standin_app({"logo": analyzers.analyzers[0]}, "k1", lambda: True))


@pytest.fixture(scope="module")
def slow_cloud_url(analyzers: AnalyzerSet) -> Iterator[str]:
    yield from serve(standin_app({"logo": analyzers.analyzers[0]}, "k1", lambda: True, delay=3))


def test_the_lan_executor_skips_a_dead_host_and_answers_from_a_live_one(
    analyzers: AnalyzerSet, lan_host: str, call: AnalysisCall
) -> None:
    dead = f"127.0.0.1:{ephemeral_port()}"
    lan = build_executor(
        {"type": "lan", "hosts": [dead, lan_host], "secret": SECRET, "timeout": 5}, analyzers
    )
    for _ in range(2):  # whichever host the rotation starts at
        answer = lan.run(call)
        assert answer.host == "lan-a"
        assert [r[0].label for r in answer.results] == ["acme"] * len(call.frames)


def test_the_lan_executor_brings_back_results_on_the_previous_calls_frames(
    call: AnalysisCall,
) -> None:
    lagging = AnalyzerSet([FoundLate()])
    for host in serve(executor_app(lagging, lambda: True, ExecutorLimits(SECRET), "lan-b")):
        lan = build_executor({"type": "lan", "hosts": [host], "secret": SECRET}, lagging)
        assert lan.run(call).late == []
        late = lan.run(call).late
        assert [(r.ago, r.item.label, r.item.confidence) for r in late] == [
            (2, "acme", 0.7), (1, "acme", 0.6)]  # fmt: skip


def test_the_lan_executor_fails_when_no_host_answers(
    analyzers: AnalyzerSet, call: AnalysisCall
) -> None:
    lan = build_executor(
        {"type": "lan", "hosts": [f"127.0.0.1:{ephemeral_port()}"], "secret": SECRET}, analyzers
    )
    with pytest.raises(ExecutorFailedError, match="no LAN host answered"):
        lan.run(call)


def test_the_cloud_executor_speaks_images_annotate(
    analyzers: AnalyzerSet, cloud_url: str, call: AnalysisCall
) -> None:
    cloud = build_executor(
        {"type": "cloud", "endpoint": f"http://{cloud_url}", "api_key": "k1"}, analyzers
    )
    answer = cloud.run(call)
    assert answer.host == "127.0.0.1"
    for results in answer.results:
        (logo,) = results
        assert logo.kind == "logo"
        assert logo.label == "acme"
        assert logo.box is not None
        assert logo.box.w > 0.1
        assert logo.polygon is not None
        assert len(logo.polygon) == 4


def test_the_cloud_executor_fails_on_a_wrong_key(
    analyzers: AnalyzerSet, cloud_url: str, call: AnalysisCall
) -> None:
    cloud = build_executor(
        {"type": "cloud", "endpoint": f"http://{cloud_url}", "api_key": "wrong"}, analyzers
    )
    with pytest.raises(ExecutorFailedError, match="403"):
        cloud.run(call)


def test_a_slow_cloud_call_is_cut_off_by_its_timeout(
    analyzers: AnalyzerSet, slow_cloud_url: str, call: AnalysisCall
) -> None:
    cloud = build_executor(
        {"type": "cloud", "endpoint": f"http://{slow_cloud_url}", "api_key": "k1", "timeout": 0.5},
        analyzers,
    )
    started = time.monotonic()
    with pytest.raises(ExecutorFailedError, match="Timeout"):
        cloud.run(call)
    assert time.monotonic() - started < 2.5
