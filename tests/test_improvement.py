"""Run-chart rules, checked against values computed by hand from the published rules.

The XmR and P chart tests are in tests/test_spc.py.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from pace_analysis.errors import PaceError
from pace_analysis.improvement import anhoj_limits, run_chart
from pace_analysis.spc import p_chart, xmr_chart


def months(n: int, start: str = "2015-01-01") -> pd.DatetimeIndex:
    return pd.date_range(start, periods=n, freq="MS")


# ---------------------------------------------------------------- Anhøj limits (issue table)

@pytest.mark.parametrize(
    ("n", "longest", "crossings"),
    [(10, 6, 2), (12, 7, 3), (20, 7, 6), (24, 8, 8), (30, 8, 10), (48, 9, 18), (60, 9, 23)],
)
def test_anhoj_limits_match_published_table(n, longest, crossings):
    assert anhoj_limits(n) == (longest, crossings)


def test_anhoj_runs_and_crossings_counted_by_hand():
    # 12 points, median 6.5; sides: - - + + - + + + + - - -  → runs 2,2,1,4,3 → 4 crossings
    vals = [1, 2, 7, 8, 3, 9, 10, 11, 12, 4, 5, 6]
    res = run_chart(vals, months(12))
    s = res.summary.iloc[0]
    assert s["centre"] == 6.5 and s["n_useful"] == 12
    assert s["longest_run"] == 4 and s["crossings"] == 4
    # n=12: run limit 7 (signal if > 7), crossings limit 3 (signal if < 3): none fire
    assert not res.has_signal
    assert res.rule_set_name == "Anhøj rules"


def test_anhoj_long_run_signals_only_that_run():
    # 10 points below then 6 above, median computed from the first 8 (frozen baseline)
    vals = [5, 4, 6, 5, 4, 6, 5, 4, 1, 2, 1, 2, 1, 2, 1, 2]
    res = run_chart(vals, months(16), baseline=8)
    # centre = median of first 8 = 5 → points equal to 5 are not useful
    assert res.points["centre"].iloc[0] == 5
    on_line = res.points["value"] == 5
    assert not res.points.loc[on_line, "useful"].any()
    n_useful = int(res.points["useful"].sum())
    assert n_useful == 16 - 3
    run_max, _ = anhoj_limits(n_useful)  # round(log2 13)+3 = 7
    assert run_max == 7
    # last 8 points + the 4 just before (4, 4 and 6?) — count the below-run by hand:
    # sides after dropping 5s: 4- 6+ 4- 6+ 4- 1- 2- 1- 2- 1- 2- 1- 2-  → last run = 9 points
    flagged = res.points.index[res.points["signal_runs"]].tolist()
    assert flagged == [7] + list(range(8, 16))
    assert set(res.signals.loc[res.signals["rule"] == "runs", "direction"]) == {"down"}


def test_points_on_centre_line_are_dropped_and_do_not_break_runs():
    # median of 11 values = 6 (the middle point): it is not useful and neither makes nor
    # breaks the run of points around it
    vals = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]
    res = run_chart(vals, months(11))
    pts = res.points
    assert pts.loc[5, "value"] == 6 and not pts.loc[5, "useful"]
    assert np.isnan(pts.loc[5, "run_id"])
    s = res.summary.iloc[0]
    assert s["n_useful"] == 10 and s["longest_run"] == 5 and s["crossings"] == 1
    # n_useful = 10: crossings minimum 2 → 1 crossing is a signal
    assert pts.loc[pts["useful"], "signal_crossings"].all()
    assert not pts.loc[5, "signal_crossings"]


def test_too_few_points_gives_message_not_signal():
    res = run_chart([1, 1, 1, 9, 9, 9, 9, 9], months(8))
    assert not res.has_signal
    assert any("too few points for run-chart rules (need ≥ 10 useful points" in m
               for m in res.messages)


def test_empty_periods_are_gaps_with_message():
    vals = [3, 4, np.nan, 5, 6, 2, 3, 7, 8, 1, 4, 6]
    res = run_chart(vals, months(12))
    assert np.isnan(res.points.loc[2, "value"]) and not res.points.loc[2, "useful"]
    assert any("no data" in m for m in res.messages)
    assert res.summary.iloc[0]["n"] == 11


def test_all_empty_series_does_not_crash():
    res = run_chart([np.nan] * 12, months(12))
    assert not res.has_signal
    assert any("too few points" in m for m in res.messages)


def test_phases_have_their_own_median():
    vals = [1, 2, 3, 4, 5, 10, 20, 30, 40, 50]
    res = run_chart(vals, months(10), phases=[months(10)[5]])
    assert res.points["phase"].tolist() == ["phase 1"] * 5 + ["phase 2"] * 5
    assert res.points["centre"].tolist() == [3] * 5 + [30] * 5
    assert len([m for m in res.messages if "too few points" in m]) == 2


def test_baseline_as_end_date():
    vals = [1, 2, 3, 100, 100, 100]
    res = run_chart(vals, months(6), baseline="2015-03-01")
    assert res.points["centre"].eq(2).all()
    assert res.points["baseline"].tolist() == [True] * 3 + [False] * 3


def test_rule_sets_are_never_mixed():
    with pytest.raises(PaceError):
        run_chart([1, 2, 3], months(3), rules="nhs")
    with pytest.raises(PaceError):
        xmr_chart([1, 2, 3], months(3), rules="anhoj")
    with pytest.raises(PaceError):
        run_chart([1] * 3, months(3), rules="anhoj", astronomical=[months(3)[0]])
    res = run_chart(list(range(12)), months(12), rules="ihi")
    assert {c for c in res.points if c.startswith("signal_")} == {
        "signal_shift", "signal_trend", "signal_astronomical"}
    assert res.rules == "ihi" and res.rule_set_name == "IHI run-chart rules"


# ---------------------------------------------------------------- IHI rules

def test_ihi_trend_of_five_with_equal_values_inside():
    # 1 2 2 3 4 5 : the repeated 2 is ignored → 5 distinct rising values = trend
    vals = [9, 1, 2, 2, 3, 4, 5, 0, 1, 0, 1, 0]
    res = run_chart(vals, months(12), rules="ihi")
    flagged = res.points.index[res.points["signal_trend"]].tolist()
    assert flagged == [1, 2, 3, 4, 5, 6]
    assert set(res.signals.loc[res.signals["rule"] == "trend", "direction"]) == {"up"}


def test_ihi_equal_values_do_not_make_a_trend():
    # 1 2 2 3 4 : only 4 distinct rising values → no trend (ties do not count)
    vals = [9, 1, 2, 2, 3, 4, 0, 1, 0, 1, 0, 1]
    res = run_chart(vals, months(12), rules="ihi")
    assert not res.points["signal_trend"].any()


def test_ihi_equal_values_do_not_break_a_trend_down():
    vals = [0, 9, 8, 8, 8, 7, 6, 5, 0, 9, 0, 9]
    res = run_chart(vals, months(12), rules="ihi")
    flagged = res.points.index[res.points["signal_trend"]].tolist()
    assert flagged == [1, 2, 3, 4, 5, 6, 7, 8]  # 9 8 7 6 5 0: six distinct falling values


def test_ihi_shift_of_six_skips_points_on_median():
    # median 5; six points above with a 5 among them (on the median: skipped)
    vals = [1, 2, 1, 2, 6, 7, 5, 8, 6, 7, 9, 1, 2]
    res = run_chart(vals, months(13), rules="ihi")
    assert res.summary.iloc[0]["centre"] == 5
    flagged = res.points.index[res.points["signal_shift"]].tolist()
    assert flagged == [4, 5, 7, 8, 9, 10]
    # five on one side is not a shift
    vals2 = [1, 2, 1, 2, 6, 7, 5, 8, 6, 1, 9, 1, 2]
    assert not run_chart(vals2, months(13), rules="ihi").points["signal_shift"].any()


def test_ihi_astronomical_only_when_named():
    vals = [3, 4, 3, 4, 3, 40, 3, 4, 3, 4, 3, 4]
    d = months(12)
    assert not run_chart(vals, d, rules="ihi").points["signal_astronomical"].any()
    res = run_chart(vals, d, rules="ihi", astronomical=[d[5]])
    assert res.points.index[res.points["signal_astronomical"]].tolist() == [5]


# ---------------------------------------------------------------- drawing

def _texts(ax) -> str:
    import matplotlib

    ax.figure.canvas.draw()
    return " ".join(t.get_text() for t in ax.figure.findobj(matplotlib.text.Text))


def test_plot_names_rule_set_signals_and_messages():
    import matplotlib.pyplot as plt

    from pace_analysis.plotting.improvement import plot_run_chart

    vals = [5, 4, 6, 5, 4, 6, 5, 4, 1, 2, 1, 2, 1, 2, 1, 2]
    res = run_chart(vals, months(16), baseline=8, annotations=[(months(16)[8], "Formal review")])
    ax = plot_run_chart(res)
    text = _texts(ax)
    assert "Anhøj rules" in text and "unusually long run" in text and "Formal review" in text
    plt.close(ax.figure)
    few = run_chart([1, 2, 3], months(3), rules="ihi")
    ax = plot_run_chart(few)
    text = _texts(ax)
    assert "IHI run-chart rules" in text and "too few points" in text
    plt.close(ax.figure)
    pc = p_chart([1, 0, 2], [10, 0, 20], months(3))
    ax = plot_run_chart(pc)
    assert "zero denominator" in _texts(ax) and "P chart" in _texts(ax)
    plt.close(ax.figure)
