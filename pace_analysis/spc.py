"""Statistical process control (SPC) charts for measures over time: XmR and P charts.

Both use the NHS "Making Data Count" rules (``rules="nhs"``, never mixed with another set):

* :func:`xmr_chart` — individuals chart: mean ± 2.66 × mean moving range; shift = 7 or
  more consecutive points on one side of the mean; trend = 7 or more increasing or
  decreasing; two of three consecutive points beyond 2σ on the same side; any point beyond
  the limits.
* :func:`p_chart` — proportions: p̄ ± 3√(p̄(1−p̄)/nᵢ), clipped to [0, 1]; the same rules
  (2σ limits per point).

The conventions on ties, empty periods, zero denominators, phases, baselines and too few
points are those of :mod:`pace_analysis.improvement`, which holds the run charts, the
shared :class:`~pace_analysis.improvement.ChartResult` and the rule machinery used here.
:mod:`pace_analysis.plotting.improvement` draws the result.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from pace_analysis.errors import PaceError
from pace_analysis.improvement import (
    _TOL,
    MIN_POINTS,
    RULES,
    ChartResult,
    _direction,
    _finish,
    _flag_shifts_and_trends,
    _prepare,
    _runs,
    _sides,
)


def _nhs_rules(df: pd.DataFrame, idx, vals: np.ndarray, centre: np.ndarray,
               sigma: np.ndarray, directions: dict) -> None:
    pos = np.asarray(idx)
    upper, lower = centre + 3 * sigma, centre - 3 * sigma
    beyond = ~np.isnan(vals) & ((vals > upper + _TOL) | (vals < lower - _TOL))
    for m in np.flatnonzero(beyond):
        df.at[pos[m], "signal_beyond_limits"] = True
        directions[("beyond_limits", pos[m])] = "up" if vals[m] > centre[m] else "down"
    side = _sides(vals, centre)
    _, runs = _runs(side)
    _flag_shifts_and_trends(df, pos, runs, vals, directions, shift=7, trend=7)
    # two of three consecutive points (with a value) beyond 2 sigma on the same side
    have = np.flatnonzero(~np.isnan(vals))
    z = (vals[have] - centre[have]) / np.where(sigma[have] > 0, sigma[have], np.nan)
    for k in range(len(have) - 2):
        window = z[k:k + 3]
        for sign in (1, -1):
            hits = [j for j in range(3) if np.isfinite(window[j]) and sign * window[j] > 2]
            if len(hits) >= 2:
                for j in hits:
                    m = have[k + j]
                    df.at[pos[m], "signal_two_of_three"] = True
                    directions[("two_of_three", pos[m])] = _direction(sign)


def _spc_setup(df: pd.DataFrame) -> None:
    for col in ("centre", "lower", "upper", "lower_2s", "upper_2s", "run_id"):
        df[col] = np.nan
    df["useful"] = False
    for rule in RULES["nhs"]:
        df[f"signal_{rule}"] = False


def xmr_chart(values: Sequence[float], dates: Sequence,
              baseline: int | str | pd.Timestamp | None = None,
              phases: Sequence | None = None, annotations=None, label: str = "",
              rules: str = "nhs", min_points: int = MIN_POINTS) -> ChartResult:
    """XmR (individuals) chart with NHS "Making Data Count" rules.

    Limits are mean ± 2.66 × mean moving range (moving ranges between consecutive points
    with a value, within a phase; the baseline, if frozen, supplies both the mean and the
    mean moving range). σ is estimated as mean moving range / 1.128, so 2σ = 1.773 × mR̄.

    Parameters are as for :func:`run_chart`; ``rules`` must be ``"nhs"``.

    Returns
    -------
    ChartResult
    """
    if rules != "nhs":
        raise PaceError(f"XmR charts use the NHS Making Data Count rules ('nhs'), not {rules!r}")
    df, messages = _prepare(values, dates, baseline, phases)
    _spc_setup(df)
    directions: dict = {}
    summary_rows = []
    for phase, idx in df.groupby("phase", sort=False).groups.items():
        part = df.loc[idx]
        base = part[part["baseline"]]["value"].dropna().to_numpy()
        vals = part["value"].to_numpy()
        mean = float(base.mean()) if len(base) else np.nan
        mr = float(np.abs(np.diff(base)).mean()) if len(base) >= 2 else np.nan
        sigma = np.full(len(vals), mr / 1.128)
        centre = np.full(len(vals), mean)
        df.loc[idx, "centre"] = mean
        df.loc[idx, "upper"] = mean + 2.66 * mr
        df.loc[idx, "lower"] = mean - 2.66 * mr
        df.loc[idx, "upper_2s"] = mean + 2 * sigma
        df.loc[idx, "lower_2s"] = mean - 2 * sigma
        side = _sides(vals, centre)
        df.loc[idx, "useful"] = ~np.isnan(vals)
        df.loc[idx, "run_id"] = _runs(side)[0]
        n = int((~np.isnan(vals)).sum())
        row = {"phase": phase, "start": part["date"].min(), "end": part["date"].max(), "n": n,
               "n_useful": n, "centre": mean, "mean_moving_range": mr,
               "rules_applied": n >= min_points and np.isfinite(mr)}
        summary_rows.append(row)
        if not row["rules_applied"]:
            messages.append(f"{phase}: too few points for SPC rules (need ≥ {min_points} "
                            f"points with a value, have {n}); no signal can be judged")
            continue
        _nhs_rules(df, idx, vals, centre, sigma, directions)
    return _finish(df, "nhs", messages, summary_rows, directions, "xmr", annotations, label)


def p_chart(numerators: Sequence[float], denominators: Sequence[float], dates: Sequence,
            baseline: int | str | pd.Timestamp | None = None,
            phases: Sequence | None = None, annotations=None, label: str = "",
            rules: str = "nhs", min_points: int = MIN_POINTS) -> ChartResult:
    """P chart of proportions with NHS "Making Data Count" rules.

    Centre p̄ = Σ numerators / Σ denominators (of the baseline, if frozen); limits
    p̄ ± 3√(p̄(1−p̄)/nᵢ) and 2σ lines p̄ ± 2√(p̄(1−p̄)/nᵢ), all clipped to [0, 1].
    Periods with a zero denominator have no proportion: they are kept as gaps, left out
    of every calculation and named in ``messages``.

    Returns
    -------
    ChartResult
    """
    if rules != "nhs":
        raise PaceError(f"P charts use the NHS Making Data Count rules ('nhs'), not {rules!r}")
    num = np.asarray(numerators, dtype=float)
    den = np.asarray(denominators, dtype=float)
    if len(num) != len(den):
        raise PaceError("numerators and denominators differ in length")
    if np.any(den < 0) or np.any(num < 0) or np.any(num > den):
        raise PaceError("P chart needs 0 ≤ numerator ≤ denominator in every period")
    with np.errstate(invalid="ignore", divide="ignore"):
        p = np.where(den > 0, num / den, np.nan)
    order = pd.DataFrame({"date": pd.to_datetime(pd.Series(list(dates))).to_numpy(),
                          "num": num, "den": den}).sort_values("date", kind="stable")
    df, messages = _prepare(p, dates, baseline, phases)
    df["numerator"] = order["num"].to_numpy()
    df["denominator"] = order["den"].to_numpy()
    zero = df["denominator"] == 0
    if zero.any():
        messages = [m for m in messages if "no data" not in m]
        when = ", ".join(d.strftime("%Y-%m-%d") for d in df.loc[zero, "date"])
        messages.insert(0, f"{int(zero.sum())} period(s) with a zero denominator have no "
                        f"proportion and are left out: {when}")
    _spc_setup(df)
    directions: dict = {}
    summary_rows = []
    for phase, idx in df.groupby("phase", sort=False).groups.items():
        part = df.loc[idx]
        b = part[part["baseline"] & (part["denominator"] > 0)]
        pbar = float(b["numerator"].sum() / b["denominator"].sum()) if len(b) else np.nan
        n_i = part["denominator"].to_numpy()
        with np.errstate(invalid="ignore", divide="ignore"):
            sigma = np.where(n_i > 0, np.sqrt(pbar * (1 - pbar) / n_i), np.nan)
        vals = part["value"].to_numpy()
        centre = np.full(len(vals), pbar)
        df.loc[idx, "centre"] = pbar
        df.loc[idx, "upper"] = np.clip(pbar + 3 * sigma, 0, 1)
        df.loc[idx, "lower"] = np.clip(pbar - 3 * sigma, 0, 1)
        df.loc[idx, "upper_2s"] = np.clip(pbar + 2 * sigma, 0, 1)
        df.loc[idx, "lower_2s"] = np.clip(pbar - 2 * sigma, 0, 1)
        df.loc[idx, "useful"] = ~np.isnan(vals)
        df.loc[idx, "run_id"] = _runs(_sides(vals, centre))[0]
        n = int((~np.isnan(vals)).sum())
        row = {"phase": phase, "start": part["date"].min(), "end": part["date"].max(), "n": n,
               "n_useful": n, "centre": pbar,
               "rules_applied": n >= min_points and 0 < pbar < 1}
        summary_rows.append(row)
        if n < min_points:
            messages.append(f"{phase}: too few points for SPC rules (need ≥ {min_points} "
                            f"periods with a denominator, have {n}); no signal can be judged")
            continue
        if not 0 < pbar < 1:
            messages.append(f"{phase}: every proportion is {pbar:g}; limits have no width "
                            "and the rules are not applied")
            continue
        _nhs_rules(df, idx, vals, centre, sigma, directions)
    return _finish(df, "nhs", messages, summary_rows, directions, "p", annotations, label)
