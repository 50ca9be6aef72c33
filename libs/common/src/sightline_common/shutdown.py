"""Graceful shutdown: SIGTERM (Kubernetes, the supervisor) and SIGINT (Ctrl-C) ask a service's
main loop to stop, so it finishes what is in flight, commits and exits 0."""

from __future__ import annotations

import signal
from collections.abc import Callable
from types import FrameType

import structlog


def stop_on_signals(stop: Callable[[], None], event: str) -> None:
    """Call `stop` on SIGTERM or SIGINT, logging `event` with the signal (main thread only)."""
    log = structlog.get_logger(__name__)

    def _graceful(signum: int, _frame: FrameType | None) -> None:
        log.info(event, signal=signal.Signals(signum).name)
        stop()

    signal.signal(signal.SIGTERM, _graceful)
    signal.signal(signal.SIGINT, _graceful)
