"""Trends by reporting year (pace_analysis.trends) and their chart (plotting.trends)."""

from __future__ import annotations

from datetime import date

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402

from pace_analysis import cohort, trends  # noqa: E402
from pace_analysis.plotting.trends import plot_trend_grid, plot_trends, year_position  # noqa: E402

EXTRACT = "2014-07-31"


def _cohort(year: int, n_home: int, n_order: int, n_exit: int, n_wait: int, first: int = 0):
    """Journeys starting 1 Sept of *year*: home on day 100, orders on day 500, exits day 200."""
    rows, k = [], first
    start = pd.Timestamp(year, 9, 1)
    for kind, count in (("home", n_home), ("adoption", n_order), ("exit", n_exit),
                        ("wait", n_wait)):
        for _ in range(count):
            k += 1
            route = kind if kind in ("home", "adoption") else None
            day = {"home": 100, "adoption": 500, "exit": 200}.get(kind)
            when = start + pd.Timedelta(days=day) if day else pd.NaT
            rows.append({"journey_id": f"j{k}", "child_id": f"c{k}", "looked_after_date": start,
                         "permanence_route": route,
                         "permanence_date": when if route else pd.NaT,
                         "exit_reason": "permanence" if route in ("home", "adoption") else (
                             "aged_out" if kind == "exit" else None),
                         "exit_date": when if kind != "wait" else pd.NaT})
    return rows


def _journeys() -> pd.DataFrame:
    rows = (_cohort(2009, 1, 1, 0, 1, 0)            # 2009-10: before the window start
            + _cohort(2010, 4, 2, 1, 3, 100)      # 2010-11: 10 children
            + _cohort(2011, 3, 3, 0, 2, 200)      # 2011-12: 8 children
            + _cohort(2012, 2, 2, 0, 1, 300)      # 2012-13: 5 children; 1 year only
            + _cohort(2013, 1, 0, 0, 2, 400))     # 2013-14: 3 children; no follow-up
    j = pd.DataFrame(rows)
    j["authority"] = "Testshire"
    j["sex"] = "male"
    j["date_of_birth"] = pd.Timestamp("2004-03-03")
    j["legal_basis"] = "cso"
    j["accommodated_date"] = pd.NaT
    j["planned_route"] = None
    j["extract_date"] = pd.Timestamp(EXTRACT)
    return j


@pytest.fixture(scope="module")
def table() -> pd.DataFrame:
    j = _journeys()
    frame = cohort.build_frame(j, window=("2010-08-01", None))
    return trends.permanence_by_year(frame, j, "Testshire", "2010-08-01")


def _get(t, year, h, outcome):
    r = t[(t["year"] == year) & (t["horizon_years"] == h) & (t["outcome"] == outcome)]
    assert len(r) == 1
    return r.iloc[0]


def test_shares_by_year_equal_the_hand_counts(table):
    # 2010-11, 10 children, everyone followed beyond 2 years: CIF = plain proportions.
    assert _get(table, "2010-11", 1, "home")["share"] == pytest.approx(4 / 10)
    assert _get(table, "2010-11", 1, "order")["share"] == pytest.approx(0.0)
    assert _get(table, "2010-11", 2, "order")["share"] == pytest.approx(2 / 10)
    assert _get(table, "2010-11", 2, "any")["share"] == pytest.approx(6 / 10)
    assert _get(table, "2011-12", 2, "any")["events"] == 6
    assert _get(table, "2011-12", 2, "any")["n"] == 8


def test_home_plus_orders_equal_any_and_cis_hold_the_estimate(table):
    wide = table.pivot_table(index=["year", "horizon_years"], columns="outcome", values="share")
    np.testing.assert_allclose(wide["home"] + wide["order"], wide["any"], atol=1e-12)
    inner = table[(table["share"] > 0) & (table["share"] < 1)]
    assert len(inner)
    assert ((inner["ci_lower"] < inner["share"]) & (inner["share"] < inner["ci_upper"])).all()


def test_only_years_with_enough_follow_up_and_inside_the_window(table):
    years = {h: set(table.loc[table["horizon_years"] == h, "year"]) for h in (1, 2)}
    # 2012-13 ends 31 Jul 2013: followed 1 year by the extract (31 Jul 2014), not 2.
    assert years[1] == {"2010-11", "2011-12", "2012-13"}
    assert years[2] == {"2010-11", "2011-12"}
    assert "2009-10" not in years[1]  # began before the window: partial year


def test_suppression_drops_small_years_and_small_counts(table):
    t = trends.suppress_trends(table, threshold=3)
    assert (t["n"] >= 3).all()
    # 2012-13 at 1 year: home 2 (< 3) suppressed; any = 2 shown? any = 2 too: suppressed;
    r = t[(t["year"] == "2012-13") & (t["horizon_years"] == 1)].set_index("outcome")
    assert r.loc["home", "suppressed"] and np.isnan(r.loc["home", "share"])
    # home + order = any: with home hidden, one more of the relation is hidden
    assert r["suppressed"].sum() >= 2
    big = trends.suppress_trends(table, threshold=9)
    assert set(big["year"]) == {"2010-11"}


def test_aims_by_year_use_celcis_wording_and_need_follow_up():
    j = _journeys()
    j.loc[j.index[:30], "accommodated_date"] = j.loc[j.index[:30], "looked_after_date"]
    j["permanence_recommendation_date"] = j["looked_after_date"] + pd.Timedelta(days=90)
    for c in ("panel_date", "adm_decision_date", "application_lodged_date"):
        j[c] = pd.NaT
    a = trends.aims_by_year(j, "Testshire", "2010-08-01", threshold=1)
    assert set(a["aim_label"]) <= set(trends.aims.AIM_SHORT.values())
    assert not any(trends.aims.internal_identifiers(x) for x in a["aim_label"])
    aim2 = a[a["aim"] == "recommendation_26w"]
    # every accommodated child had a recommendation on day 90: all met aim 2
    assert (aim2["share"] == 1).all()
    # aim 2 needs 182 days after the year's end: 2013-14 (ends 31 Jul 2014) is not shown
    assert "2013-14" not in set(aim2["year"])


def test_trend_chart_draws_no_point_from_a_small_year_and_marks_pace(table):
    # counts suppressed at 1 (nothing hidden), then drawn at threshold 9: only 2010-11
    # (10 children) may appear; its points sit at the middle of the year, 2011.0
    ax = plot_trends(trends.suppress_trends(table, 1), horizon=2, threshold=9,
                     pace_start=date(2011, 2, 1))
    pace = [line for line in ax.get_lines() if line.get_color() in ("#D55E00", "#d55e00")]
    assert len(pace) == 1
    assert pace[0].get_xdata()[0] == pytest.approx(year_position(date(2011, 2, 1)))
    drawn = [x for line in ax.get_lines() if line not in pace for x in line.get_xdata()]
    assert set(np.round(drawn, 6)) == {2011.0}
    plt.close(ax.figure)


def test_trend_chart_suppresses_small_counts_itself(table):
    # given the raw table, the chart applies suppress_trends: 2010-11 at 2 years has
    # 2 orders (< 3): no order point that year
    ax = plot_trends(table, horizon=2, threshold=3, outcomes=("order",))
    pts = [(x, y) for ln in ax.get_lines() for x, y in zip(ln.get_xdata(), ln.get_ydata(),
                                                           strict=True)]
    assert all(not (x == 2011.0 and np.isfinite(y)) for x, y in pts)
    plt.close(ax.figure)


def test_trend_chart_points_equal_the_table(table):
    ax = plot_trends(table, horizon=2, threshold=1, outcomes=("home",))
    lines = [ln for ln in ax.get_lines() if len(ln.get_xdata()) > 1 and
             ln.get_color() != "#D55E00"]
    ys = sorted(np.round(np.concatenate([ln.get_ydata() for ln in lines]), 9))
    want = sorted(np.round(table[(table["horizon_years"] == 2) & (table["outcome"] == "home")]
                           ["share"].to_numpy(), 9))
    assert ys == want
    plt.close(ax.figure)


def test_year_position_is_mid_year_for_the_points():
    assert year_position("2015-08-01") == pytest.approx(2015.5)
    assert year_position("2016-02-01") == pytest.approx(2015.5 + 184 / 365.25)


def test_trend_grid_has_one_panel_per_horizon(table):
    fig = plot_trend_grid(table, threshold=1)
    titles = [ax.get_title() for ax in fig.axes if ax.get_title()]
    assert titles == ["Within 1 year", "Within 2 years"]
    plt.close(fig)


def test_trend_sentence_names_years_and_shares(table):
    text = trends.trend_sentence(table, "Testshire", horizon=2)
    assert "2011-12" in text and "2010-11" in text and "75%" in text  # 6 of 8


def test_small_multiples_across_councils_one_panel_per_area(table):
    other = table.assign(area="Otherton")
    fig = plot_trend_grid(pd.concat([table, other]), col="area", threshold=1)
    titles = [ax.get_title() for ax in fig.axes if ax.get_title()]
    assert titles == ["Testshire", "Otherton"]
    for ax in fig.axes:
        if ax.get_title():  # 2-year shares only, each panel its own area
            ys = sorted(np.round(np.concatenate([ln.get_ydata() for ln in ax.get_lines()
                                                 if str(ln.get_gid()).startswith("trend:any")]),
                                 9))
            want = table[(table["horizon_years"] == 2) & (table["outcome"] == "any")]["share"]
            assert ys == sorted(np.round(want.to_numpy(), 9))
    plt.close(fig)
