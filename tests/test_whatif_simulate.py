"""The simulator: conditional residual times, competing exits, common random numbers."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from pace_analysis.io import read_dataset
from pace_analysis.multistate import pathway_transitions
from pace_analysis.whatif.hazards import fit_markov, fit_sojourn, sojourn_stays, with_intervention
from pace_analysis.whatif.simulate import Start, Switch, simulate

DATA = Path(__file__).parent.parent / "data" / "synthetic"
N = 60_000


@pytest.fixture(scope="module")
def stays():
    ds = read_dataset(DATA).for_authority("Stirling")
    return sojourn_stays(pathway_transitions(ds), ds.journeys)


def _start(state, elapsed, n=N):
    z = np.zeros(n, np.int64)
    return Start(z, np.full(n, state), z, np.full(n, float(elapsed)), np.zeros(n), np.zeros(n))


def _sojourn(p, state):
    nxt = np.where(np.isnan(p.entered[:, state + 1:]), np.inf, p.entered[:, state + 1:]).min(axis=1)
    return np.minimum(nxt, p.end_day)


def test_first_sojourn_follows_the_fitted_distribution(stays):
    fit = fit_sojourn(stays)
    acc = stays.pathway.states.index("accommodated")
    rng = np.random.default_rng(3)
    p = simulate(fit, _start(acc, -1), rng.random((N, 6, 2)), 6)
    t = _sojourn(p, acc)
    g = np.flatnonzero(fit.grid_block == acc)
    s = fit.survival()[0, g]
    for q in (10, len(g) // 3, len(g) // 2):
        u = fit.grid_u[g[q]]
        emp = (t > u).mean()
        assert abs(emp - s[q]) < 4 * np.sqrt(s[q] * (1 - s[q]) / N) + 1e-9


def test_residual_time_is_conditional_on_the_time_spent(stays):
    fit = fit_sojourn(stays)
    acc = stays.pathway.states.index("accommodated")
    g = np.flatnonzero(fit.grid_block == acc)
    s = fit.survival()[0, g]
    spent = fit.grid_u[g[len(g) // 4]]
    s_e = s[len(g) // 4]
    p = simulate(fit, _start(acc, spent), np.random.default_rng(4).random((N, 6, 2)), 6)
    t = _sojourn(p, acc)
    assert (t > spent).all()
    q = len(g) // 2
    cond = s[q] / s_e  # P(T > u | T > spent)
    assert abs((t > fit.grid_u[g[q]]).mean() - cond) < 4 * np.sqrt(cond * (1 - cond) / N)


def test_markov_baseline_ignores_time_spent(stays):
    mk = fit_markov(stays)
    acc = stays.pathway.states.index("accommodated")
    u = np.random.default_rng(5).random((N, 6, 2))
    fresh = _sojourn(simulate(mk, _start(acc, 0), u, 6), acc)
    later = _sojourn(simulate(mk, _start(acc, 400), u, 6), acc) - 400
    np.testing.assert_array_equal(fresh, later)  # memoryless, and the same draws
    assert abs(fresh.mean() - 1 / mk.rate[acc].sum()) < 0.05 / mk.rate[acc].sum()


def test_a_time_shift_moves_each_path_earlier_on_the_same_route(stays):
    fit = fit_sojourn(stays)
    nt = 6
    rec = stays.pathway.states.index("recommended")
    acc = stays.pathway.states.index("accommodated")
    u = np.random.default_rng(6).random((N, nt, 2))
    base = simulate(fit, _start(acc, -1), u, nt)
    short = simulate(with_intervention(fit, rec, nt, shift_days=56), _start(acc, -1), u, nt,
                     Switch((rec,), 0.0, fit.n_blocks))
    np.testing.assert_array_equal(base.outcome, short.outcome)
    done = np.isfinite(base.end_day)
    assert (short.end_day[done] <= base.end_day[done]).all()
    went = ~np.isnan(base.entered[:, rec]) & done
    assert (short.end_day[went] < base.end_day[went]).mean() > 0.5
    # nobody who skipped the stage is touched
    np.testing.assert_array_equal(short.end_day[~went & done], base.end_day[~went & done])
    # the change applies only from its date: a date after everyone's entry changes nothing
    late = simulate(with_intervention(fit, rec, nt, shift_days=56), _start(acc, -1), u, nt,
                    Switch((rec,), 1e9, fit.n_blocks))
    np.testing.assert_array_equal(late.end_day, base.end_day)


def test_paths_only_move_forward_and_end_in_an_outcome(stays):
    fit = fit_sojourn(stays)
    p = simulate(fit, _start(0, -1, 5000), np.random.default_rng(7).random((5000, 6, 2)), 6)
    ent = np.where(np.isnan(p.entered), np.inf, p.entered)
    seen = ~np.isnan(p.entered)
    for i in range(5000):
        days = ent[i, seen[i]]
        assert (np.diff(days) > 0).all()
    ok = p.outcome >= 0
    assert ((p.outcome[ok] >= 6) & (p.outcome[ok] < len(stays.pathway.states))).all()
    assert (p.end_day[ok] >= ent[ok].min(axis=1)).all()


@pytest.mark.parametrize("stage_name, hazard_ratio, shift", [("accommodated", 1.0, 70.0),
                                                             ("recommended", 2.0, 0.0),
                                                             ("application", 0.5, 30.0)])
def test_rerunning_only_the_children_the_change_reaches_equals_rerunning_all(
        stage_name, hazard_ratio, shift):
    from pace_analysis.whatif.plans import split_by_plan
    from pace_analysis.whatif.projection import switched_start
    from pace_analysis.whatif.simulate import rerun_from_stage

    ds = read_dataset(DATA).for_authority("Stirling")
    sp = split_by_plan(pathway_transitions(ds), ds.journeys)
    st = sojourn_stays(sp.data, ds.journeys)
    nt = sp.data.pathway.n_transient
    sos = sp.base_index[:nt]
    fit = fit_sojourn(st, np.random.default_rng(0).poisson(1.0, (3, st.n_journeys)).astype(float))
    k0 = sp.base.transient.index(stage_name)
    ks = tuple(int(i) for i in np.flatnonzero(sos == k0))
    scen = with_intervention(fit, ks, nt, shift_days=shift, hazard_ratio=hazard_ratio)
    switch = Switch(ks, 100.0, fit.n_blocks, 1)
    rng = np.random.default_rng(8)
    n = 30_000
    new = rng.random(n) < 0.5  # half new entrants (day 0), half already in care
    state = np.where(new, rng.integers(0, 2, n), rng.integers(0, nt, n))
    start = Start(rng.integers(0, 3, n), state, np.zeros(n, np.int64),
                  np.where(new, -1.0, rng.integers(0, 400, n).astype(float)),
                  np.where(new, 0.0, rng.integers(0, 900, n).astype(float)),
                  np.where(new, rng.uniform(0, 1400, n), -rng.uniform(900, 3000, n)))
    u = rng.random((n, 6, 2))
    base = simulate(fit, start, u, nt, stage_of_state=sos)
    fast = rerun_from_stage(base, scen, start, u, nt, switch, k0, sos)
    full = simulate(scen, switched_start(start, switch, 100.0), u, nt, switch, sos)
    np.testing.assert_array_equal(fast.outcome, full.outcome)
    np.testing.assert_array_equal(fast.end_day, full.end_day)
    np.testing.assert_array_equal(fast.entered, full.entered)
    assert not np.array_equal(fast.end_day, base.end_day)
