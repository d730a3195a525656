"""Write the long-form inputs that R and Python both read for the multi-state references.

* ``multistate_hand_transitions.csv``: ``tests/data/multistate/hand_journeys.csv`` (17
  hand-made journeys in two authorities: tied move times, several milestones on one day,
  skipped stages, a move on day 0, late entry into the recommended and panel states, a
  censoring on the day of a milestone, an out-of-order panel date) through
  :func:`pace_analysis.multistate.pathway_transitions` with observation start 2020-01-01.
* ``multistate_synthetic_transitions.csv``: three authorities (Moray, East Renfrewshire,
  Stirling) of the committed synthetic data (``data/synthetic``, seed 2014, scale 1), with
  late entry at the data's observation start.

Only journey ids, groups and the stays are written (no dates). Rerun from the repository
root, then the R script:

    .venv/bin/python tests/reference/multistate_frames.py
    Rscript tests/reference/multistate_reference.R
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from pace_analysis.io import read_dataset
from pace_analysis.multistate import pathway_transitions

HERE = Path(__file__).parent
ROOT = HERE.parent.parent
HAND_JOURNEYS = ROOT / "tests" / "data" / "multistate" / "hand_journeys.csv"
HAND_START = "2020-01-01"
AUTHORITIES = ("Moray", "East Renfrewshire", "Stirling")
COLUMNS = ["journey_id", "authority", "age_group", "tstart", "tstop", "from_state", "to_state"]


def hand_journeys() -> pd.DataFrame:
    """The hand-made journeys table (empty cells as None)."""
    j = pd.read_csv(HAND_JOURNEYS, dtype=str, keep_default_na=False)
    return j.replace("", None)


def hand_transitions():
    """The hand journeys as long-form multi-state data (a PathwayData)."""
    return pathway_transitions(hand_journeys(), window=(HAND_START, None))


def synthetic_transitions():
    """Three authorities of the committed synthetic data as long-form data."""
    ds = read_dataset(ROOT / "data" / "synthetic")
    j = ds.journeys[ds.journeys["authority"].isin(AUTHORITIES)].reset_index(drop=True)
    return pathway_transitions(j, window=(ds.observation_start, None))


def main() -> None:
    for name, pdata in (("hand", hand_transitions()), ("synthetic", synthetic_transitions())):
        out = HERE / f"multistate_{name}_transitions.csv"
        pdata.transitions[COLUMNS].to_csv(out, index=False)
        tr = pdata.transitions
        late = int((tr.groupby("journey_id")["tstart"].min() > 0).sum())
        print(f"wrote {out.name}: {len(tr)} stays of {tr['journey_id'].nunique()} journeys, "
              f"{late} late entrants, {len(pdata.problems)} problems")


if __name__ == "__main__":
    main()
