"""Run charts of the PACE measures as a report shows them: grid, aim line and verdict.

:func:`report_run_charts` builds, for one council, one :class:`ReportChart` per PACE
measure (:data:`pace_analysis.measures.REPORT_MEASURES`): the run chart, the numbered
tests of change to list beneath it, the aim line where a PACE aim gives a level
(:data:`pace_analysis.aims.AIM_LINES`) and a one-line plain verdict (:func:`verdict`).

**The grid rule** (:func:`choose_frequency`). A point is *shown* when its value is not
withheld by disclosure control (:func:`pace_analysis.measures.withheld_periods`: at least
``min_n`` children, and for shares a numerator and complement of at least ``min_n`` too). Quarters are used when at least
:data:`MIN_COVERAGE` (75%) of the quarters the measure can be assessed in are shown;
otherwise half-years of the reporting year (August–January, February–July) on the same
rule; otherwise reporting years (August–July). When no grid reaches 75% (a median that is
often not reached — fewer than half of a cohort got there — leaves gaps that a coarser grid
does not fill), the grid showing the largest share of its periods is used, the finer on a
tie. A chart whose chosen grid shows no point at all is not drawn: the report gives a
sentence instead (:attr:`ReportChart.sentence`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import numpy as np
import pandas as pd

from pace_analysis import aims
from pace_analysis.dataset import Dataset
from pace_analysis.errors import PaceError
from pace_analysis.improvement import ChartResult
from pace_analysis.measures import (
    MEASURES,
    REPORT_MEASURES,
    load_tests_of_change,
    measure_chart,
    pace_measures,
    split_date,
    withheld_periods,
)

#: Grids tried in order, finest first.
GRIDS: tuple[str, ...] = ("quarter", "half-year", "year")
#: Share of a grid's periods that must be shown for the grid to be used.
MIN_COVERAGE = 0.75
_GRID_WORDS = {"quarter": "quarter", "half-year": "half-year", "year": "reporting year"}


@dataclass
class ReportChart:
    """One PACE measure's run chart, ready for a report.

    Attributes
    ----------
    measure : str
        Measure code (never shown to readers).
    title : str
        Plain label (:data:`pace_analysis.aims.MEASURE_LABELS`).
    frequency : str
        Grid used: ``"quarter"``, ``"half-year"`` or ``"year"``.
    coverage : float
        Share of the grid's periods shown.
    chart : ChartResult or None
        None when no period can be shown.
    aim : (level, label) or None
        Aim line.
    changes : list of (number, date, label)
        Dated notes (the PACE start and tests of change), numbered as on the chart.
    verdict : str
        One plain line for under the chart (or the sentence replacing it).
    """

    measure: str
    title: str
    frequency: str
    coverage: float
    chart: ChartResult | None
    aim: tuple[float, str] | None
    changes: list[tuple[int, pd.Timestamp, str]] = field(default_factory=list)
    verdict: str = ""

    @property
    def sentence(self) -> str | None:
        """The sentence that replaces a chart with no usable point (else None)."""
        return self.verdict if self.chart is None else None


def _shown(table: pd.DataFrame, measure: str, min_n: int) -> pd.Series:
    t = table[table["measure"] == measure]
    return t["value"].notna() & ~withheld_periods(t, measure, min_n)


def choose_frequency(dataset: Dataset, authority: str, measure: str, min_n: int,
                     ) -> tuple[str, float, pd.DataFrame]:
    """The grid for one measure's chart, by the rule in the module docstring.

    Returns
    -------
    (frequency, coverage, table)
        ``table`` is :func:`pace_analysis.measures.pace_measures` on that grid.
    """
    best = None
    for freq in GRIDS:
        table = pace_measures(dataset, freq, [measure], authorities=[authority])
        shown = _shown(table, measure, min_n)
        coverage = float(shown.mean()) if len(shown) else 0.0
        if coverage >= MIN_COVERAGE:
            return freq, coverage, table
        if best is None or coverage > best[1]:
            best = (freq, coverage, table)
    assert best is not None
    return best


def _fmt(value: float, kind: str) -> str:
    if kind == "proportion":
        return f"{100 * value:.0f}%"
    return f"{value:,.0f} days"


def _change(word: str, before: float, after: float, kind: str) -> str:
    if round(before) == round(after) if kind == "median" else \
            round(100 * before) == round(100 * after):
        return f"the {word} stayed at {_fmt(before, kind)}"
    moved = "fell" if after < before else "rose"
    if kind == "median":
        return f"the {word} {moved} from {before:,.0f} to {after:,.0f} days"
    return f"the {word} {moved} from {_fmt(before, kind)} to {_fmt(after, kind)}"


def period_label(day: pd.Timestamp, frequency: str) -> str:
    """A period in words from its start: "2017 Q3", "Aug 2017 to Jan 2018", "2017-18"."""
    day = pd.Timestamp(day)
    if frequency == "quarter":
        return f"{day.year} Q{(day.month - 1) // 3 + 1}"
    if frequency == "half-year":
        return f"{day:%b %Y} to {day + pd.DateOffset(months=5):%b %Y}"
    if frequency == "year":
        return f"{day.year}-{(day.year + 1) % 100:02d}"
    return f"{day:%b %Y}"


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" + ("" if n == 1 else "s")


def verdict(chart: ChartResult | None, measure: str, frequency: str,
            split: date | None = None, split_label: str = "", min_n: int = 5) -> str:
    """One plain line saying what the run chart shows.

    Examples: "Since joining PACE (Jul 2017) the median fell from 402 to 210 days: a
    sustained shift (an unusually long run below the earlier median)"; "... no signal:
    the change is within what chance would give"; "Too few points (6) to judge a change".
    """
    m = MEASURES[measure]
    grid = _GRID_WORDS[frequency]
    if chart is None or not chart.points["value"].notna().any():
        return (f"No quarter, half-year or year has at least {min_n} children with a value "
                "for this measure, so no chart is shown.")
    pts = chart.points
    valued = pts[pts["value"].notna()]
    if len(valued) == 1:
        r = valued.iloc[0]
        return (f"Only one {grid} ({period_label(r['date'], frequency)}) has at least "
                f"{min_n} children with a value: its "
                f"{'median' if m.kind == 'median' else 'share'} was "
                f"{_fmt(float(r['value']), m.kind)}. One point is not a run chart, so no "
                "chart is shown.")
    summary = chart.summary.iloc[0] if len(chart.summary) else None
    applied = bool(summary["rules_applied"]) if summary is not None else False
    word = "median" if m.kind == "median" else "share"
    if not applied:
        return (f"Too few points ({_plural(len(valued), grid)}) to judge a change; over them "
                f"the {word} was {_fmt(float(valued['value'].median()), m.kind)}.")
    centre = float(pts["centre"].iloc[0])
    frozen = not pts["baseline"].all()
    if split is not None and frozen:
        ts = pd.Timestamp(split)
        after = valued[valued["date"] >= ts]
        when = (f"Since {'joining PACE' if 'joined' in split_label else 'the comparison date'}"
                f" ({ts:%b %Y})")
    else:
        after, when = valued, "Over the whole period"
    if after.empty:
        return (f"No {grid} after {pd.Timestamp(split):%b %Y} yet; the {word} before was "
                f"{_fmt(centre, m.kind)}.")
    later = float(after["value"].median())
    better = (later < centre) == (m.better == "down") and later != centre
    sig = chart.signals
    if frozen and split is not None:
        sig = sig[sig["date"] >= pd.Timestamp(split)]
    runs = sig[sig["rule"].isin(["runs", "shift"])]
    change = _change(word, centre, later, m.kind)
    if len(runs):
        side = "below" if runs["direction"].iloc[-1] == "down" else "above"
        reading = (f"a sustained shift (an unusually long run {side} the earlier {word}), "
                   f"{'an improvement' if better else 'a change for the worse'}")
    elif "crossings" in set(sig["rule"]):
        reading = (f"a likely real change (the points cross the earlier {word} less often "
                   "than chance would give)")
    else:
        reading = "no signal (the difference is within what chance would give)"
    return f"{when} {change}: {reading}."


def report_run_charts(dataset: Dataset, authority: str, min_n: int = 5,
                      rules: str = "anhoj", measures: list[str] | None = None,
                      ) -> list[ReportChart]:
    """The PACE measures' run charts of one council, as a report shows them.

    Parameters
    ----------
    dataset : Dataset
        The council's journeys (whole dataset or ``for_authority``).
    authority : str
    min_n : int
        Disclosure threshold: periods with fewer children are not shown.
    rules : str
        Run-chart rule set (default Anhøj).
    measures : list of str, optional
        Default :data:`pace_analysis.measures.REPORT_MEASURES`.

    Returns
    -------
    list of ReportChart
    """
    split, label = split_date(authority)
    toc = load_tests_of_change(dataset, authority)
    out = []
    for m in list(measures or REPORT_MEASURES):
        freq, coverage, table = choose_frequency(dataset, authority, m, min_n)
        chart = None
        if _shown(table, m, min_n).any():
            try:
                chart = measure_chart(table, authority, m, rules, split=split,
                                      split_label=label, tests_of_change=toc, min_n=min_n)
            except PaceError:  # no period before the split: no baseline to freeze
                chart = measure_chart(table, authority, m, rules, tests_of_change=toc,
                                      min_n=min_n)
        if chart is not None and chart.points["value"].notna().sum() < 2:
            verdict_text = verdict(chart, m, freq, split, label, min_n)
            out.append(ReportChart(measure=m, title=aims.MEASURE_LABELS[m], frequency=freq,
                                   coverage=coverage, chart=None, aim=aims.AIM_LINES.get(m),
                                   verdict=verdict_text))
            continue
        changes = []
        if chart is not None:
            ann = chart.annotations
            changes = [(i + 1, pd.Timestamp(d), str(t))
                       for i, (d, t) in enumerate(zip(ann["date"], ann["label"], strict=True))]
        out.append(ReportChart(
            measure=m, title=aims.MEASURE_LABELS[m], frequency=freq,
            coverage=coverage, chart=chart, aim=aims.AIM_LINES.get(m), changes=changes,
            verdict=verdict(chart, m, freq, split, label, min_n)))
    return out


def changes_list(report_chart: ReportChart) -> str:
    """The numbered notes of a chart as a Markdown list ("1. Jul 2017: joined PACE")."""
    return "\n".join(f"{n}. {d:%b %Y}: {text}" for n, d, text in report_chart.changes)


def grid_note(report_chart: ReportChart) -> str:
    """One sentence naming the grid and why (for under the chart)."""
    word = _GRID_WORDS[report_chart.frequency]
    pct = f"{100 * report_chart.coverage:.0f}%"
    rule = (f"the finest of quarter, half-year and year with at least {MIN_COVERAGE:.0%} of "
            "its periods shown")
    if report_chart.coverage < MIN_COVERAGE:
        return (f"One point per {word}: no grid had {MIN_COVERAGE:.0%} of its periods shown, "
                f"and this one shows most ({pct}). Gaps: too few children, or fewer than half "
                "had reached the milestone yet (no median).")
    if report_chart.frequency == "quarter":
        return f"One point per quarter ({pct} of quarters shown)."
    return f"One point per {word}: quarters were too sparse ({rule}; here {pct})."


def points_shown(report_chart: ReportChart) -> int:
    """Number of points with a value on the chart (0 when it is a sentence)."""
    if report_chart.chart is None:
        return 0
    return int(np.isfinite(report_chart.chart.points["value"].to_numpy(dtype=float)).sum())
