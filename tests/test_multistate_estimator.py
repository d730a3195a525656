"""Multi-state Aalen–Johansen against R's survival (multi-state survfit), to 1e-6.

The reference values were written by ``tests/reference/multistate_reference.R`` from the
committed long-form inputs; these tests never run R.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from pace_analysis.errors import PaceError
from pace_analysis.multistate import fit_multistate, load_pathway
from pace_analysis.multistate.long_form import PathwayData
from pace_analysis.multistate.occupancy import fit_groups, state_occupancy, time_in_state

REF = Path(__file__).parent / "reference"
TOL = 1e-6
PATHWAY = load_pathway()


def _ref(name: str) -> pd.DataFrame:
    return pd.read_csv(REF / name, na_values=["NA"], keep_default_na=False)


def _data(name: str) -> PathwayData:
    tr = _ref(f"multistate_{name}_transitions.csv")
    tr["from_state"] = pd.Categorical(tr["from_state"], categories=list(PATHWAY.states))
    tr["to_state"] = pd.Categorical(tr["to_state"], categories=[*PATHWAY.states, "censored"])
    tr["entry_year"] = 2020
    return PathwayData(tr, PATHWAY, [])


def _fits(name: str) -> dict:
    data = _data(name)
    fits = {("none", label): fit for label, fit, _ in fit_groups(data)}
    fits.update({("authority", label): fit for label, fit, _ in fit_groups(data, "authority")})
    return fits


@pytest.mark.parametrize("dataset", ["hand", "synthetic"])
def test_pstate_and_std_err_match_r(dataset):
    ref = _ref("multistate_ref_pstate.csv")
    ref = ref[ref["dataset"] == dataset]
    fits = _fits(dataset)
    checked = 0
    for (by, group), sub in ref.groupby(["by", "group"]):
        fit = fits[(by, group)]
        times = np.unique(sub["time"].to_numpy())
        p = fit.pstate_at(times)
        se = fit.std_err(times)
        se0 = fit.std_err(times, initial_variance=False)
        row = np.searchsorted(times, sub["time"].to_numpy())
        k = np.array([PATHWAY.index(s) for s in sub["state"]])
        np.testing.assert_allclose(p[row, k], sub["pstate"], atol=TOL, rtol=0)
        np.testing.assert_allclose(se[row, k], sub["std_err"], atol=TOL, rtol=0)
        np.testing.assert_allclose(se0[row, k], sub["std_err_default"], atol=TOL, rtol=0)
        checked += len(sub)
    assert checked == len(ref) > 100


@pytest.mark.parametrize("dataset", ["hand", "synthetic"])
def test_rmean_and_its_std_err_match_r(dataset):
    ref = _ref("multistate_ref_rmean.csv")
    ref = ref[ref["dataset"] == dataset]
    fits = _fits(dataset)
    for (by, group, tau), sub in ref.groupby(["by", "group", "tau"]):
        fit = fits[(by, group)]
        k = [PATHWAY.index(s) for s in sub["state"]]
        np.testing.assert_allclose(fit.rmean(tau)[k], sub["rmean"], atol=TOL, rtol=0)
        np.testing.assert_allclose(fit.rmean_std_err(tau)[0, k], sub["se_rmean_by_hand"],
                                   atol=TOL, rtol=0)
        if not (fit.time == 0).any():  # R's own se(rmean) is right without day-0 moves
            np.testing.assert_allclose(fit.rmean_std_err(tau)[0, k], sub["se_rmean"],
                                       atol=TOL, rtol=0)


def test_states_missing_from_r_output_have_zero_occupancy():
    ref = _ref("multistate_ref_pstate.csv")
    for (dataset, by, group), sub in ref.groupby(["dataset", "by", "group"]):
        fit = _fits(dataset)[(by, group)]
        absent = [PATHWAY.index(s) for s in PATHWAY.states if s not in set(sub["state"])]
        assert np.all(fit.pstate[:, absent] == 0)


def test_occupancy_sums_to_one_and_time_in_state_to_tau():
    data = _data("synthetic")
    occ = state_occupancy(data, by="authority", times_days=[0, 365.25, 730.5])
    sums = occ.groupby(["group", "time_days"], observed=True)["pstate"].sum()
    np.testing.assert_allclose(sums, 1.0, atol=1e-12)
    tis = time_in_state(data, 730.5, by="authority")
    np.testing.assert_allclose(tis.groupby("group", observed=True)["rmean_days"].sum(), 730.5,
                               atol=1e-9)
    assert (tis["std_err"] >= 0).all() and tis["estimable"].all()


def test_two_state_occupancy_is_kaplan_meier_with_greenwood_free_ij():
    # one transient state, one absorbing: P(still in state 0) is the Kaplan-Meier estimate
    t = np.array([2.0, 3, 3, 5, 8, 8, 9])
    d = np.array([1, 1, 0, 1, 1, 0, 1])
    fit = fit_multistate(np.full(7, -1.0), t, np.zeros(7, int), np.where(d == 1, 1, -1),
                         np.arange(7), 2)
    km, s = [], 1.0
    for u in np.unique(t[d == 1]):
        s *= 1 - ((t == u) & (d == 1)).sum() / (t >= u).sum()
        km.append(s)
    np.testing.assert_allclose(fit.pstate[:, 0], km)


def test_bad_input_is_refused():
    with pytest.raises(PaceError, match="tstart >= tstop"):
        fit_multistate([1.0], [1.0], [0], [1], [0], 2)
    with pytest.raises(PaceError, match="own state"):
        fit_multistate([0.0], [1.0], [0], [0], [0], 2)
    with pytest.raises(PaceError, match="states must be"):
        fit_multistate([0.0], [1.0], [0], [5], [0], 2)
