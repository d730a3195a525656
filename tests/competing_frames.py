"""Shared inputs of the competing-risks tests: the committed frames and R outputs.

Both ``test_competing.py`` and ``test_gray.py`` read the same reference files written by
``tests/reference/competing_reference.R``; the tests never run R.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

REF = Path(__file__).parent / "reference"
ROUTES = ["home", "kinship", "permanence_order", "adoption"]
TOL = 1e-6
AGE_GROUPS = ["under 1", "1-4", "5-11", "12+"]


def read_reference(name: str) -> pd.DataFrame:
    """A committed reference CSV, with R's ``NA`` as missing."""
    return pd.read_csv(REF / name, na_values=["NA"], keep_default_na=False)


def hand_frame() -> pd.DataFrame:
    """The small hand-checkable frame (ties, day-0 events, late entry, all-censored group)."""
    return read_reference("competing_hand_frame.csv")


def synthetic_frame() -> pd.DataFrame:
    """The committed synthetic frame of three authorities, age groups in their order."""
    f = read_reference("competing_synthetic_frame.csv")
    f["age_group"] = pd.Categorical(f["age_group"], AGE_GROUPS, ordered=True)
    return f
