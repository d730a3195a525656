"""Intruder audit: planted leaks are found and named; safe suppression passes."""

from __future__ import annotations

import csv
import json
import math
from pathlib import Path

import pytest

from pace_analysis import cli
from pace_analysis.audit import (
    Publication,
    audit_publication,
    audit_run,
    html_tables,
    publication_relations,
)
from pace_analysis.errors import PaceError
from pace_analysis.milestones import AIMS

AREA = "Orkney Islands"


def write_csv(path: Path, header: list[str], rows: list[list]) -> None:
    with path.open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(header)
        w.writerows(rows)


def authority(tmp_path: Path, *, stages=None, routes=None, aims=None, share=None) -> Path:
    """A one-authority report folder holding only the given tables."""
    folder = tmp_path / "orkney-islands"
    folder.mkdir()
    (folder / "summary.json").write_text(json.dumps(
        {"authority": AREA, "national": "Scotland", "threshold": 5, "figures": {}}), encoding="utf-8")
    if stages is not None:
        write_csv(folder / "stage_durations.csv", ["Stage", "Children", "Completed", "Still open"], stages)
    if share is not None:
        write_csv(folder / "share_by_years.csv",
                  ["Area", "Years since becoming looked after", "Children", "Still waiting", "Reached permanence"],
                  share)
    if routes is not None:
        write_csv(folder / "routes_by_years.csv",
                  ["Route", "Children by 1 year", "Children by 2 years", "Children by 4 years"], routes)
    if aims is not None:
        write_csv(folder / "pace_aims.csv", ["Aim", "Met", "Children"], aims)
    return folder


SHARE = [[AREA, "1.0", 165, 96, 37], [AREA, "2.0", 165, 65, 60], [AREA, "4.0", 165, 43, 83]]


def named(result, needle: str) -> bool:
    return any(needle in f.cell for f in result.findings)


def test_stage_subtraction_is_found(tmp_path):
    # Planted: 567 children, 566 completed, "c" still open: c <= 1.
    folder = authority(tmp_path, stages=[["Panel to agency decision", 567, 566, "c"]])
    result = audit_run(folder)
    assert not result.ok
    assert named(result, "stage_durations.csv [Panel to agency decision] Still open")
    assert result.intervals[result.findings[0].cell] == (1.0, 1.0)  # c = 567 - 566


def test_stage_with_second_cell_hidden_passes(tmp_path):
    folder = authority(tmp_path, stages=[["Panel to agency decision", 567, "c", "c"]])
    result = audit_run(folder)
    assert result.ok, result.text()
    assert len(result.protected) == 2
    lo, hi = result.intervals["orkney-islands/stage_durations.csv [Panel to agency decision] Still open"]
    assert hi - lo >= 5


def test_cross_table_route_subtraction_is_found(tmp_path):
    # Planted: reached by 2 years 60 = 59 + c + 0 + 0 (Orkney's kinship orders).
    routes = [["Return or remain home", 37, 59, 66], ["Kinship care order (s11)", 0, "c", "c"],
              ["Permanence order", 0, 0, "c"], ["Adoption order", 0, 0, 9],
              ["Left care without legal permanence", "c", "c", 16], ["Still waiting", 96, 65, 43]]
    result = audit_run(authority(tmp_path, share=SHARE, routes=routes))
    assert named(result, "routes_by_years.csv [Kinship care order (s11)] Children by 2 years")
    cell = "orkney-islands/routes_by_years.csv [Kinship care order (s11)] Children by 2 years"
    assert result.intervals[cell] == (1.0, 1.0)


def test_cross_table_route_passes_when_a_second_route_is_hidden(tmp_path):
    routes = [["Return or remain home", 37, "c", 66], ["Kinship care order (s11)", 0, "c", "c"],
              ["Permanence order", 0, 0, "c"], ["Adoption order", 0, 0, 9],
              ["Left care without legal permanence", "c", "c", 16], ["Still waiting", 96, 65, 43]]
    result = audit_run(authority(tmp_path, share=SHARE, routes=routes))
    assert result.ok, result.text()


def test_numerator_printed_as_denominator_is_found(tmp_path):
    # Planted: aim cso_home_2y's met count (a small one, 3) hidden, printed as the next
    # aim's children. A hidden count worked out as a large number is no disclosure (see
    # the next-but-one test), so the plant uses a count the rules protect.
    aims = [[AIMS["cso_home_2y"], "c", 2648], [AIMS["cso_home_2y_reviewed"], 1, 3]]
    result = audit_run(authority(tmp_path, aims=aims))
    assert named(result, "pace_aims.csv [cso_home_2y] Met")
    assert result.intervals["orkney-islands/pace_aims.csv [cso_home_2y] Met"] == (3.0, 3.0)


def test_numerator_hidden_in_both_places_passes(tmp_path):
    aims = [[AIMS["cso_home_2y"], "c", 2648], [AIMS["cso_home_2y_reviewed"], "c", "c"]]
    assert audit_run(authority(tmp_path, aims=aims)).ok


def test_html_table_showing_a_hidden_count_is_found(tmp_path):
    folder = authority(tmp_path, stages=[["Panel to agency decision", 567, "c", "c"]])
    (folder / "report.html").write_text(
        '<table id="T_stage_durations"><thead><tr><th>Stage</th><th>Children</th><th>Completed</th>'
        "<th>Still open</th></tr></thead><tbody><tr><td>Panel to agency decision</td><td>567</td>"
        "<td>566</td><td>c</td></tr></tbody></table>", encoding="utf-8")
    assert html_tables(folder / "report.html")[0]["rows"][1][2] == "566"
    result = audit_run(folder)
    assert named(result, "[Panel to agency decision] Still open")


def test_share_published_beside_a_hidden_count_is_found(tmp_path):
    folder = authority(tmp_path)
    write_csv(folder / "routes_by_years.csv", ["Route", "Children by 1 year", "Share by 1 year"],
              [["Adoption order", "c", "0.02"]])
    result = audit_run(folder)
    assert named(result, "[Adoption order] Children by 1 year")
    assert any("Share by 1 year" in f.reason for f in result.findings)


def test_scotland_sum_of_councils_reveals_the_only_hidden_council(tmp_path):
    pub = Publication()
    parts = [pub.add("a", 40), pub.add("b", None), pub.add("c", 30)]
    total = pub.add("scotland", 73)
    pub.relate([(p, 1) for p in parts] + [(total, -1)], "==", 0, "Scotland = sum of councils")
    result = audit_publication(pub, threshold=5)
    assert [f.cell for f in result.findings] == ["b"]
    assert result.intervals["b"] == (3.0, 3.0)


def test_hidden_cell_worked_out_as_a_large_count_or_zero_is_no_disclosure():
    pub = Publication()
    parts = [pub.add("big", None), pub.add("zero", None), pub.add("small", None)]
    pub.add("n", 152)
    pub.add("m", 3)
    pub.add("z", 0)
    pub.relate([("big", 1), ("n", -1)], "==", 0, "big = n")
    pub.relate([("zero", 1), ("z", -1)], "==", 0, "zero = z")
    pub.relate([("small", 1), ("m", -1)], "==", 0, "small = m")
    result = audit_publication(pub, threshold=5)
    assert {c: result.intervals[c] for c in parts} == {
        "big": (152.0, 152.0), "zero": (0.0, 0.0), "small": (3.0, 3.0)}
    assert [f.cell for f in result.findings] == ["small"]


def test_unbounded_hidden_cell_is_safe():
    pub = Publication()
    pub.add("x", None)
    pub.add("y", 10)
    pub.relate([("y", 1), ("x", -1)], "<=", 0, "y <= x")
    result = audit_publication(pub, threshold=5)
    assert result.ok and result.intervals["x"][0] == 10 and math.isinf(result.intervals["x"][1])


def test_relation_with_an_unpublished_cell_is_dropped_unless_still_true():
    pub = Publication()
    pub.add("x", None)
    pub.add("n", 6)
    pub.relate([("x", 1), ("missing", 1), ("n", -1)], "<=", 0, "x + missing <= n")
    pub.relate([("x", 1), ("missing", 1), ("n", -1)], "==", 0, "x + missing = n")
    assert [r.why for r in pub.relations] == ["x + missing <= n"]


def test_published_numbers_breaking_a_relation_are_an_error(tmp_path):
    folder = authority(tmp_path, stages=[["Panel to agency decision", 10, 8, 7]])
    with pytest.raises(PaceError, match="children"):
        audit_run(folder)


def test_scotland_relations_of_a_complete_run(tmp_path):
    run = tmp_path / "run"
    run.mkdir()
    for slug, name, reached in (("a", "A", 30), ("b", "B", "c")):
        folder = run / slug
        folder.mkdir()
        (folder / "summary.json").write_text(json.dumps(
            {"authority": name, "national": "Scotland", "threshold": 5, "figures": {}}), encoding="utf-8")
        write_csv(folder / "share_by_years.csv",
                  ["Area", "Years since becoming looked after", "Children", "Still waiting", "Reached permanence"],
                  [[name, "1.0", 60, 20, reached], ["Scotland", "1.0", 120, 40, 33]])
    (run / "manifest.json").write_text(json.dumps({"inputs": {"authorities": ["A", "B"]}}), encoding="utf-8")
    pub, threshold = publication_relations(run)
    assert threshold == 5
    result = audit_publication(pub, threshold)
    assert named(result, "b/share_by_years.csv [B / 1] Reached permanence")


def test_cli_exit_status_names_the_cell(tmp_path, capsys):
    folder = authority(tmp_path, stages=[["Panel to agency decision", 567, 566, "c"]])
    assert cli.main(["audit", str(folder)]) == 1
    assert "[Panel to agency decision] Still open" in capsys.readouterr().out
    (folder / "stage_durations.csv").unlink()
    assert cli.main(["audit", str(folder)]) == 0


def test_missing_run_folder_is_an_input_error(tmp_path):
    assert cli.main(["audit", str(tmp_path / "nope")]) == 2


def test_report_build_refuses_to_publish_a_leaking_report(tmp_path):
    from pace_analysis.errors import ReportError
    from pace_analysis.reports import _audit_before_publishing

    folder = authority(tmp_path, stages=[["Panel to agency decision", 567, 566, "c"]])
    tmp = folder.rename(tmp_path / ".orkney-islands.tmp-1234abcd")
    with pytest.raises(ReportError, match=r"orkney-islands/stage_durations.csv \[Panel to agency decision\]"):
        _audit_before_publishing(tmp, "orkney-islands", 5)
    (tmp / "stage_durations.csv").write_text("Stage,Children,Completed,Still open\nPanel,567,c,c\n",
                                             encoding="utf-8")
    _audit_before_publishing(tmp, "orkney-islands", 5)  # safe: nothing raised


def test_stage_subtraction_through_a_bypass_row_is_found(tmp_path):
    # 48 children = 12 completed + c still open + 33 who skipped accommodation (their own row).
    bypass = "Looked after to legal permanence (without accommodation, recommendation, panel, " \
             "agency decision, application)"
    folder = authority(tmp_path, stages=[["Looked after at home to accommodated", 48, 12, "c"],
                                         [bypass, 33, 33, 0]])
    result = audit_run(folder)
    cell = "orkney-islands/stage_durations.csv [Looked after at home to accommodated] Still open"
    assert named(result, "[Looked after at home to accommodated] Still open")
    assert result.intervals[cell] == (3.0, 3.0)
