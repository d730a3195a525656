"""Calibration: hand-checked definitions on tiny data, and the generator hits its targets."""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import pytest

from pace_analysis.calibration import (
    COLUMNS,
    PP_SHARES,
    away_from_home_on,
    calibration_table,
    format_table,
    looked_after_on,
    pp_status,
)
from pace_analysis.dataset import Dataset
from pace_analysis.schema import DATE_COLUMNS, JOURNEY_COLUMNS, PLACEMENT_COLUMNS
from pace_analysis.synthetic import generate

EXTRACT = "2024-07-31"


def _journeys(rows: list[dict]) -> pd.DataFrame:
    base = {c.name: None for c in JOURNEY_COLUMNS}
    base.update(authority="Angus", sex="female", date_of_birth="2010-01-01",
                legal_basis="s25", extract_date=EXTRACT)
    frame = pd.DataFrame([{**base, "journey_id": f"J{i}", "child_id": f"C{i}", **r}
                          for i, r in enumerate(rows)], columns=[c.name for c in JOURNEY_COLUMNS])
    for col in DATE_COLUMNS["journeys"]:
        frame[col] = pd.to_datetime(frame[col])
    return frame


def _placements(rows: list[tuple]) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=[c.name for c in PLACEMENT_COLUMNS])
    for col in DATE_COLUMNS["placements"]:
        frame[col] = pd.to_datetime(frame[col])
    return frame


# --------------------------------------------------------------------------- definitions by hand


def test_looked_after_on_counts_exit_day_as_left():
    j = _journeys([
        {"looked_after_date": "2010-01-01", "exit_date": "2010-07-31", "exit_reason": "other"},
        {"looked_after_date": "2010-07-31"},
        {"looked_after_date": "2010-08-01"},
        {"looked_after_date": "2009-01-01", "exit_date": "2010-08-01", "exit_reason": "other"},
    ])
    assert looked_after_on(j, date(2010, 7, 31)).tolist() == [False, True, False, True]


def test_away_from_home_uses_the_placement_on_the_day():
    j = _journeys([
        {"looked_after_date": "2010-01-01"},
        {"looked_after_date": "2010-01-01", "accommodated_date": "2010-01-01"},
        {"looked_after_date": "2010-01-01", "accommodated_date": "2010-01-01"},
    ])
    p = _placements([
        ("J0", "2010-01-01", None, "home"),
        ("J1", "2010-01-01", "2010-07-30", "foster"),
        ("J1", "2010-07-31", None, "home"),          # trial home placement on the day
        ("J2", "2010-01-01", "2010-07-31", "foster"),
        ("J2", "2010-08-01", None, "kinship"),
    ])
    ds = Dataset(j, p)
    assert away_from_home_on(ds, date(2010, 7, 31)).tolist() == [False, False, True]


def test_pp_status_categories_at_four_years():
    la = "2012-09-01"  # four years later (1461 days) is 2016-09-01
    j = _journeys([
        {"permanence_route": "home", "permanence_date": "2013-05-01", "exit_date": "2013-05-01",
         "exit_reason": "permanence"},
        {"permanence_route": "kinship", "permanence_date": "2015-01-01",
         "exit_date": "2015-01-01", "exit_reason": "permanence"},
        {"permanence_route": "adoption", "permanence_date": "2016-08-31",
         "exit_date": "2016-08-31", "exit_reason": "permanence"},
        {"permanence_route": "adoption", "permanence_date": "2016-09-02",  # one day too late
         "exit_date": "2016-09-02", "exit_reason": "permanence",
         "permanence_recommendation_date": "2014-01-01", "planned_route": "adoption"},
        {"permanence_route": "permanence_order", "permanence_date": "2015-06-01"},
        {"exit_date": "2014-01-01", "exit_reason": "transferred"},
        {},
    ])
    j["looked_after_date"] = pd.Timestamp(la)
    assert pp_status(j).tolist() == [
        "home", "other family (kinship)", "adopted", "moving towards adoption",
        "permanence order", "left, other destination", "still looked after",
    ]


def test_table_values_match_hand_computation():
    rows = [
        # Accommodated, 2009 cohort: orders after 700 and 1500 days, a return home after 100.
        {"looked_after_date": "2009-01-01", "accommodated_date": "2009-01-01",
         "permanence_route": "adoption", "permanence_date": "2010-12-02",
         "exit_date": "2010-12-02", "exit_reason": "permanence"},
        {"looked_after_date": "2009-01-01", "accommodated_date": "2009-01-01",
         "permanence_route": "permanence_order", "permanence_date": "2013-02-09"},
        {"looked_after_date": "2009-01-01", "accommodated_date": "2009-01-01",
         "permanence_route": "home", "permanence_date": "2009-04-11",
         "exit_date": "2009-04-11", "exit_reason": "permanence"},
        # At home on a CSO: one still looked after two years later, one not.
        {"looked_after_date": "2010-01-01", "legal_basis": "cso",
         "permanence_route": "home", "permanence_date": "2011-01-01",
         "exit_date": "2011-01-01", "exit_reason": "permanence"},
        {"looked_after_date": "2010-01-01", "legal_basis": "cso"},
        # Outside the cohort window: ignored by the cohort figures.
        {"looked_after_date": "2013-01-01", "accommodated_date": "2013-01-01",
         "permanence_route": "adoption", "permanence_date": "2013-06-01",
         "exit_date": "2013-06-01", "exit_reason": "permanence"},
    ]
    j = _journeys(rows)
    p = _placements([(jid, la, None, "foster") for jid, la in
                     zip(j["journey_id"], j["looked_after_date"].dt.strftime("%Y-%m-%d"),
                         strict=True)])
    table = calibration_table(Dataset(j, p), scale=1.0).set_index("target")
    assert list(table.reset_index().columns) == list(COLUMNS)
    mean = table.loc["mean years to legal permanence"]
    assert mean["synthetic_value"] == pytest.approx((700 + 1500 + 100) / 3 / 365.25)
    assert mean["n"] == 3
    within = table.loc["share of orders within 2 years"]
    assert within["synthetic_value"] == pytest.approx(0.5) and within["n"] == 2
    assert table.loc["share of orders after more than 4 years", "synthetic_value"] == pytest.approx(0.5)
    cso = table.loc["share on a CSO at home still looked after 2 years later"]
    assert cso["synthetic_value"] == pytest.approx(0.5) and cso["n"] == 2
    assert not mean["pass"]


def test_counts_are_divided_by_scale():
    # Two starts in reporting year 2008-09 and one in 2009-10; scale 1/1000.
    j = _journeys([
        {"looked_after_date": "2008-08-01"}, {"looked_after_date": "2009-07-31"},
        {"looked_after_date": "2009-08-01", "exit_date": "2010-07-31", "exit_reason": "other"},
    ])
    j["extract_date"] = pd.Timestamp("2010-07-31")
    p = _placements([])
    ds = Dataset(j, p, meta={"scale": 0.001, "window": {"start": "2008-08-01"}})
    table = calibration_table(ds).set_index("target")
    assert table.loc["looked-after starts in a reporting year (fewest)", "synthetic_value"] == 1000
    assert table.loc["looked-after starts in a reporting year (most)", "synthetic_value"] == 2000
    # Stock on 31 Jul 2009: the two first journeys; on 31 Jul 2010 the third has just left.
    assert table.loc["children looked after on 31 July (highest)", "synthetic_value"] == 2000
    assert table.loc["children looked after on 31 July (lowest)", "n"] == 2


def test_empty_populations_fail_instead_of_crashing():
    j = _journeys([{"looked_after_date": "2020-01-01"}])
    table = calibration_table(Dataset(j, _placements([])))
    cohort = table[table["target"].str.startswith("share of orders")]
    assert cohort["synthetic_value"].isna().all() and not cohort["pass"].any()
    assert "FAIL" in format_table(table)


# --------------------------------------------------------------------------- the generator hits its targets


@pytest.fixture(scope="module")
def table():
    return calibration_table(generate(seed=2014, scale=1.0))


PRIMARY = [
    "mean years to legal permanence",
    "share of orders within 2 years",
    "share of orders after more than 4 years",
    "share of children away from home adopted in a year",
    "share on a CSO at home still looked after 2 years later",
    "looked-after starts in a reporting year (fewest)",
    "looked-after starts in a reporting year (most)",
    "children looked after on 31 July (lowest)",
    "children looked after on 31 July (highest)",
]


def test_every_primary_target_is_tested(table):
    assert set(table.loc[table["kind"] == "primary", "target"]) == set(PRIMARY)
    assert table["population"].str.len().min() > 10 and table["window"].str.len().min() > 10


@pytest.mark.parametrize("target", PRIMARY)
def test_primary_target_within_tolerance(table, target):
    row = table.set_index("target").loc[target]
    assert row["n"] >= 1000
    assert row["lower"] <= row["synthetic_value"] <= row["upper"], (
        f"{target}: {row['synthetic_value']:.4g} outside [{row['lower']}, {row['upper']}]")


def test_published_targets_and_tolerances(table):
    t = table.set_index("target")
    assert t.loc["mean years to legal permanence", "target_value"] == 2.4
    assert t.loc["share of orders within 2 years", "target_value"] == 0.08
    assert t.loc["share of orders after more than 4 years", "target_value"] == 0.53
    assert t.loc["share of children away from home adopted in a year", "target_value"] == 0.02
    assert t.loc["share on a CSO at home still looked after 2 years later", "target_value"] == 0.25
    pp = table[table["kind"] == "secondary"]
    assert len(pp) == len(PP_SHARES)
    assert np.allclose(pp["upper"] - pp["lower"], 0.12)
    assert sum(PP_SHARES.values()) == pytest.approx(1.0)


def test_secondary_shares_sum_to_one(table):
    pp = table[table["kind"] == "secondary"]
    assert pp["synthetic_value"].sum() == pytest.approx(1.0)
