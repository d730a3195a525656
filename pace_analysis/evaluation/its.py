"""Interrupted time series for one council: did a run-chart measure change when it joined PACE?

A segmented regression on the points a run chart already publishes::

    y_t = b0 + b1 (t − T) + b2 after_t + b3 (t − T) after_t + e_t

with t the start of the period in years, T the council's PACE start and ``after_t`` = 1
for periods starting on or after T. ``b2`` is the **change in level** at joining and
``b3`` the **change in slope** (per year). Points of consecutive periods are
autocorrelated (overlapping children, slow-moving practice), so the standard errors are
**Newey–West** (HAC: Bartlett kernel, lag ⌊4 (n/100)^(2/9)⌋, with the n/(n − k)
small-sample factor; statsmodels' ``cov_type="HAC"`` with ``use_correction=True``), and
the 95% intervals use the **fixed-b** critical value of Kiefer and Vogelsang (2005) for
the Bartlett kernel with b = (lag + 1)/n (1.96 + 2.9694 b + 0.4160 b² − 0.5324 b³;
2.17 for 56 quarterly points), a little wider than the normal one.

**How far to trust it.** Newey–West errors are too small in short series: on 56
quarterly points with AR(1) noise of 0.5 the interval for the level change covers the
truth about 83% of the time, not 95% (with independent noise, about 95%;
tests/test_evaluation_its.py). Larger bandwidths do not help with a step and a trend in
the design. The reading is for one council's chart; the evaluation across councils
(:mod:`pace_analysis.evaluation.study`) is the test of whether PACE worked.

**Disclosure.** The fit uses only the points the report publishes (withheld periods stay
out, values as rounded on the page), and it publishes four coefficients and their
intervals: no count that is not already on the page.

A council that never joined PACE gets a sentence and no fit; so does a series with fewer
than :data:`MIN_POINTS` points on either side of the join date.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd

from pace_analysis.authorities import get_authority
from pace_analysis.errors import PaceError, UnknownAuthorityError

YEAR_DAYS = 365.25
#: Points needed before and after joining for a fit.
MIN_POINTS = 4
TERMS = ("level_before", "slope_before", "level_change", "slope_change")


def newey_west_lag(n: int) -> int:
    """Newey and West's (1994) rule of thumb: ⌊4 (n/100)^(2/9)⌋."""
    return int(np.floor(4 * (n / 100) ** (2 / 9)))


def fixed_b_critical(n: int, lag: int) -> float:
    """Two-sided 95% fixed-b critical value of a Bartlett-kernel t statistic (b = (lag + 1)/n).

    Kiefer and Vogelsang (2005), the cubic fitted to their simulated quantiles.
    """
    b = (lag + 1) / n
    return float(1.96 + 2.9694 * b + 0.4160 * b ** 2 - 0.5324 * b ** 3)


def hac_ols(y: np.ndarray, x: np.ndarray, lag: int | None = None,
            correction: bool = True) -> tuple[np.ndarray, np.ndarray, int]:
    """Least squares with a Newey–West covariance.

    Parameters
    ----------
    y : array (n,)
    x : array (n, k)
        Design matrix (with its intercept column).
    lag : int, optional
        Bartlett kernel bandwidth; :func:`newey_west_lag` when omitted.
    correction : bool
        Multiply the covariance by n / (n − k).

    Returns
    -------
    (coefficients, covariance, lag)
    """
    n, k = x.shape
    lag = newey_west_lag(n) if lag is None else int(lag)
    xtx_inv = np.linalg.inv(x.T @ x)
    beta = xtx_inv @ x.T @ y
    u = (y - x @ beta)[:, None] * x               # scores x_t e_t
    s = u.T @ u
    for j in range(1, lag + 1):
        g = u[j:].T @ u[:-j]
        s += (1 - j / (lag + 1)) * (g + g.T)
    cov = xtx_inv @ s @ xtx_inv
    if correction:
        cov *= n / (n - k)
    return beta, cov, lag


@dataclass(frozen=True)
class ITSResult:
    """A segmented regression of one measure at one council's PACE start.

    ``table`` has one row per term (:data:`TERMS`): ``term``, ``label``, ``estimate``,
    ``se``, ``ci_low``, ``ci_high`` (95%, fixed-b), ``t``; ``n_before``/``n_after`` count the
    points used, ``lag`` is the Newey–West bandwidth.
    """

    measure: str
    title: str
    kind: str          # "median" (days) or "proportion"
    join: date
    table: pd.DataFrame
    n_before: int
    n_after: int
    lag: int


def segmented_regression(periods, values, join: date, measure: str = "", title: str = "",
                         kind: str = "median") -> ITSResult:
    """Fit the segmented regression to one published series.

    Parameters
    ----------
    periods : sequence of dates or ``"YYYY-MM"`` strings
        Start of each period.
    values : sequence of float
        The measure (NaN for a withheld or empty period: left out).
    join : datetime.date
        The council's PACE start.
    kind : {"median", "proportion"}
        Only for the wording of :func:`its_sentence`.

    Raises
    ------
    PaceError
        Fewer than :data:`MIN_POINTS` points before or after *join*.
    """
    t = pd.to_datetime(pd.Series(periods).astype(str))
    y = np.asarray(values, dtype=float)
    ok = ~np.isnan(y)
    x_years = ((t - pd.Timestamp(join)).dt.days / YEAR_DAYS).to_numpy()[ok]
    y = y[ok]
    after = (x_years >= 0).astype(float)
    n_before, n_after = int((after == 0).sum()), int(after.sum())
    if min(n_before, n_after) < MIN_POINTS:
        raise PaceError(f"{title or measure}: {n_before} point(s) before and {n_after} after "
                        f"joining PACE; an interrupted time series needs {MIN_POINTS} on each side")
    x = np.column_stack([np.ones_like(y), x_years, after, x_years * after])
    beta, cov, lag = hac_ols(y, x)
    se = np.sqrt(np.diag(cov))
    q = fixed_b_critical(len(y), lag)
    tval = np.divide(beta, se, out=np.zeros_like(beta), where=se > 0)
    table = pd.DataFrame({
        "term": TERMS,
        "label": ["Level just before joining", "Trend before joining (per year)",
                  "Change in level at joining", "Change in trend after joining (per year)"],
        "estimate": beta, "se": se, "ci_low": beta - q * se, "ci_high": beta + q * se,
        "t": tval})
    return ITSResult(measure, title, kind, join, table, n_before, n_after, lag)


def _amount(v: float, kind: str) -> str:
    x = 100 * v if kind == "proportion" else v
    # Rounded to a whole number; a value that rounds to zero reads "0", never "-0" or "+0".
    text = "0" if round(x) == 0 else f"{x:+,.0f}"
    return f"{text} percentage points" if kind == "proportion" else f"{text} days"


def its_sentence(res: ITSResult) -> str:
    """Plain-language reading of a fit: the level and trend changes with their intervals."""
    row = res.table.set_index("term")
    lv, sl = row.loc["level_change"], row.loc["slope_change"]

    def part(r, per: str = "") -> str:
        clear = r["ci_low"] > 0 or r["ci_high"] < 0
        return (f"{_amount(r['estimate'], res.kind)}{per} (95% interval "
                f"{_amount(r['ci_low'], res.kind)} to {_amount(r['ci_high'], res.kind)}"
                f"{'' if clear else '; could be chance'})")

    return (f"**{res.title}.** At joining PACE ({res.join:%B %Y}) the level changed by "
            f"{part(lv)}, and the trend by {part(sl, ' a year')}. "
            f"Based on {res.n_before} points before and {res.n_after} after joining; "
            f"intervals allow for points next to each other being alike (Newey–West).")


def report_its(authority: str, run_charts: list[tuple]) -> tuple[pd.DataFrame, list[str]]:
    """Interrupted time series for every run chart of a council's report.

    Parameters
    ----------
    authority : str
    run_charts : list
        What :func:`pace_analysis.report.overview.run_charts` returned:
        ``(report_chart, figure or None, points table)`` per measure.

    Returns
    -------
    (table, sentences)
        ``table``: one row per measure fitted with the level and trend changes and their
        intervals (empty if none); ``sentences``: one Markdown line per measure (or one
        saying the council never joined).
    """
    from pace_analysis.measures import MEASURES

    # The name is data (possibly hostile) and never goes into the Markdown; a council
    # outside the Scottish registry (an English 903 extract, say) has no PACE date.
    try:
        start = get_authority(authority).pace_start
    except UnknownAuthorityError:
        return pd.DataFrame(), ["No PACE joining date is known for this council, so there "
                                "is no date at which to test for a change."]
    if start is None:
        return pd.DataFrame(), ["This council did not take part in PACE, so there is no "
                                "joining date to test for a change."]
    rows, sentences = [], []
    for rc, _fig, points in run_charts:
        if rc.chart is None or not len(points):
            continue
        kind = MEASURES[rc.measure].kind
        try:
            res = segmented_regression(points["period"], points["value"], start, rc.measure,
                                       rc.title, kind)
        except PaceError as exc:
            sentences.append(f"**{rc.title}.** No interrupted time series: {exc.args[0].split(': ', 1)[1]}.")
            continue
        sentences.append(its_sentence(res))
        r = res.table.set_index("term")
        k = 100.0 if kind == "proportion" else 1.0
        unit = "percentage points" if kind == "proportion" else "days"
        row = {"Measure": rc.title, "Unit": unit}
        for term, name in (("level_change", "Change in level"),
                           ("slope_change", "Change in trend per year")):
            row[name] = round(k * r.loc[term, "estimate"], 1)
            row[f"{name}: lower 95%"] = round(k * r.loc[term, "ci_low"], 1)
            row[f"{name}: upper 95%"] = round(k * r.loc[term, "ci_high"], 1)
        rows.append(row)
    return pd.DataFrame(rows), sentences


def styled(table: pd.DataFrame, name: str = "interrupted_time_series"):
    """The table of :func:`report_its` for the page: one decimal, no index.

    The Styler's id is *name*, so the page numbers the table, names it and links its CSV
    (saved under the same name).
    """
    return (table.style.hide(axis="index").format(precision=1).set_uuid(name))
