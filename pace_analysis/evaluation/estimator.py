"""Callaway–Sant'Anna group-time average effects for councils that joined PACE in waves.

A council joining in reporting year *g* belongs to group *g*; councils that never joined
have no group. For every group *g* and year *t* the effect is a 2×2 difference in
differences of (weighted) council means against a **base year** *b = g − 1 − δ* (the last
year before any exposure; δ is the measure's anticipation)::

    ATT(g, t) = mean_{i in g}(Y_it − Y_ib) − mean_{j in C(g, t)}(Y_jt − Y_jb)

The controls C(g, t) are the councils that never joined plus, with
``control="not_yet_treated"`` (the default), those not yet exposed at *t*: group
G > max(t, b) + δ. The base year is **universal** (the same *b* for every *t* of a
group, R ``did``'s ``base_period = "universal"``), so the pre-period estimates
(t < b) compare like with like and ATT(g, b) = 0 by construction. This is the
unconditional estimator (no covariates): outcome regression, inverse probability
weighting and doubly robust forms all reduce to these means without covariates.

Councils are weighted by a fixed weight (their children, by default; see
:func:`pace_analysis.evaluation.panel.council_weights`) or equally (``weights=None``).
Each estimate carries its **influence function**: one contribution per council, summing
to the estimate's deviation, which the wild cluster bootstrap of
:mod:`pace_analysis.evaluation.inference` perturbs council by council, so that a council's
contributions to every cell and every aggregate move together. Each mean's contributions
are divided by sqrt(1 − a_i), a_i the council's share of the mean's weight (the leverage
correction of CR2; sqrt(n/(n−1)) with equal weights). Group
sizes are fixed by design (the join dates are known), so the aggregation weights add no
variance term.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from pace_analysis.errors import PaceError

CONTROLS = ("not_yet_treated", "never_treated")


@dataclass(frozen=True)
class Estimates:
    """Linear estimates with their council-level influence functions.

    Attributes
    ----------
    table : pandas.DataFrame
        One row per estimate (``estimate`` column plus descriptive columns).
    influence : numpy.ndarray
        Councils × estimates: each council's contribution (sums to 0 over councils).
    matrix : numpy.ndarray
        Estimates × group-time cells: how each estimate combines the cells (identity for
        the cells themselves), so a true effect per cell aggregates the same way.
    units : pandas.Index
        The councils, in the row order of ``influence``.
    """

    table: pd.DataFrame
    influence: np.ndarray
    matrix: np.ndarray
    units: pd.Index


@dataclass(frozen=True)
class GroupTime(Estimates):
    """ATT(g, t) for every group and year, with what each cell compared.

    ``table`` has ``g``, ``t``, ``e`` (event time t − g), ``base``, ``estimate``,
    ``n_treated``, ``n_control``, ``weight`` (the treated councils' total weight).
    ``treated`` and ``controls`` (councils × cells, bool) say which councils each cell's
    two means used (:meth:`true_cells` averages a true effect over the same treated
    councils; the bootstrap-t re-centres each mean).
    """

    treated: np.ndarray | None = None
    controls: np.ndarray | None = None
    unit_weight: np.ndarray | None = None
    anticipation: int = 0

    def shares(self) -> tuple[np.ndarray, np.ndarray]:
        """Each council's share of the weight of each cell's treated and control mean."""
        out = []
        for mask in (self.treated, self.controls):
            w = mask * self.unit_weight[:, None]
            tot = w.sum(axis=0)
            out.append(np.divide(w, tot, out=np.zeros_like(w), where=tot > 0))
        return out[0], out[1]

    def true_cells(self, truth: pd.DataFrame) -> np.ndarray:
        """Per-cell true effect: the weighted mean of *truth* over the cell's treated councils.

        Parameters
        ----------
        truth : pandas.DataFrame
            Council × year table of true effects (:func:`~.panel.true_effects` made wide).
        """
        w = self.unit_weight
        out = np.full(len(self.table), np.nan)
        tr = truth.reindex(index=self.units)
        for k, (t, mask) in enumerate(zip(self.table["t"], self.treated.T, strict=True)):
            if t not in tr.columns:
                continue
            vals, wk = tr[t].to_numpy(dtype=float)[mask], w[mask]
            ok = ~np.isnan(vals)  # e.g. a twin's median not reached: left out of the truth
            if ok.any():
                out[k] = np.average(vals[ok], weights=wk[ok])
        return out

    def aggregate(self, how: str = "event", window: tuple[int, int] = (-5, 5)) -> Estimates:
        """Aggregate the cells: by event time (``"event"``) or to one overall effect.

        ``"event"``: θ(e) = Σ_g w_g ATT(g, g + e) / Σ_g w_g for e in *window*, w_g the
        group's weight (its councils' total weight). ``"overall"``: the same weighted
        average over every post-joining cell with 0 ≤ e ≤ window[1] (Callaway and
        Sant'Anna's "simple" aggregation restricted to the window).
        """
        cells = self.table
        lo, hi = window
        if how == "event":
            events = [e for e in range(lo, hi + 1) if (cells["e"] == e).any()]
            rows, mat = [], np.zeros((len(events), len(cells)))
            for r, e in enumerate(events):
                sel = (cells["e"] == e).to_numpy()
                mat[r, sel] = cells["weight"].to_numpy()[sel] / cells["weight"][sel].sum()
                rows.append({"e": e, "n_groups": int(sel.sum()),
                             "reference": bool((cells["t"][sel] == cells["base"][sel]).all())})
            table = pd.DataFrame(rows)
        elif how == "overall":
            sel = ((cells["e"] >= 0) & (cells["e"] <= hi)).to_numpy()
            if not sel.any():
                raise PaceError("no cell after joining inside the window to aggregate")
            mat = np.zeros((1, len(cells)))
            mat[0, sel] = cells["weight"].to_numpy()[sel] / cells["weight"][sel].sum()
            table = pd.DataFrame([{"e": f"0 to {hi}", "n_groups": cells["g"][sel].nunique(),
                                   "n_cells": int(sel.sum())}])
        else:
            raise PaceError(f"how must be 'event' or 'overall', not {how!r}")
        est = mat @ cells["estimate"].to_numpy()
        table.insert(1, "estimate", est)
        return Estimates(table, self.influence @ mat.T, mat, self.units)


def _mean_if(values: np.ndarray, w: np.ndarray, small_sample: bool) -> tuple[float, np.ndarray]:
    """Weighted mean and its contributions a_i (y_i − ȳ), a_i = w_i / Σw.

    With *small_sample*, each contribution is divided by sqrt(1 − a_i), the leverage
    correction of CR2 (Bell and McCaffrey): the residual of a council that carries much
    of the mean's weight understates its variance. With equal weights this is the CR1
    factor sqrt(n/(n−1)). A mean of one council has no spread to measure: contribution 0.
    """
    mean = float(np.average(values, weights=w))
    a = w / w.sum()
    if values.size < 2:
        return mean, np.zeros_like(a)
    scale = 1 / np.sqrt(1 - a) if small_sample else 1.0
    return mean, scale * a * (values - mean)


def att_gt(wide: pd.DataFrame, joins: Mapping[str, int | None],
           weights: Mapping[str, float] | None = None, control: str = "not_yet_treated",
           anticipation: int = 0, small_sample: bool = True) -> GroupTime:
    """Group-time average effects ATT(g, t) of joining PACE.

    Parameters
    ----------
    wide : pandas.DataFrame
        Council × year table of the measure (:func:`~.panel.wide`); NaN cells are left
        out of the cells that would use them.
    joins : mapping
        Council → joining year, None for councils that never joined
        (:func:`~.panel.join_years`). Councils of *wide* missing from it are never treated.
    weights : mapping, optional
        Council → fixed weight; equal weights when omitted.
    control : {"not_yet_treated", "never_treated"}
    anticipation : int
        δ: the number of years before joining that PACE can already reach; the base year
        is g − 1 − δ and not-yet-treated controls must be unexposed (G > t + δ).
    small_sample : bool
        Apply the CR2 leverage correction (default); without it the
        variance is the plain influence-function one of R ``did`` and diff-diff.

    Returns
    -------
    GroupTime
    """
    if control not in CONTROLS:
        raise PaceError(f"control must be one of {', '.join(CONTROLS)}, not {control!r}")
    if anticipation < 0:
        raise PaceError(f"anticipation must be 0 or more years, not {anticipation}")
    units = pd.Index(wide.index)
    years = [int(y) for y in wide.columns]
    y = wide.to_numpy(dtype=float)
    group = np.array([np.inf if joins.get(u) is None else float(joins[u]) for u in units])
    w = (np.ones(len(units)) if weights is None else
         np.array([float(weights.get(u, 0.0)) for u in units]))
    rows, infl, treated, controls = [], [], [], []
    col = {yr: k for k, yr in enumerate(years)}
    for g in sorted({int(x) for x in group[np.isfinite(group)]}):
        base = g - 1 - anticipation
        if base not in col:
            continue
        yb = y[:, col[base]]
        for t in years:
            if t == base:
                continue
            d = y[:, col[t]] - yb
            ok = ~np.isnan(d) & (w > 0)
            is_t = ok & (group == g)
            if control == "never_treated":
                is_c = ok & np.isinf(group)
            else:
                is_c = ok & (group > max(t, base) + anticipation) & (group != g)
            if not is_t.any() or not is_c.any():
                continue
            mt, ft = _mean_if(d[is_t], w[is_t], small_sample)
            mc, fc = _mean_if(d[is_c], w[is_c], small_sample)
            f = np.zeros(len(units))
            f[is_t] += ft
            f[is_c] -= fc
            rows.append({"g": g, "t": t, "e": t - g, "base": base, "estimate": mt - mc,
                         "n_treated": int(is_t.sum()), "n_control": int(is_c.sum()),
                         "weight": float(w[is_t].sum())})
            infl.append(f)
            treated.append(is_t)
            controls.append(is_c)
    if not rows:
        raise PaceError("no group-time cell has both treated and control councils with data")
    table = pd.DataFrame(rows)
    # The reference cells (t = base) are zero by construction: listed for the event study.
    ref = pd.DataFrame([{"g": g, "t": g - 1 - anticipation, "e": -1 - anticipation,
                         "base": g - 1 - anticipation, "estimate": 0.0,
                         "n_treated": int((group == g).sum()), "n_control": 0,
                         "weight": float(table.loc[table["g"] == g, "weight"].max())}
                        for g in table["g"].unique()])
    table = pd.concat([table, ref], ignore_index=True)
    table = table.sort_values(["g", "t"], kind="stable")
    order = table.index.to_numpy()
    infl_full = np.column_stack(infl + [np.zeros(len(units))] * len(ref))[:, order]
    gmask = np.column_stack(treated + [group == g for g in ref["g"]])[:, order]
    cmask = np.column_stack(controls + [np.zeros(len(units), bool)] * len(ref))[:, order]
    table = table.reset_index(drop=True)
    return GroupTime(table, infl_full, np.eye(len(table)), units, gmask, cmask, w,
                     anticipation)
