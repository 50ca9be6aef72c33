"""Shared fixtures: a short synthetic segment with a logo in it, and its reference image; the
modules that load TensorFlow run on one xdist worker."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

import pytest

from sightline_analysis.analyzers import (
    Analyzer,
    AnalyzerConfig,
    AnalyzerContext,
    AnalyzerRegistry,
    AnalyzerSet,
    LateResult,
)
from sightline_analysis.engine import AnalysisEngine, DetectorIdentity
from sightline_analysis.executors import ExecutorRouter, build_executor
from sightline_analysis.frames import Frame
from sightline_analysis.logo.matcher import LogoMatcher
from sightline_analysis.synthetic import Placement, background, composite, make_logo, write_ts
from sightline_common.errors import MissingObjectError
from sightline_common.messages import ExecutorKind, ResultItem, SegmentReady

LOGO = make_logo("ACME", seed=1)

_HERE = Path(__file__).resolve().parent

# The modules whose tests load TensorFlow (MTCNN faces, the learned logo net). Each pytest
# process that runs one of their tests pays the load once (TensorFlow, Keras and MTCNN's nets:
# ~4.5 CPU-s), and `make test` hands ungrouped tests to its five xdist workers one by one, so
# every worker paid it. In one group they run on one worker, handed out early (the group holds
# an integration test). A module missing here only costs CPU, never a result.
TENSORFLOW_MODULES = frozenset(
    {
        "test_analysis_rates.py",
        "test_analyzers.py",
        "test_logo_learned_net.py",
        "test_logo_learned_weights.py",
        "test_reduced_analysis.py",
    }
)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The tests of `TENSORFLOW_MODULES` share the xdist group "tensorflow" (one worker)."""
    for item in items:
        if item.path.parent == _HERE and item.path.name in TENSORFLOW_MODULES:
            item.add_marker(pytest.mark.xdist_group("tensorflow"))


@pytest.fixture(scope="session")
def logo_segment(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    """2 s of 640x360 at 15 fps with the ACME logo in the middle of every frame."""
    base = background(11, size=(640, 360))
    frame, _ = composite(base, LOGO, Placement(centre=(320, 180), width=160))
    path = tmp_path_factory.mktemp("seg") / "logo.ts"
    return write_ts([frame] * 30, Path(path), fps=15).read_bytes()


class Memory:
    """Segment bytes by (bucket, key), as the store would hand them out."""

    def __init__(self, objects: dict[tuple[str, str], bytes]) -> None:
        self.objects = objects

    def get_bytes(self, bucket: str, key: str) -> bytes:
        try:
            return self.objects[(bucket, key)]
        except KeyError:
            raise MissingObjectError(f"object {bucket}/{key} not found") from None


def segment(key: str, sequence: int = 7, media_start: float = 14.0) -> SegmentReady:
    return SegmentReady(
        stream_id="cam-1",
        sequence=sequence,
        bucket="seg",
        object_key=key,
        playlist_key="cam-1/index.m3u8",
        media_start=media_start,
        duration=2.0,
        wall_clock=datetime.now(UTC),
        size_bytes=1,
        sha256="0" * 64,
    )


class FoundLate(Analyzer):
    """Finds nothing on a call's frames and, from a stream's second call on, `acme` on the
    previous call's last two frames (as the logo analyzer reports a logo followed back)."""

    key = "found-late"
    config_model = AnalyzerConfig

    def __init__(self) -> None:
        super().__init__(AnalyzerConfig(type=self.key), AnalyzerContext())
        self.calls: dict[str, int] = {}

    def analyze(self, stream_id: str, frames: Sequence[Frame]) -> list[list[ResultItem]]:
        self.calls[stream_id] = self.calls.get(stream_id, 0) + 1
        return [[] for _ in frames]

    def late(self, stream_id: str) -> list[LateResult]:
        if self.calls.get(stream_id, 0) < 2:
            return []
        return [LateResult(ago, ResultItem(kind="logo", label="acme", confidence=0.5 + ago / 10))
                for ago in (2, 1)]  # fmt: skip


@pytest.fixture
def engine(logo_segment: bytes, logo_analyzers: AnalyzerSet) -> AnalysisEngine:
    """An engine over in-memory segments `logo.ts` (ACME in it) and `bad.ts` (not video)."""
    analyzers = logo_analyzers
    router = ExecutorRouter(
        "logo", {ExecutorKind.local: build_executor({"type": "local"}, analyzers)}
    )
    identity = DetectorIdentity("logo", "0.1.0", analyzers.fingerprint())
    store = Memory({("seg", "logo.ts"): logo_segment, ("seg", "bad.ts"): b"\x47" * 1000})
    return AnalysisEngine(identity, router, store)


@pytest.fixture
def logo_analyzers() -> AnalyzerSet:
    """A logo analyzer set whose library holds ACME."""
    matcher = LogoMatcher()
    matcher.add("acme-1", "acme", LOGO)
    return AnalyzerSet(
        [AnalyzerRegistry.discover().build("logo", AnalyzerContext(logo_matcher=matcher))]
    )
