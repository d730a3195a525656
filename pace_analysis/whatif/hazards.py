"""Sojourn-time (clock-reset) hazards of the care pathway, estimated nonparametrically.

The multi-state long form (:func:`pace_analysis.multistate.pathway_transitions`) holds each
stay on the clock of *time since becoming looked after*. A semi-Markov model needs each
stay on the clock of **time since entering the state** (the sojourn clock). On that clock a
stay is at risk on ``(a, b]`` with

* ``a = -1`` for the first state of a journey followed from its clock start (entered on
  day 0; a move on day 0 is a sojourn of 0 days, as ``tstart = -1`` in the long form);
* ``a = 0`` for a state entered at a milestone (moves happen on a later day);
* ``a = tstart - entry_day > 0`` for a journey that enters the data late, already in a
  state it entered on ``entry_day`` (its milestone date): left truncation on the sojourn
  clock, so the stay counts only from the day the data begin to see it;

and ``b = tstop - entry_day``. Hazards are cause-specific Nelson–Aalen increments in
sojourn time, ``dA_hk(u) = d_hk(u) / n_h(u)`` at each sojourn day ``u`` with a move out of
``h`` (the stage's own Aalen–Johansen; ties counted together, censoring and competing
exits kept), by hazard *block* = state, or state × stratum (e.g. age group).

:func:`fit_sojourn` fits one or many (bootstrap-weighted) copies at once: the event grid
and the cells (grid point, destination) come from the data, each replicate's weights
only change the counts, so all replicates share one layout and the simulator
(:mod:`pace_analysis.whatif.simulate`) can search them together.

:func:`fit_markov` gives the baseline of the children's-services demand models: one
constant daily rate per move and state × stratum (moves / days at risk), no dependence
on time in state.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd
from scipy import sparse

from pace_analysis.errors import PaceError
from pace_analysis.multistate.long_form import PathwayData
from pace_analysis.multistate.states import CENSORED, Pathway


@dataclass(frozen=True)
class SojournStays:
    """Stays of the long form on the sojourn clock.

    Attributes
    ----------
    journey : ndarray of int
        Journey of each stay, ``0 .. n_journeys - 1`` (codes of :attr:`journey_ids`).
    state, to : ndarray of int
        State of the stay and the state entered at its end (``-1``: censored).
    a, b : ndarray of float
        At risk on ``(a, b]`` in days since entering the state.
    entry_day, tstop : ndarray of float
        Day (since becoming looked after) the state was entered, and the stay's end.
    stratum : ndarray of int
        Stratum of the journey (``0`` when unstratified).
    journey_ids : ndarray
        Journey ids; ``la_date`` their looked-after dates; ``first_state`` the state each
        journey began in; ``followed_from_start`` whether it was seen from its clock start.
    strata : tuple of str
        Stratum labels.
    pathway : Pathway
    """

    journey: np.ndarray
    state: np.ndarray
    to: np.ndarray
    a: np.ndarray
    b: np.ndarray
    entry_day: np.ndarray
    tstop: np.ndarray
    stratum: np.ndarray
    journey_ids: np.ndarray
    la_date: np.ndarray
    journey_stratum: np.ndarray
    first_state: np.ndarray
    followed_from_start: np.ndarray
    strata: tuple
    pathway: Pathway

    @property
    def n_journeys(self) -> int:
        """Number of journeys."""
        return len(self.journey_ids)

    @property
    def n_blocks(self) -> int:
        """Hazard blocks: transient states × strata."""
        return self.pathway.n_transient * len(self.strata)

    @property
    def block(self) -> np.ndarray:
        """Hazard block of each stay: ``stratum * n_transient + state``."""
        return self.stratum * self.pathway.n_transient + self.state


def sojourn_stays(data: PathwayData, journeys: pd.DataFrame, by: str | None = None
                  ) -> SojournStays:
    """Put the stays of *data* on the sojourn clock.

    Parameters
    ----------
    data : PathwayData
        Long form of the journeys.
    journeys : pandas.DataFrame
        The journeys table the long form was built from (for the milestone dates of late
        entrants' states).
    by : str, optional
        Column of the long form to stratify the hazards by (e.g. ``"age_group"``).

    Returns
    -------
    SojournStays

    Raises
    ------
    PaceError
        *by* is not a column of the long form.
    """
    pw = data.pathway
    tr = data.transitions
    if by is not None and by not in tr.columns:
        raise PaceError(f"cannot stratify by {by!r}: not a column of the long form "
                        f"({', '.join(tr.columns)})")
    codes, ids = pd.factorize(tr["journey_id"])
    order = np.lexsort((tr["tstart"].to_numpy(float), codes))
    if (order != np.arange(len(order))).any():  # stays of a journey together, in time order
        tr = tr.iloc[order].reset_index(drop=True)
        codes = codes[order]
    state = tr["from_state"].cat.codes.to_numpy(np.int64)
    to_s = tr["to_state"].astype(str).to_numpy()
    to = np.where(to_s == CENSORED, -1, tr["to_state"].cat.codes.to_numpy(np.int64))
    tstart = tr["tstart"].to_numpy(float)
    tstop = tr["tstop"].to_numpy(float)
    first_row = np.r_[True, codes[1:] != codes[:-1]] if len(codes) else np.zeros(0, bool)
    j = journeys.set_index(journeys["journey_id"].astype(str))
    jj = j.loc[np.asarray(ids, dtype=str)]
    la = pd.to_datetime(jj["looked_after_date"]).dt.normalize()
    entry = np.where(first_row, 0.0, tstart)
    late = first_row & (tstart > -1)
    if late.any():
        for k, s in enumerate(pw.transient):
            m = late & (state == k)
            if not m.any() or k == 0:
                continue  # at home: entered on the clock-start day
            col = pw.milestones[s]
            day = (pd.to_datetime(jj[col]).dt.normalize() - la).dt.days.to_numpy(float)
            d = day[codes[m]]
            entry[m] = np.where(np.isnan(d), 0.0, d)
    a = np.where(first_row & ~late, -1.0, tstart - entry)
    b = tstop - entry
    if by is None:
        strata, jstrat = ("all",), np.zeros(len(ids), np.int64)
    else:
        col = tr[by]
        labels = list(col.cat.categories) if hasattr(col, "cat") else sorted(col.unique())
        per_row = pd.Categorical(col, categories=labels).codes.astype(np.int64)
        jstrat = np.zeros(len(ids), np.int64)
        jstrat[codes] = per_row
        strata = tuple(str(x) for x in labels)
    first_state = np.zeros(len(ids), np.int64)
    first_state[codes[first_row]] = state[first_row]
    followed = np.zeros(len(ids), bool)
    followed[codes[first_row]] = ~late[first_row]
    return SojournStays(codes.astype(np.int64), state, to, a, b, entry, tstop,
                        jstrat[codes], np.asarray(ids), la.to_numpy(), jstrat, first_state,
                        followed, strata, pw)


@dataclass(frozen=True)
class SojournFit:
    """Cause-specific sojourn hazards of every block, for one or many replicates.

    The layout (grid and cells) is shared by all replicates; the counts are not.

    Attributes
    ----------
    n_blocks : int
        Hazard blocks (block ``b`` is state ``b % n_transient`` of stratum
        ``b // n_transient``); blocks added by an intervention come after.
    grid_block, grid_u : ndarray, shape (G,)
        Block and sojourn day of each grid point (a day with a move out of the block),
        sorted by block, then day.
    cell_grid, cell_to : ndarray, shape (C,)
        Grid point and destination state of each cell, sorted by grid point.
    n_risk : ndarray, shape (R, G)
        At risk at each grid point, per replicate.
    d : ndarray, shape (R, C)
        Moves in each cell, per replicate.
    shift : ndarray, shape (n_blocks,)
        Days taken off every sojourn drawn in each block (an intervention's time shift).
    state_of_block : ndarray, shape (n_blocks,)
        Transient state of each block.
    """

    n_blocks: int
    grid_block: np.ndarray
    grid_u: np.ndarray
    cell_grid: np.ndarray
    cell_to: np.ndarray
    n_risk: np.ndarray
    d: np.ndarray
    shift: np.ndarray
    state_of_block: np.ndarray

    @property
    def replicates(self) -> int:
        """Number of fitted replicates ``R``."""
        return self.d.shape[0]

    def hazard(self) -> np.ndarray:
        """Total discrete hazard at each grid point, shape (R, G), capped at 1."""
        dt = self.d_total()
        with np.errstate(divide="ignore", invalid="ignore"):
            lam = np.where(self.n_risk > 0, dt / self.n_risk, 0.0)
        return np.minimum(lam, 1.0)

    def d_total(self) -> np.ndarray:
        """Moves at each grid point (all destinations), shape (R, G)."""
        g = len(self.grid_u)
        if not g:
            return np.zeros((self.d.shape[0], 0))
        # every grid point has at least one cell, and cells are sorted by grid point
        first = np.searchsorted(self.cell_grid, np.arange(g), side="left")
        return np.add.reduceat(self.d, first, axis=1)

    def survival(self) -> np.ndarray:
        """P(sojourn > u) just after each grid point, shape (R, G): product-limit by block."""
        s = 1.0 - self.hazard()
        starts = np.flatnonzero(np.r_[True, self.grid_block[1:] != self.grid_block[:-1]])
        ends = np.r_[starts[1:], len(self.grid_block)]
        for lo, hi in zip(starts, ends, strict=True):
            np.cumprod(s[:, lo:hi], axis=1, out=s[:, lo:hi])
        return s


def fit_sojourn(stays: SojournStays, weights: np.ndarray | None = None) -> SojournFit:
    """Cause-specific Nelson–Aalen hazards on the sojourn clock, by block.

    Parameters
    ----------
    stays : SojournStays
        Stays on the sojourn clock.
    weights : ndarray, shape (R, n_journeys), optional
        Journey weights of each replicate (e.g. bootstrap counts); default one replicate
        of ones.

    Returns
    -------
    SojournFit
    """
    blk = stays.block
    ev = stays.to >= 0
    nb = stays.n_blocks
    big = float(max(stays.b.max() if len(stays.b) else 0.0, 0.0) + 10.0)
    key_ev = blk[ev] * big + stays.b[ev]
    grid_key = np.unique(key_ev)
    grid_block = np.floor(grid_key / big + 1e-9).astype(np.int64)
    grid_u = np.rint(grid_key - grid_block * big)
    g = len(grid_key)
    # cells: (grid point, destination)
    gi_ev = np.searchsorted(grid_key, key_ev)
    n_states = len(stays.pathway.states)
    cell_key, cell_of_ev = np.unique(gi_ev * n_states + stays.to[ev], return_inverse=True)
    cell_grid = cell_key // n_states
    cell_to = cell_key % n_states
    # risk set on the grid: +1 at the first grid point with u > a, -1 after the last with u <= b
    lo = np.searchsorted(grid_key, blk * big + stays.a, side="right")
    hi = np.searchsorted(grid_key, blk * big + stays.b, side="right")
    nj = stays.n_journeys
    keep = hi > lo
    rows = np.concatenate([stays.journey[keep], stays.journey[keep]])
    cols = np.concatenate([lo[keep], hi[keep]])
    vals = np.concatenate([np.ones(keep.sum()), -np.ones(keep.sum())])
    m_risk = sparse.csr_matrix((vals, (rows, cols)), shape=(nj, g + 1))
    m_ev = sparse.csr_matrix((np.ones(ev.sum()), (stays.journey[ev], cell_of_ev.reshape(-1))),
                             shape=(nj, len(cell_key)))
    if weights is None:
        w = np.ones((1, nj))
    else:
        w = np.asarray(weights, dtype=float)
        if w.ndim != 2 or w.shape[1] != nj:
            raise PaceError(f"weights must have shape (replicates, {nj}); got {w.shape}")
    n_risk = np.cumsum(np.asarray((m_risk.T @ w.T).T), axis=1)[:, :g]
    d = np.asarray((m_ev.T @ w.T).T)
    nt = stays.pathway.n_transient
    return SojournFit(nb, grid_block, grid_u, cell_grid, cell_to, n_risk, d,
                      np.zeros(nb), np.arange(nb) % nt)


def with_intervention(fit: SojournFit, state: int | Sequence[int], n_transient: int, *,
                      shift_days: float = 0.0, hazard_ratio: float = 1.0,
                      left_care: int | None = None) -> SojournFit:
    """Append, for each stratum, a copy of each of *state*'s blocks changed by an intervention.

    With ``states = [state]`` (or a sequence) and ``S`` strata, the copy of state
    ``states[j]`` in stratum ``g`` is block ``fit.n_blocks + j * S + g`` (see
    :class:`~pace_analysis.whatif.simulate.Switch`). Its sojourns are shortened by
    ``shift_days`` (with a floor: a sojourn is never made shorter than one day, or zero
    days when it was zero), and its hazards of moving along the pathway (every move but
    ``left_care``) are multiplied by ``hazard_ratio`` (the total hazard capped at 1 with
    the moves kept in proportion). Hazards of leaving care are kept.

    Returns
    -------
    SojournFit
        With ``n_blocks + len(states) * S`` blocks; the first ``n_blocks`` unchanged.
    """
    if hazard_ratio <= 0 or not np.isfinite(hazard_ratio):
        raise PaceError(f"the hazard ratio must be a positive number; got {hazard_ratio}")
    if shift_days < 0:
        raise PaceError(f"the shift must be zero or more days; got {shift_days}")
    states = [int(state)] if np.ndim(state) == 0 else [int(x) for x in state]
    strata = fit.n_blocks // n_transient
    out = fit
    for st in states:
        out = _copy_blocks(out, [g * n_transient + st for g in range(strata)], st,
                           shift_days, hazard_ratio, left_care)
    return out


def _copy_blocks(fit: SojournFit, src: list[int], state: int, shift_days: float,
                 hazard_ratio: float, left_care: int | None) -> SojournFit:
    """Append changed copies of blocks *src* as blocks ``fit.n_blocks + i``."""
    g_sel = np.flatnonzero(np.isin(fit.grid_block, src))
    new_block = fit.n_blocks + np.searchsorted(np.asarray(src), fit.grid_block[g_sel])
    c_sel = np.flatnonzero(np.isin(fit.cell_grid, g_sel))
    remap = np.full(len(fit.grid_u), -1)
    remap[g_sel] = len(fit.grid_u) + np.arange(len(g_sel))
    d_new = fit.d[:, c_sel].copy()
    if hazard_ratio != 1.0:
        progress = fit.cell_to[c_sel] != (left_care if left_care is not None else -1)
        d_new[:, progress] *= hazard_ratio
        # cap the total hazard at 1, moves kept in proportion
        tot = np.zeros((fit.d.shape[0], len(fit.grid_u)))
        np.add.at(tot.T, fit.cell_grid[c_sel], d_new.T)
        with np.errstate(divide="ignore", invalid="ignore"):
            over = np.where(tot > fit.n_risk, fit.n_risk / tot, 1.0)
        d_new *= over[:, fit.cell_grid[c_sel]]
    # new blocks come last, in order: grid stays sorted by block then day
    n_new = len(src)
    return replace(
        fit, n_blocks=fit.n_blocks + n_new,
        grid_block=np.concatenate([fit.grid_block, new_block]),
        grid_u=np.concatenate([fit.grid_u, fit.grid_u[g_sel]]),
        cell_grid=np.concatenate([fit.cell_grid, remap[fit.cell_grid[c_sel]]]),
        cell_to=np.concatenate([fit.cell_to, fit.cell_to[c_sel]]),
        n_risk=np.concatenate([fit.n_risk, fit.n_risk[:, g_sel]], axis=1),
        d=np.concatenate([fit.d, d_new], axis=1),
        shift=np.concatenate([fit.shift, np.full(n_new, float(shift_days))]),
        state_of_block=np.concatenate([fit.state_of_block, np.full(n_new, state)]))


@dataclass(frozen=True)
class MarkovFit:
    """Constant daily rates by block (the demand models' stock-and-flow baseline).

    Attributes
    ----------
    rate : ndarray, shape (n_blocks, n_states)
        Moves per day at risk, from each block to each state.
    """

    rate: np.ndarray
    n_blocks: int


def fit_markov(stays: SojournStays) -> MarkovFit:
    """Moves / days at risk for each block and destination (no time-in-state dependence)."""
    nb = stays.n_blocks
    s = len(stays.pathway.states)
    exposure = np.bincount(stays.block, weights=stays.b - stays.a, minlength=nb)
    ev = stays.to >= 0
    moves = np.zeros((nb, s))
    np.add.at(moves, (stays.block[ev], stays.to[ev]), 1.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        rate = np.where(exposure[:, None] > 0, moves / exposure[:, None], 0.0)
    return MarkovFit(rate, nb)
