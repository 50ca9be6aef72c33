"""Polling for a real health check with a deadline and an error that says where to look."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

from sightline_devstack.errors import ServerStartError


def wait_for(
    check: Callable[[], bool],
    *,
    what: str,
    timeout: float,
    log_path: Path | None = None,
    still_running: Callable[[], bool] | None = None,
    interval: float = 0.25,
) -> None:
    """Call `check` until it returns True.

    Raises ServerStartError (naming `log_path`) when `timeout` passes, or at once when
    `still_running` says the process has died, since waiting longer could not help.
    """
    deadline = time.monotonic() + timeout
    while True:
        if check():
            return
        if still_running is not None and not still_running():
            raise ServerStartError(f"{what}: the process exited while starting", log_path)
        if time.monotonic() >= deadline:
            raise ServerStartError(f"{what}: not healthy after {timeout:.0f}s", log_path)
        time.sleep(interval)
