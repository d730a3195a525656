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
