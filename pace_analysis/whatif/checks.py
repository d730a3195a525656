"""Checks of the what-if model: N = 0 against Aalen–Johansen, and a back-test.

* :func:`occupancy_check`: a cohort simulated from day 0 with the scenario machinery
  switched on but a change of zero (N = 0, k = 1), against the observed Aalen–Johansen
  state occupancy. A state entered only on day 0 (looked after at home, and every state
  a journey can begin in when nothing enters it later) has the same hazard on the
  sojourn clock as on the clock since becoming looked after, so there the simulation
  must reproduce Aalen–Johansen up to Monte Carlo error whatever the process
  (``exact = True`` rows). Later states agree only as far as the data are semi-Markov;
  the table shows how far.
* :func:`backtest`: fit on the data as an extract taken at the end of July of year Y
  would have held them, and predict (i) the share of the children in care then who
  reach permanence within 1 and 2 years and (ii) the same for the next year's entrants
  within 1 and 2 years of becoming looked after; compared with what the full data
  show, for the semi-Markov model and for a Markov stock-and-flow baseline (constant
  daily rates by state × age band, as the demand models use).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from pace_analysis.cohort import DAYS_PER_YEAR, build_frame
from pace_analysis.dataset import Dataset
from pace_analysis.errors import PaceError
from pace_analysis.multistate.long_form import pathway_transitions
from pace_analysis.multistate.occupancy import fit_groups
from pace_analysis.multistate.trends import censor_at
from pace_analysis.whatif.hazards import (
    fit_markov,
    fit_sojourn,
    sojourn_stays,
    with_intervention,
)
from pace_analysis.whatif.plans import split_by_plan
from pace_analysis.whatif.projection import _in_care, open_rows
from pace_analysis.whatif.simulate import Start, Switch, simulate


def occupancy_check(dataset: Dataset, authority: str | None = None, *,
                    times_days: Sequence[float] = (182, 365, 730, 1461),
                    n: int = 100_000, seed: int = 0, by_plan: bool = False) -> pd.DataFrame:
    """N = 0 simulation of a cohort from day 0 against the Aalen–Johansen occupancy.

    Parameters
    ----------
    dataset : Dataset
        Validated dataset.
    authority : str, optional
        Council (default: all the data as one).
    times_days : sequence of float
        Times to compare.
    n : int
        Simulated children (Monte Carlo error about ``sqrt(p (1 - p) / n)``).
    seed : int
        Seed.
    by_plan : bool
        Simulate with the stages from the recommendation on split by planned route
        (compared state by state after merging the plans back).

    Returns
    -------
    pandas.DataFrame
        ``state, time_days, aj, aj_se, sim, mc_se, z, exact``: ``z`` is
        ``(sim - aj) / mc_se``; ``exact`` marks the states entered only on day 0, where
        the simulation must equal Aalen–Johansen up to Monte Carlo error.
    """
    ds = dataset.for_authority(authority) if authority else dataset
    data = pathway_transitions(ds)
    pw = data.pathway
    nt = pw.n_transient
    aj = fit_groups(data)[0][1]
    sim_data, base_index = data, np.arange(len(pw.states))
    if by_plan:
        split = split_by_plan(data, ds.journeys)
        sim_data, base_index = split.data, split.base_index
    snt = sim_data.pathway.n_transient
    stage_of_state = base_index[:snt]
    stays = sojourn_stays(sim_data, ds.journeys)
    fit = fit_sojourn(stays)
    rng = np.random.default_rng(seed)
    first = rng.choice(len(pw.states), size=n, p=aj.p0 / aj.p0.sum())
    if (first >= nt).any() or (first >= pw.transient.index("recommended")).any():
        raise PaceError("the initial distribution puts children beyond the first stages")
    z0 = np.zeros(n, np.int64)
    start = Start(z0, first, z0, np.full(n, -1.0), np.zeros(n), np.zeros(n))
    # the scenario machinery with a change of zero, on every stage in turn
    paths = None
    u = rng.random((n, nt, 2))
    for k in range(nt):
        ks = tuple(int(i) for i in np.flatnonzero(stage_of_state == k))
        scen = with_intervention(fit, ks, snt, shift_days=0.0, hazard_ratio=1.0)
        p = simulate(scen, start, u, snt, Switch(ks, 0.0, fit.n_blocks),
                     stage_of_state=stage_of_state)
        if paths is None:
            paths = p
        elif not (np.array_equal(p.outcome, paths.outcome)
                  and np.array_equal(p.end_day, paths.end_day)):
            raise PaceError(f"internal error: a zero change to {pw.states[k]} changed paths")
    day0_only = np.array([np.all(stays.entry_day[stage_of_state[stays.state] == k] == 0)
                          for k in range(nt)])
    rows = []
    t = np.asarray(times_days, dtype=float)
    p_aj = aj.pstate_at(t)
    se = aj.std_err(t)
    for i, tt in enumerate(t):
        s = paths.state_at(tt, nt)
        s = s[s >= 0]
        s = np.where(s >= snt, base_index[np.minimum(s, len(base_index) - 1)], s)
        sim = np.bincount(s, minlength=len(pw.states)) / n
        for k, state in enumerate(pw.states):
            mc = np.sqrt(max(sim[k] * (1 - sim[k]), 1.0 / n) / n)
            rows.append({"state": state, "time_days": tt, "aj": p_aj[i, k], "aj_se": se[i, k],
                         "sim": sim[k], "mc_se": mc, "z": (sim[k] - p_aj[i, k]) / mc,
                         "exact": bool(k < nt and day0_only[k])})
    return pd.DataFrame(rows)


def _observed(frame: pd.DataFrame, la: pd.Series, origin: pd.Series, years: float,
              routes: Sequence[str]) -> np.ndarray:
    """Reached permanence within *years* of *origin* (a date per journey)."""
    perm = frame["outcome"].astype(str).isin(routes).to_numpy()
    when = la + pd.to_timedelta(frame["time_days"].to_numpy(), unit="D")
    return perm & ((when - origin).dt.days.to_numpy() <= years * DAYS_PER_YEAR)


def _predict(model, pop_state, pop_stratum, elapsed, entry_day, la_offset, perm_codes,
             nt, horizons, from_start, reps, rng) -> np.ndarray:
    n = len(pop_state)
    if n == 0:
        return np.full(len(horizons), np.nan)
    rep = np.zeros(n * reps, np.int64)
    st = Start(rep, np.tile(pop_state, reps), np.tile(pop_stratum, reps),
               np.tile(elapsed, reps), np.tile(entry_day, reps), np.tile(la_offset, reps))
    p = simulate(model, st, rng.random((n * reps, nt, 2)), nt)
    t = p.end_day + (st.la_offset if from_start else 0.0)
    ok = np.isin(p.outcome, perm_codes)
    return np.array([(ok & (t <= h * DAYS_PER_YEAR)).mean() for h in horizons])


def backtest(dataset: Dataset, years: Sequence[int], authorities: Sequence[str] | None = None,
             *, reps: int = 20, seed: int = 0, horizons: Sequence[int] = (1, 2)
             ) -> pd.DataFrame:
    """Fit on the data known at 31 July of each year Y, predict what came next.

    Parameters
    ----------
    dataset : Dataset
        Full data (followed long enough after each Y for the horizons).
    years : sequence of int
        Cut years Y (the cut is 31 July Y).
    authorities : sequence of str, optional
        Councils (default all).
    reps : int
        Monte Carlo repeats of each population.
    seed : int
        Seed.
    horizons : sequence of int
        Years after the cut (children in care) or after becoming looked after (next
        year's entrants).

    Returns
    -------
    pandas.DataFrame
        ``authority, year, population, horizon, n, observed, semi_markov,
        semi_markov_plan, markov``: ``population`` is ``"in_care"`` or ``"next_cohort"``;
        shares. ``semi_markov_plan`` splits the stages from the recommendation on by
        planned route (:func:`~pace_analysis.whatif.plans.split_by_plan`).
    """
    auths = list(authorities) if authorities is not None else dataset.authorities
    extract = pd.to_datetime(dataset.journeys["extract_date"]).max()
    rng = np.random.default_rng(seed)
    rows = []
    for a in auths:
        full = dataset.for_authority(a)
        frame_full = build_frame(full).set_index("journey_id")
        data_full = pathway_transitions(full)
        pw = data_full.pathway
        nt = pw.n_transient
        perm_codes = np.array([pw.states.index(r) for r in pw.permanence])
        full_stays = sojourn_stays(data_full, full.journeys, by="age_group")
        for y in years:
            cut = pd.Timestamp(f"{int(y)}-07-31")
            if cut + pd.DateOffset(years=1 + max(horizons)) > extract + pd.Timedelta(days=1):
                raise PaceError(f"the data end {extract.date()}: too early to back-test {y} "
                                f"over {max(horizons)} years")
            past = censor_at(full, cut)
            data = pathway_transitions(past)
            semi = fit_sojourn(sojourn_stays(data, past.journeys))
            strat = sojourn_stays(data, past.journeys, by="age_group")
            markov = fit_markov(strat)
            split = split_by_plan(data, past.journeys)
            plan_stays = sojourn_stays(split.data, past.journeys)
            plan_fit = fit_sojourn(plan_stays)
            plan_pop = _in_care(plan_stays, cut)
            snt = split.data.pathway.n_transient
            plan_perm = np.array([split.data.pathway.states.index(r) for r in pw.permanence])
            pop = _in_care(strat, cut)
            ids = strat.journey_ids[strat.journey[open_rows(strat, cut)]]
            fr = frame_full.loc[ids]
            la = pd.to_datetime(full.journeys.set_index("journey_id").loc[ids,
                                                                          "looked_after_date"])
            obs_ic = [_observed(fr, la.reset_index(drop=True),
                                pd.Series(cut, index=range(len(ids))), h,
                                pw.permanence).mean() if len(ids) else np.nan
                      for h in horizons]
            zeros = np.zeros(pop.n_in_care, np.int64)
            p_semi = _predict(semi, pop.state, zeros, pop.elapsed, pop.entry_day,
                              pop.la_offset, perm_codes, nt, horizons, True, reps, rng)
            p_mk = _predict(markov, pop.state, pop.stratum, pop.elapsed, pop.entry_day,
                            pop.la_offset, perm_codes, nt, horizons, True, reps, rng)
            p_plan = _predict(plan_fit, plan_pop.state, zeros, plan_pop.elapsed,
                              plan_pop.entry_day, plan_pop.la_offset, plan_perm, snt, horizons,
                              True, reps, rng)
            for i, h in enumerate(horizons):
                rows.append({"authority": a, "year": int(y), "population": "in_care",
                             "horizon": h, "n": pop.n_in_care, "observed": obs_ic[i],
                             "semi_markov": p_semi[i], "semi_markov_plan": p_plan[i],
                             "markov": p_mk[i]})
            # next year's entrants, as they began (first state, age band)
            la_all = pd.to_datetime(full_stays.la_date)
            nxt = np.flatnonzero((la_all > cut) & (la_all <= cut + pd.DateOffset(years=1)))
            fr = frame_full.loc[full_stays.journey_ids[nxt]]
            la_n = pd.Series(la_all[nxt])
            obs_nc = [_observed(fr, la_n, la_n, h, pw.permanence).mean() if len(nxt)
                      else np.nan for h in horizons]
            m = len(nxt)
            fs = full_stays.first_state[nxt]
            p_semi = _predict(semi, fs, np.zeros(m, np.int64), np.full(m, -1.0), np.zeros(m),
                              np.zeros(m), perm_codes, nt, horizons, False, reps, rng)
            p_mk = _predict(markov, fs, full_stays.journey_stratum[nxt], np.full(m, -1.0),
                            np.zeros(m), np.zeros(m), perm_codes, nt, horizons, False, reps,
                            rng)
            p_plan = _predict(plan_fit, fs, np.zeros(m, np.int64), np.full(m, -1.0),
                              np.zeros(m), np.zeros(m), plan_perm, snt, horizons, False, reps,
                              rng)
            for i, h in enumerate(horizons):
                rows.append({"authority": a, "year": int(y), "population": "next_cohort",
                             "horizon": h, "n": m, "observed": obs_nc[i],
                             "semi_markov": p_semi[i], "semi_markov_plan": p_plan[i],
                             "markov": p_mk[i]})
    return pd.DataFrame(rows)


def backtest_summary(table: pd.DataFrame) -> pd.DataFrame:
    """Mean absolute error and mean error (percentage points) of each model.

    Returns
    -------
    pandas.DataFrame
        One row per population and horizon: ``cases`` (councils x years), the observed
        mean, then for each model (``semi_markov``, ``semi_markov_plan`` when present,
        ``markov``) ``<model>_mae_pp`` and ``<model>_bias_pp``, and ``mae_ratio``: the
        semi-Markov model's error over the Markov baseline's.
    """
    models = [m for m in ("semi_markov", "semi_markov_plan", "markov") if m in table.columns]
    t = table.dropna(subset=["observed", *models])
    out = []
    for (pop, h), sub in t.groupby(["population", "horizon"], sort=False):
        row = {"population": pop, "horizon_years": h, "cases": len(sub),
               "observed_mean_pct": 100 * sub["observed"].mean()}
        err = {m: 100 * (sub[m] - sub["observed"]) for m in models}
        row.update({f"{m}_mae_pp": e.abs().mean() for m, e in err.items()})
        row.update({f"{m}_bias_pp": e.mean() for m, e in err.items()})
        row["mae_ratio"] = err["semi_markov"].abs().mean() / err["markov"].abs().mean()
        if "semi_markov_plan" in err:
            row["plan_mae_ratio"] = (err["semi_markov_plan"].abs().mean()
                                     / err["markov"].abs().mean())
        out.append(row)
    return pd.DataFrame(out)
