"""Routes chart: a route whose counts are hidden, or that few children reached, has no band."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from pace_analysis.plotting.competing import plot_cumulative_incidence, small_routes


def cif_table() -> pd.DataFrame:
    """One group of 40 children: 20 go home (one a fortnight), 2 to kinship, the rest wait."""
    rows = []
    times = np.arange(1, 21) * 14.0
    for i, t in enumerate(times):
        rows.append({"route": "home", "time_days": t, "events": 1, "cif": (i + 1) / 40})
    for i, t in enumerate((100.0, 200.0)):
        rows.append({"route": "kinship", "time_days": t, "events": 1, "cif": (i + 1) / 40})
    for t in times:
        rows.append({"route": "waiting", "time_days": t, "events": 0, "cif": 0.5})
    out = pd.DataFrame(rows).assign(group="All", at_risk=40)
    return out[["group", "route", "time_days", "events", "at_risk", "cif"]]


def bands(ax) -> set[str]:
    return {c.get_gid() for c in ax.collections if c.get_gid()}


def test_small_routes_counts_children_per_route():
    assert small_routes(cif_table(), 5) == ["kinship"]
    assert small_routes(cif_table(), 2) == []


def test_route_reached_by_few_children_is_not_drawn():
    ax = plot_cumulative_incidence(cif_table(), threshold=5)
    assert "area:home" in bands(ax) and "area:kinship" not in bands(ax)
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert any("Not drawn" in t and "Kinship" in t for t in legend)
    plt.close(ax.figure)


def test_route_hidden_by_its_table_is_not_drawn():
    ax = plot_cumulative_incidence(cif_table(), threshold=2, hide_routes=["home"])
    got = bands(ax)
    assert "area:kinship" in got and "area:home" not in got
    # The drawn data of the kinship band are its own shares: no other route stacked under it.
    band = next(c for c in ax.collections if c.get_gid() == "area:kinship")
    heights = np.concatenate([p.vertices[:, 1] for p in band.get_paths()])
    assert heights.max() <= 2 / 40 + 1e-12
    plt.close(ax.figure)
