"""what_if on one council of the committed data: no change, shorter stages, bad input."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from pace_analysis.errors import PaceError
from pace_analysis.io import read_dataset
from pace_analysis.whatif import Scenario, what_if

DATA = Path(__file__).parent.parent / "data" / "synthetic"
COUNCIL = "Stirling"


@pytest.fixture(scope="module")
def dataset():
    return read_dataset(DATA)


@pytest.mark.parametrize("scenario", [Scenario("recommended"),
                                      Scenario("panel", hazard_ratio=1.0),
                                      Scenario("accommodated", weeks=0, hazard_ratio=1)])
def test_no_change_changes_nothing(dataset, scenario):
    r = what_if(dataset, COUNCIL, scenario, replicates=40, seed=2)
    assert (r.shares["difference"] == 0).all()
    np.testing.assert_array_equal(r.shares["baseline"], r.shares["scenario"])
    assert (r.waiting["saved"] == 0).all()


@pytest.mark.parametrize("stage", ["accommodated", "recommended", "application"])
def test_a_shorter_stage_never_lowers_the_share_reaching_permanence(dataset, stage):
    r = what_if(dataset, COUNCIL, Scenario(stage, weeks=12), replicates=60, seed=3)
    perm = r.shares[r.shares["route"] == "permanence"]
    # common random numbers: each child's path only moves earlier, so this holds in
    # every replicate, not only on average
    assert (perm["difference_lower"] >= 0).all()
    assert (perm["difference"] > 0).any()
    total = r.waiting[r.waiting["outcome"] == "all"]
    assert (total["saved_lower"] >= 0).all() and (total["saved"] > 0).all()


def test_routes_add_up_and_shares_grow_with_time(dataset):
    r = what_if(dataset, COUNCIL, Scenario("recommended", weeks=8), replicates=50, seed=4)
    s = r.shares
    for _key, sub in s.groupby(["population", "years"]):
        routes = sub[sub["route"] != "permanence"]["baseline"].sum()
        assert routes == pytest.approx(sub[sub["route"] == "permanence"]["baseline"].iloc[0])
    for _pop, sub in s[s["route"] == "permanence"].groupby("population"):
        assert sub.sort_values("years")["baseline"].is_monotonic_increasing
    w = r.waiting
    for _year, sub in w.groupby("year"):
        parts = sub[sub["outcome"] != "all"][["baseline", "saved"]].sum()
        whole = sub[sub["outcome"] == "all"].iloc[0]
        assert parts["baseline"] == pytest.approx(whole["baseline"])
        assert parts["saved"] == pytest.approx(whole["saved"])
    assert r.n_in_care > 0 and r.n_new > 0 and 0 < r.stage_children
    assert set(s["population"]) == {"in_care", "new"}


def test_a_faster_stage_helps_and_later_start_helps_less(dataset):
    fast = what_if(dataset, COUNCIL, Scenario("recommended", hazard_ratio=2.0),
                   replicates=60, seed=5)
    perm = fast.shares[(fast.shares["route"] == "permanence")]
    assert (perm["difference"] > 0).all()
    start = fast.start_date
    later = what_if(dataset, COUNCIL, Scenario("recommended", hazard_ratio=2.0,
                                              from_date=(start + pd.DateOffset(years=2)).date()),
                    replicates=60, seed=5)
    w_now = fast.waiting.query("outcome == 'all' and year == 1")["saved"].iloc[0]
    w_later = later.waiting.query("outcome == 'all' and year == 1")["saved"].iloc[0]
    assert abs(w_later) < 1e-6 < w_now


def test_deterministic_given_the_seed(dataset):
    sc = Scenario("panel", weeks=4)
    a = what_if(dataset, COUNCIL, sc, replicates=20, seed=9)
    b = what_if(dataset, COUNCIL, sc, replicates=20, seed=9)
    c = what_if(dataset, COUNCIL, sc, replicates=20, seed=10)
    pd.testing.assert_frame_equal(a.shares, b.shares)
    pd.testing.assert_frame_equal(a.waiting, b.waiting)
    assert not a.shares["baseline"].equals(c.shares["baseline"])


def test_monte_carlo_only_narrower_than_with_bootstrap(dataset):
    sc = Scenario("recommended", weeks=8)
    mc = what_if(dataset, COUNCIL, sc, replicates=100, seed=1, bootstrap=False)
    bs = what_if(dataset, COUNCIL, sc, replicates=100, seed=1)
    width = lambda r: (r.shares["baseline_upper"] - r.shares["baseline_lower"]).sum()  # noqa: E731
    assert width(mc) < width(bs)


@pytest.mark.parametrize("kwargs, message", [
    ({"authority": "Atlantis"}, "unknown authority"),
    ({"scenario": Scenario("waiting_room")}, "unknown stage"),
    ({"scenario": Scenario("panel", weeks=-1)}, "weeks must be"),
    ({"scenario": Scenario("panel", weeks=float("nan"))}, "weeks must be"),
    ({"scenario": Scenario("panel", hazard_ratio=0)}, "hazard ratio"),
    ({"scenario": Scenario("panel", from_date="2001-01-01")}, "on or after"),
    ({"replicates": 0}, "replicates"),
])
def test_bad_input_is_a_clear_error(dataset, kwargs, message):
    args = {"authority": COUNCIL, "scenario": Scenario("panel", weeks=2), **kwargs}
    with pytest.raises(PaceError, match=message):
        what_if(dataset, args["authority"], args["scenario"], replicates=kwargs.get("replicates", 5))


def test_stage_by_label_and_age_strata(dataset):
    r = what_if(dataset, COUNCIL, Scenario("Recommended, awaiting panel", weeks=6),
                replicates=30, seed=1, by="age_group")
    assert (r.shares.query("route == 'permanence'")["difference"] >= 0).all()


def test_hazards_by_state_only_also_keep_the_guarantees(dataset):
    same = what_if(dataset, COUNCIL, Scenario("panel"), replicates=20, seed=6, by_plan=False)
    assert (same.shares["difference"] == 0).all() and (same.waiting["saved"] == 0).all()
    short = what_if(dataset, COUNCIL, Scenario("recommended", weeks=10), replicates=30, seed=6,
                    by_plan=False)
    perm = short.shares[short.shares["route"] == "permanence"]
    assert (perm["difference_lower"] >= 0).all() and (perm["difference"] > 0).any()
