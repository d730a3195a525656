"""Cohort trends on synthetic data of known truth: the scorecard mean is biased, ours is not.

A generator run followed up to 2050 (every child's outcome is seen: all have turned 18)
is the truth; the same children cut back to a 2016-07-31 extract (:func:`censor_at`) are
what an analyst would have. Truths are computed from the complete data directly, not from
our estimator.
"""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import pytest

from pace_analysis.cohort import build_frame
from pace_analysis.multistate.trends import censor_at, cohort_trends
from pace_analysis.synthetic import generate

TAU = 3 * 365.25
COHORTS = range(2009, 2014)


@pytest.fixture(scope="module")
def runs():
    full = generate(seed=7, scale=0.5, start=date(2008, 8, 1), end=date(2014, 7, 31),
                    extract_date=date(2050, 7, 31))
    cut = censor_at(full, "2016-07-31")
    trends = cohort_trends(cut, times_days=(365.25, 730.5), tau_days=TAU, cohorts=COHORTS)
    frame = build_frame(full)
    la = full.journeys.set_index("journey_id").loc[frame["journey_id"], "looked_after_date"]
    truth = pd.DataFrame({"cohort": pd.to_datetime(la).dt.year.to_numpy(),
                          "t_perm": np.where(frame["event_observed"], frame["time_days"],
                                             np.inf)})
    return full, cut, trends, truth


def _one(trends, cohort, measure, time=None):
    sub = trends[(trends["cohort"] == cohort) & (trends["measure"] == measure)]
    if time is not None:
        sub = sub[(sub["milestone"] == "legal permanence") & (sub["time_days"] == time)]
    assert len(sub) == 1
    return sub.iloc[0]


def test_full_run_sees_every_outcome_and_the_cut_censors(runs):
    full, cut, _, _ = runs
    assert (build_frame(full)["outcome"] != "censored").all()
    assert (cut.journeys["extract_date"] == pd.Timestamp("2016-07-31")).all()
    assert (cut.journeys["permanence_date"].dropna() <= pd.Timestamp("2016-07-31")).all()
    assert cut.journeys["permanence_date"].notna().sum() < full.journeys["permanence_date"].notna().sum()


def test_scorecard_mean_is_biased_and_ours_recovers_the_truth(runs):
    _, _, trends, truth = runs
    naive_bias, our_bias = [], []
    for c in COHORTS:
        tp = truth.loc[truth["cohort"] == c, "t_perm"].to_numpy()
        true_rm = np.minimum(tp, TAU).mean()
        true_mean = tp[np.isfinite(tp)].mean()
        true_2y = (tp <= 730.5).mean()
        ours = _one(trends, c, "restricted_mean_time_to_permanence")
        share = _one(trends, c, "share_reaching", 730.5)
        naive = _one(trends, c, "mean_time_to_permanence")
        assert abs(ours["estimate"] - true_rm) <= 2.5 * ours["std_err"]
        assert abs(share["estimate"] - true_2y) <= 2.5 * share["std_err"]
        naive_bias.append(naive["estimate"] - true_mean)
        our_bias.append(ours["estimate"] - true_rm)
    # completed cases only: the later the cohort, the fewer slow cases have finished
    assert all(b < 0 for b in naive_bias)
    assert naive_bias[-1] < naive_bias[0] < -50
    assert np.max(np.abs(our_bias)) < 0.1 * np.min(np.abs(naive_bias))


def test_trends_table_shape(runs):
    _, _, trends, _ = runs
    assert set(trends["measure"]) == {"share_reaching", "restricted_mean_time_to_permanence",
                                      "mean_time_to_permanence"}
    shares = trends[trends["measure"] == "share_reaching"]
    assert shares["estimate"].between(0, 1).all()
    # reaching permanence within 2 years is at least as likely as within 1 year
    wide = shares[shares["milestone"] == "legal permanence"].pivot(
        index="cohort", columns="time_days", values="estimate")
    assert (wide[730.5] >= wide[365.25]).all()
