"""Timing helper shared by the benchmarks (run as scripts: ``python benchmarks/bench_x.py``)."""

from __future__ import annotations

import time
from collections.abc import Callable


def best_of(fn: Callable[[], object], repeat: int = 3) -> float:
    """Smallest wall time of *repeat* calls of *fn*, in seconds (least disturbed by load)."""
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def cpu_of(fn: Callable[[], object], repeat: int = 3) -> float:
    """Smallest CPU time of this process over *repeat* calls of *fn* (other jobs' load
    excluded), in seconds."""
    times = []
    for _ in range(repeat):
        t0 = time.process_time()
        fn()
        times.append(time.process_time() - t0)
    return min(times)
