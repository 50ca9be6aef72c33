"""Progress for long benchmark runs (tqdm on stderr, so stdout stays the figures)."""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from typing import TypeVar

from tqdm import tqdm

T = TypeVar("T")


def progress(items: Iterable[T], desc: str, total: int | None = None) -> Iterator[T]:
    """`items`, with a progress bar named `desc`."""
    yield from tqdm(items, desc=desc, total=total, file=sys.stderr, mininterval=1.0, leave=False)


def wait_with_progress(seconds: float, desc: str, stop: threading.Event | None = None) -> None:
    """Sleep `seconds` (sooner if `stop` is set) showing elapsed time as a bar."""
    started = time.monotonic()
    with tqdm(
        total=round(seconds), desc=desc, unit="s", file=sys.stderr, mininterval=1.0, leave=False
    ) as bar:
        while (elapsed := time.monotonic() - started) < seconds:
            if stop is not None and stop.is_set():
                return
            bar.update(round(elapsed) - bar.n)
            time.sleep(min(1.0, seconds - elapsed))
        bar.update(bar.total - bar.n)


def wait_for_count(
    count: Callable[[], tuple[int, int]], timeout: float, desc: str, poll: float = 0.5
) -> bool:
    """Wait until `count()` = (done, total) has done >= total, at most `timeout` seconds,
    showing done/total; True when everything was done in time."""
    deadline = time.monotonic() + timeout
    done, total = count()
    with tqdm(total=total, desc=desc, file=sys.stderr, mininterval=1.0, leave=False) as bar:
        while done < total and time.monotonic() < deadline:
            time.sleep(poll)
            done, total = count()
            bar.total = total
            bar.update(done - bar.n)
    return done >= total
