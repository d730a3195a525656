"""Journeys as multi-state stays: hand-checked paths, the declared matrix, problems."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from pace_analysis.errors import PaceError
from pace_analysis.multistate import load_pathway, pathway_transitions
from pace_analysis.multistate.occupancy import with_entry_period

sys.path.insert(0, str(Path(__file__).parent / "reference"))
from multistate_frames import COLUMNS, hand_journeys, hand_transitions  # noqa: E402

REF = Path(__file__).parent / "reference"


def _path(tr: pd.DataFrame, jid: str) -> list[tuple]:
    rows = tr[tr["journey_id"] == jid]
    return [(r.tstart, r.tstop, r.from_state, r.to_state) for r in rows.itertuples()]


@pytest.fixture(scope="module")
def hand():
    return hand_transitions()


def test_committed_r_input_is_our_long_form(hand):
    committed = pd.read_csv(REF / "multistate_hand_transitions.csv")
    ours = hand.transitions[COLUMNS].astype({"from_state": str, "to_state": str,
                                              "age_group": str})
    pd.testing.assert_frame_equal(ours.reset_index(drop=True), committed, check_dtype=False)


def test_hand_paths(hand):
    tr = hand.transitions
    # at home, home on day 100
    assert _path(tr, "H01") == [(-1, 100, "at_home", "home")]
    # panel and agency decision on one day: one move, to the later state
    assert _path(tr, "H03")[1] == (200, 300, "recommended", "agency_decision")
    # skipped panel and agency decision
    assert _path(tr, "H04")[1] == (150, 250, "recommended", "application")
    # late entry into the panel state (panel 10 days before the observation start)
    assert _path(tr, "H05")[0] == (2000, 2020, "panel", "agency_decision")
    # late entry into the recommended state
    assert _path(tr, "H06") == [(500, 650, "recommended", "home")]
    # censored on the day of a milestone: the stay ends with the move
    assert _path(tr, "H10")[-1] == (100, 1460, "recommended", "panel")
    # day-0 permanence is seen (stays start at -1)
    assert _path(tr, "H12") == [(-1, 0, "at_home", "home")]
    # accommodated and recommended on one day
    assert _path(tr, "H14")[0] == (-1, 200, "at_home", "recommended")
    # at home on entry, accommodated later, then left care
    assert _path(tr, "H15") == [(100, 250, "at_home", "accommodated"),
                                (250, 1100, "accommodated", "left_care")]
    assert _path(tr, "H08") == [(-1, 1460, "accommodated", "censored")]


def test_out_of_order_milestone_is_reported_and_left_out(hand):
    assert [(p.rule, p.column, p.value, p.severity) for p in hand.problems] == [
        ("milestone_order", "panel_date", "2020-10-27", "warning")]
    assert "H11" in hand.problems[0].message
    assert "panel" not in {s for _, _, _, s in _path(hand.transitions, "H11")}


def test_every_move_is_allowed_and_paths_are_contiguous(hand):
    pw = hand.pathway
    tr = hand.transitions
    moves = tr[tr["to_state"] != "censored"]
    for f, t in zip(moves["from_state"], moves["to_state"], strict=True):
        assert pw.allowed[pw.index(f), pw.index(t)]
    for _, g in tr.groupby("journey_id"):
        assert (g["tstart"].to_numpy()[1:] == g["tstop"].to_numpy()[:-1]).all()
        assert (g["from_state"].astype(str).to_numpy()[1:] ==
                g["to_state"].astype(str).to_numpy()[:-1]).all()


def test_transition_matrix_is_forward_only_with_skips():
    pw = load_pathway()
    m = pw.matrix()
    assert not np.tril(m.to_numpy()).any()
    assert m.loc["recommended", "application"] and m.loc["at_home", "home"]
    assert not m.loc["panel", "recommended"]
    assert not m.loc[list(pw.outcomes)].to_numpy().any()  # outcomes are absorbing
    assert pw.outcomes == ("home", "kinship", "permanence_order", "adoption", "left_care")


def test_england_route_set_gives_its_own_outcomes():
    pw = load_pathway("england")
    assert "special_guardianship" in pw.outcomes and pw.outcomes[-1] == "left_care"


def test_entry_period_groups(hand):
    data = with_entry_period(hand, (2015, 2020))
    assert list(data.transitions["entry_period"].cat.categories) == [
        "before 2015", "2015-2019", "2020+"]
    with pytest.raises(PaceError):
        with_entry_period(hand, (2020, 2015))


def test_bad_journeys_fail_clearly():
    j = hand_journeys()
    j.loc[0, "permanence_date"] = None
    with pytest.raises(PaceError, match="permanence_route is set"):
        pathway_transitions(j, window=("2020-01-01", None))
