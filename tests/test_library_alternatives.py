"""Where lifelines' estimator differs from the project's R-exact one (docs/statistics.md table).

Hand frame: six journeys, days 1, 2, 3, 4 (censored), 5, 6. S = 5/6, 4/6, 1/2 on [3, 5), 1/4...
"""

from __future__ import annotations

import warnings

import pandas as pd
import pytest
from lifelines import KaplanMeierFitter
from lifelines.utils import restricted_mean_survival_time

from pace_analysis.survival import median_time, restricted_mean

FRAME = pd.DataFrame({"time_days": [1.0, 2, 3, 4, 5, 6],
                      "event_observed": [True, True, True, False, True, True]})


def _kmf() -> KaplanMeierFitter:
    return KaplanMeierFitter().fit(FRAME["time_days"], FRAME["event_observed"])


def test_median_rule_midpoint_of_flat_half_step_unlike_lifelines():
    # S = 0.5 exactly on [3, 5): R's print.survfit gives the midpoint (3 + 5) / 2 = 4.
    assert median_time(FRAME)["median_days"].iloc[0] == 4.0
    assert _kmf().median_survival_time_ == 5.0


def test_rmst_standard_error_is_rs_not_lifelines():
    # R print(fit, rmean = 5.5): rmean 3.625, se 0.7096 (hand: sum over event times of
    # A_i^2 d / (n (n - d)), A_i the area under S from t_i to tau). lifelines' variance
    # formula (lifelines issue #1682) gives 3.005 for the variance, SE 1.73.
    ours = restricted_mean(FRAME, 5.5)
    assert ours["rmst_days"].iloc[0] == pytest.approx(3.625)
    assert ours["se"].iloc[0] == pytest.approx(0.709558, abs=1e-6)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        mean, var = restricted_mean_survival_time(_kmf(), t=5.5, return_variance=True)
    assert mean == pytest.approx(3.625)
    assert var ** 0.5 == pytest.approx(1.7336, abs=1e-3)


def test_ph_check_is_r_cox_zph_3_not_lifelines_proportional_hazard_test():
    """cox.zph (survival >= 3.0) against lifelines' proportional_hazard_test, sex term.

    Synthetic reference frame without late entry, covariates as in test_comparison.py.
    Ours equals R's cox.zph (tests/reference/survival_ref_zph.csv, survival_reference.R);
    lifelines' test is the older Grambsch-Therneau approximation (survival < 3.0) and gives
    a different statistic for the same one-degree-of-freedom term.
    """
    from pathlib import Path

    from lifelines import CoxPHFitter
    from lifelines.statistics import proportional_hazard_test

    from pace_analysis.comparison import proportional_hazards_check
    from pace_analysis.lifelines_interop import to_lifelines

    ref_dir = Path(__file__).parent / "reference"
    frame = pd.read_csv(ref_dir / "survival_synthetic_frame.csv")
    frame["age_group"] = pd.Categorical(frame["age_group"], ["under 1", "1-4", "5-11", "12+"],
                                        ordered=True)
    frame["entry_days"] = 0.0
    covariates = ("age_group", "authority", "sex", "legal_basis")
    zph = pd.read_csv(ref_dir / "survival_ref_zph.csv")
    r_sex = zph[(zph["dataset"] == "synthetic") & (zph["variant"] == "rc")
                & (zph["transform"] == "km") & (zph["term"] == "sex")]["chisq"].iloc[0]
    ours = proportional_hazards_check(frame, covariates).set_index("term").loc["sex", "chisq"]
    assert ours == pytest.approx(r_sex, abs=1e-6)
    df = to_lifelines(frame, covariates).drop(columns="entry")
    cph = CoxPHFitter().fit(df, "duration", "event", fit_options={"precision": 1e-12})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        theirs = proportional_hazard_test(cph, df, time_transform="km").summary
    lifelines_sex = float(theirs.loc["sex[male]", "test_statistic"])
    assert abs(lifelines_sex - r_sex) > 0.02  # 0.027 against R's 0.060
