"""Benchmark: multi-state occupancy + time in state against today's KM + CIF.

Prints, from one run on the committed synthetic data (``data/synthetic``, 32 councils):

(i)  all 32 councils x (state occupancy with IJ standard errors at 6 months and 1-5
     years, and restricted mean time in each of the 11 states within 2 years, with IJ
     standard errors), from one fit per council
     (:func:`pace_analysis.multistate.occupancy.pathway_tables`), divided by the
     baseline measured in the same run: Kaplan–Meier + cumulative incidence (IJ variance)
     for 32 authorities x 4 age groups (:func:`pace_analysis.survival.kaplan_meier`,
     :func:`pace_analysis.competing.cumulative_incidence`) — aim <= 2. Also with the data
     preparation included on both sides (long form vs analysis frame).
(ii) linearity in journeys: the national long form subsampled (25%, 50%) and replicated
     (x2, x4) by journey, fitted as one group; seconds per 100,000 journeys at each size
     (flat = linear).

    python benchmarks/bench_multistate.py [--repeat 3]
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import pandas as pd
from timing import best_of

from pace_analysis.cohort import build_frame
from pace_analysis.competing import cumulative_incidence
from pace_analysis.io import read_dataset
from pace_analysis.multistate import PathwayData, pathway_transitions
from pace_analysis.multistate.occupancy import pathway_tables
from pace_analysis.survival import kaplan_meier

DATA = Path(__file__).resolve().parent.parent / "data" / "synthetic"



def resized(data: PathwayData, factor: float, seed: int = 1) -> PathwayData:
    """The long form with journeys subsampled (factor < 1) or replicated (factor > 1)."""
    tr = data.transitions
    ids = tr["journey_id"].unique()
    if factor <= 1:
        keep = np.random.default_rng(seed).choice(ids, int(len(ids) * factor), replace=False)
        out = tr[tr["journey_id"].isin(keep)]
    else:
        out = pd.concat([tr.assign(journey_id=tr["journey_id"] + f"_{k}")
                         for k in range(int(factor))], ignore_index=True)
    return PathwayData(out.reset_index(drop=True), data.pathway, [])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    ds = read_dataset(DATA)
    frame = build_frame(ds)
    data = pathway_transitions(ds)
    n = data.transitions["journey_id"].nunique()
    print(f"{len(frame):,} journeys in the frame, {n:,} in the long form "
          f"({len(data.transitions):,} stays); best of {args.repeat}")

    def baseline():
        kaplan_meier(frame, by=["authority", "age_group"])
        cumulative_incidence(frame, by=["authority", "age_group"])

    def ours():
        pathway_tables(data, by="authority")

    t_base = best_of(baseline, args.repeat)
    t_ours = best_of(ours, args.repeat)
    t_frame = best_of(lambda: build_frame(ds), args.repeat)
    t_long = best_of(lambda: pathway_transitions(ds), args.repeat)
    print(f"baseline: KM + CIF, 32 authorities x 4 age groups   {t_base:7.3f} s")
    print(f"ours: occupancy + time in state, 32 authorities    {t_ours:7.3f} s")
    print(f"(i)  ours / baseline                                = {t_ours / t_base:5.2f}"
          "   (aim <= 2)")
    print(f"     with data preparation (long form {t_long:.2f} s vs frame {t_frame:.2f} s) "
          f"= {(t_ours + t_long) / (t_base + t_frame):5.2f}")

    print("(ii) linearity: one group, occupancy + time in state")
    base_rate = None
    for factor in (0.25, 0.5, 1.0, 2.0, 4.0):
        d = resized(data, factor)
        m = d.transitions["journey_id"].nunique()
        t = best_of(lambda d=d: pathway_tables(d), args.repeat)
        rate = t / m * 1e5
        base_rate = base_rate or rate
        print(f"     {m:>8,} journeys  {t:7.3f} s  {rate:6.3f} s per 100,000 journeys "
              f"(x{rate / base_rate:4.2f} of the smallest)")


if __name__ == "__main__":
    main()
