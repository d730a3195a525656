"""Tests for pace_analysis.gray (Gray's test) against R's cmprsk.

Reference values come from tests/reference/competing_reference.R (committed outputs,
competing_ref_gray.csv); the tests never run R. Gray's-test checks that are part of wider
cumulative-incidence tests (a route without events, frame-level errors) stay in
tests/test_competing.py.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from competing_frames import ROUTES, TOL, hand_frame, read_reference, synthetic_frame

from pace_analysis.gray import gray_test


@pytest.fixture(scope="module")
def hand() -> pd.DataFrame:
    return hand_frame()


@pytest.fixture(scope="module")
def synthetic() -> pd.DataFrame:
    return synthetic_frame()


@pytest.fixture(scope="module")
def ref_gray() -> pd.DataFrame:
    return read_reference("competing_ref_gray.csv")


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
