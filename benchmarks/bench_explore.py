"""Benchmark: the explorer's latency, against one Kaplan–Meier fit of the same rows.

Prints, from one run on the committed synthetic data (or ``--data``):

(i)   first figure: a fresh Python process that imports the package, loads the dataset
      (the validated Parquet copy of :func:`pace_analysis.explore.load`, warmed first),
      builds the dashboard and has the PNG of the first figure (aim: <= 5 s). Also the
      same with no cache (the data validated from the CSV files);
(ii)  widget changes for one council (Fife): the dashboard's controls are set one after
      the other in process, each change redrawing the figure (PNG), sentence and table
      exactly as in JupyterLab (aim: median <= 0.5 s);
(iii) the baseline, measured in the same run: one Kaplan–Meier fit
      (:func:`pace_analysis.survival.kaplan_meier`) of all the rows the first figure draws
      (for i) and of the council's rows (for ii); the ratios are printed against it.

    python benchmarks/bench_explore.py
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time

import matplotlib

matplotlib.use("Agg")

from timing import best_of  # noqa: E402

from pace_analysis import explore, survival  # noqa: E402

FIRST_FIGURE = """
import time
t0 = time.perf_counter()
from pace_analysis import explore
box = explore.dashboard(explore.load({data!r}, cache={cache}))
assert bytes(box.image.value).startswith(b"\\x89PNG")
print(time.perf_counter() - t0)
"""


def first_figure(data: str, cache: bool, env: dict) -> float:
    """Seconds from a fresh interpreter's first statement to the first figure's PNG."""
    out = subprocess.run([sys.executable, "-c", FIRST_FIGURE.format(data=data, cache=cache)],
                         check=True, capture_output=True, text=True, env=env)
    return float(out.stdout.strip().splitlines()[-1])



def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default="data/synthetic")
    parser.add_argument("--council", default="Fife")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as cache:
        env = dict(os.environ, PACE_CACHE_DIR=cache, MPLBACKEND="Agg")
        os.environ["PACE_CACHE_DIR"] = cache
        cold = first_figure(args.data, False, env)
        explore.load(args.data)  # writes the validated copy
        warm = statistics.median(first_figure(args.data, True, env) for _ in range(3))

        ex = explore.Explorer(explore.load(args.data))
        everyone = ex.frame()
        local = everyone[everyone["authority"] == args.council]
        km_all = best_of(lambda: survival.kaplan_meier(everyone))
        km_local = best_of(lambda: survival.kaplan_meier(local))

        box = explore.dashboard(ex)
        c = box.controls
        first, last = ex.years()
        changes = [("area", args.council)]
        changes += [("age_group", g) for g in ex.age_groups()[1:]] + [("age_group", explore.ALL_AGES)]
        changes += [("route", code) for _, code in ex.routes()[1:]] + [("route", explore.ANY_ROUTE)]
        changes += [("years", (first + k, last)) for k in (2, 4, 6)]
        changes += [("sex", "female"), ("legal_basis", "cso"), ("clock", "accommodated_date"),
                    ("compare", "age_groups"), ("compare", "scotland")]
        times = []
        for name, value in changes:
            t = time.perf_counter()
            c[name].value = value
            times.append(time.perf_counter() - t)
            assert bytes(box.image.value).startswith(b"\x89PNG")
        med = statistics.median(times)

    print(f"rows: {len(everyone):,} journeys; {args.council}: {len(local):,}")
    print(f"baseline: one KM fit of all rows {km_all:.3f} s; of {args.council}'s rows "
          f"{km_local:.3f} s")
    print(f"(i)  first figure, fresh process, cached validated copy: {warm:.2f} s "
          f"(aim <= 5 s) = {warm / km_all:.1f} x the KM fit of all rows")
    print(f"     first figure without the cache (validating the CSV files): {cold:.2f} s "
          f"= {cold / km_all:.1f} x; cache speed-up {cold / warm:.1f} x")
    print(f"(ii) widget change, {args.council}, {len(times)} changes: median {med:.3f} s "
          f"(aim <= 0.5 s), max {max(times):.3f} s = {med / km_local:.1f} x (median) the KM "
          f"fit of {args.council}'s rows, {med / km_all:.2f} x the KM fit of all rows")


if __name__ == "__main__":
    main()
