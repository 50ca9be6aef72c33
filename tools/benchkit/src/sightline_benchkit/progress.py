"""Progress for long benchmark runs (tqdm on stderr, so stdout stays the figures)."""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Iterable, Iterator
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
