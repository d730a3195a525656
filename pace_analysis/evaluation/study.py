"""The evaluation end to end: estimate, bootstrap, and check against a synthetic truth.

:func:`evaluate` runs the Callaway–Sant'Anna estimator with the wild cluster bootstrap
for each measure of a panel and returns the event study and the overall effect.
:func:`simulation_check` does the same on a synthetic dataset and its counterfactual
twin, and puts the true effect beside every estimate; :func:`placebo` moves every join
date earlier and keeps only data from before the real joining, where the effect must be
nil. The coverage and bias table of ``docs/evaluation.md`` is :func:`coverage_table` over
many seeds (``benchmarks/bench_evaluation.py``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from pace_analysis.evaluation.estimator import GroupTime, att_gt
from pace_analysis.evaluation.inference import wild_bootstrap
from pace_analysis.evaluation.panel import (
    EVALUATION_MEASURES,
    council_weights,
    evaluation_panel,
    join_years,
    shifted_joins,
    true_effects,
    wide,
)

#: Event times shown and aggregated: five years either side of joining.
WINDOW = (-5, 5)
PLACEBO_SHIFT = 2


@dataclass(frozen=True)
class Evaluation:
    """Results for one measure: cells, event study and overall effect (with intervals)."""

    measure: str
    cells: GroupTime
    event_study: pd.DataFrame
    overall: pd.DataFrame


def evaluate(panel: pd.DataFrame, measures: Sequence[str] | None = None,
             joins: Mapping[str, int | None] | None = None, weighted: bool = True,
             n_boot: int = 1999, kind: str = "webb", seed: int = 0,
             window: tuple[int, int] = WINDOW, control: str = "not_yet_treated",
             level: float = 0.95) -> dict[str, Evaluation]:
    """Estimate the effect of joining PACE on each measure of an evaluation panel.

    Parameters
    ----------
    panel : pandas.DataFrame
        :func:`~.panel.evaluation_panel`.
    measures : list of str, optional
        Default: every measure in the panel.
    joins : mapping, optional
        Council → joining year (default :func:`~.panel.join_years`).
    weighted : bool
        Weight councils by their children (:func:`~.panel.council_weights`) or equally.
    n_boot, kind, seed, level
        Wild cluster bootstrap (:func:`~.inference.wild_bootstrap`).
    window : (int, int)
        Event times of the event study; the overall effect averages 0 to ``window[1]``.
    control : {"not_yet_treated", "never_treated"}

    Returns
    -------
    dict
        Measure code → :class:`Evaluation`.
    """
    joins = join_years() if joins is None else joins
    out = {}
    for m in measures or [m for m in EVALUATION_MEASURES if m in set(panel["measure"])]:
        spec = EVALUATION_MEASURES[m]
        w = council_weights(panel, m) if weighted else None
        gt = att_gt(wide(panel, m), joins, w, control=control, anticipation=spec.anticipation)
        ev = wild_bootstrap(gt, gt.aggregate("event", window), n_boot, kind, seed, level)
        ov = wild_bootstrap(gt, gt.aggregate("overall", window), n_boot, kind, seed, level)
        out[m] = Evaluation(m, gt, ev, ov)
    return out


def _with_truth(res: Evaluation, truth_wide: pd.DataFrame, window) -> tuple[pd.DataFrame, ...]:
    cells = res.cells.true_cells(truth_wide)
    ev = res.event_study.assign(truth=res.cells.aggregate("event", window).matrix @ cells)
    ov = res.overall.assign(truth=res.cells.aggregate("overall", window).matrix @ cells)
    return ev, ov


def simulation_check(seed: int, scale: float = 0.5, n_boot: int = 999,
                     window: tuple[int, int] = WINDOW, kind: str = "webb") -> pd.DataFrame:
    """Estimates beside the truth on one synthetic seed, with and without the effect.

    Generates the dataset of *seed* and its counterfactual twin
    (:func:`pace_analysis.synthetic.generate_twins`); the truth per council and year is
    the measure in the first minus in the twin. Estimating on the twin itself (where the
    truth is 0) checks that the estimate is centred on zero; the placebo (join dates
    :data:`PLACEBO_SHIFT` years earlier, data before the real joining only) too.

    Returns
    -------
    pandas.DataFrame
        One row per seed × world (``"pace"``, ``"no_pace"``, ``"placebo"``) × measure ×
        estimate (``e`` event time or ``"overall"``): ``estimate``, ``truth``, ``se``,
        ``ci_low``, ``ci_high``, ``p_value``, ``covered``.
    """
    from pace_analysis.synthetic import generate_twins

    with_pace, twin = generate_twins(seed=seed, scale=scale)
    pw, pt = evaluation_panel(with_pace), evaluation_panel(twin)
    truth = true_effects(pw, pt)
    rows = []
    worlds = {"pace": evaluate(pw, n_boot=n_boot, seed=seed, window=window, kind=kind),
              "no_pace": evaluate(pt, n_boot=n_boot, seed=seed, window=window, kind=kind)}
    for world, results in worlds.items():
        for m, res in results.items():
            tw = wide(truth, m) if world == "pace" else wide(truth, m) * 0.0
            ev, ov = _with_truth(res, tw, window)
            ov = ov.assign(e="overall")
            rows.append(pd.concat([ev[~ev.get("reference", False)], ov], ignore_index=True)
                        .assign(world=world, measure=m))
    for m, res in placebo(pw, n_boot=n_boot, seed=seed, window=window, kind=kind).items():
        rows.append(res.overall.assign(e="overall", truth=0.0, world="placebo", measure=m))
    out = pd.concat(rows, ignore_index=True)
    out["covered"] = (out["ci_low"] <= out["truth"]) & (out["truth"] <= out["ci_high"])
    out.insert(0, "seed", seed)
    cols = ["seed", "world", "measure", "e", "estimate", "truth", "se", "ci_low", "ci_high",
            "p_value", "covered"]
    return out[cols]


def placebo(panel: pd.DataFrame, shift: int = PLACEBO_SHIFT, **kwargs) -> dict[str, Evaluation]:
    """The evaluation with every join date *shift* years earlier, on pre-PACE data only.

    Each council that joined keeps only the years before any real exposure (before its
    joining year less the measure's anticipation δ) and gets a fake joining year *shift*
    years before that exposure began (g − shift − δ), so the placebo "effect" compares
    years in which nothing happened: it should be nil. Councils that never joined keep
    every year. A group whose placebo base year falls before the data is left out.
    Keyword arguments go to :func:`evaluate`.
    """
    joins = join_years()
    out = {}
    for m in [m for m in EVALUATION_MEASURES if m in set(panel["measure"])]:
        delta = EVALUATION_MEASURES[m].anticipation
        g = panel["authority"].map(lambda a: joins.get(a))
        keep = g.isna() | (panel["year"] < g.fillna(0) - delta)
        sub = panel[(panel["measure"] == m) & keep]
        out.update(evaluate(sub, [m], joins=shifted_joins(joins, shift + delta), **kwargs))
    return out


def coverage_table(checks: pd.DataFrame) -> pd.DataFrame:
    """Coverage and bias per world and measure, for the overall effect and event times 0–5.

    Returns
    -------
    pandas.DataFrame
        ``world``, ``measure``, ``estimate`` (``"overall"`` or ``"events 0..5"`` pooled),
        ``seeds``, ``coverage`` (share of intervals covering the truth), ``bias`` (mean
        estimate − truth), ``bias_se`` (its standard error over seeds), ``mean_truth``,
        ``mean_ci_width``.
    """
    c = checks.copy()
    post = c["e"].map(lambda e: e == "overall" or (isinstance(e, int | np.integer) and e >= 0))
    c = c[post & c["truth"].notna()]
    c["what"] = np.where(c["e"].astype(str) == "overall", "overall", "events 0..5")
    c["err"] = c["estimate"] - c["truth"]
    c["width"] = c["ci_high"] - c["ci_low"]
    g = c.groupby(["world", "measure", "what"], sort=False)
    out = g.agg(seeds=("seed", "nunique"), coverage=("covered", "mean"), bias=("err", "mean"),
                err_sd=("err", "std"), n=("err", "size"), mean_truth=("truth", "mean"),
                mean_ci_width=("width", "mean")).reset_index()
    out["bias_se"] = out.pop("err_sd") / np.sqrt(out["seeds"])
    return out.drop(columns="n").rename(columns={"what": "estimate"})
