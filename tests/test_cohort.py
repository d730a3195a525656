"""Tests of the analysis frame (pace_analysis.cohort)."""

from __future__ import annotations

import pandas as pd
import pytest

from pace_analysis.cohort import (
    DEFAULT_AGE_GROUPS,
    DEFAULT_AGE_LABELS,
    FRAME_COLUMNS,
    age_labels,
    build_frame,
)
from pace_analysis.dataset import Dataset
from pace_analysis.errors import PaceError

EXTRACT = "2020-07-31"


def journey(jid: str, **kw) -> dict:
    row = dict(journey_id=jid, child_id="c" + jid, authority="Moray", sex="female",
               date_of_birth="2015-03-01", looked_after_date="2016-03-01", legal_basis="cso",
               accommodated_date=None, planned_route=None, permanence_route=None,
               permanence_date=None, exit_date=None, exit_reason=None, extract_date=EXTRACT)
    row.update(kw)
    return row


@pytest.fixture
def journeys() -> pd.DataFrame:
    return pd.DataFrame([
        # adoption after 671 days (2016-03-01 -> 2018-01-01, 2016 is a leap year)
        journey("a", accommodated_date="2016-03-10", planned_route="adoption",
                permanence_route="adoption", permanence_date="2018-01-01",
                exit_date="2018-01-01", exit_reason="permanence"),
        # transferred out after 306 days: exit, not an event
        journey("b", date_of_birth="2010-03-02", legal_basis="s25",
                exit_date="2017-01-01", exit_reason="transferred"),
        # home on the day the journey began: time 0, event observed
        journey("c", date_of_birth="2016-03-01", permanence_route="home",
                permanence_date="2016-03-01", exit_date="2016-03-01", exit_reason="permanence"),
        # still waiting at the extract date: censored
        journey("d", date_of_birth="2000-03-01", looked_after_date="2014-01-01"),
        # permanence order: stays looked after, event at the order date
        journey("e", accommodated_date="2016-03-01", permanence_route="permanence_order",
                permanence_date="2017-03-01"),
    ])


def test_columns_and_outcomes(journeys):
    f = build_frame(journeys)
    assert tuple(f.columns) == FRAME_COLUMNS
    assert "date_of_birth" not in f.columns
    by = f.set_index("journey_id")
    assert by.loc["a", "time_days"] == 671 and by.loc["a", "outcome"] == "adoption"
    assert by.loc["b", "time_days"] == 306 and by.loc["b", "outcome"] == "exit"
    assert by.loc["c", "time_days"] == 0 and by.loc["c", "outcome"] == "home"
    # 2014-01-01 -> 2020-07-31: 6 years with 2 leap days (2016, 2020) + Jan..Jul 2020
    assert by.loc["d", "time_days"] == (pd.Timestamp(EXTRACT) - pd.Timestamp("2014-01-01")).days
    assert by.loc["d", "outcome"] == "censored"
    assert by.loc["e", "time_days"] == 365 and by.loc["e", "outcome"] == "permanence_order"
    assert by["event_observed"].tolist() == [True, False, True, False, True]
    assert (by["entry_days"] == 0).all()
    assert by.loc["a", "time_years"] == pytest.approx(671 / 365.25)
    assert by["accommodated"].tolist() == [True, False, False, False, True]


def test_age_groups_use_exact_birthdays(journeys):
    f = build_frame(journeys).set_index("journey_id")
    # b is born 2010-03-02 and starts on 2016-03-01: one day short of 6, so 5 completed years
    assert f.loc["b", "age_at_start_years"] < 6 and f.loc["b", "age_group"] == "5-11"
    assert f.loc["a", "age_group"] == "1-4"  # first birthday on the start day
    assert f.loc["c", "age_group"] == "under 1" and f.loc["c", "age_at_start_years"] == 0
    assert f.loc["d", "age_group"] == "12+"
    assert list(f["age_group"].cat.categories) == list(DEFAULT_AGE_LABELS)
    assert f["age_group"].cat.ordered
    assert age_labels(DEFAULT_AGE_GROUPS) == DEFAULT_AGE_LABELS


def test_custom_age_groups(journeys):
    f = build_frame(journeys, age_groups=(0, 5, 16), age_group_labels=("young", "mid", "old"))
    assert list(f["age_group"].cat.categories) == ["young", "mid", "old"]
    assert f.set_index("journey_id").loc["b", "age_group"] == "mid"
    with pytest.raises(PaceError, match="labels"):
        build_frame(journeys, age_groups=(0, 5), age_group_labels=("x",))
    with pytest.raises(PaceError, match="increasing"):
        build_frame(journeys, age_groups=(0, 5, 5))


def test_accommodated_origin_keeps_only_accommodated(journeys):
    f = build_frame(journeys, origin="accommodated_date").set_index("journey_id")
    assert sorted(f.index) == ["a", "e"]
    assert f.loc["a", "time_days"] == 662  # 2016-03-10 -> 2018-01-01
    assert f.loc["e", "time_days"] == 365


def test_window_late_entry_and_truncation(journeys):
    f = build_frame(journeys, window=("2016-06-01", "2017-12-31")).set_index("journey_id")
    # c ended on day 0 (before the window): dropped
    assert "c" not in f.index
    # a began 92 days before the window; its adoption falls after the window end: censored there
    assert f.loc["a", "entry_days"] == 92
    assert f.loc["a", "outcome"] == "censored"
    assert f.loc["a", "time_days"] == (pd.Timestamp("2017-12-31") - pd.Timestamp("2016-03-01")).days
    assert f.loc["d", "entry_days"] == (pd.Timestamp("2016-06-01") - pd.Timestamp("2014-01-01")).days
    assert f.loc["e", "outcome"] == "permanence_order"
    # ended on the window start day: dropped (no time at risk after entry)
    g = build_frame(journeys, window=("2017-01-01", None))
    assert "b" not in set(g["journey_id"])
    # began after the window end: dropped
    h = build_frame(journeys, window=(None, "2015-12-31"))
    assert set(h["journey_id"]) == {"d"}
    with pytest.raises(PaceError, match="before it starts"):
        build_frame(journeys, window=("2018-01-01", "2017-01-01"))


def test_dataset_input(journeys):
    ds = Dataset(journeys=journeys.assign(**{c: pd.to_datetime(journeys[c]) for c in (
        "date_of_birth", "looked_after_date", "accommodated_date", "permanence_date",
        "exit_date", "extract_date")}), placements=pd.DataFrame())
    assert build_frame(ds)["time_days"].tolist() == build_frame(journeys)["time_days"].tolist()


@pytest.mark.parametrize(("change", "message"), [
    (dict(looked_after_date=None), "looked_after_date is missing"),
    (dict(date_of_birth=None), "date_of_birth is missing"),
    (dict(extract_date=None), "extract_date is missing"),
    (dict(permanence_route="adoption"), "permanence_date is missing"),
    (dict(permanence_date="2017-01-01"), "permanence_route is missing"),
    (dict(permanence_route="teleport", permanence_date="2017-01-01"), "not a route"),
    (dict(exit_date="2017-01-01"), "exit_reason is missing"),
    (dict(exit_reason="other"), "exit_date is missing"),
    (dict(exit_date="2015-01-01", exit_reason="other"), "before looked_after_date"),
    (dict(looked_after_date="not a date"), "not a date"),
])
def test_bad_rows_raise_clear_errors(journeys, change, message):
    bad = pd.concat([journeys, pd.DataFrame([journey("zz", **change)])], ignore_index=True)
    with pytest.raises(PaceError, match=message) as err:
        build_frame(bad)
    if "not a date" not in message:
        assert "zz" in str(err.value)


def test_bad_arguments(journeys):
    with pytest.raises(PaceError, match="origin"):
        build_frame(journeys, origin="panel_date")
    with pytest.raises(PaceError, match="lacks column"):
        build_frame(journeys.drop(columns="sex"))
    with pytest.raises(PaceError, match="Dataset or a DataFrame"):
        build_frame([1, 2])


def test_empty_journeys_give_empty_frame(journeys):
    f = build_frame(journeys.iloc[:0])
    assert len(f) == 0 and tuple(f.columns) == FRAME_COLUMNS


def test_synthetic_dataset_frame_is_consistent_with_its_journeys():
    from pace_analysis.synthetic import generate

    ds = generate(seed=7, scale=0.05)
    j = ds.journeys.set_index("journey_id")
    f = build_frame(ds, window=None).set_index("journey_id")
    assert len(f) == len(j) and not f.drop(columns="planned_route").isna().any().any()
    ev = f[f["event_observed"]]
    assert (ev["outcome"] == j.loc[ev.index, "permanence_route"]).all()
    assert (ev["time_days"] == (j.loc[ev.index, "permanence_date"]
                                - j.loc[ev.index, "looked_after_date"]).dt.days).all()
    ex = f[f["outcome"] == "exit"]
    assert (j.loc[ex.index, "exit_reason"] != "permanence").all()
    cens = f[f["outcome"] == "censored"]
    assert (cens["time_days"] == (j.loc[cens.index, "extract_date"]
                                  - j.loc[cens.index, "looked_after_date"]).dt.days).all()
    acc = build_frame(ds, origin="accommodated_date", window=None)
    assert len(acc) == j["accommodated_date"].notna().sum()
    start = pd.Timestamp("2015-08-01")
    w = build_frame(ds, window=(start, None)).set_index("journey_id")
    late = j.loc[w.index, "looked_after_date"] < start
    assert ((w["entry_days"] > 0) == late).all()
    assert (w.loc[late[late].index, "time_days"] > w.loc[late[late].index, "entry_days"]).all()


def test_dataset_observation_start_gives_late_entry_by_default():
    from pace_analysis.dataset import Dataset

    journeys = pd.DataFrame({
        "journey_id": ["a", "b", "c"], "child_id": ["1", "2", "3"],
        "authority": ["Fife"] * 3, "sex": ["female"] * 3,
        "date_of_birth": pd.to_datetime(["2005-01-01"] * 3),
        "looked_after_date": pd.to_datetime(["2009-01-01", "2010-06-01", "2011-01-01"]),
        "legal_basis": ["cso"] * 3, "accommodated_date": pd.NaT, "planned_route": None,
        "permanence_route": ["adoption", None, None],
        "permanence_date": pd.to_datetime(["2012-01-01", None, None]),
        "exit_date": pd.to_datetime(["2012-01-01", "2010-12-01", None]),
        "exit_reason": ["permanence", "other", None],
        "extract_date": pd.to_datetime(["2014-01-01"] * 3),
    })
    placements = pd.DataFrame(columns=["journey_id", "start_date", "end_date", "placement_type"])
    declared = Dataset(journeys, placements, meta={"window": {"start": "2011-01-01"}})
    frame = build_frame(declared)
    # b ended before the observation start: it is only in the data by chance of survival
    # order, so it is dropped; a entered late on 2011-01-01, 730 days after it began.
    assert list(frame["journey_id"]) == ["a", "c"]
    assert frame.set_index("journey_id").loc["a", "entry_days"] == 730
    assert frame.set_index("journey_id").loc["c", "entry_days"] == 0
    imported = Dataset(journeys, placements, meta={"observation_start": "2011-01-01"})
    assert build_frame(imported)["entry_days"].tolist() == frame["entry_days"].tolist()
    # None switches the window off; a plain DataFrame has no declared start.
    assert len(build_frame(declared, window=None)) == 3
    assert build_frame(journeys)["entry_days"].eq(0).all()
    with pytest.raises(PaceError, match="window must be"):
        build_frame(declared, window="everything")
