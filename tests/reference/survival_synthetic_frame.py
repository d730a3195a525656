"""Write tests/reference/survival_synthetic_frame.csv: the input R and Python both read.

The synthetic data (``pace_analysis.synthetic.generate(seed=2014)``) for three authorities
(Moray, East Renfrewshire, Stirling), through :func:`pace_analysis.cohort.build_frame` with
the generator's window start (2008-08-01) so that journeys begun earlier enter late. Only
the frame columns the references need are written (no dates of birth). The committed CSV is
the reference input: if the generator changes, the tests still compare R and Python on the
same committed rows. Rerun both steps from the repository root:

    .venv/bin/python tests/reference/survival_synthetic_frame.py
    Rscript tests/reference/survival_reference.R
"""

from __future__ import annotations

from pathlib import Path

from pace_analysis.cohort import build_frame
from pace_analysis.synthetic import DEFAULT_START, generate

OUT = Path(__file__).with_name("survival_synthetic_frame.csv")
AUTHORITIES = ("Moray", "East Renfrewshire", "Stirling")
COLUMNS = ["journey_id", "authority", "sex", "legal_basis", "age_group", "entry_days",
           "time_days", "outcome", "event_observed"]


def main() -> None:
    ds = generate(seed=2014)
    journeys = ds.journeys[ds.journeys["authority"].isin(AUTHORITIES)]
    frame = build_frame(journeys, window=(DEFAULT_START, None), route_set=ds.route_set)
    frame[COLUMNS].to_csv(OUT, index=False)
    print(f"wrote {OUT} ({len(frame)} journeys, {int(frame['event_observed'].sum())} events, "
          f"{int((frame['entry_days'] > 0).sum())} late entrants)")


if __name__ == "__main__":
    main()
