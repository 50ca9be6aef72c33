"""Lowering a process's CPU priority reaches every thread, not only the calling one."""

from __future__ import annotations

import json
import os
import subprocess
import sys

# A process with a thread that exists before the call (as numeric libraries' pools started by
# imports do) and one started after it; it prints every thread's niceness.
CHILD = """
import json, os, threading
from sightline_analysis.priority import lower_priority
gate = threading.Event()
before = threading.Thread(target=gate.wait)
before.start()
lower_priority(3)
after = threading.Thread(target=gate.wait)
after.start()
tasks = os.listdir("/proc/self/task")
print(json.dumps({t: os.getpriority(os.PRIO_PROCESS, int(t)) for t in tasks}))
gate.set()
"""


def test_every_thread_of_the_process_runs_nicer_those_started_before_included() -> None:
    started = os.getpriority(os.PRIO_PROCESS, 0)
    result = subprocess.run(
        [sys.executable, "-c", CHILD], capture_output=True, text=True, check=True, timeout=60
    )
    niceness = json.loads(result.stdout)
    assert len(niceness) == 3  # (os.nice alone left the thread started before at `started`)
    assert set(niceness.values()) == {min(19, started + 3)}
