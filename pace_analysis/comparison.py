"""Comparing time to any legal permanence between groups, as tidy tables.

* :func:`logrank_test` — multi-group log-rank test (R ``survdiff``).
* :func:`trend_test` — log-rank test for trend over ordered groups, scores 1..k.
* :func:`pairwise_logrank` — every pair of groups, p-values Holm-adjusted
  (R ``p.adjust(method = "holm")``).
* :func:`cox_model` — Cox proportional hazards with Efron ties (R ``coxph``), own
  Newton–Raphson so that late entry, day-0 events and R's risk sets are exact.
* :func:`proportional_hazards_check` — R's ``cox.zph`` (survival >= 3.0) score test for
  time-varying coefficients, transforms ``"km"``, ``"rank"``, ``"identity"``.

All take the analysis frame (:func:`pace_analysis.cohort.build_frame`); exits without
permanence are censored. Risk sets with late entry are ``entry_days < t <= time_days``
(``entry_days == 0``: at risk from time 0 inclusive), as in :mod:`pace_analysis.survival`.
Groups with no journeys are left out of every test (as R drops unused factor levels).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from itertools import combinations

import numpy as np
import pandas as pd
from scipy import stats

from pace_analysis.errors import PaceError
from pace_analysis.survival import group_codes, km_arrays, validate_frame

DEFAULT_COVARIATES: tuple[str, ...] = ("age_group", "authority", "sex", "legal_basis")


def _entry_eff(entry: np.ndarray) -> np.ndarray:
    """Entry times with 'entered before time 0' for entry_days == 0 (day-0 events at risk)."""
    return np.where(entry > 0, entry, -np.inf)


class _RiskSets:
    """Sums over the risk sets {entry < t <= stop} at sorted distinct times ``t``, in O(n).

    A row is at risk at t_i for i < pos_stop (stop >= t_i) minus i < pos_entry (entry >= t_i);
    row values are binned by those positions and summed from the tail.
    """

    def __init__(self, entry: np.ndarray, stop: np.ndarray, t: np.ndarray):
        self.n_t = len(t)
        self.pos_stop = np.searchsorted(t, stop, side="right")
        self.late = np.flatnonzero(np.isfinite(entry))
        self.pos_entry = np.searchsorted(t, entry[self.late], side="right")

    def _tail(self, pos: np.ndarray, values: np.ndarray) -> np.ndarray:
        binned = np.column_stack([np.bincount(pos, weights=values[:, j], minlength=self.n_t + 1)
                                  for j in range(values.shape[1])])
        return np.cumsum(binned[::-1], axis=0)[::-1][1:]

    def sum(self, values: np.ndarray) -> np.ndarray:
        values = values.reshape(len(self.pos_stop), -1)
        out = self._tail(self.pos_stop, values)
        if len(self.late):
            out -= self._tail(self.pos_entry, values[self.late])
        return out


def _prepare(frame: pd.DataFrame, by: str) -> tuple[pd.DataFrame, list[str], np.ndarray]:
    """Validated frame restricted to non-empty groups, the group labels and integer codes."""
    if not isinstance(by, str):
        raise PaceError("by must name one column of the analysis frame")
    frame = validate_frame(frame, by)
    labels, codes = group_codes(frame, by)
    counts = np.bincount(codes, minlength=len(labels))
    remap = np.cumsum(counts > 0) - 1
    return frame, [lab for lab, c in zip(labels, counts, strict=True) if c], remap[codes]


def _obs_exp_var(frame: pd.DataFrame, codes: np.ndarray, k: int):
    """Observed and expected events per group and survdiff's variance matrix."""
    entry = _entry_eff(frame["entry_days"].to_numpy())
    stop = frame["time_days"].to_numpy()
    event = frame["event_observed"].to_numpy()
    t = np.unique(stop[event])
    if len(t) == 0:
        raise PaceError("no journey reached permanence: the log-rank test is undefined")
    risk = _RiskSets(entry, stop, t)
    n_g = np.column_stack([  # T x k at risk
        np.cumsum(np.bincount(risk.pos_stop[codes == g], minlength=len(t) + 1)[::-1])[::-1][1:]
        - np.cumsum(np.bincount(risk.pos_entry[codes[risk.late] == g],
                                minlength=len(t) + 1)[::-1])[::-1][1:]
        for g in range(k)]).astype(float)
    d_g = np.zeros((len(t), k))
    ti = np.searchsorted(t, stop[event])
    np.add.at(d_g, (ti, codes[event]), 1.0)
    n, d = n_g.sum(axis=1), d_g.sum(axis=1)
    obs = d_g.sum(axis=0)
    exp = (d[:, None] * n_g / n[:, None]).sum(axis=0)
    with np.errstate(divide="ignore", invalid="ignore"):
        c = np.where(n > 1, d * (n - d) / (n**2 * (n - 1)), 0.0)
    var = np.diag((c * n) @ n_g) - (n_g * c[:, None]).T @ n_g
    return obs, exp, var


def _chisq(obs: np.ndarray, exp: np.ndarray, var: np.ndarray) -> tuple[float, int]:
    keep = exp > 0
    if keep.sum() < 2:
        raise PaceError("fewer than two groups have journeys at risk at event times: "
                        "nothing to compare")
    u = (obs - exp)[keep][1:]
    v = var[np.ix_(keep, keep)][1:, 1:]
    try:
        chisq = float(u @ np.linalg.solve(v, u))
    except np.linalg.LinAlgError:
        chisq = float(u @ np.linalg.pinv(v) @ u)
    return chisq, int(keep.sum() - 1)


def observed_expected(frame: pd.DataFrame, by: str) -> pd.DataFrame:
    """Observed and expected permanences per group under equal hazards (log-rank).

    Returns
    -------
    pandas.DataFrame
        ``group, n, observed, expected``, non-empty groups in order (R ``survdiff`` obs, exp).
    """
    frame, labels, codes = _prepare(frame, by)
    obs, exp, _ = _obs_exp_var(frame, codes, len(labels))
    return pd.DataFrame({"group": labels, "n": np.bincount(codes, minlength=len(labels)),
                         "observed": obs, "expected": exp})


def logrank_test(frame: pd.DataFrame, by: str) -> pd.DataFrame:
    """Log-rank test of equal hazards of permanence across the groups of ``by``.

    Matches R ``survdiff(Surv(time, event) ~ by)`` (chisq, df, p) without late entry; with
    late entry the same statistic on the left-truncated risk sets (survdiff cannot).

    Returns
    -------
    pandas.DataFrame
        One row: ``test, by, n_groups, chisq, df, p_value``.

    Raises
    ------
    PaceError
        No events, or fewer than two non-empty groups.
    """
    frame, labels, codes = _prepare(frame, by)
    if len(labels) < 2:
        raise PaceError(f"log-rank test needs at least two groups of {by!r}; found {len(labels)}")
    chisq, df = _chisq(*_obs_exp_var(frame, codes, len(labels)))
    return pd.DataFrame([{"test": "log-rank", "by": by, "n_groups": len(labels), "chisq": chisq,
                          "df": df, "p_value": float(stats.chi2.sf(chisq, df))}])


def trend_test(frame: pd.DataFrame, by: str = "age_group",
               scores: Sequence[float] | None = None) -> pd.DataFrame:
    """Log-rank test for trend over ordered groups.

    U = sum_g w_g (O_g − E_g), V = w' Var w, chisq = U² / V on 1 df, with scores w = 1..k over
    the non-empty groups in their order (category order for a Categorical) unless given.
    ``z = U / sqrt(V)`` is positive when later groups reach permanence faster than expected.

    Returns
    -------
    pandas.DataFrame
        One row: ``test, by, n_groups, scores, z, chisq, df, p_value``.
    """
    frame, labels, codes = _prepare(frame, by)
    if len(labels) < 2:
        raise PaceError(f"trend test needs at least two groups of {by!r}; found {len(labels)}")
    w = np.arange(1.0, len(labels) + 1) if scores is None else np.asarray(scores, float)
    if len(w) != len(labels):
        raise PaceError(f"{len(labels)} non-empty groups ({', '.join(labels)}) need "
                        f"{len(labels)} scores; got {len(w)}")
    obs, exp, var = _obs_exp_var(frame, codes, len(labels))
    u, v = float(w @ (obs - exp)), float(w @ var @ w)
    if v <= 0:
        raise PaceError("the trend test has zero variance (no events in the compared groups)")
    return pd.DataFrame([{"test": "log-rank trend", "by": by, "n_groups": len(labels),
                          "scores": ",".join(f"{x:g}" for x in w), "z": u / np.sqrt(v),
                          "chisq": u * u / v, "df": 1,
                          "p_value": float(stats.chi2.sf(u * u / v, 1))}])


def holm(p: Sequence[float]) -> np.ndarray:
    """Holm step-down adjusted p-values (R ``p.adjust(method = "holm")``); NaN stays NaN."""
    p = np.asarray(p, dtype=float)
    out = np.full_like(p, np.nan)
    ok = np.flatnonzero(~np.isnan(p))
    m = len(ok)
    order = ok[np.argsort(p[ok], kind="stable")]
    adj = np.maximum.accumulate((m - np.arange(m)) * p[order])
    out[order] = np.minimum(adj, 1.0)
    return out


def pairwise_logrank(frame: pd.DataFrame, by: str) -> pd.DataFrame:
    """Log-rank test for every pair of non-empty groups, Holm-adjusted.

    Returns
    -------
    pandas.DataFrame
        ``group1, group2, chisq, df, p_value, p_holm, testable``. A pair in which no journey
        reached permanence is not testable (NaN, left out of the Holm family).
    """
    frame, labels, codes = _prepare(frame, by)
    if len(labels) < 2:
        raise PaceError(f"pairwise tests need at least two groups of {by!r}; found {len(labels)}")
    rows = []
    for i, j in combinations(range(len(labels)), 2):
        sel = (codes == i) | (codes == j)
        sub_codes = (codes[sel] == j).astype(int)
        try:
            chisq, df = _chisq(*_obs_exp_var(frame[sel], sub_codes, 2))
            rows.append((labels[i], labels[j], chisq, df, float(stats.chi2.sf(chisq, df)), True))
        except PaceError:
            rows.append((labels[i], labels[j], np.nan, np.nan, np.nan, False))
    out = pd.DataFrame(rows, columns=["group1", "group2", "chisq", "df", "p_value", "testable"])
    out.insert(5, "p_holm", holm(out["p_value"].to_numpy()))
    return out


# ---- Cox proportional hazards (Efron ties) ---------------------------------------------

def _design(frame: pd.DataFrame, covariates: Sequence[str],
            reference: Mapping[str, str] | None):
    """Treatment-coded design matrix and term metadata, R's default reference levels."""
    reference = dict(reference or {})
    cols, meta, assign = [], [], []
    for cov in covariates:
        if cov not in frame.columns:
            raise PaceError(f"the analysis frame has no column {cov!r}")
        s = frame[cov]
        if s.isna().any():
            raise PaceError(f"covariate {cov!r} is missing on {int(s.isna().sum())} journey(s); "
                            "filter or fill them first (R would drop them silently)")
        if pd.api.types.is_numeric_dtype(s) and not pd.api.types.is_bool_dtype(s):
            cols.append(s.to_numpy(dtype=float))
            meta.append((cov, cov, "", ""))
            assign.append(cov)
            continue
        if isinstance(s.dtype, pd.CategoricalDtype):
            levels = [str(c) for c in s.cat.remove_unused_categories().cat.categories]
        else:
            levels = sorted(s.astype(str).unique())
        vals = s.astype(str).to_numpy()
        if len(levels) < 2:
            raise PaceError(f"covariate {cov!r} has a single level ({levels[0]!r}): drop it")
        ref = str(reference.pop(cov, levels[0]))
        if ref not in levels:
            raise PaceError(f"reference level {ref!r} of {cov!r} is not in the data: {levels}")
        for lev in levels:
            if lev != ref:
                cols.append((vals == lev).astype(float))
                meta.append((f"{cov}[{lev}]", cov, lev, ref))
                assign.append(cov)
    if reference:
        raise PaceError(f"reference given for covariate(s) not in the model: {sorted(reference)}")
    return np.column_stack(cols), meta, assign


class _Efron:
    """Efron partial likelihood pieces for one data set (risk sets with late entry)."""

    def __init__(self, entry: np.ndarray, stop: np.ndarray, event: np.ndarray, x: np.ndarray):
        self.entry, self.stop, self.event = entry, stop, event
        self.x = x - x.mean(axis=0)  # centring changes no coefficient, aids exp()
        self.t = np.unique(stop[event])
        ev_idx = np.flatnonzero(event)
        self.ev_t = np.searchsorted(self.t, stop[ev_idx])
        self.ev_idx = ev_idx
        self.d = np.bincount(self.ev_t, minlength=len(self.t)).astype(float)
        # one row per (event time, l), l = 0..d-1, and its Efron fraction l / d
        self.row_t = np.repeat(np.arange(len(self.t)), self.d.astype(int))
        start = np.concatenate([[0], np.cumsum(self.d)[:-1]]).astype(int)
        self.frac = (np.arange(len(self.row_t)) - start[self.row_t]) / self.d[self.row_t]
        self.risk = _RiskSets(entry, stop, self.t)
        self.xd = np.zeros((len(self.t), x.shape[1]))
        np.add.at(self.xd, self.ev_t, self.x[ev_idx])

    def parts(self, beta: np.ndarray):
        x, t = self.x, self.t
        w = np.exp(x @ beta)
        s0 = self.risk.sum(w)[:, 0]
        s1 = self.risk.sum(w[:, None] * x)
        s0d = np.bincount(self.ev_t, weights=w[self.ev_idx], minlength=len(t))
        s1d = np.zeros_like(s1)
        np.add.at(s1d, self.ev_t, w[self.ev_idx, None] * x[self.ev_idx])
        r, f = self.row_t, self.frac
        s0l = s0[r] - f * s0d[r]
        m = (s1[r] - f[:, None] * s1d[r]) / s0l[:, None]
        loglik = float((x[self.ev_idx] @ beta).sum() - np.log(s0l).sum())
        u_t = self.xd - np.add.reduceat(m, np.flatnonzero(np.r_[True, np.diff(r) > 0]), axis=0)
        return w, s0l, m, loglik, u_t

    def info(self, w, s0l, m, c: np.ndarray | None = None) -> np.ndarray:
        """sum_t c_t I_t, I_t the Efron information at event time t (c = 1 by default)."""
        t, r = self.t, self.row_t
        c = np.ones(len(t)) if c is None else c
        a = np.bincount(r, weights=1 / s0l, minlength=len(t)) * c
        b = np.bincount(r, weights=self.frac / s0l, minlength=len(t)) * c
        cum = np.concatenate([[0.0], np.cumsum(a)])
        big_a = cum[np.searchsorted(t, self.stop, side="right")]
        late = np.isfinite(self.entry)
        big_a[late] -= cum[np.searchsorted(t, self.entry[late], side="right")]
        wa = w * big_a
        wa[self.ev_idx] -= w[self.ev_idx] * b[self.ev_t]
        x = self.x
        return (x * wa[:, None]).T @ x - (m * c[r][:, None]).T @ m


def _fit_cox(model: _Efron, max_iter: int = 50, eps: float = 1e-12):
    beta = np.zeros(model.x.shape[1])
    w, s0l, m, ll, u_t = model.parts(beta)
    converged = False
    for _ in range(max_iter):
        u = u_t.sum(axis=0)
        imat = model.info(w, s0l, m)
        step = np.linalg.lstsq(imat, u, rcond=None)[0]
        for _half in range(30):
            new = model.parts(beta + step)
            if new[3] >= ll - 1e-12 * abs(ll):
                break
            step = step / 2
        beta = beta + step
        done = abs(new[3] - ll) <= eps * abs(ll) and np.max(np.abs(step)) < 1e-8
        w, s0l, m, ll, u_t = new
        if done:
            converged = True
            break
    return beta, ll, (w, s0l, m, u_t), converged


def _cox_data(frame: pd.DataFrame, covariates: Sequence[str], reference):
    if isinstance(covariates, str):
        covariates = (covariates,)
    frame = validate_frame(frame)
    if not frame["event_observed"].any():
        raise PaceError("no journey reached permanence: a Cox model cannot be fitted")
    x, meta, assign = _design(frame, covariates, reference)
    model = _Efron(_entry_eff(frame["entry_days"].to_numpy()), frame["time_days"].to_numpy(),
                   frame["event_observed"].to_numpy(), x)
    return frame, model, meta, assign


def cox_model(frame: pd.DataFrame, covariates: Sequence[str] = DEFAULT_COVARIATES,
              reference: Mapping[str, str] | None = None,
              conf_level: float = 0.95) -> pd.DataFrame:
    """Cox proportional-hazards model of time to any legal permanence (Efron ties).

    Categorical covariates are treatment-coded against a reference level: the first
    category of an (ordered) Categorical such as ``age_group`` ("under 1"), otherwise the
    alphabetically first value (R's default for character columns), unless ``reference``
    names another (``{"authority": "Glasgow City"}``). Numeric covariates enter as they are.
    Late entry uses ``entry_days`` (R ``coxph(Surv(entry, time, event) ~ ...)``).

    Returns
    -------
    pandas.DataFrame
        ``term, covariate, level, reference_level, coef, hazard_ratio, se, z, p_value,
        ci_lower, ci_upper`` (CI of the hazard ratio) plus ``n, events, loglik, converged``.
        A level with no events has a coefficient running off to −inf: the fit then reports
        ``converged`` False (R warns "coefficient may be infinite").

    Raises
    ------
    PaceError
        No events, a missing covariate value, a single-level covariate, an unknown
        reference level.
    """
    frame, model, meta, _ = _cox_data(frame, covariates, reference)
    beta, ll, (w, s0l, m, _), converged = _fit_cox(model)
    cov = np.linalg.pinv(model.info(w, s0l, m))
    se = np.sqrt(np.clip(np.diag(cov), 0.0, None))  # tiny negatives only when diverged
    z = stats.norm.ppf(1 - (1 - conf_level) / 2)
    out = pd.DataFrame(meta, columns=["term", "covariate", "level", "reference_level"])
    out["coef"] = beta
    out["hazard_ratio"] = np.exp(beta)
    out["se"] = se
    with np.errstate(divide="ignore", invalid="ignore"):
        out["z"] = beta / se
    out["p_value"] = 2 * stats.norm.sf(np.abs(out["z"].to_numpy()))
    out["ci_lower"] = np.exp(beta - z * se)
    out["ci_upper"] = np.exp(beta + z * se)
    out["n"] = len(frame)
    out["events"] = int(frame["event_observed"].sum())
    out["loglik"] = ll
    out["converged"] = converged and bool(np.all(np.abs(beta) < 20))
    return out


def proportional_hazards_check(frame: pd.DataFrame,
                               covariates: Sequence[str] = DEFAULT_COVARIATES,
                               reference: Mapping[str, str] | None = None,
                               transform: str = "km") -> pd.DataFrame:
    """Test of proportional hazards per covariate and globally (R ``cox.zph``, survival 3.x).

    Fits :func:`cox_model`, then for a time transform g (``"km"``: 1 − S(t−) from the pooled
    Kaplan–Meier; ``"rank"``: ranks of the follow-up times; ``"identity"``: days) computes the
    score test, at the fitted coefficients, for adding x·g(t) terms: chisq = u' I⁻¹ u with the
    full Efron information of (x, x·g). One row per covariate (all its dummies, df = number of
    dummies) and a ``GLOBAL`` row. Small p-values mean the hazard ratio changes over time.

    Returns
    -------
    pandas.DataFrame
        ``term, chisq, df, p_value, transform``.
    """
    if transform not in ("km", "rank", "identity"):
        raise PaceError(f"transform must be 'km', 'rank' or 'identity'; got {transform!r}")
    frame, model, meta, assign = _cox_data(frame, covariates, reference)
    _, _, (w, s0l, m, u_t), _ = _fit_cox(model)
    stop, event = model.stop, model.event
    if transform == "identity":
        g_row = stop.copy()
    elif transform == "rank":
        g_row = stats.rankdata(stop)
    else:
        k = km_arrays(frame["entry_days"].to_numpy(), stop, event)
        i = np.searchsorted(k["time"], stop, side="left")  # last KM time strictly before t
        g_row = 1 - np.concatenate([[1.0], k["survival"]])[i]
    g_row = g_row - g_row[event].mean()
    g = np.zeros(len(model.t))
    g[model.ev_t] = g_row[model.ev_idx]
    p = model.x.shape[1]
    i0, i1, i2 = (model.info(w, s0l, m, c) for c in (None, g, g * g))
    imat = np.block([[i0, i1], [i1, i2]])
    u = np.concatenate([np.zeros(p), (g[:, None] * u_t).sum(axis=0)])
    assign = np.asarray(assign)
    rows = []
    for cov in dict.fromkeys(assign):
        jj = np.flatnonzero(assign == cov)
        kk = np.concatenate([np.arange(p), p + jj])
        uk = u[kk]
        rows.append((cov, float(uk @ np.linalg.solve(imat[np.ix_(kk, kk)], uk)), len(jj)))
    rows.append(("GLOBAL", float(u @ np.linalg.solve(imat, u)), p))
    out = pd.DataFrame(rows, columns=["term", "chisq", "df"])
    out["p_value"] = stats.chi2.sf(out["chisq"], out["df"])
    out["transform"] = transform
    return out
