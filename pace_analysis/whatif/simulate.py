"""Vectorised microsimulation of the care pathway (semi-Markov, or the Markov baseline).

Every child is simulated from the state it is in: a sojourn time is drawn from the
state's sojourn distribution *conditional on the time already spent in it* (a child
part-way through a stage at the start date draws its residual time; a child entering
a state draws from the start), then the move at the end of the sojourn is drawn from
the cause-specific hazards at that sojourn day (competing exits kept). Moves only go
forward along the pathway, so every child is absorbed, or left "still waiting" when
its draw falls beyond the longest stay seen in the data, within ``n_transient`` rounds;
each round handles all children of all replicates at once with one ``searchsorted``.

Draws are inverse-CDF from uniforms fixed per (child, state) (common random numbers):
two runs that share the uniforms differ only where their models differ, so a time
shift moves each child's path earlier and never changes its route.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from pace_analysis.whatif.hazards import MarkovFit, SojournFit


@dataclass(frozen=True)
class Paths:
    """Simulated paths.

    Attributes
    ----------
    outcome : ndarray of int, shape (N,)
        Absorbing state reached, or ``-1``: still waiting beyond the data's longest stay.
    end_day : ndarray of float, shape (N,)
        Day (since becoming looked after) the outcome was reached (``inf`` if never).
    entered : ndarray of float, shape (N, n_stages)
        Day each stage (transient state, or group of states split by plan) was entered
        (NaN if not visited; the first state's day is its entry day as given).
    entered_state : ndarray of int, shape (N, n_stages)
        Which state of each stage was entered (``-1`` if none).
    """

    outcome: np.ndarray
    end_day: np.ndarray
    entered: np.ndarray
    entered_state: np.ndarray | None = None

    def state_at(self, day: float, n_stages: int) -> np.ndarray:
        """Stage of each child on *day* (after that day's moves), or the outcome reached
        (its state code); ``-2`` if not yet started."""
        ent = np.where(self.entered <= day, np.arange(n_stages)[None, :], -2)
        st = ent.max(axis=1)
        done = self.end_day <= day
        return np.where(done, self.outcome, st)


@dataclass
class Start:
    """Where each simulated child starts.

    Attributes
    ----------
    rep : ndarray of int
        Replicate of the fit each child uses (``0`` for a fit of one replicate).
    state, stratum : ndarray of int
        Transient state and hazard stratum.
    elapsed : ndarray of float
        Time already spent in the state: the sojourn is drawn conditional on exceeding it
        (``-1`` for a child entering its first state on day 0, ``0`` at a milestone).
    entry_day : ndarray of float
        Day (since becoming looked after) the state was entered.
    la_offset : ndarray of float
        Day the child became looked after, counted from the projection's start.
    block : ndarray of int, optional
        Hazard block to start in where ``>= 0`` (an intervention's changed block);
        default ``stratum * n_transient + state``.
    """

    rep: np.ndarray
    state: np.ndarray
    stratum: np.ndarray
    elapsed: np.ndarray
    entry_day: np.ndarray
    la_offset: np.ndarray
    block: np.ndarray | None = None

    def __len__(self) -> int:
        return len(self.state)


@dataclass(frozen=True)
class Switch:
    """An intervention: children entering ``states[j]`` on or after *from_offset* (days
    since the projection's start) use block ``first_block + j * n_strata + stratum``
    (the copies :func:`~pace_analysis.whatif.hazards.with_intervention` appends)."""

    states: tuple[int, ...]
    from_offset: float
    first_block: int
    n_strata: int = 1


def _search(a: np.ndarray, q: np.ndarray, side: str) -> np.ndarray:
    """``np.searchsorted(a, q, side)``, with the queries sorted first (cache-friendly:
    several times faster for many queries into a long array)."""
    if len(q) < 4096:
        return np.searchsorted(a, q, side=side)
    order = np.argsort(q)
    out = np.empty(len(q), dtype=np.int64)
    out[order] = np.searchsorted(a, q[order], side=side)
    return out


class _Semi:
    """Sojourn and cause draws from a :class:`SojournFit` (all replicates at once)."""

    def __init__(self, fit: SojournFit):
        self.fit = fit
        r, g = fit.n_risk.shape
        self.r, self.g = r, g
        s = fit.survival()
        self.s = s.ravel()
        nb = fit.n_blocks
        self.nb = nb
        rep_block = np.arange(r)[:, None] * nb + fit.grid_block[None, :]
        self.skey = (rep_block * 2.0 + (1.0 - s)).ravel()
        self.big = float(fit.grid_u.max() + 10.0) if g else 10.0
        self.ukey = fit.grid_block * self.big + fit.grid_u
        dcum = np.cumsum(fit.d, axis=1)
        self.big2 = float(dcum[:, -1].max() + 1.0) if dcum.size else 1.0
        self.c = fit.d.shape[1]
        # cumulative moves over the cells, offset by replicate: increasing across rows
        self.dkey = (dcum + np.arange(r)[:, None] * self.big2).ravel()
        self.cs = np.searchsorted(fit.cell_grid, np.arange(g), side="left")
        self.ce = np.searchsorted(fit.cell_grid, np.arange(g), side="right")
        self.max_cells = int((self.ce - self.cs).max()) if g else 0

    def draw(self, rep, block, elapsed, u1, u2):
        fit = self.fit
        rep = rep if self.r > 1 else np.zeros_like(rep)
        # survival at the time already spent (small array: plain binary search)
        gi = np.searchsorted(self.ukey, block * self.big + elapsed, side="right") - 1
        gi0 = np.maximum(gi, 0)
        ok = (gi >= 0) & (fit.grid_block[gi0] == block)
        s_e = np.where(ok, self.s[rep * self.g + gi0], 1.0)
        target = s_e * u1
        pos = _search(self.skey, (rep * self.nb + block) * 2.0 + (1.0 - target), "left")
        g = pos - rep * self.g
        found = (g < self.g) & (fit.grid_block[np.minimum(g, self.g - 1)] == block)
        g = np.where(found, g, 0)
        if not self.c:
            return np.full(len(rep), np.inf), np.full(len(rep), -1)
        # the move: first cell of grid point g whose cumulative count exceeds the draw
        cs, ce = self.cs[g], self.ce[g]
        row = rep * self.c
        lo = np.where(cs > 0, self.dkey[row + np.maximum(cs - 1, 0)], rep * self.big2)
        hi = self.dkey[row + ce - 1]
        q = lo + u2 * (hi - lo)
        cell = cs.copy()
        last = ce - 1
        for j in range(self.max_cells - 1):
            k = np.minimum(cs + j, last)
            cell += (cs + j < last) & (self.dkey[row + k] <= q)
        u = fit.grid_u[g]
        u = np.maximum(u - fit.shift[block], np.minimum(u, 1.0))
        return np.where(found, u, np.inf), np.where(found, fit.cell_to[cell], -1)


class _Markov:
    """Geometric daily sojourns from constant rates (memoryless: time spent is ignored)."""

    def __init__(self, fit: MarkovFit):
        self.rate = fit.rate
        self.total = fit.rate.sum(axis=1)
        self.q = 1.0 - np.exp(-self.total)
        with np.errstate(divide="ignore", invalid="ignore"):
            self.share = np.cumsum(np.where(self.total[:, None] > 0,
                                            fit.rate / self.total[:, None], 0.0), axis=1)

    def draw(self, rep, block, elapsed, u1, u2):
        q = self.q[block]
        with np.errstate(divide="ignore", invalid="ignore"):
            days = np.ceil(np.log(u1) / np.log1p(-q))
        days = np.where(q > 0, np.maximum(days, 1.0), np.inf)
        u = np.where(elapsed < 0, days - 1.0, np.maximum(elapsed, 0.0) + days)
        to = (u2[:, None] > self.share[block]).sum(axis=1)
        to = np.minimum(to, self.share.shape[1] - 1)
        return u, np.where(np.isfinite(u), to, -1)


def simulate(model: SojournFit | MarkovFit, start: Start, uniforms: np.ndarray,
             n_transient: int, switch: Switch | None = None,
             stage_of_state: np.ndarray | None = None) -> Paths:
    """Simulate every child from its start to absorption.

    Parameters
    ----------
    model : SojournFit or MarkovFit
        Semi-Markov sojourn hazards (one or many replicates) or the Markov baseline.
    start : Start
        Where each child starts.
    uniforms : ndarray, shape (N, n_stages, 2)
        Uniforms in (0, 1) for each child and stage: the sojourn, then the move.
    n_transient : int
        Number of transient states.
    switch : Switch, optional
        Intervention: which children use the changed block.
    stage_of_state : ndarray of int, optional
        Stage (column of *uniforms*) of each transient state; default the state itself.
        States split by plan share their stage's uniforms (common random numbers).

    Returns
    -------
    Paths
    """
    drawer = _Semi(model) if isinstance(model, SojournFit) else _Markov(model)
    n = len(start)
    outcome = np.full(n, -1, dtype=np.int64)
    end_day = np.full(n, np.inf)
    stage = np.arange(n_transient) if stage_of_state is None else np.asarray(stage_of_state)
    entered = np.full((n, int(stage.max()) + 1), np.nan)
    idx = np.arange(n)
    state = start.state.astype(np.int64)
    entered[idx, stage[state]] = start.entry_day
    entered_state = np.full(entered.shape, -1, dtype=np.int16)
    entered_state[idx, stage[state]] = state
    block = start.stratum * n_transient + state
    if start.block is not None:
        block = np.where(start.block >= 0, start.block, block)
    elapsed = start.elapsed.astype(float)
    day0 = start.entry_day.astype(float)
    rep = start.rep.astype(np.int64)
    stratum = start.stratum.astype(np.int64)
    la = start.la_offset.astype(float)
    jmap = np.full(n_transient, -1, dtype=np.int64)  # changed state -> its copy's index
    if switch is not None:
        jmap[list(switch.states)] = np.arange(len(switch.states))
    for _ in range(n_transient + 1):
        if not len(idx):
            break
        col = stage[state]
        u, to = drawer.draw(rep, block, elapsed, uniforms[idx, col, 0], uniforms[idx, col, 1])
        day = day0 + u
        stuck = to < 0
        absorbed = ~stuck & (to >= n_transient)
        outcome[idx[absorbed]] = to[absorbed]
        end_day[idx[absorbed]] = day[absorbed]
        move = ~stuck & ~absorbed
        idx, to, day = idx[move], to[move], day[move]
        rep, stratum, la = rep[move], stratum[move], la[move]
        entered[idx, stage[to]] = day
        entered_state[idx, stage[to]] = to
        state = to
        block = stratum * n_transient + to
        if switch is not None:
            j = jmap[to]
            on = (j >= 0) & (la + day >= switch.from_offset)
            block = np.where(on, switch.first_block + j * switch.n_strata + stratum, block)
        elapsed = np.zeros(len(idx))
        day0 = day
    return Paths(outcome, end_day, entered, entered_state)


def rerun_from_stage(base: Paths, model: SojournFit, start: Start, uniforms: np.ndarray,
                     n_transient: int, switch: Switch, stage: int,
                     stage_of_state: np.ndarray | None = None) -> Paths:
    """The paths of ``simulate(model, switched start, uniforms, ..., switch)``, re-simulating
    only the children the change reaches.

    With common random numbers a child's path is the baseline's until it enters a changed
    state (of *stage*) on or after ``switch.from_offset``; only those children are
    simulated again, from that entry, in the changed block. Equal, child by child, to
    simulating everyone again (tested), for a fraction of the work.
    """
    sos = np.arange(n_transient) if stage_of_state is None else np.asarray(stage_of_state)
    ent = base.entered[:, stage]
    est = base.entered_state[:, stage].astype(np.int64)
    hit = ~np.isnan(ent) & (start.la_offset + np.nan_to_num(ent, nan=-1e12)
                            >= switch.from_offset) & np.isin(est, switch.states)
    out = Paths(base.outcome.copy(), base.end_day.copy(), base.entered.copy(),
                base.entered_state.copy())
    if not hit.any():
        return out
    h = np.flatnonzero(hit)
    order = np.argsort(switch.states)
    j = order[np.searchsorted(np.asarray(switch.states)[order], est[h])]
    first = sos[start.state[h]] == stage  # began in the stage: keep its time already spent
    re = Start(start.rep[h], est[h], start.stratum[h],
               np.where(first, start.elapsed[h], 0.0), ent[h], start.la_offset[h],
               switch.first_block + j * switch.n_strata + start.stratum[h])
    p = simulate(model, re, uniforms[h], n_transient, switch, stage_of_state)
    out.outcome[h] = p.outcome
    out.end_day[h] = p.end_day
    out.entered[h, stage:] = p.entered[:, stage:]
    out.entered_state[h, stage:] = p.entered_state[:, stage:]
    return out
