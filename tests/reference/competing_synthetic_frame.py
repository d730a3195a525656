"""Write tests/reference/competing_synthetic_frame.csv: the input R and Python both read.

Three authorities (Moray, East Renfrewshire, Stirling) of the synthetic data
(:func:`pace_analysis.synthetic.generate`, seed 2014, full scale) passed through
:func:`pace_analysis.cohort.build_frame` with the study window starting at the generator's
window start, so journeys begun earlier enter late. Only the columns the competing-risks
references need are written (no dates of birth). Rerun from the repository root:

    .venv/bin/python tests/reference/competing_synthetic_frame.py
    Rscript tests/reference/competing_reference.R
"""

from __future__ import annotations

from pathlib import Path

from pace_analysis.cohort import build_frame
from pace_analysis.synthetic import generate

OUT = Path(__file__).with_name("competing_synthetic_frame.csv")
AUTHORITIES = ("Moray", "East Renfrewshire", "Stirling")


def main() -> None:
    ds = generate(seed=2014, scale=1.0)
    journeys = ds.journeys[ds.journeys["authority"].isin(AUTHORITIES)]
    frame = build_frame(journeys, window=(ds.meta["window"]["start"], None))
    cols = ["journey_id", "authority", "age_group", "entry_days", "time_days", "outcome"]
    frame[cols].to_csv(OUT, index=False)
    print(f"wrote {OUT} ({len(frame)} journeys, {int(frame['event_observed'].sum())} "
          f"permanences, {int((frame['outcome'] == 'exit').sum())} exits, "
          f"{int((frame['entry_days'] > 0).sum())} late entrants)")


if __name__ == "__main__":
    main()
