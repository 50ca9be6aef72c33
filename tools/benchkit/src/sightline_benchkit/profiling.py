"""A cProfile top-N of a hot path, as text for `BenchResults.attach`."""

from __future__ import annotations

import cProfile
import io
import pstats
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


def profile_top(work: Callable[[], T], top: int = 20, sort: str = "tottime") -> tuple[T, str]:
    """Run `work` under cProfile; returns its result and the `top` functions by `sort`.

    `tottime` (time in the function itself) points at the code that burns the CPU;
    `cumulative` shows which call path it sits under.
    """
    profiler = cProfile.Profile()
    result = profiler.runcall(work)
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out).strip_dirs().sort_stats(sort)
    stats.print_stats(top)
    lines = out.getvalue().splitlines()
    start = next((i for i, line in enumerate(lines) if "function calls" in line), 0)
    return result, "\n".join(line.rstrip() for line in lines[start:] if line.strip()) + "\n"
