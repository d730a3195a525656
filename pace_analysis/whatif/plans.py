"""The stages from the permanence recommendation on, split by the planned route.

A child's route is planned at the permanence recommendation (``planned_route``), so from
then on its stages can have the plan's own sojourn hazards: :func:`split_by_plan` turns
the long form's states ``recommended``, ``panel``, ``agency_decision`` and
``application`` into ``recommended|<plan>``, ... (stages before the recommendation are
not split: the plan is not known then). The move into a recommendation becomes one
cause-specific move per plan out of the stage before.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from pace_analysis.multistate.long_form import PathwayData
from pace_analysis.multistate.states import CENSORED, Pathway

#: Plan of a journey with a recommendation but no planned route recorded.
UNPLANNED = "unplanned"


@dataclass(frozen=True)
class PlanSplit:
    """A pathway whose stages from the recommendation on are split by the planned route.

    Attributes
    ----------
    data : PathwayData
        The long form on the split pathway (states ``"recommended|adoption"``, ...).
    base : Pathway
        The pathway before the split.
    base_index : ndarray of int
        For each state of the split pathway, its state in *base*.
    """

    data: PathwayData
    base: Pathway
    base_index: np.ndarray


def split_by_plan(data: PathwayData, journeys: pd.DataFrame) -> PlanSplit:
    """Split the stages from the permanence recommendation on by the planned route.

    The plan is known from the recommendation (``planned_route``), so from then on a
    child's stages have the plan's own sojourn hazards: the move into
    ``recommended|<plan>`` is one cause-specific move out of the stage before, and what
    follows depends on the plan. Stages before the recommendation are not split.

    Parameters
    ----------
    data : PathwayData
        Long form on the declared pathway.
    journeys : pandas.DataFrame
        The journeys table (for ``planned_route``).

    Returns
    -------
    PlanSplit
    """
    pw = data.pathway
    tr = data.transitions
    first_split = pw.transient.index("recommended")
    j = journeys.set_index(journeys["journey_id"].astype(str))
    plan = j["planned_route"].astype(object).where(j["planned_route"].notna(), UNPLANNED)
    row_plan = plan.loc[tr["journey_id"].astype(str).to_numpy()].astype(str).to_numpy()
    seen = set(row_plan[tr["from_state"].cat.codes.to_numpy() >= first_split])
    seen |= set(row_plan[np.isin(tr["to_state"].astype(str).to_numpy(),
                                 pw.transient[first_split:])])
    plans = [p for p in (*pw.permanence, UNPLANNED) if p in seen] or [UNPLANNED]
    transient = list(pw.transient[:first_split])
    stage = list(range(first_split))
    plan_of = [None] * first_split
    for k in range(first_split, pw.n_transient):
        for p in plans:
            transient.append(f"{pw.transient[k]}|{p}")
            stage.append(k)
            plan_of.append(p)
    states = tuple(transient) + pw.outcomes
    nt = len(transient)
    base_index = np.array(stage + [pw.states.index(s) for s in pw.outcomes])
    allowed = np.zeros((len(states), len(states)), dtype=bool)
    for h in range(nt):
        for k in range(len(states)):
            bh, bk = base_index[h], base_index[k]
            if not pw.allowed[bh, bk]:
                continue
            if k < nt and plan_of[h] is not None and plan_of[k] != plan_of[h]:
                continue
            allowed[h, k] = True
    labels = {s: pw.labels[pw.states[base_index[i]]] + (f" ({plan_of[i]} plan)"
                                                         if i < nt and plan_of[i] else "")
              for i, s in enumerate(states)}
    milestones = {s: pw.milestones[pw.states[base_index[i]]] for i, s in enumerate(transient)}
    split = Pathway(states, labels, milestones, nt, allowed, pw.route_set)

    def recode(col: pd.Series, extra: tuple[str, ...]) -> pd.Categorical:
        name = col.astype(str).to_numpy()
        code = np.array([pw.states.index(s) if s in pw.states else -1 for s in name])
        out = name.astype(object)
        late = (code >= first_split) & (code < pw.n_transient)
        out[late] = [f"{n}|{p}" if p in plans else f"{n}|{UNPLANNED}"
                     for n, p in zip(name[late], row_plan[late], strict=True)]
        return pd.Categorical(out, categories=[*states, *extra])

    t2 = tr.copy()
    t2["from_state"] = recode(tr["from_state"], ())
    t2["to_state"] = recode(tr["to_state"], (CENSORED,))
    return PlanSplit(PathwayData(t2, split, list(data.problems)), pw, base_index)
