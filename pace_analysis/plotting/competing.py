"""Cumulative incidence of each route to permanence (competing risks).

:func:`plot_cumulative_incidence` draws the tidy table of
:func:`pace_analysis.competing.cumulative_incidence` (``group, route, time_days,
at_risk, events, cif, ci_lower, ci_upper``; ``route`` may include ``"exit"`` (left care
without permanence) and ``"waiting"``). ``kind="stacked"`` (default) stacks the routes so
that, at every time, the bands and the "still waiting" remainder fill 100% of children;
``kind="lines"`` draws one curve per route with confidence bands, and can overlay groups.
"""

from __future__ import annotations

import textwrap
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from pace_analysis.disclosure import (
    DEFAULT_THRESHOLD,
    coarsen_curve,
    curve_group_sizes,
    not_shown_note,
    stop_at_small_risk_set,
)
from pace_analysis.errors import PaceError
from pace_analysis.plotting import style

KINDS = ("stacked", "lines")
CIF_COLUMNS = ("group", "route", "time_days", "cif")
_NON_ROUTES = ("exit", "waiting")


def _routes(table: pd.DataFrame, route_set) -> list[str]:
    present = [r for r in pd.unique(table["route"]) if r not in _NON_ROUTES]
    if route_set is None:
        from pace_analysis.routes import load_route_set

        route_set = load_route_set()
    elif isinstance(route_set, str):
        from pace_analysis.routes import load_route_set

        route_set = load_route_set(route_set)
    known = [c for c in route_set.route_codes if c in present]
    return known + [r for r in present if r not in known]


def _step_on(grid: np.ndarray, t: np.ndarray, v: np.ndarray, start: float) -> np.ndarray:
    pos = np.searchsorted(t, grid, side="right") - 1
    return np.where(pos >= 0, v[np.maximum(pos, 0)], start)


def plot_cumulative_incidence(cif_table: pd.DataFrame, ax: Axes | None = None, *,
                              group=None, kind: str = "stacked", route_set=None,
                              threshold: int = DEFAULT_THRESHOLD, show_ci: bool | None = None,
                              show_exit: bool = True, step_days: float | None = 91,
                              max_years: float | None = None,
                              hide_routes: Sequence[str] | None = None,
                              children: Mapping | None = None,
                              merge_routes: Sequence[str] | None = None,
                              title: str | None = "Which route, and when",
                              xlabel: str = "Years since becoming looked after") -> Axes:
    """Share of children who have reached each route to permanence, over time.

    Parameters
    ----------
    cif_table : pandas.DataFrame
        Tidy cumulative-incidence table.
    ax : matplotlib Axes, optional
        Where to draw (a new figure if None).
    group : label, optional
        Group to draw. Required for ``kind="stacked"`` when the table has several groups;
        with ``kind="lines"`` and no ``group`` every group is drawn (line style per group).
    kind : {"stacked", "lines"}
        Stacked areas adding up to 100% (with "still waiting" on top), or lines.
    route_set : RouteSet or str, optional
        Route set whose labels and order are used (default Scotland's).
    threshold : int
        Groups with fewer children are not drawn (listed as not shown).
    show_ci : bool, optional
        Confidence bands (default: on for lines, off for stacked areas).
    show_exit : bool
        Include leaving care without permanence (``route == "exit"``) when present.
    step_days : float or None
        Draw curves coarsened to this grid: quarters (91 days) by default, as in reports;
        ``None`` (explicitly) draws the exact steps.
    max_years : float, optional
        Right end of the x axis.
    hide_routes : sequence of str, optional
        Route codes not to draw, e.g. those whose counts a published table hides. Routes
        that fewer than ``threshold`` children of the drawn group reached are never drawn
        either: a band of one or two children shows each child's step. In a stacked
        chart their share is left in the top band ("still waiting, or a route not shown").
    merge_routes : sequence of str, optional
        Route codes drawn as one band ("other routes to permanence, together"): the routes whose
        counts a table hides, when their sum is published (reached permanence less the
        routes shown), so that the chart shows no more than the tables.
    children : mapping, optional
        Number of children in each group (``{group: n}``), as the report's tables give
        it; the title and the threshold use it. Default: the largest risk set of the
        table, which under late entry is less than the number of children.
    title, xlabel : str

    Returns
    -------
    matplotlib.axes.Axes
    """
    if kind not in KINDS:
        raise PaceError(f"kind must be one of {KINDS}, not {kind!r}")
    missing = [c for c in CIF_COLUMNS if c not in cif_table.columns]
    if missing:
        raise PaceError(f"cumulative-incidence table lacks column(s): {', '.join(missing)}")
    table = cif_table if group is None else cif_table[cif_table["group"] == group]
    groups = list(pd.unique(table["group"]))
    if group is not None and not groups:
        raise PaceError(f"group {group!r} is not in the table")
    if kind == "stacked" and len(groups) > 1:
        raise PaceError("a stacked plot shows one group: pass group=... or kind='lines'")
    sizes = curve_group_sizes(table) if len(table) else pd.Series(dtype=int)
    if children is not None:
        sizes = pd.Series({g: int(children.get(g, sizes.get(g, 0))) for g in groups}, dtype=int)
    hidden = [g for g in groups if sizes.get(g, 0) < threshold]
    shown = [g for g in groups if g not in hidden]
    merge = [r for r in (merge_routes or ()) if r in set(table["route"].astype(str))]
    if len(merge) >= 2:
        table = _merge_routes(table, merge)
    small = set(small_routes(table[table["group"].isin(shown)], threshold)) | set(hide_routes or ())
    if step_days:
        table = coarsen_curve(table, step_days)
    table = stop_at_small_risk_set(table, threshold)
    routes = _routes(table, route_set)
    if show_exit and "exit" in set(table["route"]):
        routes.append("exit")
    not_drawn = [r for r in routes if r in small]
    routes = [r for r in routes if r not in small]
    with style.rc_context():
        if ax is None:
            ax = style.new_axes(None, (10.5, 5))
            ax.figure.subplots_adjust(left=0.08, right=0.68, top=0.9, bottom=0.11)
        style.tidy_axes(ax, "both")
        last = table["time_days"].max() / style.DAYS_PER_YEAR if len(table) else 1.0
        xmax = float(max_years if max_years is not None else max(last, 0.5))
        handles = []
        if kind == "stacked" and shown:
            handles = _stacked(ax, table[table["group"] == shown[0]], routes, route_set,
                               bool(show_ci), bool(not_drawn))
        elif shown:
            handles = _lines(ax, table, shown, routes, route_set,
                             True if show_ci is None else show_ci)
        note = not_shown_note(hidden, threshold)
        if not shown:
            ax.text(0.5, 0.5, note or "No data to show", transform=ax.transAxes, ha="center",
                    va="center", color=style.MUTED)
        elif note:
            handles.append(Patch(color="none", label=textwrap.fill(note, 34)))
        if shown and not_drawn:
            names = ", ".join(style.route_label(r, route_set) for r in not_drawn)
            handles.append(Patch(color="none", label=textwrap.fill(
                f"Not drawn (counts hidden, fewer than {threshold} children): {names}", 34)))
        ax.set_xlim(0, xmax)
        ax.set_ylim(0, 1)
        style.years_axis(ax, xmax)
        style.percent_axis(ax)
        ax.set_xlabel(xlabel)
        ax.set_ylabel("Share of children")
        if title:
            if len(shown) == 1:
                who = "all" if shown[0] == "All" else str(shown[0])
                suffix = f": {who} ({int(sizes[shown[0]]):,} children)"
            else:
                suffix = ""
            ax.set_title(title + suffix, loc="left")
        if handles:
            ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.02, 1.0),
                      borderaxespad=0)
    return ax


def _merge_routes(table: pd.DataFrame, merge: Sequence[str]) -> pd.DataFrame:
    """The table with the *merge* routes replaced by their sum (route ``"merged"``)."""
    inside = table["route"].astype(str).isin(list(merge))
    parts = []
    for g, sub in table[inside].groupby("group", sort=False, observed=True):
        times = np.unique(sub["time_days"].to_numpy(dtype=float))
        cif = np.zeros(times.size)
        for _, r in sub.groupby(sub["route"].astype(str), sort=False):
            r = r.sort_values("time_days", kind="stable")
            cif += _step_on(times, r["time_days"].to_numpy(dtype=float), r["cif"].to_numpy(dtype=float), 0.0)
        by_time = sub.groupby("time_days")
        parts.append(pd.DataFrame({
            "group": g, "route": "merged", "time_days": times, "cif": cif,
            "events": by_time["events"].sum().reindex(times).to_numpy() if "events" in sub else 0,
            "at_risk": by_time["at_risk"].max().reindex(times).to_numpy()}))
    rest = table[~inside]
    if not parts:
        return rest
    out = pd.concat([rest.astype({"route": str}), *parts], ignore_index=True)
    return out


def small_routes(cif_table: pd.DataFrame, threshold: int = DEFAULT_THRESHOLD) -> list[str]:
    """Routes (not "waiting") that 1 to ``threshold - 1`` children of the table reached."""
    if not len(cif_table) or "events" not in cif_table.columns:
        return []
    rows = cif_table[cif_table["route"].astype(str) != "waiting"]
    totals = rows.groupby(rows["route"].astype(str), sort=False)["events"].sum()
    return [str(r) for r, n in totals.items() if 0 < n < threshold]


def _stacked(ax: Axes, g: pd.DataFrame, routes: list[str], route_set, show_ci: bool,
             merged: bool = False) -> list:
    grid = np.unique(np.r_[0.0, g["time_days"].to_numpy(dtype=float)])
    x = grid / style.DAYS_PER_YEAR
    bottom = np.zeros_like(grid)
    handles = []
    for i, r in enumerate(routes):
        rows = g[g["route"] == r].sort_values("time_days", kind="stable")
        top = bottom + _step_on(grid, rows["time_days"].to_numpy(dtype=float),
                                rows["cif"].to_numpy(dtype=float), 0.0)
        color = style.route_color(r, i)
        ax.fill_between(x, bottom, top, step="post", color=color, linewidth=0,
                        label=style.route_label(r, route_set), gid=f"area:{r}")
        ax.step(x, top, where="post", color="white", linewidth=0.6)
        handles.append(Patch(facecolor=color, label=style.route_label(r, route_set)))
        bottom = top
    waiting_label = ("Still waiting" if "exit" in routes
                     else "Still waiting, or left care without legal permanence")
    if merged:
        waiting_label += ", or a route not drawn"
    ax.fill_between(x, bottom, 1.0, step="post", facecolor=style.ROUTE_COLORS["waiting"],
                    edgecolor="#BBBBBB", hatch="//", linewidth=0, label=waiting_label,
                    gid="area:waiting")
    handles.append(Patch(facecolor=style.ROUTE_COLORS["waiting"], edgecolor="#BBBBBB",
                         hatch="//", label=waiting_label))
    return handles[::-1]  # legend top-down in the order of the stack


def _lines(ax: Axes, table: pd.DataFrame, groups: Sequence, routes: list[str], route_set,
           show_ci: bool) -> list:
    handles = []
    lstyles = {g: style.LINESTYLES[i % len(style.LINESTYLES)] for i, g in enumerate(groups)}
    for gi, grp in enumerate(groups):
        for i, r in enumerate(routes):
            rows = table[(table["group"] == grp) & (table["route"] == r)].sort_values(
                "time_days", kind="stable")
            if rows.empty:
                continue
            t = rows["time_days"].to_numpy(dtype=float)
            v = rows["cif"].to_numpy(dtype=float)
            if t[0] > 0:
                t, v = np.r_[0.0, t], np.r_[0.0, v]
            color = style.route_color(r, i)
            label = style.route_label(r, route_set) + (f" ({grp})" if len(groups) > 1 else "")
            if show_ci and {"ci_lower", "ci_upper"} <= set(rows.columns):
                lo, hi = rows["ci_lower"].to_numpy(dtype=float), rows["ci_upper"].to_numpy(dtype=float)
                if len(lo) < len(t):
                    lo, hi = np.r_[0.0, lo], np.r_[0.0, hi]
                ax.fill_between(t / style.DAYS_PER_YEAR, lo, hi, step="post", color=color,
                                alpha=0.15 if gi == 0 else 0.08, linewidth=0)
            (line,) = ax.step(t / style.DAYS_PER_YEAR, v, where="post", color=color,
                              linewidth=2, linestyle=lstyles[grp], label=label,
                              gid=f"curve:{grp}:{r}")
            if gi == 0:
                handles.append(Line2D([], [], color=color, linewidth=2,
                                      label=style.route_label(r, route_set)))
    if len(groups) > 1:  # colours say the route, line styles the group
        handles.append(Line2D([], [], linestyle="none", label=""))
        handles += [Line2D([], [], color="black", linewidth=1.5, linestyle=lstyles[g],
                           label=str(g)) for g in groups]
    return handles
