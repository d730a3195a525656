"""A table of broken and hostile inputs, across every sub-command.

Each row builds its input in a fresh folder, runs ``pace`` in-process and asserts: the
exit status; a message naming the file (and the row, column and value where there are
any); no traceback; and that nothing was written (every file under the test folder has
the same bytes as before, and no file was added).
"""

from __future__ import annotations

import gzip
import json
import os
import shutil
import socket
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from test_validation import J_COLS, P_COLS, journeys, make_folder, placements

from pace_analysis.cli import main

DATA = Path(__file__).resolve().parent / "data"


@dataclass(frozen=True)
class Case:
    """One hostile input: ``build(tmp) -> (argv, expected substrings)``."""

    id: str
    build: Callable[[Path], tuple[list[str], list[str]]]
    status: int = 2


def _snapshot(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): (p.read_bytes() if p.is_file() else b"<dir>")
            for p in sorted(root.rglob("*"))}


def _line_of(path: Path, n: int) -> str:
    return path.read_text(encoding="utf-8").splitlines()[n - 1]


# ------------------------------------------------------------------ validate


def _data(tmp: Path) -> Path:
    return make_folder(tmp)


def v_parquet_list(tmp):
    import pyarrow as pa
    import pyarrow.parquet as pq

    folder = _data(tmp)
    (folder / "placements.csv").unlink()
    rows = placements()
    t = pa.table({c: [r[c] for r in rows] for c in P_COLS})
    t = t.set_column(3, "placement_type", pa.array([[1, 2]] * len(rows)))
    pq.write_table(t, folder / "placements.parquet")
    return ["validate", str(folder)], ["placements.parquet", "'placement_type'", "list",
                                      "[column_type]"]


def v_parquet_binary(tmp):
    import pyarrow as pa
    import pyarrow.parquet as pq

    folder = _data(tmp)
    (folder / "placements.csv").unlink()
    rows = placements()
    t = pa.table({c: [r[c] for r in rows] for c in P_COLS})
    t = t.set_column(3, "placement_type", pa.array([b"foster"] * 2 + [b"\xff\xfe"] * 3,
                                                    pa.binary()))
    pq.write_table(t, folder / "placements.parquet")
    return ["validate", str(folder)], ["placements.parquet", "row 4", "'placement_type'",
                                      "FF FE", "[column_type]"]


def v_parquet_garbage(tmp):
    folder = _data(tmp)
    (folder / "placements.csv").unlink()
    (folder / "placements.parquet").write_bytes(b"PAR1 this is not parquet")
    return ["validate", str(folder)], ["placements.parquet", "Parquet"]


def _workbook(folder: Path, j_header: list[str]) -> None:
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.title = "journeys"
    ws.append(j_header)
    for r in journeys():
        ws.append([r.get(c, "") for c in j_header])
    ws2 = wb.create_sheet("placements")
    ws2.append(P_COLS)
    for r in placements():
        ws2.append([r[c] for c in P_COLS])
    wb.save(folder / "dataset.xlsx")


def v_xlsx_repeated_header(tmp):
    folder = tmp / "data"
    folder.mkdir()
    _workbook(folder, J_COLS + ["sex"])
    return ["validate", str(folder)], ["dataset.xlsx[journeys]", "row 1", "'sex'",
                                      "[column_repeated]"]


def v_xlsx_damaged(tmp):
    folder = tmp / "data"
    folder.mkdir()
    (folder / "dataset.xlsx").write_bytes(b"PK\x03\x04 truncated")
    return ["validate", str(folder)], ["dataset.xlsx", "Excel workbook"]


def v_csv_repeated_header(tmp):
    folder = make_folder(tmp, p_cols=P_COLS + ["start_date"])
    return ["validate", str(folder)], ["placements.csv", "row 1", "'start_date'",
                                      "[column_repeated]"]


def v_gzip_blank_lines(tmp):
    folder = _data(tmp)
    data = (folder / "placements.csv").read_bytes() + b"\n" * 2_000_000
    (folder / "placements.csv").unlink()
    (folder / "placements.csv.gz").write_bytes(gzip.compress(data, 9))
    return ["validate", str(folder)], ["placements.csv.gz", "2,000,000 empty lines",
                                      "[blank_lines]"]


def v_gzip_comma_rows(tmp):
    folder = _data(tmp)
    data = (folder / "placements.csv").read_bytes() + b",,,\n" * 500_000
    (folder / "placements.csv").unlink()
    (folder / "placements.csv.gz").write_bytes(gzip.compress(data, 9))
    return ["validate", str(folder)], ["placements.csv.gz", "500,000 empty lines",
                                      "[blank_lines]"]


def v_gzip_bomb(tmp):
    folder = _data(tmp)
    data = (folder / "placements.csv").read_bytes() + b"J1" + b" " * (64 << 20) + b"\n"
    (folder / "placements.csv").unlink()
    (folder / "placements.csv.gz").write_bytes(gzip.compress(data, 9))
    return ["validate", str(folder)], ["placements.csv.gz", "[file_too_large]"]


def v_gzip_truncated(tmp):
    folder = _data(tmp)
    data = gzip.compress((folder / "placements.csv").read_bytes())
    (folder / "placements.csv").unlink()
    (folder / "placements.csv.gz").write_bytes(data[: len(data) // 2])
    return ["validate", str(folder)], ["placements.csv.gz", "cannot read"]


def v_long_line(tmp):
    folder = _data(tmp)
    with (folder / "placements.csv").open("a") as fh:
        fh.write("J1," + "x" * (2 << 20) + "\n")
    return ["validate", str(folder)], ["placements.csv", "row 7", "[file_too_large]"]


def v_not_utf8(tmp):
    folder = _data(tmp)
    path = folder / "journeys.csv"
    path.write_bytes(path.read_bytes().replace(b"Fife", b"F\xeffe"))
    return ["validate", str(folder)], ["journeys.csv", "row 3", "EF", "[encoding]"]


def v_semicolons(tmp):
    folder = _data(tmp)
    path = folder / "journeys.csv"
    path.write_text(path.read_text().replace(",", ";"))
    return ["validate", str(folder)], ["journeys.csv", "row 1", "semicolons", "[separator]"]


def v_unbalanced_quote(tmp):
    folder = _data(tmp)
    path = folder / "journeys.csv"
    lines = path.read_text().splitlines(keepends=True)
    lines[2] = lines[2].replace("J2,", 'J2,"', 1)
    path.write_text("".join(lines))
    return ["validate", str(folder)], ["journeys.csv", "row 3", "J2", "[csv_syntax]"]


def v_too_many_fields(tmp):
    folder = _data(tmp)
    path = folder / "placements.csv"
    path.write_text(path.read_text().replace(",residential", ",residential,extra", 1))
    return ["validate", str(folder)], ["placements.csv", "row 4", "extra", "[csv_syntax]"]


def v_year_2263(tmp):
    rows = journeys()
    rows[1]["date_of_birth"] = "2263-01-01"
    folder = make_folder(tmp, j=rows)
    return ["validate", str(folder)], ["journeys.csv", "row 3", "'date_of_birth'",
                                      "'2263-01-01'", "year 2263 is beyond"]


def v_extract_2100(tmp):
    rows = [dict(r, extract_date="2100-07-31") for r in journeys()]
    folder = make_folder(tmp, j=rows)
    return ["validate", str(folder)], ["journeys.csv", "row 2", "'extract_date'", "'2100-07-31'",
                                      "[extract_date_future]"]


def v_child_overlap(tmp):
    rows = journeys()
    rows[3].update(child_id="C1", date_of_birth="2015-03-01")
    folder = make_folder(tmp, j=rows)
    return ["validate", str(folder)], ["journeys.csv", "row 2", "'looked_after_date'",
                                      "row 5", "[child_overlap]"]


def v_home_then_aged_out(tmp):
    rows = journeys()
    rows[2].update(exit_date="2019-06-01", exit_reason="aged_out")
    p = placements()
    p[3]["end_date"] = "2019-06-01"
    folder = make_folder(tmp, j=rows, p=p)
    return ["validate", str(folder)], ["journeys.csv", "row 4", "'exit_reason'", "'aged_out'",
                                      "[permanence_continues]"]


def v_yaml_alias_bomb(tmp):
    folder = _data(tmp)
    lol = ["a: &a [x, x, x, x, x, x, x, x, x]"]
    for i, k in enumerate("bcdefghi"):
        prev = "abcdefghi"[i]
        lol.append(f"{k}: &{k} [*{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}]")
    (folder / "dataset.yaml").write_text("\n".join(lol) + "\n")
    return ["validate", str(folder)], ["dataset.yaml", "line 1", "anchors and aliases"]


def v_yaml_malformed(tmp):
    folder = _data(tmp)
    (folder / "dataset.yaml").write_text("route_set: [scotland\n")
    return ["validate", str(folder)], ["dataset.yaml", "line 2", "not valid YAML"]


def v_yaml_python_object(tmp):
    folder = _data(tmp)
    (folder / "dataset.yaml").write_text("route_set: !!python/object/apply:os.system [echo]\n")
    return ["validate", str(folder)], ["dataset.yaml", "not valid YAML"]


def v_window_banana(tmp):
    folder = _data(tmp)
    (folder / "dataset.yaml").write_text("window:\n  start: banana\n")
    return ["validate", str(folder)], ["dataset.yaml", "'window.start'", "'banana'",
                                      "[meta_invalid]"]


def v_routes_malformed(tmp):
    folder = _data(tmp)
    routes = tmp / "routes.yaml"
    routes.write_text("name: [x\n")
    return ["validate", str(folder), "--routes", str(routes)], ["routes.yaml", "line 2",
                                                                "not valid YAML"]


def v_problems_csv_under_a_file(tmp):
    rows = journeys()
    rows[1]["sex"] = "F"
    folder = make_folder(tmp, j=rows)
    (tmp / "afile").write_text("keep")
    return (["validate", str(folder), "--problems-csv", str(tmp / "afile" / "p.csv")],
            [str(tmp / "afile" / "p.csv"), "cannot write"])


def v_problems_csv_is_a_folder(tmp):
    rows = journeys()
    rows[1]["sex"] = "F"
    folder = make_folder(tmp, j=rows)
    (tmp / "p.csv").mkdir()
    return ["validate", str(folder), "--problems-csv", str(tmp / "p.csv")], ["p.csv"]


def v_missing_folder(tmp):
    return ["validate", str(tmp / "nowhere")], ["nowhere", "[file_missing]"]


# ------------------------------------------------------------------ synth


def s_scale_huge(tmp):
    return ["synth", "--out", str(tmp / "out"), "--scale", "1000"], ["--scale 1000", "GB",
                                                                     "largest scale"]


def s_scale_nan(tmp):
    return ["synth", "--out", str(tmp / "out"), "--scale", "nan"], ["--scale", "nan"]


def s_scale_negative(tmp):
    return ["synth", "--out", str(tmp / "out"), "--scale", "-1"], ["--scale", "-1"]


def s_out_is_file(tmp):
    (tmp / "afile").write_text("keep me")
    return ["synth", "--out", str(tmp / "afile"), "--scale", "0.01"], ["afile", "not a folder"]


def s_out_under_a_file(tmp):
    (tmp / "afile").write_text("keep")
    return ["synth", "--out", str(tmp / "afile" / "out"), "--scale", "0.01"], ["afile"]


def s_start_banana(tmp):
    return ["synth", "--out", str(tmp / "o"), "--start", "banana"], ["banana"]


# ------------------------------------------------------------------ import


def _copy_903(tmp: Path) -> Path:
    src = tmp / "903"
    shutil.copytree(DATA / "ssda903", src)
    return src


def _903_args(src: Path, out: Path, *extra: str) -> list[str]:
    return ["import", "ssda903", "--header", str(src / "header_2022_23.csv"),
            str(src / "header_2023_24.csv"), "--episodes", str(src / "episodes_2022_23.csv"),
            str(src / "episodes_2023_24.csv"), "--out", str(out), *extra]


def i903_not_cp1252(tmp):
    src = _copy_903(tmp)
    p = src / "episodes_2022_23.csv"
    p.write_bytes(p.read_bytes().replace(b"CARPL", b"C\x81\x8d\x9dL"))
    return _903_args(src, tmp / "out"), ["episodes_2022_23.csv", "UTF-8", "1252"]


def i903_codes_malformed(tmp):
    src = _copy_903(tmp)
    (tmp / "codes.yaml").write_text("years: {2022/23: [\n")
    return _903_args(src, tmp / "out", "--codes", str(tmp / "codes.yaml")), ["codes.yaml",
                                                                             "not valid YAML"]


def i903_codes_alias(tmp):
    src = _copy_903(tmp)
    (tmp / "codes.yaml").write_text("years: &y {}\nother: *y\n")
    return _903_args(src, tmp / "out", "--codes", str(tmp / "codes.yaml")), ["codes.yaml",
                                                                             "aliases"]


def i903_codes_wrong_shape(tmp):
    src = _copy_903(tmp)
    (tmp / "codes.yaml").write_text("- just\n- a list\n")
    return _903_args(src, tmp / "out", "--codes", str(tmp / "codes.yaml")), ["codes.yaml",
                                                                             "malformed"]


def i903_out_is_input_folder(tmp):
    src = _copy_903(tmp)
    return _903_args(src, src), [str(src), "folder holding the input"]


def i903_out_is_file(tmp):
    src = _copy_903(tmp)
    (tmp / "afile").write_text("keep")
    return _903_args(src, tmp / "afile"), ["afile", "not a folder"]


def i903_missing_header(tmp):
    src = _copy_903(tmp)
    (src / "header_2023_24.csv").unlink()
    return _903_args(src, tmp / "out"), ["header_2023_24.csv"]


def i903_extract_banana(tmp):
    src = _copy_903(tmp)
    return _903_args(src, tmp / "out", "--extract-date", "banana"), ["banana"]


def _copy_clas(tmp: Path) -> Path:
    src = tmp / "clas"
    shutil.copytree(DATA / "clas", src)
    return src


def _clas_args(src: Path, out: Path, *extra: str) -> list[str]:
    return ["import", "clas", "--children", str(src / "children.csv"), "--episodes",
            str(src / "episodes.csv"), "--placements", str(src / "placements.csv"),
            "--legal-reasons", str(src / "legal_reasons.csv"), "--out", str(out), *extra]


def _code_map(tmp: Path, **changes) -> Path:
    text = (Path(__file__).resolve().parents[1] / "pace_analysis" / "importers"
            / "clas_codes.yaml").read_text(encoding="utf-8")
    for key, value in changes.items():
        text += f"\n{key}: {value}\n"
    path = tmp / "map.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def iclas_out_is_input_folder(tmp):
    src = _copy_clas(tmp)
    return _clas_args(src, src), [str(src), "folder holding the input"]


def iclas_out_holds_the_inputs(tmp):
    src = _copy_clas(tmp)
    return _clas_args(src, tmp), ["folder holding the input"]


def iclas_bad_date_format(tmp):
    src = _copy_clas(tmp)
    cmap = _code_map(tmp, date_format="'%Q'")
    return _clas_args(src, tmp / "out", "--code-map", str(cmap)), ["map.yaml", "date_format",
                                                                   "'%Q'"]


def iclas_bad_extract_date(tmp):
    src = _copy_clas(tmp)
    cmap = _code_map(tmp, extract_date="soon")
    return _clas_args(src, tmp / "out", "--code-map", str(cmap)), ["map.yaml", "extract_date",
                                                                   "'soon'"]


def iclas_code_map_alias(tmp):
    src = _copy_clas(tmp)
    cmap = tmp / "map.yaml"
    cmap.write_text("children: &c {}\nepisodes: *c\n")
    return _clas_args(src, tmp / "out", "--code-map", str(cmap)), ["map.yaml", "aliases"]


def iclas_missing_children(tmp):
    src = _copy_clas(tmp)
    (src / "children.csv").unlink()
    return _clas_args(src, tmp / "out"), ["children.csv"]


# ------------------------------------------------------------------ report


def _report(folder: Path, out: Path, *extra: str) -> list[str]:
    return ["report", "--authority", "Fife", "--data", str(folder), "--out", str(out),
            "--no-progress", *extra]


def r_run_newline(tmp):
    return _report(_data(tmp), tmp / "rep", "--run", "x\n"), ["run name", "'x\\n'"]


def r_run_path(tmp):
    return _report(_data(tmp), tmp / "rep", "--run", "../../etc"), ["run name", "../../etc"]


def r_window_future(tmp):
    return _report(_data(tmp), tmp / "rep", "--window-start", "2999-01-01"), [
        "--window-start 2999-01-01", "future"]


def r_window_after_extract(tmp):
    return _report(_data(tmp), tmp / "rep", "--window-start", "2024-01-01"), [
        "--window-start 2024-01-01", "extract date 2020-07-31"]


def r_window_banana(tmp):
    return _report(_data(tmp), tmp / "rep", "--window-start", "banana"), ["'banana'"]


def r_window_reversed(tmp):
    return _report(_data(tmp), tmp / "rep", "--window-start", "2019-01-01", "--window-end",
                   "2018-01-01"), ["2019-01-01", "after window end 2018-01-01"]


def r_out_is_file(tmp):
    folder = _data(tmp)
    (tmp / "afile").write_text("keep")
    return _report(folder, tmp / "afile"), ["afile", "not a folder"]


def r_out_inside_data(tmp):
    folder = _data(tmp)
    return _report(folder, folder / "reports"), ["folder holding the input", str(folder)]


def r_meta_banana(tmp):
    folder = _data(tmp)
    (folder / "dataset.yaml").write_text("window:\n  start: banana\n")
    return _report(folder, tmp / "rep"), ["dataset.yaml", "'window.start'", "'banana'"]


def r_invalid_data(tmp):
    rows = journeys()
    rows[1]["sex"] = "F"
    return _report(make_folder(tmp, j=rows), tmp / "rep"), ["journeys.csv", "row 3", "'sex'",
                                                            "'F'"]


def r_unknown_authority(tmp):
    args = _report(_data(tmp), tmp / "rep")
    args[2] = "Atlantis"
    return args, ["Atlantis"]


def r_threshold_zero(tmp):
    return _report(_data(tmp), tmp / "rep", "--threshold", "0"), ["--threshold"]


def r_jobs_zero(tmp):
    return _report(_data(tmp), tmp / "rep", "--jobs", "0"), ["--jobs"]


def r_missing_data(tmp):
    return _report(tmp / "nowhere", tmp / "rep"), ["nowhere"]


def r_slug_collision(tmp):
    rs = (Path(__file__).resolve().parents[1] / "pace_analysis" / "routesets"
          / "scotland.yaml").read_text(encoding="utf-8")
    (tmp / "any.yaml").write_text(rs.replace("name: scotland", "name: anyplace").replace(
        "authorities: scotland", "authorities: any"), encoding="utf-8")
    rows = journeys()
    rows[0]["authority"] = "North Shire"
    rows[1]["authority"] = "North-Shire"
    folder = make_folder(tmp, j=rows)
    (folder / "dataset.yaml").write_text(f"route_set: {tmp / 'any.yaml'}\n")
    args = ["report", "--all", "--data", str(folder), "--out", str(tmp / "rep"), "--no-progress"]
    return args, ["'North Shire'", "'North-Shire'", "north-shire"]


def r_live_lock(tmp):
    folder = _data(tmp)
    run = tmp / "rep" / "latest"
    run.mkdir(parents=True)
    from pace_analysis.cache import process_start

    (run / ".lock").write_text(json.dumps({"host": socket.gethostname(), "pid": os.getpid(),
                                           "start": process_start(os.getpid())}))
    return _report(folder, tmp / "rep"), [str(run), "rm '"]



# ------------------------------------------------------------------ added in the sweep


def v_child_two_dobs(tmp):
    rows = journeys()
    rows[1].update(child_id="C1", date_of_birth="2015-03-02")  # C1's first journey ended 2017
    folder = make_folder(tmp, j=rows)
    return ["validate", str(folder)], ["journeys.csv", "row 3", "'date_of_birth'", "2015-03-02",
                                      "[child_inconsistent]"]


def v_child_two_sexes(tmp):
    rows = journeys()
    rows[1].update(child_id="C1", date_of_birth="2015-03-01")  # C1 female in row 2, male here
    folder = make_folder(tmp, j=rows)
    return ["validate", str(folder)], ["journeys.csv", "row 3", "'sex'", "male",
                                      "[child_inconsistent]"]


def v_dataset_yaml_list(tmp):
    folder = _data(tmp)
    (folder / "dataset.yaml").write_text("- route_set\n- scotland\n")
    return ["validate", str(folder)], ["dataset.yaml", "must be a mapping"]


def r_meta_alias_bomb(tmp):
    folder = _data(tmp)
    lol = ["a: &a [x, x, x, x, x, x, x, x, x]"]
    for i, k in enumerate("bcdefghi"):
        prev = "abcdefghi"[i]
        lol.append(f"{k}: &{k} [*{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}]")
    (folder / "dataset.yaml").write_text("\n".join(lol) + "\n")
    return _report(folder, tmp / "rep"), ["dataset.yaml", "anchors and aliases"]


def _903_files(tmp: Path, header: str, episodes: str, name: str = "episodes.csv"):
    (tmp / "header.csv").write_text(header)
    (tmp / name).write_text(episodes)
    return ["import", "ssda903", "--header", str(tmp / "header.csv"), "--episodes",
            str(tmp / name), "--out", str(tmp / "out")]


_H903 = "CHILD,SEX,DOB\nA,1,01/01/2015\n"
_E903 = "CHILD,DECOM,RNE,LS,PLACE,DEC,REC\n"


def i903_two_digit_years_only(tmp):
    return _903_files(tmp, _H903, _E903 + "A,01/05/22,S,C2,U4,,\n"), [
        "episodes.csv", "two-digit years", "--year"]


def i903_nothing_accepted(tmp):
    return _903_files(tmp, _H903, _E903 + "A,01/05/2022,S,C2,U4,01/06/2022,E4A\n"
                                          "A,01/04/2022,S,C2,U4,01/06/2022,E4A\n"
                                          "ZZ,01/05/2022,S,C2,U4,,\n",
                      name="episodes_2022_23.csv"), ["no episode was accepted", "overlap"]


def i903_columns_swapped(tmp):
    return _903_files(tmp, _H903, "CHILD,PLACE,RNE,LS,DECOM,DEC,REC\n"
                      + "".join(f"A{i},01/05/2022,S,C2,U4,,\n" for i in range(6)),
                      name="episodes_2022_23.csv"), ["episodes_2022_23.csv", "column DECOM",
                                                     "'U4'", "swapped"]


def i903_dec_decom_swapped(tmp):
    rows = "".join(f"A{i},01/06/2022,S,C2,U4,01/05/2022,E4A\n" for i in range(6))
    return _903_files(tmp, _H903, _E903 + rows, name="episodes_2022_23.csv"), [
        "episodes_2022_23.csv", "DEC is before DECOM on 6 of 6 rows", "swapped"]


def i903_missing_column(tmp):
    return _903_files(tmp, _H903, "CHILD,DECOM,RNE,LS,PLACE,REC\nA,01/05/2022,S,C2,U4,\n"), [
        "episodes.csv", "DEC"]


def i903_year_banana(tmp):
    src = _copy_903(tmp)
    return _903_args(src, tmp / "out", "--year", "banana"), ["banana", "return year"]


def i903_older_years_as_banana(tmp):
    src = _copy_903(tmp)
    return _903_args(src, tmp / "out", "--older-years-as", "1066"), ["1066", "return year"]


def i903_empty_episodes(tmp):
    return _903_files(tmp, _H903, ""), ["episodes.csv", "empty"]


def i903_episodes_is_xlsx(tmp):
    argv = _903_files(tmp, _H903, "")
    (tmp / "episodes.csv").write_bytes(b"PK\x03\x04" + b"\x00" * 40)
    return argv, ["episodes.csv", "Excel"]


def i903_codes_missing(tmp):
    src = _copy_903(tmp)
    return _903_args(src, tmp / "out", "--codes", str(tmp / "nope.yaml")), ["nope.yaml"]


def i903_out_under_a_file(tmp):
    src = _copy_903(tmp)
    (tmp / "afile").write_text("keep")
    return _903_args(src, tmp / "afile" / "out"), ["afile"]


def i903_long_line(tmp):
    rows = "".join(f"A{i},01/05/2022,S,C2,U4,,\n" for i in range(5))
    argv = _903_files(tmp, _H903, _E903 + rows + "A9,01/05/2022,S,C2,U4,," + "x" * 3_000_000
                      + "\n", name="episodes_2022_23.csv")
    return argv, ["episodes_2022_23.csv", "line 7", "2.9 MB long"]


def iclas_out_is_file(tmp):
    src = _copy_clas(tmp)
    (tmp / "afile").write_text("keep")
    return _clas_args(src, tmp / "afile"), ["afile", "not a folder"]


def iclas_out_under_a_file(tmp):
    src = _copy_clas(tmp)
    (tmp / "afile").write_text("keep")
    return _clas_args(src, tmp / "afile" / "out"), ["afile"]


CASES = [
    Case("validate-parquet-list-column", v_parquet_list),
    Case("validate-parquet-binary-not-utf8", v_parquet_binary),
    Case("validate-parquet-garbage", v_parquet_garbage),
    Case("validate-xlsx-repeated-header", v_xlsx_repeated_header),
    Case("validate-xlsx-damaged", v_xlsx_damaged),
    Case("validate-csv-repeated-header", v_csv_repeated_header),
    Case("validate-gzip-of-blank-lines", v_gzip_blank_lines),
    Case("validate-gzip-of-comma-rows", v_gzip_comma_rows),
    Case("validate-gzip-bomb", v_gzip_bomb),
    Case("validate-gzip-truncated", v_gzip_truncated),
    Case("validate-line-over-1mb", v_long_line),
    Case("validate-not-utf8", v_not_utf8),
    Case("validate-semicolon-separated", v_semicolons),
    Case("validate-unbalanced-quote", v_unbalanced_quote),
    Case("validate-too-many-fields", v_too_many_fields),
    Case("validate-year-2263", v_year_2263),
    Case("validate-extract-date-2100", v_extract_2100),
    Case("validate-child-in-two-overlapping-journeys", v_child_overlap),
    Case("validate-home-then-aged-out", v_home_then_aged_out),
    Case("validate-yaml-alias-bomb", v_yaml_alias_bomb),
    Case("validate-yaml-malformed", v_yaml_malformed),
    Case("validate-yaml-python-object", v_yaml_python_object),
    Case("validate-window-start-banana", v_window_banana),
    Case("validate-routes-yaml-malformed", v_routes_malformed),
    Case("validate-problems-csv-under-a-file", v_problems_csv_under_a_file),
    Case("validate-problems-csv-is-a-folder", v_problems_csv_is_a_folder),
    Case("validate-missing-folder", v_missing_folder),
    Case("synth-scale-1000", s_scale_huge),
    Case("synth-scale-nan", s_scale_nan),
    Case("synth-scale-negative", s_scale_negative),
    Case("synth-out-is-a-file", s_out_is_file),
    Case("synth-out-under-a-file", s_out_under_a_file),
    Case("synth-start-banana", s_start_banana),
    Case("import903-neither-utf8-nor-cp1252", i903_not_cp1252),
    Case("import903-codes-malformed", i903_codes_malformed),
    Case("import903-codes-alias", i903_codes_alias),
    Case("import903-codes-wrong-shape", i903_codes_wrong_shape),
    Case("import903-out-is-input-folder", i903_out_is_input_folder),
    Case("import903-out-is-a-file", i903_out_is_file),
    Case("import903-missing-header-file", i903_missing_header),
    Case("import903-extract-date-banana", i903_extract_banana),
    Case("importclas-out-is-input-folder", iclas_out_is_input_folder),
    Case("importclas-out-holds-the-inputs", iclas_out_holds_the_inputs),
    Case("importclas-bad-date-format", iclas_bad_date_format),
    Case("importclas-bad-extract-date", iclas_bad_extract_date),
    Case("importclas-code-map-alias", iclas_code_map_alias),
    Case("importclas-missing-children", iclas_missing_children),
    Case("report-run-name-with-newline", r_run_newline),
    Case("report-run-name-is-a-path", r_run_path),
    Case("report-window-start-in-future", r_window_future),
    Case("report-window-start-after-extract", r_window_after_extract),
    Case("report-window-start-banana", r_window_banana),
    Case("report-window-reversed", r_window_reversed),
    Case("report-out-is-a-file", r_out_is_file),
    Case("report-out-inside-data", r_out_inside_data),
    Case("report-dataset-yaml-window-banana", r_meta_banana),
    Case("report-invalid-data", r_invalid_data),
    Case("report-unknown-authority", r_unknown_authority),
    Case("report-threshold-zero", r_threshold_zero),
    Case("report-jobs-zero", r_jobs_zero),
    Case("report-missing-data", r_missing_data),
    Case("report-authority-folder-names-collide", r_slug_collision),
    Case("report-run-folder-locked", r_live_lock),
    Case("validate-child-two-dates-of-birth", v_child_two_dobs, status=0),
    Case("validate-child-two-sexes", v_child_two_sexes, status=0),
    Case("validate-dataset-yaml-is-a-list", v_dataset_yaml_list),
    Case("report-dataset-yaml-alias-bomb", r_meta_alias_bomb),
    Case("import903-two-digit-years-without-anchor", i903_two_digit_years_only),
    Case("import903-nothing-accepted", i903_nothing_accepted),
    Case("import903-columns-swapped", i903_columns_swapped),
    Case("import903-dec-decom-swapped", i903_dec_decom_swapped),
    Case("import903-missing-column", i903_missing_column),
    Case("import903-year-banana", i903_year_banana),
    Case("import903-older-years-as-1066", i903_older_years_as_banana),
    Case("import903-empty-episodes-file", i903_empty_episodes),
    Case("import903-episodes-file-is-a-workbook", i903_episodes_is_xlsx),
    Case("import903-codes-file-missing", i903_codes_missing),
    Case("import903-out-under-a-file", i903_out_under_a_file),
    Case("import903-line-of-3-mb", i903_long_line),
    Case("importclas-out-is-a-file", iclas_out_is_file),
    Case("importclas-out-under-a-file", iclas_out_under_a_file),
]


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_hostile_input_is_refused_cleanly(case, tmp_path, capsys):
    argv, expected = case.build(tmp_path)
    before = _snapshot(tmp_path)
    status = main(argv)
    out = capsys.readouterr()
    text = out.out + out.err
    assert status == case.status, text
    assert "Traceback" not in text
    for piece in expected:
        assert piece in text, (piece, text)
    assert _snapshot(tmp_path) == before  # nothing written, nothing changed


def test_table_has_at_least_forty_inputs_across_every_command():
    from pace_analysis.cli import COMMANDS

    assert len(CASES) >= 75
    for name in ("validate", "synth", "report", "import"):
        assert name in COMMANDS
        assert any(c.id.startswith(name) for c in CASES), name


def test_broken_pipe_is_quiet(tmp_path):
    import subprocess
    import sys

    folder = make_folder(tmp_path)
    proc = subprocess.run(
        f"'{sys.executable}' -m pace_analysis.cli validate '{folder}' | head -c 1",
        shell=True, capture_output=True, text=True)
    assert "Traceback" not in proc.stderr and "BrokenPipe" not in proc.stderr


@pytest.mark.parametrize("command", ["validate", "synth", "import"])
def test_full_disk_is_a_message_and_leaves_nothing(tmp_path, capsys, monkeypatch, command):
    import errno

    rows = journeys()
    rows[1]["sex"] = "F"
    folder = make_folder(tmp_path, j=rows)
    src = _copy_clas(tmp_path)
    target = tmp_path / "target"
    argv = {"validate": ["validate", str(folder), "--problems-csv", str(target / "p.csv")],
            "synth": ["synth", "--out", str(target), "--scale", "0.01", "--format", "csv"],
            "import": _clas_args(src, target)}[command]
    target.mkdir()
    before = _snapshot(tmp_path)

    def full(fd):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "fsync", full)
    status = main(argv)
    text = "".join(capsys.readouterr())
    assert status == 2 and "Traceback" not in text
    assert "no space left" in text and str(target) in text
    assert _snapshot(tmp_path) == before  # no dataset without rejects, no 0-byte temporary


@pytest.mark.parametrize("command", ["validate", "synth", "importclas", "import903", "report"])
def test_read_only_output_is_a_message_and_leaves_nothing(tmp_path, capsys, monkeypatch, command):
    # Tests run as root in CI, where chmod does not stop writes: the refusal an ordinary
    # user gets from a read-only folder is simulated at the one place every writer creates
    # its file (a temporary name beside the target, then a rename).
    import errno
    import tempfile

    rows = journeys()
    rows[1]["sex"] = "F"
    folder = make_folder(tmp_path, j=rows if command == "validate" else None)
    target = tmp_path / "target"
    argv = {"validate": ["validate", str(folder), "--problems-csv", str(target / "p.csv")],
            "synth": ["synth", "--out", str(target), "--scale", "0.01", "--format", "csv"],
            "importclas": _clas_args(_copy_clas(tmp_path), target),
            "import903": _903_args(_copy_903(tmp_path), target),
            "report": _report(folder, target)}[command]
    target.mkdir()
    before = _snapshot(tmp_path)
    real = tempfile.mkstemp

    def read_only(*args, **kw):
        where = Path(kw.get("dir") or (args[2] if len(args) > 2 else "."))
        if where.resolve().is_relative_to(target.resolve()):
            raise PermissionError(errno.EACCES, "Permission denied", str(where))
        return real(*args, **kw)

    monkeypatch.setattr(tempfile, "mkstemp", read_only)
    status = main(argv)
    text = "".join(capsys.readouterr())
    assert status == 2 and "Traceback" not in text, text
    assert "permission denied" in text.lower() and str(target) in text, text
    assert _snapshot(tmp_path) == before


def test_full_disk_during_a_report_is_a_message_and_leaves_nothing(tmp_path, capsys, monkeypatch):
    import errno

    folder = make_folder(tmp_path)
    target = tmp_path / "target"
    target.mkdir()
    before = _snapshot(tmp_path)

    def full(fd):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "fsync", full)
    status = main(_report(folder, target))
    text = "".join(capsys.readouterr())
    assert status == 2 and "Traceback" not in text, text
    assert "no space left" in text.lower() and str(target) in text, text
    assert _snapshot(tmp_path) == before
