"""CPU priority for work that must yield to the cheap services on a shared host.

A live detector's analysis runs below ingest, the notifier and results-api, and a replay or a
proposal-net training below live analysis: each lowers its whole process before it starts its
work, its libraries' worker threads included.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path


def lower_priority(increment: int) -> None:
    """Make every thread of this process `increment` nicer (at most 19), and so every thread
    it starts later (a thread inherits its creator's niceness). On Linux niceness is per
    thread, and threads that imports started (numeric libraries' pools) exist already:
    `os.nice` would lower only the calling one, so each is lowered. Elsewhere, the process
    is."""
    if increment <= 0:
        return
    tasks = Path("/proc/self/task")
    if not tasks.is_dir():
        os.nice(increment)
        return
    for task in tasks.iterdir():
        tid = int(task.name)
        with contextlib.suppress(ProcessLookupError):  # a thread that has just ended
            now = os.getpriority(os.PRIO_PROCESS, tid)
            os.setpriority(os.PRIO_PROCESS, tid, min(19, now + increment))
