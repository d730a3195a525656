"""Kaplan–Meier curves with confidence bands, censoring marks and a number-at-risk table.

:func:`plot_km` draws the tidy table of :func:`pace_analysis.survival.kaplan_meier`
(``group, time_days, at_risk, events, censored, survival, ci_lower, ci_upper``). By
default it shows the share of children who have *reached* legal permanence (1 − S),
which reads more easily than a falling "survival" curve; ``kind="waiting"`` shows the
share still waiting. Disclosure control (:mod:`pace_analysis.disclosure`) is applied:
groups with fewer than ``threshold`` children are not drawn and are listed as not shown,
small at-risk counts are printed as ``"<N"``, and ``step_days`` draws a coarsened curve.
"""

from __future__ import annotations

import textwrap
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.lines import Line2D
from mpl_toolkits.axes_grid1 import make_axes_locatable

from pace_analysis.disclosure import (
    DEFAULT_THRESHOLD,
    coarsen_curve,
    curve_group_sizes,
    format_at_risk,
    not_shown_note,
    stop_at_small_risk_set,
)
from pace_analysis.errors import PaceError
from pace_analysis.plotting import style

KINDS = ("reached", "waiting")
_YLABEL = {"reached": "Share of children who have\nreached legal permanence",
           "waiting": "Share of children still\nwaiting for legal permanence"}
KM_COLUMNS = ("group", "time_days", "at_risk", "survival")


def _ordered_groups(table: pd.DataFrame, groups: Sequence | None) -> list:
    if groups is not None:
        return list(groups)
    col = table["group"]
    if isinstance(col.dtype, pd.CategoricalDtype):
        present = set(col.dropna())
        return [g for g in col.cat.categories if g in present]
    return list(pd.unique(col))


def at_risk_at(table: pd.DataFrame, group, times_days: Sequence[float]) -> np.ndarray:
    """Number at risk in one group of a KM table at each of ``times_days``.

    The ``at_risk`` of the first row at or after t (children whose follow-up reaches t);
    after the last row, those still at risk once its events and censorings are removed.
    """
    g = table[table["group"] == group].sort_values("time_days", kind="stable")
    t = g["time_days"].to_numpy(dtype=float)
    ar = g["at_risk"].to_numpy(dtype=float)
    if t.size == 0:
        return np.zeros(len(times_days), dtype=int)
    gone = sum(g[c].to_numpy(dtype=float)[-1] for c in ("events", "censored") if c in g)
    left = max(ar[-1] - gone, 0) if {"events", "censored"} <= set(g.columns) else 0
    idx = np.searchsorted(t, np.asarray(times_days, dtype=float), side="left")
    return np.where(idx < t.size, ar[np.minimum(idx, t.size - 1)], left).astype(int)


def _curve(g: pd.DataFrame, kind: str) -> tuple[np.ndarray, ...]:
    g = g.sort_values("time_days", kind="stable")
    t = g["time_days"].to_numpy(dtype=float) / style.DAYS_PER_YEAR
    s = g["survival"].to_numpy(dtype=float)
    lo = g["ci_lower"].to_numpy(dtype=float) if "ci_lower" in g else np.full_like(s, np.nan)
    hi = g["ci_upper"].to_numpy(dtype=float) if "ci_upper" in g else np.full_like(s, np.nan)
    if t.size == 0 or t[0] > 0:
        t, s = np.r_[0.0, t], np.r_[1.0, s]
        lo, hi = np.r_[1.0, lo], np.r_[1.0, hi]
    if kind == "reached":
        return t, 1 - s, 1 - hi, 1 - lo
    return t, s, lo, hi


def plot_km(km_table: pd.DataFrame, ax: Axes | None = None, *,
            at_risk: pd.DataFrame | str | None = "auto", kind: str = "reached",
            threshold: int = DEFAULT_THRESHOLD, show_censors: bool = True, show_ci: bool = True,
            step_days: float | None = 91, groups: Sequence | None = None,
            colors: Mapping | None = None, max_years: float | None = None,
            title: str | None = "Time to legal permanence",
            xlabel: str = "Years since becoming looked after",
            legend_title: str | None = None) -> Axes:
    """Kaplan–Meier curves by group, with an aligned number-at-risk table underneath.

    Parameters
    ----------
    km_table : pandas.DataFrame
        Tidy KM table (``group, time_days, at_risk, events, censored, survival, ci_lower,
        ci_upper``).
    ax : matplotlib Axes, optional
        Where to draw; a new figure is made if None (legend outside on the right). The
        number-at-risk table takes a strip at the bottom of ``ax``'s area (its own Axes,
        sharing the x axis) and its group names stand to the left of it: in a grid of
        plots leave room for them (e.g. ``fig.subplots_adjust(wspace=0.6)``). On a given
        ``ax`` the legend goes inside the plot.
    at_risk : "auto", DataFrame or None
        ``"auto"``: counts at each whole-year tick, read off ``km_table`` (exact without
        late entry; with late entry it is the risk set of the next time in the table, as
        R's ``summary(survfit, times=)`` reports, so pass
        :func:`pace_analysis.survival.at_risk_table` for the count at the tick itself);
        a DataFrame with
        ``group``, ``time_days`` and ``at_risk`` (e.g. :func:`pace_analysis.survival.at_risk_table`):
        those counts at those times; None: no table.
    kind : {"reached", "waiting"}
        Share who have reached legal permanence (default) or share still waiting.
    threshold : int
        Disclosure threshold: smaller groups are not drawn; a curve stops where fewer
        children are still at risk (:func:`~pace_analysis.disclosure.stop_at_small_risk_set`);
        at-risk counts below it print as ``"<threshold"``.
    show_censors, show_ci : bool
        Draw censoring marks (never on a coarsened curve) and confidence bands.
    step_days : float or None
        Draw the curve coarsened to this grid: quarters (91 days) by default, so that no
        child's exact day can be read off (the rule of reports, and of the explore view).
        ``None`` draws the exact steps and censoring marks: for an analyst's own screen,
        and only when asked for explicitly.
    groups : sequence, optional
        Groups to draw, in order (default: all, in table order).
    colors : mapping, optional
        Colour per group (default: :func:`style.group_colors`).
    max_years : float, optional
        Right end of the x axis (default: the last time in the table).
    title, xlabel, legend_title : str
        Texts; ``title=None`` leaves the title off.

    Returns
    -------
    matplotlib.axes.Axes
        The curve Axes. The at-risk Axes is ``ax.figure.axes`` after it, labelled
        ``"at_risk"`` (``Axes.get_label()``).
    """
    if kind not in KINDS:
        raise PaceError(f"kind must be one of {KINDS}, not {kind!r}")
    missing = [c for c in KM_COLUMNS if c not in km_table.columns]
    if missing:
        raise PaceError(f"KM table lacks column(s): {', '.join(missing)}")
    order = _ordered_groups(km_table, groups)
    sizes = curve_group_sizes(km_table) if len(km_table) else pd.Series(dtype=int)
    hidden = [g for g in order if sizes.get(g, 0) < threshold]
    shown = [g for g in order if g not in hidden]
    colors = dict(colors) if colors is not None else style.group_colors(order)
    lstyles = style.group_linestyles(order)
    drawn = coarsen_curve(km_table, step_days) if step_days else km_table
    drawn = stop_at_small_risk_set(drawn, threshold)
    rows = len(shown) if at_risk is not None else 0
    with style.rc_context():
        table_h = 0.25 * rows + 0.45 if rows else 0.0
        own_figure = ax is None
        if ax is None:
            ax = style.new_axes(None, (10.5, 4.4 + table_h))
            longest = max((len(str(g)) for g in shown), default=0)
            # Room on the left for the at-risk row names (about 0.075 inch per character).
            left = 0.05 + (0.075 * longest + 0.35) / 10.5
            ax.figure.subplots_adjust(left=min(max(left, 0.1), 0.4),
                                      right=0.7, top=0.92, bottom=0.06)
        style.tidy_axes(ax, "both")
        handles = []
        for g in shown:
            t, y, lo, hi = _curve(drawn[drawn["group"] == g], kind)
            c = colors.get(g, style.OKABE_ITO[0])
            label = f"{g} ({int(sizes[g]):,} children)"
            if show_ci and np.isfinite(lo).any():
                ax.fill_between(t, lo, hi, step="post", color=c, alpha=0.15, linewidth=0)
            (line,) = ax.step(t, y, where="post", color=c, linewidth=2, label=label,
                              linestyle=lstyles.get(g, "-"), gid=f"curve:{g}")
            handles.append(line)
            if show_censors and not step_days and "censored" in km_table.columns:
                exact = stop_at_small_risk_set(km_table[km_table["group"] == g], threshold)
                k = exact[exact["censored"] > 0]
                if len(k):
                    s = k["survival"].to_numpy(dtype=float)
                    ax.plot(k["time_days"].to_numpy(dtype=float) / style.DAYS_PER_YEAR,
                            1 - s if kind == "reached" else s, linestyle="none", marker="|",
                            markersize=6, markeredgewidth=1, color=c, gid=f"censor:{g}")
        last = km_table["time_days"].max() / style.DAYS_PER_YEAR if len(km_table) else 1.0
        xmax = float(max_years if max_years is not None else max(last, 0.5))
        ax.set_xlim(0, xmax)
        ax.set_ylim(0, 1.0)
        style.years_axis(ax, xmax)
        style.percent_axis(ax)
        ax.set_xlabel(xlabel)
        ax.set_ylabel(_YLABEL[kind])
        if title:
            ax.set_title(title, loc="left")
        note = not_shown_note(hidden, threshold)
        if note:
            handles.append(Line2D([], [], linestyle="none",
                                  label=textwrap.fill(note, 34, subsequent_indent="  ")))
        if not shown:
            ax.text(0.5, 0.5, note or "No data to show", transform=ax.transAxes, ha="center",
                    va="center", color=style.MUTED, wrap=True)
        if handles:
            if own_figure:  # room was left on the right
                ax.legend(handles=handles, title=legend_title, loc="upper left",
                          bbox_to_anchor=(1.02, 1.0), borderaxespad=0, handlelength=2.2)
            else:  # inside, in the corner the curves leave empty at late times
                ax.legend(handles=handles, title=legend_title, handlelength=2.2,
                          loc="lower right" if kind == "reached" else "upper right")
        if rows:
            _at_risk_table(ax, km_table, at_risk, shown, colors, threshold, xmax, table_h)
    return ax


def _at_risk_table(ax: Axes, km_table: pd.DataFrame, at_risk, shown: list, colors: Mapping,
                   threshold: int, xmax: float, height: float) -> Axes:
    tab = make_axes_locatable(ax).append_axes("bottom", size=height, pad=0.62, sharex=ax)
    tab.set_label("at_risk")
    if isinstance(at_risk, pd.DataFrame):
        need = {"group", "time_days", "at_risk"}
        if not need <= set(at_risk.columns):
            raise PaceError(f"at-risk table needs columns {sorted(need)}")
        times = np.sort(at_risk["time_days"].unique().astype(float))
        lookup = at_risk.set_index(["group", "time_days"])["at_risk"]

        def counts(g):
            return [lookup.get((g, t), np.nan) for t in times]
    elif at_risk == "auto":
        ticks = ax.get_xticks()
        times = ticks[(ticks >= 0) & (ticks <= xmax + 1e-9)] * style.DAYS_PER_YEAR

        def counts(g):
            return at_risk_at(km_table, g, times)
    else:
        raise PaceError("at_risk must be 'auto', a DataFrame or None")
    widest = 0
    for row, g in enumerate(shown):
        for t, n in zip(times, counts(g), strict=True):
            x = t / style.DAYS_PER_YEAR
            if 0 <= x <= xmax + 1e-9 and format_at_risk(n, threshold):
                text = format_at_risk(n, threshold)
                if x <= 1e-9:
                    widest = max(widest, len(text))
                tab.text(x, row, text, ha="center", va="center",
                         fontsize=9, color=colors.get(g, "black"))
    tab.set_ylim(len(shown) - 0.5, -0.5)
    tab.set_yticks(range(len(shown)))
    tab.set_yticklabels([str(g) for g in shown], fontsize=9)
    for lab, g in zip(tab.get_yticklabels(), shown, strict=True):
        lab.set_color(colors.get(g, "black"))
        lab.set_fontweight("bold")
    tab.tick_params(axis="both", length=0, labelbottom=False)
    # The numbers at time 0 are centred on the axis: keep the group labels clear of half
    # their width (about 2.9 pt per character at 9 pt), so "Scotland" never runs into them.
    tab.tick_params(axis="y", pad=max(16, 6 + 2.9 * widest))
    tab.grid(False)
    for side in tab.spines.values():
        side.set_visible(False)
    tab.set_title("Children still waiting (number at risk) at each time", loc="left",
                  fontsize=9, fontweight="normal", color=style.MUTED)
    return tab
