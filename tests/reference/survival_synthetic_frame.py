"""Write tests/reference/survival_synthetic_frame.csv: the input R and Python both read.

Realistic-size journeys for three authorities (Moray, East Renfrewshire, Stirling), drawn
with ``numpy.random.default_rng(2014)`` (competing latent times per route and for exits,
integer days so most times are tied), passed through :func:`pace_analysis.cohort.build_frame`
with a study window starting 2012-08-01 so that journeys begun earlier enter late. Only
frame columns are written (no dates of birth). Rerun from the repository root:

    .venv/bin/python tests/reference/survival_synthetic_frame.py
    Rscript tests/reference/survival_reference.R
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from pace_analysis.cohort import build_frame

OUT = Path(__file__).with_name("survival_synthetic_frame.csv")
SIZES = {"Moray": 420, "East Renfrewshire": 260, "Stirling": 560}
EXTRACT = pd.Timestamp("2021-07-31")
# median latent days to each route by age group (under 1, 1-4, 5-11, 12+); inf = never
MEDIANS = {
    "home": (900, 700, 800, 1200),
    "kinship": (1500, 1400, 1800, 3000),
    "permanence_order": (1600, 1800, 2200, 4000),
    "adoption": (1000, 1500, 6000, np.inf),
    "exit": (8000, 6000, 3000, 700),
}
AUTHORITY_SPEED = {"Moray": 1.0, "East Renfrewshire": 0.8, "Stirling": 1.2}


def journeys(rng: np.random.Generator) -> pd.DataFrame:
    rows = []
    for auth, n in SIZES.items():
        start = pd.Timestamp("2009-01-01") + pd.to_timedelta(rng.integers(0, 4200, n), unit="D")
        age_group = rng.choice(4, size=n, p=[0.25, 0.25, 0.3, 0.2])
        lo = np.array([0, 1, 5, 12])[age_group]
        hi = np.array([1, 5, 12, 17])[age_group]
        age_days = ((lo + rng.uniform(0, 1, n) * (hi - lo)) * 365.25).astype(int)
        latent = {}
        for route, med in MEDIANS.items():
            m = np.asarray(med, dtype=float)[age_group] * AUTHORITY_SPEED[auth]
            latent[route] = np.floor(m * rng.lognormal(0.0, 0.9, n))
        names = list(MEDIANS)
        stack = np.vstack([latent[r] for r in names])
        first = stack.argmin(axis=0)
        days = stack.min(axis=0)
        for i in range(n):
            route = names[first[i]]
            end = start[i] + pd.Timedelta(days=float(days[i]))
            row = dict(journey_id=f"{auth[:3].upper()}{i:04d}", child_id=f"C{auth[:3].upper()}{i:04d}",
                       authority=auth, sex=rng.choice(["female", "male"]),
                       date_of_birth=start[i] - pd.Timedelta(days=int(age_days[i])),
                       looked_after_date=start[i],
                       legal_basis=rng.choice(["cso", "s25", "other"], p=[0.6, 0.35, 0.05]),
                       accommodated_date=start[i] if rng.uniform() < 0.7 else pd.NaT,
                       planned_route=None, permanence_route=None, permanence_date=pd.NaT,
                       exit_date=pd.NaT, exit_reason=None, extract_date=EXTRACT)
            if end <= EXTRACT:
                if route == "exit":
                    row.update(exit_date=end, exit_reason=rng.choice(["aged_out", "transferred", "other"]))
                else:
                    row.update(permanence_route=route, permanence_date=end, planned_route=route)
                    if route != "permanence_order":
                        row.update(exit_date=end, exit_reason="permanence")
            rows.append(row)
    return pd.DataFrame(rows)


def main() -> None:
    frame = build_frame(journeys(np.random.default_rng(2014)), window=("2012-08-01", None))
    cols = ["journey_id", "authority", "sex", "legal_basis", "age_group", "entry_days",
            "time_days", "outcome", "event_observed"]
    frame[cols].to_csv(OUT, index=False)
    print(f"wrote {OUT} ({len(frame)} journeys, {int(frame['event_observed'].sum())} events, "
          f"{int((frame['entry_days'] > 0).sum())} late entrants)")


if __name__ == "__main__":
    main()
