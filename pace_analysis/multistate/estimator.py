"""Exact, tie-aware Aalen–Johansen state occupancy with late entry, and its IJ variance.

Input is multi-state data in counting-process form: one row per stay, at risk in state
``from`` on ``(tstart, tstop]``, ending in a move to ``to`` at ``tstop`` (or censored).
At each distinct time ``t`` with a move, all moves at ``t`` are counted together (no
jitter): ``dA_hk(t) = d_hk(t) / n_h(t)`` with ``n_h(t)`` the stays in ``h`` at risk at ``t``
(``tstart < t <= tstop``: a late entrant counts from its entry), and
``P(t) = P(t-) (I + dA(t))``. Before the first move ``P = p0``, the distribution of
states among those at risk at the first move time. This is R's multi-state ``survfit``
(``survfit(Surv(tstart, tstop, to) ~ 1, id = id, istate = from)``), and matched to it.

Variance: the infinitesimal jackknife (IJ), clustered by subject. The influence of
subject ``i`` on ``P(t)`` is ``U_i(t) = U_i(t-) (I + dA(t)) + P(t-) dA_i(t)`` with
``dA_i`` the influence on the hazards, ``(dN_i - Y_i dA) / n``, and ``U_i(0)`` the
influence on ``p0``. It is computed *backwards* from each time asked for: with
``G(j) = prod_{u > j} (I + dA(u))`` (or its weighted sum over times, for the restricted
mean), a subject's influence is a sum over its stays of differences of one cumulative
sum, so the work is linear in the number of stays for each time asked for, and the
``n x T`` influence matrix is never formed. ``initial_variance=True`` (default) includes
the influence on ``p0``, as R's ``survfit(..., influence = TRUE)`` reports ``std.err``;
R's default (``influence = FALSE``) leaves it out, which ``initial_variance=False``
reproduces.

Restricted mean time in state ``h`` within ``tau``: ``integral_0^tau P_h(t) dt`` (a step
integral from time 0, ``p0`` before the first move), with the IJ standard error, as R's
``summary(fit, rmean = tau)$table`` (``rmean``, ``se(rmean)``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from pace_analysis.errors import PaceError

#: Largest number of (stay x time x state) values held at once by the variance code.
_CHUNK_VALUES = 4_000_000


@dataclass(frozen=True)
class MultiStateFit:
    """Aalen–Johansen fit of one group.

    Attributes
    ----------
    time : ndarray, shape (T,)
        Distinct times with at least one move.
    n_risk : ndarray, shape (T, S)
        Stays at risk in each state at each time.
    n_event : ndarray, shape (T, S, S)
        Moves ``from -> to`` at each time.
    pstate : ndarray, shape (T, S)
        Probability of being in each state just after each time.
    p0 : ndarray, shape (S,)
        State distribution before the first move.
    n : int
        Subjects (ids). ``n_stays``: rows.
    max_time : float
        Last ``tstop``.
    """

    time: np.ndarray
    n_risk: np.ndarray
    n_event: np.ndarray
    pstate: np.ndarray
    p0: np.ndarray
    n: int
    n_stays: int
    max_time: float
    # internals for the variance
    _da: np.ndarray
    _w: np.ndarray
    _ja: np.ndarray
    _je: np.ndarray
    _frm: np.ndarray
    _to: np.ndarray
    _sid: np.ndarray
    _i0: np.ndarray

    def pstate_at(self, times: Sequence[float] | np.ndarray) -> np.ndarray:
        """P(state at t) for each t (a right-continuous step function), shape (len, S)."""
        t = np.atleast_1d(np.asarray(times, dtype=float))
        j = np.searchsorted(self.time, t, side="right")
        full = np.vstack([self.p0[None, :], self.pstate])
        return full[j]

    def rmean(self, tau: float) -> np.ndarray:
        """Restricted mean time in each state on ``[0, tau]``, shape (S,)."""
        delta = _deltas(self.time, float(tau))
        full = np.vstack([self.p0[None, :], self.pstate])
        return delta @ full

    def std_err(self, times: Sequence[float] | np.ndarray, *, initial_variance: bool = True
                ) -> np.ndarray:
        """IJ standard error of P(state at t) for each t, shape (len, S)."""
        t = np.atleast_1d(np.asarray(times, dtype=float))
        nt = len(self.time)
        j = np.searchsorted(self.time, t, side="right")
        c = np.zeros((len(t), nt + 1))
        c[np.arange(len(t)), j] = 1.0
        return np.sqrt(self._variance(c, initial_variance))

    def rmean_std_err(self, tau: Sequence[float] | float, *, initial_variance: bool = True
                      ) -> np.ndarray:
        """IJ standard error of the restricted mean time in each state, shape (len, S)."""
        taus = np.atleast_1d(np.asarray(tau, dtype=float))
        c = np.vstack([_deltas(self.time, x) for x in taus])
        return np.sqrt(self._variance(c, initial_variance))

    def _variance(self, c: np.ndarray, initial_variance: bool) -> np.ndarray:
        """Variance of sum_j c[:, j] P(j) for each row of c (j = 0 is p0)."""
        nq = c.shape[0]
        s = self.p0.shape[0]
        out = np.empty((nq, s))
        step = max(1, _CHUNK_VALUES // max(1, (self.n_stays + len(self.time)) * s * s))
        for lo in range(0, nq, step):
            out[lo:lo + step] = self._variance_chunk(c[lo:lo + step], initial_variance)
        return out

    def _variance_chunk(self, c: np.ndarray, initial_variance: bool) -> np.ndarray:
        nq, s = c.shape[0], self.p0.shape[0]
        nt = len(self.time)
        eye = np.eye(s)
        # G[j] = c_j I + F(j+1) G[j+1], j = nt .. 0 (F(j) = I + dA(j), times 1-based)
        g = np.empty((nt + 1, nq, s, s))
        g[nt] = c[:, nt, None, None] * eye
        for j in range(nt, 0, -1):
            g[j - 1] = g[j] + np.matmul(self._da[j - 1], g[j])
            g[j - 1] += c[:, j - 1, None, None] * eye
        # q[j, h] = w_h(j) * dA(j)[h, :] @ G(j): what one subject at risk in h adds at j
        wd = self._w[:, :, None] * self._da  # (nt, S, S)
        q = np.einsum("jhk,jqkl->jhql", wd, g[1:], optimize=True)
        z = np.concatenate([np.zeros((1, s, nq, s)), np.cumsum(q, axis=0)])
        frm, to = self._frm, self._to
        infl = -(z[self._je, frm] - z[self._ja - 1, frm])  # (V, nq, S)
        ev = to >= 0
        jb = self._je[ev]
        w = self._w[jb - 1, frm[ev]]
        infl[ev] += w[:, None, None] * (g[jb, :, to[ev], :] - g[jb, :, frm[ev], :])
        n_id = int(self._sid.max()) + 1 if len(self._sid) else 0
        u = np.zeros((n_id, nq, s))
        np.add.at(u, self._sid, infl)
        if initial_variance:
            u += np.einsum("ih,qhl->iql", self._i0, g[0])
        return np.einsum("iql,iql->ql", u, u)


def _deltas(time: np.ndarray, tau: float) -> np.ndarray:
    """Weights of p0, P(t_1), ..., P(t_T) in the step integral of P over [0, tau]."""
    if not np.isfinite(tau) or tau < 0:
        raise PaceError(f"the horizon tau must be a finite number >= 0; got {tau}")
    edges = np.concatenate([[0.0], time, [np.inf]])
    lo = np.minimum(edges[:-1], tau)
    hi = np.minimum(edges[1:], tau)
    return np.maximum(hi - np.maximum(lo, 0.0), 0.0)


def fit_multistate(
    tstart: Sequence[float] | np.ndarray,
    tstop: Sequence[float] | np.ndarray,
    from_state: Sequence[int] | np.ndarray,
    to_state: Sequence[int] | np.ndarray,
    subject: Sequence | np.ndarray,
    n_states: int,
) -> MultiStateFit:
    """Aalen–Johansen state occupancy from counting-process multi-state data.

    Parameters
    ----------
    tstart, tstop : array-like of float
        Each stay is at risk on ``(tstart, tstop]``; ``tstart < tstop``.
    from_state : array-like of int
        State of the stay, ``0 .. n_states - 1``.
    to_state : array-like of int
        State entered at ``tstop``, or ``-1`` for censoring.
    subject : array-like
        Subject (cluster) of each stay, for the variance; stays of one subject must not
        overlap.
    n_states : int
        Number of states.

    Returns
    -------
    MultiStateFit

    Raises
    ------
    PaceError
        Mismatched lengths, missing values, ``tstart >= tstop``, a state out of range or a
        move to the state the stay is in.
    """
    a = np.asarray(tstart, dtype=float)
    b = np.asarray(tstop, dtype=float)
    frm = np.asarray(from_state, dtype=np.int64)
    to = np.asarray(to_state, dtype=np.int64)
    subj = np.asarray(subject)
    if not (a.shape == b.shape == frm.shape == to.shape == subj.shape) or a.ndim != 1:
        raise PaceError("tstart, tstop, from_state, to_state and subject must be 1-d of one length")
    if np.isnan(a).any() or np.isnan(b).any():
        raise PaceError("tstart and tstop must not be missing")
    if (a >= b).any():
        raise PaceError(f"{int((a >= b).sum())} stay(s) have tstart >= tstop")
    s = int(n_states)
    if len(frm) and (frm.min() < 0 or frm.max() >= s or to.max() >= s or to.min() < -1):
        raise PaceError(f"states must be 0 .. {s - 1} (to_state -1 for censoring)")
    if (frm == to).any():
        raise PaceError("a stay cannot end in a move to its own state")
    sid = np.unique(subj, return_inverse=True)[1].reshape(-1) if len(subj) else \
        np.zeros(0, dtype=np.int64)
    ev = to >= 0
    time = np.unique(b[ev])
    nt = len(time)
    # event-time indices (1-based): at risk at t_j for ja <= j <= je
    ja = np.searchsorted(time, a, side="right") + 1
    je = np.searchsorted(time, b, side="right")
    keep = je >= ja  # stays with no move time inside are never at risk at a move
    diff = np.zeros((nt + 2) * s)
    np.add.at(diff, ja[keep] * s + frm[keep], 1.0)
    np.add.at(diff, (je[keep] + 1) * s + frm[keep], -1.0)
    n_risk = np.cumsum(diff.reshape(nt + 2, s), axis=0)[1:nt + 1]
    d = np.bincount(((je[ev] - 1) * s + frm[ev]) * s + to[ev], minlength=nt * s * s)
    n_event = d.reshape(nt, s, s).astype(float)
    with np.errstate(divide="ignore", invalid="ignore"):
        da = np.where(n_risk[:, :, None] > 0, n_event / n_risk[:, :, None], 0.0)
    idx = np.arange(s)
    da[:, idx, idx] = -da.sum(axis=2)

    # p0: the states of those at risk at the first move time (R: entry < t0 <= stop)
    t0 = time[0] if nt else (b.max() if len(b) else 0.0)
    at0 = (a < t0) & (b >= t0)
    n0 = int(at0.sum())
    p0 = np.bincount(frm[at0], minlength=s) / n0 if n0 else np.zeros(s)
    i0 = np.zeros((sid.max() + 1 if len(sid) else 0, s))
    if n0 and (p0 < 1).all():
        i0[sid[at0]] = (np.eye(s)[frm[at0]] - p0) / n0

    pstate = np.empty((nt, s))
    p = p0.copy()
    w = np.zeros((nt, s))
    for j in range(nt):
        with np.errstate(divide="ignore", invalid="ignore"):
            w[j] = np.where(n_risk[j] > 0, p / n_risk[j], 0.0)
        p = p + p @ da[j]
        pstate[j] = p
    return MultiStateFit(
        time=time, n_risk=n_risk, n_event=n_event, pstate=pstate, p0=p0,
        n=int(sid.max() + 1) if len(sid) else 0, n_stays=int(keep.sum()),
        max_time=float(b.max()) if len(b) else float("nan"),
        _da=da, _w=w, _ja=ja[keep], _je=je[keep], _frm=frm[keep], _to=to[keep],
        _sid=sid[keep], _i0=i0,
    )
