"""Benchmark: import about 2,000,000 SSDA903 episode rows.

Seeded synthetic journeys are written as 903 Header/Episodes files for every return year
(:func:`pace_analysis.importers.ssda903_export.write_ssda903`) in a temporary folder, sized to
about 2,000,000 episode rows (200,000 with ``--quick``). Then, in the same run:

* baseline: a bare ``pandas.read_csv`` of the same files (default options);
* import: :func:`~pace_analysis.importers.ssda903.import_ssda903` (parse, check, merge
  years, rebuild periods of care, map codes);
* import + write: the above plus writing the dataset and rejects CSV (timed once).

Baseline and import runs alternate and the best of ``--repeat`` is kept for each, so a
burst of load from other processes does not land on one side only.

Prints rows per second and each time divided by the baseline (aim: import <= 4).

Usage: ``python benchmarks/bench_import.py [--quick] [--rows N] [--seed S]``
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import pandas as pd

from pace_analysis.importers import write_result
from pace_analysis.importers.ssda903 import import_ssda903
from pace_analysis.importers.ssda903_export import write_ssda903
from pace_analysis.synthetic import generate


def _make_files(rows: int, seed: int, folder: Path) -> tuple[list[Path], list[Path], str]:
    probe = write_ssda903(generate(seed=seed, scale=0.05), folder / "probe")
    per_scale = sum(len(pd.read_csv(f, usecols=[0])) for f in probe
                    if f.name.startswith("episodes_")) / 0.05
    scale = rows / per_scale
    ds = generate(seed=seed, scale=scale)
    files = write_ssda903(ds, folder / "903")
    heads = [f for f in files if f.name.startswith("header_")]
    eps = [f for f in files if f.name.startswith("episodes_")]
    extract = ds.journeys["extract_date"].max().date().isoformat()
    return heads, eps, extract


def _timed(fn) -> float:
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="about 200,000 rows instead of 2,000,000")
    ap.add_argument("--rows", type=int, default=None, help="target episode rows")
    ap.add_argument("--seed", type=int, default=903)
    ap.add_argument("--repeat", type=int, default=3, help="timed runs of each (best is kept)")
    args = ap.parse_args(argv)
    target = args.rows or (200_000 if args.quick else 2_000_000)

    with tempfile.TemporaryDirectory(prefix="bench_import_") as tmp:
        folder = Path(tmp)
        t0 = time.perf_counter()
        heads, eps, extract = _make_files(target, args.seed, folder)
        n_eps = sum(len(pd.read_csv(f, usecols=[0])) for f in eps)
        n_head = sum(len(pd.read_csv(f, usecols=[0])) for f in heads)
        size = sum(f.stat().st_size for f in heads + eps) / 1e6
        print(f"files: {len(eps)} return years, {n_eps:,} episode rows, {n_head:,} header rows, "
              f"{size:.0f} MB (made in {time.perf_counter() - t0:.1f} s)")

        def baseline():
            for f in heads + eps:
                pd.read_csv(f)

        def run_import():
            return import_ssda903(heads, eps, older_years_as="2022/23", extract_date=extract)

        results = []

        def run_import_write():
            results.append(run_import())
            write_result(results[-1], folder / "out")

        # Interleaved and best-of: the machine is shared, so load comes and goes.
        t_base, t_imp = [], []
        for _ in range(args.repeat):
            t_base.append(_timed(baseline))
            t_imp.append(_timed(run_import))
        t_base, t_imp = min(t_base), min(t_imp)
        t_all = _timed(run_import_write)
        res = results[-1]
        print(f"imported: {len(res.dataset.journeys):,} journeys, "
              f"{len(res.dataset.placements):,} placements, {len(res.rejects):,} rejects")
        print(f"{'step':<28}{'seconds':>9}{'rows/s':>14}{'÷ read_csv':>12}")
        for name, t in (("bare pandas read_csv", t_base), ("import", t_imp),
                        ("import + write dataset", t_all)):
            print(f"{name:<28}{t:>9.2f}{n_eps / t:>14,.0f}{t / t_base:>12.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
