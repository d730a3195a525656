"""PACE measures by period on hand-made journeys, and the PACE-start signal on synthetic data."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from pace_analysis.dataset import Dataset
from pace_analysis.measures import (
    comparison_date,
    load_tests_of_change,
    measure_chart,
    pace_measures,
    pace_signal_summary,
    split_date,
)

EXTRACT = "2016-12-31"
REPO = Path(__file__).resolve().parents[1]


def journeys(rows: list[dict]) -> Dataset:
    cols = ["looked_after_date", "accommodated_date", "permanence_recommendation_date",
            "panel_date", "permanence_date", "exit_date"]
    base = {"authority": "Fife", "legal_basis": "s25", "planned_route": None,
            "extract_date": EXTRACT, **{c: None for c in cols}}
    df = pd.DataFrame([{**base, **r} for r in rows])
    df["journey_id"] = [f"j{i}" for i in range(len(df))]
    for c in [*cols, "extract_date"]:
        df[c] = pd.to_datetime(df[c])
    return Dataset(df, pd.DataFrame({"journey_id": []}), meta={"window": {"start": "2015-01-01"}})


def test_days_to_recommendation_is_km_median_by_accommodation_cohort():
    ds = journeys([
        {"looked_after_date": "2015-01-05", "accommodated_date": "2015-01-05",
         "permanence_recommendation_date": "2015-01-15"},           # 10 days
        {"looked_after_date": "2015-02-01", "accommodated_date": "2015-02-01",
         "permanence_recommendation_date": "2015-02-21"},           # 20 days
        {"looked_after_date": "2015-03-01", "accommodated_date": "2015-03-01",
         "permanence_recommendation_date": "2015-03-31"},           # 30 days
        {"looked_after_date": "2015-04-01", "accommodated_date": "2015-04-01",
         "permanence_date": "2015-04-08", "permanence_route": "home"},  # permanence first: 7
    ])
    t = pace_measures(ds, "quarter", ["days_to_recommendation"])
    q1 = t[t["period_start"] == "2015-01-01"].iloc[0]
    assert q1["value"] == 20 and q1["n"] == 3
    q2 = t[t["period_start"] == "2015-04-01"].iloc[0]
    assert q2["value"] == 7
    # empty quarters are present, with no value
    q3 = t[t["period_start"] == "2015-07-01"].iloc[0]
    assert np.isnan(q3["value"]) and q3["n"] == 0
    # the quarter that ends after the extract is dropped; the one ending on it is kept
    assert t["period_start"].max() == pd.Timestamp("2016-10-01")


def test_days_to_recommendation_censors_undecided():
    # 2 decided at 10 and 40 days, 2 still waiting at extract: KM median not reached → NaN
    ds = journeys([
        {"looked_after_date": "2015-01-05", "accommodated_date": "2015-01-05",
         "permanence_recommendation_date": "2015-01-15"},
        {"looked_after_date": "2015-01-05", "accommodated_date": "2015-01-05",
         "permanence_recommendation_date": "2015-02-14"},
        {"looked_after_date": "2015-01-05", "accommodated_date": "2015-01-05"},
        {"looked_after_date": "2015-01-05", "accommodated_date": "2015-01-05",
         "exit_date": "2015-01-25", "exit_reason": "transferred"},   # censored at 20 days
    ])
    t = pace_measures(ds, "quarter", ["days_to_recommendation"])
    # KM: S(10)=3/4; at 20 one censored; S(40)=3/4 * 1/2 = 3/8 ≤ 0.5 → median 40
    assert t.iloc[0]["value"] == 40


def test_share_within_26_weeks_by_hand():
    ds = journeys([
        {"looked_after_date": "2015-01-05", "accommodated_date": "2015-01-05",
         "permanence_recommendation_date": "2015-03-01"},            # met
        {"looked_after_date": "2015-01-10", "accommodated_date": "2015-01-10",
         "permanence_recommendation_date": "2015-12-01"},            # not met, followed
        {"looked_after_date": "2015-02-01", "accommodated_date": "2015-02-01"},   # not met
        {"looked_after_date": "2015-02-01", "accommodated_date": "2015-02-01",
         "exit_date": "2015-03-01", "exit_reason": "transferred"},   # left early: excluded
        {"looked_after_date": "2016-09-01", "accommodated_date": "2016-09-01"},   # too young
    ])
    t = pace_measures(ds, "quarter", ["recommendation_within_26_weeks"])
    q1 = t[t["period_start"] == "2015-01-01"].iloc[0]
    assert (q1["numerator"], q1["denominator"]) == (1, 3)
    assert q1["value"] == pytest.approx(1 / 3)
    # cohorts ending less than 182 days before the extract are not assessed
    assert t["period_end"].max() + pd.Timedelta(days=182) <= pd.Timestamp(EXTRACT)


def test_cso_home_two_years_at_period_end():
    ds = journeys([
        {"looked_after_date": "2014-01-01", "legal_basis": "cso"},          # 2+ years by 2016
        {"looked_after_date": "2015-06-01", "legal_basis": "cso"},          # < 2 years
        {"looked_after_date": "2014-01-01", "legal_basis": "cso",
         "accommodated_date": "2016-03-01"},                                # away by Q2 2016
        {"looked_after_date": "2014-01-01", "legal_basis": "s25"},          # not a CSO
    ])
    ds.meta["window"]["start"] = "2014-07-01"
    t = pace_measures(ds, "quarter", ["cso_home_2_years"]).set_index("period_start")
    # first period ending at least two years after the data start
    assert t.index.min() == pd.Timestamp("2016-07-01")
    row = t.loc["2016-07-01"]
    assert (row["numerator"], row["denominator"]) == (1, 2)


def test_cso_cohort_by_hand():
    ds = journeys([
        {"looked_after_date": "2014-01-10", "legal_basis": "cso"},                 # still
        {"looked_after_date": "2014-02-10", "legal_basis": "cso",
         "permanence_date": "2015-02-10", "exit_date": "2015-02-10"},              # home in 1y
        {"looked_after_date": "2014-03-10", "legal_basis": "cso",
         "accommodated_date": "2015-03-10"},                                       # away
        {"looked_after_date": "2014-03-10", "legal_basis": "cso",
         "accommodated_date": "2014-03-10"},                                       # not at home
    ])
    ds.meta["window"]["start"] = "2014-01-01"
    t = pace_measures(ds, "quarter", ["cso_home_2_years_cohort"]).set_index("period_start")
    q = t.loc["2014-01-01"]
    assert (q["numerator"], q["denominator"]) == (1, 3)
    # cohorts whose two years end after the extract are not assessed
    assert t.index.max() <= pd.Timestamp(EXTRACT) - pd.DateOffset(years=2)


def test_panel_measure_excludes_return_home_plans():
    ds = journeys([
        {"looked_after_date": "2015-01-05", "accommodated_date": "2015-01-05",
         "permanence_recommendation_date": "2015-01-10", "panel_date": "2015-02-09",
         "planned_route": "adoption"},
        {"looked_after_date": "2015-01-05", "accommodated_date": "2015-01-05",
         "permanence_recommendation_date": "2015-01-10", "planned_route": "home"},
    ])
    t = pace_measures(ds, "quarter", ["days_recommendation_to_panel"])
    q1 = t.iloc[0]
    assert q1["value"] == 30 and q1["n"] == 1


def test_split_dates():
    assert comparison_date() == date(2017, 7, 1)  # 14th of the 27 sorted starts
    assert split_date("Fife") == (date(2016, 4, 1), "joined PACE")
    d, why = split_date("Moray")
    assert d == date(2017, 7, 1) and "did not take part" in why


def test_small_periods_hidden_with_message():
    rows = [{"looked_after_date": f"2015-{m:02d}-01", "accommodated_date": f"2015-{m:02d}-01",
             "permanence_recommendation_date": f"2015-{m:02d}-20"} for m in range(1, 13)]
    ds = journeys(rows)
    t = pace_measures(ds, "quarter", ["days_to_recommendation"])
    chart = measure_chart(t, "Fife", "days_to_recommendation", min_n=5)
    assert chart.points["value"].isna().all()
    assert any("fewer than 5 children" in m for m in chart.messages)
    assert not chart.has_signal


def test_tests_of_change_file(tmp_path):
    (tmp_path / "tests_of_change.csv").write_text(
        "authority,date,change\nFife,2016-05-20,Formal review\nMoray,2017-01-01,Other\n")
    toc = load_tests_of_change(tmp_path, "Fife")
    assert toc["change"].tolist() == ["Formal review"]
    assert load_tests_of_change(tmp_path / "missing").empty


def _bundled_or_generated() -> Dataset:
    if (REPO / "data" / "synthetic" / "dataset.yaml").is_file():
        from pace_analysis.io import read_dataset

        return read_dataset(REPO / "data" / "synthetic")
    from pace_analysis.synthetic import generate

    return generate(seed=2014, scale=1.0)


@pytest.mark.slow
def test_pace_start_signals_in_participants_only():
    """DESIGN/issue 5: the PACE start shows as a signal in most participants, none of the others.

    Measure: median days from accommodation to permanence recommendation, quarterly,
    Anhøj rules, median frozen on the quarters before the authority's start.
    """
    ds = _bundled_or_generated()
    s = pace_signal_summary(ds, "days_to_recommendation", rules="anhoj", frequency="quarter")
    part, non = s[s["participant"]], s[~s["participant"]]
    assert len(part) == 27 and len(non) == 5
    assert part["signal_after_split"].mean() >= 0.70, part[["authority", "signal_after_split"]]
    assert not non["signal_after_split"].any(), non[["authority", "rules_fired"]]


def test_proportion_withheld_when_numerator_or_complement_is_small():
    # Quarters of 6 to 10 children (above the threshold) whose shares are 1/6, 7/8, 5/10, 0/6:
    # 1/6 gives away one child and 7/8 its one exception; 5/10 and 0/6 reveal nothing small.
    quarters = pd.date_range("2015-01-01", periods=4, freq="QS")
    num, den = [1, 7, 5, 0], [6, 8, 10, 6]
    t = pd.DataFrame({"authority": "Fife", "period_start": quarters,
                      "period_end": quarters + pd.offsets.QuarterEnd(0),
                      "measure": "recommendation_within_26_weeks",
                      "value": np.divide(num, den), "numerator": num, "denominator": den, "n": den})
    chart = measure_chart(t, "Fife", "recommendation_within_26_weeks", min_n=5)
    shown = chart.points["value"].notna().tolist()
    assert shown == [False, False, True, True]
    assert any("2 period(s)" in m for m in chart.messages)
