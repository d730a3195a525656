"""Variance of the Aalen–Johansen cumulative incidence estimate.

Used by :func:`pace_analysis.competing.aalen_johansen`, which computes the per-time counts
and estimates that these functions take:

* ``_ij_variance``: the infinitesimal-jackknife variance of each CIF and of the waiting
  probability, as R's multi-state ``survfit`` reports (``std.err``); it allows late entry
  through ``_LateEntry``.
* ``_cuminc_variance``: the variance of each CIF as ``cmprsk::cuminc`` computes it (no late
  entry), with ``_greenwood`` for the waiting probability.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd


def _ij_variance(t, e, st, k, times, y, dk, d, da_k, da, surv, surv_m, cif, late):
    """Infinitesimal-jackknife variance of the CIFs and of the waiting probability.

    The influence of subject i on F_k(t) is A_i(t) - F_k(t) B_i(t) + C_i(t), with
    A = sum S(u-) a_ik(u), B = sum b(u) a_i(u), C = sum b(u) F_k(u) a_i(u),
    a_i(u) = (dN_i(u) - Y_i(u) dA(u)) / Y(u) and b = 1 / (1 - dA). The variance, the sum
    over subjects of the squared influence, is accumulated over event times from sums of
    products of these processes, each of which needs only per-time counts (and, with late
    entry, sums over the risk set of each subject's value at entry).
    """
    nt = len(times)
    if nt == 0:
        return np.zeros((0, k)), np.zeros(0)
    full = da >= 1.0
    if full[:-1].any():
        warnings.warn("all-state survival reaches 0 before the last event time (late entrants "
                      "afterwards); the IJ variance ignores their influence through S", stacklevel=3)
    b = np.where(full, 0.0, 1.0 / np.where(full, 1.0, 1.0 - da))

    helper = _LateEntry(t, e, st, k, times, d, dk) if late else None

    def pair(p, alpha, q, beta):
        # sum over subjects of X_i(t) Z_i(t); alpha/beta: state index, or None for "any"
        d_a = d if alpha is None else dk[:, alpha]
        d_b = d if beta is None else dk[:, beta]
        d_ab = d_a if alpha == beta else (dk[:, alpha] if beta is None else
                                          dk[:, beta] if alpha is None else np.zeros(nt))
        inc = p * q * (d_ab - d_a * d_b / y) / (y * y)
        if helper is not None:
            inc = inc + p * helper.cross(alpha, q, beta, y, d_a / y) \
                + q * helper.cross(beta, p, alpha, y, d_b / y)
        return np.cumsum(inc)

    m_bb = pair(b, None, b, None)
    svar = surv * surv * m_bb
    var = np.empty((nt, k))
    for j in range(k):
        f = cif[:, j]
        c = b * f
        m_aa = pair(surv_m, j, surv_m, j)
        m_cc = pair(c, None, c, None)
        m_ab = pair(surv_m, j, b, None)
        m_ac = pair(surv_m, j, c, None)
        m_bc = pair(b, None, c, None)
        var[:, j] = m_aa + f * f * m_bb + m_cc - 2 * f * m_ab + 2 * m_ac - 2 * f * m_bc
    return np.maximum(var, 0.0), np.maximum(svar, 0.0)


class _LateEntry:
    """Risk-set sums of each subject's accumulated process value at its entry time."""

    def __init__(self, t, e, st, k, times, d, dk):
        nt = len(times)
        # m: event times <= entry (at risk at t_j iff m <= j); c: event times <= time
        # (left the risk set before t_j iff c <= j; an event subject's own index is c - 1)
        m = np.searchsorted(times, e, side="right")
        c = np.searchsorted(times, t, side="right")
        key = (m * (nt + 1) + c) * (k + 1) + st
        ukey, cnt = np.unique(key, return_counts=True)
        self.st = ukey % (k + 1)
        mc = ukey // (k + 1)
        self.m, self.c = mc // (nt + 1), mc % (nt + 1)
        self.cnt = cnt.astype(float)
        self.k, self.nt, self.d, self.dk = k, nt, d, dk

    def cross(self, alpha, q, beta, y, da_alpha):
        """(1/Y)[sum over D^alpha of R(e_i) - dA^alpha * sum over the risk set of R(e_i)].

        R(s) = sum_{v <= s} q(v) dA^beta(v) / Y(v): a subject at risk at t has accumulated
        -(R(t-) - R(entry)) of the beta process; the R(t-) parts cancel.
        """
        nt, k = self.nt, self.k
        d_beta = self.d if beta is None else self.dk[:, beta]
        r = np.concatenate([[0.0], np.cumsum(q * d_beta / (y * y))])  # r[m] = R(t_{m-1})
        w = r[self.m] * self.cnt
        entered = np.cumsum(np.bincount(self.m, weights=w, minlength=nt + 1))[:nt]
        left = np.cumsum(np.bincount(self.c, weights=w, minlength=nt + 1))[:nt]
        sel = (self.st < k) if alpha is None else (self.st == alpha)
        ev = np.bincount(self.c[sel] - 1, weights=w[sel], minlength=nt)[:nt]
        return (ev - da_alpha * (entered - left)) / y


def _greenwood(surv: np.ndarray, d: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Greenwood's variance of the all-cause (still waiting) product-limit estimate."""
    with np.errstate(divide="ignore", invalid="ignore"):
        term = np.where(y > d, d / (y * (y - d)), 0.0)
    return surv**2 * np.cumsum(term)


def _cuminc_variance(dk, d, y, surv, surv_m, cif):
    """Variance of each CIF as computed by cmprsk's ``cinc`` (Gray), held between events."""
    nt, k = dk.shape
    if nt == 0:
        return np.zeros((0, k))
    fk, fkn = surv_m, surv
    safe = np.where(fkn > 0, fkn, 1.0)
    var = np.empty((nt, k))
    for j in range(k):
        f = cif[:, j]
        nd1 = dk[:, j]
        nd2 = d - nd1

        def tie(nd):
            with np.errstate(divide="ignore", invalid="ignore"):
                return np.where(nd > 1, 1.0 - (nd - 1.0) / (y - 1.0), 1.0)

        ok2 = (nd2 > 0) & (fkn > 0)
        t6 = np.where(ok2, fk * fk * tie(nd2) * nd2 / (y * y), 0.0)
        t3, t4 = 1.0 / safe, f / safe
        ok1 = nd1 > 0
        t6b = np.where(ok1, fk * fk * tie(nd1) * nd1 / (y * y), 0.0)
        t3b = np.where(fkn > 0, 1.0 / safe, 0.0)
        t4b = 1.0 + t3b * f
        v1 = np.cumsum(t4 * t4 * t6 + t4b * t4b * t6b)
        v2 = np.cumsum(t3 * t4 * t6 + t3b * t4b * t6b)
        v3 = np.cumsum(t3 * t3 * t6 + t3b * t3b * t6b)
        v = np.where(ok1, v1 + f * f * v3 - 2 * f * v2, np.nan)
        var[:, j] = pd.Series(v).ffill().fillna(0.0).to_numpy()
    return var
