"""Benchmark: exact Aalen–Johansen (pace_analysis.competing) against lifelines.

Prints, from one run on the same synthetic durations (integer days, so almost all tied):

(i)   our Aalen–Johansen (4 routes + exit, IJ variance) ÷ lifelines KaplanMeierFitter
      (any permanence) on the same N journeys (aim <= 3);
(ii)  lifelines AalenJohansenFitter ÷ ours (aim >= 10). lifelines jitters every tied time
      and is far slower, so it is timed on a subsample (--ajf-n, default 20,000) and scaled
      linearly to N (it is at least linear, so the scaled figure understates the ratio);
      ours is timed on the same subsample too;
(iii) Kaplan–Meier (pace_analysis.survival.kaplan_meier) + cumulative incidence for
      32 authorities x 4 age groups on the N-journey frame.

    python benchmarks/bench_survival.py            # N = 1,000,000
    python benchmarks/bench_survival.py --quick    # N = 100,000
"""

from __future__ import annotations

import argparse
import warnings

import numpy as np
import pandas as pd
from timing import best_of

from pace_analysis.authorities import AUTHORITY_NAMES
from pace_analysis.competing import aalen_johansen, cumulative_incidence

ROUTES = ("home", "kinship", "permanence_order", "adoption")
AGE_GROUPS = ("under 1", "1-4", "5-11", "12+")


def synthetic_frame(n: int, seed: int = 2014) -> pd.DataFrame:
    """Analysis-frame columns for n journeys: competing lognormal latent days, censoring."""
    rng = np.random.default_rng(seed)
    age = rng.integers(0, 4, n)
    medians = np.array([[900, 700, 800, 1200], [1500, 1400, 1800, 3000],
                        [1600, 1800, 2200, 4000], [1000, 1500, 6000, 20000],
                        [8000, 6000, 3000, 700]], dtype=float)
    latent = medians[:, age] * rng.lognormal(0.0, 0.9, (5, n))
    censor = rng.uniform(0, 16 * 365.25, n)
    first = latent.argmin(axis=0)
    t = np.floor(np.minimum(latent.min(axis=0), censor))
    states = np.array(ROUTES + ("exit",), dtype=object)
    outcome = np.where(latent.min(axis=0) <= censor, states[first], "censored")
    names = list(AUTHORITY_NAMES)
    return pd.DataFrame({
        "authority": pd.Categorical(np.array(names, dtype=object)[rng.integers(0, len(names), n)],
                                    categories=names),
        "age_group": pd.Categorical.from_codes(age, AGE_GROUPS, ordered=True),
        "entry_days": 0.0,
        "time_days": t,
        "time_years": t / 365.25,
        "outcome": outcome,
        "event_observed": np.isin(outcome, ROUTES),
    })



def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="100,000 journeys instead of 1,000,000")
    ap.add_argument("--ajf-n", type=int, default=20_000, help="subsample for lifelines' AJF")
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    from lifelines import AalenJohansenFitter, KaplanMeierFitter

    n = 100_000 if args.quick else 1_000_000
    frame = synthetic_frame(n)
    t = frame["time_days"].to_numpy()
    ev = frame["outcome"].to_numpy()
    obs = frame["event_observed"].to_numpy()
    states = ROUTES + ("exit",)
    print(f"N = {n:,} journeys, {len(np.unique(t)):,} distinct days, "
          f"{int((ev != 'censored').sum()):,} events; best of {args.repeat}")

    km = best_of(lambda: KaplanMeierFitter().fit(t, obs), args.repeat)
    ours = best_of(lambda: aalen_johansen(t, ev, None, states), args.repeat)
    ours_cuminc = best_of(lambda: aalen_johansen(t, ev, None, states, variance="cuminc"),
                          args.repeat)
    late = np.where(np.random.default_rng(1).uniform(size=n) < 0.1, np.floor(t * 0.5), 0.0)
    ours_late = best_of(lambda: aalen_johansen(t, ev, late, states), args.repeat)
    print(f"lifelines KaplanMeierFitter           {km:8.3f} s")
    print(f"ours aalen_johansen (IJ variance)     {ours:8.3f} s")
    print(f"ours aalen_johansen (cuminc variance) {ours_cuminc:8.3f} s")
    print(f"ours aalen_johansen, 10% late entry   {ours_late:8.3f} s")
    print(f"(i)   ours AJ / lifelines KM           = {ours / km:6.2f}   (aim <= 3)")

    m = min(args.ajf_n, n)
    sub = np.random.default_rng(7).choice(n, m, replace=False)
    code = np.select([ev[sub] == "home", ev[sub] == "censored"], [1, 0], 2)

    def ajf():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            AalenJohansenFitter(seed=0).fit(t[sub], code, event_of_interest=1)

    t_ajf = best_of(ajf, 1)
    ours_sub = best_of(lambda: aalen_johansen(t[sub], ev[sub], None, states), args.repeat)
    print(f"lifelines AalenJohansenFitter, n={m:,}: {t_ajf:8.3f} s (one route, with variance)")
    print(f"ours on the same n={m:,}:             {ours_sub:8.3f} s (all 5 states)")
    print(f"(ii)  lifelines AJF / ours at n={m:,}  = {t_ajf / ours_sub:8.1f}   (aim >= 10)")
    scaled = t_ajf * n / m
    print(f"(ii)  lifelines AJF scaled linearly to N ({scaled:,.0f} s) / ours at N "
          f"= {scaled / ours:8.1f}")

    from pace_analysis.survival import kaplan_meier

    def both():
        kaplan_meier(frame, by=["authority", "age_group"])
        cumulative_incidence(frame, by=["authority", "age_group"], routes=ROUTES)

    groups = frame.groupby(["authority", "age_group"], observed=True).ngroups
    t_both = best_of(both, 1)
    print(f"(iii) KM + cumulative incidence, {groups} groups (32 authorities x 4 ages), "
          f"N = {n:,}: {t_both:.2f} s")


if __name__ == "__main__":
    main()
