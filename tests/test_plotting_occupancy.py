"""Stacked occupancy chart: draws the disclosed bands only."""

from __future__ import annotations

import sys
from pathlib import Path

import matplotlib
import pytest

from pace_analysis.errors import PaceError
from pace_analysis.multistate.occupancy import occupancy_grid
from pace_analysis.plotting.occupancy import plot_state_occupancy

matplotlib.use("Agg")
sys.path.insert(0, str(Path(__file__).parent / "reference"))
from multistate_frames import hand_transitions  # noqa: E402


def test_chart_legend_has_merged_band_and_small_group_is_not_drawn():
    grid = occupancy_grid(hand_transitions(), step_days=91)
    ax = plot_state_occupancy(grid, threshold=3)
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert any("fewer than 3 children" in x for x in labels)
    assert ax.get_ylim() == (0, 1)
    ax2 = plot_state_occupancy(grid, threshold=50)
    assert not ax2.axison and "fewer than 50" in ax2.texts[0].get_text()


def test_chart_needs_grid_columns():
    with pytest.raises(PaceError, match="needs columns"):
        plot_state_occupancy(occupancy_grid(hand_transitions()).drop(columns="n_observed"))
