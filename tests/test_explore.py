"""Exploration widgets: the update logic, called with widget values (no browser)."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import pandas as pd  # noqa: E402
import pytest  # noqa: E402
from test_reports import small_dataset  # noqa: E402

from pace_analysis import explore, headline, survival  # noqa: E402
from pace_analysis.errors import PaceError  # noqa: E402


@pytest.fixture(scope="module")
def ex():
    return explore.Explorer(small_dataset())


def test_options_come_from_the_data(ex):
    assert ex.authorities() == [explore.ALL_AREAS, "Angus", "Fife", "Moray", "Orkney Islands"]
    assert ex.age_groups()[0] == explore.ALL_AGES and "12+" in ex.age_groups()
    assert ex.routes()[0][1] == explore.ANY_ROUTE
    assert {code for _, code in ex.routes()[1:]} == {"home", "kinship", "permanence_order",
                                                     "adoption"}
    first, last = ex.years()
    assert 2012 <= first <= last <= 2024


def test_update_any_permanence_draws_area_and_scotland(ex):
    view = ex.update("Fife", explore.ALL_AGES, explore.ANY_ROUTE, None)
    fife = ex.frame(None)
    fife = fife[fife["authority"] == "Fife"]
    row = view.table.set_index("area").loc["Fife"]
    assert row["journeys"] == len(fife)
    assert row["share_2y"] == pytest.approx(headline.figures(fife)["share_2y"])
    assert view.table.set_index("area").loc["Scotland", "journeys"] == len(ex.frame(None))
    labels = [t.get_text() for t in view.figure.axes[0].get_legend().get_texts()]
    assert any("Fife" in t for t in labels) and any("Scotland" in t for t in labels)


def test_update_filters_age_group_and_years(ex):
    view = ex.update("Fife", "5-11", explore.ANY_ROUTE, (2015, 2018))
    f = ex.frame((2015, 2018))
    expected = f[(f["authority"] == "Fife") & (f["age_group"] == "5-11")]
    assert view.table.set_index("area").loc["Fife", "journeys"] == len(expected)
    assert len(ex.frame((2015, 2018))) < len(ex.frame(None))
    km = survival.median_time(expected).iloc[0]
    got = view.table.set_index("area").loc["Fife", "median_days"]
    if km["reached"]:
        assert got == pytest.approx(km["median_days"])
    else:
        assert pd.isna(got)


def test_update_route_draws_cumulative_incidence(ex):
    view = ex.update("Angus", explore.ALL_AGES, "adoption", None)
    assert view.figure is not None and "Adoption" in view.figure.axes[0].get_title(loc="left")


def test_small_selection_is_not_drawn(ex):
    view = ex.update("Angus", "12+", explore.ANY_ROUTE, None)  # three children
    assert view.figure is None and "fewer than 5" in view.message
    assert pd.isna(view.table.set_index("area").loc["Angus", "journeys"])


def test_bad_values_are_errors(ex):
    with pytest.raises(PaceError):
        ex.update("Narnia")
    with pytest.raises(PaceError):
        ex.update("Fife", "teens")
    with pytest.raises(PaceError):
        ex.update("Fife", explore.ALL_AGES, "wardship")


def test_dashboard_builds_widgets(ex):
    box = explore.dashboard(ex.dataset)
    area = box.children[0].children[0]
    assert list(area.options) == ex.authorities()
    area.value = "Moray"  # triggers a redraw through the same update()
    assert area.value == "Moray"
