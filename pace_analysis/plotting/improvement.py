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
NOTE = "#00705A"  # bluish green, darkened for white numbers (contrast > 4.5:1)
AIM = OKABE_ITO[3]


def _segments(points: pd.DataFrame):
    """Consecutive stretches of points sharing phase and centre (for the centre line)."""
    key = points["phase"].astype(str) + "|" + points["baseline"].astype(str)
    change = key.ne(key.shift()).cumsum()
    for _, part in points.groupby(change, sort=False):
        yield part


def _levels(xs: list[float], gap: float) -> list[int]:
    """Stack labels whose positions are closer than *gap* (axes fraction) on new levels."""
    levels: list[int] = []
    for i, x in enumerate(xs):
        used = {levels[j] for j in range(i) if abs(xs[j] - x) < gap}
        level = 0
        while level in used:
            level += 1
        levels.append(level)
    return levels


def _notes_text(result: ChartResult, numbered: bool) -> str:
    lines = []
    if numbered and len(result.annotations):
        for i, row in enumerate(result.annotations.itertuples(), start=1):
            lines.append(textwrap.fill(f"{i}. {pd.Timestamp(row.date):%b %Y}: {row.label}", 100,
                                       subsequent_indent="    "))
    if "crossings" in RULES[result.rules] and result.points["signal_crossings"].any():
        lines.append("Signal: too few crossings of the median (a rule about the whole period, "
                     "so no single point is marked).")
    for m in result.messages:
        if not m.startswith("centre line frozen"):
            lines.append(textwrap.fill("Note: " + m, 100, subsequent_indent="    "))
    return "\n".join(lines)


def plot_run_chart(result: ChartResult, ax: Axes | None = None, title: str | None = None,
                   ylabel: str | None = None, percent: bool | None = None, *,
                   aim: tuple[float, str] | None = None, notes_ax: Axes | None = None,
                   number_changes: bool = True) -> Axes:
    """Draw a run, XmR or P chart.

    Dated notes (the PACE start, tests of change) are vertical lines with a number above
    the chart; the numbers are listed beneath it with their dates (in ``notes_ax`` when
    given, else just under the axes), with the chart's messages. Labels close together
    are stacked so that none overlaps. The centre line keeps its colour whatever the
    rules say: a signal marks points (rings), never the median.

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
    aim : (level, label), optional
        A horizontal aim line (e.g. :data:`pace_analysis.aims.AIM_LINES`).
    notes_ax : matplotlib Axes, optional
        Where to write the numbered list and the notes (its axis is switched off).
    number_changes : bool
        Number the dated notes (default) instead of writing their text on the chart.

    Returns
    -------
    matplotlib.axes.Axes
    """
    pts = result.points
    percent = result.chart == "p" if percent is None else percent
    with rc_context():
        ax = new_axes(ax, (9, 4.2))
        x = pts["date"]
        ax.plot(x, pts["value"], color=LINE, marker="o", markersize=4, linewidth=1.2,
                label="value", zorder=3, gid="values")
        centre_name = ("median" if result.chart == "run" else
                       "mean" if result.chart == "xmr" else "p̄ (centre)")
        frozen = not pts["baseline"].all() and pts["baseline"].any()
        labelled: set[str] = set()
        for part in _segments(pts):
            extended = not part["baseline"].all()
            style = "--" if extended else "-"  # dashed: frozen and extended
            lbl = f"{centre_name} (baseline)" if not extended else f"{centre_name} extended"
            ax.plot(part["date"], part["centre"], color=CENTRE, linestyle=style,
                    linewidth=1.1, label=None if lbl in labelled else lbl, zorder=2,
                    gid="centre")
            labelled.add(lbl)
        if result.chart != "run":
            ax.plot(x, pts["upper"], color=LIMIT, linestyle="--", linewidth=0.9,
                    drawstyle="steps-mid" if result.chart == "p" else "default",
                    label="control limits (3σ)")
            ax.plot(x, pts["lower"], color=LIMIT, linestyle="--", linewidth=0.9,
                    drawstyle="steps-mid" if result.chart == "p" else "default")
        if frozen:
            end = pts.loc[pts["baseline"], "date"].max()
            ax.axvline(end, color=CENTRE, linestyle=":", linewidth=1.0,
                       label="end of baseline", gid="baseline_end")
        starts = pts.groupby("phase", sort=False)["date"].min().iloc[1:]
        for d in starts:
            ax.axvline(d, color=CENTRE, linewidth=1.2)
        if aim is not None:
            level, aim_label = aim
            ax.axhline(level, color=AIM, linewidth=1.6, linestyle=(0, (6, 2)), zorder=1.5,
                       label=textwrap.fill(aim_label, 30), gid="aim")
        # point rules get a ring; the crossings rule concerns a whole phase: it is named in
        # the notes, and the centre line keeps its colour
        point_rules = [r for r in RULES[result.rules] if r != "crossings"]
        ringed = pts[pts[[f"signal_{r}" for r in point_rules]].any(axis=1)]
        if len(ringed):
            fired = [RULE_LABELS[r] for r in point_rules if pts[f"signal_{r}"].any()]
            ax.scatter(ringed["date"], ringed["value"], s=60, facecolor="none",
                       edgecolor=SIGNAL, linewidth=1.8, zorder=4,
                       label=textwrap.fill("signal: " + ", ".join(fired), 30), gid="signals")
        if len(pts):
            span = pts["date"].max() - pts["date"].min()
            pad_x = max(span * 0.02, pd.Timedelta(days=15))
            ax.set_xlim(pts["date"].min() - pad_x, pts["date"].max() + pad_x)
        # annotations (PACE start, tests of change): numbered above the chart
        ann = result.annotations
        levels: list[int] = []
        if len(ann):
            lo_x, hi_x = ax.get_xlim()
            xs = [(mdates.date2num(pd.Timestamp(d)) - lo_x) / ((hi_x - lo_x) or 1)
                  for d in ann["date"]]
            levels = _levels(xs, 0.035)
            for i, (row, level) in enumerate(zip(ann.itertuples(), levels, strict=True), 1):
                ax.axvline(row.date, color=NOTE, linewidth=0.9, alpha=0.9, zorder=1)
                if number_changes:
                    ax.annotate(str(i), (row.date, 1.0), xycoords=("data", "axes fraction"),
                                xytext=(0, 4 + 15 * level), textcoords="offset points",
                                ha="center", va="bottom", fontsize=9, color="white",
                                fontweight="bold", annotation_clip=False, gid=f"change:{i}",
                                bbox={"boxstyle": "circle,pad=0.2", "facecolor": NOTE,
                                      "edgecolor": "none"})
                else:
                    ax.annotate(textwrap.shorten(str(row.label), 38, placeholder="…"),
                                (row.date, 0.98), xycoords=("data", "axes fraction"),
                                rotation=90, va="top", ha="right", fontsize=9, color=NOTE,
                                xytext=(-2, 0), textcoords="offset points")
        notes = _notes_text(result, number_changes)
        if notes:
            if notes_ax is not None:
                notes_ax.axis("off")
                notes_ax.text(0.0, 1.0, notes, transform=notes_ax.transAxes, fontsize=9,
                              va="top", ha="left", color="#222222", gid="notes")
            else:
                ax.annotate(notes, xy=(0, 0), xycoords="axes fraction", xytext=(0, -42),
                            textcoords="offset points", va="top", ha="left", fontsize=9,
                            color="#222222", gid="notes")
        if not pts["value"].notna().any():
            ax.text(0.5, 0.5, "No period has enough data to show", transform=ax.transAxes,
                    ha="center", va="center", fontsize=11, color=MUTED)
            ax.set_yticks([])
        head = title if title is not None else (result.label or "Measure")
        pad = 6 + (15 * (max(levels) + 1) + 6 if levels and number_changes else 0)
        ax.set_title(f"{textwrap.fill(head, 70)}\n{_chart_name(result)} · "
                     f"{result.rule_set_name}", loc="left", fontsize=11, pad=pad)
        if ylabel:
            ax.set_ylabel(ylabel)
        if percent:
            ax.yaxis.set_major_formatter(lambda v, _: f"{v:.0%}")
        ax.xaxis.set_major_locator(mdates.AutoDateLocator(maxticks=10))
        ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(ax.xaxis.get_major_locator()))
        if pts["value"].notna().any():
            cols = ["value", "lower", "centre"]
            lo = np.nanmin(pts[cols].to_numpy(dtype=float))
            hi = np.nanmax(pts[["value", "upper", "centre"]].to_numpy(dtype=float))
            if aim is not None:
                lo, hi = min(lo, aim[0]), max(hi, aim[0])
            pad_y = (hi - lo) * 0.08 or (abs(hi) * 0.2 or 1.0)
            bottom, top = lo - pad_y, hi + pad_y
            if lo >= 0:
                bottom = max(bottom, 0.0)
            if percent and hi <= 1:
                top = min(top, 1.04)
            ax.set_ylim(bottom, top)
        ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=9, borderaxespad=0)
        tidy_axes(ax, "y")
    return ax


def _chart_name(result: ChartResult) -> str:
    return {"run": "Run chart", "xmr": "XmR chart", "p": "P chart"}[result.chart]


def _points_table(chart: ChartResult) -> pd.DataFrame:
    pts = chart.points
    rule_cols = [(k, f"signal_{k}") for k in RULES[chart.rules]]
    fired = [", ".join(RULE_LABELS[k] for k, c in rule_cols if row[c])
             for _, row in pts.iterrows()]
    return pd.DataFrame({"period": pts["date"].dt.strftime("%Y-%m"),
                         "value": pts["value"].round(3), "centre": pts["centre"].round(3),
                         "signal": fired})


def run_chart_figure(report_chart, authority: str) -> Figure | None:
    """Draw one :class:`pace_analysis.report_charts.ReportChart` at print size.

    The chart on top, the numbered tests of change and notes in a panel beneath it
    (sized to its lines, so nothing overlaps); None when the chart is a sentence.
    """
    import matplotlib.pyplot as plt

    from pace_analysis.measures import MEASURES

    if report_chart.chart is None:
        return None
    chart = report_chart.chart
    kind = MEASURES[report_chart.measure].kind
    n_lines = max(_notes_text(chart, True).count("\n") + 1, 1)
    with rc_context():
        # Print width of an A4 column (text stays >= 9 pt); compact so a report stays small.
        fig, (ax, notes) = plt.subplots(
            2, 1, figsize=(8.3, 3.7 + 0.17 * n_lines), layout="constrained",
            gridspec_kw={"height_ratios": [3.5, 0.17 * n_lines + 0.1]})
        plot_run_chart(chart, ax=ax, title=f"{authority}: {report_chart.title}",
                       percent=kind == "proportion", ylabel="days" if kind == "median" else None,
                       aim=report_chart.aim, notes_ax=notes)
    return fig


def report_run_chart_figures(dataset, authority: str, min_n: int | None = None,
                             rules: str = "anhoj") -> list[tuple]:
    """Every PACE measure's chart for a report: ``(report_chart, figure or None, table)``.

    ``report_chart`` (:class:`pace_analysis.report_charts.ReportChart`) carries the
    verdict, the grid and the numbered list; ``figure`` is None when the chart became a
    sentence (``report_chart.sentence``); ``table`` holds the plotted points (empty then).
    """
    from pace_analysis.report_charts import report_run_charts

    if min_n is None:
        from pace_analysis.disclosure import DEFAULT_THRESHOLD as min_n
    out = []
    for rc in report_run_charts(dataset, authority, min_n=min_n, rules=rules):
        table = (_points_table(rc.chart) if rc.chart is not None else
                 pd.DataFrame(columns=["period", "value", "centre", "signal"]))
        out.append((rc, run_chart_figure(rc, authority), table))
    return out


def authority_run_charts(dataset, authority: str, frequency: str = "quarter",
                         rules: str = "anhoj",
                         min_n: int | None = None) -> list[tuple[str, Figure, pd.DataFrame]]:
    """Run charts of the PACE measures for one authority: ``(title, figure, table)``.

    The charts of :func:`report_run_chart_figures` that have points (grid chosen by the
    rule of :mod:`pace_analysis.report_charts`; ``frequency`` is kept for callers and
    ignored). Each freezes its median on the periods before the authority joined PACE,
    numbers its tests of change, draws the aim line and hides periods with fewer than
    ``min_n`` children. Use :func:`report_run_chart_figures` to get the verdicts and the
    sentences that replace empty charts.
    """
    del frequency
    return [(rc.title, fig, table)
            for rc, fig, table in report_run_chart_figures(dataset, authority, min_n, rules)
            if fig is not None]
