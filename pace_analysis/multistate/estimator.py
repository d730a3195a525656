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
from scipy import sparse

from pace_analysis.errors import PaceError


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
    _inv: np.ndarray

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
        j = np.searchsorted(self.time, t, side="right")
        uj, back = np.unique(j, return_inverse=True)
        var = _occupancy_variance(self, uj, initial_variance)
        return np.sqrt(np.maximum(var, 0.0))[back.reshape(-1)][:, self._inv]

    def rmean_std_err(self, tau: Sequence[float] | float, *, initial_variance: bool = True
                      ) -> np.ndarray:
        """IJ standard error of the restricted mean time in each state, shape (len, S)."""
        taus = np.atleast_1d(np.asarray(tau, dtype=float))
        out = np.empty((len(taus), self.p0.shape[0]))
        for i, x in enumerate(taus):
            out[i] = np.sqrt(np.maximum(_rmean_variance(self, x, initial_variance), 0.0))
        return out[:, self._inv]


# Propagators are products of F = I + dA. Internally the states are permuted so that the
# r states with moves out come first; every other row of F is a row of the identity, so a
# propagator is held by its first r rows ("top form", shape (..., r, S)).


def _mul(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Product of two propagators in top form (x may also be a batch of row vectors)."""
    r = y.shape[-2]
    out = np.matmul(x[..., :r], y)
    out[..., r:] += x[..., r:]
    return out


def _rows(g: np.ndarray, j: np.ndarray, k: np.ndarray, scale: np.ndarray | None = None
          ) -> np.ndarray:
    """Full row k[i] of propagator g[j[i]] (top form, g of shape (T, r, S)): (N, S).

    Rows of states without moves out are ``e_k`` (times ``scale[i]`` when given).
    """
    r, s = g.shape[1:]
    out = np.zeros((len(k), s))
    top = k < r
    out[top] = g[j[top], k[top]]
    rest = np.flatnonzero(~top)
    out[rest, k[rest]] = 1.0 if scale is None else scale[rest]
    return out


def _prefix_products(f: np.ndarray) -> np.ndarray:
    """X[j] = f[0] f[1] ... f[j] (inclusive scan in log2(T) batched products; top form)."""
    x = f.copy()
    d = 1
    while d < len(x):
        x[d:] = _mul(x[:-d], x[d:])
        d *= 2
    return x


def _segmented_suffix_products(y: np.ndarray, end: np.ndarray) -> np.ndarray:
    """X[j] = y[j] y[j+1] ... y[end[j]] (end[j] >= j: the last index of j's segment)."""
    x = y.copy()
    j = np.arange(len(x))
    d = 1
    while d < len(x):
        i = j[j + d <= end]
        if not len(i):
            break
        x[i] = _mul(x[i], x[i + d])
        d *= 2
    return x


def _affine_suffix(a_mat: np.ndarray, a_vec: np.ndarray) -> np.ndarray:
    """G[j] = a_vec[j] + a_mat[j] @ G[j+1], G[T] = a_vec[T] (a_mat: (T+1, r, r))."""
    m = a_mat.copy()
    v = a_vec.copy()
    m[-1] = 0.0
    n = len(m)
    d = 1
    while d < n:
        # (m, v)[j] o (m, v)[j+d]: X -> v_j + m_j (v_{j+d} + m_{j+d} X)
        v[:n - d] = v[:n - d] + np.matmul(m[:n - d], v[d:])
        m[:n - d] = np.matmul(m[:n - d], m[d:])
        d *= 2
    return v


def _at_risk_sums(fit: MultiStateFit, g: np.ndarray, last: int) -> np.ndarray:
    """z[j, h] = sum_{u <= j} w_h(u) dA(u)[h, :] G(u), h among the r states with moves out.

    A stay at risk in h on ``[lo, hi]`` adds ``z[lo - 1, h] - z[hi, h]`` to its subject.
    """
    r, s = fit._da.shape[1:]
    wd = fit._w[:last, :r, None] * fit._da[:last]
    z = np.zeros((last + 1, r, s))
    z[1:] = _mul(wd, g[1:last + 1])
    np.cumsum(z, axis=0, out=z)
    return z


def _stays(fit: MultiStateFit, last: int):
    ok = (fit._ja <= last) & (fit._frm < fit._da.shape[1])
    return fit._ja[ok], fit._je[ok], fit._frm[ok], fit._to[ok], fit._sid[ok]


def _occupancy_variance(fit: MultiStateFit, jq: np.ndarray, initial_variance: bool
                        ) -> np.ndarray:
    """IJ variance of P(t_j) for each distinct sorted index j in *jq* (0 = before any move).

    Blocks ``(J_{q-1}, J_q]`` between the times asked for: within a block the propagator
    to its end is a segmented suffix product; a subject's influence at ``J_q`` is its
    influence at ``J_{q-1}`` carried by the block's product plus what its stays add in
    the block.
    """
    r, s = fit._da.shape[1:]
    nq = len(jq)
    last = int(jq[-1])
    if last == 0:
        u = fit._i0 if initial_variance else np.zeros((fit.n, s))
        return np.repeat(np.einsum("ij,ij->j", u, u)[None, :], nq, axis=0)
    eye = np.eye(r, s)
    f = fit._da[:last] + eye  # f[u - 1] = F(u), u = 1 .. last
    bounds = np.concatenate([[0], jq])
    block = np.searchsorted(jq, np.arange(last + 1), side="left")
    end = jq[np.minimum(block, nq - 1)]
    # y[j] = F(j + 1) inside a block, I at its end; sfx[j] = M(j, J_block(j))
    y = np.broadcast_to(eye, (last + 1, r, s)).copy()
    inner = np.flatnonzero(np.arange(last + 1) < end)
    y[inner] = f[inner]
    sfx = _segmented_suffix_products(y, end)
    first = bounds[:-1] + 1
    nonempty = jq > bounds[:-1]
    b = np.broadcast_to(eye, (nq, r, s)).copy()
    fi = first[nonempty]
    b[nonempty] = _mul(f[fi - 1], sfx[fi])
    z = _at_risk_sums(fit, sfx, last)
    ja, je, frm, to, sid = _stays(fit, last)
    hi_all = np.minimum(je, last)
    q0 = np.searchsorted(jq, ja, side="left")
    q1 = np.searchsorted(jq, hi_all, side="left")
    reps = q1 - q0 + 1
    v = np.repeat(np.arange(len(ja)), reps)
    q = np.repeat(q0, reps) + (np.arange(reps.sum()) - np.repeat(np.cumsum(reps) - reps, reps))
    lo = np.maximum(ja[v], bounds[q] + 1)
    hi = np.minimum(hi_all[v], jq[q])
    h = frm[v]
    contrib = z[lo - 1, h] - z[hi, h]
    ev = np.flatnonzero((to[v] >= 0) & (hi == je[v]))
    jb = hi[ev]
    w = fit._w[jb - 1, h[ev]]
    contrib[ev] += w[:, None] * (_rows(sfx, jb, to[v][ev]) - sfx[jb, h[ev]])
    keep = hi >= lo
    rows = sid[v][keep] * nq + q[keep]
    local = sparse.csr_matrix((np.ones(len(rows)), (rows, np.arange(len(rows)))),
                              shape=(fit.n * nq, len(rows))) @ contrib[keep]
    local = local.reshape(fit.n, nq, s)
    u = fit._i0.copy() if initial_variance else np.zeros((fit.n, s))
    out = np.empty((nq, s))
    for k in range(nq):
        u = _mul(u, b[k]) + local[:, k]
        out[k] = np.einsum("ij,ij->j", u, u)
    return out


def _rmean_variance(fit: MultiStateFit, tau: float, initial_variance: bool) -> np.ndarray:
    """IJ variance of the restricted mean time in each state on ``[0, tau]``."""
    r, s = fit._da.shape[1:]
    delta = _deltas(fit.time, tau)
    last = min(int(np.searchsorted(fit.time, tau, side="left")), len(fit.time))
    # G(j) = delta_j I + F(j + 1) G(j + 1), j = last .. 0; rows of states without moves
    # out are (time left) e_k, so only the top r rows need the scan
    left = np.cumsum(delta[:last + 1][::-1])[::-1]  # sum_{j' >= j} delta_j'
    nxt = np.concatenate([left[1:], [0.0]])
    fr = np.zeros((last + 1, r, s))
    fr[:last] = fit._da[:last] + np.eye(r, s)
    a_mat = fr[:, :, :r]
    a_vec = delta[:last + 1, None, None] * np.eye(r, s)
    a_vec[..., r:] += nxt[:, None, None] * fr[..., r:]
    g = _affine_suffix(a_mat, a_vec)
    u = np.zeros((fit.n, s))
    if last > 0:
        z = _at_risk_sums_rmean(fit, g, left, last)
        ja, je, frm, to, sid = _stays(fit, last)
        hi = np.minimum(je, last)
        contrib = z[ja - 1, frm] - z[hi, frm]
        ev = np.flatnonzero((to >= 0) & (je <= last))
        jb = je[ev]
        w = fit._w[jb - 1, frm[ev]]
        full = _rows(g, jb, to[ev], left[jb])
        contrib[ev] += w[:, None] * (full - g[jb, frm[ev]])
        u = sparse.csr_matrix((np.ones(len(sid)), (sid, np.arange(len(sid)))),
                              shape=(fit.n, len(sid))) @ contrib
    if initial_variance:
        u = u + fit._i0[:, :r] @ g[0]
        u[:, r:] += fit._i0[:, r:] * left[0]
    return np.einsum("ij,ij->j", u, u)


def _at_risk_sums_rmean(fit, g, left, last):
    """As :func:`_at_risk_sums` for the restricted-mean propagator (absorbing rows scaled)."""
    r, s = fit._da.shape[1:]
    wd = fit._w[:last, :r, None] * fit._da[:last]
    z = np.zeros((last + 1, r, s))
    z[1:] = np.matmul(wd[..., :r], g[1:last + 1])
    z[1:, :, r:] += wd[..., r:] * left[1:last + 1, None, None]
    np.cumsum(z, axis=0, out=z)
    return z


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

    # internally: states with moves out first, propagators in top form (see _mul)
    moves_out = n_event.sum(axis=(0, 2)) > 0
    perm = np.concatenate([np.flatnonzero(moves_out), np.flatnonzero(~moves_out)])
    inv = np.argsort(perm)
    r = int(moves_out.sum())
    da_p = da[:, perm][:, :, perm][:, :r]
    p0_p = p0[perm]
    if nt:
        pstate_p = np.matmul(p0_p[:r], _prefix_products(da_p + np.eye(r, s)))
        pstate_p[:, r:] += p0_p[r:]
    else:
        pstate_p = np.zeros((0, s))
    pstate = pstate_p[:, inv]
    before = np.vstack([p0_p[None, :], pstate_p[:-1]]) if nt else np.zeros((0, s))
    with np.errstate(divide="ignore", invalid="ignore"):
        w = np.where(n_risk[:, perm] > 0, before / n_risk[:, perm], 0.0)
    rank = inv  # position of each original state in the internal order
    frm, to = rank[frm], np.where(to >= 0, rank[np.maximum(to, 0)], -1)
    da, i0 = da_p, i0[:, perm]
    return MultiStateFit(
        time=time, n_risk=n_risk, n_event=n_event, pstate=pstate, p0=p0,
        n=int(sid.max() + 1) if len(sid) else 0, n_stays=int(keep.sum()),
        max_time=float(b.max()) if len(b) else float("nan"),
        _da=da, _w=w, _ja=ja[keep], _je=je[keep], _frm=frm[keep], _to=to[keep],
        _sid=sid[keep], _i0=i0, _inv=inv,
    )
