"""Tests for pace_analysis.gray (Gray's test) against R's cmprsk.

Reference values come from tests/reference/competing_reference.R (committed outputs,
competing_ref_gray.csv); the tests never run R. Gray's-test checks that are part of wider
cumulative-incidence tests (a route without events, frame-level errors) stay in
tests/test_competing.py.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from pace_analysis.gray import gray_test

REF = Path(__file__).parent / "reference"
ROUTES = ["home", "kinship", "permanence_order", "adoption"]
TOL = 1e-6


def _read(name: str) -> pd.DataFrame:
    return pd.read_csv(REF / name, na_values=["NA"], keep_default_na=False)


@pytest.fixture(scope="module")
def hand() -> pd.DataFrame:
    return _read("competing_hand_frame.csv")


@pytest.fixture(scope="module")
def synthetic() -> pd.DataFrame:
    f = _read("competing_synthetic_frame.csv")
    f["age_group"] = pd.Categorical(f["age_group"], ["under 1", "1-4", "5-11", "12+"],
                                    ordered=True)
    return f


@pytest.fixture(scope="module")
def ref_gray() -> pd.DataFrame:
    return _read("competing_ref_gray.csv")


@pytest.mark.parametrize(("dataset", "by"), [("hand", "group"), ("synthetic", "authority"),
                                             ("synthetic", "age_group")])
def test_gray_matches_cuminc_tests(hand, synthetic, ref_gray, dataset, by):
    frame = hand if dataset == "hand" else synthetic
    frame = frame[frame["entry_days"] <= 0]
    r = ref_gray[(ref_gray.dataset == dataset) & (ref_gray.by == by)].set_index("state")
    mine = gray_test(frame, by, routes=ROUTES).set_index("route")
    observed = mine[mine["note"] == ""]
    assert sorted(observed.index) == sorted(r.index)  # cmprsk tests routes with events only
    r = r.loc[observed.index]
    np.testing.assert_allclose(observed["statistic"], r["stat"], atol=TOL, rtol=1e-9)
    np.testing.assert_allclose(observed["p_value"], r["pv"], atol=TOL, rtol=0)
    np.testing.assert_array_equal(observed["df"], r["df"])
