"""Benchmark and checks of the what-if model (issue 14), from one run on the committed data.

Prints:

(i)   speed: one council's what-if (``what_if``, 1,000 replicates: a bootstrap refit and
      a simulation of baseline and scenario each) divided by the baseline measured in the
      same run: the exact Aalen–Johansen estimate for the same council (occupancy at
      6 months and 1-5 years with IJ standard errors, and restricted mean time in each
      state within 2 years: ``pathway_tables``), both including their long form. Aim:
      the what-if in <= 10 s.
(ii)  the N = 0 check: a cohort simulated from day 0 with a change of zero against the
      Aalen–Johansen occupancy (``occupancy_check``): |z| where the two must agree (states
      entered only on day 0) and the largest gap elsewhere.
(iii) the back-test: fit on the data as of 31 July of each year Y, predict the share of
      the children in care then reaching permanence within 1 and 2 years, and the same
      for the next year's entrants; mean absolute error (percentage points) of the
      semi-Markov model (hazards by state, and by state x planned route from the
      recommendation on: the what-if's default) and of the Markov stock-and-flow baseline
      (constant daily rates by state x age band), over councils x years, and the ratios.

    python benchmarks/bench_whatif.py [--authority Fife] [--replicates 1000] [--repeat 3]
                                      [--years 2012 2015 2018 2021] [--councils 32]
"""

from __future__ import annotations

import argparse
from pathlib import Path

import pandas as pd
from timing import best_of, cpu_of

from pace_analysis.io import read_dataset
from pace_analysis.multistate import pathway_transitions
from pace_analysis.multistate.occupancy import pathway_tables
from pace_analysis.whatif import Scenario, what_if
from pace_analysis.whatif.checks import backtest, backtest_summary, occupancy_check

DATA = Path(__file__).resolve().parent.parent / "data" / "synthetic"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--authority", nargs="+", default=["Fife", "Glasgow City"])
    ap.add_argument("--replicates", type=int, default=1000)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--years", type=int, nargs="+", default=[2012, 2015, 2018, 2021])
    ap.add_argument("--councils", type=int, default=32,
                    help="first N councils for (iii); 0 skips it")
    args = ap.parse_args()
    pd.set_option("display.width", 160)
    ds = read_dataset(DATA)
    scenario = Scenario("recommended", weeks=8)

    print(f"(i) speed: what-if '{scenario.describe(pathway_transitions(ds.for_authority(args.authority[0])).pathway)}', "
          f"{args.replicates} replicates; best of {args.repeat}")
    for a in args.authority:
        one = ds.for_authority(a)

        def aj(one=one):
            pathway_tables(pathway_transitions(one))

        def wi(a=a):
            what_if(ds, a, scenario, replicates=args.replicates, seed=1)

        t_aj = best_of(aj, args.repeat)
        t_wi = best_of(wi, args.repeat)
        c_aj, c_wi = cpu_of(aj, args.repeat), cpu_of(wi, args.repeat)
        n = one.journeys.shape[0]
        print(f"    {a:<14} {n:>6,} journeys: AJ (baseline) {t_aj:6.3f} s   what-if {t_wi:6.2f} s"
              f"   ratio {t_wi / t_aj:6.1f}   (aim: what-if <= 10 s)")
        print(f"    {'':<14} CPU time of this process (load from other jobs excluded): AJ "
              f"{c_aj:6.3f} s   what-if {c_wi:6.2f} s   ratio {c_wi / c_aj:6.1f}")

    print("(ii) N = 0 against Aalen-Johansen (100,000 simulated children; 6 months, 1, 2, 4 years)")
    for a in args.authority:
        for by_plan in (True, False):
            tab = occupancy_check(ds, a, n=100_000, seed=1, by_plan=by_plan)
            ex = tab[tab["exact"]]
            rest = tab[~tab["exact"]]
            gap = (rest["sim"] - rest["aj"]).abs()
            worst = rest.loc[gap.idxmax()]
            model = "by state x plan" if by_plan else "by state only"
            print(f"    {a:<14} {model}: states entered only on day 0 "
                  f"({', '.join(sorted(set(ex['state'])))}): max |z| = "
                  f"{ex['z'].abs().max():.2f} over {len(ex)} (state, time) pairs; "
                  f"other states: max |sim - AJ| = {gap.max():.3f} ({worst['state']} at "
                  f"{worst['time_days']:.0f} days; AJ {worst['aj']:.3f}, sim "
                  f"{worst['sim']:.3f}), median {gap.median():.4f}")

    councils = ds.authorities[: args.councils]
    if not councils:
        return
    print(f"(iii) back-test: {len(councils)} councils x years {args.years}")
    table = backtest(ds, args.years, councils, reps=10, seed=1)
    summ = backtest_summary(table)
    cols = ["population", "horizon_years", "cases", "observed_mean_pct", "semi_markov_plan_mae_pp",
            "semi_markov_mae_pp", "markov_mae_pp", "semi_markov_plan_bias_pp",
            "semi_markov_bias_pp", "markov_bias_pp", "plan_mae_ratio", "mae_ratio"]
    print(summ[cols].round(2).to_string(index=False))


if __name__ == "__main__":
    main()
