"""The evaluation panel: measures per council and reporting year, and true effects."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from pace_analysis.authorities import AUTHORITIES
from pace_analysis.errors import PaceError
from pace_analysis.evaluation.panel import (
    council_weights,
    evaluation_panel,
    join_years,
    reporting_year,
    shifted_joins,
    true_effects,
    wide,
)
from pace_analysis.synthetic import generate_twins


@pytest.fixture(scope="module")
def twins():
    return generate_twins(seed=21, scale=0.3)


@pytest.fixture(scope="module")
def panels(twins):
    return tuple(evaluation_panel(d) for d in twins)


def test_reporting_year_runs_august_to_july():
    d = pd.Series(pd.to_datetime(["2014-10-01", "2017-07-01", "2017-08-01", None]))
    assert reporting_year(d).tolist()[:3] == [2014, 2016, 2017]
    assert reporting_year(d).isna().iloc[3]


def test_join_years_follow_the_waves():
    joins = join_years()
    assert len(joins) == 32 and sum(g is None for g in joins.values()) == 5
    assert joins["Aberdeen City"] == 2014          # October 2014
    assert joins["Fife"] == 2015                   # April 2016 is in 2015/16
    assert joins["Glasgow City"] == 2016           # July 2017 is the last month of 2016/17
    assert joins["West Lothian"] == 2017           # July 2018
    never = {a.name for a in AUTHORITIES if a.pace_start is None}
    assert {a for a, g in joins.items() if g is None} == never
    assert shifted_joins(joins, 2)["Fife"] == 2013 and shifted_joins(joins, 2)["Moray"] is None


def test_permanence_within_2_years_by_hand(twins, panels):
    j = twins[0].journeys
    acc, perm = j["accommodated_date"], j["permanence_date"]
    sel = (j["authority"] == "Fife") & (acc >= "2012-08-01") & (acc <= "2013-07-31")
    want = ((perm[sel] - acc[sel]).dt.days <= 730).sum() / sel.sum()
    p = panels[0]
    got = p[(p["measure"] == "permanence_within_2_years") & (p["authority"] == "Fife")
            & (p["year"] == 2012)]
    assert got["value"].iloc[0] == pytest.approx(want) and got["n"].iloc[0] == sel.sum()


def test_only_cohorts_with_full_follow_up(panels):
    p = panels[0]
    last = p.groupby("measure")["year"].max()
    # Extract 2024-07-31: cohorts of 2021/22 have had two years, 2020/21 three, and
    # 2022/23 the 26 weeks of the recommendation aim.
    assert last["permanence_within_2_years"] == 2021
    assert last["days_to_recommendation"] == 2020
    assert last["recommendation_within_26_weeks"] == 2022
    assert p.groupby("measure")["year"].min().eq(2008).all()


def test_true_effect_is_zero_where_pace_never_was(panels):
    truth = true_effects(*panels)
    joins = join_years()
    never = truth["authority"].map(lambda a: joins[a] is None)
    assert truth.loc[never, "value"].abs().max() == 0
    before = truth["year"] < truth["authority"].map(lambda a: joins[a] or 9999) - 3
    assert truth.loc[before & ~never, "value"].abs().max() < 0.02
    late = truth[(truth["measure"] == "recommendation_within_26_weeks") & (truth["year"] >= 2019)
                 & ~never]
    assert late["value"].mean() > 0.05      # PACE raised the share recommended in 26 weeks


def test_weights_and_wide(panels):
    p = panels[0]
    w = council_weights(p, "permanence_within_2_years")
    assert w["Glasgow City"] > 10 * w["Orkney Islands"]
    t = wide(p, "permanence_within_2_years")
    assert t.shape == (32, 14)
    # A cell is missing only where a small council accommodated nobody that year.
    assert np.isnan(t.to_numpy()).mean() < 0.02


def test_unknown_measure(twins):
    with pytest.raises(PaceError, match="unknown evaluation measure"):
        evaluation_panel(twins[0], ["speed"])
