"""Stacked state occupancy: where the children are, t years after becoming looked after.

:func:`plot_state_occupancy` draws the grid of
:func:`pace_analysis.multistate.occupancy.occupancy_grid` as stacked bands, one per
state of the pathway, filling 100% of children at every time. Disclosure control is
applied here, from the same rules as tables
(:func:`pace_analysis.multistate.occupancy.suppress_small_states`): a group of fewer
than ``threshold`` children is not drawn, and at each time the states seen in fewer than
``threshold`` children are merged into one grey band (with secondary merging, so that no
band rests on fewer than ``threshold`` children). The grid is coarse (quarters by
default), so exact move days are not exposed.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.patches import Patch

from pace_analysis.disclosure import DEFAULT_THRESHOLD, not_shown_note
from pace_analysis.errors import PaceError
from pace_analysis.multistate.occupancy import MERGED, suppress_small_states
from pace_analysis.multistate.states import Pathway, load_pathway
from pace_analysis.plotting import style

GRID_COLUMNS = ("group", "state", "time_days", "n", "pstate", "n_observed")
MERGED_COLOR = "#BBBBBB"
LEFT_CARE_COLOR = "#882255"


def state_colors(pathway: Pathway) -> dict[str, str]:
    """Colour of each state: a sequential ramp for the stages, route colours for outcomes."""
    stages = style.stage_colors(pathway.n_transient)
    colors = dict(zip(pathway.transient, stages, strict=True))
    for i, code in enumerate(pathway.outcomes):
        colors[code] = LEFT_CARE_COLOR if code == pathway.outcomes[-1] else style.route_color(code, i)
    colors[MERGED] = MERGED_COLOR
    return colors


def plot_state_occupancy(grid: pd.DataFrame, ax: Axes | None = None, *, group=None,
                         pathway: Pathway | None = None,
                         threshold: int = DEFAULT_THRESHOLD,
                         title: str | None = "Where the children are",
                         legend: bool = True) -> Axes:
    """Stacked bands of P(state at t) for one group.

    Parameters
    ----------
    grid : pandas.DataFrame
        :func:`~pace_analysis.multistate.occupancy.occupancy_grid` output (columns
        ``group, state, time_days, n, pstate, n_observed``).
    ax : matplotlib.axes.Axes, optional
        Axes to draw on; a new figure otherwise.
    group : optional
        Group to draw (default the first).
    pathway : Pathway, optional
        States, labels and order (default Scotland's).
    threshold : int
        Disclosure threshold.
    title : str or None
        Axes title.
    legend : bool
        Draw a legend of the states shown.

    Returns
    -------
    matplotlib.axes.Axes
    """
    missing = set(GRID_COLUMNS) - set(grid.columns)
    if missing:
        raise PaceError(f"an occupancy grid needs columns {sorted(missing)}")
    pathway = pathway or load_pathway()
    ax = style.new_axes(ax, (8, 4.5))
    groups = list(pd.unique(grid["group"]))
    if not groups:
        raise PaceError("the occupancy grid is empty")
    group = groups[0] if group is None else group
    g = grid[grid["group"] == group]
    if g.empty:
        raise PaceError(f"group {group!r} is not in the occupancy grid")
    shown = suppress_small_states(g, threshold)
    if shown.empty:
        ax.text(0.5, 0.5, not_shown_note([group], threshold), ha="center", va="center",
                transform=ax.transAxes, wrap=True)
        ax.set_axis_off()
        return ax
    colors = state_colors(pathway)
    order = [*pathway.states, MERGED]
    wide = shown.pivot_table(index="time_days", columns="state", values="pstate",
                             aggfunc="sum", observed=False).reindex(columns=order).fillna(0.0)
    present = [s for s in order if wide[s].max() > 0]
    t_years = wide.index.to_numpy(dtype=float) / style.DAYS_PER_YEAR
    stacks = [wide[s].to_numpy() for s in present]
    ax.stackplot(t_years, *stacks, colors=[colors[s] for s in present], step="post",
                 edgecolor="white", linewidth=0.3)
    style.percent_axis(ax)
    ax.set_ylim(0, 1)
    ax.set_xlim(0, t_years[-1] if len(t_years) > 1 else 1)
    ax.set_xlabel("Years since becoming looked after")
    ax.set_ylabel("Share of children")
    labels = dict(pathway.labels)
    labels[MERGED] = f"Other states (fewer than {threshold} children at the time)"
    if title:
        ax.set_title(title, loc="left")
    if legend:
        handles = [Patch(color=colors[s], label=labels[s]) for s in reversed(present)]
        ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False,
                  fontsize="small")
    style.tidy_axes(ax)
    n = int(g["n"].iloc[0])
    ax.annotate(f"{n:,} journeys; quarterly grid", xy=(0, -0.18), xycoords="axes fraction",
                fontsize="small", color=style.MUTED)
    assert np.all(np.isfinite(wide.to_numpy()))
    return ax
