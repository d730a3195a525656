"""Interrupted time series: Newey–West OLS against statsmodels, and the report's reading."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from pace_analysis.errors import PaceError
from pace_analysis.evaluation.its import (
    hac_ols,
    its_sentence,
    newey_west_lag,
    report_its,
    segmented_regression,
)
from pace_analysis.evaluation.its import styled as its_styled

REF = Path(__file__).parent / "reference"


def test_matches_statsmodels_hac():
    s = pd.read_csv(REF / "its_series.csv")
    ref = pd.read_csv(REF / "its_ref_statsmodels.csv")
    res = segmented_regression(s["period"], s["value"], date(2016, 4, 1), kind="median")
    got = res.table.set_index("term").loc[ref["term"]]
    np.testing.assert_allclose(got["estimate"], ref["estimate"], rtol=1e-9)
    np.testing.assert_allclose(got["se"], ref["se"], rtol=1e-9)
    assert res.lag == ref["lag"].iloc[0]
    assert res.n_before + res.n_after == s["value"].notna().sum()


def test_hac_with_lag_0_is_the_white_covariance():
    rng = np.random.default_rng(0)
    x = np.column_stack([np.ones(50), rng.normal(size=50)])
    y = x @ [1.0, 2.0] + rng.normal(size=50)
    beta, cov, lag = hac_ols(y, x, lag=0, correction=False)
    e = y - x @ beta
    bread = np.linalg.inv(x.T @ x)
    np.testing.assert_allclose(cov, bread @ (x.T * e**2) @ x @ bread)
    assert lag == 0 and newey_west_lag(64) == 3 and newey_west_lag(16) == 2


@pytest.mark.parametrize(("rho", "low", "high"), [(0.0, 0.92, 0.99), (0.5, 0.78, 0.9)])
def test_interval_coverage_of_a_known_level_change(rho, low, high):
    # True level change -60. With independent noise the 95% interval covers it about 95%
    # of the time; with AR(1) noise of 0.5 Newey-West is known to be too narrow on 56
    # points (about 83%, as docs/evaluation.md says): the test pins both.
    rng = np.random.default_rng(5)
    periods = pd.period_range("2010Q1", "2023Q4", freq="Q").start_time
    t = (periods - pd.Timestamp("2016-04-01")).days / 365.25
    hits = 0
    for _ in range(300):
        e = np.zeros(len(t))
        for i in range(1, len(t)):
            e[i] = rho * e[i - 1] + rng.normal(0, 20)
        y = 300 - 60 * (t >= 0) + e
        row = segmented_regression(periods, y, date(2016, 4, 1)).table.set_index("term")
        hits += row.loc["level_change", "ci_low"] <= -60 <= row.loc["level_change", "ci_high"]
    assert low <= hits / 300 <= high


def test_too_few_points_and_the_sentence():
    periods = pd.period_range("2015Q1", "2017Q4", freq="Q").start_time
    with pytest.raises(PaceError, match="needs 4 on each side"):
        segmented_regression(periods[:6], np.arange(6.0), date(2016, 4, 1))
    y = np.where(periods >= pd.Timestamp("2016-04-01"), 0.5, 0.2) + np.linspace(0, 0.01, 12)
    res = segmented_regression(periods, y, date(2016, 4, 1), title="Share", kind="proportion")
    text = its_sentence(res)
    assert text.startswith("**Share.** At joining PACE (April 2016)")
    assert "+30 percentage points" in text and "could be chance" not in text.split("the trend")[0]


class _Chart:
    def __init__(self, measure, title):
        self.measure, self.title, self.chart = measure, title, object()


def test_report_its_for_a_council_outside_the_registry_names_no_one():
    # An English extract, or a hostile name: no PACE date, and the name is not echoed.
    for name in ("England", "<script>alert(1)</script> Borough"):
        table, text = report_its(name, [])
        assert table.empty and len(text) == 1
        assert "No PACE joining date is known" in text[0] and name not in text[0]


def test_report_its_for_a_council_that_never_joined_and_one_that_did():
    table, text = report_its("Moray", [])
    assert table.empty and text == [
        "This council did not take part in PACE, so there is no joining date to test for a "
        "change."]
    periods = pd.period_range("2012Q1", "2021Q4", freq="Q").start_time
    pts = pd.DataFrame({"period": periods.strftime("%Y-%m"),
                        "value": np.where(periods >= pd.Timestamp("2014-10-01"), 200.0, 400.0)
                        + np.sin(np.arange(40))})
    short = pts.iloc[:3]
    charts = [(_Chart("days_to_recommendation", "Days"), None, pts),
              (_Chart("recommendation_within_26_weeks", "Share"), None, short)]
    table, text = report_its("Aberdeen City", charts)
    assert list(table["Measure"]) == ["Days"]
    assert table["Change in level"].iloc[0] == pytest.approx(-200, abs=5)
    assert table["Change in level: lower 95%"].iloc[0] < -190 < table["Change in level: upper 95%"].iloc[0] + 20
    assert text[0].startswith("**Days.**") and "No interrupted time series" in text[1]


def test_styled_table_names_itself_for_the_page():
    table = pd.DataFrame({"Measure": ["Days"], "Change in level": [-12.345]})
    html = its_styled(table).to_html()
    assert 'id="T_interrupted_time_series"' in html and "-12.3<" in html


def test_amounts_that_round_to_zero_read_zero():
    from pace_analysis.evaluation.its import _amount

    assert _amount(-0.002, "proportion") == "0 percentage points"
    assert _amount(0.3, "days") == "0 days"
    assert _amount(-0.2, "proportion") == "-20 percentage points"
    assert _amount(1234.4, "days") == "+1,234 days"
