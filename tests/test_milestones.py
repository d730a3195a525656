"""Stages between milestones and the PACE aims, checked against hand computation and R."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from pace_analysis.errors import PaceError
from pace_analysis.milestones import (
    STAGE_CODES,
    km_quantiles,
    pace_aims,
    stage_durations,
    stage_summary,
    wilson_interval,
)
from pace_analysis.schema import JOURNEY_COLUMNS

EXTRACT = "2020-12-31"


def journeys(rows: list[dict]) -> pd.DataFrame:
    """Journeys table from partial rows (missing dates empty)."""
    base = {c.name: None for c in JOURNEY_COLUMNS}
    base.update(authority="Fife", sex="female", date_of_birth="2010-01-01", legal_basis="s25",
                extract_date=EXTRACT)
    frame = pd.DataFrame([{**base, "journey_id": f"J{i}", "child_id": f"C{i}", **r}
                          for i, r in enumerate(rows)])
    for c in JOURNEY_COLUMNS:
        if c.kind == "date":
            frame[c.name] = pd.to_datetime(frame[c.name])
    return frame


def stage_row(st: pd.DataFrame, jid: str, stage: str) -> pd.Series:
    sel = st[(st["journey_id"] == jid) & (st["stage"] == stage)]
    assert len(sel) == 1, (jid, stage, len(sel))
    return sel.iloc[0]


@pytest.fixture
def adoption_and_home() -> pd.DataFrame:
    return journeys([
        # J0: full adoption chain, accommodated on day 0.
        dict(looked_after_date="2015-01-01", accommodated_date="2015-01-01",
             permanence_recommendation_date="2015-07-01", planned_route="adoption",
             panel_date="2015-08-01", adm_decision_date="2015-08-15",
             application_lodged_date="2015-10-01", permanence_route="adoption",
             permanence_date="2016-04-01", exit_date="2016-04-01", exit_reason="permanence"),
        # J1: at home first, accommodated later, returned home without panel.
        dict(looked_after_date="2018-01-01", legal_basis="cso", accommodated_date="2018-03-02",
             permanence_recommendation_date="2018-05-01", planned_route="home",
             permanence_route="home", permanence_date="2018-06-10", exit_date="2018-06-10",
             exit_reason="permanence"),
        # J2: still waiting at the panel stage.
        dict(looked_after_date="2019-01-01", accommodated_date="2019-01-01",
             permanence_recommendation_date="2019-06-01", planned_route="permanence_order",
             panel_date="2020-12-01"),
        # J3: left care (transferred) before any recommendation.
        dict(looked_after_date="2019-01-01", accommodated_date="2019-02-01",
             exit_date="2019-04-01", exit_reason="transferred"),
    ])


def test_stage_durations_statuses_and_days(adoption_and_home):
    st = stage_durations(adoption_and_home)
    # J0: 181, 31, 14, 47, 183 days (2016 is a leap year: Oct 1 -> Apr 1 = 183).
    expected = {"accommodated_to_recommendation": 181, "recommendation_to_panel": 31,
                "panel_to_adm": 14, "adm_to_application": 47, "application_to_order": 183}
    for stage, days in expected.items():
        r = stage_row(st, "J0", stage)
        assert r["status"] == "completed" and r["event"] and r["duration_days"] == days
    # J0 was accommodated on its first day: no looked-after-at-home stage.
    assert not ((st["journey_id"] == "J0") & (st["stage"] == "looked_after_to_accommodated")).any()
    # J1: at home 60 days; accommodated 60 days; then bypassed panel to permanence (40 days).
    assert stage_row(st, "J1", "looked_after_to_accommodated")["duration_days"] == 60
    assert stage_row(st, "J1", "accommodated_to_recommendation")["duration_days"] == 60
    r = stage_row(st, "J1", "recommendation_to_panel")
    assert r["status"] == "bypassed" and r["to_milestone"] == "permanence_date"
    assert r["duration_days"] == 40
    for stage in ("panel_to_adm", "adm_to_application", "application_to_order"):
        r = stage_row(st, "J1", stage)
        assert r["status"] == "skipped" and np.isnan(r["duration_days"]) and not r["event"]
    # J2: panel held on 2020-12-01; ADM stage open, censored at the extract (30 days).
    r = stage_row(st, "J2", "panel_to_adm")
    assert r["status"] == "open" and not r["event"] and r["duration_days"] == 30
    assert stage_row(st, "J2", "adm_to_application")["status"] == "not_reached"
    # J3: left care: recommendation stage censored at the exit date (59 days).
    r = stage_row(st, "J3", "accommodated_to_recommendation")
    assert r["status"] == "left_care" and r["duration_days"] == 59 and r["to_milestone"] == "exit_date"
    assert set(st["stage"].cat.categories) == set(STAGE_CODES)


def test_out_of_order_stage_has_no_duration():
    st = stage_durations(journeys([dict(
        looked_after_date="2019-01-01", accommodated_date="2019-01-01",
        permanence_recommendation_date="2019-06-01", panel_date="2019-05-01")]))
    r = stage_row(st, "J0", "recommendation_to_panel")
    assert r["status"] == "out_of_order" and np.isnan(r["duration_days"]) and not r["event"]


def test_missing_column_is_a_clear_error():
    with pytest.raises(PaceError, match="panel_date"):
        stage_durations(journeys([{"looked_after_date": "2019-01-01"}]).drop(columns="panel_date"))


# Reference values: R 4.x survival::survfit, quantile(fit, c(.25, .5, .75))
#   Surv(c(1,2,3,4), c(1,1,1,1))           -> 1.5 2.5 3.5
#   Surv(c(1,2,3,4,5,6), c(1,1,0,1,1,0))   -> 2 4 5
#   Surv(c(1,2,3,4), c(1,1,0,0))           -> 1.5 3.0 NA
@pytest.mark.parametrize("t, e, expected", [
    ([1, 2, 3, 4], [1, 1, 1, 1], [1.5, 2.5, 3.5]),
    ([1, 2, 3, 4, 5, 6], [1, 1, 0, 1, 1, 0], [2, 4, 5]),
    ([1, 2, 3, 4], [1, 1, 0, 0], [1.5, 3.0, np.nan]),
])
def test_km_quantiles_match_r(t, e, expected):
    np.testing.assert_allclose(km_quantiles(t, e), expected, equal_nan=True)


def test_km_quantiles_empty_is_nan():
    assert np.isnan(km_quantiles([], [])).all()


def test_stage_summary_medians_and_most_time():
    rows = []
    # Five adoptions with hand-chosen stage lengths; recommendation->panel the longest.
    for k, (a, b) in enumerate([(100, 200), (110, 210), (120, 220), (130, 230), (140, 240)]):
        acc = pd.Timestamp("2015-01-01") + pd.Timedelta(days=k)
        rec = acc + pd.Timedelta(days=a)
        panel = rec + pd.Timedelta(days=b)
        rows.append(dict(looked_after_date=acc, accommodated_date=acc,
                         permanence_recommendation_date=rec, panel_date=panel,
                         adm_decision_date=panel + pd.Timedelta(days=10),
                         application_lodged_date=panel + pd.Timedelta(days=20),
                         permanence_route="adoption",
                         permanence_date=panel + pd.Timedelta(days=50)))
    summ = stage_summary(journeys(rows), by="permanence_route")
    ad = summ[summ["group"] == "adoption"].set_index("stage", drop=False)
    assert ad.loc["accommodated_to_recommendation", "median_days"] == 120
    assert ad.loc["recommendation_to_panel", "median_days"] == 220
    assert ad.loc["recommendation_to_panel", "q1_days"] == 210
    assert ad.loc["application_to_order", "median_days"] == 30
    assert ad["most_time"].sum() == 1 and ad.loc["recommendation_to_panel", "most_time"]
    # Medians 120 + 220 + 10 + 10 + 30 = 390.
    assert ad.loc["recommendation_to_panel", "share_of_total"] == pytest.approx(220 / 390)
    assert (ad["n"] == 5).all() and (ad["n_completed"] == 5).all()


def test_stage_summary_counts_bypassed_apart(adoption_and_home):
    summ = stage_summary(adoption_and_home, by=None)
    r = summ[summ["stage"] == "recommendation_to_panel"].iloc[0]
    # J0 completed, J1 bypassed, J2 completed; median over J0 (31) and J2 (549).
    assert (r["n"], r["n_completed"], r["n_bypassed"]) == (3, 2, 1)
    assert r["median_days"] == pytest.approx((31 + 549) / 2)
    assert set(summ["group"]) == {"All"}


def test_stage_summary_median_not_reached_is_flagged():
    rows = [dict(looked_after_date="2020-01-01", accommodated_date="2020-01-01")] * 3
    summ = stage_summary(journeys(rows), by=None)
    r = summ[summ["stage"] == "accommodated_to_recommendation"].iloc[0]
    assert r["n_open"] == 3 and not r["median_reached"] and np.isnan(r["median_days"])


def test_wilson_interval_published_example():
    # Newcombe (1998), Statistics in Medicine 17:857, example: 81/263 -> 0.2553 to 0.3662.
    lo, hi = wilson_interval([81], [263])
    assert lo[0] == pytest.approx(0.2553, abs=5e-5) and hi[0] == pytest.approx(0.3662, abs=5e-5)
    lo, hi = wilson_interval([0], [0])
    assert np.isnan(lo[0]) and np.isnan(hi[0])


def test_pace_aims_numerators_and_denominators():
    j = journeys([
        # A: recommended after 100 days -> meets aim 2; panel 60 days later -> meets panel aim.
        dict(looked_after_date="2019-01-01", accommodated_date="2019-01-01",
             permanence_recommendation_date="2019-04-11", planned_route="adoption",
             panel_date="2019-06-10"),
        # B: no recommendation after 1 year -> fails aim 2, eligible.
        dict(looked_after_date="2019-06-01", accommodated_date="2019-06-01"),
        # C: accommodated 100 days before the extract, no recommendation -> not yet assessable.
        dict(looked_after_date="2020-09-22", accommodated_date="2020-09-22"),
        # D: accommodated 100 days before extract, already recommended -> meets, counted.
        dict(looked_after_date="2020-09-22", accommodated_date="2020-09-22",
             permanence_recommendation_date="2020-10-01", planned_route="home"),
        # E: CSO at home since 2017, never accommodated, still looked after -> aim 1, reviewed.
        dict(looked_after_date="2017-01-01", legal_basis="cso",
             permanence_recommendation_date="2019-03-01", planned_route="home"),
        # F: CSO at home, went home (permanence) after 1 year -> in aim-1 denominator only.
        dict(looked_after_date="2016-01-01", legal_basis="cso", permanence_route="home",
             permanence_date="2017-01-01", exit_date="2017-01-01", exit_reason="permanence"),
        # G: CSO at home since 2016, not reviewed.
        dict(looked_after_date="2016-05-01", legal_basis="cso"),
        # H: recommendation (kinship) 200 days before extract, no panel -> fails panel aim.
        dict(looked_after_date="2019-01-01", accommodated_date="2019-01-01",
             permanence_recommendation_date="2020-06-14", planned_route="kinship"),
    ])
    aims = pace_aims(j).set_index("aim")
    # Aim 2: eligible A, B, D, H (H: recommended at 530 days -> fails); C left out.
    assert (aims.loc["recommendation_26w", "numerator"], aims.loc["recommendation_26w", "denominator"]) == (2, 4)
    # Panel: A (met) and H (fails); D and E planned home -> excluded.
    assert (aims.loc["panel_12w", "numerator"], aims.loc["panel_12w", "denominator"]) == (1, 2)
    # Aim 1: E, F, G eligible; E and G still at home at 2 years; E reviewed.
    assert (aims.loc["cso_home_2y", "numerator"], aims.loc["cso_home_2y", "denominator"]) == (2, 3)
    assert (aims.loc["cso_home_2y_reviewed", "numerator"], aims.loc["cso_home_2y_reviewed", "denominator"]) == (1, 2)
    assert aims.loc["cso_home_2y", "share"] == pytest.approx(2 / 3)
    lo, hi = wilson_interval([2], [3])
    assert aims.loc["cso_home_2y", "ci_lower"] == pytest.approx(lo[0])
    assert aims["description"].str.len().min() > 50


def test_pace_aims_empty_denominator_is_explained():
    j = journeys([dict(looked_after_date="2020-12-01", accommodated_date="2020-12-01")])
    aims = pace_aims(j, by="authority").set_index("aim")
    assert aims.loc["recommendation_26w", "denominator"] == 0
    assert np.isnan(aims.loc["recommendation_26w", "share"])
    assert aims.loc["recommendation_26w", "note"] == "no eligible children"
    assert (aims["group"] == "Fife").all()


def test_home_journeys_without_accommodation_get_a_bypass_stage():
    j = journeys([
        # Never accommodated: CSO at home, went home after 300 days with no recommendation.
        dict(looked_after_date="2018-01-01", legal_basis="cso", permanence_route="home",
             permanence_date="2018-10-28", exit_date="2018-10-28", exit_reason="permanence"),
        # Never accommodated, still at home: looked-after-at-home stage open.
        dict(looked_after_date="2020-01-01", legal_basis="cso"),
    ])
    st = stage_durations(j)
    r = stage_row(st, "J0", "looked_after_to_accommodated")
    assert r["status"] == "bypassed" and r["to_milestone"] == "permanence_date"
    assert r["duration_days"] == 300
    r = stage_row(st, "J1", "looked_after_to_accommodated")
    assert r["status"] == "open" and r["duration_days"] == 365  # 2020 is a leap year
    summ = stage_summary(j, by="permanence_route").set_index(["group", "stage"])
    row = summ.loc[("home", "looked_after_to_order")]
    assert row["bypass"] and row["n_completed"] == 1 and row["median_days"] == 300
    assert "without accommodation, recommendation" in row["stage_label"]
    assert summ.loc[("home", "looked_after_to_accommodated"), "n_bypassed"] == 1
    assert (summ["n_journeys"].loc["home"] == 1).all()


def test_km_median_agrees_with_survival_module():
    from pace_analysis.survival import median_time

    rng = np.random.default_rng(11)
    t = np.round(rng.exponential(300, 200))
    e = rng.random(200) < 0.6
    ref = median_time(pd.DataFrame({"time_days": t, "event_observed": e}))
    assert km_quantiles(t, e, (0.5,))[0] == ref["median_days"].iloc[0]


def test_stage_durations_on_synthetic_data_are_well_formed():
    from pace_analysis.synthetic import generate

    ds = generate(seed=2014, scale=0.02)
    st = stage_durations(ds)
    assert (st["duration_days"].dropna() >= 0).all()
    assert st.loc[st["status"].isin(["skipped", "not_reached"]), "duration_days"].isna().all()
    assert st.loc[st["event"], "status"].isin(["completed", "bypassed"]).all()
    summ = stage_summary(st)
    assert (summ["n_completed"] <= summ["n"]).all()
    assert summ.groupby("group")["most_time"].sum().le(1).all()
