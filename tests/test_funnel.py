"""Funnel limits against a direct binomial computation (math.comb), clamping and flags."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from pace_analysis.errors import PaceError
from pace_analysis.funnel import estimate_phi, funnel_limits, funnel_table


def direct_limit(n: int, p0: float, q: float) -> float:
    """Spiegelhalter (2005) A.1.1 computed from the binomial probabilities by hand."""
    pmf = [math.comb(n, k) * p0**k * (1 - p0) ** (n - k) for k in range(n + 1)]
    cdf, r = 0.0, 0
    for r in range(n + 1):
        cdf += pmf[r]
        if cdf >= q - 1e-15:
            break
    below = cdf - pmf[r]
    alpha = (cdf - q) / (cdf - below)
    return min(1.0, max(0.0, (r - alpha) / n))


@pytest.mark.parametrize("p0", [0.02, 0.08, 0.3, 0.5, 0.9])
@pytest.mark.parametrize("n", [1, 3, 10, 25, 60, 200])
def test_limits_match_direct_binomial(n, p0):
    lim = funnel_limits([n], p0).iloc[0]
    assert lim["lower_95"] == pytest.approx(direct_limit(n, p0, 0.025), abs=1e-9)
    assert lim["upper_95"] == pytest.approx(direct_limit(n, p0, 0.975), abs=1e-9)
    assert lim["lower_99_8"] == pytest.approx(direct_limit(n, p0, 0.001), abs=1e-9)
    assert lim["upper_99_8"] == pytest.approx(direct_limit(n, p0, 0.999), abs=1e-9)


def test_limits_are_clamped_and_nested():
    lim = funnel_limits(np.arange(1, 400), 0.03)
    for col in ("lower_95", "upper_95", "lower_99_8", "upper_99_8"):
        assert lim[col].between(0, 1).all()
    assert (lim["lower_99_8"] <= lim["lower_95"]).all()
    assert (lim["upper_99_8"] >= lim["upper_95"]).all()
    # small n and small p0: the unclamped lower limit would be negative
    assert lim.loc[lim["n"] == 5, "lower_95"].item() == 0.0
    pmf0 = 0.97**5  # P(R = 0) = P(R <= 0) for n = 5, p0 = 0.03
    assert (0 - (pmf0 - 0.025) / pmf0) / 5 < 0  # the raw interpolated limit is negative
    # the upper limit can reach 1 but never exceed it
    assert funnel_limits([1, 2, 3], 0.99)["upper_99_8"].le(1).all()


def test_limits_approach_normal_for_large_n():
    n, p0 = 100_000, 0.2
    lim = funnel_limits([n], p0).iloc[0]
    se = math.sqrt(p0 * (1 - p0) / n)
    assert lim["upper_99_8"] == pytest.approx(p0 + 3.090232 * se, abs=2e-5)


def test_table_flags_at_998_and_never_ranks():
    labels = ["Zeta", "Alpha", "Mid", "Beta"]
    num = [50, 10, 12, 30]
    den = [100, 100, 100, 100]
    t = funnel_table(num, den, labels, p0=0.2)
    assert t["label"].tolist() == ["Alpha", "Beta", "Mid", "Zeta"]  # by name
    row = t.set_index("label")
    upper = funnel_limits([100], 0.2).iloc[0]["upper_99_8"]
    assert 0.5 > upper and row.loc["Zeta", "position"] == "above 99.8% limits"
    assert not row.loc["Zeta", "inside_99_8"] and not row.loc["Zeta", "inside_95"]
    assert row.loc["Beta", "inside_99_8"]
    assert row.loc["Beta", "z"] == pytest.approx((0.3 - 0.2) / math.sqrt(0.2 * 0.8 / 100))
    t2 = funnel_table(num, [100, 10, 100, 40], labels, p0=0.2, order="denominator")
    assert t2["denominator"].tolist() == sorted(t2["denominator"])
    with pytest.raises(PaceError):
        funnel_table(num, den, labels, order="p")


def test_zero_denominator_unit_is_kept_not_flagged():
    t = funnel_table([0, 5], [0, 20], ["Empty", "Other"])
    row = t.set_index("label").loc["Empty"]
    assert np.isnan(row["p"]) and row["position"] == "no denominator"


def test_overdispersion_widens_limits():
    base = funnel_limits([50], 0.3).iloc[0]
    wide = funnel_limits([50], 0.3, overdispersion=2.0).iloc[0]
    assert wide["upper_95"] - wide["lower_95"] > base["upper_95"] - base["lower_95"]
    assert wide["upper_95"] == pytest.approx(0.3 + 1.959964 * math.sqrt(2 * 0.21 / 50), abs=1e-6)
    same = funnel_limits([50], 0.3, overdispersion=0.8).iloc[0]
    assert same["upper_95"] == base["upper_95"]


def test_estimate_phi_winsorised_by_hand():
    den = np.full(10, 100)
    num = np.array([10, 15, 20, 20, 20, 20, 20, 25, 30, 60])
    z = (num / den - 0.2) / math.sqrt(0.2 * 0.8 / 100)
    lo, hi = np.quantile(z, [0.1, 0.9])
    expected = float(np.mean(np.clip(z, lo, hi) ** 2))
    assert estimate_phi(num, den, 0.2) == pytest.approx(expected)
    assert expected < float(np.mean(z**2))  # the outlier is pulled in


def test_measure_counts_on_hand_made_journeys():
    from pace_analysis.dataset import Dataset
    from pace_analysis.funnel import measure_counts

    ext = pd.Timestamp("2020-01-01")
    j = pd.DataFrame({
        "journey_id": ["a", "b", "c", "d"],
        "authority": ["Fife", "Fife", "Fife", "Moray"],
        "looked_after_date": pd.to_datetime(["2016-06-01", "2017-06-01", "2019-06-01",
                                             "2017-01-01"]),
        "permanence_date": pd.to_datetime(["2017-06-01", "2019-12-01", None, "2018-01-01"]),
        "accommodated_date": pd.to_datetime([None] * 4),
        "permanence_recommendation_date": pd.to_datetime([None] * 4),
        "extract_date": [ext] * 4,
    })
    ds = Dataset(j, pd.DataFrame({"journey_id": []}))
    c = measure_counts(ds, "permanence_within_2_years").set_index("authority")
    # c started < 2 years before extract: excluded; b took > 730 days
    assert c.loc["Fife", "denominator"] == 2 and c.loc["Fife", "numerator"] == 1
    assert c.loc["Moray", "numerator"] == 1


def test_plot_highlights_one_authority_without_ranking():
    import matplotlib
    import matplotlib.pyplot as plt

    from pace_analysis.plotting.funnel import plot_funnel

    t = funnel_table([10, 30, 50], [100, 100, 100], ["A", "B", "C"])
    lim = funnel_limits(np.arange(1, 120), float(t["p0"].iloc[0]))
    ax = plot_funnel(t, lim, highlight="B")
    ax.figure.canvas.draw()
    texts = [x.get_text() for x in ax.figure.findobj(matplotlib.text.Text)]
    assert "B" in texts and "A" not in texts and "C" not in texts  # others unlabelled
    assert not any("rank" in x.lower() for x in texts)
    plt.close(ax.figure)


def test_plot_withholds_points_that_would_reveal_small_counts():
    import matplotlib.pyplot as plt

    from pace_analysis.plotting.funnel import plot_funnel

    # A: 3 of 100 (numerator < 5); B: 97 of 100 (complement < 5); C: 4 children in all;
    # D: 0 of 60 (a zero reveals no child); E: 40 of 100.
    t = funnel_table([3, 97, 2, 0, 40], [100, 100, 4, 60, 100], ["A", "B", "C", "D", "E"])
    lim = funnel_limits(np.arange(1, 120), float(t["p0"].iloc[0]))
    ax = plot_funnel(t, lim, highlight="A", threshold=5)
    drawn = np.concatenate([c.get_offsets() for c in ax.collections if len(c.get_offsets())])
    assert sorted(map(tuple, drawn.tolist())) == [(60.0, 0.0), (100.0, 0.4)]
    texts = [x.get_text() for x in ax.texts]
    assert any("3 area(s) not shown" in x for x in texts)
    assert any(x.startswith("A: not shown") for x in texts)
    # With no threshold every unit is drawn.
    ax2 = plot_funnel(t, lim, threshold=1)
    assert sum(len(c.get_offsets()) for c in ax2.collections) == 5
    plt.close("all")
