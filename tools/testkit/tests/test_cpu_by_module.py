"""`SIGHTLINE_TEST_CPU=<file>` tables the CPU of each test module over xdist's workers, a
child process's CPU in the module whose test reaped it."""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from pathlib import Path

InnerPytest = Callable[..., subprocess.CompletedProcess[str]]  # the `inner_pytest` fixture


# The child burns at least 0.5 CPU-s of its own (process time, not wall: the machine is shared).
BUSY_MODULE = """
import subprocess
import sys

BURN = "import time\\nwhile time.process_time() < 0.5:\\n    pass\\n"


def test_busy_child():
    subprocess.run([sys.executable, "-c", BURN], check=True)


def test_idle():
    pass
"""

IDLE_MODULE = """
def test_idle():
    pass
"""


def test_a_reaped_childs_cpu_is_counted_in_its_module_summed_over_the_workers(
    tmp_path: Path, inner_pytest: InnerPytest
) -> None:
    (tmp_path / "test_busy.py").write_text(BUSY_MODULE)
    (tmp_path / "test_idle.py").write_text(IDLE_MODULE)
    table = tmp_path / "cpu.tsv"
    done = inner_pytest(SIGHTLINE_TEST_CPU=str(table))
    assert done.returncode == 0, done.stdout + done.stderr
    assert "CPU by test module" in done.stdout
    header, *lines = table.read_text().splitlines()
    assert header.split("\t") == ["cpu_s", "own_s", "children_s", "wall_s", "tests", "module"]
    rows = {fields[-1]: fields for fields in (line.split("\t") for line in lines)}
    busy, idle = rows["test_busy.py"], rows["test_idle.py"]
    assert float(busy[2]) >= 0.5
    assert busy[4] == "2"
    assert float(idle[2]) < 0.5
    assert idle[4] == "1"
    # Each worker's start-up and collection, counted apart from the tests.
    assert float(rows["(collection)"][1]) > 0
