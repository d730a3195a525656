"""Tests for pace_analysis.competing against R (survival, cmprsk) and hand computation.

Reference values come from tests/reference/competing_reference.R (committed outputs);
the tests never run R.
"""

from __future__ import annotations

import warnings
from fractions import Fraction as Fr

import numpy as np
import pandas as pd
import pytest
from competing_frames import ROUTES, TOL, hand_frame, read_reference, synthetic_frame

from pace_analysis.competing import (
    aalen_johansen,
    cif_at,
    cumulative_incidence,
)
from pace_analysis.errors import PaceError
from pace_analysis.gray import gray_test


@pytest.fixture(scope="module")
def hand() -> pd.DataFrame:
    return hand_frame()


@pytest.fixture(scope="module")
def synthetic() -> pd.DataFrame:
    return synthetic_frame()


@pytest.fixture(scope="module")
def ref_aj() -> pd.DataFrame:
    return read_reference("competing_ref_aj.csv")


@pytest.fixture(scope="module")
def ref_cuminc() -> pd.DataFrame:
    return read_reference("competing_ref_cuminc.csv")


def _frames(data: pd.DataFrame, dataset: str, bys: list[str]):
    yield "none", None
    for b in bys:
        yield b, b


def _check_against_survfit(frame, ref, dataset, by_names, conf_type):
    checked = 0
    for by_name, by in _frames(frame, dataset, by_names):
        table = cumulative_incidence(frame, by=by, routes=ROUTES, conf_type=conf_type)
        r = ref[(ref.dataset == dataset) & (ref.by == by_name) & (ref.conf_type == conf_type)]
        assert len(r) > 0
        for (group, state), rr in r.groupby(["group", "state"]):
            mine = cif_at(table[(table.group == str(group)) & (table.route == state)],
                          rr["time"].to_numpy())
            assert mine["estimable"].all()
            np.testing.assert_allclose(mine["cif"], rr["pstate"], atol=TOL, rtol=0)
            np.testing.assert_allclose(mine["std_err"], rr["std_err"], atol=TOL, rtol=0)
            lo, hi = rr["lower"].to_numpy(), rr["upper"].to_numpy()
            # R gives NA where the estimate is 0 (or 1 for log-log); we give [p, p]
            na = np.isnan(lo)
            np.testing.assert_allclose(mine["ci_lower"][~na], lo[~na], atol=TOL, rtol=0)
            np.testing.assert_allclose(mine["ci_upper"][~na], hi[~na], atol=TOL, rtol=0)
            np.testing.assert_array_equal(mine["ci_lower"][na], mine["cif"][na])
            np.testing.assert_array_equal(mine["ci_upper"][na], mine["cif"][na])
            # number at risk at the times our table lists
            sub = table[(table.group == str(group)) & (table.route == state)]
            both = sub.merge(rr, left_on="time_days", right_on="time")
            np.testing.assert_array_equal(both["at_risk"], both["n_risk"])
            checked += len(rr)
    return checked


@pytest.mark.parametrize("conf_type", ["log-log", "log", "plain"])
def test_hand_matches_survfit_multistate(hand, ref_aj, conf_type):
    n = _check_against_survfit(hand, ref_aj, "hand", ["group"], conf_type)
    assert n > 100


def test_synthetic_matches_survfit_multistate_with_late_entry(synthetic, ref_aj):
    assert (synthetic["entry_days"] > 0).sum() > 100  # late entry really is exercised
    n = _check_against_survfit(synthetic, ref_aj, "synthetic", ["authority", "age_group"],
                               "log-log")
    assert n > 3000


def _check_against_cuminc(frame, ref, dataset, by_names):
    sub = frame[frame["entry_days"] <= 0]
    checked = 0
    for by_name, by in _frames(frame, dataset, by_names):
        table = cumulative_incidence(sub, by=by, routes=ROUTES, variance="cuminc")
        r = ref[(ref.dataset == dataset) & (ref.by == by_name)]
        for (group, state), rr in r.groupby(["group", "state"]):
            rr = rr.groupby("time", as_index=False).last()  # value just after each time
            mine = cif_at(table[(table.group == str(group)) & (table.route == state)],
                          rr["time"].to_numpy())
            np.testing.assert_allclose(mine["cif"], rr["est"], atol=TOL, rtol=0)
            np.testing.assert_allclose(mine["std_err"] ** 2, rr["var"], atol=TOL, rtol=0)
            checked += len(rr)
    return checked


def test_hand_matches_cuminc(hand, ref_cuminc):
    assert _check_against_cuminc(hand, ref_cuminc, "hand", ["group"]) > 30


def test_synthetic_matches_cuminc(synthetic, ref_cuminc):
    assert _check_against_cuminc(synthetic, ref_cuminc, "synthetic",
                                 ["authority", "age_group"]) > 1000


def test_hand_computed_values(hand):
    """Group B by the AJ formula; B07 enters late (day 2), so 9 are at risk on day 1."""
    t = cumulative_incidence(hand, by="group", routes=ROUTES)

    def at(route, day):
        return cif_at(t[(t.group == "B") & (t.route == route)], [day])["cif"].iloc[0]

    s1 = Fr(6, 9)
    s3 = s1 * Fr(6, 7)
    s4 = s3 * Fr(4, 5)
    s6 = s4 * Fr(3, 4)
    assert at("kinship", 1) == pytest.approx(float(Fr(2, 9)), abs=1e-12)
    assert at("adoption", 3) == pytest.approx(float(s1 / 7), abs=1e-12)
    assert at("home", 6) == pytest.approx(float(Fr(1, 9) + s3 / 5 + s4 / 4), abs=1e-12)
    assert at("kinship", 9) == pytest.approx(float(Fr(2, 9) + s6 / 2), abs=1e-12)
    assert at("exit", 9) == pytest.approx(float(s6 / 2), abs=1e-12)
    assert at("waiting", 6) == pytest.approx(float(s6), abs=1e-12)
    # day 0 in group A: 10 followed from the origin, one home and one exit on day 0
    a0 = cif_at(t[t.group == "A"], [0])
    assert a0.set_index("route").loc["home", "cif"] == pytest.approx(0.1, abs=1e-12)
    assert a0.set_index("route").loc["waiting", "cif"] == pytest.approx(0.8, abs=1e-12)
    assert t[(t.group == "A") & (t.time_days == 0)]["at_risk"].iloc[0] == 10


def test_routes_exit_and_waiting_sum_to_one(synthetic):
    t = cumulative_incidence(synthetic, by="authority")
    assert set(t["route"]) == set(ROUTES) | {"exit", "waiting"}
    total = t.groupby(["group", "time_days"], observed=True)["cif"].sum()
    np.testing.assert_allclose(total.to_numpy(), 1.0, atol=1e-12, rtol=0)


def test_deterministic_order_free_and_leaves_global_rng_alone(synthetic):
    state = np.random.get_state()  # noqa: NPY002 (checking the global state)
    a = cumulative_incidence(synthetic, by="age_group")
    shuffled = synthetic.sample(frac=1.0, random_state=np.random.default_rng(5))
    b = cumulative_incidence(shuffled, by="age_group")
    after = np.random.get_state()  # noqa: NPY002 (checking the global state)
    assert all(np.array_equal(x, y) if isinstance(x, np.ndarray) else x == y
               for x, y in zip(state, after, strict=True))
    pd.testing.assert_frame_equal(a, b, check_exact=False, rtol=1e-13, atol=1e-15)


def test_lifelines_aalen_johansen_differs_but_we_match_the_formula():
    """lifelines jitters tied event times at random (up or down), so an event tied with
    censorings sometimes loses them from its risk set; R and we count censorings at t as at
    risk at t. Here day 1 has one return home and five censorings among ten children."""
    import lifelines
    time = np.array([1, 1, 1, 1, 1, 1, 2, 3, 3, 4], dtype=float)
    outcome = np.array(["home"] + ["censored"] * 5 + ["home", "exit", "home", "censored"],
                       dtype=object)
    code = np.select([outcome == "home", outcome == "exit"], [1, 2], 0)
    ours = cumulative_incidence(pd.DataFrame({"time_days": time, "outcome": outcome}),
                                routes=ROUTES)
    home = cif_at(ours[ours.route == "home"], [1, 4])["cif"].to_numpy()
    # AJ by hand: 1/10 on day 1 (all ten at risk); day 2: 4 at risk, S(2-) = 9/10;
    # day 3: 3 at risk, one home and one exit, S(3-) = 9/10 * 3/4; day 4 is a censoring
    assert home[0] == pytest.approx(0.1, abs=1e-15)
    assert home[1] == pytest.approx(0.1 + 0.9 / 4 + 0.9 * 3 / 4 / 3, abs=1e-15)
    state = np.random.get_state()  # noqa: NPY002 (checking the global state)
    finals = set()
    with pytest.warns(Warning, match="jitter"):
        for seed in range(8):
            ajf = lifelines.AalenJohansenFitter(calculate_variance=False, seed=seed)
            ajf.fit(time, code, event_of_interest=1)
            finals.add(round(float(ajf.cumulative_density_.iloc[:, 0].iloc[-1]), 12))
    # the answer depends on the seed, and it reseeds numpy's global generator
    assert len(finals) > 1
    assert any(abs(f - home[1]) > 0.01 for f in finals)
    assert not np.array_equal(state[1], np.random.get_state()[1])  # noqa: NPY002


def test_lifelines_aalen_johansen_loses_day0_event_and_swaps_ci_labels():
    import lifelines
    time = np.array([0, 0, 1, 2, 3, 4, 5, 6], dtype=float)
    code = np.array([1, 0, 2, 1, 0, 1, 2, 1])
    outcome = np.array(["censored", "home", "exit"], dtype=object)[code]
    ours = aalen_johansen(time, outcome)
    # by hand: 8 at risk on day 0 (the censoring on day 0 too), one return home: 1/8
    assert ours.time[0] == 0 and ours.cif[0, ours.states.index("home")] == pytest.approx(1 / 8)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # its "tied event times ... jittered" warning
        ajf = lifelines.AalenJohansenFitter(seed=1).fit(time, code, event_of_interest=1)
    cif = ajf.cumulative_density_.iloc[:, 0]
    assert cif.loc[0.0] == 0.0  # the day-0 return home is not counted
    ci = ajf.confidence_interval_.dropna()
    upper = ci[[c for c in ci.columns if "upper" in c][0]]
    lower = ci[[c for c in ci.columns if "lower" in c][0]]
    assert (upper < lower).all()  # columns named "upper" hold the lower bound


# ----------------------------------------------------------------------------- edge cases


def _frame(rows):
    return pd.DataFrame(rows, columns=["group", "entry_days", "time_days", "outcome"])


def test_all_censored_group_gives_zero_incidence(hand):
    t = cumulative_incidence(hand, by="group", routes=ROUTES)
    c = t[t.group == "C"]
    assert set(c["time_days"]) == {0.0, 8.0}  # start and last follow-up
    routes = c[c.route != "waiting"]
    assert (routes["cif"] == 0).all() and (routes["ci_upper"] == 0).all()
    w = c[c.route == "waiting"]
    assert (w["cif"] == 1).all() and (w["ci_lower"] == 1).all()
    assert c[c.time_days == 0]["at_risk"].iloc[0] == 3  # C03 enters on day 1


def test_empty_frame_and_empty_category():
    empty = _frame([])
    t = cumulative_incidence(empty)
    assert len(t) == 0 and "cif" in t.columns
    f = _frame([["x", 0, 3, "home"], ["x", 0, 5, "censored"]])
    f["group"] = pd.Categorical(f["group"], ["x", "y"])
    t = cumulative_incidence(f, by="group", routes=ROUTES)
    assert set(t["group"]) == {"x"}  # the empty category gets no rows


def test_one_child():
    t = cumulative_incidence(_frame([["x", 0, 4, "adoption"]]), routes=ROUTES)
    assert cif_at(t[t.route == "adoption"], [3, 4])["cif"].tolist() == [0.0, 1.0]
    t = cumulative_incidence(_frame([["x", 0, 4, "censored"]]), routes=ROUTES)
    assert (t[t.route == "waiting"]["cif"] == 1).all()
    assert not t[["cif", "std_err", "ci_lower", "ci_upper"]].isna().any().any()


def test_route_without_events_is_zero_and_not_nan(hand):
    t = cumulative_incidence(hand, routes=ROUTES)
    po = t[t.route == "permanence_order"]
    assert len(po) > 0 and (po["cif"] == 0).all() and (po["std_err"] == 0).all()
    g = gray_test(hand[hand.entry_days <= 0], "group", routes=ROUTES).set_index("route")
    assert np.isnan(g.loc["permanence_order", "statistic"])
    assert "no events" in g.loc["permanence_order", "note"]


def test_cif_at_beyond_follow_up_is_not_estimable(hand):
    t = cumulative_incidence(hand, routes=ROUTES)
    r = cif_at(t, [5, 1000])
    assert not r[r.time_days == 1000]["estimable"].any()
    assert r[r.time_days == 1000]["cif"].isna().all()
    assert r[r.time_days == 5]["cif"].notna().all()


def test_entry_equal_to_time_is_left_out_and_counted():
    res = aalen_johansen([3, 5, 6], ["home", "home", "censored"], [3, 0, 0])
    assert res.n == 2 and res.n_dropped == 1
    assert res.cif[-1, 0] == pytest.approx(0.5)


@pytest.mark.parametrize(("kwargs", "match"), [
    (dict(time=[1, np.nan], event=["home", "censored"]), "missing"),
    (dict(time=[1, -1], event=["home", "censored"]), ">= 0"),
    (dict(time=[1, 2], event=["home", "censored"], entry=[2, 0]), "entry is after"),
    (dict(time=[1, 2], event=["home", "zzz"], states=["home"]), "not among states"),
    (dict(time=[1, 2], event=["home", "censored"], entry=[0.5, 0], variance="cuminc"),
     "late entry"),
    (dict(time=[1, 2], event=["home"]), "equal length"),
])
def test_aalen_johansen_rejects_bad_input(kwargs, match):
    with pytest.raises(PaceError, match=match):
        aalen_johansen(**kwargs)


def test_frame_level_errors(hand):
    with pytest.raises(PaceError, match="not routes"):
        cumulative_incidence(_frame([["x", 0, 3, "teleported"]]), routes=ROUTES)
    bad = hand.copy()
    bad.loc[0, "time_days"] = np.nan
    with pytest.raises(PaceError, match="missing"):
        cumulative_incidence(bad, routes=ROUTES)
    with pytest.raises(PaceError, match="late entry"):
        gray_test(hand, "group", routes=ROUTES)
    with pytest.raises(PaceError, match="two non-empty groups"):
        gray_test(hand[hand.group == "B"].assign(entry_days=0), "group", routes=ROUTES)
    with pytest.raises(PaceError, match="conf_type"):
        cumulative_incidence(hand, conf_type="arcsine")


def test_several_by_columns_and_route_set(synthetic):
    from pace_analysis.routes import load_route_set

    t = cumulative_incidence(synthetic, by=["authority", "age_group"],
                             routes=load_route_set("scotland"))
    assert "Moray / under 1" in set(t["group"])
    assert list(t["route"].cat.categories) == ROUTES + ["exit", "waiting"]
    one = t[t.group == "Moray / 12+"]
    sub = synthetic[(synthetic.authority == "Moray") & (synthetic.age_group == "12+")]
    direct = cumulative_incidence(sub, routes=ROUTES)
    np.testing.assert_allclose(one["cif"].to_numpy(), direct["cif"].to_numpy(), atol=1e-15)


def test_survival_reaching_zero_before_late_entrants_warns():
    # both at risk on day 2 leave; a late entrant (entry 3) then returns home on day 5
    with pytest.warns(UserWarning, match="reaches 0"):
        res = aalen_johansen([2, 2, 5], ["home", "exit", "home"], [0, 0, 3])
    assert res.survival[0] == 0 and np.isfinite(res.variance).all()
    assert res.cif[-1].tolist() == [0.5, 0.5]  # nothing more can be added once S is 0


def test_cuminc_variance_gives_greenwood_for_waiting():
    res = aalen_johansen([1, 1, 2, 3], ["a", "censored", "b", "a"], variance="cuminc")
    # Greenwood by hand: S(2) = 3/4 * 1/2; var = S^2 (1/(4*3) + 1/(2*1))
    assert res.survival[1] == pytest.approx(3 / 8)
    assert res.survival_variance[1] == pytest.approx((3 / 8) ** 2 * (1 / 12 + 1 / 2), abs=1e-15)
    assert np.isfinite(res.survival_variance).all()
