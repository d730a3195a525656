"""Competing risks: exact Aalen–Johansen cumulative incidence by route.

Routes to permanence compete with each other and with leaving care without permanence
(outcome ``"exit"``), so the share of children reaching permanence by a given route is a
*cumulative incidence function* (CIF), never ``1 − KM`` with the other routes censored.
See ``docs/competing-risks.md`` for the conventions; in short:

* **Ties** are exact: every event at a time is counted together (no jitter, no randomness).
* **Risk set**: a journey is at risk at ``t`` iff ``entry < t <= time``, except that
  ``entry <= 0`` means "followed from the origin", so it is also at risk at ``t = 0``
  (day-0 events count, as in R's ``Surv(time, status)``). Censorings at ``t`` are at risk
  at ``t``. A journey with ``entry == time > 0`` is never at risk and is left out
  (R refuses such rows); the number left out is reported.
* **Variance**: ``"ij"`` (default), the infinitesimal-jackknife variance that R's
  multi-state ``survfit`` reports, which allows late entry; or ``"cuminc"``, the variance of
  ``cmprsk::cuminc`` (no late entry). Both are computed in :mod:`pace_analysis.aj_variance`.

Gray's test of equal cumulative incidence across groups is in :mod:`pace_analysis.gray`.

All of it is checked against R (``tests/reference/competing_reference.R``) to 1e-6.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from pace_analysis.aj_variance import _cuminc_variance, _greenwood, _ij_variance
from pace_analysis.errors import PaceError
from pace_analysis.routes import RouteSet, load_route_set

#: Outcome of a journey still waiting at the end of follow-up.
CENSORED = "censored"
#: Outcome of a journey that left care without legal permanence (a competing state).
EXIT = "exit"
#: Pseudo-route holding the probability of still waiting (1 − sum of all CIFs).
WAITING = "waiting"
VARIANCES = ("ij", "cuminc")
CONF_TYPES = ("log-log", "log", "plain")
TABLE_COLUMNS = ("group", "route", "time_days", "at_risk", "events", "cif", "std_err",
                 "ci_lower", "ci_upper")


@dataclass(frozen=True)
class AalenJohansenResult:
    """Aalen–Johansen estimate at each distinct event time.

    Attributes
    ----------
    states : tuple of str
        Absorbing states (column order of ``events``, ``cif`` and ``variance``).
    time : ndarray, shape (T,)
        Distinct times at which at least one event (of any state) happened.
    at_risk : ndarray, shape (T,)
        Number at risk just before each time.
    events : ndarray, shape (T, K)
        Events in each state at each time.
    cif : ndarray, shape (T, K)
        Cumulative incidence of each state just after each time.
    survival : ndarray, shape (T,)
        Probability of still being in the initial state (still waiting) just after each time.
    variance, survival_variance : ndarray
        Variance of ``cif`` (T, K) and of ``survival`` (T,) by the chosen method (for
        ``"cuminc"``, which has none for ``survival``, Greenwood's).
    variance_method : str
        ``"ij"`` or ``"cuminc"``.
    n : int
        Subjects used. ``n_dropped`` counts those never at risk (``entry == time > 0``).
    n_at_risk_start : int
        Number at risk at time 0 (followed from the origin).
    max_time : float
        Largest follow-up time (event or censoring); NaN when there are no subjects.
    """

    states: tuple[str, ...]
    time: np.ndarray
    at_risk: np.ndarray
    events: np.ndarray
    cif: np.ndarray
    survival: np.ndarray
    variance: np.ndarray
    survival_variance: np.ndarray
    variance_method: str
    n: int
    n_dropped: int
    n_at_risk_start: int
    max_time: float


def _sorted_codes(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Sorted distinct values and each element's index into them (np.unique's inverse),
    by hashing then sorting only the distinct values: much faster than a full sort."""
    codes, uniq = pd.factorize(x, sort=False)
    order = np.argsort(uniq, kind="stable")
    rank = np.empty_like(order)
    rank[order] = np.arange(len(order))
    return uniq[order], rank[codes]


def aalen_johansen(
    time: Sequence[float] | np.ndarray,
    event: Sequence[str] | np.ndarray,
    entry: Sequence[float] | np.ndarray | None = None,
    states: Sequence[str] | None = None,
    *,
    variance: str = "ij",
    censored: str = CENSORED,
) -> AalenJohansenResult:
    """Exact, tie-aware Aalen–Johansen estimate of cumulative incidence with late entry.

    Parameters
    ----------
    time : array-like of float
        Time of the event or censoring (>= 0).
    event : array-like of str
        State entered at ``time``, or ``censored`` for censoring.
    entry : array-like of float, optional
        Late-entry (left-truncation) time; at risk on ``(entry, time]``. ``entry <= 0``
        (or None) means followed from the origin, at risk from time 0 inclusive.
    states : sequence of str, optional
        Absorbing states, in output order; default the sorted observed event labels. States
        listed without events get a CIF of 0.
    variance : {"ij", "cuminc"}
        ``"ij"``: infinitesimal jackknife, as R's multi-state ``survfit`` (``std.err``);
        ``"cuminc"``: as ``cmprsk::cuminc`` (``var``), which has no late entry.
    censored : str
        Label of censoring.

    Returns
    -------
    AalenJohansenResult

    Raises
    ------
    PaceError
        Mismatched lengths, missing or negative times, ``entry > time``, an event label
        not in ``states``, or ``variance="cuminc"`` with late entry.
    """
    if variance not in VARIANCES:
        raise PaceError(f"variance must be one of {', '.join(VARIANCES)}; got {variance!r}")
    t = np.asarray(time, dtype=float)
    ev = np.asarray(event, dtype=object)
    if t.ndim != 1 or ev.shape != t.shape:
        raise PaceError(f"time and event must be 1-d of equal length; got {t.shape}, {ev.shape}")
    e = np.zeros_like(t) if entry is None else np.asarray(entry, dtype=float)
    if e.shape != t.shape:
        raise PaceError(f"entry must have the length of time; got {e.shape}, {t.shape}")
    if np.isnan(t).any() or np.isnan(e).any():
        raise PaceError("time and entry must not be missing (NaN)")
    if (t < 0).any():
        raise PaceError("time must be >= 0")
    if (e > t).any():
        raise PaceError(f"entry is after time for {int((e > t).sum())} subject(s)")
    raw_codes, labels = pd.factorize(ev, sort=False)
    if len(raw_codes) and raw_codes.min() < 0:
        raise PaceError(f"event is missing for {int((raw_codes < 0).sum())} subject(s)")
    labels = [str(x) for x in labels]
    observed = sorted(set(labels) - {censored})
    states = tuple(observed if states is None else (str(s) for s in states))
    if censored in states or len(set(states)) != len(states):
        raise PaceError(f"states must be distinct and exclude {censored!r}: {states}")
    unknown = set(observed) - set(states)
    if unknown:
        raise PaceError(f"event label(s) not among states {states}: {sorted(unknown)}")
    k = len(states)
    code_of = {s: i for i, s in enumerate(states)}
    code_of[censored] = k
    st = np.array([code_of[x] for x in labels], dtype=np.int64)[raw_codes] if len(labels) \
        else np.zeros(0, dtype=np.int64)

    # entry <= 0 means "followed from the origin": at risk at t = 0 as well.
    e = np.where(e <= 0, -np.inf, e)
    keep = e < t
    keep |= np.isinf(e)
    n_dropped = int((~keep).sum())
    t, e, st = t[keep], e[keep], st[keep]
    late = bool(np.isfinite(e).any())
    if late and variance == "cuminc":
        raise PaceError("variance='cuminc' (cmprsk) has no late entry; use variance='ij'")
    n = len(t)

    ut, tidx = _sorted_codes(t)
    counts = np.bincount(tidx * (k + 1) + st, minlength=len(ut) * (k + 1)).reshape(-1, k + 1)
    d_state = counts[:, :k]
    is_event_time = d_state.sum(axis=1) > 0
    times = ut[is_event_time]
    dk = d_state[is_event_time].astype(float)
    d = dk.sum(axis=1)
    # number at risk at each event time: #{entry < t} - #{time < t}
    n_time_before = np.concatenate([[0], np.cumsum(counts.sum(axis=1))])[:-1][is_event_time]
    e_sorted = np.sort(e)
    y = (np.searchsorted(e_sorted, times, side="left") - n_time_before).astype(float)

    da_k = dk / y[:, None] if len(times) else dk
    da = d / y if len(times) else d
    surv = np.cumprod(1.0 - da)
    surv_m = np.concatenate([[1.0], surv[:-1]])
    cif = np.cumsum(surv_m[:, None] * da_k, axis=0)

    if variance == "ij":
        var, svar = _ij_variance(t, e, st, k, times, y, dk, d, da_k, da, surv, surv_m, cif, late)
    else:
        var = _cuminc_variance(dk, d, y, surv, surv_m, cif)
        svar = _greenwood(surv, d, y)
    return AalenJohansenResult(
        states=states, time=times, at_risk=y, events=dk, cif=cif, survival=surv,
        variance=var, survival_variance=svar, variance_method=variance, n=n,
        n_dropped=n_dropped, n_at_risk_start=int(np.isinf(e).sum()),
        max_time=float(t.max()) if n else float("nan"),
    )


# ----------------------------------------------------------------------------- frame level


def _route_codes(frame: pd.DataFrame, routes) -> tuple[str, ...]:
    if isinstance(routes, RouteSet):
        codes = routes.route_codes
    elif isinstance(routes, str):
        codes = load_route_set(routes).route_codes
    elif routes is not None:
        codes = tuple(str(r) for r in routes)
    else:
        rs = frame.attrs.get("route_set")
        rs = load_route_set(rs) if isinstance(rs, str) else rs
        codes = rs.route_codes if isinstance(rs, RouteSet) else load_route_set().route_codes
        seen = {str(x) for x in pd.unique(frame["outcome"])} - {EXIT, CENSORED} - set(codes)
        codes = tuple(codes) + tuple(sorted(seen))
    if EXIT in codes or CENSORED in codes or WAITING in codes:
        raise PaceError(f"route codes must not include {EXIT!r}, {CENSORED!r} or {WAITING!r}")
    bad = {str(x) for x in pd.unique(frame["outcome"])} - {EXIT, CENSORED} - set(codes)
    if bad:
        raise PaceError(f"outcome(s) {sorted(bad)} are not routes {list(codes)}, 'exit' or "
                        "'censored'")
    return tuple(codes)


def _check_frame(frame: pd.DataFrame, need: Sequence[str]) -> None:
    missing = [c for c in need if c not in frame.columns]
    if missing:
        raise PaceError(f"analysis frame lacks column(s): {', '.join(missing)}")
    for c in need:
        if frame[c].isna().any():
            raise PaceError(f"analysis frame column {c!r} has {int(frame[c].isna().sum())} "
                            "missing value(s)")


def _groups(frame: pd.DataFrame, by) -> list[tuple[str, np.ndarray]]:
    """(label, row positions) for each non-empty group, in category or sorted order."""
    if by is None:
        return [("All", np.arange(len(frame)))] if len(frame) else []
    cols = [by] if isinstance(by, str) else list(by)
    _check_frame(frame, cols)
    keys = []
    for c in cols:
        s = frame[c]
        levels = (list(s.cat.categories) if isinstance(s.dtype, pd.CategoricalDtype)
                  else sorted(s.unique(), key=str))
        keys.append(pd.Categorical(s, categories=levels).codes.astype(np.int64))
        keys[-1] = (keys[-1], levels)
    code = np.zeros(len(frame), dtype=np.int64)
    for k_codes, levels in keys:
        code = code * len(levels) + k_codes
    order = np.argsort(code, kind="stable")
    uniq, starts = np.unique(code[order], return_index=True)
    out = []
    for u, rows in zip(uniq, np.split(order, starts[1:]), strict=True):
        parts, rest = [], int(u)
        for _, levels in reversed(keys):
            parts.append(str(levels[rest % len(levels)]))
            rest //= len(levels)
        out.append((" / ".join(reversed(parts)), rows))
    return out


def _conf_int(p: np.ndarray, se: np.ndarray, conf_level: float, conf_type: str):
    """Pointwise CI as R's ``survfit`` (``survfit_confint``), clamped to [0, 1].

    Where ``p`` is 0 or 1 (R gives NA for log-log) or ``se`` is 0, the interval is ``[p, p]``.
    """
    z = stats.norm.ppf(1 - (1 - conf_level) / 2)
    inner = (p > 0) & (p < 1) & (se > 0)
    ps = np.where(inner, p, 0.5)
    sl = np.where(inner, se / ps, 0.0)  # se of log(p)
    if conf_type == "plain":
        lo, hi = p - z * se, p + z * se
    elif conf_type == "log":
        lo, hi = np.exp(np.log(ps) - z * sl), np.exp(np.log(ps) + z * sl)
    else:
        s2 = z * sl / np.log(ps)
        lo = np.exp(-np.exp(np.log(-np.log(ps)) - s2))
        hi = np.exp(-np.exp(np.log(-np.log(ps)) + s2))
    lo = np.where(inner, lo, p)
    hi = np.where(inner, hi, p)
    return np.clip(lo, 0.0, 1.0), np.clip(hi, 0.0, 1.0)


def cumulative_incidence(
    frame: pd.DataFrame,
    by: str | Sequence[str] | None = None,
    routes: RouteSet | str | Sequence[str] | None = None,
    conf_level: float = 0.95,
    *,
    conf_type: str = "log-log",
    variance: str = "ij",
    waiting: bool = True,
) -> pd.DataFrame:
    """Cumulative incidence of each route (and of leaving care without permanence).

    Non-permanence exits (``outcome == "exit"``) are a competing state, shown as route
    ``"exit"``; ``"censored"`` journeys are censored. Late entry uses ``entry_days``.

    Parameters
    ----------
    frame : pandas.DataFrame
        Analysis frame (:func:`pace_analysis.cohort.build_frame`); needs ``time_days``,
        ``outcome`` and optionally ``entry_days``.
    by : str or list of str, optional
        Grouping column(s); ``group`` is ``"All"`` when None. Groups with no journeys get
        no rows; several columns are joined as ``"a / b"``.
    routes : RouteSet, route-set name or sequence of str, optional
        Route codes, in output order; routes without events get a CIF of 0. Default: the
        frame's ``attrs["route_set"]``, else Scotland's, plus any other observed codes.
    conf_level : float
        Confidence level of the pointwise intervals.
    conf_type : {"log-log", "log", "plain"}
        Transform of the interval, as R's ``survfit(conf.type=)``.
    variance : {"ij", "cuminc"}
        See :func:`aalen_johansen`. With ``"cuminc"`` the waiting row uses Greenwood.
    waiting : bool
        Add rows with route ``"waiting"``: the probability of still waiting,
        ``1 − sum of all CIFs`` (the routes, exit and waiting sum to 1 at every time).

    Returns
    -------
    pandas.DataFrame
        Columns ``group, route, time_days, at_risk, events, cif, std_err, ci_lower,
        ci_upper``; one row per group, route and time: 0, each time with an event of any
        state in the group, and the group's last follow-up time. Empty for an empty frame.
    """
    if not 0 < conf_level < 1:
        raise PaceError(f"conf_level must be between 0 and 1; got {conf_level}")
    if conf_type not in CONF_TYPES:
        raise PaceError(f"conf_type must be one of {', '.join(CONF_TYPES)}; got {conf_type!r}")
    _check_frame(frame, ["time_days", "outcome"])
    codes = _route_codes(frame, routes)
    states = codes + (EXIT,)
    time = frame["time_days"].to_numpy(dtype=float)
    entry = (frame["entry_days"].to_numpy(dtype=float) if "entry_days" in frame.columns
             else np.zeros(len(frame)))
    if np.isnan(entry).any():
        raise PaceError("analysis frame column 'entry_days' has missing values")
    outcome = frame["outcome"].astype(str).to_numpy(dtype=object)
    pieces, labels = [], []
    for label, rows in _groups(frame, by):
        res = aalen_johansen(time[rows], outcome[rows], entry[rows], states, variance=variance)
        if res.n == 0:  # every journey entered at its own end: nothing to estimate
            continue
        pieces.append(_group_table(len(labels), res, time[rows], entry[rows], conf_level,
                                   conf_type, waiting))
        labels.append(label)
    if not pieces:
        return pd.DataFrame({c: pd.Series(dtype=float) for c in TABLE_COLUMNS}).astype(
            {"group": object, "route": object, "at_risk": np.int64, "events": np.int64})
    out = {c: np.concatenate([pc[c] for pc in pieces]) for c in TABLE_COLUMNS}
    out["group"] = pd.Categorical.from_codes(out["group"], categories=labels)
    names = [*states, WAITING] if waiting else list(states)
    out["route"] = pd.Categorical.from_codes(out["route"], categories=names)
    return pd.DataFrame(out)


def _group_table(label, res, time, entry, conf_level, conf_type, waiting):
    t = res.time
    e_sorted = np.sort(np.where(entry <= 0, -np.inf, entry))
    t_sorted = np.sort(time)
    grid = t
    prepend = len(t) == 0 or t[0] > 0
    append = res.n > 0 and (len(t) == 0 or res.max_time > t[-1])
    extra = [0.0] if prepend else []
    grid = np.concatenate([extra, t, [res.max_time] if append else []])
    at_risk = (np.searchsorted(e_sorted, grid, "left") - np.searchsorted(t_sorted, grid, "left"))

    def pad(a, fill):
        head = np.full((1,) + a.shape[1:], fill) if prepend else a[:0]
        tail = a[-1:] if append and len(a) else (np.full((1,) + a.shape[1:], fill)
                                                 if append else a[:0])
        return np.concatenate([head, a, tail])

    cif = pad(res.cif, 0.0)
    var = pad(res.variance, 0.0)
    ev = pad(res.events, 0.0)
    if append:
        ev[-1] = 0.0
    surv = pad(res.survival, 1.0)
    svar = pad(res.survival_variance, 0.0)
    names = list(res.states)
    p, v, n_ev = cif, var, ev
    if waiting:
        names.append(WAITING)
        p = np.column_stack([cif, surv])
        v = np.column_stack([var, svar])
        n_ev = np.column_stack([ev, ev.sum(axis=1)])
    # route-major order: all times of the first route, then the next ...
    p, v, n_ev = p.T.ravel(), v.T.ravel(), n_ev.T.ravel()
    se = np.sqrt(np.maximum(v, 0.0))
    lo, hi = _conf_int(p, se, conf_level, conf_type)
    m = len(grid)
    return {
        "group": np.full(m * len(names), label),  # replaced by a code in the caller
        "route": np.repeat(np.arange(len(names)), m),
        "time_days": np.tile(grid, len(names)),
        "at_risk": np.tile(at_risk.astype(np.int64), len(names)),
        "events": n_ev.astype(np.int64),
        "cif": p, "std_err": se, "ci_lower": lo, "ci_upper": hi,
    }


def cif_at(table: pd.DataFrame, times_days: float | Sequence[float]) -> pd.DataFrame:
    """Look up a :func:`cumulative_incidence` table (a step function) at chosen times.

    Parameters
    ----------
    table : pandas.DataFrame
        Output of :func:`cumulative_incidence`.
    times_days : float or sequence of float
        Times (days since origin, >= 0).

    Returns
    -------
    pandas.DataFrame
        ``group, route, time_days, cif, std_err, ci_lower, ci_upper, estimable``: the
        values at the last table time <= each time. After a group's last follow-up time
        the estimate is not defined: values are NaN and ``estimable`` is False (the same
        convention as :func:`pace_analysis.survival.share_by`).
    """
    ts = np.atleast_1d(np.asarray(times_days, dtype=float))
    if np.isnan(ts).any() or (ts < 0).any():
        raise PaceError("times_days must be non-negative numbers")
    value_cols = ["cif", "std_err", "ci_lower", "ci_upper"]
    out = []
    for (group, route), sub in table.groupby(["group", "route"], sort=False, observed=True):
        tt = sub["time_days"].to_numpy()
        pos = np.searchsorted(tt, ts, side="right") - 1
        beyond = ts > tt[-1]
        vals = {c: np.where(beyond, np.nan, sub[c].to_numpy()[np.maximum(pos, 0)])
                for c in value_cols}
        out.append(pd.DataFrame({"group": group, "route": route, "time_days": ts, **vals,
                                 "estimable": ~beyond}))
    if not out:
        return pd.DataFrame(columns=["group", "route", "time_days", *value_cols, "estimable"])
    return pd.concat(out, ignore_index=True)
