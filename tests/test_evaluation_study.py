"""The evaluation checked against the synthetic truth (a few seeds; the benchmark runs 24)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from pace_analysis.evaluation.panel import evaluation_panel
from pace_analysis.evaluation.study import coverage_table, evaluate, placebo, simulation_check
from pace_analysis.synthetic import generate

SEEDS = (31, 32, 33, 34)


@pytest.fixture(scope="module")
def checks():
    return pd.concat([simulation_check(s, scale=0.4, n_boot=399) for s in SEEDS],
                     ignore_index=True)


def _overall(checks, world):
    return checks[(checks["world"] == world) & (checks["e"] == "overall")]


def test_intervals_cover_the_true_effect(checks):
    ov = _overall(checks, "pace")
    assert ov["truth"].notna().all() and len(ov) == 3 * len(SEEDS)
    assert ov["covered"].mean() >= 0.9
    post = checks[(checks["world"] == "pace") & (checks["e"].isin(range(6)))]
    assert post["covered"].mean() >= 0.9


def test_effect_is_detected_where_it_is_large(checks):
    ov = _overall(checks, "pace").set_index(["seed", "measure"])
    rec = ov.xs("recommendation_within_26_weeks", level="measure")
    assert (rec["truth"] > 0.1).all()          # the generator's effect on the aim
    assert (rec["ci_low"] > 0).all()           # found in every seed
    days = ov.xs("days_to_recommendation", level="measure")
    assert (days["truth"] < 0).all() and (days["estimate"] < 0).mean() >= 0.75


def test_without_the_effect_the_estimate_is_centred_on_zero(checks):
    ov = _overall(checks, "no_pace")
    assert (ov["truth"] == 0).all()
    for _, g in ov.groupby("measure"):
        # mean over seeds within 2.5 standard errors of the mean of 0
        assert abs(g["estimate"].mean()) < 2.5 * g["se"].mean() / np.sqrt(len(g))
    assert ov["covered"].mean() >= 0.9


def test_placebo_join_dates_show_no_effect(checks):
    pl = checks[checks["world"] == "placebo"]
    assert len(pl) == 3 * len(SEEDS)
    assert pl["covered"].mean() >= 0.9
    assert (pl["p_value"] > 0.05).mean() >= 0.9


def test_coverage_table_summarises(checks):
    table = coverage_table(checks)
    assert set(table["world"]) == {"pace", "no_pace", "placebo"}
    row = table[(table["world"] == "pace") & (table["estimate"] == "overall")
                & (table["measure"] == "recommendation_within_26_weeks")].iloc[0]
    assert row["seeds"] == len(SEEDS) and 0 <= row["coverage"] <= 1
    ov = _overall(checks, "pace")
    ov = ov[ov["measure"] == "recommendation_within_26_weeks"]
    assert row["bias"] == pytest.approx((ov["estimate"] - ov["truth"]).mean())


def test_evaluate_and_placebo_on_one_dataset():
    panel = evaluation_panel(generate(seed=35, scale=0.3))
    res = evaluate(panel, ["permanence_within_2_years"], n_boot=199)
    ev = res["permanence_within_2_years"].event_study
    # anticipation 2: the reference year is e = -3, and e = -2, -1 are estimated
    assert ev.loc[ev["reference"], "e"].tolist() == [-3]
    assert {-2, -1, 0, 5} <= set(ev["e"])
    pl = placebo(panel, n_boot=199)
    assert set(pl) == {"recommendation_within_26_weeks", "days_to_recommendation",
                       "permanence_within_2_years"}
    # the placebo uses pre-PACE years only: no cell reaches the real joining year
    cells = pl["recommendation_within_26_weeks"].cells.table
    assert (cells["t"] < cells["g"] + 2).all()
