"""`--dist loadgroup` keeps an `xdist_group` on one worker, as `make test` relies on (a module's
private broker started once; tests that must not overlap run one after another)."""

from __future__ import annotations

import subprocess
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path

InnerPytest = Callable[..., subprocess.CompletedProcess[str]]  # the `inner_pytest` fixture

GROUPED_MODULE = """
import os
import time
from pathlib import Path

import pytest

pytestmark = pytest.mark.xdist_group("shared")


@pytest.mark.parametrize("index", range(6))
def test_grouped(index):
    time.sleep(0.2)  # long enough that, ungrouped, the other worker would take some
    with Path(os.environ["WORKERS_LOG"]).open("a") as log:
        log.write(f"grouped {os.environ['PYTEST_XDIST_WORKER']}\\n")
"""

FREE_MODULE = """
import os
from pathlib import Path

import pytest


@pytest.mark.parametrize("index", range(6))
def test_free(index):
    with Path(os.environ["WORKERS_LOG"]).open("a") as log:
        log.write(f"free {os.environ['PYTEST_XDIST_WORKER']}\\n")
"""


def test_a_group_runs_on_one_worker_while_other_tests_spread(
    tmp_path: Path, inner_pytest: InnerPytest
) -> None:
    # The grouped module is collected first: ungrouped, its tests would be the first handed out,
    # alternately to both workers.
    (tmp_path / "test_a_grouped.py").write_text(GROUPED_MODULE)
    (tmp_path / "test_b_free.py").write_text(FREE_MODULE)
    log = tmp_path / "workers.log"
    done = inner_pytest("--dist", "loadgroup", WORKERS_LOG=str(log))
    assert done.returncode == 0, done.stdout + done.stderr
    workers: dict[str, list[str]] = defaultdict(list)
    for line in log.read_text().splitlines():
        kind, worker = line.split()
        workers[kind].append(worker)
    assert len(workers["grouped"]) == 6
    assert len(set(workers["grouped"])) == 1
    assert len(workers["free"]) == 6
