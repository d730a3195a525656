"""Draw run charts and SPC charts from :class:`pace_analysis.improvement.ChartResult`.

The chart names its rule set in the title, highlights the points where a rule fired
(with the rule named in the legend), draws phase separators, the end of a frozen
baseline and dated tests of change, and prints the chart's messages (too few points,
empty periods, zero denominators) on the chart itself.
"""

from __future__ import annotations

import textwrap

import matplotlib.dates as mdates
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from pace_analysis.improvement import RULE_LABELS, RULES, ChartResult
from pace_analysis.plotting.style import MUTED, OKABE_ITO, new_axes, rc_context, tidy_axes

LINE = OKABE_ITO[0]
SIGNAL = OKABE_ITO[5]
CENTRE = "#333333"
LIMIT = "#7F7F7F"
NOTE = OKABE_ITO[2]


def _segments(points: pd.DataFrame):
    """Consecutive stretches of points sharing phase and centre (for the centre line)."""
    key = points["phase"].astype(str) + "|" + points["baseline"].astype(str)
    change = key.ne(key.shift()).cumsum()
    for _, part in points.groupby(change, sort=False):
        yield part


def plot_run_chart(result: ChartResult, ax: Axes | None = None, title: str | None = None,
                   ylabel: str | None = None, percent: bool | None = None) -> Axes:
    """Draw a run, XmR or P chart.

    Parameters
    ----------
    result : ChartResult
        From :func:`~pace_analysis.improvement.run_chart`,
        :func:`~pace_analysis.spc.xmr_chart` or :func:`~pace_analysis.spc.p_chart`.
    ax : matplotlib Axes, optional
    title : str, optional
        Default: the measure label; the rule set is always added.
    ylabel : str, optional
    percent : bool, optional
        Show values as percentages (default: True for P charts).

    Returns
    -------
    matplotlib.axes.Axes
    """
    pts = result.points
    percent = result.chart == "p" if percent is None else percent
    with rc_context():
        ax = new_axes(ax, (9, 4.2))
        x = pts["date"]
        ax.plot(x, pts["value"], color=LINE, marker="o", markersize=3.5, linewidth=1.1,
                label="value", zorder=3)
        first = True
        for part in _segments(pts):
            style = "-" if part["baseline"].all() else "--"  # dashed: frozen and extended
            lbl = None
            if first:
                lbl = "median" if result.chart == "run" else ("mean" if result.chart == "xmr"
                                                              else "p̄ (centre)")
                first = False
            ax.plot(part["date"], part["centre"], color=CENTRE, linestyle=style,
                    linewidth=1.0, label=lbl, zorder=2)
        if result.chart != "run":
            ax.plot(x, pts["upper"], color=LIMIT, linestyle="--", linewidth=0.9,
                    drawstyle="steps-mid" if result.chart == "p" else "default",
                    label="control limits (3σ)")
            ax.plot(x, pts["lower"], color=LIMIT, linestyle="--", linewidth=0.9,
                    drawstyle="steps-mid" if result.chart == "p" else "default")
        # frozen baseline end and phase separators
        if not pts["baseline"].all() and pts["baseline"].any():
            end = pts.loc[pts["baseline"], "date"].max()
            ax.axvline(end, color=CENTRE, linestyle=":", linewidth=0.9)
            frozen = "median" if result.chart == "run" else "centre and limits"
            ax.annotate(f"end of baseline ({frozen} frozen)", (end, 0.5),
                        xycoords=("data", "axes fraction"), rotation=90, xytext=(-2, 0),
                        textcoords="offset points", ha="right", va="center", fontsize=7,
                        color=MUTED)
        starts = pts.groupby("phase", sort=False)["date"].min().iloc[1:]
        for d in starts:
            ax.axvline(d, color=CENTRE, linewidth=1.2)
        # point rules get a ring; the crossings rule concerns a whole phase, so its
        # centre line is redrawn in the signal colour instead of ringing every point
        point_rules = [r for r in RULES[result.rules] if r != "crossings"]
        ringed = pts[pts[[f"signal_{r}" for r in point_rules]].any(axis=1)]
        if len(ringed):
            fired = [RULE_LABELS[r] for r in point_rules if pts[f"signal_{r}"].any()]
            ax.scatter(ringed["date"], ringed["value"], s=46, facecolor="none",
                       edgecolor=SIGNAL, linewidth=1.6, zorder=4,
                       label="signal: " + ", ".join(fired))
        if "crossings" in RULES[result.rules] and pts["signal_crossings"].any():
            for n_part, phase in enumerate(pts.loc[pts["signal_crossings"], "phase"].unique()):
                part = pts[pts["phase"] == phase]
                ax.plot(part["date"], part["centre"], color=SIGNAL, linewidth=2.2, zorder=2,
                        label="signal: too few crossings of the median" if n_part == 0 else None)
        # annotations (tests of change, PACE start)
        for row in result.annotations.itertuples():
            ax.axvline(row.date, color=NOTE, linewidth=0.8, alpha=0.8, zorder=1)
            ax.annotate(textwrap.shorten(str(row.label), 38, placeholder="…"),
                        (row.date, 0.98), xycoords=("data", "axes fraction"),
                        rotation=90, va="top", ha="right", fontsize=7, color=NOTE,
                        xytext=(-2, 0), textcoords="offset points")
        msgs = [m for m in result.messages if not m.startswith("centre line frozen")]
        if msgs:
            text = "\n".join(textwrap.fill("Note: " + m, 110) for m in msgs)
            ax.text(0.0, -0.12, text, transform=ax.transAxes, fontsize=7.5, va="top",
                    ha="left", color="#222222", zorder=5,
                    bbox={"boxstyle": "round,pad=0.3", "facecolor": "#FFF8E1",
                          "edgecolor": "#E0C060", "linewidth": 0.6})
        if not pts["value"].notna().any():
            ax.text(0.5, 0.5, "No period has enough data to show", transform=ax.transAxes,
                    ha="center", va="center", fontsize=11, color=MUTED)
            ax.set_yticks([])
        head = title if title is not None else (result.label or "Measure")
        ax.set_title(f"{head}\n{_chart_name(result)} · {result.rule_set_name}", loc="left",
                     fontsize=11)
        if ylabel:
            ax.set_ylabel(ylabel)
        if percent:
            ax.yaxis.set_major_formatter(lambda v, _: f"{v:.0%}")
        if len(pts):
            span = pts["date"].max() - pts["date"].min()
            pad_x = max(span * 0.02, pd.Timedelta(days=15))
            ax.set_xlim(pts["date"].min() - pad_x, pts["date"].max() + pad_x)
        ax.xaxis.set_major_locator(mdates.AutoDateLocator(maxticks=10))
        ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(ax.xaxis.get_major_locator()))
        if pts["value"].notna().any():
            lo = np.nanmin(pts[["value", "lower", "centre"]].to_numpy(dtype=float))
            hi = np.nanmax(pts[["value", "upper", "centre"]].to_numpy(dtype=float))
            pad = (hi - lo) * 0.08 or (abs(hi) * 0.2 or 1.0)
            bottom, top = lo - pad, hi + pad
            if lo >= 0:
                bottom = max(bottom, 0.0)
            if percent and hi <= 1:
                top = min(top, 1.02)
            ax.set_ylim(bottom, top)
        ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize=8)
        tidy_axes(ax, "y")
    return ax


def _chart_name(result: ChartResult) -> str:
    return {"run": "Run chart", "xmr": "XmR chart", "p": "P chart"}[result.chart]


def authority_run_charts(dataset, authority: str, frequency: str = "quarter",
                         rules: str = "anhoj",
                         min_n: int | None = None) -> list[tuple[str, Figure, pd.DataFrame]]:
    """Run charts of the PACE measures for one authority, ready for a report.

    One call per report section: ``for title, fig, table in authority_run_charts(ds, a)``.
    Each chart freezes its median on the periods before the authority joined PACE
    (non-participants: the median participant start), annotates the authority's tests of
    change, and hides periods with fewer than ``min_n`` children (disclosure threshold,
    default :data:`pace_analysis.disclosure.DEFAULT_THRESHOLD` or 5).

    Returns
    -------
    list of (title, Figure, table)
        ``table`` has ``period``, ``value``, ``centre`` and ``signal`` (the rules that
        fired at that period, empty if none).
    """
    import matplotlib.pyplot as plt

    from pace_analysis.measures import MEASURES, authority_measure_charts

    by_label = {m.label: m for m in MEASURES.values()}

    if min_n is None:
        try:
            from pace_analysis.disclosure import DEFAULT_THRESHOLD as min_n
        except ImportError:  # pragma: no cover
            min_n = 5
    out = []
    for title, chart in authority_measure_charts(dataset, authority, frequency, rules,
                                                 min_n=min_n):
        with rc_context():
            fig, ax = plt.subplots(figsize=(10, 4.6), layout="constrained")
            plot_run_chart(chart, ax=ax, title=f"{authority}: {title}",
                           percent=by_label[title].kind == "proportion",
                           ylabel="days" if by_label[title].kind == "median" else None)
        pts = chart.points
        rule_cols = [(k, f"signal_{k}") for k in RULES[chart.rules]]
        fired = [", ".join(RULE_LABELS[k] for k, c in rule_cols if row[c])
                 for _, row in pts.iterrows()]
        table = pd.DataFrame({"period": pts["date"].dt.strftime("%Y-%m"),
                              "value": pts["value"].round(3), "centre": pts["centre"].round(3),
                              "signal": fired})
        out.append((title, fig, table))
    return out
