"""Trends by reporting year of becoming looked after, drawn with seaborn.

:func:`plot_trends` draws one horizon of a :func:`pace_analysis.trends.permanence_by_year`
table on one Axes (seaborn ``lineplot``: colour = outcome, line style = area) with the
95% intervals of the first area as bands, and a vertical line at the council's PACE start.
:func:`plot_trend_grid` draws small multiples (seaborn ``FacetGrid``), one panel per
horizon or per area. Both apply :func:`pace_analysis.trends.suppress_trends` themselves
when given an unsuppressed table, so no point comes from fewer than ``threshold``
children whoever calls them.

Each year is drawn at the middle of its reporting year (1 August – 31 July): the point of
2015-16 sits at 2016.0 on a continuous year axis, where the PACE start date can be placed
exactly.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter

from pace_analysis.disclosure import DEFAULT_THRESHOLD
from pace_analysis.plotting import style
from pace_analysis.trends import OUTCOMES, suppress_trends

#: Colour of each outcome (the route colours: home green, orders blue; any black).
OUTCOME_COLORS: dict[str, str] = {"any": "#000000", "home": style.ROUTE_COLORS["home"],
                                  "order": style.ROUTE_COLORS["permanence_order"]}
PACE_COLOR = style.OKABE_ITO[5]


def year_position(day: date | str | pd.Timestamp) -> float:
    """Position of a date on the trend charts' year axis (1 August 2015 = 2015.5)."""
    d = pd.Timestamp(day)
    start = pd.Timestamp(d.year - (1 if d.month < 8 else 0), 8, 1)
    return start.year + 0.5 + (d - start).days / 365.25


def _prepared(table: pd.DataFrame, threshold: int) -> pd.DataFrame:
    t = table if "suppressed" in table.columns else suppress_trends(table, threshold)
    t = t[t["n"] >= threshold]
    return t.assign(x=t["year_start"] + 1.0, outcome_label=t["outcome"].map(OUTCOMES))


def _year_ticks(ax: Axes, t: pd.DataFrame, max_ticks: int = 8) -> None:
    if t.empty:
        return
    years = sorted(t["year_start"].unique())
    step = int(np.ceil(len(years) / max_ticks))
    shown = years[::step]
    ax.set_xticks([y + 1.0 for y in shown])
    # A formatter, not fixed labels: any position reads as its reporting year ("2021-22"),
    # so alternative text written from the axis names the years of the last points too.
    ax.xaxis.set_major_formatter(FuncFormatter(_year_label))
    ax.set_xlim(years[0] + 0.4, years[-1] + 1.6)


def _year_label(x: float, _pos=None) -> str:
    y = int(np.floor(x - 0.5))
    return f"{y}-{(y + 1) % 100:02d}"


def _mark_pace(ax: Axes, pace_start: date | None, label: bool = True) -> None:
    if pace_start is None:
        return
    x = year_position(pace_start)
    ax.axvline(x, color=PACE_COLOR, linewidth=1.4, linestyle=(0, (4, 2)), zorder=1)
    if label:
        ax.annotate(f"joined PACE\n{pd.Timestamp(pace_start):%b %Y}", (x, 0.98),
                    xycoords=("data", "axes fraction"), xytext=(4, 0),
                    textcoords="offset points", ha="left", va="top", fontsize=9,
                    color="#A04000")


def _label_lines(ax: Axes, t: pd.DataFrame) -> None:
    """Name seaborn's lines "<outcome>, <area>" (their own labels are "_child0"...), so
    that alternative text written from the figure can say which line is which."""
    for (outcome, area), g in t.groupby(["outcome", "area"], sort=False):
        g = g[g["share"].notna()].sort_values("x")
        for line in ax.get_lines():
            x, y = (np.asarray(v, dtype=float) for v in line.get_data())
            if (line.get_label().startswith("_") and len(x) == len(g) and len(x)
                    and np.allclose(x, g["x"]) and np.allclose(y, g["share"])):
                line.set_label(f"{OUTCOMES[outcome]}, {area}")
                line.set_gid(f"trend:{outcome}:{area}")
                break


def plot_trends(table: pd.DataFrame, ax: Axes | None = None, *, horizon: int = 2,
                outcomes: Sequence[str] = tuple(OUTCOMES), pace_start: date | None = None,
                threshold: int = DEFAULT_THRESHOLD, band_area: str | None = None,
                title: str | None = None, legend: bool = True) -> Axes:
    """Share reaching permanence within ``horizon`` years, by year of becoming looked after.

    Parameters
    ----------
    table : pandas.DataFrame
        :func:`pace_analysis.trends.permanence_by_year` (or its suppressed form), one or
        more areas.
    ax : matplotlib Axes, optional
    horizon : int
        Years since becoming looked after (1 or 2).
    outcomes : sequence of str
        Outcome codes to draw (default any, home, order).
    pace_start : date, optional
        Drawn as a vertical line ("joined PACE").
    threshold : int
        Disclosure threshold (years with fewer children are not drawn).
    band_area : str, optional
        Area whose 95% intervals are shaded (default the first area).
    title : str, optional
    legend : bool

    Returns
    -------
    matplotlib.axes.Axes
    """
    t = _prepared(table, threshold)
    t = t[(t["horizon_years"] == horizon) & t["outcome"].isin(list(outcomes))]
    areas = list(pd.unique(t["area"]))
    band_area = band_area or (areas[0] if areas else None)
    with style.rc_context():
        ax = style.new_axes(ax, (9, 4.8))
        if not t.empty:
            palette = {OUTCOMES[o]: OUTCOME_COLORS[o] for o in outcomes}
            dashes = {a: "" if i == 0 else (4, 2) for i, a in enumerate(areas)}
            sns.lineplot(data=t, x="x", y="share", hue="outcome_label", style="area",
                         hue_order=[OUTCOMES[o] for o in outcomes], style_order=areas,
                         palette=palette, dashes=dashes, markers=True, markersize=6,
                         errorbar=None, ax=ax, legend=legend)
            _label_lines(ax, t)
            band = t[t["area"] == band_area]
            for o in outcomes:
                b = band[(band["outcome"] == o) & band["share"].notna()].sort_values("x")
                ax.fill_between(b["x"], b["ci_lower"], b["ci_upper"], color=OUTCOME_COLORS[o],
                                alpha=0.15, linewidth=0, gid=f"band:{o}")
        else:
            ax.text(0.5, 0.5, "No year has enough children to show", transform=ax.transAxes,
                    ha="center", va="center", color=style.MUTED)
        _mark_pace(ax, pace_start)
        _year_ticks(ax, t)
        ax.set_ylim(0, 1)
        style.percent_axis(ax)
        ax.set_xlabel("Reporting year of becoming looked after (August to July)")
        ax.set_ylabel(f"Share within {horizon} year{'s' if horizon > 1 else ''}")
        if title:
            ax.set_title(title, loc="left")
        if legend and ax.get_legend() is not None:
            handles, labels = ax.get_legend_handles_labels()
            labels = ["Outcome" if lab == "outcome_label" else "Area" if lab == "area" else lab
                      for lab in labels]
            ax.legend(handles, labels, loc="upper left", bbox_to_anchor=(1.01, 1.0),
                      borderaxespad=0)
        style.tidy_axes(ax, "y")
    return ax


def plot_trend_grid(table: pd.DataFrame, *, col: str = "horizon_years",
                    outcomes: Sequence[str] = tuple(OUTCOMES), pace_start: date | None = None,
                    threshold: int = DEFAULT_THRESHOLD, col_wrap: int | None = None,
                    height: float = 3.4, title: str | None = None) -> Figure:
    """Small multiples of the trends: one panel per horizon (default) or per area.

    Parameters
    ----------
    table : pandas.DataFrame
        As for :func:`plot_trends`.
    col : {"horizon_years", "area"}
        What varies across panels. With ``"area"`` only the 2-year horizon is drawn and
        each panel shows one area (e.g. the council and its comparator group).
    outcomes, pace_start, threshold
        As for :func:`plot_trends` (``pace_start`` is marked on every panel).
    col_wrap : int, optional
        Panels per row.
    height : float
        Height of each panel (inches).
    title : str, optional

    Returns
    -------
    matplotlib.figure.Figure
    """
    t = _prepared(table, threshold)
    t = t[t["outcome"].isin(list(outcomes))]
    if col == "area":
        t = t[t["horizon_years"] == 2]
    t = t.assign(panel=(t["horizon_years"].map(lambda h: f"Within {h} year{'s' if h > 1 else ''}")
                        if col == "horizon_years" else t["area"]))
    order = list(pd.unique(t.sort_values(col)["panel"])) if col == "horizon_years" else \
        list(pd.unique(t["panel"]))
    palette = {OUTCOMES[o]: OUTCOME_COLORS[o] for o in outcomes}
    with style.rc_context():
        grid = sns.FacetGrid(t, col="panel", col_order=order, col_wrap=col_wrap,
                             height=height, aspect=1.35, sharey=True, sharex=True)

        def draw(data: pd.DataFrame, **_kw) -> None:
            ax = plt.gca()
            sns.lineplot(data=data, x="x", y="share", hue="outcome_label", palette=palette,
                         hue_order=[OUTCOMES[o] for o in outcomes], style="area",
                         markers=True, errorbar=None, ax=ax, legend=False)
            _label_lines(ax, data)
            first = data[data["area"] == data["area"].iloc[0]]
            for o in outcomes:
                b = first[(first["outcome"] == o) & first["share"].notna()].sort_values("x")
                ax.fill_between(b["x"], b["ci_lower"], b["ci_upper"],
                                color=OUTCOME_COLORS[o], alpha=0.15, linewidth=0)
            _mark_pace(ax, pace_start, label=False)

        grid.map_dataframe(draw)
        for ax in grid.axes.flat:
            _year_ticks(ax, t, max_ticks=4)
            ax.set_ylim(0, 1)
            style.percent_axis(ax)
            style.tidy_axes(ax, "y")
        grid.set_titles("{col_name}")
        grid.set_axis_labels("Reporting year of becoming looked after", "Share")
        handles = [plt.Line2D([], [], color=OUTCOME_COLORS[o], marker="o", label=OUTCOMES[o])
                   for o in outcomes]
        if col != "area":
            marks = ("o", "X", "s", "P")
            handles += [plt.Line2D([], [], color="#555555", marker=marks[i % 4],
                                   linestyle="-" if i == 0 else (0, (4, 2)),
                                   label=a + (" (band: 95% interval)" if i == 0 else ""))
                        for i, a in enumerate(pd.unique(t["area"]))]
        if pace_start is not None:
            handles.append(plt.Line2D([], [], color=PACE_COLOR, linestyle=(0, (4, 2)),
                                      label=f"joined PACE ({pd.Timestamp(pace_start):%b %Y})"))
        grid.figure.legend(handles=handles, loc="upper center", ncol=2,
                           bbox_to_anchor=(0.5, 0.0), frameon=False)
        if title:
            grid.figure.suptitle(title, x=0.01, ha="left", y=1.03, fontweight="bold")
    return grid.figure


def plotted_points(ax: Axes) -> pd.DataFrame:
    """The (x, y) points of every line on an Axes, for tests and alt text."""
    rows = []
    for line in ax.get_lines():
        x, y = (np.asarray(v, dtype=float) for v in line.get_data())
        if len(x) < 1 or line.get_label().startswith("_child") and len(x) == 2 and x[0] == x[1]:
            continue
        for xi, yi in zip(x, y, strict=True):
            rows.append({"line": line.get_label(), "x": xi, "y": yi,
                         "color": line.get_color()})
    return pd.DataFrame(rows, columns=["line", "x", "y", "color"])
