"""State occupancy and time in each state, by group, as tidy tables.

:func:`state_occupancy` gives P(state at t) with IJ standard errors and pointwise
intervals; :func:`occupancy_curves` the estimate at every move time (for charts);
:func:`time_in_state` the restricted mean time in each state within a horizon ("of a
child's first 2 years, X weeks accommodated awaiting a recommendation, ..."), with
standard errors. Groups are any columns of the long form (``authority``, ``age_group``,
``entry_period`` from :func:`with_entry_period`), one curve per group. The estimator and
its conventions are :mod:`pace_analysis.multistate.estimator`.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy import stats

from pace_analysis.cohort import DAYS_PER_YEAR
from pace_analysis.competing import _conf_int, _groups
from pace_analysis.errors import PaceError
from pace_analysis.multistate.estimator import MultiStateFit, fit_multistate
from pace_analysis.multistate.long_form import PathwayData
from pace_analysis.multistate.states import CENSORED

#: Default times (days) for occupancy tables: 6 months, then every year to 5 years.
DEFAULT_TIMES: tuple[float, ...] = tuple(DAYS_PER_YEAR * x for x in (0.5, 1, 2, 3, 4, 5))


def fit_groups(data: PathwayData, by: str | Sequence[str] | None = None
               ) -> list[tuple[str, MultiStateFit, int]]:
    """One :class:`MultiStateFit` per group: ``(label, fit, number of journeys)``."""
    tr = data.transitions
    states = list(data.pathway.states)
    frm = tr["from_state"].cat.codes.to_numpy(dtype=np.int64)
    to_cat = tr["to_state"]
    to = to_cat.cat.codes.to_numpy(dtype=np.int64)
    to = np.where(to_cat.astype(str).to_numpy() == CENSORED, -1, to)
    a = tr["tstart"].to_numpy(dtype=float)
    b = tr["tstop"].to_numpy(dtype=float)
    jid = pd.factorize(tr["journey_id"])[0]
    out = []
    for label, rows in _groups(tr, by):
        fit = fit_multistate(a[rows], b[rows], frm[rows], to[rows], jid[rows], len(states))
        out.append((label, fit, fit.n))
    return out


def state_occupancy(
    data: PathwayData,
    by: str | Sequence[str] | None = None,
    times_days: float | Sequence[float] = DEFAULT_TIMES,
    conf_level: float = 0.95,
    *,
    conf_type: str = "log-log",
    initial_variance: bool = True,
    fits: list | None = None,
) -> pd.DataFrame:
    """Probability of being in each state at chosen times, with IJ standard errors.

    Parameters
    ----------
    data : PathwayData
        Long form from :func:`pace_analysis.multistate.pathway_transitions`.
    by : str or list of str, optional
        Grouping column(s) of ``data.transitions``.
    times_days : float or sequence of float
        Days since becoming looked after.
    conf_level : float
        Level of the pointwise intervals.
    conf_type : {"log-log", "log", "plain"}
        Transform of the intervals, as R's ``survfit(conf.type=)``.
    initial_variance : bool
        Include the variability of the initial state distribution (R's
        ``influence = TRUE``); see :mod:`~pace_analysis.multistate.estimator`.
    fits : list, optional
        :func:`fit_groups` of *data* and *by*, when already computed.

    Returns
    -------
    pandas.DataFrame
        ``group, state, time_days, n, pstate, std_err, ci_lower, ci_upper, estimable``;
        after a group's last follow-up time the estimate is not defined (NaN,
        ``estimable`` False).
    """
    if not 0 < conf_level < 1:
        raise PaceError(f"conf_level must be between 0 and 1; got {conf_level}")
    t = np.atleast_1d(np.asarray(times_days, dtype=float))
    if np.isnan(t).any() or (t < 0).any():
        raise PaceError("times_days must be non-negative numbers")
    states = list(data.pathway.states)
    pieces = []
    for label, fit, n in fits if fits is not None else fit_groups(data, by):
        p = fit.pstate_at(t)
        se = fit.std_err(t, initial_variance=initial_variance)
        beyond = t > fit.max_time
        p[beyond], se[beyond] = np.nan, np.nan
        lo, hi = _conf_int(np.nan_to_num(p), np.nan_to_num(se), conf_level, conf_type)
        lo[beyond], hi[beyond] = np.nan, np.nan
        s = len(states)
        pieces.append(pd.DataFrame({
            "group": label, "state": np.repeat(states, len(t)),
            "time_days": np.tile(t, s), "n": n,
            "pstate": p.T.ravel(), "std_err": se.T.ravel(),
            "ci_lower": lo.T.ravel(), "ci_upper": hi.T.ravel(),
            "estimable": np.tile(~beyond, s)}))
    return _finish(pieces, states)


def occupancy_curves(data: PathwayData, by: str | Sequence[str] | None = None
                     ) -> pd.DataFrame:
    """P(state at t) at time 0 and at every move time of each group (no variance).

    Returns
    -------
    pandas.DataFrame
        ``group, state, time_days, n, pstate``; one row per group, state and time
        (time 0 holds the initial distribution; the last row of a group is its last
        follow-up time).
    """
    states = list(data.pathway.states)
    pieces = []
    for label, fit, n in fit_groups(data, by):
        times = np.concatenate([[0.0], fit.time[fit.time > 0], [max(fit.max_time, 0.0)]])
        p = fit.pstate_at(times)
        s = len(states)
        pieces.append(pd.DataFrame({
            "group": label, "state": np.repeat(states, len(times)),
            "time_days": np.tile(times, s), "n": n, "pstate": p.T.ravel()}))
    return _finish(pieces, states)


def time_in_state(
    data: PathwayData,
    tau_days: float = 2 * DAYS_PER_YEAR,
    by: str | Sequence[str] | None = None,
    conf_level: float = 0.95,
    *,
    initial_variance: bool = True,
    fits: list | None = None,
) -> pd.DataFrame:
    """Restricted mean time in each state within ``tau_days`` of becoming looked after.

    Parameters
    ----------
    data : PathwayData
        Long form.
    tau_days : float
        Horizon (days). Groups followed for less than the horizon get NaN
        (``estimable`` False): the mean would need the occupancy beyond the data.
    by : str or list of str, optional
        Grouping column(s).
    conf_level : float
        Level of the normal intervals.
    initial_variance, fits
        See :func:`state_occupancy`.

    Returns
    -------
    pandas.DataFrame
        ``group, state, tau_days, n, rmean_days, std_err, ci_lower, ci_upper, share,
        estimable``; ``share`` is ``rmean_days / tau_days`` (the states' shares sum to 1).
    """
    tau = float(tau_days)
    z = stats.norm.ppf(1 - (1 - conf_level) / 2)
    states = list(data.pathway.states)
    pieces = []
    for label, fit, n in fits if fits is not None else fit_groups(data, by):
        ok = tau <= fit.max_time
        rm = fit.rmean(tau) if ok else np.full(len(states), np.nan)
        se = fit.rmean_std_err(tau, initial_variance=initial_variance)[0] if ok else \
            np.full(len(states), np.nan)
        pieces.append(pd.DataFrame({
            "group": label, "state": states, "tau_days": tau, "n": n, "rmean_days": rm,
            "std_err": se, "ci_lower": np.maximum(rm - z * se, 0.0),
            "ci_upper": np.minimum(rm + z * se, tau), "share": rm / tau if tau > 0 else np.nan,
            "estimable": ok}))
    return _finish(pieces, states)


def pathway_tables(data: PathwayData, by: str | Sequence[str] | None = None,
                   times_days: float | Sequence[float] = DEFAULT_TIMES,
                   tau_days: float = 2 * DAYS_PER_YEAR, conf_level: float = 0.95
                   ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """:func:`state_occupancy` and :func:`time_in_state` from one fit per group."""
    fits = fit_groups(data, by)
    return (state_occupancy(data, by, times_days, conf_level, fits=fits),
            time_in_state(data, tau_days, by, conf_level, fits=fits))


#: Band of a stacked occupancy chart holding the states merged for disclosure control.
MERGED = "merged"


def occupancy_grid(data: PathwayData, by: str | Sequence[str] | None = None,
                   step_days: float = 91, max_days: float = 5 * DAYS_PER_YEAR,
                   *, fits: list | None = None) -> pd.DataFrame:
    """P(state at t) on a coarse grid, with the children observed in each state then.

    Parameters
    ----------
    data : PathwayData
        Long form.
    by : str or list of str, optional
        Grouping column(s).
    step_days : float
        Grid spacing (91 days: a quarter), so that exact move days are not exposed.
    max_days : float
        Last grid time; never beyond a group's follow-up.
    fits : list, optional
        :func:`fit_groups` of *data* and *by*, when already computed.

    Returns
    -------
    pandas.DataFrame
        ``group, state, time_days, n, pstate, n_observed``: ``n_observed`` counts the
        journeys seen in a transient state at ``t`` (a stay with ``tstart < t <= tstop``)
        or, for an outcome, those seen entering it by ``t``. Disclosure control
        (:func:`suppress_small_states`) works on these counts.
    """
    if step_days <= 0:
        raise PaceError("step_days must be positive")
    tr = data.transitions
    states = list(data.pathway.states)
    s = len(states)
    nt = data.pathway.n_transient
    pieces = []
    fits = fits if fits is not None else fit_groups(data, by)
    for (label, fit, n), (_, rows) in zip(fits, _groups(tr, by), strict=True):
        last = min(max_days, max(fit.max_time, 0.0))
        grid = np.arange(0.0, last + 1e-9, step_days)
        p = fit.pstate_at(grid)
        sub = tr.iloc[rows]
        a, b = sub["tstart"].to_numpy(), sub["tstop"].to_numpy()
        frm = sub["from_state"].cat.codes.to_numpy()
        to = sub["to_state"].astype(str).to_numpy()
        counts = np.zeros((len(grid), s))
        for k in range(nt):
            m = frm == k
            counts[:, k] = ((a[m][None, :] < grid[:, None]) & (b[m][None, :] >= grid[:, None])
                            ).sum(axis=1)
        for k in range(nt, s):
            moved = np.sort(b[to == states[k]])
            counts[:, k] = np.searchsorted(moved, grid, side="right")
        pieces.append(pd.DataFrame({
            "group": label, "state": np.repeat(states, len(grid)),
            "time_days": np.tile(grid, s), "n": n, "pstate": p.T.ravel(),
            "n_observed": counts.T.ravel().astype(np.int64)}))
    return _finish(pieces, states)


def small_states(counts: Sequence[int] | np.ndarray, threshold: int) -> np.ndarray:
    """Which states to hide: primary (1 .. threshold - 1 children) and secondary.

    Shares of all states sum to 1, so one hidden state could be recovered by subtraction:
    if exactly one is hidden, the state with the next-smallest non-zero count is hidden
    too; and states are added, smallest first, until the hidden ones together hold at
    least *threshold* children (the merged band must not itself be small).
    """
    c = np.asarray(counts, dtype=float)
    hide = (c > 0) & (c < threshold)
    while hide.any() and (hide.sum() == 1 or c[hide].sum() < threshold):
        others = np.flatnonzero(~hide & (c > 0))
        if not len(others):
            break
        hide[others[np.argmin(c[others])]] = True
    return hide


def suppress_small_states(grid: pd.DataFrame, threshold: int) -> pd.DataFrame:
    """Merge, at each grid time, the states seen in fewer than *threshold* children.

    The merged states' shares are summed into one band, :data:`MERGED`, with secondary
    suppression (:func:`small_states`); groups of fewer than *threshold* children are
    dropped. No band of the result rests on fewer than *threshold* children.
    """
    out = []
    for (g, t), sub in grid.groupby(["group", "time_days"], observed=True, sort=False):
        if sub["n"].iloc[0] < threshold:
            continue
        hide = small_states(sub["n_observed"].to_numpy(), threshold)
        keep = sub[~hide]
        if hide.any():
            merged = sub[hide]
            keep = pd.concat([keep, pd.DataFrame({
                "group": [g], "state": [MERGED], "time_days": [t], "n": [sub["n"].iloc[0]],
                "pstate": [merged["pstate"].sum()],
                "n_observed": [int(merged["n_observed"].sum())]})], ignore_index=True)
        out.append(keep)
    if not out:
        return grid.iloc[0:0].assign(state=pd.Series(dtype=object))
    res = pd.concat(out, ignore_index=True)
    cats = [*grid["state"].cat.categories, MERGED]
    res["state"] = pd.Categorical(res["state"].astype(str), categories=cats)
    return res


def with_entry_period(data: PathwayData, starts: Sequence[int]) -> PathwayData:
    """Add an ordered ``entry_period`` column from the year of becoming looked after.

    Parameters
    ----------
    data : PathwayData
        Long form.
    starts : sequence of int
        First year of each period, increasing; e.g. ``(2008, 2012, 2016, 2020)`` gives
        ``"2008-2011"``, ..., ``"2020+"``. Earlier years are ``"before 2008"``.
    """
    starts = [int(s) for s in starts]
    if not starts or any(b <= a for a, b in zip(starts, starts[1:], strict=False)):
        raise PaceError(f"period starts must be increasing years; got {starts}")
    labels = [f"before {starts[0]}"] + [f"{a}-{b - 1}" for a, b in zip(starts, starts[1:],
                                                                        strict=False)]
    labels.append(f"{starts[-1]}+")
    year = data.transitions["entry_year"].to_numpy()
    code = np.searchsorted(np.asarray(starts), year, side="right")
    tr = data.transitions.copy()
    tr["entry_period"] = pd.Categorical.from_codes(code, categories=labels, ordered=True)
    used = [lab for i, lab in enumerate(labels) if (code == i).any()]
    tr["entry_period"] = tr["entry_period"].cat.set_categories(used, ordered=True)
    return PathwayData(tr, data.pathway, list(data.problems))


def _finish(pieces: list[pd.DataFrame], states: list[str]) -> pd.DataFrame:
    if not pieces:
        return pd.DataFrame(columns=["group", "state"])
    out = pd.concat(pieces, ignore_index=True)
    out["group"] = pd.Categorical(out["group"], categories=list(dict.fromkeys(out["group"])))
    out["state"] = pd.Categorical(out["state"], categories=states)
    return out
