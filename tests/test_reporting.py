"""Kernel-side helpers of the report notebook (no kernel needed)."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402
from test_reports import small_dataset  # noqa: E402

from pace_analysis import cohort, competing, reporting, survival  # noqa: E402


@pytest.fixture(scope="module")
def data():
    ds = small_dataset()
    frame = cohort.build_frame(ds, window=None)
    return ds, frame


def test_share_table_carries_the_counts_behind_each_share(data):
    _, frame = data
    fife = frame[frame["authority"] == "Fife"]
    table = reporting.share_table(fife)
    assert list(table["years"]) == [1, 2, 4]
    ar = survival.at_risk_table(fife, [365.25, 730.5, 1461])
    assert list(table["events"]) == list(ar["events"])
    assert list(table["share"]) == list(survival.share_by(fife)["share"])


def test_route_table_counts_add_up_with_the_curves(data):
    ds, frame = data
    fife = frame[frame["authority"] == "Fife"]
    cif = competing.cumulative_incidence(fife, routes=ds.route_set)
    table = reporting.route_table(fife, cif, ds.route_set)
    by_route = table.set_index("route")
    # Children who reached adoption within a year, counted directly from the frame.
    direct = int(((fife["outcome"] == "adoption") & (fife["time_days"] <= 365.25)).sum())
    assert by_route.loc["Adoption order", "n_1"] == direct
    waiting = survival.at_risk_table(fife, [730.5])["at_risk"].iloc[0]
    assert by_route.loc["Still waiting", "n_2"] == waiting
    # At each time, the states' shares add up to one (routes, left care, still waiting).
    assert table["share_1"].sum() == pytest.approx(1.0)


def test_show_table_suppresses_and_saves(tmp_path):
    table = pd.DataFrame({"group": ["a", "b", "c"], "n": [3, 40, 0], "share": [0.5, 0.2, 0.0]})
    styler = reporting.show_table(table, tmp_path, "t", ["n"], 5, derived={"share": ["n"]},
                                  totals=None, columns={"group": "Group", "n": "Children",
                                                        "share": "Share"},
                                  formats={"Share": "{:.0%}"})
    saved = pd.read_csv(tmp_path / "t.csv", dtype=str)
    assert list(saved["Children"]) == ["c", "40", "0"] and saved["Share"].iloc[0] == "c"
    html = styler.to_html()
    assert "20%" in html and "<td" in html
    # A group below the threshold: zeros are suppressed too.
    reporting.show_table(table.iloc[[2]], tmp_path, "z", ["n"], 5, totals=None, group_size=3)
    assert pd.read_csv(tmp_path / "z.csv", dtype=str)["n"].iloc[0] == "c"


def test_save_figure_is_byte_for_byte_reproducible(tmp_path):
    for name in ("a", "b"):
        fig, ax = plt.subplots()
        ax.plot([0, 1, 2], [0, 1, 0])
        reporting.save_figure(ax, str(tmp_path), name, show=False)
    assert (tmp_path / "a.png").read_bytes() == (tmp_path / "b.png").read_bytes()
    assert b"Software" not in (tmp_path / "a.png").read_bytes()
    assert not plt.get_fignums()  # closed after saving


def test_study_window_and_journeys_that_began_in_it(data):
    ds, _ = data
    assert reporting.study_window(ds) == (None, None)
    assert reporting.study_window(ds, "2016-01-01") == ("2016-01-01", None)
    ds.meta["window"] = {"start": "2015-01-01"}
    try:
        assert reporting.study_window(ds) == ("2015-01-01", None)
        sub = reporting.began_in_window(ds, "Fife", ("2015-01-01", "2018-12-31"))
        starts = sub.journeys["looked_after_date"]
        assert starts.min() >= pd.Timestamp("2015-01-01")
        assert starts.max() <= pd.Timestamp("2018-12-31")
        assert set(sub.placements["journey_id"]) <= set(sub.journeys["journey_id"])
        assert "late entry" in reporting.describe_data(ds, reporting.study_window(ds))
    finally:
        ds.meta.pop("window")


def test_frame_from_cache_equals_a_fresh_build(tmp_path, data):
    ds, _ = data
    reporting.write_cache(ds, tmp_path, ("2014-01-01", None))
    window = reporting.study_window(ds, "2014-01-01")
    cached = reporting.load_frame(ds, window, str(tmp_path))
    pd.testing.assert_frame_equal(cached, cohort.build_frame(ds, window=window))
    loaded = reporting.load_dataset("", str(tmp_path))
    pd.testing.assert_frame_equal(loaded.journeys, ds.journeys)
    assert reporting.national_label(loaded) == "Scotland"
