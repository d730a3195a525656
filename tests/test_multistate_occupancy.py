"""Occupancy grid and the disclosure rules for state bands."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

from pace_analysis.multistate.occupancy import (
    MERGED,
    occupancy_grid,
    small_states,
    suppress_small_states,
)

sys.path.insert(0, str(Path(__file__).parent / "reference"))
from multistate_frames import hand_transitions  # noqa: E402


def test_small_states_primary_secondary_and_merged_band_not_small():
    # one state of 2 children: hidden with the next smallest (7), so 9 >= 5
    assert small_states([50, 2, 7, 0, 30], 5).tolist() == [False, True, True, False, False]
    # two small states summing to 4 < 5: one more is merged
    assert small_states([50, 1, 3, 8, 30], 5).tolist() == [False, True, True, True, False]
    assert not small_states([50, 0, 9], 5).any()


def test_grid_counts_children_seen_in_each_state():
    grid = occupancy_grid(hand_transitions(), step_days=100, max_days=300)
    at = grid[grid["time_days"] == 100].set_index("state")
    # on day 100: at home H02, H09, H14 (H01 went home on day 100; H15 enters on day 100)
    assert at.loc["at_home", "n_observed"] == 3
    # home by day 100: H01 (day 100) and H12 (day 0)
    assert at.loc["home", "n_observed"] == 2
    sums = grid.groupby("time_days")["pstate"].sum()
    np.testing.assert_allclose(sums, 1.0)


def test_no_band_rests_on_fewer_than_threshold_children():
    grid = occupancy_grid(hand_transitions(), step_days=91)
    shown = suppress_small_states(grid, 3)
    counts = shown[shown["pstate"] > 0]["n_observed"]
    assert ((counts == 0) | (counts >= 3)).all()
    assert MERGED in set(shown["state"].astype(str))
    # merging keeps the shares summing to one
    np.testing.assert_allclose(shown.groupby("time_days")["pstate"].sum(), 1.0)
    # a group smaller than the threshold is not drawn at all
    assert suppress_small_states(grid, 100).empty
