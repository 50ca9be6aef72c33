"""`Isolated.run`: a CLI's answer comes back as it ran, and a CLI that hangs fails its test with
where it was waiting (an operator CLI call once hung past its bound with no trace of why)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from sightline_common.topics import TopicNames
from sightline_testkit.plugin import CliHangError, Isolated

_CLI = """
import sys
import time


def waiting_for_an_answer() -> None:
    print("started", flush=True)
    time.sleep(600)


if sys.argv[1:] == ["hang"]:
    waiting_for_an_answer()
print("answer", *sys.argv[1:])
sys.exit(3)
"""


@pytest.fixture
def box(tmp_path: Path) -> Isolated:
    """A slice whose environment finds a small CLI module (no platform needed)."""
    (tmp_path / "small_cli.py").write_text(_CLI)
    return Isolated(env={"PYTHONPATH": str(tmp_path)}, topics=TopicNames(prefix="t."), tmp=tmp_path)


def test_a_finished_cli_gives_its_output_and_exit_code(box: Isolated) -> None:
    done = box.run("small_cli", "list")
    assert (done.returncode, done.stdout) == (3, "answer list\n")
    assert done.args == [sys.executable, "-m", "small_cli", "list"]


def test_a_hung_cli_fails_with_where_it_waits(box: Isolated) -> None:
    # 10 s: ample for an interpreter to start and reach the sleep on a loaded machine.
    with pytest.raises(CliHangError) as failure:
        box.run("small_cli", "hang", timeout=10)
    message = str(failure.value)
    assert "small_cli hang did not finish in 10 s" in message
    assert "waiting_for_an_answer" in message
    assert "started" in message
