"""Sojourn-clock stays and their hazards: hand-checked on the hand-made journeys."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from pace_analysis.errors import PaceError
from pace_analysis.whatif.hazards import (
    fit_markov,
    fit_sojourn,
    sojourn_stays,
    with_intervention,
)

sys.path.insert(0, str(Path(__file__).parent / "reference"))
from multistate_frames import hand_journeys, hand_transitions  # noqa: E402


@pytest.fixture(scope="module")
def stays():
    return sojourn_stays(hand_transitions(), hand_journeys())


def _rows(stays, jid):
    code = list(stays.journey_ids).index(jid)
    m = stays.journey == code
    pw = stays.pathway
    return [(pw.states[s], a, b) for s, a, b in zip(stays.state[m], stays.a[m], stays.b[m],
                                                     strict=True)]


def test_sojourn_clock_from_the_start_and_at_milestones(stays):
    # accommodated from day 0 (at risk from just before day 0), later states from their day
    assert _rows(stays, "H03") == [("accommodated", -1, 200), ("recommended", 0, 100),
                                   ("agency_decision", 0, 100), ("application", 0, 200)]
    assert _rows(stays, "H12") == [("at_home", -1, 0)]  # a move on day 0: sojourn 0


def test_late_entry_is_left_truncation_on_the_sojourn_clock(stays):
    j = hand_journeys().set_index("journey_id")
    for jid, col, state in (("H05", "panel_date", "panel"),
                            ("H06", "permanence_recommendation_date", "recommended")):
        entered = (pd.Timestamp(j.loc[jid, col]) - pd.Timestamp(j.loc[jid, "looked_after_date"])).days
        first = _rows(stays, jid)[0]
        tstart = hand_transitions().transitions.query("journey_id == @jid")["tstart"].iloc[0]
        assert first == (state, tstart - entered, first[2])
        assert first[1] > 0 and first[2] > first[1]
    # late into "at home": entered on day 0, seen from the observation start
    assert _rows(stays, "H15")[0] == ("at_home", 100, 250)
    assert _rows(stays, "H15")[1] == ("accommodated", 0, 850)


def test_hazards_are_moves_over_the_risk_set(stays):
    fit = fit_sojourn(stays)
    nt = stays.pathway.n_transient
    rec = stays.pathway.states.index("recommended")
    g = np.flatnonzero(fit.grid_block == rec)
    # by hand: stays in "recommended" on the sojourn clock and their ends
    m = stays.state == rec
    for gi in g:
        u = fit.grid_u[gi]
        n = ((stays.a[m] < u) & (stays.b[m] >= u)).sum()
        d = ((stays.b[m] == u) & (stays.to[m] >= 0)).sum()
        assert fit.n_risk[0, gi] == n
        assert fit.d_total()[0, gi] == d
    s = fit.survival()[0, g]
    np.testing.assert_allclose(s, np.cumprod(1 - fit.hazard()[0, g]))
    assert nt == 6 and (np.diff(s) <= 0).all()


def test_weights_of_one_are_the_plain_fit_and_weights_scale_counts(stays):
    plain = fit_sojourn(stays)
    w = np.ones((3, stays.n_journeys))
    w[1] *= 2.0
    w[2, 0] = 0.0
    many = fit_sojourn(stays, w)
    np.testing.assert_array_equal(many.d[0], plain.d[0])
    np.testing.assert_array_equal(many.n_risk[1], 2 * plain.n_risk[0])
    np.testing.assert_allclose(many.hazard()[1], plain.hazard()[0])
    assert many.n_risk[2].sum() < plain.n_risk[0].sum()
    with pytest.raises(PaceError, match="weights must have shape"):
        fit_sojourn(stays, np.ones((2, 3)))


def test_intervention_copies_and_changes_one_block(stays):
    fit = fit_sojourn(stays)
    nt = stays.pathway.n_transient
    acc = stays.pathway.states.index("accommodated")
    left = stays.pathway.states.index("left_care")
    same = with_intervention(fit, acc, nt)
    new = np.flatnonzero(same.grid_block == fit.n_blocks)
    old = np.flatnonzero(fit.grid_block == acc)
    np.testing.assert_array_equal(same.survival()[0, new], fit.survival()[0, old])
    fast = with_intervention(fit, acc, nt, hazard_ratio=2.0, shift_days=14, left_care=left)
    assert fast.shift[fit.n_blocks] == 14 and (fast.shift[:fit.n_blocks] == 0).all()
    assert (fast.survival()[0, new] <= fit.survival()[0, old] + 1e-12).all()
    assert (fast.hazard() <= 1).all()
    cells = np.isin(fast.cell_grid, new)
    leave = cells & (fast.cell_to == left)
    orig = np.isin(fit.cell_grid, old) & (fit.cell_to == left)
    np.testing.assert_allclose(np.sort(fast.d[0, leave]), np.sort(fit.d[0, orig]))
    with pytest.raises(PaceError, match="hazard ratio"):
        with_intervention(fit, acc, nt, hazard_ratio=0)


def test_markov_rates_are_moves_per_day_at_risk(stays):
    mk = fit_markov(stays)
    rec = stays.pathway.states.index("recommended")
    home = stays.pathway.states.index("home")
    m = stays.state == rec
    days = (stays.b[m] - stays.a[m]).sum()
    moves = ((stays.to == home) & m).sum()
    assert mk.rate[rec, home] == pytest.approx(moves / days)
    assert mk.rate.shape == (stays.n_blocks, len(stays.pathway.states))


def test_split_by_plan_keeps_each_plan_on_its_own_stages():
    from pace_analysis.whatif.plans import split_by_plan

    data, j = hand_transitions(), hand_journeys()
    sp = split_by_plan(data, j)
    pw = sp.data.pathway
    tr = sp.data.transitions
    plan = j.set_index("journey_id")["planned_route"]
    # one row per stay, same times; later stages carry the journey's plan
    assert len(tr) == len(data.transitions)
    np.testing.assert_array_equal(tr["tstop"], data.transitions["tstop"])
    for row in tr.itertuples():
        for s in (str(row.from_state), str(row.to_state)):
            if "|" in s:
                assert s.split("|")[1] == plan[row.journey_id]
    # the split states map back to the declared ones, and moves stay forward and allowed
    base = [data.pathway.states[i] for i in sp.base_index]
    assert [s.split("|")[0] for s in pw.states] == base
    frm = tr["from_state"].cat.codes.to_numpy()
    to = tr["to_state"].cat.codes.to_numpy()
    moved = tr["to_state"].astype(str).to_numpy() != "censored"
    assert pw.allowed[frm[moved], to[moved]].all()
    assert not pw.allowed[pw.index("recommended|home"), pw.index("panel|adoption")]
    # the sojourn clock is unchanged by the split
    a = sojourn_stays(data, j)
    b = sojourn_stays(sp.data, j)
    np.testing.assert_array_equal(a.a, b.a)
    np.testing.assert_array_equal(a.b, b.b)
