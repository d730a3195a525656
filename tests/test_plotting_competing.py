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


def test_title_count_is_the_tables_number_of_children():
    # Under late entry the largest risk set (40 here) is less than the children (55).
    ax = plot_cumulative_incidence(cif_table(), threshold=5, children={"All": 55}, title="Routes")
    assert ax.get_title(loc="left").endswith("(55 children)")
    plt.close(ax.figure)
    ax = plot_cumulative_incidence(cif_table(), threshold=5, title="Routes")
    assert ax.get_title(loc="left").endswith("(40 children)")
    plt.close(ax.figure)


def test_routes_with_hidden_counts_are_merged_into_one_band():
    table = cif_table()
    more = table[table["route"] == "home"].assign(route="adoption", cif=lambda d: d["cif"] / 2)
    table = pd.concat([table, more], ignore_index=True)
    ax = plot_cumulative_incidence(table, threshold=2, merge_routes=["home", "adoption"], step_days=None)
    got = bands(ax)
    assert "area:merged" in got and "area:home" not in got and "area:adoption" not in got
    band = next(c for c in ax.collections if c.get_gid() == "area:merged")
    top = max(p.vertices[:, 1].max() for p in band.get_paths())
    # Stacked on kinship (2/40), the band adds the two routes' sum at the end: 20/40 + 10/40.
    assert abs(top - (2 + 30) / 40) < 1e-9
    plt.close(ax.figure)
