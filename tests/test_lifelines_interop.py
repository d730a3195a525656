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
    late = frame["entry_days"] > 0
    np.testing.assert_array_equal(df["entry"][late], frame["entry_days"][late])
    assert (df["entry"][~late] == -0.5).all()  # followed from the origin: at risk at time 0
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



def test_day0_events_with_late_entry_lifelines_km_equals_ours():
    """The 5-row frame: two day-0 permanences, one late entrant (entry 1).

    Ours, by hand: at t=0 four journeys are at risk (the late entrant is not), two events:
    S = 1/2; at t=3, three at risk, one event: S = 1/3; at t=8, S = 0. With
    ``to_lifelines`` (every journey followed from the origin enters at -0.5) lifelines'
    KaplanMeierFitter gives the same curve.
    """
    f = pd.DataFrame({"time_days": [0.0, 0, 3, 5, 8], "entry_days": [0.0, 0, 0, 1, 0],
                      "event_observed": [True, True, True, False, True]})
    ours = kaplan_meier(f).set_index("time_days")["survival"]
    np.testing.assert_allclose(ours.loc[[0.0, 3.0, 8.0]], [1 / 2, 1 / 3, 0.0])
    df = to_lifelines(f)
    assert df["entry"].tolist() == [-0.5, -0.5, -0.5, 1.0, -0.5]
    assert (df["entry"] < df["duration"]).all()
    kmf = kaplan_meier_fitters(f)["All"]
    np.testing.assert_allclose(kmf.survival_function_at_times(ours.index).to_numpy(),
                               ours.to_numpy(), atol=1e-12)


def test_lifelines_km_drops_journeys_entering_at_t_from_the_risk_set_at_t():
    """The real difference, and why to_lifelines shifts every origin entry.

    lifelines' KaplanMeierFitter leaves a journey whose entry equals t out of the risk set
    at t (its ``event_table.at_risk`` still counts it). If only the day-0 journeys enter at
    -0.5 and the others at 0, the two journeys entering at 0 are not at risk at t=0: two
    of two at risk reach permanence and lifelines gives S = 0 from day 0 on, where the
    correct estimate (ours, and R's Surv(entry, time, event) with entry 0) is 1/2.
    """
    from lifelines import KaplanMeierFitter

    f = pd.DataFrame({"time_days": [0.0, 0, 3, 5, 8], "entry_days": [0.0, 0, 0, 1, 0],
                      "event_observed": [True, True, True, False, True]})
    ours = kaplan_meier(f).set_index("time_days")["survival"]
    only_day0 = f["entry_days"].where(~((f["entry_days"] == 0) & (f["time_days"] == 0)), -0.5)
    kmf = KaplanMeierFitter().fit(f["time_days"], f["event_observed"], entry=only_day0)
    theirs = kmf.survival_function_at_times([0.0, 3.0, 8.0]).to_numpy()
    np.testing.assert_allclose(theirs, [0.0, 0.0, 0.0])           # lifelines: all zeros
    np.testing.assert_allclose(ours.loc[[0.0, 3.0, 8.0]], [0.5, 1 / 3, 0.0])  # correct
    assert kmf.event_table.loc[0.0, "at_risk"] == 4  # its table counts them at risk
