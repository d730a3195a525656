"""What if a stage were shorter? A semi-Markov projection of one council's children.

:func:`what_if` projects, from a start date (the extract date), every child the council
has in care on that date and the children it can expect to start being looked after
over the next years, twice: as things are (the *baseline*) and with one stage changed
(the *scenario*): "stage S N weeks shorter (its sojourn distribution shifted, with a
floor of one day) or its hazard of moving on multiplied by k, for children entering it
from date D". Both runs share their random numbers, so their difference is the effect
of the change and not Monte Carlo noise.

* **Children in care at the start** begin in the state they are in, and draw the rest of
  their stay from the state's sojourn distribution conditional on the time already spent
  in it (conditional residual time).
* **New entrants**: each projection year, as many as began in an average one of the last
  three years, each like one of them (first state, stratum) drawn at random, arriving
  at a uniformly drawn day.
* **Outputs** (:class:`WhatIf`): the share reaching permanence within 1, 2 and 4 years,
  by route, for the new entrants (from becoming looked after) and for the children in
  care at the start (from the start date); the child-weeks of waiting (looked after and
  not yet permanent) in each projection year, by the outcome the child reaches, and how
  many the change saves.
* **Intervals**: each replicate refits the hazards on a Poisson bootstrap of the
  council's journeys and simulates once; 95% intervals are the 2.5% and 97.5% points
  over replicates (bootstrap + Monte Carlo). Deterministic given ``seed``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import numpy as np
import pandas as pd

from pace_analysis.cohort import DAYS_PER_YEAR
from pace_analysis.dataset import Dataset
from pace_analysis.errors import PaceError
from pace_analysis.multistate.long_form import pathway_transitions
from pace_analysis.multistate.states import Pathway
from pace_analysis.whatif.hazards import (
    SojournStays,
    fit_sojourn,
    sojourn_stays,
    with_intervention,
)
from pace_analysis.whatif.plans import split_by_plan
from pace_analysis.whatif.simulate import Start, Switch, rerun_from_stage, simulate
from pace_analysis.whatif.tables import (
    YEARS,
    outcome_index,
    shares_table,
    summarise,
    waiting_table,
)

#: Children (x replicates) simulated together; bounds memory.
CHUNK_CHILDREN = 400_000


@dataclass(frozen=True)
class Scenario:
    """One change to one stage.

    Attributes
    ----------
    stage : str
        Transient state code (e.g. ``"recommended"``: awaiting panel).
    weeks : float
        Weeks taken off each stay in the stage (a time shift of its sojourn
        distribution; no stay is made shorter than one day).
    hazard_ratio : float
        Multiplier of the stage's hazards of moving on (every move but leaving care).
    from_date : str or date, optional
        Only children entering the stage on or after this date are changed (default:
        the projection's start).
    """

    stage: str
    weeks: float = 0.0
    hazard_ratio: float = 1.0
    from_date: str | date | None = None

    def describe(self, pathway: Pathway) -> str:
        """Plain-language statement of the change."""
        what = pathway.labels.get(self.stage, self.stage).lower()
        parts = []
        if self.weeks:
            parts.append(f"{self.weeks:g} weeks shorter")
        if self.hazard_ratio != 1:
            parts.append(f"moves on {self.hazard_ratio:g} times as fast")
        change = " and ".join(parts) or "unchanged"
        return f"Stage '{what}' {change}"


@dataclass
class WhatIf:
    """Result of :func:`what_if`.

    Attributes
    ----------
    shares : pandas.DataFrame
        ``population, route, years, baseline, scenario, difference`` and ``*_lower``,
        ``*_upper`` 95% limits; ``population`` is ``"new"`` (children starting to be looked
        after in the projection; within years of becoming looked after) or ``"in_care"``
        (in care at the start; within years of the start date); ``route`` is
        ``"permanence"`` (any route) or a route code.
    waiting : pandas.DataFrame
        ``year, outcome, baseline, scenario, saved`` (child-weeks, with 95% limits);
        ``year`` 1 is the first year after the start date; ``outcome`` is the route
        reached, ``left_care``, :data:`STILL_WAITING`, or ``"all"``.
    start_date : pandas.Timestamp
        Projection start.
    n_in_care, n_new : int
        Children in care at the start, and new entrants simulated per replicate.
    replicates : int
    scenario : Scenario
    stage_children : int
        Children entering the changed stage from the change's date, per replicate (mean).
    notes : list of str
    """

    shares: pd.DataFrame
    waiting: pd.DataFrame
    start_date: pd.Timestamp
    n_in_care: int
    n_new: int
    replicates: int
    scenario: Scenario
    stage_children: int = 0
    notes: list[str] = field(default_factory=list)

    def permanence_table(self, route: str = "permanence") -> pd.DataFrame:
        """Readable table of the share reaching permanence (percent, one decimal).

        Parameters
        ----------
        route : str
            ``"permanence"`` (any route) or a route code.
        """
        s = self.shares[self.shares["route"] == route]
        if s.empty:
            raise PaceError(f"no route {route!r}; routes are {sorted(set(self.shares['route']))}")
        pops = {"new": "starting to be looked after", "in_care": "in care at the start"}

        def pct(a, lo, hi):
            return [f"{100 * x:.1f}% ({100 * y:.1f} to {100 * z:.1f})"
                    for x, y, z in zip(a, lo, hi, strict=True)]

        return pd.DataFrame({
            "Children": s["population"].map(pops).to_numpy(),
            "Within (years)": s["years"].to_numpy(),
            "As things are": pct(s["baseline"], s["baseline_lower"], s["baseline_upper"]),
            "With the change": pct(s["scenario"], s["scenario_lower"], s["scenario_upper"]),
            "Difference (points)": [f"{100 * x:+.1f} ({100 * y:+.1f} to {100 * z:+.1f})"
                                    for x, y, z in zip(s["difference"], s["difference_lower"],
                                                       s["difference_upper"], strict=True)],
        })

    def waiting_table(self) -> pd.DataFrame:
        """Readable table of child-weeks of waiting saved, by year and outcome reached."""
        w = self.waiting.pivot(index=["year", "year_from"], columns="outcome", values="saved")
        order = ["all", *[c for c in self.waiting["outcome"].unique() if c != "all"]]
        w = w[order].round(0)
        w.columns = [f"saved: {c}" for c in w.columns]
        tot = self.waiting[self.waiting["outcome"] == "all"].set_index(["year", "year_from"])
        w.insert(0, "as things are", tot["baseline"].round(0))
        w.insert(1, "with the change", tot["scenario"].round(0))
        return w.reset_index()


@dataclass
class _Population:
    state: np.ndarray
    stratum: np.ndarray
    elapsed: np.ndarray
    entry_day: np.ndarray
    la_offset: np.ndarray
    n_in_care: int


def open_rows(stays: SojournStays, start: pd.Timestamp) -> np.ndarray:
    """Rows of *stays* still open at *start*: each journey's last stay, censored then."""
    last = np.r_[stays.journey[1:] != stays.journey[:-1], True] if len(stays.journey) else \
        np.zeros(0, bool)
    la = pd.to_datetime(stays.la_date[stays.journey])
    end = la + pd.to_timedelta(stays.tstop, unit="D")
    return np.flatnonzero(last & (stays.to < 0) & (end.to_numpy() >= start.to_datetime64()))


def _in_care(stays: SojournStays, start: pd.Timestamp) -> _Population:
    """Children in care at the start date, each in its state with its time in it so far."""
    o = open_rows(stays, start)
    return _Population(stays.state[o], stays.stratum[o], stays.b[o], stays.entry_day[o],
                       -stays.tstop[o], len(o))


def _recent_entrants(stays: SojournStays, start: pd.Timestamp, years: int = 3
                     ) -> tuple[np.ndarray, float]:
    """Journeys followed from their start that began in the *years* before *start*."""
    la = pd.to_datetime(stays.la_date)
    lo = start - pd.DateOffset(years=years)
    recent = np.flatnonzero((la > lo) & (la <= start) & stays.followed_from_start)
    return recent, len(recent) / years


def _stage_code(pathway: Pathway, stage: str) -> int:
    if stage not in pathway.transient:
        by_label = {v.lower(): k for k, v in pathway.labels.items() if k in pathway.transient}
        if stage.lower() in by_label:
            return pathway.transient.index(by_label[stage.lower()])
        raise PaceError(f"unknown stage {stage!r}; stages are {', '.join(pathway.transient)}")
    return pathway.transient.index(stage)


def check_scenario(scenario: Scenario, pathway: Pathway) -> int:
    """Validate a scenario; return the index of its stage."""
    k = _stage_code(pathway, scenario.stage)
    w = scenario.weeks
    if not isinstance(w, int | float) or not np.isfinite(w) or w < 0:
        raise PaceError(f"weeks must be a number >= 0; got {w!r}")
    h = scenario.hazard_ratio
    if not isinstance(h, int | float) or not np.isfinite(h) or h <= 0:
        raise PaceError(f"the hazard ratio must be a number > 0; got {h!r}")
    return k


def what_if(
    dataset: Dataset,
    authority: str | None,
    scenario: Scenario,
    *,
    replicates: int = 1000,
    seed: int = 0,
    horizon_years: int = 4,
    by: str | None = None,
    by_plan: bool = True,
    bootstrap: bool = True,
) -> WhatIf:
    """Project the council's children with and without a change to one stage.

    Parameters
    ----------
    dataset : Dataset
        Validated dataset (late entry from its observation start).
    authority : str or None
        Council (None: the whole dataset as one).
    scenario : Scenario
        The change.
    replicates : int
        Monte Carlo (+ bootstrap) replicates.
    seed : int
        Seed; the result is a function of the data, the arguments and the seed.
    horizon_years : int
        Projection years for new entrants and for the child-weeks of waiting.
    by : str, optional
        Stratify the hazards (e.g. ``"age_group"``).
    by_plan : bool
        Split (default) the stages from the permanence recommendation on by the planned route
        (:func:`~pace_analysis.whatif.plans.split_by_plan`): each plan's stages get their
        own hazards, and the move into a recommendation is a move to that plan's stage.
    bootstrap : bool
        Refit the hazards on a bootstrap of journeys in each replicate (else Monte Carlo
        only, from the fit to the data).

    Returns
    -------
    WhatIf

    Raises
    ------
    PaceError
        Unknown authority or stage, a bad number, no children to project, or a start
        date before the extract date.
    """
    if not isinstance(replicates, int) or replicates < 1:
        raise PaceError(f"replicates must be a whole number >= 1; got {replicates!r}")
    if not isinstance(horizon_years, int) or horizon_years < 1:
        raise PaceError(f"horizon_years must be a whole number >= 1; got {horizon_years!r}")
    ds = dataset
    if authority is not None:
        if authority not in dataset.authorities:
            raise PaceError(f"unknown authority {authority!r}; the data hold "
                            f"{len(dataset.authorities)} authorities (e.g. "
                            f"{', '.join(dataset.authorities[:3])})")
        ds = dataset.for_authority(authority)
    data = pathway_transitions(ds)
    base_pw = data.pathway
    k0 = check_scenario(scenario, base_pw)
    stage_of_state = None
    if by_plan:
        split = split_by_plan(data, ds.journeys)
        data, stage_of_state = split.data, split.base_index[:split.data.pathway.n_transient]
        ks = tuple(int(i) for i in np.flatnonzero(stage_of_state == k0))
    else:
        ks = (k0,)
    pw = data.pathway
    n_stages = pw.n_transient if stage_of_state is None else int(stage_of_state.max()) + 1
    stays = sojourn_stays(data, ds.journeys, by=by)
    start = pd.to_datetime(ds.journeys["extract_date"]).max().normalize()
    d_off = 0.0
    if scenario.from_date is not None:
        d = pd.Timestamp(scenario.from_date)
        if d < start:
            raise PaceError(f"the change can only start on or after the projection's start "
                            f"({start.date()}); got {d.date()}")
        d_off = float((d - start).days)
    pop = _in_care(stays, start)
    recent, per_year = _recent_entrants(stays, start)
    n_new = int(round(per_year * horizon_years)) if len(recent) else 0
    if pop.n_in_care + n_new == 0:
        raise PaceError("no children to project: none in care at the extract date and none "
                        "starting in the last three years")
    rng = np.random.default_rng(seed)
    nt = pw.n_transient
    n_child = pop.n_in_care + n_new
    chunk = max(1, min(replicates, CHUNK_CHILDREN // max(n_child, 1)))
    routes = list(pw.outcomes)
    n_out = len(routes) + 1  # + still waiting
    perm_idx = np.array([pw.states.index(r) for r in pw.permanence])
    shares = np.zeros((2, 2, replicates, len(pw.permanence) + 1, len(YEARS)))
    waiting = np.zeros((2, replicates, horizon_years, n_out))
    stage_seen = 0
    for r0 in range(0, replicates, chunk):
        rr = min(chunk, replicates - r0)
        sub = np.random.default_rng(rng.integers(2**63))
        w = sub.poisson(1.0, (rr, stays.n_journeys)).astype(float) if bootstrap else None
        base_fit = fit_sojourn(stays, w)
        scen_fit = with_intervention(base_fit, ks, nt, shift_days=7.0 * scenario.weeks,
                                     hazard_ratio=scenario.hazard_ratio,
                                     left_care=pw.states.index(pw.outcomes[-1]))
        pick = recent[sub.integers(0, len(recent), (rr, n_new))] if n_new else \
            np.zeros((rr, 0), np.int64)
        arrive = np.sort(sub.uniform(0, horizon_years * DAYS_PER_YEAR, (rr, n_new)), axis=1)
        rep = np.repeat(np.arange(rr) if bootstrap else np.zeros(rr, np.int64), n_child)
        st = Start(
            rep=rep,
            state=np.concatenate([np.tile(pop.state, (rr, 1)),
                                  stays.first_state[pick]], axis=1).ravel(),
            stratum=np.concatenate([np.tile(pop.stratum, (rr, 1)),
                                    stays.journey_stratum[pick]], axis=1).ravel(),
            elapsed=np.concatenate([np.tile(pop.elapsed, (rr, 1)),
                                    np.full((rr, n_new), -1.0)], axis=1).ravel(),
            entry_day=np.concatenate([np.tile(pop.entry_day, (rr, 1)),
                                      np.zeros((rr, n_new))], axis=1).ravel(),
            la_offset=np.concatenate([np.tile(pop.la_offset, (rr, 1)), arrive], axis=1).ravel(),
        )
        n_strata = len(stays.strata)
        switch = Switch(ks, d_off, base_fit.n_blocks, n_strata)
        u = sub.random((len(st), n_stages, 2))
        base_paths = simulate(base_fit, st, u, nt, stage_of_state=stage_of_state)
        # the scenario differs only for children entering the stage from D: only they are
        # simulated again (the same, child by child, as simulating everyone again)
        paths = [base_paths, rerun_from_stage(base_paths, scen_fit, st, u, nt, switch, k0,
                                              stage_of_state)]
        for s, p in enumerate(paths):
            out = outcome_index(p, routes, nt)
            summarise(p, out, st, rr, n_child, pop.n_in_care, perm_idx, nt, horizon_years,
                       shares[s, :, r0:r0 + rr], waiting[s, r0:r0 + rr], n_out)
        if r0 == 0:
            ent = paths[1].entered[:, k0]
            entered_k = st.la_offset + np.nan_to_num(ent, nan=-1e12) >= d_off
            stage_seen = float(entered_k.reshape(rr, n_child).sum(axis=1).mean())
    return WhatIf(shares_table(shares, pw), waiting_table(waiting, routes, start),
                  start, pop.n_in_care, n_new, replicates, scenario,
                  int(round(stage_seen)), _notes(scenario, base_pw, by_plan, start, pop.n_in_care, n_new,
                                                 replicates, bootstrap))


def switched_start(st: Start, switch: Switch, d_off: float) -> Start:
    """Start in the changed block for new entrants who begin in a changed state."""
    block = np.full(len(st), -1)
    new = (st.elapsed < 0) & (st.la_offset >= d_off)
    for j, s in enumerate(switch.states):
        on = new & (st.state == s)
        block = np.where(on, switch.first_block + j * switch.n_strata + st.stratum, block)
    if not (block >= 0).any():
        return st
    return Start(st.rep, st.state, st.stratum, st.elapsed, st.entry_day, st.la_offset, block)


def _notes(sc: Scenario, pw: Pathway, by_plan: bool, start, n_in_care, n_new, replicates,
           bootstrap) -> list[str]:
    when = sc.from_date or start.date()
    return [
        f"{sc.describe(pw)}, for children entering it from {when}.",
        f"Projected from {start.date()}: {n_in_care} children in care then, and {n_new} "
        "new entrants over the projection (the recent yearly number).",
        f"{replicates} replicates ({'bootstrap refit + ' if bootstrap else ''}Monte Carlo); "
        "95% intervals are the 2.5% and 97.5% points.",
        "Time in each stage is drawn from the council's own stays in it"
        + (", from the recommendation on among children with the same planned route."
           if by_plan else "."),
    ]
