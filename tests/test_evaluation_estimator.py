"""Callaway–Sant'Anna ATT(g, t): against diff-diff on a shared example, and by hand."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from pace_analysis.errors import PaceError
from pace_analysis.evaluation.estimator import att_gt
from pace_analysis.evaluation.panel import join_years, wide

REF = Path(__file__).parent / "reference"
#: measure -> anticipation, as in tests/reference/evaluation_reference.py
MEASURES = {"recommendation_within_26_weeks": 0, "permanence_within_2_years": 2}


@pytest.fixture(scope="module")
def panel():
    return pd.read_csv(REF / "evaluation_panel.csv")


@pytest.fixture(scope="module")
def ref():
    return pd.read_csv(REF / "evaluation_ref_diffdiff.csv")


@pytest.mark.parametrize("measure", MEASURES)
def test_cells_match_diff_diff(panel, ref, measure):
    gt = att_gt(wide(panel, measure), join_years(), None, anticipation=MEASURES[measure],
                small_sample=False)
    r = ref[(ref["measure"] == measure) & (ref["what"] == "cell")]
    got = gt.table.assign(se=np.sqrt((gt.influence ** 2).sum(axis=0)))
    merged = got.merge(r, on=["g", "t"], how="outer", suffixes=("", "_ref"), indicator=True)
    assert (merged["_merge"] == "both").all(), merged[merged["_merge"] != "both"]
    assert len(merged) > 50
    np.testing.assert_allclose(merged["estimate"], merged["estimate_ref"], atol=1e-10)
    live = merged["se_ref"].notna()   # the reference cells (t = base) have no se
    assert (merged.loc[~live, "t"] == merged.loc[~live, "base"]).all()
    np.testing.assert_allclose(merged.loc[live, "se"], merged.loc[live, "se_ref"], rtol=1e-8)


@pytest.mark.parametrize("measure", MEASURES)
def test_event_study_and_simple_aggregation_match_diff_diff(panel, ref, measure):
    delta = MEASURES[measure]
    gt = att_gt(wide(panel, measure), join_years(), None, anticipation=delta)
    ev = gt.aggregate("event", (-20, 20)).table
    r = ref[(ref["measure"] == measure) & (ref["what"] == "event")]
    merged = ev.merge(r, on="e", suffixes=("", "_ref"))
    assert len(merged) == len(r) == len(ev)
    np.testing.assert_allclose(merged["estimate"], merged["estimate_ref"], atol=1e-10)
    # diff-diff's "simple" average runs from e = -anticipation, weighted by group size.
    c = gt.table[gt.table["e"] >= -delta]
    simple = np.average(c["estimate"], weights=c["n_treated"])
    want = ref[(ref["measure"] == measure) & (ref["what"] == "simple")]["estimate"].iloc[0]
    assert simple == pytest.approx(want, abs=1e-10)
    if delta == 0:
        assert gt.aggregate("overall", (-20, 20)).table["estimate"].iloc[0] == pytest.approx(want)


def _toy():
    # Four councils, four years: A joins in 2011, B in 2012, C and D never.
    y = pd.DataFrame({2009: [1.0, 2.0, 3.0, 5.0], 2010: [2.0, 2.0, 4.0, 5.0],
                      2011: [6.0, 3.0, 4.0, 7.0], 2012: [8.0, 9.0, 6.0, 7.0]},
                     index=["A", "B", "C", "D"])
    return y, {"A": 2011, "B": 2012, "C": None, "D": None}


def test_hand_computed_cells():
    y, joins = _toy()
    gt = att_gt(y, joins)
    cell = gt.table.set_index(["g", "t"])["estimate"]
    # ATT(2011, 2011): A changes 2010->2011 by +4; controls B (not yet), C, D: +1, 0, +2.
    assert cell[(2011, 2011)] == pytest.approx(4 - 1)
    # ATT(2011, 2012): B is treated by then; controls C, D: +2, +2; A: +6.
    assert cell[(2011, 2012)] == pytest.approx(6 - 2)
    # ATT(2012, 2012): base 2011; B +6; controls C, D: +2, 0.
    assert cell[(2012, 2012)] == pytest.approx(6 - 1)
    # Pre-period with the universal base: ATT(2012, 2010) vs base 2011, controls C, D.
    assert cell[(2012, 2010)] == pytest.approx((2 - 3) - ((4 - 4) + (5 - 7)) / 2)
    assert cell[(2011, 2010)] == 0.0 and cell[(2012, 2011)] == 0.0
    never = att_gt(y, joins, control="never_treated").table.set_index(["g", "t"])["estimate"]
    assert never[(2011, 2011)] == pytest.approx(4 - 1)   # C, D only: (0 + 2) / 2


def test_influence_functions_sum_to_zero_and_weights_act_like_copies():
    y, joins = _toy()
    gt = att_gt(y, joins)
    np.testing.assert_allclose(gt.influence.sum(axis=0), 0, atol=1e-12)
    # Weight 2 on D = D counted twice.
    w = att_gt(y, joins, {"A": 1, "B": 1, "C": 1, "D": 2}).table["estimate"]
    y2 = pd.concat([y, y.loc[["D"]].rename(index={"D": "D2"})])
    dup = att_gt(y2, {**joins, "D2": None}).table["estimate"]
    np.testing.assert_allclose(w, dup)


def test_aggregations_are_linear_in_the_cells():
    y, joins = _toy()
    gt = att_gt(y, joins)
    for how in ("event", "overall"):
        agg = gt.aggregate(how, (-3, 3))
        np.testing.assert_allclose(agg.matrix @ gt.table["estimate"], agg.table["estimate"])
        np.testing.assert_allclose(agg.influence, gt.influence @ agg.matrix.T)
    ov = gt.aggregate("overall", (-3, 3)).table["estimate"].iloc[0]
    assert ov == pytest.approx((3 + 4 + 5) / 3)


def test_true_cells_average_the_treated_councils():
    y, joins = _toy()
    gt = att_gt(y, joins)
    truth = pd.DataFrame(1.0, index=y.index, columns=y.columns)
    truth.loc["A"] = 10.0
    cells = pd.Series(gt.true_cells(truth), index=pd.MultiIndex.from_frame(gt.table[["g", "t"]]))
    assert cells[(2011, 2012)] == 10.0 and cells[(2012, 2012)] == 1.0


def test_bad_arguments():
    y, joins = _toy()
    with pytest.raises(PaceError, match="control"):
        att_gt(y, joins, control="everyone")
    with pytest.raises(PaceError, match="anticipation"):
        att_gt(y, joins, anticipation=-1)
    with pytest.raises(PaceError, match="no group-time cell"):
        att_gt(y, {"A": 2011, "B": 2011, "C": 2011, "D": 2011}, control="never_treated")
