"""pytest fixtures: the real platform once per session, isolated resources per test.

Integration tests never share topics, buckets or database schemas: each test gets a unique
topic prefix (its own full set of topics and DLQs), its own bucket names and its own schema,
all removed afterwards, so tests can run in any order against one long-lived platform.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import psycopg
import pytest
from _pytest.nodeid import NodeId

from sightline_common.settings import ServiceSettings
from sightline_common.storage import ObjectStore
from sightline_common.topics import TopicNames
from sightline_testkit import cpu_by_module, forked
from sightline_testkit.kafka import create_topics, delete_topics
from sightline_testkit.nginx import private_nginx
from sightline_testkit.processes import ChildProcess

__all__ = ["CliHangError", "Isolated", "private_nginx"]  # and the fixtures below

_STACKS_WITHIN_S = 30.0  # a hung CLI's faulthandler dump, on a loaded machine
_FORK = os.environ.get("SIGHTLINE_TEST_FORK", "1") != "0"


class CliHangError(AssertionError):
    """A CLI run by a test did not finish in time; carries where its threads were waiting."""

    def __init__(self, command: list[str], timeout: float, stdout: str, stderr: str) -> None:
        super().__init__(
            f"{' '.join(command[1:])} did not finish in {timeout:.0f} s; its threads then "
            f"(faulthandler) and output:\n--- stderr\n{stderr[-6000:]}\n--- stdout\n"
            f"{stdout[-2000:]}"
        )


@dataclass
class Isolated:
    """One test's private slice of the platform, as environment for services and clients."""

    env: dict[str, str]
    topics: TopicNames
    tmp: Path
    children: list[ChildProcess] = field(default_factory=list)

    @property
    def bootstrap(self) -> str:
        """Kafka bootstrap servers."""
        return self.env["SIGHTLINE_KAFKA_BOOTSTRAP"]

    def settings(self, **overrides: str) -> ServiceSettings:
        """Shared settings as a service in this test would read them."""
        values = {**self.env, **overrides}
        return ServiceSettings.model_validate(
            {k.removeprefix("SIGHTLINE_").lower(): v for k, v in values.items()}
        )

    def run(
        self, module: str, *args: str, timeout: float = 240.0
    ) -> subprocess.CompletedProcess[str]:
        """Run `python -m module args` to its end with this test's environment (a CLI, as an
        operator runs it: its own process, so its logging setup stays out of the test's).
        The timeout only bounds a hang: a PDF report took over 60 s on a loaded 2-core CI run.
        A CLI that hangs is made to print where each of its threads waits (faulthandler on
        SIGABRT) and the test fails with that, its output so far and the command: an operator
        CLI call once ran past 240 s on a loaded machine and left no trace of why."""
        command = [sys.executable, "-m", module, *args]
        env = {**os.environ, **self.env, "PYTHONFAULTHANDLER": "1"}
        with tempfile.TemporaryDirectory(prefix="sightline-cli-") as folder:
            out, err = Path(folder) / "stdout", Path(folder) / "stderr"
            child = _start_cli(command, env, out, err)
            try:
                code = child.wait(timeout)
            except subprocess.TimeoutExpired:
                child.send_signal(signal.SIGABRT)
                try:
                    child.wait(_STACKS_WITHIN_S)
                except subprocess.TimeoutExpired:
                    child.kill()
                    child.wait(_STACKS_WITHIN_S)
                raise CliHangError(command, timeout, _text(out), _text(err)) from None
            return subprocess.CompletedProcess(command, code, _text(out), _text(err))

    def spawn(self, module: str, *args: str, **env: str) -> ChildProcess:
        """Start `python -m module` with this test's environment, forked by the fork server
        (`forkserver`: its libraries already imported; `SIGHTLINE_TEST_FORK=0` starts a new
        interpreter instead); stopped at teardown."""
        name = module.rsplit(".", 1)[-1]
        log = self.tmp / "logs" / f"{name}-{len(self.children)}.log"
        start = ChildProcess.forked_module if _FORK else ChildProcess.python_module
        child = start(module, args, {**self.env, **env}, log).start()
        self.children.append(child)
        return child


def pytest_configure(config: pytest.Config) -> None:
    """With `SIGHTLINE_TEST_CPU=<file>`, measure the CPU of each test module (cpu_by_module)."""
    cpu_by_module.register(config)


def _start_cli(
    command: list[str], env: dict[str, str], out: Path, err: Path
) -> subprocess.Popen[bytes] | forked.ForkedProcess:
    """`command` (`python -m module args`) with its stdout and stderr in files: forked by the
    fork server, or (`SIGHTLINE_TEST_FORK=0`) a new interpreter."""
    if _FORK:
        return forked.server().spawn(command[2], command[3:], env, out, stderr=err)
    with out.open("wb") as stdout, err.open("wb") as stderr:
        return subprocess.Popen(command, env=env, stdout=stdout, stderr=stderr)


def _text(path: Path) -> str:
    return path.read_text(errors="replace") if path.exists() else ""


def pytest_sessionfinish(session: pytest.Session) -> None:
    """End this process's fork server (the tests stopped its children), so that it is reaped
    inside the session's CPU count."""
    forked.close_server()


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Under pytest-xdist, keep each `xdist_group` on one worker, and hand out the longest tests
    first, then the other integration tests.

    Workers take tests in collection order as they free up; a long integration test (streams
    pushed in real time, services started) handed out at the end would leave one worker busy
    while the others idle. A test that declares a timeout above the default (`timeout` marker)
    is one of the few minute-long ones (chaos, overload, reanalysis): the longer its timeout,
    the earlier it starts. A stable sort, the same on every worker, as xdist requires.
    """
    if os.environ.get("PYTEST_XDIST_WORKER"):
        if config.getoption("loadgroup", default=False):
            for item in items:
                _name_group_in_node_id(item)
        items.sort(key=_long_tests_first)


@dataclass(frozen=True, slots=True, kw_only=True)
class _GroupedNodeId(NodeId):
    """A test's node id with its `xdist_group` after an `@`, as `--dist loadgroup` reads it."""

    group: str

    def __str__(self) -> str:
        return f"{NodeId.__str__(self)}@{self.group}"


def _name_group_in_node_id(item: pytest.Item) -> None:
    """pytest-xdist's worker appends the group to the test's node id for the scheduler, but
    pytest 9.2 derives node ids from a structured id that xdist 3.8 does not change
    (pytest-xdist#1386): every grouped test was scheduled alone, so a module's private broker
    started once per worker that ran one of its tests, and tests meant to run one after another
    ran side by side. The group goes into the structured id here instead."""
    groups = sorted(
        {
            str(mark.args[0] if mark.args else mark.kwargs.get("name", "default"))
            for mark in item.iter_markers("xdist_group")
        }
    )
    if groups and not item.nodeid.endswith(f"@{'_'.join(groups)}"):
        plain: NodeId = item._id
        item._id = _GroupedNodeId(
            path=plain.path, names=plain.names, params=plain.params, group="_".join(groups)
        )


def _long_tests_first(item: pytest.Item) -> tuple[bool, float]:
    declared = item.get_closest_marker("timeout")
    timeout = float(declared.args[0]) if declared is not None and declared.args else 0.0
    return item.get_closest_marker("integration") is None, -timeout


@pytest.fixture(scope="session")
def platform_env() -> dict[str, str]:
    """The local platform's settings, bringing it up first if it is not running."""
    from sightline_devstack.platform import ensure_up  # noqa: PLC0415 - only integration needs it

    return ensure_up().as_env()


@contextmanager
def isolated_slice(
    platform_env: dict[str, str], tmp: Path, max_partitions: int | None = None
) -> Iterator[Isolated]:
    """Unique topics (each with at most `max_partitions` partitions when given, else as
    `TOPIC_SPECS` shapes them), buckets and a database schema; removed, and its processes
    stopped, on exit."""
    tag = f"t{uuid.uuid4().hex[:10]}"
    names = TopicNames(prefix=f"{tag}.")
    bootstrap = platform_env["SIGHTLINE_KAFKA_BOOTSTRAP"]
    created = create_topics(bootstrap, names, max_partitions)
    env = {
        **platform_env,
        "SIGHTLINE_TOPIC_PREFIX": names.prefix,
        "SIGHTLINE_SEGMENTS_BUCKET": f"{tag}-segments",
        "SIGHTLINE_LOGOS_BUCKET": f"{tag}-logos",
        "SIGHTLINE_DATABASE_SCHEMA": tag,
        # File sources may be read from the test's own folder only (the source policy).
        "SIGHTLINE_MEDIA_DIR": str(tmp),
        # A test measures what a detector finds; a busy CI machine must not turn that into
        # overload shedding. Tests of shedding set their own bound.
        "SIGHTLINE_MAX_LIVE_LAG_S": "0",
    }
    box = Isolated(env=env, topics=names, tmp=tmp)
    store = ObjectStore.from_settings(box.settings())
    for bucket in (env["SIGHTLINE_SEGMENTS_BUCKET"], env["SIGHTLINE_LOGOS_BUCKET"]):
        store.ensure_bucket(bucket)
    try:
        yield box
    finally:
        for child in reversed(box.children):
            child.stop()
        delete_topics(bootstrap, created)
        _remove_buckets(store, [env["SIGHTLINE_SEGMENTS_BUCKET"], env["SIGHTLINE_LOGOS_BUCKET"]])
        _drop_schema(platform_env, tag)


@pytest.fixture
def isolated(
    request: pytest.FixtureRequest, platform_env: dict[str, str], tmp_path: Path
) -> Iterator[Isolated]:
    """Unique topics, buckets and a database schema for one test; removed afterwards. Its topics
    have one partition each unless the test (or module) is marked otherwise (`_max_partitions`)."""
    with isolated_slice(platform_env, tmp_path, _max_partitions(request.node)) as box:
        yield box


def _max_partitions(node: pytest.Item | pytest.Collector) -> int | None:
    """The partition cap of a test's topic set: `topic_partitions(n)` caps at n,
    `topic_partitions(None)` keeps the production counts of `TOPIC_SPECS`, unmarked is 1.

    Every isolated test creates and deletes a whole topic set; the shared broker's metadata work
    grows with the partitions (0.34 CPU-s per set at production counts, 0.14 at one partition
    each; nproc 2, load ~3.5), and most tests are about one stream or a few, not partitions.
    Tests of consumer groups, rebalances or work spread over partitions opt out with `None`.
    """
    marker = node.get_closest_marker("topic_partitions")
    if marker is None:
        return 1
    cap = marker.args[0]
    return None if cap is None else int(cap)


@pytest.fixture(scope="module")
def isolated_module(
    request: pytest.FixtureRequest,
    platform_env: dict[str, str],
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Isolated]:
    """One slice shared by a module's tests, for a server they may all use (its start-up paid
    once): the module's tests must not depend on each other's leftovers, and should carry one
    `xdist_group`, or every worker that runs one of them starts the module's own."""
    folder = tmp_path_factory.mktemp("module")
    with isolated_slice(platform_env, folder, _max_partitions(request.node)) as box:
        yield box


@pytest.fixture
def on_teardown() -> Iterator[Callable[[Callable[[], None]], None]]:
    """Register clean-up callables that run after the test, last registered first."""
    callbacks: list[Callable[[], None]] = []
    yield callbacks.append
    for callback in reversed(callbacks):
        callback()


def _remove_buckets(store: ObjectStore, buckets: list[str]) -> None:
    client = store.client
    for bucket in buckets:
        if not client.bucket_exists(bucket):
            continue
        for obj in client.list_objects(bucket, recursive=True):
            if obj.object_name is not None:
                client.remove_object(bucket, obj.object_name)
        client.remove_bucket(bucket)


def _drop_schema(platform_env: dict[str, str], schema: str) -> None:
    url = platform_env["SIGHTLINE_DATABASE_URL"].replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')  # tag is generated, not input
