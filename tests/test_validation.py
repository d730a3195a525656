"""Tests for pace_analysis.validation and ``pace validate``.

Datasets are built by hand here (four journeys in real councils) and broken one way
at a time; expected rows, columns and values follow from the hand-written files.
"""

from __future__ import annotations

import csv
from pathlib import Path

import pandas as pd
import pytest

from pace_analysis.cli import main
from pace_analysis.errors import DataValidationError
from pace_analysis.io import read_dataset
from pace_analysis.schema import JOURNEY_COLUMNS, PLACEMENT_COLUMNS, RULES
from pace_analysis.validation import validate_dataset

J_COLS = [c.name for c in JOURNEY_COLUMNS]
P_COLS = [c.name for c in PLACEMENT_COLUMNS]
EXTRACT = "2020-07-31"


def journeys() -> list[dict[str, str]]:
    """Four valid journeys: adopted, still waiting, home on a CSO, permanence order."""
    blank = dict.fromkeys(J_COLS, "")
    return [
        blank | dict(journey_id="J1", child_id="C1", authority="Glasgow City", sex="female",
                     date_of_birth="2015-03-01", looked_after_date="2016-01-10", legal_basis="cso",
                     accommodated_date="2016-01-10", permanence_recommendation_date="2016-06-01",
                     planned_route="adoption", panel_date="2016-09-01",
                     adm_decision_date="2016-09-20", application_lodged_date="2017-01-05",
                     permanence_route="adoption", permanence_date="2017-08-01",
                     exit_date="2017-08-01", exit_reason="permanence", extract_date=EXTRACT),
        blank | dict(journey_id="J2", child_id="C2", authority="Fife", sex="male",
                     date_of_birth="2010-05-05", looked_after_date="2018-02-01", legal_basis="s25",
                     accommodated_date="2018-02-01", extract_date=EXTRACT),
        blank | dict(journey_id="J3", child_id="C3", authority="Highland", sex="unknown",
                     date_of_birth="2012-11-30", looked_after_date="2017-03-01", legal_basis="cso",
                     permanence_recommendation_date="2017-09-01", planned_route="home",
                     permanence_route="home", permanence_date="2018-05-01",
                     exit_date="2018-05-01", exit_reason="permanence", extract_date=EXTRACT),
        blank | dict(journey_id="J4", child_id="C4", authority="Aberdeen City", sex="female",
                     date_of_birth="2009-01-15", looked_after_date="2015-06-01", legal_basis="cso",
                     accommodated_date="2015-06-01", permanence_recommendation_date="2016-02-01",
                     planned_route="permanence_order", panel_date="2016-05-01",
                     adm_decision_date="2016-05-20", application_lodged_date="2016-08-01",
                     permanence_route="permanence_order", permanence_date="2017-04-03",
                     extract_date=EXTRACT),
    ]


def placements() -> list[dict[str, str]]:
    """Valid placements of :func:`journeys` (a same-day hand-over in J1)."""
    return [
        dict(journey_id="J1", start_date="2016-01-10", end_date="2016-10-01", placement_type="foster"),
        dict(journey_id="J1", start_date="2016-10-01", end_date="2017-08-01",
             placement_type="prospective_adopters"),
        dict(journey_id="J2", start_date="2018-02-01", end_date="", placement_type="residential"),
        dict(journey_id="J3", start_date="2017-03-01", end_date="2018-05-01", placement_type="home"),
        dict(journey_id="J4", start_date="2015-06-01", end_date="", placement_type="foster"),
    ]


def write_csv(path: Path, rows: list[dict[str, str]], columns: list[str]) -> Path:
    with open(path, "w", encoding="utf-8", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=columns, lineterminator="\n", extrasaction="ignore")
        w.writeheader()
        w.writerows(rows)
    return path


def make_folder(tmp_path: Path, j=None, p=None, j_cols=None, p_cols=None) -> Path:
    """A dataset folder of CSV files; journeys row i is on line i + 2."""
    folder = tmp_path / "data"
    folder.mkdir(exist_ok=True)
    write_csv(folder / "journeys.csv", journeys() if j is None else j, j_cols or J_COLS)
    write_csv(folder / "placements.csv", placements() if p is None else p, p_cols or P_COLS)
    return folder


def changed(rows: list[dict[str, str]], i: int, **values: str) -> list[dict[str, str]]:
    rows = [dict(r) for r in rows]
    rows[i].update(values)
    return rows


def problems_of(folder: Path) -> list:
    with pytest.raises(DataValidationError) as exc:
        read_dataset(folder)
    return exc.value.problems


def only(problems, rule):
    hits = [p for p in problems if p.rule == rule]
    assert hits, f"no {rule} among {[p.format() for p in problems]}"
    return hits


def snapshot(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


def run_validate(capsys, *args) -> tuple[int, str]:
    code = main(["validate", *map(str, args)])
    out = capsys.readouterr()
    return code, out.out + out.err


# ---------------------------------------------------------------- valid data


def test_valid_dataset_reads_with_no_problems(tmp_path):
    ds = read_dataset(make_folder(tmp_path))
    assert ds.warnings == []
    assert len(ds.journeys) == 4 and len(ds.placements) == 5
    assert str(ds.journeys["looked_after_date"].dtype) == "datetime64[ns]"
    assert ds.journeys.loc[1, "permanence_route"] is None
    assert ds.journeys.loc[0, "permanence_date"] == pd.Timestamp("2017-08-01")


def test_cli_on_valid_data_prints_summary_and_exits_0(tmp_path, capsys):
    folder = make_folder(tmp_path)
    code, out = run_validate(capsys, folder)
    assert code == 0
    assert "valid" in out
    assert "journeys" in out and " 4" in out          # 4 journeys
    assert "children" in out and " 4" in out          # four children, one journey each
    assert "Adoption order" in out and "2015-06-01 to 2018-02-01" in out
    assert EXTRACT in out


# ---------------------------------------------------------------- the must-show cases


def assert_cli_error(capsys, folder, file, row, column, value):
    before = snapshot(folder)
    code, out = run_validate(capsys, folder)
    assert code == 2
    assert "Traceback" not in out
    line = next((ln for ln in out.splitlines() if ln.startswith("ERROR") and f"row {row}," in ln
                 and f"column '{column}'" in ln), None)
    assert line is not None, out
    assert file in line and repr(value) in line
    assert snapshot(folder) == before  # nothing written
    return line


def test_missing_required_column(tmp_path, capsys):
    folder = make_folder(tmp_path, j_cols=[c for c in J_COLS if c != "sex"])
    code, out = run_validate(capsys, folder)
    assert code == 2
    line = next(ln for ln in out.splitlines() if "[column_missing]" in ln)
    assert "journeys.csv" in line and "row 1" in line and "'sex'" in line


@pytest.mark.parametrize("bad", ["2019-02-30", "31/01/2019"])
def test_unparseable_date(tmp_path, capsys, bad):
    folder = make_folder(tmp_path, j=changed(journeys(), 1, accommodated_date=bad))
    line = assert_cli_error(capsys, folder, "journeys.csv", 3, "accommodated_date", bad)
    assert "[date_parse]" in line
    if "/" in bad:
        assert "YYYY-MM-DD" in line


def test_permanence_before_looked_after_date(tmp_path, capsys):
    j = changed(journeys(), 3, permanence_date="2015-05-01")
    line = assert_cli_error(capsys, make_folder(tmp_path, j=j), "journeys.csv", 5,
                            "permanence_date", "2015-05-01")
    assert "[before_start]" in line and "2015-06-01" in line


def test_duplicate_journey_id(tmp_path, capsys):
    j = changed(journeys(), 2, journey_id="J1")
    p = [r for r in placements() if r["journey_id"] != "J3"]
    line = assert_cli_error(capsys, make_folder(tmp_path, j=j, p=p), "journeys.csv", 4,
                            "journey_id", "J1")
    assert "[duplicate_id]" in line and "row 2" in line


def test_unknown_route(tmp_path, capsys):
    j = changed(journeys(), 0, permanence_route="adopted")
    line = assert_cli_error(capsys, make_folder(tmp_path, j=j), "journeys.csv", 2,
                            "permanence_route", "adopted")
    assert "[code_unknown]" in line and "'adoption'" in line


def test_unknown_authority_suggests_close_match(tmp_path, capsys):
    j = changed(journeys(), 1, authority="Fyfe")
    line = assert_cli_error(capsys, make_folder(tmp_path, j=j), "journeys.csv", 3,
                            "authority", "Fyfe")
    assert "[authority_unknown]" in line and "Did you mean 'Fife'" in line


def test_placement_outside_its_journey(tmp_path, capsys):
    p = changed(placements(), 2, start_date="2017-12-01")
    line = assert_cli_error(capsys, make_folder(tmp_path, p=p), "placements.csv", 4,
                            "start_date", "2017-12-01")
    assert "[placement_outside_journey]" in line and "2018-02-01" in line


@pytest.mark.parametrize("content", [b"", b"\n\n", ",".join(J_COLS).encode() + b"\n"])
def test_empty_file(tmp_path, capsys, content):
    folder = make_folder(tmp_path)
    (folder / "journeys.csv").write_bytes(content)
    before = snapshot(folder)
    code, out = run_validate(capsys, folder)
    assert code == 2 and "Traceback" not in out
    line = next(ln for ln in out.splitlines() if "[file_empty]" in ln)
    assert "journeys.csv" in line
    assert snapshot(folder) == before


def test_non_utf8_file_names_the_line(tmp_path, capsys):
    j = changed(journeys(), 2, authority="Highland")
    folder = make_folder(tmp_path, j=j)
    path = folder / "journeys.csv"
    text = path.read_text(encoding="utf-8").replace("C3,Highland", "C3,Hígh")
    path.write_bytes(text.encode("latin-1"))
    before = snapshot(folder)
    code, out = run_validate(capsys, folder)
    assert code == 2 and "Traceback" not in out
    line = next(ln for ln in out.splitlines() if "[encoding]" in ln)
    assert "journeys.csv" in line and "row 4" in line and "ED" in line and "J3" in line
    assert snapshot(folder) == before


# ---------------------------------------------------------------- every rule


def _case(rule: str, tmp_path: Path):
    """(folder, file, row, column) for a dataset breaking *rule* and nothing else."""
    j, p, j_cols = journeys(), placements(), None
    where = ("journeys.csv",)
    match rule:
        case "file_missing":
            folder = make_folder(tmp_path)
            (folder / "placements.csv").unlink()
            return folder, ("placements.csv", None, None)
        case "file_empty":
            folder = make_folder(tmp_path)
            (folder / "placements.csv").write_text(",".join(P_COLS) + "\n")
            return folder, ("placements.csv", None, None)
        case "encoding":
            folder = make_folder(tmp_path)
            (folder / "placements.csv").write_bytes(b"journey_id\n\xff\n")
            return folder, ("placements.csv", 2, None)
        case "file_too_large":
            folder = make_folder(tmp_path)
            path = folder / "placements.csv"
            path.write_text(path.read_text() + "J1," + "x" * (2 << 20) + "\n")
            return folder, ("placements.csv", 7, None)
        case "blank_lines":
            folder = make_folder(tmp_path)
            path = folder / "placements.csv"
            path.write_text(path.read_text() + ",,,\n" * 10_010)
            return folder, ("placements.csv", None, None)
        case "csv_syntax":
            folder = make_folder(tmp_path)
            path = folder / "placements.csv"
            lines = path.read_text().splitlines(keepends=True)
            lines[3] = '"' + lines[3]
            path.write_text("".join(lines))
            return folder, ("placements.csv", 4, None)
        case "separator":
            folder = make_folder(tmp_path)
            path = folder / "placements.csv"
            path.write_text(path.read_text().replace(",", ";"))
            return folder, ("placements.csv", 1, None)
        case "column_repeated":
            folder = make_folder(tmp_path, p_cols=P_COLS + ["end_date"])
            path = folder / "placements.csv"
            return folder, ("placements.csv", 1, "end_date")
        case "column_type":
            import pyarrow as pa
            import pyarrow.parquet as pq

            folder = make_folder(tmp_path)
            (folder / "placements.csv").unlink()
            rows = placements()
            table = pa.table({c: [r[c] for r in rows] for c in P_COLS})
            table = table.set_column(3, "placement_type", pa.array([[1]] * len(rows)))
            pq.write_table(table, folder / "placements.parquet")
            return folder, ("placements.parquet", None, "placement_type")
        case "meta_invalid":
            folder = make_folder(tmp_path)
            (folder / "dataset.yaml").write_text("window:\n  start: banana\n")
            return folder, ("dataset.yaml", None, "window.start")
        case "permanence_continues":
            j = changed(j, 2, exit_date="2019-06-01", exit_reason="aged_out")
            p = changed(p, 3, end_date="2019-06-01")
            where += (4, "exit_reason")
        case "extract_date_future":
            j = [dict(r, extract_date="2100-07-31") for r in j]
            where += (2, "extract_date")
        case "child_overlap":
            j = changed(j, 3, child_id="C1", date_of_birth="2015-03-01")
            where += (2, "looked_after_date")
        case "child_inconsistent":
            j = changed(j, 3, child_id="C2", looked_after_date="2011-01-01",
                        date_of_birth="2009-01-15", accommodated_date="2011-01-01",
                        permanence_recommendation_date="2011-06-01", panel_date="2011-07-01",
                        adm_decision_date="2011-08-01", application_lodged_date="2011-09-01",
                        permanence_date="2012-01-01", sex="male", exit_date="2012-06-01",
                        exit_reason="transferred")
            p = changed(p, 4, start_date="2011-01-01", end_date="2012-06-01")
            where += (5, "date_of_birth")
        case "column_missing":
            j_cols = [c for c in J_COLS if c != "panel_date"]
            where += (1, "panel_date")
        case "column_unknown":
            j_cols = J_COLS + ["notes"]
            where += (1, "notes")
        case "required":
            j = changed(j, 1, child_id="")
            where += (3, "child_id")
        case "date_parse":
            j = changed(j, 1, date_of_birth="2010-13-01")
            where += (3, "date_of_birth")
        case "date_range":
            j = changed(j, 1, accommodated_date="2021-01-01")
            where += (3, "accommodated_date")
        case "code_unknown":
            j = changed(j, 1, sex="F")
            where += (3, "sex")
        case "authority_unknown":
            j = changed(j, 1, authority="Fife Council")
            where += (3, "authority")
        case "duplicate_id":
            j = changed(j, 3, journey_id="J2")
            p = [r for r in p if r["journey_id"] != "J4"]
            where += (5, "journey_id")
        case "before_birth":
            j = changed(j, 1, date_of_birth="2018-03-01")
            where += (3, "looked_after_date")
        case "before_start":
            j = changed(j, 1, accommodated_date="2018-01-31")
            where += (3, "accommodated_date")
        case "after_exit":
            j = changed(j, 1, exit_date="2019-01-01", exit_reason="transferred",
                        permanence_recommendation_date="2019-03-01")
            p = changed(p, 2, end_date="2019-01-01")
            where += (3, "permanence_recommendation_date")
        case "pair_incomplete":
            j = changed(j, 3, permanence_route="")
            where += (5, "permanence_route")
        case "permanence_exit":
            j = changed(j, 2, exit_reason="permanence", permanence_date="2018-04-30")
            where += (4, "permanence_date")
        case "extract_date_mixed":
            j = changed(j, 1, extract_date="2020-03-31")
            where += (3, "extract_date")
        case "milestone_order":
            j = changed(j, 0, panel_date="2016-05-01")
            where += (2, "panel_date")
        case "age_over_18":
            j = changed(j, 1, date_of_birth="2000-02-01")
            where += (3, "date_of_birth")
        case "placement_journey_unknown":
            p = changed(p, 2, journey_id="J9")
            where = ("placements.csv", 4, "journey_id")
        case "placement_end_before_start":
            p = changed(p, 3, end_date="2017-02-01")
            where = ("placements.csv", 5, "end_date")
        case "placement_outside_journey":
            p = changed(p, 3, end_date="2018-06-01")
            where = ("placements.csv", 5, "end_date")
        case "placement_overlap":
            p = changed(p, 1, start_date="2016-09-01")
            where = ("placements.csv", 3, "start_date")
        case _:
            raise AssertionError(f"no test case for rule {rule!r}")
    return make_folder(tmp_path, j=j, p=p, j_cols=j_cols), where


@pytest.mark.parametrize("rule", [r for r in RULES], ids=[r.id for r in RULES])
def test_every_rule_is_detected_where_it_is_broken(tmp_path, rule):
    folder, (file, row, column) = _case(rule.id, tmp_path)
    if rule.severity == "error":
        found = problems_of(folder)
    else:
        found = read_dataset(folder).warnings
    assert {p.rule for p in found} == {rule.id}, [p.format() for p in found]
    hit = found[0]
    assert hit.severity == rule.severity
    assert hit.file.endswith(file)
    if row is not None:
        assert (hit.row, hit.column) == (row, column)


def test_all_problems_are_reported_at_once(tmp_path, capsys):
    j = changed(journeys(), 1, authority="Fyfe")
    j = changed(j, 3, panel_date="2016-02-30")
    p = changed(placements(), 0, placement_type="fostering")
    folder = make_folder(tmp_path, j=j, p=p)
    found = problems_of(folder)
    assert [(p.rule, p.row) for p in found] == [
        ("authority_unknown", 3), ("date_parse", 5), ("code_unknown", 2)]
    code, out = run_validate(capsys, folder)
    assert code == 2
    assert out.count("ERROR") == 3


def test_problem_values_are_quoted_as_written(tmp_path):
    j = changed(journeys(), 1, permanence_route=" Adoption ", permanence_date="2019-01-01")
    found = problems_of(make_folder(tmp_path, j=j))
    hit = only(found, "code_unknown")[0]
    assert hit.value == " Adoption " and "Did you mean 'adoption'" in hit.message


def test_warnings_do_not_fail(tmp_path, capsys):
    j = changed(journeys(), 0, panel_date="2016-05-01")
    code, out = run_validate(capsys, make_folder(tmp_path, j=j))
    assert code == 0
    assert "WARNING" in out and "[milestone_order]" in out and "valid" in out


def test_errors_are_listed_before_warnings(tmp_path):
    j = changed(journeys(), 0, panel_date="2016-05-01")
    j = changed(j, 3, sex="x")
    found = problems_of(make_folder(tmp_path, j=j))
    assert [p.severity for p in found] == ["error", "warning"]


def test_ongoing_placement_of_a_closed_journey_is_outside_it(tmp_path):
    p = changed(placements(), 3, end_date="")
    hit = only(problems_of(make_folder(tmp_path, p=p)), "placement_outside_journey")[0]
    assert (hit.row, hit.column) == (5, "end_date") and "2018-05-01" in hit.message


def test_same_day_handover_is_not_an_overlap(tmp_path):
    # placements() has J1's foster placement ending the day the adopters' one starts
    assert read_dataset(make_folder(tmp_path)).warnings == []


def test_england_route_set_accepts_any_authority(tmp_path):
    j = [r | {"authority": "Kent"} for r in journeys()]
    j = [r | {"permanence_route": "special_guardianship"} if r["permanence_route"] == "adoption"
         else r for r in journeys()]
    j = [r | {"authority": "Kent"} for r in j]
    j = [r for r in j if r["permanence_route"] not in ("permanence_order",)]
    p = [r for r in placements() if r["journey_id"] != "J4"]
    folder = make_folder(tmp_path, j=j, p=p)
    with pytest.raises(DataValidationError):
        read_dataset(folder)  # Scotland: Kent is unknown, special_guardianship too
    ds = read_dataset(folder, route_set="england")
    assert ds.route_set.name == "england" and ds.authorities == ["Kent"]


def test_route_set_from_dataset_yaml(tmp_path):
    j = [r | {"authority": "Kent"} for r in journeys() if r["journey_id"] != "J4"]
    p = [r for r in placements() if r["journey_id"] != "J4"]
    folder = make_folder(tmp_path, j=j, p=p)
    (folder / "dataset.yaml").write_text("route_set: england\n")
    assert read_dataset(folder).route_set.name == "england"


def test_validate_dataset_in_memory(tmp_path):
    ds = read_dataset(make_folder(tmp_path))
    assert validate_dataset(ds) == []
    ds.journeys.loc[2, "authority"] = "Atlantis"
    found = validate_dataset(ds)
    assert [(p.rule, p.row, p.value) for p in found] == [("authority_unknown", 4, "Atlantis")]


# ---------------------------------------------------------------- CLI behaviour


def test_missing_path_is_a_clean_error(tmp_path, capsys):
    code, out = run_validate(capsys, tmp_path / "nowhere")
    assert code == 2 and "Traceback" not in out and "nowhere" in out


def test_folder_without_journeys_file(tmp_path, capsys):
    (tmp_path / "empty").mkdir()
    code, out = run_validate(capsys, tmp_path / "empty")
    assert code == 2 and "[file_missing]" in out and "journeys" in out


def test_csv_file_instead_of_folder_is_a_clean_error(tmp_path, capsys):
    folder = make_folder(tmp_path)
    code, out = run_validate(capsys, folder / "journeys.csv")
    assert code == 2 and "Traceback" not in out and "dataset folder" in out


def test_unknown_route_set_is_a_clean_error(tmp_path, capsys):
    code, out = run_validate(capsys, make_folder(tmp_path), "--routes", "narnia")
    assert code == 2 and "unknown route set 'narnia'" in out


def test_max_problems_caps_printing_and_counts_the_rest(tmp_path, capsys):
    j = [r | {"sex": "?"} for r in journeys()]
    code, out = run_validate(capsys, make_folder(tmp_path, j=j), "--max-problems", "1")
    assert code == 2
    assert out.count("[code_unknown]") == 1 and "3 more problem(s)" in out


def test_problems_csv_lists_every_problem(tmp_path, capsys):
    j = [r | {"sex": "?"} for r in journeys()]
    target = tmp_path / "out" / "problems.csv"
    code, _ = run_validate(capsys, make_folder(tmp_path, j=j), "--max-problems", "0",
                           "--problems-csv", target)
    assert code == 2
    rows = list(csv.DictReader(target.open(encoding="utf-8")))
    assert [(r["row"], r["column"], r["value"], r["rule"]) for r in rows] == [
        (str(i), "sex", "?", "code_unknown") for i in range(2, 6)]


def test_line_numbers_count_line_breaks_inside_quoted_values(tmp_path):
    j = changed(journeys(), 0, child_id="C1\nsecond line")
    j = changed(j, 2, sex="?")
    hit = only(problems_of(make_folder(tmp_path, j=j)), "code_unknown")[0]
    assert hit.row == 5  # journey 3 is data row 3, pushed down one line by the break


def test_validation_of_large_tables_is_vectorised(tmp_path):
    # 20,000 journeys with one broken value each in 1% of rows: every one is reported.
    base = journeys()[1]
    n = 20_000
    j = pd.DataFrame([base] * n)
    j["journey_id"] = [f"J{i}" for i in range(n)]
    j["child_id"] = [f"C{i}" for i in range(n)]
    j.loc[::100, "sex"] = "x"
    p = pd.DataFrame({"journey_id": j["journey_id"], "start_date": "2018-02-01",
                      "end_date": "", "placement_type": "foster"})
    folder = tmp_path / "big"
    folder.mkdir()
    j.to_csv(folder / "journeys.csv", index=False)
    p.to_csv(folder / "placements.csv", index=False)
    found = problems_of(folder)
    assert len(found) == n // 100
    assert [p.row for p in found[:2]] == [2, 102]


# ---------------------------------------------------------------- the data dictionary

DICTIONARY = Path(__file__).resolve().parents[1] / "data" / "synthetic" / "README.md"


def _section(text: str, heading: str) -> str:
    start = text.index(f"\n## {heading}\n")
    end = text.find("\n## ", start + 1)
    return text[start: end if end >= 0 else len(text)]


def _table_rows(section: str) -> dict[str, list[str]]:
    rows = {}
    for line in section.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if line.startswith("| `") and len(cells) > 1:
            rows[cells[0].strip("`")] = cells[1:]
    return rows


@pytest.mark.parametrize("table,columns", [("journeys", JOURNEY_COLUMNS),
                                           ("placements", PLACEMENT_COLUMNS)])
def test_dictionary_lists_every_column_with_its_required_flag(table, columns):
    rows = _table_rows(_section(DICTIONARY.read_text(encoding="utf-8"), table))
    assert list(rows) == [c.name for c in columns]  # same columns, same order
    for col in columns:
        kind, required = rows[col.name][0], rows[col.name][1]
        assert col.kind in kind, col.name
        assert required == ("yes" if col.required else "no"), col.name


def test_dictionary_lists_every_rule_with_its_severity():
    rows = _table_rows(_section(DICTIONARY.read_text(encoding="utf-8"), "Validation rules"))
    assert list(rows) == [r.id for r in RULES]
    for rule in RULES:
        assert rows[rule.id][0] == rule.severity, rule.id


def test_dictionary_lists_every_code_of_the_bundled_route_sets():
    from pace_analysis.routes import bundled_route_sets, load_route_set

    text = _section(DICTIONARY.read_text(encoding="utf-8"), "Route sets")
    for name in bundled_route_sets():
        rs = load_route_set(name)
        assert f"`{name}`" in text
        for code in (*rs.route_codes, *rs.exit_reasons, *rs.placement_types, *rs.legal_bases):
            assert f"`{code}`" in text, (name, code)


# ---------------------------------------------------------------- the committed data

BUNDLED = DICTIONARY.parent


@pytest.mark.slow
def test_bundled_synthetic_data_is_valid(capsys):
    code, out = run_validate(capsys, BUNDLED)
    assert code == 0, out
    assert "valid (route set scotland)" in out
    assert "ERROR" not in out


def test_many_extract_dates_are_listed_ten_then_summed_in_one_line(tmp_path):
    # An import that censors many children at their own dates (e.g. 903 rows with REC but
    # no DEC) must not flood the output: ten minority dates, then one line for the rest.
    from pace_analysis.crosschecks import MIXED_LISTED

    rows = []
    for i in range(2 * (MIXED_LISTED + 4)):
        r = dict(journeys()[1], journey_id=f"J{i}", child_id=f"C{i}")
        day = pd.Timestamp("2020-03-01") + pd.Timedelta(days=i)
        r["extract_date"] = f"{day:%Y-%m-%d}" if i % 2 else "2020-07-31"
        rows.append(r)
    pl = [dict(placements()[0], journey_id=r["journey_id"], start_date=r["looked_after_date"],
               end_date="") for r in rows]
    folder = make_folder(tmp_path, j=rows, p=pl)
    mixed = [p for p in read_dataset(folder).warnings if p.rule == "extract_date_mixed"]
    minority = len({r["extract_date"] for r in rows}) - 1
    assert minority > MIXED_LISTED
    assert len(mixed) == MIXED_LISTED + 1
    summary = [p for p in mixed if p.row is None]
    assert len(summary) == 1
    assert f"and {minority - MIXED_LISTED} more extract date(s)" in summary[0].message
