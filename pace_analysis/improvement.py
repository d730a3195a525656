"""Run charts for measures over time, and the chart result and rule machinery they share.

:func:`run_chart` — centre line = median; one named rule set per chart (rule sets are never
mixed): ``rules="anhoj"`` (default, as in qicharts2) or ``rules="ihi"``. The SPC charts
(:func:`~pace_analysis.spc.xmr_chart`, :func:`~pace_analysis.spc.p_chart`, NHS "Making Data
Count" rules) are in :mod:`pace_analysis.spc`, built on the shared pieces here
(:class:`ChartResult`, the rule tables, runs, trends and phases).

Conventions (DESIGN.md):

* Anhøj: points exactly on the centre line are dropped (not *useful*); with ``n`` useful
  points, signal when the longest run > ``round(log2(n)) + 3`` or the number of crossings
  < ``scipy.stats.binom.ppf(0.05, n - 1, 0.5)``.
* IHI: shift = 6 or more consecutive points on one side of the median (points on the
  median neither make nor break a shift); trend = 5 or more consecutive points all going
  up or all going down; astronomical points are a judgement, so they are only flagged
  when the caller names them (``astronomical=[dates]``).
* Ties, everywhere: a point exactly on the centre line neither makes nor breaks a run;
  consecutive equal values neither make nor break a trend (the repeated value is skipped
  when counting and is flagged with the trend it sits in).
* Empty periods (missing value) and zero denominators are kept as points without a value,
  left out of every calculation, and reported in ``messages``. With fewer than
  ``min_points`` useful points in a phase the rules are not applied and a message says so.

Every chart returns a :class:`ChartResult`; :mod:`pace_analysis.plotting.improvement`
draws it.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy.stats import binom

from pace_analysis.errors import PaceError

RULE_SETS: dict[str, str] = {
    "anhoj": "Anhøj rules",
    "ihi": "IHI run-chart rules",
    "nhs": "NHS Making Data Count rules",
}

#: Signal columns of ``points`` for each rule set, in the order rules are listed.
RULES: dict[str, tuple[str, ...]] = {
    "anhoj": ("runs", "crossings"),
    "ihi": ("shift", "trend", "astronomical"),
    "nhs": ("beyond_limits", "shift", "trend", "two_of_three"),
}

RULE_LABELS: dict[str, str] = {
    "runs": "unusually long run",
    "crossings": "too few crossings",
    "shift": "shift",
    "trend": "trend",
    "astronomical": "astronomical point",
    "beyond_limits": "point beyond limits",
    "two_of_three": "two of three beyond 2σ",
}

MIN_POINTS = 10
_TOL = 1e-9


@dataclass
class ChartResult:
    """A run or SPC chart as tidy tables.

    Attributes
    ----------
    chart : str
        ``"run"``, ``"xmr"`` or ``"p"``.
    rules : str
        Rule set used: ``"anhoj"``, ``"ihi"`` or ``"nhs"`` (see :data:`RULE_SETS`).
    points : pandas.DataFrame
        One row per period: ``date``, ``value``, ``phase``, ``baseline`` (used for the
        centre line), ``centre``, ``lower``, ``upper`` (NaN on run charts), ``useful``
        (counted by the rules), ``run_id`` (run of consecutive useful points on one side
        of the centre, NaN if not useful), one ``signal_<rule>`` boolean per rule and
        ``signal`` (any rule). P charts add ``numerator``, ``denominator``; SPC charts add
        ``lower_2s``, ``upper_2s``.
    signals : pandas.DataFrame
        Long table, one row per rule firing at a point: ``rule``, ``rule_label``,
        ``phase``, ``date``, ``value``, ``direction`` (``"up"``, ``"down"`` or ``""``).
    summary : pandas.DataFrame
        One row per phase: ``phase``, ``start``, ``end``, ``n``, ``n_useful``, ``centre``
        and the rule statistics (Anhøj: ``longest_run``, ``longest_run_max``,
        ``crossings``, ``crossings_min``).
    messages : list of str
        Plain-language notes (too few points, empty periods, zero denominators...).
    annotations : pandas.DataFrame
        Dated notes to draw on the chart: ``date``, ``label``.
    label : str
        Name of the measure.
    """

    chart: str
    rules: str
    points: pd.DataFrame
    signals: pd.DataFrame
    summary: pd.DataFrame
    messages: list[str] = field(default_factory=list)
    annotations: pd.DataFrame = field(
        default_factory=lambda: pd.DataFrame({"date": pd.Series(dtype="datetime64[ns]"),
                                              "label": pd.Series(dtype=object)}))
    label: str = ""

    @property
    def rule_set_name(self) -> str:
        """Human-readable name of the rule set, for titles and legends."""
        return RULE_SETS[self.rules]

    @property
    def has_signal(self) -> bool:
        """True if any rule fired anywhere on the chart."""
        return bool(len(self.signals))


# --------------------------------------------------------------------------- helpers

def anhoj_limits(n_useful: int) -> tuple[int, int]:
    """Anhøj limits for ``n_useful`` useful points.

    Returns
    -------
    (longest_run_max, crossings_min)
        A signal is a longest run *greater than* the first or a number of crossings
        *smaller than* the second.

    Examples
    --------
    >>> anhoj_limits(10)
    (6, 2)
    """
    if n_useful < 2:
        raise ValueError("Anhøj limits need at least 2 useful points")
    return int(round(math.log2(n_useful))) + 3, int(binom.ppf(0.05, n_useful - 1, 0.5))


def _frame(values, dates) -> pd.DataFrame:
    values = np.asarray(values, dtype=float)
    dates = pd.to_datetime(pd.Series(list(dates)))
    if len(values) != len(dates):
        raise PaceError(f"values ({len(values)}) and dates ({len(dates)}) differ in length")
    if dates.isna().any():
        raise PaceError("every point needs a date")
    df = pd.DataFrame({"date": dates.to_numpy(), "value": values})
    if df["date"].duplicated().any():
        raise PaceError("dates must be unique: one point per period")
    return df.sort_values("date", kind="stable").reset_index(drop=True)


def _phase_labels(dates: pd.Series, phases) -> pd.Series:
    if phases is None or len(phases) == 0:
        return pd.Series(["phase 1"] * len(dates), index=dates.index)
    splits = sorted(pd.to_datetime(list(phases)))
    k = np.searchsorted(np.asarray(splits, dtype="datetime64[ns]"),
                        dates.to_numpy(dtype="datetime64[ns]"), side="right")
    return pd.Series([f"phase {i + 1}" for i in k], index=dates.index)


def _baseline_mask(df: pd.DataFrame, baseline) -> pd.Series:
    """Points of the first phase used to compute its centre line (all points if None)."""
    first = df["phase"] == df["phase"].iloc[0] if len(df) else df["phase"].astype(bool)
    if baseline is None:
        return pd.Series(True, index=df.index)
    mask = pd.Series(True, index=df.index)
    if isinstance(baseline, (int, np.integer)) and not isinstance(baseline, bool):
        if baseline < 1:
            raise PaceError("baseline must be a positive number of points or a date")
        have = df["value"].notna() & first
        # the first `baseline` points with a value
        keep = have & (have.cumsum() <= baseline)
        last = keep[keep].index.max() if keep.any() else -1
        mask[first] = df.index[first] <= last
    else:
        end = pd.Timestamp(baseline)
        mask[first] = df.loc[first, "date"] <= end
    return mask


def _annotations(annotations) -> pd.DataFrame:
    if annotations is None:
        return pd.DataFrame({"date": pd.Series(dtype="datetime64[ns]"),
                             "label": pd.Series(dtype=object)})
    if isinstance(annotations, pd.DataFrame):
        col = "label" if "label" in annotations else "change"
        out = pd.DataFrame({"date": pd.to_datetime(annotations["date"]),
                            "label": annotations[col].astype(str)})
    elif isinstance(annotations, dict):
        out = pd.DataFrame({"date": pd.to_datetime(list(annotations)),
                            "label": [str(v) for v in annotations.values()]})
    else:
        pairs = list(annotations)
        out = pd.DataFrame({"date": pd.to_datetime([d for d, _ in pairs]),
                            "label": [str(t) for _, t in pairs]})
    return out.sort_values("date", kind="stable").reset_index(drop=True)


def _sides(values: np.ndarray, centre: np.ndarray) -> np.ndarray:
    """+1 above, -1 below, 0 on the centre line or missing."""
    side = np.sign(values - centre)
    with np.errstate(invalid="ignore"):
        on_line = np.abs(values - centre) <= _TOL * np.maximum(1, np.abs(centre))
    side[on_line] = 0
    side[np.isnan(values) | np.isnan(centre)] = 0
    return side.astype(int)


def _runs(side: np.ndarray) -> tuple[np.ndarray, list[tuple[int, list[int]]]]:
    """Runs of consecutive non-zero sides, skipping zeros (which neither make nor break).

    Returns the run id per point (NaN where side is 0) and a list of (sign, indices).
    """
    run_id = np.full(len(side), np.nan)
    runs: list[tuple[int, list[int]]] = []
    for i, s in enumerate(side):
        if s == 0:
            continue
        if not runs or runs[-1][0] != s:
            runs.append((int(s), []))
        runs[-1][1].append(i)
        run_id[i] = len(runs)
    return run_id, runs


def _trends(values: np.ndarray, min_len: int) -> list[tuple[int, list[int]]]:
    """Monotone stretches of at least ``min_len`` distinct consecutive values.

    Missing values are skipped; consecutive equal values are collapsed (they neither make
    nor break a trend) and every point of a collapsed group is flagged with its trend.
    """
    groups: list[tuple[float, list[int]]] = []
    for i, v in enumerate(values):
        if np.isnan(v):
            continue
        if groups and math.isclose(groups[-1][0], v, rel_tol=0, abs_tol=_TOL * max(1, abs(v))):
            groups[-1][1].append(i)
        else:
            groups.append((float(v), [i]))
    out: list[tuple[int, list[int]]] = []
    if len(groups) < 2:
        return out
    steps = np.sign(np.diff([g[0] for g in groups])).astype(int)
    start = 0
    for k in range(1, len(steps) + 1):
        if k == len(steps) or steps[k] != steps[start]:
            n_points = k - start + 1
            if n_points >= min_len:
                idx = [i for g in groups[start:k + 1] for i in g[1]]
                out.append((int(steps[start]), idx))
            start = k
    return out


def _empty_signals() -> pd.DataFrame:
    return pd.DataFrame({"rule": pd.Series(dtype=object), "rule_label": pd.Series(dtype=object),
                         "phase": pd.Series(dtype=object),
                         "date": pd.Series(dtype="datetime64[ns]"),
                         "value": pd.Series(dtype=float), "direction": pd.Series(dtype=object)})


def _signal_table(points: pd.DataFrame, rules: str, directions: dict) -> pd.DataFrame:
    rows = []
    for rule in RULES[rules]:
        col = f"signal_{rule}"
        for i in points.index[points[col]]:
            rows.append({"rule": rule, "rule_label": RULE_LABELS[rule],
                         "phase": points.at[i, "phase"], "date": points.at[i, "date"],
                         "value": points.at[i, "value"],
                         "direction": directions.get((rule, i), "")})
    if not rows:
        return _empty_signals()
    return pd.DataFrame(rows)


def _direction(sign: int) -> str:
    """"up" for a run above the centre or a rising trend, "down" otherwise."""
    return "up" if sign > 0 else "down"


def _finish(df: pd.DataFrame, rules: str, messages: list[str], summary_rows: list[dict],
            directions: dict, chart: str, annotations, label: str) -> ChartResult:
    if df["phase"].nunique() <= 1:
        messages = [m.removeprefix("phase 1: ") for m in messages]
    flags = [f"signal_{r}" for r in RULES[rules]]
    df["signal"] = df[flags].any(axis=1)
    return ChartResult(chart=chart, rules=rules, points=df,
                       signals=_signal_table(df, rules, directions),
                       summary=pd.DataFrame(summary_rows), messages=messages,
                       annotations=_annotations(annotations), label=label)


def _prepare(values, dates, baseline, phases) -> tuple[pd.DataFrame, list[str]]:
    df = _frame(values, dates)
    df["phase"] = _phase_labels(df["date"], phases)
    df["baseline"] = _baseline_mask(df, baseline)
    messages = []
    n_empty = int(df["value"].isna().sum())
    if n_empty:
        messages.append(f"{n_empty} period(s) with no data are shown as gaps and left out "
                        "of the centre line and the rules")
    if baseline is not None and len(df):
        first = df["phase"] == df["phase"].iloc[0]
        n_base = int((df["baseline"] & first & df["value"].notna()).sum())
        messages.append(f"centre line frozen on a baseline of {n_base} point(s)")
        if n_base == 0:
            raise PaceError("the baseline contains no point with a value")
    return df, messages


# --------------------------------------------------------------------------- run chart

def _flag_shifts_and_trends(df: pd.DataFrame, pos, runs, vals: np.ndarray, directions: dict,
                            shift: int, trend: int) -> None:
    """Mark shifts (runs of at least *shift* points on one side of the centre line) and
    trends (at least *trend* points rising or falling) in ``df``, with their direction.

    IHI uses shift 6 / trend 5, NHS "Making Data Count" 7 / 7.
    """
    for sign, members in runs:
        if len(members) >= shift:
            for m in members:
                df.at[pos[m], "signal_shift"] = True
                directions[("shift", pos[m])] = _direction(sign)
    for sign, members in _trends(vals, trend):
        for m in members:
            df.at[pos[m], "signal_trend"] = True
            directions[("trend", pos[m])] = _direction(sign)


def run_chart(values: Sequence[float], dates: Sequence, rules: str = "anhoj",
              baseline: int | str | pd.Timestamp | None = None,
              phases: Sequence | None = None, annotations=None, label: str = "",
              astronomical: Sequence | None = None,
              min_points: int = MIN_POINTS) -> ChartResult:
    """Run chart: values over time around their median, with Anhøj or IHI rules.

    Parameters
    ----------
    values : sequence of float
        One value per period; NaN marks an empty period.
    dates : sequence of date-like
        Period dates (unique), same length as ``values``.
    rules : {"anhoj", "ihi"}
        Rule set (never mixed).
    baseline : int or date-like, optional
        Freeze the centre line of the first phase on its first ``baseline`` points with
        a value, or on its points dated on or before this date; the frozen line is
        extended over the rest of the phase and the rules are applied to every point.
    phases : sequence of date-like, optional
        Dates starting a new phase; each phase has its own median and its own rules.
    annotations : DataFrame (date, label/change), dict or list of (date, label), optional
        Dated tests of change or events to draw.
    label : str
        Name of the measure.
    astronomical : sequence of date-like, optional
        IHI only: points judged astronomical by the team (flagged as such).
    min_points : int
        Fewest useful points in a phase for the rules to be applied (default 10).

    Returns
    -------
    ChartResult
    """
    if rules not in ("anhoj", "ihi"):
        raise PaceError(f"run charts use rules 'anhoj' or 'ihi', not {rules!r}")
    df, messages = _prepare(values, dates, baseline, phases)
    df["centre"] = np.nan
    df["lower"] = np.nan
    df["upper"] = np.nan
    df["useful"] = False
    df["run_id"] = np.nan
    for rule in RULES[rules]:
        df[f"signal_{rule}"] = False
    directions: dict = {}
    summary_rows = []
    run_offset = 0
    astro = set(pd.to_datetime(list(astronomical or [])))
    if astro and rules != "ihi":
        raise PaceError("astronomical points are part of the IHI rules only")
    for phase, idx in df.groupby("phase", sort=False).groups.items():
        part = df.loc[idx]
        base = part[part["baseline"]]["value"].dropna()
        centre = float(base.median()) if len(base) else np.nan
        df.loc[idx, "centre"] = centre
        vals = part["value"].to_numpy()
        side = _sides(vals, np.full(len(vals), centre))
        useful = side != 0
        df.loc[idx, "useful"] = useful
        run_id, runs = _runs(side)
        df.loc[idx, "run_id"] = run_id + run_offset
        run_offset += len(runs)
        n_useful = int(useful.sum())
        row = {"phase": phase, "start": part["date"].min(), "end": part["date"].max(),
               "n": int(part["value"].notna().sum()), "n_useful": n_useful, "centre": centre,
               "longest_run": max((len(r[1]) for r in runs), default=0),
               "crossings": max(len(runs) - 1, 0), "rules_applied": n_useful >= min_points}
        if n_useful < min_points:
            messages.append(f"{phase}: too few points for run-chart rules (need ≥ {min_points} "
                            f"useful points, have {n_useful}); no signal can be judged")
            summary_rows.append(row)
            continue
        pos = np.asarray(idx)
        if rules == "anhoj":
            run_max, cross_min = anhoj_limits(n_useful)
            row.update(longest_run_max=run_max, crossings_min=cross_min)
            for sign, members in runs:
                if len(members) > run_max:
                    for m in members:
                        df.at[pos[m], "signal_runs"] = True
                        directions[("runs", pos[m])] = _direction(sign)
            if row["crossings"] < cross_min:
                for m in np.flatnonzero(useful):
                    df.at[pos[m], "signal_crossings"] = True
        else:
            _flag_shifts_and_trends(df, pos, runs, vals, directions, shift=6, trend=5)
            for m, d in enumerate(part["date"]):
                if d in astro:
                    df.at[pos[m], "signal_astronomical"] = True
        summary_rows.append(row)
    return _finish(df, rules, messages, summary_rows, directions, "run", annotations, label)
