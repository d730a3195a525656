"""Kaplan–Meier estimates of time to any legal permanence, as tidy tables.

Every function takes the analysis frame of :func:`pace_analysis.cohort.build_frame`
(``time_days``, ``event_observed`` and optionally ``entry_days``) and returns one tidy
DataFrame with a ``group`` column (``"All"`` when ``by`` is None). Non-permanence exits
(``outcome == "exit"``) count as censored here: this is the KM of *any* permanence. Route-
specific curves are cumulative incidence functions (:mod:`pace_analysis.competing`).

Conventions, each matching R's ``survival`` package unless said (``docs/statistics.md``):

* Product-limit estimate; risk set at time t = journeys with ``entry_days < t <= time_days``
  (``entry_days == 0`` counts as entered before time 0, so day-0 events are at risk), as
  ``survfit(Surv(entry, time, event))``; without late entry as ``survfit(Surv(time, event))``.
* Greenwood variance and log-log confidence intervals (``conf.type = "log-log"``). Where S = 1
  (no event yet) the interval is reported as [1, 1] and where S = 0 as [0, 0]; R reports NA.
* Median: first time with S(t) < 0.5; if S equals 0.5 on a flat step the midpoint between
  the step's start and the next time S drops (R's ``print.survfit`` rule). Its CI applies the
  same rule to the pointwise lower and upper curves (ignoring the [1, 1] and [0, 0] ends, as R).
* Restricted mean: area under S from 0 to tau with R's ``print(fit, rmean = tau)`` standard
  error.

Empty groups (a category with no journeys) have no KM rows and get rows with ``n = 0`` and
NaN estimates flagged by ``reached``/``estimable`` in the summary tables. A frame with no
rows at all, missing or negative times, or a late entrant with no time at risk raise
:class:`~pace_analysis.errors.PaceError`.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import numpy as np
import pandas as pd
from scipy import stats

from pace_analysis.errors import PaceError

ALL = "All"
#: Stated on every table (``DataFrame.attrs["censoring"]``): what happened to exits.
CENSORING_NOTE = "any legal permanence; exits without permanence censored at exit"
#: Label of journeys whose ``by`` value is missing.
NOT_RECORDED = "(not recorded)"
_TOL = np.sqrt(np.finfo(float).eps)


def validate_frame(frame: pd.DataFrame, by: str | Sequence[str] | None = None) -> pd.DataFrame:
    """Check a frame for survival analysis and return it with ``entry_days`` filled.

    Raises
    ------
    PaceError
        No rows; ``time_days``/``event_observed`` or a ``by`` column absent; missing,
        infinite or negative times; ``entry_days`` missing/negative or not below
        ``time_days`` for a late entrant (``entry_days > 0``).
    """
    if not isinstance(frame, pd.DataFrame):
        raise PaceError(f"expected an analysis frame (DataFrame), got {type(frame).__name__}")
    for col in ("time_days", "event_observed", *_by_columns(by)):
        if col not in frame.columns:
            raise PaceError(f"the analysis frame has no column {col!r}")
    if len(frame) == 0:
        raise PaceError("the analysis frame has no journeys: nothing to estimate")
    time = pd.to_numeric(frame["time_days"], errors="coerce").to_numpy(dtype=float)
    entry = (pd.to_numeric(frame["entry_days"], errors="coerce").to_numpy(dtype=float)
             if "entry_days" in frame.columns else np.zeros(len(frame)))
    if not np.isfinite(time).all():
        raise PaceError(f"{int((~np.isfinite(time)).sum())} journey(s) have a missing time_days "
                        "(missing dates?): build the frame with cohort.build_frame")
    if not np.isfinite(entry).all() or (entry < 0).any():
        raise PaceError("entry_days must be a non-negative number on every row")
    if (time < 0).any():
        raise PaceError(f"{int((time < 0).sum())} journey(s) have a negative time_days")
    bad = (entry > 0) & (time <= entry)
    if bad.any():
        raise PaceError(f"{int(bad.sum())} late entrant(s) have time_days <= entry_days "
                        "(no time at risk after entry)")
    event = frame["event_observed"]
    if not pd.api.types.is_bool_dtype(event):
        mapped = event.map({True: True, False: False,  # also 1 and 0
                            "True": True, "False": False, "true": True, "false": False})
        if mapped.isna().any():
            raise PaceError("event_observed must be True/False on every row")
        event = mapped
    out = frame.copy()
    out["time_days"] = time
    out["entry_days"] = entry
    out["event_observed"] = event.astype(bool).to_numpy()
    return out


def _by_columns(by: str | Sequence[str] | None) -> list[str]:
    if by is None:
        return []
    return [by] if isinstance(by, str) else list(by)


def group_codes(frame: pd.DataFrame, by: str | Sequence[str] | None) -> tuple[list[str], np.ndarray]:
    """Group labels, in order, and each row's group index (see :func:`group_frames`)."""
    cols = _by_columns(by)
    if not cols:
        return [ALL], np.zeros(len(frame), dtype=np.int64)
    labels, codes = [""], np.zeros(len(frame), dtype=np.int64)
    for c in cols:
        s = frame[c]
        if isinstance(s.dtype, pd.CategoricalDtype):
            levels = [str(v) for v in s.cat.categories]
            cc = s.cat.codes.to_numpy().astype(np.int64)
        else:
            cc, uniq = pd.factorize(s.astype("string"), sort=True)
            levels = [str(v) for v in uniq]
        if (cc < 0).any():
            cc = np.where(cc < 0, len(levels), cc)
            levels = [*levels, NOT_RECORDED]
        codes = codes * len(levels) + cc
        labels = [f"{a}, {b}" if a else b for a in labels for b in levels]
    return labels, codes


def group_frames(frame: pd.DataFrame, by: str | Sequence[str] | None) -> Iterator[tuple[str, pd.DataFrame]]:
    """Yield ``(label, rows)`` per group, in category order (sorted otherwise).

    Unused categories of a Categorical ``by`` are yielded with no rows. Missing values of
    ``by`` form the group ``"(not recorded)"``, last. With several columns labels are joined
    by ``", "``.
    """
    labels, codes = group_codes(frame, by)
    if len(labels) == 1:
        yield labels[0], frame
        return
    order = np.argsort(codes, kind="stable")
    bounds = np.searchsorted(codes[order], np.arange(len(labels) + 1))
    for i, label in enumerate(labels):
        yield label, frame.iloc[order[bounds[i]:bounds[i + 1]]]


def km_arrays(entry: np.ndarray, time: np.ndarray, event: np.ndarray) -> dict[str, np.ndarray]:
    """Product-limit estimate at each distinct ``time`` (events and censorings).

    Returns arrays ``time``, ``at_risk``, ``events``, ``censored``, ``survival`` and
    ``greenwood`` (cumulative sum of d / (n (n - d)), the variance of log S; inf once S = 0).
    """
    time = np.asarray(time, dtype=float)
    event = np.asarray(event, dtype=bool)
    entry = np.asarray(entry, dtype=float)
    ut, inv = np.unique(time, return_inverse=True)
    d = np.bincount(inv, weights=event, minlength=len(ut))
    c = np.bincount(inv, weights=~event, minlength=len(ut))
    ts = np.sort(time)
    n = len(ts) - np.searchsorted(ts, ut, side="left")
    late = np.sort(entry[entry > 0])
    n = n - (len(late) - np.searchsorted(late, ut, side="left"))
    with np.errstate(divide="ignore", invalid="ignore"):
        surv = np.cumprod(1.0 - d / n)
        gw = np.cumsum(np.where(d > 0, d / (n * (n - d)), 0.0))
    return {"time": ut, "at_risk": n.astype(np.int64), "events": d.astype(np.int64),
            "censored": c.astype(np.int64), "survival": surv, "greenwood": gw}


def loglog_ci(surv: np.ndarray, greenwood: np.ndarray, conf_level: float,
              ends: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """R's ``conf.type = "log-log"`` interval; at S = 1 or 0 [S, S] if ``ends`` else NaN."""
    z = stats.norm.ppf(1 - (1 - conf_level) / 2)
    inside = (surv > 0) & (surv < 1)
    s = np.where(inside, surv, 0.5)
    se = np.sqrt(np.where(inside, greenwood, 0.0))
    lls = np.log(-np.log(s))
    lower = np.exp(-np.exp(lls - z * se / np.log(s)))
    upper = np.exp(-np.exp(lls + z * se / np.log(s)))
    fill = surv if ends else np.full_like(surv, np.nan)
    return np.where(inside, lower, fill), np.where(inside, upper, fill)


def _noted(table: pd.DataFrame) -> pd.DataFrame:
    table.attrs["censoring"] = CENSORING_NOTE
    return table


def _check_level(conf_level: float) -> None:
    if not 0 < conf_level < 1:
        raise PaceError(f"conf_level must be between 0 and 1; got {conf_level}")


def _fit(rows: pd.DataFrame) -> dict[str, np.ndarray]:
    return km_arrays(rows["entry_days"].to_numpy(), rows["time_days"].to_numpy(),
                     rows["event_observed"].to_numpy())


def kaplan_meier(frame: pd.DataFrame, by: str | Sequence[str] | None = None,
                 conf_level: float = 0.95) -> pd.DataFrame:
    """Kaplan–Meier curve of time to any legal permanence, one row per distinct time.

    Parameters
    ----------
    frame : pandas.DataFrame
        Analysis frame (see :func:`pace_analysis.cohort.build_frame`).
    by : str or list of str, optional
        Column(s) to stratify by (e.g. ``"age_group"``, ``"authority"``).
    conf_level : float
        Confidence level of the pointwise log-log intervals.

    Returns
    -------
    pandas.DataFrame
        ``group, time_days, at_risk, events, censored, survival, ci_lower, ci_upper``; rows at
        every distinct event or censoring time (as R's ``summary(survfit, censored = TRUE)``).
        Exits without permanence are counted in ``censored``.
    """
    _check_level(conf_level)
    frame = validate_frame(frame, by)
    parts = []
    for label, rows in group_frames(frame, by):
        if len(rows) == 0:
            continue
        k = _fit(rows)
        lo, hi = loglog_ci(k["survival"], k["greenwood"], conf_level)
        parts.append(pd.DataFrame({
            "group": label, "time_days": k["time"], "at_risk": k["at_risk"],
            "events": k["events"], "censored": k["censored"], "survival": k["survival"],
            "ci_lower": lo, "ci_upper": hi}))
    return _noted(pd.concat(parts, ignore_index=True))


def _minmin(y: np.ndarray, x: np.ndarray) -> float:
    """R's median rule (survival:::survmean): first x with y < 0.5, midpoint on a flat 0.5."""
    keep = ~np.isnan(y) & (y < 0.5 + _TOL)
    if not keep.any():
        return np.nan
    x, y = x[keep], y[keep]
    if abs(y[0] - 0.5) < _TOL and (y < y[0]).any():
        return float((x[0] + x[np.flatnonzero(y < y[0])[0]]) / 2)
    return float(x[0])


def median_time(frame: pd.DataFrame, by: str | Sequence[str] | None = None,
                conf_level: float = 0.95) -> pd.DataFrame:
    """Median time to any legal permanence with its confidence interval.

    Returns
    -------
    pandas.DataFrame
        ``group, n, events, median_days, ci_lower, ci_upper, reached``. ``reached`` is False
        when the curve never falls to 0.5 (median NaN: not reached, e.g. all censored) or the
        group is empty (``n = 0``). A CI limit is NaN when its pointwise curve never falls to
        0.5 (not reached, as R's NA). On a flat step at exactly 0.5 the median is the midpoint
        between the step's start and the next drop (R's rule).
    """
    _check_level(conf_level)
    frame = validate_frame(frame, by)
    out = []
    for label, rows in group_frames(frame, by):
        if len(rows) == 0:
            out.append((label, 0, 0, np.nan, np.nan, np.nan, False))
            continue
        k = _fit(rows)
        lo, hi = loglog_ci(k["survival"], k["greenwood"], conf_level, ends=False)
        med = _minmin(k["survival"], k["time"])
        out.append((label, len(rows), int(k["events"].sum()), med, _minmin(lo, k["time"]),
                    _minmin(hi, k["time"]), bool(np.isfinite(med))))
    return _noted(pd.DataFrame(out, columns=["group", "n", "events", "median_days", "ci_lower",
                                             "ci_upper", "reached"]))


def _times(times_days: float | Sequence[float]) -> np.ndarray:
    t = np.atleast_1d(np.asarray(times_days, dtype=float))
    if len(t) == 0 or not np.isfinite(t).all() or (t < 0).any():
        raise PaceError(f"times must be non-negative numbers; got {times_days!r}")
    return t


def share_by(frame: pd.DataFrame, times_days: float | Sequence[float] = (365.25, 730.5, 1461),
             by: str | Sequence[str] | None = None, conf_level: float = 0.95) -> pd.DataFrame:
    """Share reaching any legal permanence by given times: 1 − S(t), with its CI.

    S is a right-continuous step function looked up at any ``t`` (last step at or before t;
    1 before the first). Defaults are 1, 2 and 4 years in days.

    Returns
    -------
    pandas.DataFrame
        ``group, time_days, n, at_risk, share, ci_lower, ci_upper, estimable``. ``estimable``
        is False (estimates NaN) when t is beyond the group's last follow-up time or the
        group is empty; R's ``summary(fit, times = t)`` likewise gives nothing there.
    """
    _check_level(conf_level)
    t = _times(times_days)
    frame = validate_frame(frame, by)
    out = []
    for label, rows in group_frames(frame, by):
        if len(rows) == 0:
            out += [(label, ti, 0, 0, np.nan, np.nan, np.nan, False) for ti in t]
            continue
        k = _fit(rows)
        lo, hi = loglog_ci(k["survival"], k["greenwood"], conf_level)
        i = np.searchsorted(k["time"], t, side="right") - 1
        n_at = _at_risk(rows, t)
        for ti, ii, nn in zip(t, i, n_at, strict=True):
            if ti > k["time"][-1]:
                out.append((label, ti, len(rows), nn, np.nan, np.nan, np.nan, False))
            elif ii < 0:
                out.append((label, ti, len(rows), nn, 0.0, 0.0, 0.0, True))
            else:
                out.append((label, ti, len(rows), nn, 1 - k["survival"][ii], 1 - hi[ii],
                            1 - lo[ii], True))
    return _noted(pd.DataFrame(out, columns=["group", "time_days", "n", "at_risk", "share",
                                             "ci_lower", "ci_upper", "estimable"]))


def _at_risk(rows: pd.DataFrame, t: np.ndarray) -> np.ndarray:
    time = np.sort(rows["time_days"].to_numpy())
    entry = rows["entry_days"].to_numpy()
    late = np.sort(entry[entry > 0])
    return ((len(time) - np.searchsorted(time, t, side="left"))
            - (len(late) - np.searchsorted(late, t, side="left"))).astype(np.int64)


def at_risk_table(frame: pd.DataFrame, times_days: float | Sequence[float],
                  by: str | Sequence[str] | None = None) -> pd.DataFrame:
    """Number at risk at chosen times, with cumulative events and censorings.

    ``at_risk`` at t counts journeys with ``entry_days < t <= time_days`` (all journeys
    without late entry at t = 0), as R's ``summary(survfit, times = t)$n.risk``; ``events``
    and ``censored`` count outcomes at or before t (exits count as censored).

    Returns
    -------
    pandas.DataFrame
        ``group, time_days, at_risk, events, censored``; empty groups give zeros.
    """
    t = _times(times_days)
    frame = validate_frame(frame, by)
    out = []
    for label, rows in group_frames(frame, by):
        time = rows["time_days"].to_numpy()
        ev = rows["event_observed"].to_numpy()
        te, tc = np.sort(time[ev]), np.sort(time[~ev])
        n_at = _at_risk(rows, t) if len(rows) else np.zeros(len(t), dtype=np.int64)
        out.append(pd.DataFrame({
            "group": label, "time_days": t, "at_risk": n_at,
            "events": np.searchsorted(te, t, side="right").astype(np.int64),
            "censored": np.searchsorted(tc, t, side="right").astype(np.int64)}))
    return _noted(pd.concat(out, ignore_index=True))


def restricted_mean(frame: pd.DataFrame, tau_days: float, by: str | Sequence[str] | None = None,
                    conf_level: float = 0.95) -> pd.DataFrame:
    """Restricted mean time without permanence up to ``tau_days`` (area under S on [0, tau]).

    The standard error is R's ``print(survfit, rmean = tau)`` ``se(rmean)``:
    sqrt(sum over times t_i <= tau of A_i^2 d_i / (n_i (n_i - d_i))), A_i the area under S
    from t_i to tau (terms with n_i = d_i are 0, as R). The CI is rmst ± z se. This is not
    lifelines' ``return_variance`` (lifelines issue #1682).

    Returns
    -------
    pandas.DataFrame
        ``group, n, events, tau_days, rmst_days, se, ci_lower, ci_upper``; an empty group has
        ``n = 0`` and NaN estimates. All censored before tau gives rmst = tau, se = 0.
    """
    _check_level(conf_level)
    tau = float(_times(tau_days)[0])
    if np.ndim(tau_days) != 0:
        raise PaceError("tau_days must be a single number")
    z = stats.norm.ppf(1 - (1 - conf_level) / 2)
    frame = validate_frame(frame, by)
    out = []
    for label, rows in group_frames(frame, by):
        if len(rows) == 0:
            out.append((label, 0, 0, tau, np.nan, np.nan, np.nan, np.nan))
            continue
        k = _fit(rows)
        keep = k["time"] <= tau
        tt = np.append(k["time"][keep], tau)
        ss = np.append(k["survival"][keep], k["survival"][keep][-1] if keep.any() else 1.0)
        n, d = k["at_risk"][keep], k["events"][keep]
        with np.errstate(divide="ignore", invalid="ignore"):
            hh = np.where(n - d == 0, 0.0, d / (n * (n - d)))
        rect = np.diff(np.concatenate([[0.0], tt])) * np.concatenate([[1.0], ss[:-1]])
        area_after = np.cumsum(rect[1:][::-1])[::-1]  # area from each t_i to tau
        se = float(np.sqrt(np.sum(area_after**2 * hh)))
        rmst = float(rect.sum())
        out.append((label, len(rows), int(k["events"].sum()), tau, rmst, se,
                    rmst - z * se, rmst + z * se))
    return _noted(pd.DataFrame(out, columns=["group", "n", "events", "tau_days", "rmst_days",
                                             "se", "ci_lower", "ci_upper"]))
