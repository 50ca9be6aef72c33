"""Opt-in: where a test run's CPU goes, by test module (`SIGHTLINE_TEST_CPU=<file>`).

The suite is CPU-bound on a 2-core CI machine (four xdist workers), so cutting its time means
cutting CPU, and wall durations (`--durations`) do not say which: a test that waits 40 s on a
real-time stream may use 5 CPU-s, one that starts six services 60. Each worker measures every
test's protocol (setup, call, teardown) with `getrusage`: its own CPU (RUSAGE_SELF) and that
of the child processes reaped meanwhile (RUSAGE_CHILDREN: services, CLIs, ffmpeg, each with
its own reaped children; services forked by the worker's fork server as the server reports
their end, `forked.unreaped_cpu`). A child is counted when it is reaped, so a server started by a
module-scoped fixture is counted in the test whose teardown stops it (the module's last on
that worker); one that outlives every test, in the session's end. A worker's start-up and
collection are counted as "(collection)". Not counted: the platform's servers (Kafka,
Postgres, MinIO, nginx), which the suite does not start, and processes a test leaves running.

The controller (or a run without xdist) sums the workers' figures, writes them to the file as
tab-separated lines (CPU-s total, own, children, wall s, tests, module), largest first, and
prints the top 15 in the terminal summary.
"""

from __future__ import annotations

import json
import os
import resource
import time
from collections.abc import Generator
from dataclasses import dataclass
from pathlib import Path

import pytest

from sightline_testkit import forked

ENV = "SIGHTLINE_TEST_CPU"
_KEY = "sightline_cpu_by_module"
_COLLECTION = "(collection)"
_SESSION_END = "(session end)"


@dataclass(slots=True)
class Usage:
    """CPU seconds (user + sys) of this process and of its reaped children, and wall seconds."""

    own: float = 0.0
    children: float = 0.0
    wall: float = 0.0
    tests: int = 0

    @classmethod
    def now(cls) -> Usage:
        """The process's cumulative figures so far (wall: the monotonic clock)."""
        me = resource.getrusage(resource.RUSAGE_SELF)
        kids = resource.getrusage(resource.RUSAGE_CHILDREN)
        children = kids.ru_utime + kids.ru_stime + forked.unreaped_cpu()
        return cls(me.ru_utime + me.ru_stime, children, time.monotonic())

    def add_since(self, start: Usage, tests: int = 0) -> None:
        """Add what was used between `start` and now."""
        end = Usage.now()
        self.merge(
            Usage(end.own - start.own, end.children - start.children, end.wall - start.wall, tests)
        )

    def merge(self, other: Usage) -> None:
        """Add `other`'s figures (another worker's, or a stretch of this one's)."""
        self.own += other.own
        self.children += other.children
        self.wall += other.wall
        self.tests += other.tests


class CpuByModule:
    """Per-module CPU of one pytest process, summed over the workers by the controller."""

    def __init__(self, config: pytest.Config, out: Path) -> None:
        self.config = config
        self.out = out
        self.by_module: dict[str, Usage] = {}
        # A worker's own CPU since it started: interpreter start, plugins, collection.
        self.by_module[_COLLECTION] = Usage()
        self._mark = Usage(0.0, 0.0, time.monotonic())
        self._collecting = True

    def _usage(self, module: str) -> Usage:
        return self.by_module.setdefault(module, Usage())

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_protocol(self, item: pytest.Item) -> Generator[None, object, object]:
        """Count the test's setup, call and teardown against its module."""
        if self._collecting:
            self._usage(_COLLECTION).add_since(self._mark)
            self._collecting = False
        start = Usage.now()
        try:
            return (yield)
        finally:
            self._usage(item.location[0]).add_since(start, tests=1)

    # Inside xdist's own wrapper, which sends `workeroutput` to the controller after the other
    # implementations (the session-scoped fixtures' teardown among them) have run.
    @pytest.hookimpl(wrapper=True, trylast=True)
    def pytest_sessionfinish(self, session: pytest.Session) -> Generator[None, object, object]:
        """Count session-scoped teardown, then hand a worker's figures to the controller."""
        start = Usage.now()
        try:
            return (yield)
        finally:
            self._usage(_SESSION_END).add_since(start)
            workeroutput = getattr(self.config, "workeroutput", None)
            if workeroutput is not None:
                workeroutput[_KEY] = json.dumps(
                    {n: [u.own, u.children, u.wall, u.tests] for n, u in self.by_module.items()}
                )

    def add_worker(self, encoded: str) -> None:
        """Sum one finished worker's figures into this (the controller's) table."""
        for name, (own, children, wall, tests) in json.loads(encoded).items():
            self._usage(name).merge(Usage(own, children, wall, tests))

    def rows(self) -> list[tuple[str, Usage]]:
        """Modules, most CPU first."""
        return sorted(self.by_module.items(), key=lambda row: -(row[1].own + row[1].children))

    def pytest_terminal_summary(self, terminalreporter: pytest.TerminalReporter) -> None:
        """Without xdist, this process's table (a worker has no terminal summary to give)."""
        if getattr(self.config, "workeroutput", None) is None:
            self.report(terminalreporter)

    def report(self, terminalreporter: pytest.TerminalReporter) -> None:
        """Write the table and print its top 15."""
        lines = [
            "\t".join(
                (
                    *(f"{s:.1f}" for s in (u.own + u.children, u.own, u.children, u.wall)),
                    str(u.tests),
                    name,
                )
            )
            for name, u in self.rows()
        ]
        self.out.write_text(
            "cpu_s\town_s\tchildren_s\twall_s\ttests\tmodule\n" + "\n".join(lines) + "\n"
        )
        total = sum(u.own + u.children for u in self.by_module.values())
        terminalreporter.write_sep("=", f"CPU by test module ({total:.0f} CPU-s, {self.out})")
        for line in lines[:15]:
            terminalreporter.write_line(line)


class _Controller:
    """xdist's controller: collects each worker's table as the worker finishes."""

    def __init__(self, table: CpuByModule) -> None:
        self.table = table

    def pytest_terminal_summary(self, terminalreporter: pytest.TerminalReporter) -> None:
        """The summed table."""
        self.table.report(terminalreporter)

    def pytest_testnodedown(self, node: object, error: object) -> None:
        """A worker finished: add its figures (none if it crashed)."""
        encoded = getattr(node, "workeroutput", {}).get(_KEY)
        if encoded is not None:
            self.table.add_worker(encoded)


def register(config: pytest.Config) -> None:
    """Install the measurement if `SIGHTLINE_TEST_CPU` names an output file: on each worker, or
    in the one process of a run without xdist. An xdist controller runs no test (its children
    are the workers, whose own figures it is sent) and only sums and reports."""
    out = os.environ.get(ENV)
    if not out:
        return
    table = CpuByModule(config, Path(out))
    worker = getattr(config, "workeroutput", None) is not None
    if not worker and config.getoption("dist", "no") != "no":
        config.pluginmanager.register(_Controller(table), "sightline-cpu-by-module-controller")
    else:
        config.pluginmanager.register(table, "sightline-cpu-by-module")
