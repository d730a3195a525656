"""Exploration: the update logic called with widget values (no browser), loading, export."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from test_reports import small_dataset  # noqa: E402

from pace_analysis import competing, explore, io, survival  # noqa: E402
from pace_analysis.cohort import build_frame  # noqa: E402
from pace_analysis.errors import PaceError  # noqa: E402


@pytest.fixture(scope="module")
def ex():
    return explore.Explorer(small_dataset())


def _rows(ex, area=None, clock="looked_after_date", **eq):
    f = ex.frame(clock)
    if area:
        f = f[f["authority"] == area]
    for col, value in eq.items():
        f = f[f[col] == value]
    return f


def _table(view, head="Area"):
    return view.table.set_index(head)


def test_options_come_from_the_data(ex):
    assert ex.authorities() == [explore.ALL_AREAS, "Angus", "Fife", "Moray", "Orkney Islands"]
    assert ex.age_groups()[0] == explore.ALL_AGES and "12+" in ex.age_groups()
    assert ex.routes()[0][1] == explore.ANY_ROUTE
    assert {code for _, code in ex.routes()[1:]} == {"home", "kinship", "permanence_order",
                                                     "adoption"}
    assert {code for _, code in ex.sexes()[1:]} == set(ex.dataset.journeys["sex"])
    assert {code for _, code in ex.legal_bases()[1:]} == set(ex.dataset.journeys["legal_basis"])
    first, last = ex.years()
    starts = ex.dataset.journeys["looked_after_date"]
    assert (first, last) == (starts.min().year, starts.max().year)


def test_years_start_at_the_observation_start():
    ds = small_dataset()
    ds.meta["window"] = {"start": "2015-08-01"}
    first, _ = explore.Explorer(ds).years()
    assert first == 2015 > ds.journeys["looked_after_date"].min().year


def test_figure_is_made_outside_pyplot(ex):
    before = plt.get_fignums()
    view = ex.update(area="Fife")
    assert isinstance(view.figure, Figure)
    assert plt.get_fignums() == before  # matplotlib-inline's flush_figures never sees it
    png = ex.image(view)
    assert png.startswith(b"\x89PNG") and ex.image(view, "svg").lstrip().startswith(b"<?xml")


def test_area_against_scotland_counts_children_and_journeys(ex):
    view = ex.update(area="Fife")
    fife, everyone = _rows(ex, "Fife"), ex.frame()
    table = _table(view)
    assert table.loc["Fife", "Periods of care"] == f"{len(fife):,}"
    assert table.loc["Fife", "Children"] == f"{fife['child_id'].nunique():,}"
    assert table.loc["Scotland", "Periods of care"] == f"{len(everyone):,}"
    labels = [t.get_text() for t in view.figure.axes[0].get_legend().get_texts()]
    assert any(f"{fife['child_id'].nunique():,} children" in t for t in labels)
    assert view.groups == ["Fife", "Scotland"]


def test_table_is_formatted_for_a_reader(ex):
    view = ex.update(area="Fife")
    assert list(view.table.index) == list(range(len(view.table)))
    assert not any("_" in c for c in view.table.columns)
    share = survival.share_by(_rows(ex, "Fife"), 730.5).iloc[0]
    assert _table(view).loc["Fife", "Reached permanence by 2 years"].startswith(
        f"{share['share']:.0%} (")
    assert "Median wait in years (95% CI)" in view.table.columns


def test_table_respects_the_route(ex):
    view = ex.update(area="Fife", route="adoption")
    rows = _rows(ex, "Fife")
    cif = competing.cumulative_incidence(rows, routes=ex.dataset.route_set, waiting=False)
    at = competing.cif_at(cif[cif["route"] == "adoption"], [365.25, 730.5, 1461.0])
    data = view.data.set_index("Area")
    for when, value in zip(("1_year", "2_years", "4_years"), at["cif"], strict=True):
        got = data.loc["Fife", f"share_by_{when}"]
        assert got == explore.SUPPRESSED or got == pytest.approx(value, abs=1e-4)
    assert data.loc["Fife", "reached_by_4_years"] in (
        explore.SUPPRESSED, int(((rows["outcome"] == "adoption") & (rows["time_days"] <= 1461)).sum()))
    assert "Reached this route by 2 years" in view.table.columns
    assert "Adoption" in view.figure.axes[0].get_title(loc="left")


def test_years_without_follow_up_are_not_estimable(ex):
    _, last = ex.years()
    view = ex.update(years=(last - 1, last))
    rows = ex.frame()[ex.frame()["start_year"] >= last - 1]
    assert rows["time_days"].max() < 1461  # under 4 years of follow-up in these data
    assert _table(view).loc["Scotland", "Reached permanence by 4 years"] == explore.NOT_ESTIMABLE


def test_age_group_and_years_filter(ex):
    view = ex.update(area="Fife", age_group="5-11", years=(2015, 2018))
    f = _rows(ex, "Fife", age_group="5-11")
    f = f[(f["start_year"] >= 2015) & (f["start_year"] <= 2018)]
    got = _table(view).loc["Fife", "Periods of care"]
    assert got == (f"{len(f):,}" if len(f) >= ex.threshold else explore.SUPPRESSED)


def test_compare_areas_and_age_groups(ex):
    view = ex.update(area="Fife", compare="areas", others=("Angus", "Moray"))
    assert view.groups == ["Fife", "Angus", "Moray"]
    gids = {line.get_gid() for line in view.figure.axes[0].get_lines()}
    assert {"curve:Fife", "curve:Angus", "curve:Moray"} <= gids
    by_age = ex.update(area="Fife", compare="age_groups")
    assert len(by_age.table) == len(ex.age_groups()) - 1
    for group, n in _rows(ex, "Fife").groupby("age_group", observed=True).size().items():
        assert _table(by_age, "Age group").loc[f"Fife, {group}", "Periods of care"] == (
            f"{n:,}" if n >= ex.threshold else explore.SUPPRESSED)


def test_clock_start_and_filters(ex):
    view = ex.update(area="Fife", clock="accommodated_date", sex="female", legal_basis="cso")
    f = build_frame(ex.dataset, origin="accommodated_date")
    f = f[(f["authority"] == "Fife") & (f["sex"] == "female") & (f["legal_basis"] == "cso")]
    got = _table(view).loc["Fife", "Periods of care"]
    assert got == (f"{len(f):,}" if len(f) >= ex.threshold else explore.SUPPRESSED)
    if view.figure is not None:
        assert "accommodated" in view.figure.axes[0].get_xlabel()


def test_no_censor_marks_and_at_risk_names_clear_of_counts(ex):
    view = ex.update(area="Fife")
    fig = view.figure
    assert not [ln for ln in fig.axes[0].get_lines() if str(ln.get_gid()).startswith("censor")]
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    tab = next(a for a in fig.axes if a.get_label() == "at_risk")
    names = [t.get_window_extent(renderer) for t in tab.get_yticklabels()]
    counts = [t.get_window_extent(renderer) for t in tab.texts]
    assert names and counts
    assert max(b.x1 for b in names) < min(b.x0 for b in counts)  # no "Scotland52,746"


def test_small_selection_is_suppressed_and_the_switch_shows_it(ex):
    view = ex.update(area="Angus", age_group="12+")  # three children
    assert view.figure.axes[0].get_lines()  # Scotland still drawn
    assert "Angus" not in [ln.get_gid()[6:] for ln in view.figure.axes[0].get_lines()
                           if str(ln.get_gid()).startswith("curve:")]
    assert "fewer than 5" in view.message
    assert _table(view).loc["Angus", "Periods of care"] == explore.SUPPRESSED
    open_ex = explore.Explorer(ex.dataset, disclosure=False)
    shown = open_ex.update(area="Angus", age_group="12+")
    n = len(_rows(ex, "Angus", age_group="12+"))
    assert _table(shown).loc["Angus", "Periods of care"] == f"{n:,}"
    assert "curve:Angus" in {ln.get_gid() for ln in shown.figure.axes[0].get_lines()}


def test_export_is_always_protected(ex, tmp_path):
    open_ex = explore.Explorer(ex.dataset, disclosure=False)
    paths = open_ex.export(explore.Choice(area="Angus", age_group="12+"), tmp_path)
    csv = pd.read_csv(paths["csv"], dtype=str).set_index("Area")
    assert csv.loc["Angus", "periods_of_care"] == explore.SUPPRESSED
    assert paths["png"].read_bytes().startswith(b"\x89PNG")
    assert b"<svg" in paths["svg"].read_bytes()
    assert not list(tmp_path.glob("*.tmp"))


def test_widget_changes_are_memoised(ex):
    ex.update(area="Moray")
    n = len(ex._curves)
    ex.update(area="Moray")
    assert len(ex._curves) == n


def test_bad_values_are_errors(ex):
    for bad in ({"area": "Narnia"}, {"age_group": "teens"}, {"route": "wardship"},
                {"compare": "everything"}, {"sex": "x"}, {"legal_basis": "s999"},
                {"years": (2020, 2010)}, {"clock": "birth"}):
        with pytest.raises(PaceError):
            ex.update(**bad)


def test_load_caches_a_validated_copy(tmp_path, monkeypatch):
    data = io.write_dataset(small_dataset(), tmp_path / "data")
    monkeypatch.setenv("PACE_CACHE_DIR", str(tmp_path / "cache"))
    first = explore.load(str(data))
    assert list((tmp_path / "cache" / "datasets").iterdir())

    def no_read(*_a, **_k):
        raise AssertionError("the cache was not used")

    monkeypatch.setattr(io, "read_dataset", no_read)
    again = explore.load(str(data))
    pd.testing.assert_frame_equal(again.journeys, first.journeys)
    pd.testing.assert_frame_equal(again.placements, first.placements)
    assert again.route_set.name == first.route_set.name and again.meta == first.meta
    pd.testing.assert_frame_equal(build_frame(again), build_frame(first))


def test_load_finds_data_from_the_notebooks_folder(monkeypatch):
    from pace_analysis.paths import repo_root

    root = repo_root()
    monkeypatch.chdir(root / "notebooks")
    from pace_analysis.paths import find_data, reports_dir

    assert find_data("data/synthetic") == root / "data" / "synthetic"
    assert reports_dir() == root / "reports"


def test_dashboard_redraws_on_every_control(ex):
    box = explore.dashboard(ex)
    c = box.controls
    assert list(c["area"].options) == ex.authorities()
    first, last = ex.years()
    assert (c["years"].min, c["years"].max) == (first, last)
    images = [bytes(box.image.value)]
    for name, value in (("area", "Fife"), ("age_group", "5-11"), ("route", "home"),
                        ("years", (first + 1, last)), ("compare", "age_groups")):
        c[name].value = value
        images.append(bytes(box.image.value))
        assert images[-1].startswith(b"\x89PNG") and images[-1] != images[-2], name
    assert "by age group" in box.message.value and "Fife" in box.table.value
    assert np.all([len(i) > 1000 for i in images])


def test_notebook_runs_under_papermill_from_the_root(tmp_path):
    import papermill as pm

    from pace_analysis.paths import repo_root

    root = repo_root()
    out = tmp_path / "explore.ipynb"
    pm.execute_notebook(str(root / "notebooks" / "explore.ipynb"), str(out),
                        kernel_name="python3", cwd=str(root), progress_bar=False)
    import json

    cells = json.loads(out.read_text(encoding="utf-8"))["cells"]
    outputs = [o for c in cells if c["cell_type"] == "code" for o in c.get("outputs", [])]
    assert not [o for o in outputs if o.get("output_type") == "error"]
    assert any("application/vnd.jupyter.widget-view+json" in o.get("data", {}) for o in outputs)


def test_make_lab_binds_localhost_and_allows_root_only_as_root():
    import os
    import shutil
    import subprocess

    from pace_analysis.paths import repo_root

    make = shutil.which("make")
    assert make, "make is needed to build this project"
    dry = subprocess.run([make, "-n", "-s", "lab"], cwd=repo_root(), capture_output=True,
                         text=True, check=True).stdout
    assert "--ip=127.0.0.1" in dry and "/lab?token=" in dry and "ServerApp.port_retries=0" in dry
    assert ("--allow-root" in dry) == (os.geteuid() == 0)
