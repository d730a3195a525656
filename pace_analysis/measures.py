"""PACE measures per authority and period, and whether joining PACE shows as a signal.

Four measures, each computed per authority for every month or quarter (``frequency``):

``days_to_recommendation``
    Median days from accommodation to the permanence *decision*, by **accommodation
    cohort** (children accommodated in the period). The decision is the permanence
    recommendation or, where none is recorded before it, legal permanence itself (a
    return home counts, as in :func:`pace_analysis.milestones.pace_aims`). Children not
    yet decided are censored at the extract date or when they left care; the median is a
    Kaplan–Meier median (R's rule, :func:`pace_analysis.milestones.km_quantiles`), NaN
    while fewer than half have been decided. Cohorts, not "recommended in the period",
    so that the measure is not biased by the start of the data or by censoring.
``recommendation_within_26_weeks``
    Share of the accommodation cohort with a decision within 182 days; denominator as
    in ``pace_aims`` (met the aim, or followed for 182 days). Only cohorts whose period
    ended at least 182 days before the extract are assessed.
``days_recommendation_to_panel``
    Median days from recommendation to panel, by **recommendation cohort**, among plans
    other than a return home (those do not go to panel); Kaplan–Meier as above.
``cso_home_2_years``
    At the end of each period: share of children looked after at home on a CSO who have
    been so for two years or more (numerator = that count, denominator = all looked after
    at home on a CSO that day). Periods ending less than two years after the start of the
    data are left out (nobody could have two years yet). This is a stock: the same
    children are counted in consecutive periods, so the points are autocorrelated and
    run-chart rules (which assume independent points) signal too often on it.
``cso_home_2_years_cohort``
    Children who became looked after at home on a CSO in the period; share still looked
    after at home two years later (PACE aim 1 as in ``pace_aims``). Independent cohorts,
    so suitable for run-chart rules; cohorts younger than two years are not assessed.

The last period is dropped if it ends after the extract date (incomplete).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd

from pace_analysis.authorities import AUTHORITY_NAMES, get_authority, pace_participants
from pace_analysis.dataset import Dataset
from pace_analysis.errors import PaceError
from pace_analysis.improvement import ChartResult, run_chart
from pace_analysis.milestones import km_quantiles

_DAY = np.timedelta64(1, "D")
#: Period grids: calendar months and quarters; half-years and years of the Scottish reporting
#: year (August–January and February–July; August–July).
FREQUENCIES = {"month": "M", "quarter": "Q", "half-year": "6M", "year": "Y-JUL"}
TESTS_OF_CHANGE_FILE = "tests_of_change.csv"


@dataclass(frozen=True)
class Measure:
    """A PACE measure: its label, kind and which direction is an improvement."""

    code: str
    label: str
    kind: str          # "median" (days) or "proportion"
    better: str        # "down" or "up"
    definition: str


MEASURES: dict[str, Measure] = {m.code: m for m in (
    Measure("days_to_recommendation",
            "Median days from accommodation to permanence recommendation",
            "median", "down",
            "Children accommodated in the period; Kaplan–Meier median days to the permanence "
            "recommendation (or permanence, if it came first); censored at the extract or on "
            "leaving care."),
    Measure("recommendation_within_26_weeks",
            "Share with a permanence recommendation within 26 weeks of accommodation",
            "proportion", "up",
            "Children accommodated in the period and followed for 26 weeks (or decided "
            "sooner); numerator = recommendation (or permanence) within 182 days."),
    Measure("days_recommendation_to_panel",
            "Median days from permanence recommendation to panel",
            "median", "down",
            "Recommendations made in the period for a plan other than return home; "
            "Kaplan–Meier median days to panel, censored at the extract or on leaving care."),
    Measure("cso_home_2_years",
            "Share of children on a CSO at home who have been so for 2+ years",
            "proportion", "down",
            "At period end: children looked after at home on a CSO; numerator = those "
            "looked after for two years or more. A stock: the same children are counted in "
            "consecutive periods, so points are not independent and run-chart rules signal "
            "too often on it."),
    Measure("cso_home_2_years_cohort",
            "Share of children starting on a CSO at home still so 2 years later",
            "proportion", "down",
            "Children who became looked after at home on a CSO in the period (cohorts whose "
            "2 years ended by the extract); numerator = still looked after at home 2 years "
            "later (as PACE aim 1 in milestones.pace_aims). Independent cohorts: suitable for "
            "run-chart rules."),
)}

#: Measures charted in reports: the CSO measure in its cohort form, because the stock form
#: is autocorrelated and run-chart rules would signal on it without a real change.
REPORT_MEASURES: tuple[str, ...] = ("days_to_recommendation", "recommendation_within_26_weeks",
                                    "days_recommendation_to_panel", "cso_home_2_years_cohort")

_COLUMNS = ["authority", "period_start", "period_end", "measure", "value", "numerator",
            "denominator", "n"]


def _frame(dataset: Dataset) -> pd.DataFrame:
    j = dataset.journeys.copy()
    for col in ("looked_after_date", "accommodated_date", "permanence_recommendation_date",
                "panel_date", "permanence_date", "exit_date", "extract_date"):
        j[col] = pd.to_datetime(j[col], cache=False)
    rec, perm = j["permanence_recommendation_date"], j["permanence_date"]
    j["decided"] = rec.where(rec.notna() & (perm.isna() | (rec <= perm)), perm)
    followed = j["exit_date"].where(j["exit_date"].notna() & perm.isna(), j["extract_date"])
    j["followed_to"] = followed.where(followed <= j["extract_date"], j["extract_date"])
    return j


def data_start(dataset: Dataset) -> pd.Timestamp:
    """First day covered by the data.

    ``dataset.meta["window"]["start"]`` (written by the synthetic generator) or
    ``dataset.meta["start"]`` if given; otherwise the 1st percentile of
    ``looked_after_date`` (journeys carried over from before an extract's window are few
    and old, and would otherwise stretch the grid back to years with almost no data).
    """
    window = dataset.meta.get("window")
    if isinstance(window, dict) and window.get("start"):
        return pd.Timestamp(window["start"])
    if dataset.meta.get("start"):
        return pd.Timestamp(dataset.meta["start"])
    la = pd.to_datetime(dataset.journeys["looked_after_date"]).dropna()
    if la.empty:
        raise PaceError("no journeys in the dataset")
    return la.quantile(0.01).normalize()


def _periods(start: pd.Timestamp, extract: pd.Timestamp, frequency: str) -> pd.PeriodIndex:
    if frequency not in FREQUENCIES:
        raise PaceError(f"frequency must be one of {', '.join(FREQUENCIES)}, not {frequency!r}")
    freq = FREQUENCIES[frequency]
    if frequency == "half-year":  # anchored on 1 August and 1 February
        month = 8 if start.month >= 8 or start.month < 2 else 2
        year = start.year - (1 if start.month < 2 else 0)
        anchor = pd.Timestamp(year, month, 1)
        first = pd.Period(anchor, freq)
    else:
        first = pd.Period(start, freq)
    if first.start_time < start:
        first += 1
    last = pd.Period(extract, freq)
    if last.end_time.normalize() > extract:
        last -= 1
    if last < first:
        return pd.period_range(first, periods=0, freq=freq)
    return pd.period_range(first, last, freq=freq)


def _period_of(dates: pd.Series, periods: pd.PeriodIndex) -> pd.Series:
    """Position in *periods* of each date's period (-1 outside the grid or missing)."""
    if len(periods) == 0:
        return pd.Series(-1, index=dates.index)
    starts = periods.start_time.to_numpy()
    ends = periods.end_time.to_numpy()
    d = dates.to_numpy(dtype="datetime64[ns]")
    pos = np.searchsorted(starts, d, side="right") - 1
    ok = ~np.isnat(d) & (pos >= 0)
    ok[ok] &= d[ok] <= ends[pos[ok]]
    return pd.Series(np.where(ok, pos, -1), index=dates.index)


def _km_median(durations: np.ndarray, events: np.ndarray) -> float:
    return float(km_quantiles(durations, events, probs=(0.5,))[0])


def _cohort_medians(j: pd.DataFrame, periods: pd.PeriodIndex, start_col: str, end_col: str,
                    eligible: pd.Series) -> list[tuple]:
    sub = j[eligible & j[start_col].notna()]
    key = _period_of(sub[start_col], periods)
    ended = sub[end_col].notna() & (sub[end_col] <= sub["followed_to"])
    stop = sub[end_col].where(ended, sub["followed_to"])
    dur = ((stop - sub[start_col]) / _DAY).clip(lower=0).to_numpy()
    out = []
    for i, p in enumerate(periods):
        sel = (key == i).to_numpy()
        n = int(sel.sum())
        value = _km_median(dur[sel], ended.to_numpy()[sel]) if n else np.nan
        out.append((p, value, np.nan, np.nan, n))
    return out


def _share_26w(j: pd.DataFrame, periods: pd.PeriodIndex, extract: pd.Timestamp) -> list[tuple]:
    acc = j["accommodated_date"]
    met = acc.notna() & j["decided"].notna() & ((j["decided"] - acc) / _DAY <= 182)
    eligible = acc.notna() & (met | ((j["followed_to"] - acc) / _DAY >= 182))
    key = _period_of(acc, periods)
    out = []
    for i, p in enumerate(periods):
        if p.end_time.normalize() + pd.Timedelta(days=182) > extract:
            continue  # cohort too young to be assessed
        sel = key == i
        den = int((sel & eligible).sum())
        num = int((sel & eligible & met).sum())
        out.append((p, num / den if den else np.nan, num, den, int((sel & acc.notna()).sum())))
    return out


def _cso_home(j: pd.DataFrame, periods: pd.PeriodIndex, start: pd.Timestamp) -> list[tuple]:
    cso = j[j["legal_basis"] == "cso"]
    out = []
    for p in periods:
        end = p.end_time.normalize()
        if end < start + pd.DateOffset(years=2):
            continue
        home = ((cso["looked_after_date"] <= end)
                & (cso["accommodated_date"].isna() | (cso["accommodated_date"] > end))
                & (cso["exit_date"].isna() | (cso["exit_date"] > end))
                & (cso["permanence_date"].isna() | (cso["permanence_date"] > end)))
        long = home & (cso["looked_after_date"] <= end - pd.DateOffset(years=2))
        den, num = int(home.sum()), int(long.sum())
        out.append((p, num / den if den else np.nan, num, den, den))
    return out


def _cso_cohort(j: pd.DataFrame, periods: pd.PeriodIndex, extract: pd.Timestamp) -> list[tuple]:
    la, acc = j["looked_after_date"], j["accommodated_date"]
    two = la + pd.DateOffset(years=2)
    start_home = (j["legal_basis"] == "cso") & (acc.isna() | (acc > la))
    gone = ((j["exit_date"].notna() & (j["exit_date"] <= two))
            | (j["permanence_date"].notna() & (j["permanence_date"] <= two)))
    still = start_home & ~gone & (acc.isna() | (acc > two))
    key = _period_of(la, periods)
    out = []
    for i, p in enumerate(periods):
        if p.end_time.normalize() + pd.DateOffset(years=2) > extract:
            continue  # cohort not yet followed for two years
        sel = (key == i) & start_home
        den, num = int(sel.sum()), int((sel & still).sum())
        out.append((p, num / den if den else np.nan, num, den, den))
    return out


def pace_measures(dataset: Dataset, frequency: str = "quarter",
                  measures: list[str] | None = None,
                  authorities: list[str] | None = None) -> pd.DataFrame:
    """PACE measures per authority and period (see the module docstring for definitions).

    Parameters
    ----------
    dataset : Dataset
    frequency : {"quarter", "month", "half-year", "year"}
        Calendar months or quarters; half-years (August–January, February–July) or years
        (August–July) of the reporting year.
    measures : list of str, optional
        Codes from :data:`MEASURES` (default all).
    authorities : list of str, optional
        Default: every authority in the data.

    Returns
    -------
    pandas.DataFrame
        Tidy: ``authority``, ``period_start``, ``period_end``, ``measure``, ``value``,
        ``numerator``, ``denominator`` (NaN for medians), ``n`` (children in the cohort or
        at risk). Every period of the grid appears, with NaN value when it is empty.
    """
    measures = list(measures or MEASURES)
    unknown = [m for m in measures if m not in MEASURES]
    if unknown:
        raise PaceError(f"unknown measure(s) {unknown}; choose from {', '.join(MEASURES)}")
    j = _frame(dataset)
    start = data_start(dataset)
    extract = j["extract_date"].max()
    periods = _periods(start, extract, frequency)
    authorities = authorities or dataset.authorities
    rows = []
    not_home = ~j["planned_route"].isin(["home"])
    for auth in authorities:
        ja = j[j["authority"] == auth]
        for m in measures:
            if m == "days_to_recommendation":
                res = _cohort_medians(ja, periods, "accommodated_date", "decided",
                                      pd.Series(True, index=ja.index))
            elif m == "days_recommendation_to_panel":
                res = _cohort_medians(ja, periods, "permanence_recommendation_date",
                                      "panel_date", not_home.loc[ja.index])
            elif m == "recommendation_within_26_weeks":
                res = _share_26w(ja, periods, extract)
            elif m == "cso_home_2_years_cohort":
                res = _cso_cohort(ja, periods, extract)
            else:
                res = _cso_home(ja, periods, start)
            for p, value, num, den, n in res:
                rows.append((auth, p.start_time, p.end_time.normalize(), m, value, num, den, n))
    out = pd.DataFrame(rows, columns=_COLUMNS)
    out["n"] = out["n"].astype(int)
    return out


# --------------------------------------------------------------------------- charts

def load_tests_of_change(source: Dataset | str | Path | None,
                         authority: str | None = None) -> pd.DataFrame:
    """Dated tests of change (``authority,date,change``) from a CSV or a dataset's folder.

    Returns an empty table if there is no file. Only the rows of ``authority`` if given.
    """
    empty = pd.DataFrame({"authority": pd.Series(dtype=object),
                          "date": pd.Series(dtype="datetime64[ns]"),
                          "change": pd.Series(dtype=object)})
    if isinstance(source, Dataset):
        source = source.source / TESTS_OF_CHANGE_FILE if source.source else None
    if source is None:
        return empty
    path = Path(source)
    if path.is_dir():
        path = path / TESTS_OF_CHANGE_FILE
    if not path.is_file():
        return empty
    df = pd.read_csv(path, dtype=str, keep_default_na=False)
    missing = {"authority", "date", "change"} - set(df.columns)
    if missing:
        raise PaceError(f"{path}: tests of change need columns authority,date,change "
                        f"(missing {', '.join(sorted(missing))})")
    df["date"] = pd.to_datetime(df["date"], errors="coerce")
    df = df[df["date"].notna()]
    if authority is not None:
        df = df[df["authority"] == authority]
    return df[["authority", "date", "change"]].sort_values("date").reset_index(drop=True)


def comparison_date() -> date:
    """Split date for authorities that did not take part: the median participant start."""
    starts = sorted(a.pace_start for a in pace_participants())
    return starts[len(starts) // 2]


def split_date(authority: str) -> tuple[date, str]:
    """The authority's PACE start, or the comparison date for non-participants."""
    a = get_authority(authority) if authority in AUTHORITY_NAMES else None
    if a is not None and a.pace_start is not None:
        return a.pace_start, "joined PACE"
    return comparison_date(), "comparison date (median PACE start; did not take part)"


def withheld_periods(table: pd.DataFrame, measure: str, min_n: int) -> pd.Series:
    """Rows of a :func:`pace_measures` table whose value is withheld (disclosure control).

    A period resting on 1 to ``min_n - 1`` children; for a proportion measure also one
    whose numerator, denominator or their difference is that small (the rule of the
    funnel plot: a share gives away its numerator and its complement too).
    """
    small = (table["n"] > 0) & (table["n"] < min_n)
    if MEASURES[measure].kind == "proportion":
        for part in (table["numerator"], table["denominator"],
                     table["denominator"] - table["numerator"]):
            small |= (part > 0) & (part < min_n)
    return small & table["value"].notna()


def measure_chart(table: pd.DataFrame, authority: str, measure: str, rules: str = "anhoj",
                  split: date | None = None, split_label: str = "",
                  tests_of_change: pd.DataFrame | None = None, min_n: int = 0) -> ChartResult:
    """Run chart of one measure of one authority from :func:`pace_measures` output.

    With ``split``, the centre line is frozen on the periods that ended before it (the
    baseline) and extended after it, so that a lasting change after the split shows as
    a run; a phase with its own median would absorb the change instead. Periods with
    fewer than ``min_n`` children (disclosure control) become gaps, with a message; so
    do the shares of a proportion measure whose numerator, denominator or their
    difference is from 1 to ``min_n - 1`` (the rule of the funnel plot).
    """
    if measure not in MEASURES:
        raise PaceError(f"unknown measure {measure!r}")
    t = table[(table["authority"] == authority) & (table["measure"] == measure)]
    t = t.sort_values("period_start").copy()
    small = withheld_periods(t, measure, min_n)
    t.loc[small, "value"] = np.nan
    notes = []
    if split is not None:
        notes.append((pd.Timestamp(split), split_label or "split"))
    if tests_of_change is not None and len(tests_of_change):
        toc = tests_of_change
        if "authority" in toc:
            toc = toc[toc["authority"] == authority]
        notes += list(zip(pd.to_datetime(toc["date"]), toc["change"].astype(str), strict=True))
    baseline = None
    if split is not None:
        before = t[t["period_end"] < pd.Timestamp(split)]
        if before.empty:
            raise PaceError(f"{authority}: no complete period before {split} to form a baseline")
        baseline = before["period_start"].max()
    chart = run_chart(t["value"].to_numpy(), t["period_start"], rules=rules, baseline=baseline,
                      annotations=notes, label=MEASURES[measure].label)
    if small.any():
        empty = int(t["value"].isna().sum() - small.sum())
        chart.messages = [m for m in chart.messages if "with no data" not in m]
        chart.messages.insert(0, f"{int(small.sum())} period(s) resting on fewer than {min_n} "
                              "children are not shown (disclosure control)")
        if empty:
            chart.messages.insert(1, f"{empty} period(s) with no data are shown as gaps")
    return chart


def _expected_signal(chart: ChartResult, split: pd.Timestamp, better: str) -> tuple[bool, str]:
    sig = chart.signals[chart.signals["date"] >= split]
    directional = sig[sig["rule"].isin(["runs", "shift", "trend"]) & (sig["direction"] == better)]
    if len(directional):
        return True, ", ".join(sorted(set(directional["rule_label"])))
    if "crossings" in set(sig["rule"]):
        after = chart.points[(chart.points["date"] >= split) & chart.points["useful"]]
        centre = chart.points["centre"].iloc[0]
        med = after["value"].median()
        if (better == "down" and med < centre) or (better == "up" and med > centre):
            return True, "too few crossings"
    return False, ""


def pace_signal_summary(dataset: Dataset, measure: str = "days_to_recommendation",
                        rules: str = "anhoj", frequency: str = "quarter",
                        table: pd.DataFrame | None = None) -> pd.DataFrame:
    """For each authority, does a signal in the expected direction follow its PACE start?

    The run chart of ``measure`` is built with the centre line frozen on the periods that
    ended before the authority's PACE start (non-participants: the median participant
    start, :func:`comparison_date`). A *signal after the start* is a run-length signal
    (Anhøj long run, IHI shift or trend) in the improving direction at a point dated on
    or after the split, or too few crossings with the post-split median on the improving
    side of the baseline centre.

    Returns
    -------
    pandas.DataFrame
        ``authority``, ``participant``, ``split_date``, ``split``, ``n_baseline``,
        ``n_after``, ``baseline_centre``, ``signal_after_split`` (bool), ``rules_fired``,
        ``any_signal`` (any rule, either direction, anywhere), ``message``.
    """
    if measure not in MEASURES:
        raise PaceError(f"unknown measure {measure!r}")
    if table is None:
        table = pace_measures(dataset, frequency, [measure])
    better = MEASURES[measure].better
    rows = []
    for auth in sorted(table["authority"].unique()):
        split, label = split_date(auth)
        participant = label == "joined PACE"
        try:
            chart = measure_chart(table, auth, measure, rules, split=split, split_label=label)
        except PaceError as exc:
            rows.append({"authority": auth, "participant": participant, "split_date": split,
                         "split": label, "signal_after_split": False, "message": str(exc)})
            continue
        ts = pd.Timestamp(split)
        ok, fired = _expected_signal(chart, ts, better)
        pts = chart.points
        rows.append({
            "authority": auth, "participant": participant, "split_date": split, "split": label,
            "n_baseline": int((pts["baseline"] & pts["value"].notna()).sum()),
            "n_after": int(((pts["date"] >= ts) & pts["value"].notna()).sum()),
            "baseline_centre": float(pts["centre"].iloc[0]),
            "signal_after_split": ok, "rules_fired": fired,
            "any_signal": chart.has_signal, "message": "; ".join(chart.messages),
        })
    return pd.DataFrame(rows)


def authority_measure_charts(dataset: Dataset, authority: str, frequency: str = "quarter",
                             rules: str = "anhoj", measures: list[str] | None = None,
                             min_n: int = 0) -> list[tuple[str, ChartResult]]:
    """Run charts of every PACE measure for one authority, split at its PACE start.

    Parameters
    ----------
    dataset : Dataset
        The dataset (whole or already restricted to the authority).
    authority : str
    frequency, rules : str
        As for :func:`pace_measures` and :func:`pace_analysis.improvement.run_chart`.
    measures : list of str, optional
        Default :data:`REPORT_MEASURES`.
    min_n : int
        Periods with fewer children than this are hidden (disclosure control).

    Returns
    -------
    list of (title, ChartResult)
        Tests of change from ``tests_of_change.csv`` beside the data are annotated.
    """
    measures = list(measures or REPORT_MEASURES)
    table = pace_measures(dataset, frequency, measures, authorities=[authority])
    split, label = split_date(authority)
    toc = load_tests_of_change(dataset, authority)
    out = []
    for m in measures:
        try:
            chart = measure_chart(table, authority, m, rules, split=split, split_label=label,
                                  tests_of_change=toc, min_n=min_n)
        except PaceError:  # no period before the split: no baseline to freeze
            chart = measure_chart(table, authority, m, rules, tests_of_change=toc, min_n=min_n)
        out.append((MEASURES[m].label, chart))
    return out
