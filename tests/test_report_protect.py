"""Secondary suppression over every relation of a report, checked by the intruder audit."""

from __future__ import annotations

import json

import pandas as pd

from pace_analysis.audit import audit_run
from pace_analysis.milestones import AIMS
from pace_analysis.report.protect import protect_tables
from pace_analysis.report.table import Table, count, label

AREA = "Orkney Islands"


def share() -> Table:
    data = pd.DataFrame({"group": [AREA] * 3, "years": [1.0, 2.0, 4.0], "n": [165] * 3,
                         "at_risk": [96, 65, 43], "events": [37, 60, 83]})
    return Table("share_by_years", data, [
        label("group", "Area"), label("years", "Years since becoming looked after"),
        count("n", "Children"), count("at_risk", "Still waiting"), count("events", "Reached permanence")])


def routes() -> Table:
    data = pd.DataFrame({
        "route": ["Return or remain home", "Kinship care order (s11)", "Permanence order", "Adoption order",
                  "Left care without legal permanence", "Still waiting"],
        "n_1": [37, 0, 0, 0, 3, 96], "n_2": [59, 1, 0, 0, 4, 65], "n_4": [66, 4, 4, 9, 16, 43]})
    return Table("routes_by_years", data, [label("route", "Route"), count("n_1", "Children by 1 year"),
                                           count("n_2", "Children by 2 years"),
                                           count("n_4", "Children by 4 years")])


def stages() -> Table:
    data = pd.DataFrame({"stage": ["Recommendation to panel", "Panel to agency decision",
                                   "Agency decision to application lodged"],
                         "n": [910, 567, 566], "done": [567, 566, 534], "open": [343, 1, 32]})
    return Table("stage_durations", data, [label("stage", "Stage"), count("n", "Children"),
                                           count("done", "Completed"), count("open", "Still open")])


def aims() -> Table:
    data = pd.DataFrame({"description": [AIMS["cso_home_2y"], AIMS["cso_home_2y_reviewed"]],
                         "numerator": [309, 3], "denominator": [2648, 309]})
    return Table("pace_aims", data, [label("description", "Aim"), count("numerator", "Met"),
                                     count("denominator", "Children")])


def publish(tmp_path, tables: dict) -> object:
    folder = tmp_path / "orkney-islands"
    folder.mkdir()
    counts = protect_tables(tables, 5, slug=folder.name, area=AREA, national="Scotland")
    for t in tables.values():
        t.save(folder)
    (folder / "summary.json").write_text(json.dumps(
        {"authority": AREA, "national": "Scotland", "threshold": 5, "figures": {}}), encoding="utf-8")
    return counts, audit_run(folder)


def test_stage_subtraction_is_closed(tmp_path):
    tables = {"stage_durations": stages()}
    counts, result = publish(tmp_path, tables)
    assert result.ok, result.text()
    mask = tables["stage_durations"].mask
    assert mask.loc[1, "open"] and counts["primary"] == 1 and counts["secondary"] >= 1
    # The subtraction 567 - 566 no longer works: the interval is wider than the threshold.
    lo, hi = result.intervals["orkney-islands/stage_durations.csv [Panel to agency decision] Still open"]
    assert hi - lo >= 5


def test_cross_table_route_subtraction_is_closed(tmp_path):
    tables = {"share_by_years": share(), "routes_by_years": routes()}
    counts, result = publish(tmp_path, tables)
    assert result.ok, result.text()
    cell = "orkney-islands/routes_by_years.csv [Kinship care order (s11)] Children by 2 years"
    lo, hi = result.intervals[cell]
    assert hi - lo >= 5
    # Reached permanence (share table) is left as published: only route cells are added.
    assert not tables["share_by_years"].mask.to_numpy().any()


def test_numerator_printed_as_denominator_is_closed(tmp_path):
    tables = {"pace_aims": aims()}
    counts, result = publish(tmp_path, tables)
    assert result.ok, result.text()
    m = tables["pace_aims"].mask
    # The reviewed aim's "3" is hidden; its denominator (= the first aim's numerator)
    # is not a small count, so nothing else needs hiding here.
    assert m.loc[1, "numerator"] and counts["primary"] == 1


def test_nothing_small_means_nothing_hidden(tmp_path):
    tables = {"share_by_years": share()}
    counts, result = publish(tmp_path, tables)
    assert result.ok and counts == {"counts": 9, "primary": 0, "secondary": 0}
