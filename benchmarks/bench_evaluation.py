"""Benchmark: the PACE evaluation against its known truth, and what it costs.

Prints, from one run:

(i)  **coverage and bias** over ``--seeds`` synthetic seeds (default 24, from 200) at a
     reduced scale (``--scale``, default 0.5 of Scotland, to keep the run to minutes):
     for each seed the dataset and its counterfactual twin
     (:func:`pace_analysis.synthetic.generate_twins`), the evaluation of each measure
     with the wild cluster bootstrap-t (``--n-boot`` Webb replicates), and the true
     effect (measure with PACE minus measure in the twin, aggregated like the
     estimate). Rows: with the effect (``pace``: coverage of the truth), without it
     (``no_pace``: the truth is 0, so the bias shows whether the estimate is centred on
     0) and the placebo (join dates moved earlier, pre-PACE years only: truth 0). The
     overall effect averages event times 0 to 5; "events 0..5" pools those six.
(ii) **timing**: one full evaluation of the committed data (three measures, 1999
     bootstrap replicates, event study and overall) divided by the baseline measured in
     the same run: computing the evaluation panel itself (the three measures for 32
     councils × 16 reporting years, :func:`~pace_analysis.evaluation.panel.evaluation_panel`),
     which any analysis of these measures pays.

    python benchmarks/bench_evaluation.py [--seeds 24] [--scale 0.5] [--n-boot 499]
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import pandas as pd
from timing import best_of

from pace_analysis.evaluation.panel import evaluation_panel
from pace_analysis.evaluation.study import coverage_table, evaluate, simulation_check
from pace_analysis.io import read_dataset

REPO = Path(__file__).resolve().parents[1]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", type=int, default=24)
    ap.add_argument("--first-seed", type=int, default=200)
    ap.add_argument("--scale", type=float, default=0.5)
    ap.add_argument("--n-boot", type=int, default=499)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--csv", help="also write every seed's rows to this CSV")
    args = ap.parse_args()

    t0 = time.perf_counter()
    checks = pd.concat([simulation_check(s, scale=args.scale, n_boot=args.n_boot)
                        for s in range(args.first_seed, args.first_seed + args.seeds)],
                       ignore_index=True)
    took = time.perf_counter() - t0
    if args.csv:
        checks.to_csv(args.csv, index=False)
    table = coverage_table(checks)
    pd.set_option("display.width", 160)
    print(f"(i) coverage of 95% intervals and bias, {args.seeds} seeds from {args.first_seed}, "
          f"scale {args.scale:g}, {args.n_boot} Webb bootstrap-t replicates "
          f"({took:.0f} s, {took / args.seeds:.1f} s a seed)")
    print(table.to_string(index=False, float_format=lambda v: f"{v:.3f}"))

    dataset = read_dataset(REPO / "data" / "synthetic")
    panel = evaluation_panel(dataset)
    base = best_of(lambda: evaluation_panel(dataset), args.repeat)
    full = best_of(lambda: evaluate(panel, n_boot=1999), args.repeat)
    print("\n(ii) timing on the committed data (best of "
          f"{args.repeat}): evaluation panel {base:.2f} s (baseline); estimator + bootstrap "
          f"for 3 measures {full:.2f} s = {full / base:.2f} x the panel")


if __name__ == "__main__":
    main()
