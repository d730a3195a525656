"""Disclosure control: primary and secondary suppression, small curve groups, coarsening."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from pace_analysis.disclosure import (
    DEFAULT_THRESHOLD,
    SUPPRESSED,
    coarsen_curve,
    curve_group_sizes,
    format_at_risk,
    not_shown_note,
    small_curve_groups,
    suppress_counts,
    suppressible_groups,
)
from pace_analysis.errors import PaceError


def cross_table() -> pd.DataFrame:
    return pd.DataFrame(
        {"a": [10, 8, 6, 24], "b": [3, 9, 7, 19], "c": [12, 20, 5, 37], "total": [25, 37, 18, 80]},
        index=["r1", "r2", "r3", "total"])


def test_defaults():
    assert DEFAULT_THRESHOLD == 5 and SUPPRESSED == "c"


def test_secondary_suppression_forms_a_rectangle():
    # Hand-worked: 3 is primary; row r1 then needs its smallest other cell (10), column b
    # its smallest other (7 in r3), column a then 6 in r3; every line has two hidden cells.
    res = suppress_counts(cross_table(), ["a", "b", "c"], total_column="total", total_row="total")
    hidden = {(r, c) for r in res.mask.index for c in res.mask.columns if res.mask.loc[r, c]}
    assert hidden == {("r1", "a"), ("r1", "b"), ("r3", "a"), ("r3", "b")}
    assert res.display.loc["r1", "b"] == "c" and res.display.loc["r2", "b"] == 9
    assert res.display.loc["total", "total"] == 80


def test_primary_only_and_zero_rule():
    t = pd.DataFrame({"n": [0, 1, 4, 5, 12], "events": [0, 0, 2, 5, 7]})
    res = suppress_counts(t, ["n", "events"], totals=None)
    assert res.mask["n"].tolist() == [False, True, True, False, False]
    assert res.mask["events"].tolist() == [False, False, True, False, False]
    res0 = suppress_counts(t, ["n", "events"], totals=None, suppress_zero=True)
    assert res0.mask["n"].tolist() == [True, True, True, False, False]


def test_threshold_is_configurable():
    t = pd.DataFrame({"n": [5, 9, 10]})
    assert suppress_counts(t, ["n"], threshold=10, totals=None).mask["n"].tolist() == [True, True, False]
    with pytest.raises(PaceError):
        suppress_counts(t, ["n"], threshold=0)


def test_derived_share_is_suppressed_with_its_count():
    t = pd.DataFrame({"numerator": [3, 20], "denominator": [40, 50], "share": [3 / 40, 0.4]})
    res = suppress_counts(t, ["numerator", "denominator"], totals="columns",
                          derived={"share": ["numerator", "denominator"]})
    # numerator 3 is primary; column total of numerators is published -> 20 hidden too.
    assert res.mask["numerator"].tolist() == [True, True]
    assert res.display["share"].tolist() == ["c", "c"]
    assert res.display["denominator"].tolist() == [40, 50]


def test_secondary_prefers_non_zero_cells():
    t = pd.DataFrame({"x": [2, 0, 30], "y": [40, 50, 60]})
    res = suppress_counts(t, ["x", "y"], totals="columns")
    assert res.mask["x"].tolist() == [True, False, True]


@pytest.mark.parametrize("seed", range(5))
def test_no_line_has_a_single_hidden_cell(seed):
    rng = np.random.default_rng(seed)
    t = pd.DataFrame(rng.integers(0, 12, size=(7, 5)), columns=list("abcde"))
    t["total"] = t.sum(axis=1)
    t.loc["total"] = t.sum(axis=0)
    m = suppress_counts(t, list("abcde"), total_column="total", total_row="total").mask.to_numpy()
    assert (m.sum(axis=1) != 1).all() and (m.sum(axis=0) != 1).all()
    values = t[list("abcde")].to_numpy()
    assert m[:, :5][(values > 0) & (values < 5)].all()


def test_errors_are_clear():
    with pytest.raises(PaceError, match="no column"):
        suppress_counts(pd.DataFrame({"n": [1]}), ["m"])
    with pytest.raises(PaceError, match="totals"):
        suppress_counts(pd.DataFrame({"n": [1]}), ["n"], totals="diagonal")


def test_suppressible_groups_and_notes():
    frame = pd.DataFrame({"authority": ["A"] * 6 + ["B"] * 4 + ["C"]})
    assert suppressible_groups(frame, "authority") == ["B", "C"]
    assert suppressible_groups(frame, None) == []
    assert not_shown_note(["B", "C"], 5) == "Not shown (fewer than 5 children): B, C"
    assert not_shown_note([], 5) == ""
    assert [format_at_risk(n) for n in (0, 1, 4, 5, 1234)] == ["0", "<5", "<5", "5", "1,234"]
    assert format_at_risk(3, threshold=10) == "<10"


def km_table() -> pd.DataFrame:
    # Hand KM: 10 children; event at 10, censor at 50, 2 events at 100, 1 at 200, 5 censored at 300.
    rows = [("A", 10, 10, 1, 0, 0.9), ("A", 50, 9, 0, 1, 0.9), ("A", 100, 8, 2, 0, 0.675),
            ("A", 200, 6, 1, 0, 0.5625), ("A", 300, 5, 0, 5, 0.5625),
            ("B", 30, 3, 1, 0, 2 / 3), ("B", 40, 2, 0, 2, 2 / 3)]
    t = pd.DataFrame(rows, columns=["group", "time_days", "at_risk", "events", "censored", "survival"])
    t["ci_lower"], t["ci_upper"] = t["survival"] - 0.1, np.minimum(t["survival"] + 0.1, 1)
    return t


def test_curve_group_sizes():
    assert curve_group_sizes(km_table()).to_dict() == {"A": 10, "B": 3}
    assert small_curve_groups(km_table()) == ["B"]


def test_coarsen_curve_hand_values():
    c = coarsen_curve(km_table(), step_days=91)
    a = c[c["group"] == "A"]
    assert a["time_days"].tolist() == [0, 91, 182, 273]
    np.testing.assert_allclose(a["survival"], [1.0, 0.9, 0.675, 0.5625])
    assert a["at_risk"].tolist() == [10, 8, 6, 5]
    assert a["events"].tolist() == [0, 1, 2, 1]
    assert a["censored"].tolist() == [0, 1, 0, 0]
    assert c[c["group"] == "B"]["time_days"].tolist() == [0]


def test_coarsen_cif_starts_at_zero():
    t = pd.DataFrame({"group": "All", "route": ["home", "home"], "time_days": [5.0, 100.0],
                      "at_risk": [20, 15], "events": [2, 1], "cif": [0.1, 0.15],
                      "ci_lower": [0.02, 0.05], "ci_upper": [0.3, 0.35]})
    c = coarsen_curve(t, step_days=50)
    assert c["time_days"].tolist() == [0, 50, 100]
    np.testing.assert_allclose(c["cif"], [0.0, 0.1, 0.15])
    assert c["events"].tolist() == [0, 2, 1]


def test_stop_at_small_risk_set_cuts_after_the_peak_only():
    from pace_analysis.disclosure import stop_at_small_risk_set

    # Late entry: 3 at risk on day 0, 12 by day 10, then down to 4 on day 40.
    table = pd.DataFrame({"group": "A", "time_days": [0.0, 10, 20, 30, 40, 50],
                          "at_risk": [3, 12, 9, 6, 4, 2], "survival": [1, .9, .8, .7, .6, .5]})
    kept = stop_at_small_risk_set(table, 5)
    assert kept["time_days"].tolist() == [0.0, 10, 20, 30]
    assert len(stop_at_small_risk_set(table, 1)) == len(table)
