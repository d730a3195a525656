"""Tests for pace_analysis.io: writing and reading datasets in every format."""

from __future__ import annotations

import gzip
import hashlib
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import pace_analysis.io as pio
from pace_analysis.dataset import Dataset
from pace_analysis.errors import DataValidationError, PaceError
from pace_analysis.io import FORMATS, read_dataset, read_raw, write_dataset
from pace_analysis.routes import load_route_set
from pace_analysis.schema import JOURNEY_COLUMNS, PLACEMENT_COLUMNS


def _frame(rows: list[dict], columns) -> pd.DataFrame:
    df = pd.DataFrame([{c.name: r.get(c.name) for c in columns} for r in rows])
    for c in columns:
        if c.kind == "date":
            df[c.name] = pd.to_datetime(df[c.name]).astype("datetime64[ns]")
        else:
            df[c.name] = df[c.name].astype(object).where(df[c.name].notna(), None)
    return df


def small_dataset() -> Dataset:
    """Three valid journeys in real councils, typed as read_dataset returns them."""
    j = [
        dict(journey_id="J1", child_id="C1", authority="Glasgow City", sex="female",
             date_of_birth="2015-03-01", looked_after_date="2016-01-10", legal_basis="cso",
             accommodated_date="2016-01-10", permanence_recommendation_date="2016-06-01",
             planned_route="adoption", panel_date="2016-09-01", adm_decision_date="2016-09-20",
             application_lodged_date="2017-01-05", permanence_route="adoption",
             permanence_date="2017-08-01", exit_date="2017-08-01", exit_reason="permanence",
             extract_date="2020-07-31"),
        dict(journey_id="J2", child_id="C2", authority="Na h-Eileanan Siar", sex="male",
             date_of_birth="2010-05-05", looked_after_date="2018-02-01", legal_basis="s25",
             accommodated_date="2018-02-01", extract_date="2020-07-31"),
        dict(journey_id="J3", child_id="C3, \"the third\"", authority="Highland", sex="unknown",
             date_of_birth="2012-11-30", looked_after_date="2017-03-01", legal_basis="cso",
             permanence_recommendation_date="2017-09-01", planned_route="home",
             permanence_route="home", permanence_date="2018-05-01", exit_date="2018-05-01",
             exit_reason="permanence", extract_date="2020-07-31"),
    ]
    p = [
        dict(journey_id="J1", start_date="2016-01-10", end_date="2016-10-01", placement_type="foster"),
        dict(journey_id="J1", start_date="2016-10-01", end_date="2017-08-01",
             placement_type="prospective_adopters"),
        dict(journey_id="J2", start_date="2018-02-01", placement_type="residential"),
        dict(journey_id="J3", start_date="2017-03-01", end_date="2018-05-01", placement_type="home"),
    ]
    return Dataset(_frame(j, JOURNEY_COLUMNS), _frame(p, PLACEMENT_COLUMNS),
                   meta={"seed": 2014, "scale": np.float64(1.0)})


def digests(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir())}


@pytest.mark.parametrize("fmt", list(FORMATS))
def test_round_trip_gives_equal_frames(tmp_path, fmt):
    ds = small_dataset()
    folder = write_dataset(ds, tmp_path / "ds", fmt)
    back = read_dataset(folder)
    pd.testing.assert_frame_equal(back.journeys, ds.journeys)
    pd.testing.assert_frame_equal(back.placements, ds.placements)
    assert back.route_set == ds.route_set
    assert back.meta == {"seed": 2014, "scale": 1.0}
    assert back.warnings == []


def test_xlsx_workbook_can_be_read_directly(tmp_path):
    ds = small_dataset()
    folder = write_dataset(ds, tmp_path / "ds", "xlsx")
    back = read_dataset(folder / "dataset.xlsx")
    pd.testing.assert_frame_equal(back.journeys, ds.journeys)


@pytest.mark.parametrize("fmt", list(FORMATS))
def test_writing_is_deterministic(tmp_path, fmt):
    ds = small_dataset()
    first = digests(write_dataset(ds, tmp_path / "a", fmt))
    second = digests(write_dataset(ds, tmp_path / "b", fmt))
    assert first == second
    assert "dataset.yaml" in first


def test_csv_layout_is_the_contract(tmp_path):
    folder = write_dataset(small_dataset(), tmp_path / "ds", "csv")
    lines = (folder / "journeys.csv").read_text(encoding="utf-8").split("\n")
    assert lines[0] == ",".join(c.name for c in JOURNEY_COLUMNS)
    assert lines[2].startswith("J2,C2,Na h-Eileanan Siar,male,2010-05-05,2018-02-01,s25,2018-02-01,,")
    assert lines[3].startswith('J3,"C3, ""the third""",Highland')
    assert lines[-1] == "" and "\r" not in lines[1]
    assert (folder / "dataset.yaml").read_text().splitlines() == [
        "route_set: scotland", "scale: 1.0", "seed: 2014"]


def test_gzip_has_no_name_or_timestamp(tmp_path):
    folder = write_dataset(small_dataset(), tmp_path / "ds", "csv.gz")
    raw = (folder / "journeys.csv.gz").read_bytes()
    assert raw[3] == 0            # FLG: no FNAME field
    assert raw[4:8] == b"\0\0\0\0"  # MTIME = 0
    assert gzip.decompress(raw).startswith(b"journey_id,child_id")


def test_write_replaces_files_keeps_others_and_drops_stale_formats(tmp_path):
    ds = small_dataset()
    folder = write_dataset(ds, tmp_path / "ds", "csv")
    (folder / "README.md").write_text("dictionary")
    write_dataset(ds, folder, "parquet")
    assert sorted(p.name for p in folder.iterdir()) == [
        "README.md", "dataset.yaml", "journeys.parquet", "placements.parquet"]
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no temp left


def test_write_is_atomic_when_a_new_folder_fails(tmp_path, monkeypatch):
    def boom(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(pio, "_write_csv", lambda text, path, compress: (
        path.write_text("half") if "journeys" in path.name else boom()))
    with pytest.raises(PaceError, match="disk full"):
        write_dataset(small_dataset(), tmp_path / "new", "csv")
    assert list(tmp_path.iterdir()) == []  # neither the folder nor a temporary one


def test_write_is_atomic_when_replacing_fails(tmp_path, monkeypatch):
    ds = small_dataset()
    folder = write_dataset(ds, tmp_path / "ds", "csv")
    before = digests(folder)
    changed = small_dataset()
    changed.journeys.loc[0, "sex"] = "male"

    def failing_yaml(*args, **kwargs):
        raise RuntimeError("crash after the tables were written")

    monkeypatch.setattr(pio.yaml, "safe_dump", failing_yaml)
    with pytest.raises(RuntimeError):
        write_dataset(changed, folder, "csv")
    assert digests(folder) == before
    assert [p.name for p in tmp_path.iterdir()] == ["ds"]


def test_write_refuses_a_frame_without_contract_columns(tmp_path):
    ds = small_dataset()
    ds.journeys = ds.journeys.drop(columns="sex")
    with pytest.raises(PaceError, match="sex"):
        write_dataset(ds, tmp_path / "ds")
    assert not (tmp_path / "ds").exists()


def test_unknown_format_is_rejected(tmp_path):
    with pytest.raises(PaceError, match="unknown format"):
        write_dataset(small_dataset(), tmp_path / "ds", "json")


def test_utf8_bom_is_accepted(tmp_path):
    folder = write_dataset(small_dataset(), tmp_path / "ds", "csv")
    path = folder / "journeys.csv"
    path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes())
    back = read_dataset(folder)
    assert back.journeys.columns[0] == "journey_id"
    assert back.journeys.loc[0, "journey_id"] == "J1"


def test_windows_line_endings_are_accepted(tmp_path):
    folder = write_dataset(small_dataset(), tmp_path / "ds", "csv")
    path = folder / "placements.csv"
    path.write_bytes(path.read_bytes().replace(b"\n", b"\r\n"))
    pd.testing.assert_frame_equal(read_dataset(folder).placements, small_dataset().placements)


def test_excel_rows_are_sheet_rows_and_real_dates_are_read(tmp_path):
    from openpyxl import Workbook

    ds = small_dataset()
    wb = Workbook()
    ws = wb.active
    ws.title = "journeys"
    ws.append([c.name for c in JOURNEY_COLUMNS])
    ws.append([])  # a blank row: the next data row is sheet row 3
    for row in ds.journeys.itertuples(index=False):
        ws.append([None if pd.isna(v) else (v.to_pydatetime() if isinstance(v, pd.Timestamp) else v)
                   for v in row])
    ws.cell(row=4, column=4, value="Male")  # J2's sex, row 4 in Excel
    wp = wb.create_sheet("placements")
    wp.append([c.name for c in PLACEMENT_COLUMNS])
    for row in ds.placements.itertuples(index=False):
        wp.append([None if pd.isna(v) else v for v in row])
    wb.save(tmp_path / "extract.xlsx")
    with pytest.raises(DataValidationError) as exc:
        read_dataset(tmp_path / "extract.xlsx")
    (p,) = exc.value.problems
    assert (p.file.endswith("extract.xlsx[journeys]"), p.row, p.column, p.value, p.rule) == (
        True, 4, "sex", "Male", "code_unknown")


def test_workbook_without_placements_sheet(tmp_path):
    from openpyxl import Workbook

    wb = Workbook()
    wb.active.title = "journeys"
    wb.active.append([c.name for c in JOURNEY_COLUMNS])
    wb.save(tmp_path / "x.xlsx")
    with pytest.raises(DataValidationError) as exc:
        read_dataset(tmp_path / "x.xlsx")
    rules = sorted(p.rule for p in exc.value.problems)
    assert rules == ["file_empty", "file_missing"]


def test_damaged_workbook_is_a_clean_error(tmp_path):
    (tmp_path / "x.xlsx").write_bytes(b"not a zip")
    with pytest.raises(PaceError, match="Excel workbook"):
        read_dataset(tmp_path / "x.xlsx")


def test_parquet_written_elsewhere_with_timestamps_is_read(tmp_path):
    ds = small_dataset()
    folder = tmp_path / "pq"
    folder.mkdir()
    ds.journeys.to_parquet(folder / "journeys.parquet", index=False)
    ds.placements.to_parquet(folder / "placements.parquet", index=False)
    back = read_dataset(folder)
    pd.testing.assert_frame_equal(back.journeys, ds.journeys)


def test_parquet_row_numbers_count_the_header(tmp_path):
    ds = small_dataset()
    ds.journeys.loc[2, "legal_basis"] = "s26"
    folder = write_dataset(ds, tmp_path / "ds", "parquet")
    with pytest.raises(DataValidationError) as exc:
        read_dataset(folder)
    (p,) = exc.value.problems
    assert (p.row, p.column, p.value) == (4, "legal_basis", "s26")


def test_two_formats_of_one_table_is_ambiguous(tmp_path):
    folder = write_dataset(small_dataset(), tmp_path / "ds", "csv")
    (folder / "journeys.parquet").write_bytes(b"")
    with pytest.raises(PaceError, match="more than one format"):
        read_dataset(folder)


def test_problems_from_both_files_are_collected_before_raising(tmp_path):
    folder = write_dataset(small_dataset(), tmp_path / "ds", "csv")
    (folder / "journeys.csv").write_bytes(b"")
    (folder / "placements.csv").write_bytes(b"journey_id\n\xe9\n")
    with pytest.raises(DataValidationError) as exc:
        read_raw(folder)
    assert [(p.rule, p.row) for p in exc.value.problems] == [("file_empty", None), ("encoding", 2)]


def test_route_set_argument_overrides_dataset_yaml(tmp_path):
    folder = write_dataset(small_dataset(), tmp_path / "ds", "csv")
    assert read_dataset(folder, route_set=load_route_set("scotland")).route_set.name == "scotland"
    (folder / "dataset.yaml").write_text("route_set: narnia\n")
    with pytest.raises(PaceError, match="narnia"):
        read_dataset(folder)
    assert read_dataset(folder, route_set="scotland").route_set.name == "scotland"


def test_validate_false_skips_the_contract(tmp_path):
    ds = small_dataset()
    folder = write_dataset(ds, tmp_path / "ds", "csv")
    path = folder / "journeys.csv"
    path.write_text(path.read_text().replace("Highland", "Atlantis").replace(
        "2018-05-01,2018-05-01", "2018-05-01,2018-02-30"))
    back = read_dataset(folder, validate=False)
    assert back.journeys.loc[2, "authority"] == "Atlantis"
    assert pd.isna(back.journeys.loc[2, "exit_date"])


def test_blank_lines_are_skipped_but_counted(tmp_path):
    ds = small_dataset()
    ds.journeys.loc[2, "sex"] = "?"
    folder = write_dataset(ds, tmp_path / "ds", "csv")
    path = folder / "journeys.csv"
    lines = path.read_text(encoding="utf-8").split("\n")
    lines[2:2] = ["", ",,,,"]  # a blank line and an empty Excel row before J2
    path.write_text("\n".join(lines) + "\n\n", encoding="utf-8")
    with pytest.raises(DataValidationError) as exc:
        read_dataset(folder)
    (p,) = exc.value.problems
    assert (p.row, p.column, p.value) == (6, "sex", "?")  # J3 is now on line 6


def test_row_with_too_many_fields_is_a_clean_error(tmp_path):
    folder = write_dataset(small_dataset(), tmp_path / "ds", "csv")
    path = folder / "placements.csv"
    path.write_text(path.read_text(encoding="utf-8").replace(",foster", ",foster,extra", 1))
    with pytest.raises(DataValidationError) as exc:
        read_dataset(folder)
    (problem,) = exc.value.problems
    assert problem.file.endswith("placements.csv") and problem.row == 2
    assert problem.rule == "csv_syntax" and "extra" in problem.value


def test_trailing_empty_spreadsheet_columns_are_ignored(tmp_path):
    folder = write_dataset(small_dataset(), tmp_path / "ds", "csv")
    path = folder / "placements.csv"
    path.write_text("\n".join(ln + ",," if ln else ln
                              for ln in path.read_text(encoding="utf-8").split("\n")))
    back = read_dataset(folder)
    assert back.warnings == []
    pd.testing.assert_frame_equal(back.placements, small_dataset().placements)
