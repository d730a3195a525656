"""The counterfactual twin of the synthetic generator (a known truth for the evaluation)."""

from __future__ import annotations

import pandas as pd
import pytest

from pace_analysis.authorities import AUTHORITIES
from pace_analysis.synthetic import generate, generate_twins

NEVER = {a.name for a in AUTHORITIES if a.pace_start is None}
START = {a.name: pd.Timestamp(a.pace_start) for a in AUTHORITIES if a.pace_start}
KEY = ["child_id", "looked_after_date"]


@pytest.fixture(scope="module")
def twins():
    return generate_twins(seed=7, scale=0.3)


def _journeys(ds, keep) -> pd.DataFrame:
    j = ds.journeys
    return (j[keep(j)].drop(columns="journey_id").sort_values(KEY).reset_index(drop=True))


def test_first_twin_is_the_ordinary_dataset(twins):
    plain = generate(seed=7, scale=0.3)
    assert twins[0].journeys.equals(plain.journeys)
    assert twins[0].placements.equals(plain.placements)
    assert twins[0].meta == plain.meta
    assert "counterfactual" in twins[1].meta


def test_counterfactual_option_gives_the_twin(twins):
    alone = generate(seed=7, scale=0.3, counterfactual=True)
    assert alone.journeys.equals(twins[1].journeys)
    assert alone.placements.equals(twins[1].placements)


def test_councils_that_never_joined_are_identical_child_by_child(twins):
    def keep(j):
        return j["authority"].isin(NEVER)
    a, b = (_journeys(d, keep) for d in twins)
    assert len(a) > 100
    pd.testing.assert_frame_equal(a, b)
    # Their placements too (same journeys, same draws).
    def placements(ds):
        j = ds.journeys[keep(ds.journeys)][["journey_id", *KEY]]
        p = ds.placements.merge(j, on="journey_id").drop(columns="journey_id")
        return p.sort_values([*KEY, "start_date"]).reset_index(drop=True)
    pd.testing.assert_frame_equal(placements(twins[0]), placements(twins[1]))


def test_journeys_over_before_joining_are_identical(twins):
    def keep(j):
        start = j["authority"].map(START)
        return start.notna() & (j["exit_date"] < start)
    a, b = (_journeys(d, keep) for d in twins)
    assert len(a) > 1000
    pd.testing.assert_frame_equal(a, b)


def test_after_joining_the_twin_waits_longer_for_a_recommendation(twins):
    def wait(ds):
        j = ds.journeys
        start = j["authority"].map(START) + pd.DateOffset(years=2)
        sel = start.notna() & (j["accommodated_date"] >= start)
        return (j["permanence_recommendation_date"] - j["accommodated_date"])[sel].dt.days
    with_pace, twin = (wait(d) for d in twins)
    assert with_pace.median() < 0.8 * twin.median()
    # Same children were accommodated (accommodation is drawn before any PACE effect).
    assert abs(len(with_pace) - len(twin)) < 0.02 * len(twin)
