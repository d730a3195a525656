"""Placement moves and the landmark analysis, against hand counts and hand KM."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from pace_analysis.dataset import Dataset
from pace_analysis.errors import PaceError
from pace_analysis.placements import journey_moves, moves_and_time, moves_summary

START = pd.Timestamp("2018-01-01")


def day(n: int) -> pd.Timestamp:
    return START + pd.Timedelta(days=n)


def dataset(placements: list[tuple], journeys: list[dict]) -> Dataset:
    j = pd.DataFrame([{"journey_id": f"J{i}", "looked_after_date": START,
                       "exit_date": pd.NaT, "extract_date": day(1000),
                       "permanence_route": None, **r} for i, r in enumerate(journeys)])
    p = pd.DataFrame(placements, columns=["journey_id", "start_date", "end_date", "placement_type"])
    return Dataset(j, p)


@pytest.fixture
def small() -> Dataset:
    return dataset([
        ("J0", day(0), day(99), "foster"), ("J0", day(100), day(499), "foster"),
        ("J0", day(500), None, "home"),
        ("J1", day(0), None, "kinship"), ("J1", day(0), None, "kinship"),  # duplicate
        ("J3", day(0), day(49), "foster"), ("J3", day(50), day(400), "foster"),
        ("J3", day(401), day(600), "residential"), ("J3", day(601), None, "foster"),
        ("J3", day(700), None, "other"),
    ], [
        {"exit_date": day(730), "permanence_route": "home"},  # J0: 2 years looked after
        {},                                                    # J1
        {},                                                    # J2: no placements
        {},                                                    # J3
    ])


def test_journey_moves_hand_counts(small):
    mv = journey_moves(small).set_index("journey_id")
    assert mv.loc["J0", "moves"] == 2 and mv.loc["J0", "moves_first_year"] == 1
    assert mv.loc["J1", "n_placements"] == 1 and mv.loc["J1", "moves"] == 0
    assert mv.loc["J2", "n_placements"] == 0 and mv.loc["J2", "moves"] == 0
    assert mv.loc["J3", "moves"] == 4 and mv.loc["J3", "moves_first_year"] == 1
    assert mv.loc["J0", "years_looked_after"] == pytest.approx(730 / 365.25)
    assert mv.loc["J1", "years_looked_after"] == pytest.approx(1000 / 365.25)
    assert mv.loc["J1", "permanence_route"] == "none_yet"


def test_merge_same_type_counts_continuations_once(small):
    mv = journey_moves(small, merge_same_type=True).set_index("journey_id")
    # J0: foster 0-99 then foster from 100 is a continuation; J3: foster 0-49 then 50.
    assert mv.loc["J0", "moves"] == 1 and mv.loc["J3", "moves"] == 3
    # J3's foster from day 601 follows residential: a real move, still counted.
    assert mv.loc["J3", "moves_first_year"] == 0


def test_moves_summary_by_route_and_all(small):
    frame = pd.DataFrame({"journey_id": ["J0", "J1", "J2", "J3"],
                          "age_group": ["under 1", "under 1", "1-4", "1-4"]})
    s = moves_summary(small, by=None, frame=frame).iloc[0]
    assert s["group"] == "All" and s["n"] == 4
    assert s["mean_moves"] == pytest.approx(6 / 4) and s["median_moves"] == 1.0
    assert s["n_3plus"] == 1 and s["share_3plus"] == pytest.approx(0.25)
    years = (730 + 3 * 1000) / 365.25
    assert s["moves_per_child_year"] == pytest.approx(6 / years)
    by = moves_summary(small, by=("age_group", "permanence_route"), frame=frame)
    row = by[by["group"] == "under 1 / home"].iloc[0]
    assert row["n"] == 1 and row["mean_moves"] == 2
    assert set(by["permanence_route"]) == {"home", "none_yet"}
    with pytest.raises(PaceError, match="not in the analysis frame"):
        moves_summary(small, by="sex", frame=frame)


def landmark_case() -> tuple[Dataset, pd.DataFrame]:
    # (time_days, event, entry_days, first-year moves)
    spec = [(400, True, 0, 0), (500, True, 0, 0), (600, True, 0, 0), (900, True, 500, 0),
            (800, True, 0, 1), (900, True, 0, 1), (1000, False, 0, 1),
            (700, True, 0, 3), (200, True, 0, 2)]  # the last: permanent before 12 months
    placements, journeys = [], []
    for i, (_, _, _, k) in enumerate(spec):
        placements.append((f"J{i}", day(0), None, "foster"))
        placements += [(f"J{i}", day(10 * (m + 1)), None, "foster") for m in range(k)]
        journeys.append({})
    frame = pd.DataFrame({"journey_id": [f"J{i}" for i in range(len(spec))],
                          "time_days": [s[0] for s in spec], "event_observed": [s[1] for s in spec],
                          "entry_days": [s[2] for s in spec]})
    return dataset(placements, journeys), frame


def test_moves_and_time_landmark_hand_km():
    ds, frame = landmark_case()
    out = moves_and_time(ds, frame=frame).set_index("band")
    assert list(out.index) == ["0", "1", "2", "3+"]
    # Band 0: residual times 35, 135, 235 (events) and a late entrant (entry 135, time 535):
    # S = 2/3 after 35, then 1/3 after 135 (risk set {135, 235}) -> median 135 -> 500 days.
    assert out.loc["0", "n"] == 4 and out.loc["0", "median_days"] == 500
    # Band 1: residual 435, 535 events, 635 censored: S = 2/3, 1/3 -> median 535 -> 900.
    assert out.loc["1", "median_days"] == 900 and out.loc["1", "events"] == 2
    # Within a further year (365.25 days), band 0: at 235 the risk set is {235, late
    # entrant} -> S = 1/3 * 1/2 = 1/6, so 5/6 reached (the late entrant's 535 is later).
    assert out.loc["0", "share_next_year"] == pytest.approx(5 / 6)
    assert out.loc["1", "share_next_year"] == pytest.approx(0.0)
    # The 200-day journey (2 moves) was permanent before the landmark: not compared.
    assert out.loc["2", "n"] == 0 and not out.loc["2", "median_reached"]
    assert out.loc["3+", "n"] == 1 and out.loc["3+", "median_days"] == 700


def test_moves_and_time_validates_bands():
    ds, frame = landmark_case()
    with pytest.raises(PaceError):
        moves_and_time(ds, frame=frame, bands=(1, 2))
    out = moves_and_time(ds, frame=frame, landmark_days=5000)
    assert (out["n"] == 0).all() and np.isnan(out["median_days"]).all()
