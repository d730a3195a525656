"""Journeys as multi-state data: one row per stay in a state, ``(tstart, tstop, from, to)``.

:func:`pathway_transitions` turns journeys into the long form the multi-state estimator
(:mod:`pace_analysis.multistate.estimator`) and R's ``survfit(Surv(tstart, tstop, to) ~ 1,
id = journey_id, istate = from)`` take. Conventions:

* **Time** is whole days since ``looked_after_date``; a stay covers ``(tstart, tstop]``.
  A journey followed from its clock start begins with ``tstart = -1`` (so that a move on
  day 0 is seen, as ``Surv(-1, 0, ...)`` in R); its first state is ``accommodated`` if it
  began away from home (``accommodated_date == looked_after_date``), else ``at_home``.
* **Moves** happen on the milestone dates. Stages may be skipped (the next state is the
  next milestone recorded). Several milestones on **one day** are one move, to the last
  of them (a zero-length stay is no stay). A milestone on the day of the outcome merges
  into the move to the outcome.
* **Outcome**: the route of the first legal permanence, or ``left_care`` for leaving care
  without permanence, as :func:`pace_analysis.cohort.build_frame` decides it; ``to`` is
  ``"censored"`` for the last stay of a journey still open at the extract date (or the end
  of the study window).
* **Late entry**: a journey already open at the observation start (the dataset's, or the
  study window's) enters at ``tstart`` = observation start − clock start, in the state it
  was in on that day (milestones on or before it count).
* **Out of order**: a milestone dated before a milestone that comes earlier in the
  pathway (or after the outcome) is left out and reported as a ``milestone_order`` problem,
  like validation does; the journey keeps its other milestones.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import numpy as np
import pandas as pd

from pace_analysis.cohort import CENSORED as FRAME_CENSORED
from pace_analysis.cohort import EXIT, build_frame
from pace_analysis.dataset import Dataset
from pace_analysis.errors import PaceError, Problem
from pace_analysis.multistate.states import CENSORED, Pathway, load_pathway
from pace_analysis.schema import RULES

#: Columns of the long form, in order.
TRANSITION_COLUMNS: tuple[str, ...] = (
    "journey_id", "authority", "age_group", "entry_year", "tstart", "tstop",
    "from_state", "to_state",
)
_SEVERITY = {r.id: r.severity for r in RULES}


@dataclass
class PathwayData:
    """Long-form multi-state journeys.

    Attributes
    ----------
    transitions : pandas.DataFrame
        Columns :data:`TRANSITION_COLUMNS`: one row per stay; ``from_state`` and
        ``to_state`` are Categoricals over the pathway's states (``to_state`` also has
        ``"censored"``). ``entry_year`` is the year of ``looked_after_date``.
    pathway : Pathway
        States and transition matrix used.
    problems : list of Problem
        Milestones left out because they were out of order (rule ``milestone_order``).
    """

    transitions: pd.DataFrame
    pathway: Pathway
    problems: list[Problem] = field(default_factory=list)


def pathway_transitions(
    data: Dataset | pd.DataFrame,
    *,
    pathway: Pathway | None = None,
    window: tuple[date | str | None, date | str | None] | None | str = "dataset",
    age_groups=None,
) -> PathwayData:
    """Each journey's path through the states, as ``(tstart, tstop, from, to)`` rows.

    Parameters
    ----------
    data : Dataset or pandas.DataFrame
        Validated dataset, or its journeys table.
    pathway : Pathway, optional
        States and allowed moves; default :func:`load_pathway` for the data's route set.
    window : (start, end), None or "dataset"
        Study window, as :func:`pace_analysis.cohort.build_frame` (late entry at its start,
        censoring at its end); the default uses the dataset's observation start.
    age_groups : sequence of float, optional
        Age breaks for ``age_group`` (default the analysis frame's).

    Returns
    -------
    PathwayData

    Raises
    ------
    PaceError
        As :func:`~pace_analysis.cohort.build_frame`, or a move the transition matrix does
        not allow.
    """
    route_set = data.route_set if isinstance(data, Dataset) else None
    pathway = pathway or load_pathway(route_set)
    journeys = data.journeys if isinstance(data, Dataset) else data
    kw = {} if age_groups is None else {"age_groups": age_groups}
    frame = build_frame(data, window=window, route_set=route_set, **kw)
    j = journeys.set_index(journeys["journey_id"].astype(str))
    j = j.loc[frame["journey_id"].to_numpy()]
    origin = pd.to_datetime(j["looked_after_date"], cache=False).dt.normalize()
    n = len(frame)
    nt = pathway.n_transient
    codes = {s: i for i, s in enumerate(pathway.states)}

    # days since the clock start of each later milestone (NaN when not recorded)
    names = list(pathway.transient[1:])
    cols = [pathway.milestones[s] for s in names]
    days = np.column_stack([
        (pd.to_datetime(j[c], cache=False).dt.normalize() - origin).dt.days.to_numpy(dtype=float)
        for c in cols]) if n else np.zeros((0, len(cols)))
    entry = frame["entry_days"].to_numpy(dtype=float)
    end = frame["time_days"].to_numpy(dtype=float)
    outcome = frame["outcome"].astype(str).to_numpy()
    ended = outcome != FRAME_CENSORED

    # out of order: before the latest milestone kept so far, or after an observed outcome
    problems: list[Problem] = []
    latest = np.zeros(n)
    ids = frame["journey_id"].to_numpy(dtype=object)
    prev_name = np.full(n, "looked_after_date", dtype=object)
    for c, col in enumerate(cols):
        d = days[:, c]
        bad = (d < latest) | (ended & (d > end))
        for i in np.flatnonzero(bad):
            after = d[i] > end[i] and ended[i]
            what = "the outcome" if after else prev_name[i]
            problems.append(Problem(
                "journeys", None, col, _iso(origin.iloc[i], d[i]), "milestone_order",
                f"journey {ids[i]}: {col} is {'after' if after else 'before'} {what}; "
                "left out of the multi-state pathway.", _SEVERITY["milestone_order"]))
        days[bad, c] = np.nan
        newer = ~np.isnan(days[:, c])
        latest = np.where(newer, days[:, c], latest)
        prev_name = np.where(newer, col, prev_name)
    # milestones after the end of follow-up are not seen yet
    days[days > end[:, None]] = np.nan

    # first state: accommodated on the clock-start day means the journey began away
    acc0 = days[:, 0] == 0
    first = np.where(acc0, codes["accommodated"], codes["at_home"])
    days[acc0, 0] = np.nan
    late = entry > 0
    start = np.where(late, entry, -1.0)
    # late entry: the state on the entry day is the last milestone on or before it
    seen = days <= entry[:, None]
    state_idx = np.arange(1, nt)[None, :]
    last_seen = np.where(seen, state_idx, 0).max(axis=1) if n else np.zeros(0, int)
    first = np.where(late & (last_seen > 0), last_seen, first)
    days[seen & late[:, None]] = np.nan
    # several milestones on one day: keep only the last of them
    for c in range(days.shape[1] - 1):
        later_same = (days[:, c + 1:] == days[:, [c]]).any(axis=1)
        days[later_same, c] = np.nan
    # outcome code and end column
    out_code = np.full(n, -1)
    for s in pathway.outcomes:
        key = EXIT if s == pathway.outcomes[-1] else s
        out_code[outcome == key] = codes[s]
    if (ended & (out_code < 0)).any():
        bad = sorted(set(outcome[ended & (out_code < 0)]))
        raise PaceError(f"outcome(s) {bad} are not states of the pathway {pathway.states}")
    on_end = days == end[:, None]
    days[on_end & ended[:, None]] = np.nan  # merges into the move to the outcome
    # censored on the day of a milestone: the stay ends with that move
    cens_on_milestone = ~ended & on_end.any(axis=1)
    end_col = np.where(cens_on_milestone, np.nan, end)

    times = np.column_stack([start, days, end_col])
    states = np.column_stack([first, np.broadcast_to(state_idx, days.shape), out_code])
    present = ~np.isnan(times)
    row = np.repeat(np.arange(n), present.sum(axis=1))
    t_flat, s_flat = times[present], states[present]
    same = row[1:] == row[:-1]
    a = np.flatnonzero(same)
    tstart, tstop = t_flat[a], t_flat[a + 1]
    frm, to = s_flat[a], s_flat[a + 1]
    # the final stay of a censored journey ends in censoring, not a move
    last = np.r_[~same, True][a + 1]
    cens = last & ~ended[row[a + 1]] & ~cens_on_milestone[row[a + 1]]
    to = np.where(cens, -1, to)
    if (tstop <= tstart).any():
        raise PaceError("internal error: a stay of zero length in the long form")
    ok = np.where(to >= 0, pathway.allowed[frm, np.maximum(to, 0)], True)
    if not ok.all():
        i = int(np.flatnonzero(~ok)[0])
        raise PaceError(f"journey {ids[row[a][i]]}: the move {pathway.states[frm[i]]} -> "
                        f"{pathway.states[to[i]]} is not in the transition matrix")
    r = row[a]
    state_cat = list(pathway.states)
    to_cats = [*state_cat, CENSORED]
    to = np.where(to < 0, len(state_cat), to)
    table = pd.DataFrame({
        "journey_id": frame["journey_id"].to_numpy()[r],
        "authority": frame["authority"].to_numpy()[r],
        "age_group": frame["age_group"].to_numpy()[r] if n else frame["age_group"],
        "entry_year": origin.dt.year.to_numpy()[r],
        "tstart": tstart, "tstop": tstop,
        "from_state": pd.Categorical.from_codes(frm, categories=state_cat),
        "to_state": pd.Categorical.from_codes(to, categories=to_cats),
    })
    table["age_group"] = pd.Categorical(table["age_group"],
                                        categories=frame["age_group"].cat.categories,
                                        ordered=True)
    return PathwayData(table.loc[:, list(TRANSITION_COLUMNS)], pathway, problems)


def _iso(origin: pd.Timestamp, day: float) -> str:
    return (origin + pd.Timedelta(days=float(day))).strftime("%Y-%m-%d")
