"""SPC charts (XmR and P, NHS rules), checked against values computed by hand from the
published rules."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from pace_analysis.errors import PaceError
from pace_analysis.spc import p_chart, xmr_chart


def months(n: int, start: str = "2015-01-01") -> pd.DatetimeIndex:
    return pd.date_range(start, periods=n, freq="MS")


# ---------------------------------------------------------------- XmR (NHS)

def test_xmr_limits_by_hand():
    vals = [10, 12, 11, 13, 12, 14, 13, 12, 11, 12]
    res = xmr_chart(vals, months(10))
    mean = sum(vals) / 10
    mr = sum(abs(a - b) for a, b in zip(vals[1:], vals[:-1], strict=True)) / 9
    p = res.points.iloc[0]
    assert math.isclose(p["centre"], mean)
    assert math.isclose(p["upper"], mean + 2.66 * mr)
    assert math.isclose(p["lower"], mean - 2.66 * mr)
    assert math.isclose(p["upper_2s"], mean + 2 * mr / 1.128)
    assert res.rule_set_name == "NHS Making Data Count rules"


def test_xmr_point_beyond_limits_and_shift_of_seven():
    base = [11, 10] * 5
    res = xmr_chart(base + [30], months(11), baseline=10)
    assert res.points.index[res.points["signal_beyond_limits"]].tolist() == [10]
    # frozen mean 10.5: seven points above
    res = xmr_chart(base + [10.8] * 7, months(17), baseline=10)
    assert res.points.index[res.points["signal_shift"]].tolist() == list(range(10, 17))
    res6 = xmr_chart(base + [10.8] * 6, months(16), baseline=10)
    assert not res6.points["signal_shift"].any()


def test_xmr_trend_of_seven():
    vals = [5, 1, 5, 1, 5, 1, 2, 3, 4, 5, 6, 7, 1, 5]
    res = xmr_chart(vals, months(14))
    assert res.points.index[res.points["signal_trend"]].tolist() == list(range(5, 12))


def test_xmr_two_of_three_beyond_two_sigma():
    base = [10, 11] * 6  # mean 10.5, mR = 1, sigma = 1/1.128, 2σ = 1.773, 3σ = 2.66
    vals = base + [12.5, 10.5, 12.4, 10.5]  # 12.5 and 12.4 are beyond 2σ, inside 3σ
    res = xmr_chart(vals, months(16), baseline=12)
    assert not res.points["signal_beyond_limits"].any()
    assert res.points.index[res.points["signal_two_of_three"]].tolist() == [12, 14]
    # opposite sides do not count together
    vals = base + [12.5, 8.5, 10.5, 10.5]
    res = xmr_chart(vals, months(16), baseline=12)
    assert not res.points["signal_two_of_three"].any()


# ---------------------------------------------------------------- P chart

def test_p_chart_limits_by_hand_and_clipped():
    num = [1, 0, 2, 1, 0, 1, 1, 0, 2, 1, 0, 1]
    den = [10, 5, 20, 10, 4, 10, 8, 3, 20, 10, 2, 10]
    res = p_chart(num, den, months(12))
    pbar = sum(num) / sum(den)
    pts = res.points
    for i in range(12):
        half = 3 * math.sqrt(pbar * (1 - pbar) / den[i])
        assert math.isclose(pts.loc[i, "upper"], min(1, pbar + half))
        assert math.isclose(pts.loc[i, "lower"], max(0, pbar - half))
    assert (pts["lower"] == 0).all()  # pbar - 3σ < 0 everywhere: clipped
    # a high proportion with a small denominator clips the upper limit at 1
    res = p_chart([9, 19, 9, 1], [10, 20, 10, 1], months(4))
    assert res.points["upper"].max() == 1.0
    assert res.points["upper"].between(0, 1).all() and res.points["lower"].between(0, 1).all()


def test_p_chart_zero_denominator_is_explicit():
    num = [1, 0, 2, 1, 0, 1, 1, 0, 2, 1, 0, 1]
    den = [10, 0, 20, 10, 4, 10, 8, 3, 20, 10, 2, 10]
    res = p_chart(num, den, months(12))
    assert np.isnan(res.points.loc[1, "value"])
    assert not res.points.loc[1, "signal"]
    assert any("zero denominator" in m and "2015-02-01" in m for m in res.messages)
    pbar = sum(num) / sum(den)
    assert math.isclose(res.summary.iloc[0]["centre"], pbar)


def test_p_chart_beyond_upper_limit():
    num = [10] * 11 + [40]
    den = [100] * 12
    res = p_chart(num, den, months(12), baseline=11)
    assert res.points.index[res.points["signal_beyond_limits"]].tolist() == [11]
    assert res.signals["direction"].tolist() == ["up"]


def test_p_chart_rejects_impossible_counts():
    with pytest.raises(PaceError):
        p_chart([3], [2], months(1))
