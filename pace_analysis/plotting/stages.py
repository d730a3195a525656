"""Where the time goes: median time in each stage between milestones, by route.

:func:`plot_stage_durations` draws the table of :func:`pace_analysis.milestones.stage_summary`
(``group, stage, stage_label, n, n_completed, median_days, q1_days, q3_days, most_time``),
in **weeks** by default (the unit of the report's stage table; ``unit="days"`` for days).
``kind="timeline"`` (default) lays each group's stage medians end to end in one horizontal
bar, with the stage holding the most time outlined; ``kind="bars"`` is a seaborn
``barplot`` of the tidy table — stages on rows, one bar per group, the quartiles as
whiskers. Every stage has its own colour (bypass stages, which skip milestones, are also
hatched), so no two legend swatches look alike. A median based on fewer than
``threshold`` completed stages is not drawn (the median of 3 durations is one child's).
"""

from __future__ import annotations

import textwrap

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.patches import Patch

from pace_analysis.disclosure import DEFAULT_THRESHOLD, not_shown_note
from pace_analysis.errors import PaceError
from pace_analysis.milestones import NO_ROUTE, STAGES
from pace_analysis.plotting import style

KINDS = ("timeline", "bars")
#: Units of the time axis and the number of days in each.
UNITS: dict[str, float] = {"weeks": 7.0, "days": 1.0}
#: Colours of bypass stages (distinct from the six main stages' Okabe–Ito colours).
BYPASS_COLORS: tuple[str, ...] = ("#F0E442", "#000000", "#999999", "#44AA99", "#882255",
                                  "#DDCC77")
STAGE_COLUMNS = ("group", "stage", "median_days", "n_completed")


def _group_order(table: pd.DataFrame, route_set) -> list:
    present = list(pd.unique(table["group"]))
    try:
        from pace_analysis.routes import load_route_set

        rs = route_set if route_set is not None and not isinstance(route_set, str) else (
            load_route_set(route_set) if isinstance(route_set, str) else load_route_set())
        codes = list(rs.route_codes)
    except PaceError:
        codes = []
    known = [c for c in codes if c in present]
    return known + [g for g in present if g not in known]


def _label(group, route_set, n: int) -> str:
    return f"{textwrap.fill(style.route_label(str(group), route_set), 24)}\n({n:,} children)"


def plot_stage_durations(stage_summary: pd.DataFrame, ax: Axes | None = None, *,
                         kind: str = "timeline", groups=None, route_set=None,
                         threshold: int = DEFAULT_THRESHOLD, unit: str = "weeks",
                         title: str | None = "Where the time goes: median weeks in each stage"
                         ) -> Axes:
    """Median days in each stage between milestones, by group (route).

    Parameters
    ----------
    stage_summary : pandas.DataFrame
        Output of :func:`pace_analysis.milestones.stage_summary`.
    ax : matplotlib Axes, optional
        Where to draw (a new figure if None).
    kind : {"timeline", "bars"}
        ``"timeline"``: for each group, the stages of its most common path from
        accommodation to permanence (:func:`typical_path`), medians end to end;
        ``"bars"``: every stage on its own row, one bar per group, quartile whiskers.
    groups : sequence, optional
        Groups to draw, in order. Default: all, routes in route-set order; the timeline
        leaves out ``"none_yet"`` (children not yet at permanence, whose open stages have
        no median yet; ``kind="bars"`` shows them).
    route_set : RouteSet or str, optional
        For route labels and order (default Scotland's).
    threshold : int
        Medians from fewer completed stages than this are not drawn.
    unit : {"weeks", "days"}
        Unit of the time axis and bar labels (weeks, as the report's stage table).
    title : str or None

    Returns
    -------
    matplotlib.axes.Axes
    """
    if kind not in KINDS:
        raise PaceError(f"kind must be one of {KINDS}, not {kind!r}")
    if unit not in UNITS:
        raise PaceError(f"unit must be one of {tuple(UNITS)}, not {unit!r}")
    missing = [c for c in STAGE_COLUMNS if c not in stage_summary.columns]
    if missing:
        raise PaceError(f"stage summary lacks column(s): {', '.join(missing)}")
    t = stage_summary.copy()
    per = UNITS[unit]
    for col in ("median_days", "q1_days", "q3_days"):
        if col in t.columns:
            t[col] = t[col] / per  # values in the chosen unit from here on
    if "stage_label" not in t.columns:
        t["stage_label"] = t["stage"].astype(str)
    t["drawn"] = (t["n_completed"] >= threshold) & t["median_days"].notna()
    order = _group_order(t, route_set) if groups is None else list(groups)
    if groups is None and kind == "timeline":
        order = [g for g in order if g != NO_ROUTE]
    size_col = next(c for c in ("n_journeys", "n", "n_completed") if c in t.columns)
    sizes = t.groupby("group", sort=False)[size_col].max()
    hidden = [g for g in order if sizes.get(g, 0) < threshold]
    groups = [g for g in order if g not in hidden and t.loc[t["group"] == g, "drawn"].any()]
    stages = list(pd.unique(t.sort_values("stage", kind="stable")["stage"]))
    labels = dict(zip(t["stage"], t["stage_label"], strict=False))
    if kind == "bars":  # only stages with something to draw
        stages = [s for s in stages if t.loc[(t["stage"] == s) & t["group"].isin(groups), "drawn"].any()]
    colors, hatches = _stage_styles(stages)
    with style.rc_context():
        if ax is None:
            height = 2.2 + 0.75 * max(len(groups), 1) if kind == "timeline" else \
                1.6 + 0.12 * len(stages) * (max(len(groups), 1) + 1)
            height = max(height, 4.5)
            ax = style.new_axes(None, (11, height))
            ax.figure.subplots_adjust(left=0.24, right=0.66, top=1 - 0.5 / height,
                                      bottom=1.3 / height)
        style.tidy_axes(ax, "x")
        if kind == "timeline":
            handles = _timeline(ax, t, groups, stages, colors, hatches, labels, route_set, sizes)
        else:
            handles = _bars(ax, t, groups, stages, labels, route_set, sizes)
        ax.set_xlim(left=0)
        ax.set_xlabel(f"Median {unit} in each stage" + (
            " (laid end to end)" if kind == "timeline" else "; whiskers: middle half of children"))
        notes = [f"Medians based on fewer than {threshold} children, or not reached yet, "
                 "are left out."]
        if kind == "timeline":
            notes.append("Each bar follows the most common path from accommodation to legal "
                         "permanence. Outlined: the stage holding the most time. Medians "
                         "laid end to end do not add up to the median of the whole journey.")
        note = not_shown_note(hidden, threshold)
        if note:
            notes.append(note)
        if not groups:
            ax.text(0.5, 0.5, note or "No stages to show", transform=ax.transAxes,
                    ha="center", va="center", color=style.MUTED)
        ax.annotate(textwrap.fill(" ".join(notes), 110), xy=(0, 0), xycoords="axes fraction",
                    xytext=(0, -38), textcoords="offset points", va="top", fontsize=8,
                    color=style.MUTED)
        if title:
            ax.set_title(title, loc="left")
        if handles:
            ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.02, 1.0),
                      borderaxespad=0)
    return ax


def _ends(stage: str) -> tuple[str, str]:
    start, _, end = str(stage).partition("_to_")
    return start, end


def typical_path(t: pd.DataFrame, group, start: str = "accommodated") -> list[str]:
    """Stages of the most common path of a group through the milestones.

    From ``start``, repeatedly take the stage (main or bypass) that most of the group's
    journeys at that milestone went through (completed or still open), until legal
    permanence or no stage is left.
    """
    g = t[t["group"] == group]
    weight = g["n_completed"] + (g["n_open"] if "n_open" in g else 0)
    g = g.assign(_from=[_ends(s)[0] for s in g["stage"]], _to=[_ends(s)[1] for s in g["stage"]],
                 _w=weight)
    path, cur = [], start
    while cur != "order" and len(path) < 10:
        cands = g[(g["_from"] == cur) & (g["_w"] > 0)]
        if cands.empty:
            break
        best = cands.sort_values("_w", ascending=False, kind="stable").iloc[0]
        path.append(best["stage"])
        cur = best["_to"]
    return path


def _stage_styles(stages: list) -> tuple[dict, dict]:
    """A distinct colour per stage, and a hatch for bypass stages.

    The six main stages take Okabe–Ito colours; a bypass stage (e.g. recommendation to
    order, no panel) takes the next of :data:`BYPASS_COLORS` and is hatched, so paths that
    skip milestones read as such and no two legend swatches share a colour.
    """
    main = {s.code: style.OKABE_ITO[i] for i, s in zip((4, 0, 1, 2, 5, 3), STAGES, strict=True)}
    colors, hatches = {}, {}
    k = 0
    for s in stages:
        if s in main:
            colors[s], hatches[s] = main[s], None
        else:  # a colour of its own, and hatched: it skips milestones
            colors[s] = BYPASS_COLORS[k % len(BYPASS_COLORS)]
            hatches[s] = "///"
            k += 1
    return colors, hatches


def _timeline(ax, t, groups, stages, colors, hatches, labels, route_set, sizes) -> list:
    used, bars = [], []
    for row, g in enumerate(groups):
        left = 0.0
        for s in typical_path(t, g):
            r = t[(t["group"] == g) & (t["stage"] == s)].iloc[0]
            if s not in used:
                used.append(s)
            if not bool(r["drawn"]):
                continue
            w = float(r["median_days"])
            bars.append((row, g, s, left, w, bool(r.get("most_time", False))))
            left += w
    widest = max((b[3] + b[4] for b in bars), default=1.0)
    for row, g, s, left, w, most in bars:
        ax.barh(row, w, left=left, height=0.6, facecolor=colors[s], hatch=hatches[s],
                gid=f"stage:{g}:{s}", edgecolor="black" if most else "white",
                linewidth=2.0 if most else 0.8)
        if w >= 0.045 * widest:  # numbers only where they fit
            ax.text(left + w / 2, row, f"{w:.0f}", ha="center", va="center", fontsize=8,
                    color=style.text_color_on(colors[s]), clip_on=True,
                    bbox=dict(facecolor=colors[s], edgecolor="none", pad=1)
                    if hatches[s] else None)
    ax.set_yticks(range(len(groups)))
    ax.set_yticklabels([_label(g, route_set, int(sizes[g])) for g in groups])
    ax.set_ylim(len(groups) - 0.5, -0.5)
    return [Patch(facecolor=colors[s], hatch=hatches[s], edgecolor="white",
                  label=textwrap.fill(labels[s], 34)) for s in stages if s in used]


def _bars(ax, t, groups, stages, labels, route_set, sizes) -> list:
    """Seaborn barplot of the tidy table: stages on rows, one bar per group, IQR whiskers."""
    import seaborn as sns

    pal = style.group_colors(groups)
    colors = {g: style.ROUTE_COLORS.get(str(g), pal[g]) for g in groups}
    names = {g: _label(g, route_set, int(sizes[g])) for g in groups}
    data = t[t["group"].isin(groups) & t["stage"].isin(stages) & t["drawn"]].copy()
    data["stage_name"] = data["stage"].map(lambda s: textwrap.fill(labels[s], 26))
    data["group_name"] = data["group"].map(names)
    order = [textwrap.fill(labels[s], 26) for s in stages]
    hue_order = [names[g] for g in groups]
    if data.empty:
        return []
    sns.barplot(data=data, x="median_days", y="stage_name", hue="group_name", order=order,
                hue_order=hue_order, palette={names[g]: colors[g] for g in groups},
                errorbar=None, orient="h", saturation=1.0, ax=ax, legend=False)
    for g, container in zip(groups, ax.containers, strict=False):
        rows = data[data["group"] == g].set_index("stage_name")
        for bar in container:
            bar.set_gid(f"bars:{g}")
            name = order[int(round(bar.get_y() + bar.get_height() / 2))]
            if name not in rows.index:
                continue
            r = rows.loc[name]
            if {"q1_days", "q3_days"} <= set(r.index) and np.isfinite(
                    [r["q1_days"], r["q3_days"]]).all():
                y = bar.get_y() + bar.get_height() / 2
                ax.errorbar(r["median_days"], y, xerr=[[r["median_days"] - r["q1_days"]],
                                                       [r["q3_days"] - r["median_days"]]],
                            fmt="none", ecolor="#333333", elinewidth=0.8, capsize=2)
    ax.set_ylabel("")
    ax.tick_params(axis="y", labelsize=9)
    return [Patch(facecolor=colors[g], label=names[g]) for g in groups]
