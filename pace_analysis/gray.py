"""Gray's (1988) test that a route's cumulative incidence is equal across groups.

Holds :func:`gray_test`, a vectorised re-derivation of ``crstm`` in R's ``cmprsk`` (rho = 0
by default, no stratification), and its private score/variance helpers. The cumulative
incidence it tests, and the frame conventions it shares (outcome ``"exit"`` a competing
state, ``"censored"`` censored; route codes; grouping), are in
:mod:`pace_analysis.competing`. See ``docs/competing-risks.md``; checked against
``cmprsk::cuminc(...)$Tests`` (``tests/reference/competing_reference.R``) to 1e-6.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy import stats

from pace_analysis.competing import (
    CENSORED,
    EXIT,
    _check_frame,
    _groups,
    _route_codes,
    _sorted_codes,
)
from pace_analysis.errors import PaceError
from pace_analysis.routes import RouteSet


def gray_test(
    frame: pd.DataFrame,
    by: str | Sequence[str],
    route: str | None = None,
    routes: RouteSet | str | Sequence[str] | None = None,
    *,
    rho: float = 0.0,
) -> pd.DataFrame:
    """Gray's (1988) test that a route's cumulative incidence is equal across groups.

    Matches ``cmprsk::cuminc(ftime, fstatus, group, rho = 0)$Tests``.

    Parameters
    ----------
    frame : pandas.DataFrame
        Analysis frame; ``outcome`` "exit" is a competing state, "censored" censored.
    by : str or list of str
        Grouping column(s); groups with no journeys are left out (as cmprsk does).
    route : str, optional
        One route code (or ``"exit"``) to test; default every route and ``"exit"``.
    routes : RouteSet, route-set name or sequence of str, optional
        As in :func:`cumulative_incidence`.
    rho : float
        Power of the weight ``(1 − F(t−))^rho``; 0 gives the log-rank-like test.

    Returns
    -------
    pandas.DataFrame
        ``route, statistic, df, p_value, note``. A route without events, or whose score
        variance is singular, has NaN statistic and p-value and says so in ``note``.

    Raises
    ------
    PaceError
        Fewer than two non-empty groups, late entry (Gray's test has none), or an unknown
        route.
    """
    _check_frame(frame, ["time_days", "outcome"])
    codes = _route_codes(frame, routes)
    if "entry_days" in frame.columns and (frame["entry_days"].to_numpy(dtype=float) > 0).any():
        raise PaceError("Gray's test does not allow late entry (entry_days > 0); "
                        "compare cumulative incidence curves instead")
    groups = _groups(frame, by)
    if len(groups) < 2:
        raise PaceError(f"Gray's test needs at least two non-empty groups; got {len(groups)}")
    targets = codes + (EXIT,) if route is None else (str(route),)
    if targets[0] not in codes + (EXIT,):
        raise PaceError(f"unknown route {route!r}; routes: {list(codes + (EXIT,))}")
    group = np.empty(len(frame), dtype=np.int64)
    for i, (_, rows) in enumerate(groups):
        group[rows] = i
    time = frame["time_days"].to_numpy(dtype=float)
    oc, olabels = pd.factorize(frame["outcome"], sort=False)
    olabels = np.array([str(x) for x in olabels], dtype=object)
    censored = np.isin(oc, np.flatnonzero(olabels == CENSORED))
    df = len(groups) - 1
    rows = []
    for r in targets:
        is_r = np.isin(oc, np.flatnonzero(olabels == r))
        cause = np.where(censored, 0, np.where(is_r, 1, 2))
        stat, p, note = np.nan, np.nan, ""
        if not (cause == 1).any():
            note = "no events of this route"
        else:
            score, v = _gray_statistic(time, cause, group, len(groups), rho=rho)
            if np.linalg.matrix_rank(v) < df:
                note = "score variance is singular"
            else:
                stat = float(score @ np.linalg.solve(v, score))
                p = float(stats.chi2.sf(stat, df))
        rows.append({"route": r, "statistic": stat, "df": df, "p_value": p, "note": note})
    return pd.DataFrame(rows)


def _weighted_gram(x: np.ndarray, wt: np.ndarray) -> np.ndarray:
    """sum over t, k of wt[t, k] * x[t, i, k] * x[t, j, k], as one matrix product."""
    x2 = x.transpose(0, 2, 1).reshape(-1, x.shape[1])
    return (x2 * wt.reshape(-1, 1)).T @ x2


def _gray_statistic(time, cause, group, n_groups, rho=0.0, block=256):
    """Gray's (1988) score and its variance for one cause, as cmprsk's ``crstm``.

    ``cause`` is 0 censored, 1 the cause of interest, 2 any other cause; ``group`` is
    0..n_groups-1. Returns the score for the first ``n_groups - 1`` groups and its
    variance matrix.
    """
    g = n_groups
    ut, tidx = _sorted_codes(time)
    cnt = np.bincount((tidx * g + group) * 3 + cause, minlength=len(ut) * g * 3)
    cnt = cnt.reshape(len(ut), g, 3).astype(float)
    left = np.cumsum(cnt.sum(axis=2), axis=0)  # number with time <= t, by group
    rs_all = np.bincount(group, minlength=g)[None, :] - np.vstack([np.zeros((1, g)), left[:-1]])
    keep = (cnt[:, :, 1:].sum(axis=(1, 2))) > 0
    rs, d1, d2 = rs_all[keep], cnt[keep, :, 1], cnt[keep, :, 2]
    nd1 = d1.sum(axis=1)
    present = rs > 0
    rs_safe = np.where(present, rs, 1.0)
    fac = np.where(present, (rs - d1 - d2) / rs_safe, 1.0)
    skm = np.cumprod(fac, axis=0)
    skmm = np.vstack([np.ones((1, g)), skm[:-1]])
    f1 = np.cumsum(np.where(present, skmm * d1 / rs_safe, 0.0), axis=0)
    f1m = np.vstack([np.zeros((1, g)), f1[:-1]])
    skmm_safe = np.where(skmm > 0, skmm, 1.0)
    t1 = np.where(present, rs / skmm_safe, 0.0)
    tr = t1.sum(axis=1)
    tq = np.where(present, rs * (1 - f1m) / skmm_safe, 0.0).sum(axis=1)
    f = np.cumsum(nd1 / tr)
    fm = np.concatenate([[0.0], f[:-1]])
    fb = (1 - fm) ** rho
    score = (fb[:, None] * np.where(
        present, d1 - nd1[:, None] * rs * (1 - f1m) / (skmm_safe * tq[:, None]), 0.0
    )).sum(axis=0)[: g - 1]

    # a_t = fb (diag(t1) - t1 t1' / tr); c_t = cumulative sum of a_t nd1 / (tr (1 - fm))
    coef = np.where(nd1 > 0, nd1 / (tr * np.where(fm < 1, 1 - fm, 1.0)), 0.0)
    # per-time weights of the cause-1 and other-cause variance terms, by group k
    skm_safe = np.where(skm > 0, skm, 1.0)
    t4a = np.where(skm > 0, 1 - (1 - f[:, None]) / skm_safe, 1.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        t5a = np.where(nd1[:, None] > 1, 1 - (nd1[:, None] - 1) / (tr[:, None] * skmm - 1), 1.0)
    t3a = np.where(present & (nd1[:, None] > 0), t5a * skmm * nd1[:, None] / (tr[:, None] * rs_safe), 0.0)
    ok2 = (skm > 0) & (d2 > 0)
    t4b = np.where(ok2, (1 - f[:, None]) / skm_safe, 0.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        t5b = np.where(d2 > 1, 1 - (d2 - 1) / (rs - 1), 1.0)
    t3b = np.where(ok2, t5b * skmm**2 * d2 / rs_safe**2, 0.0)

    v = np.zeros((g - 1, g - 1))
    v2 = np.zeros((g - 1, g))
    v3 = (t4a**2 * t3a + t4b**2 * t3b).sum(axis=0)
    c_prev = np.zeros((g, g))
    for s in range(0, len(tr), block):
        sl = slice(s, s + block)
        a = fb[sl, None, None] * (t1[sl, :, None] * np.eye(g)[None]
                                  - t1[sl, :, None] * t1[sl, None, :] / tr[sl, None, None])
        c = c_prev[None] + np.cumsum(a * coef[sl, None, None], axis=0)
        c_prev = c[-1]
        a, c = a[:, : g - 1, :], c[:, : g - 1, :]
        w = a - t4a[sl, None, :] * c  # (T, g-1, g)
        u = t4b[sl, None, :] * c
        v += _weighted_gram(w, t3a[sl]) + _weighted_gram(u, t3b[sl])
        v2 += np.einsum("tk,tik->ik", t4a[sl] * t3a[sl], w)
        v2 -= np.einsum("tk,tik->ik", t4b[sl] * t3b[sl], u)
    c_end = c_prev[: g - 1, :]
    v += (c_end * v3[None, :]) @ c_end.T + c_end @ v2.T + v2 @ c_end.T
    return score, v
