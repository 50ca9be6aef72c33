"""A thread that repeats one step (a pickup pass, an upload pass…) until told to stop.

A step that did work runs again at once (and wakes the worker it feeds, `then`); an idle step
waits `interval` or until `nudge` is called (pickup is nudged when nginx writes a playlist,
upload when pickup spooled a segment), so a segment is not held a poll period at each hop. A
`TransientError` (storage or broker down) backs off exponentially; any other failure is logged
and backed off too, so one bad pass never kills the thread that keeps streams flowing. Storage
refusing ingest's login (`StorageAccessDeniedError`: a policy or secret to fix) is logged as
such, and the spooled segments wait at the longest back-off until it is fixed.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

import structlog

from sightline_common.errors import StorageAccessDeniedError, TransientError

log = structlog.get_logger(__name__)

Step = Callable[[], int]


class RepeatingWorker:
    """Runs `step` in a daemon thread; `healthy` is False while it is backing off."""

    def __init__(
        self,
        name: str,
        step: Step,
        *,
        interval: float,
        stopping: threading.Event,
        max_backoff: float = 10.0,
        then: RepeatingWorker | None = None,
    ) -> None:
        self.name = name
        self._step = step
        self._interval = interval
        self._stopping = stopping
        self._max_backoff = max_backoff
        self._then = then
        self._wake = threading.Event()
        self._healthy = True
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)

    @property
    def healthy(self) -> bool:
        """False while the last pass failed."""
        return self._healthy

    def start(self) -> None:
        """Start the thread."""
        self._thread.start()

    def nudge(self) -> None:
        """Run the next pass now rather than after the idle interval (thread-safe)."""
        self._wake.set()

    def join(self, timeout: float) -> None:
        """Wait for the thread to finish its pass after `stopping` is set."""
        self._thread.join(timeout)

    def _run(self) -> None:
        backoff = 0.0
        while not self._stopping.is_set():
            try:
                did = self._step()
            except TransientError as exc:
                backoff = min(max(backoff * 2, 0.5), self._max_backoff)
                log.warning(
                    "worker.transient_failure", worker=self.name, reason=str(exc), retry_in=backoff
                )
            except StorageAccessDeniedError as exc:
                # The reason names the user and the refused action; a traceback would bury it.
                backoff = self._max_backoff
                log.error(  # noqa: TRY400
                    "worker.storage_access_denied",
                    worker=self.name,
                    reason=str(exc),
                    retry_in=backoff,
                )
            except Exception:  # the loop must outlive one bad pass (logged below)
                backoff = min(max(backoff * 2, 0.5), self._max_backoff)
                log.exception("worker.failed", worker=self.name, retry_in=backoff)
            else:
                self._healthy, backoff = True, 0.0
                if did:
                    if self._then is not None:
                        self._then.nudge()
                    continue
                self._wake.wait(self._interval)
                self._wake.clear()
                continue
            self._healthy = False
            self._stopping.wait(backoff)
