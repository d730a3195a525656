"""Inference for 32 councils: a wild cluster bootstrap, and randomisation over join dates.

**Wild cluster bootstrap.** Every estimate of :mod:`~pace_analysis.evaluation.estimator`
is linear in council-level contributions ψ_i (its influence function), so a bootstrap
replicate multiplies each council's contributions by one random weight ξ_i, the same for
every estimate: θ* − θ̂ = Σ_i ξ_i ψ_i (Callaway and Sant'Anna's multiplier bootstrap,
clustered at council level). Weights are Rademacher (±1) or Webb's six-point
distribution (±√(1/2), ±1, ±√(3/2)), which has more distinct values and suits a few
clusters better: a cell of three treated councils has only 2³ Rademacher sign patterns.
Each replicate also recomputes the standard error from its perturbed residuals, and the
interval uses the quantile of the studentised |t*| (the wild cluster bootstrap-t, which
behaves better than a normal interval with few clusters); an event study also gets a
uniform (sup-t) band, valid for all event times at once.

**Randomisation inference.** Under the sharp null that PACE changed nothing, the join
years are exchangeable labels: reassigning them to councils at random (keeping how many
councils joined in each year, and how many never did) and re-estimating gives the
null distribution of the overall effect. Exact for the sharp null whatever the number
of councils; it tests, it does not give an interval.

Both are deterministic given ``seed``.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from pace_analysis.errors import PaceError
from pace_analysis.evaluation.estimator import Estimates, GroupTime, att_gt

BOOTSTRAP_WEIGHTS = ("webb", "rademacher")
_WEBB = np.array([-np.sqrt(1.5), -1.0, -np.sqrt(0.5), np.sqrt(0.5), 1.0, np.sqrt(1.5)])


def multipliers(n_clusters: int, n_boot: int, kind: str = "webb", seed: int = 0) -> np.ndarray:
    """Bootstrap weights, replicates × clusters (mean 0, variance 1)."""
    if kind not in BOOTSTRAP_WEIGHTS:
        raise PaceError(f"bootstrap weights must be one of {', '.join(BOOTSTRAP_WEIGHTS)}, "
                        f"not {kind!r}")
    rng = np.random.default_rng(np.random.SeedSequence([seed, 14]))
    if kind == "rademacher":
        return rng.choice(np.array([-1.0, 1.0]), (n_boot, n_clusters))
    return rng.choice(_WEBB, (n_boot, n_clusters))


def wild_bootstrap(cells: GroupTime, est: Estimates | None = None, n_boot: int = 1999,
                   kind: str = "webb", seed: int = 0, level: float = 0.95) -> pd.DataFrame:
    """Standard errors, intervals and p-values by the wild cluster bootstrap-t.

    Each replicate perturbs every council's residual (its change minus its mean's) by
    the council's weight ξ_i, re-estimates every cell and aggregate (θ* − θ̂ = Σ ξ_i ψ_i)
    *and* its standard error from the perturbed residuals, and keeps
    t* = (θ* − θ̂) / se*. The interval is θ̂ ± q·se, q the ``level`` quantile of |t*| and
    se the influence-function (CR1) standard error. Studentising matters here: with a
    handful of control councils in a cell the standard error itself is uncertain, and
    |t*| then has heavier tails than a normal, widening the interval where it should.

    Parameters
    ----------
    cells : GroupTime
        The cells of :func:`~.estimator.att_gt`.
    est : Estimates, optional
        One of their aggregations (:meth:`~.estimator.GroupTime.aggregate`); the cells
        themselves when omitted.
    n_boot : int
    kind : {"webb", "rademacher"}
        Council-level multiplier weights.
    seed : int
    level : float
        Confidence level of intervals and band.

    Returns
    -------
    pandas.DataFrame
        ``est.table`` plus ``se``, ``ci_low``, ``ci_high``, ``p_value`` (share of |t*| at
        least the observed |t|), ``band_low``, ``band_high`` (uniform over the rows with
        a non-zero standard error: sup-t).
    """
    if not 0 < level < 1:
        raise PaceError(f"level must be between 0 and 1, not {level}")
    if n_boot < 99:
        raise PaceError(f"n_boot must be at least 99, not {n_boot}")
    est = cells if est is None else est
    psi = cells.influence                     # units × cells
    share_t, share_c = cells.shares()
    xi = multipliers(psi.shape[0], n_boot, kind, seed)
    mat = est.matrix                          # estimates × cells
    phi = est.influence                       # units × estimates
    theta = est.table["estimate"].to_numpy(dtype=float)
    se = np.sqrt((phi ** 2).sum(axis=0))
    dev = xi @ phi                            # replicates × estimates
    sum_t = xi @ (psi * cells.treated)        # replicates × cells: Σ_T ξ ψ per cell
    sum_c = xi @ (psi * cells.controls)
    se_star = np.empty_like(dev)
    for k in range(mat.shape[0]):
        m = mat[k]
        if not m.any():
            se_star[:, k] = 0.0
            continue
        # ψ*_i = ξ_i φ_i − Σ_c m_c (share_t_ic Σ_T ξψ_c + share_c_ic Σ_C ξψ_c)
        star = xi * phi[:, k][None, :] - (sum_t * m) @ share_t.T - (sum_c * m) @ share_c.T
        se_star[:, k] = np.sqrt((star ** 2).sum(axis=1))
    live = se > 0
    tstar = np.zeros_like(dev)
    np.divide(np.abs(dev), se_star, out=tstar, where=se_star > 0)
    q = np.where(live, np.quantile(tstar, level, axis=0), 0.0)
    t_obs = np.divide(np.abs(theta), se, out=np.full_like(se, np.inf), where=live)
    p = (tstar >= t_obs[None, :]).mean(axis=0)
    crit = np.nan
    if live.any():
        crit = float(np.quantile(tstar[:, live].max(axis=1), level))
    out = est.table.copy()
    out["se"] = se
    out["ci_low"], out["ci_high"] = theta - q * se, theta + q * se
    out["p_value"] = np.where(live, p, np.nan)
    out["band_low"], out["band_high"] = theta - crit * se, theta + crit * se
    return out


def randomisation_test(wide: pd.DataFrame, joins: Mapping[str, int | None],
                       weights: Mapping[str, float] | None = None, anticipation: int = 0,
                       window: tuple[int, int] = (-5, 5), n_perm: int = 999,
                       seed: int = 0) -> dict:
    """Randomisation p-value of the overall effect, permuting join years across councils.

    Returns
    -------
    dict
        ``estimate`` (observed overall effect), ``p_value`` (two-sided, counting the
        observed assignment), ``n_perm`` and ``null`` (the permuted estimates).
    """
    units = list(wide.index)
    labels = [joins.get(u) for u in units]

    def overall(assign: Mapping[str, int | None]) -> float:
        try:
            gt = att_gt(wide, assign, weights, anticipation=anticipation)
            return float(gt.aggregate("overall", window).table["estimate"].iloc[0])
        except PaceError:
            return np.nan

    observed = overall(dict(zip(units, labels, strict=True)))
    rng = np.random.default_rng(np.random.SeedSequence([seed, 1414]))
    null = np.array([overall(dict(zip(units, [labels[k] for k in rng.permutation(len(units))],
                                      strict=True)))
                     for _ in range(n_perm)])
    null = null[~np.isnan(null)]
    p = (1 + np.sum(np.abs(null) >= abs(observed) - 1e-12)) / (1 + null.size)
    return {"estimate": observed, "p_value": float(p), "n_perm": int(null.size), "null": null}
