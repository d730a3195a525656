"""lifelines interoperability (pace_analysis.lifelines_interop).

The project's Cox (Efron ties, late entry) is checked against R in test_comparison.py; here
lifelines' ``CoxPHFitter`` (also Efron, ``entry_col`` for late entry) fitted on
:func:`to_lifelines` must give the same coefficients, and lifelines' ``KaplanMeierFitter``
from :func:`kaplan_meier_fitters` the same survival curve as :func:`kaplan_meier`.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from lifelines import CoxPHFitter

from pace_analysis.comparison import cox_model
from pace_analysis.lifelines_interop import kaplan_meier_fitters, to_lifelines
from pace_analysis.survival import kaplan_meier

REF = Path(__file__).parent / "reference"
AGE = ["under 1", "1-4", "5-11", "12+"]
COVARIATES = ("age_group", "sex", "legal_basis")


@pytest.fixture(scope="module")
def frame() -> pd.DataFrame:
    f = pd.read_csv(REF / "survival_synthetic_frame.csv")
    f["age_group"] = pd.Categorical(f["age_group"], AGE, ordered=True)
    return f


def test_columns_and_coding(frame):
    df = to_lifelines(frame, COVARIATES)
    assert list(df.columns[:3]) == ["duration", "event", "entry"]
    assert "age_group[1-4]" in df.columns and "age_group[under 1]" not in df.columns
    np.testing.assert_array_equal(df["duration"], frame["time_days"])
    np.testing.assert_array_equal(df["entry"], frame["entry_days"])
    assert df["event"].sum() == frame["event_observed"].sum()


def test_coxph_fitter_equals_project_cox(frame):
    ours = cox_model(frame, COVARIATES)
    df = to_lifelines(frame, COVARIATES)
    # lifelines' default stopping rule (precision 1e-7 on the step) leaves ~5e-6 in the
    # coefficients on this frame; at precision 1e-12 both fits agree to ~1e-11.
    cph = CoxPHFitter().fit(df, "duration", "event", entry_col="entry",
                            fit_options={"precision": 1e-12})
    theirs = cph.params_.reindex(ours["term"]).to_numpy()
    np.testing.assert_allclose(theirs, ours["coef"].to_numpy(), atol=1e-8)
    np.testing.assert_allclose(cph.standard_errors_.reindex(ours["term"]).to_numpy(),
                               ours["se"].to_numpy(), rtol=1e-5)
    assert cph.log_likelihood_ == pytest.approx(ours["loglik"].iloc[0], abs=1e-6)


def test_kaplan_meier_fitters_equal_project_km(frame):
    ours = kaplan_meier(frame, by="sex")
    fitters = kaplan_meier_fitters(frame, by="sex")
    assert set(fitters) == set(ours["group"])
    for label, kmf in fitters.items():
        mine = ours[ours["group"] == label]
        theirs = kmf.survival_function_at_times(mine["time_days"].to_numpy()).to_numpy()
        np.testing.assert_allclose(theirs, mine["survival"].to_numpy(), atol=1e-12)



def test_day0_journeys_enter_before_time_0():
    # lifelines refuses entry >= duration; day-0 journeys enter at -0.5 (at risk at time 0).
    f = pd.DataFrame({"time_days": [0.0, 0, 3, 5, 8], "entry_days": [0.0, 0, 0, 1, 0],
                      "event_observed": [True, True, True, False, True]})
    df = to_lifelines(f)
    assert df["entry"].tolist() == [-0.5, -0.5, 0.0, 1.0, 0.0]
    assert (df["entry"] < df["duration"]).all()
