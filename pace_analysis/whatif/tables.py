"""The what-if's outputs: per-replicate summaries of simulated paths, and their tables.

:func:`summarise` reduces one chunk of replicates' paths to the share reaching
permanence (by route, within 1, 2 and 4 years) and the child-weeks of waiting in each
projection year (by the outcome reached); :func:`shares_table` and :func:`waiting_table`
turn all replicates into tidy tables with means and 95% percentile intervals.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from pace_analysis.cohort import DAYS_PER_YEAR
from pace_analysis.multistate.states import Pathway
from pace_analysis.whatif.simulate import Paths, Start

#: Horizons (years) of the shares reaching permanence.
YEARS: tuple[int, ...] = (1, 2, 4)
#: Label of the outcome "still looked after at the end of what the data can project".
STILL_WAITING = "still_waiting"


def outcome_index(p: Paths, routes: list[str], nt: int) -> np.ndarray:
    """0 .. len(routes)-1 for the outcomes, len(routes) for still waiting."""
    return np.where(p.outcome >= 0, p.outcome - nt, len(routes))


def summarise(p: Paths, out: np.ndarray, st: Start, rr: int, n_child: int, n_in_care: int,
               perm_idx: np.ndarray, nt: int, horizon: int, shares: np.ndarray,
               waiting: np.ndarray, n_out: int) -> None:
    """Fill shares[pop, rep, route, year] and waiting[rep, year, outcome] for one chunk."""
    end = p.end_day.reshape(rr, n_child)
    outc = p.outcome.reshape(rr, n_child)
    la = st.la_offset.reshape(rr, n_child)
    pops = [(1, slice(n_in_care, n_child)), (0, slice(0, n_in_care))]
    for which, sl in pops:
        if sl.stop - sl.start <= 0:
            shares[which] = np.nan
            continue
        e = end[:, sl]
        # from becoming looked after (new) or from the start date (in care)
        t = e if which == 1 else e + la[:, sl]
        o = outc[:, sl]
        for y, yrs in enumerate(YEARS):
            within = t <= yrs * DAYS_PER_YEAR
            for ri, code in enumerate(perm_idx):
                shares[which, :, ri + 1, y] = ((o == code) & within).mean(axis=1)
            shares[which, :, 0, y] = shares[which, :, 1:, y].sum(axis=1)
    lo_c = np.maximum(la, 0.0)
    hi_c = la + end
    key = (np.arange(rr)[:, None] * n_out + out.reshape(rr, n_child)).ravel()
    for y in range(horizon):
        a, b = y * DAYS_PER_YEAR, (y + 1) * DAYS_PER_YEAR
        days = np.clip(np.minimum(hi_c, b) - np.maximum(lo_c, a), 0.0, None)
        waiting[:, y, :] = np.bincount(key, weights=days.ravel(),
                                       minlength=rr * n_out).reshape(rr, n_out) / 7.0


def _interval(x: np.ndarray, axis: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    with np.errstate(invalid="ignore"):
        return (np.nanmean(x, axis=axis), np.nanpercentile(x, 2.5, axis=axis),
                np.nanpercentile(x, 97.5, axis=axis))


def shares_table(shares: np.ndarray, pw: Pathway) -> pd.DataFrame:
    rows = []
    labels = ["permanence", *pw.permanence]
    for pi, pop in enumerate(("in_care", "new")):
        if np.isnan(shares[0, pi]).all():
            continue
        b = _interval(shares[0, pi])
        s = _interval(shares[1, pi])
        d = _interval(shares[1, pi] - shares[0, pi])
        for ri, route in enumerate(labels):
            for y, yrs in enumerate(YEARS):
                rows.append({"population": pop, "route": route, "years": yrs,
                             "baseline": b[0][ri, y], "baseline_lower": b[1][ri, y],
                             "baseline_upper": b[2][ri, y],
                             "scenario": s[0][ri, y], "scenario_lower": s[1][ri, y],
                             "scenario_upper": s[2][ri, y],
                             "difference": d[0][ri, y], "difference_lower": d[1][ri, y],
                             "difference_upper": d[2][ri, y]})
    return pd.DataFrame(rows)


def waiting_table(waiting: np.ndarray, routes: list[str], start: pd.Timestamp) -> pd.DataFrame:
    rows = []
    labels = [*routes, STILL_WAITING]
    full = np.concatenate([waiting, waiting.sum(axis=3, keepdims=True)], axis=3)
    b, s, d = (_interval(full[0]), _interval(full[1]), _interval(full[0] - full[1]))
    for y in range(waiting.shape[2]):
        first = (start + pd.DateOffset(years=y) + pd.Timedelta(days=1)).date()
        for o, lab in enumerate([*labels, "all"]):
            rows.append({"year": y + 1, "year_from": first.isoformat(), "outcome": lab,
                         "baseline": b[0][y, o], "scenario": s[0][y, o],
                         "saved": d[0][y, o], "saved_lower": d[1][y, o],
                         "saved_upper": d[2][y, o]})
    return pd.DataFrame(rows)
