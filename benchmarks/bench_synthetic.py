"""Benchmark of the synthetic generator: rows per second and linearity in scale.

Times :func:`pace_analysis.synthetic.generate` at scale 1 (all of Scotland) and at
scale 10, and prints rows (journeys + placements) per second and the time ratio of
scale 10 to scale 1, which should be about 10 if run time is linear in size. Each scale
is timed ``--repeat`` times, interleaved, and the fastest run kept (a shared machine
is noisy).

Usage: ``python benchmarks/bench_synthetic.py [--quick] [--repeat N]``; ``--quick``
uses scales 0.1 and 1 instead.
"""

from __future__ import annotations

import argparse
import time

from pace_analysis.synthetic import generate


def _time_once(scale: float) -> tuple[float, float, int, int]:
    t0, c0 = time.perf_counter(), time.process_time()
    ds = generate(seed=2014, scale=scale)
    secs, cpu = time.perf_counter() - t0, time.process_time() - c0
    return secs, cpu, len(ds.journeys), len(ds.placements)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="scales 0.1 and 1 instead of 1 and 10")
    parser.add_argument("--repeat", type=int, default=3, help="timings per scale (fastest kept)")
    args = parser.parse_args(argv)
    small, big = (0.1, 1.0) if args.quick else (1.0, 10.0)
    generate(seed=1, scale=0.01)  # warm imports and caches outside the timed runs
    best: dict[float, tuple[float, float, int, int]] = {}
    cpu: dict[float, float] = {}
    for _ in range(args.repeat):  # interleaved, so a busy spell hits both scales alike
        for scale in (small, big):
            run = _time_once(scale)
            if scale not in best or run[0] < best[scale][0]:
                best[scale] = run
            cpu[scale] = min(cpu.get(scale, run[1]), run[1])
    for scale in (small, big):
        secs, _, nj, npl = best[scale]
        rows = nj + npl
        print(f"scale {scale:>5g}: {nj:>9,} journeys + {npl:>9,} placements = {rows:>9,} rows "
              f"in {secs:7.2f} s  -> {rows / secs:>10,.0f} rows/s")
    print(f"time ratio scale {big:g} / scale {small:g} = {best[big][0] / best[small][0]:.2f} "
          f"(CPU time ratio {cpu[big] / cpu[small]:.2f}; linear would be {big / small:g})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
