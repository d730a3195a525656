"""Tests for the SSDA903 importer (expected values worked out by hand from the fixture rows).

The writer and the round-trip tests are in tests/test_importers_ssda903_export.py.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from pace_analysis.cli import main
from pace_analysis.importers.rejects import ImportFatalError
from pace_analysis.importers.ssda903 import import_ssda903
from pace_analysis.importers.ssda903_read import load_codes, normalise_year

DATA = Path(__file__).parent / "data" / "ssda903"
HEAD = "CHILD,SEX,DOB,ETHNIC,UPN,MOTHER,MC_DOB\n"
EPI = "CHILD,DECOM,RNE,LS,CIN,PLACE,PLACE_PROVIDER,DEC,REC,REASON_PLACE_CHANGE,HOME_POST,PL_POST,URN\n"


def _write(path: Path, text: str, encoding: str = "utf-8") -> Path:
    path.write_bytes(text.encode(encoding))
    return path


def _run(tmp_path: Path, episodes: str, header: str | None = None, name: str = "episodes_2022_23.csv",
         **kw):
    h = _write(tmp_path / "header_2022_23.csv", header or HEAD + "A,1,01/01/2015,,,,\nB,2,02/02/2016,,,,\n")
    e = _write(tmp_path / name, episodes)
    return import_ssda903([h], [e], **kw)


def _fixture():
    return import_ssda903(
        [DATA / "header_2022_23.csv", DATA / "header_2023_24.csv"],
        [DATA / "episodes_2022_23.csv", DATA / "episodes_2023_24.csv"],
        authority="Testshire",
    )


# --------------------------------------------------------------------------- fixture


def test_fixture_periods_routes_and_placements():
    res = _fixture()
    j = res.dataset.journeys.set_index("child_id")
    assert res.dataset.route_set.name == "england"
    # C1: U4 then A4 (X1 chain), adopted E11 on 15/03/2024 (re-reported across years).
    assert j.loc["C1", "looked_after_date"] == pd.Timestamp("2022-05-10")
    assert j.loc["C1", "permanence_route"] == "adoption"
    assert j.loc["C1", "permanence_date"] == pd.Timestamp("2024-03-15")
    assert j.loc["C1", "exit_reason"] == "permanence"
    # C2: starts at home under s20 (V2 -> s25), legal change (RNE L) keeps one P1 placement,
    # kinship U1 from 01/10/2022 (first day away), SGO E45.
    assert j.loc["C2", "legal_basis"] == "s25"
    assert j.loc["C2", "accommodated_date"] == pd.Timestamp("2022-10-01")
    assert j.loc["C2", "permanence_route"] == "special_guardianship"
    # C7: E3 -> transferred, no route; C6: E4A -> home.
    assert pd.isna(j.loc["C7", "permanence_route"]) and j.loc["C7", "exit_reason"] == "transferred"
    assert j.loc["C6", "permanence_route"] == "home"
    # C4: started 01/01/2020 (RNE S) before the first year: kept, late entry, still open.
    assert pd.isna(j.loc["C4", "exit_date"])
    assert res.dataset.meta["late_entry_journeys"] == 1
    assert res.dataset.meta["observation_start"] == "2022-04-01"
    # C3 (short break only) and C5 (period began before the data, first episode missing) are out.
    assert set(j.index) == {"C1", "C2", "C4", "C6", "C7"}
    assert set(j["authority"]) == {"Testshire"}
    assert (j["extract_date"] == pd.Timestamp("2024-03-31")).all()
    p = res.dataset.placements
    assert p.groupby("journey_id").size().to_dict() == {
        "C1-20220510": 2, "C2-20220601": 2, "C4-20200101": 1, "C6-20230401": 1, "C7-20221101": 1}
    c1 = p[p["journey_id"] == "C1-20220510"].sort_values("start_date")
    assert c1["placement_type"].tolist() == ["foster", "prospective_adopters"]
    # The contract's end date is the last day: the day before the next placement starts.
    assert c1["end_date"].tolist() == [pd.Timestamp("2022-08-31"), pd.Timestamp("2024-03-15")]


def test_fixture_counts_and_start_unknown_rejects():
    res = _fixture()
    c = res.counts.set_index("file")
    e1 = c.loc[str(DATA / "episodes_2022_23.csv")]
    # 10 rows: C1 x2 (one re-reported later), C2 x3, C3 short break, C4 (re-reported),
    # C5 x2 (start unknown; one re-reported), C7.
    assert (e1["read"], e1["accepted"], e1["rejected"], e1["left_out"]) == (10, 5, 0, 5)
    assert e1["read"] == e1["accepted"] + e1["rejected"] + e1["left_out"]
    # start_unknown rows are listed for traceability but counted as left out, not errors.
    assert res.rejects["rule"].tolist() == ["start_unknown", "start_unknown"]
    assert any("short-break" in n for n in res.notes)


# --------------------------------------------------------------------------- row rejects


def test_wrong_date_format_rejected_with_file_line_column_value(tmp_path):
    res = _run(tmp_path, EPI + "A,01/05/2022,S,C2,N1,U4,PR1,,,,,,\n"
                              "B,2022-06-01,S,C2,N1,U4,PR1,,,,,,\n")
    r = res.rejects
    bad = r[r["rule"] == "date_format"].iloc[0]
    assert bad["file"].endswith("episodes_2022_23.csv")
    assert (bad["line"], bad["column"], bad["value"]) == (3, "DECOM", "2022-06-01")
    assert "dd/mm/yyyy" in bad["reason"]
    assert res.dataset.journeys["child_id"].tolist() == ["A"]


@pytest.mark.parametrize(("year", "place", "ok"), [
    ("2022/23", "K3", False), ("2024/25", "K3", True), ("2024/25", "Z11", False),
    ("2025/26", "Z11", True), ("2025/26", "H5", False), ("2025/26", "Z1", False),
    ("2023/24", "H5", True),
])
def test_code_lists_per_return_year(tmp_path, year, place, ok):
    y0 = int(year[:4])
    eps = EPI + f"A,01/05/{y0},S,C2,N1,{place},PR1,,,,,,\nB,01/05/{y0},S,C2,N1,U4,PR1,,,,,,\n"
    res = _run(tmp_path, eps, name="episodes.csv", years=[year])
    assert ("A" in set(res.dataset.journeys["child_id"])) is ok
    if not ok:
        row = res.rejects[res.rejects["rule"] == "code_unknown"].iloc[0]
        assert (row["column"], row["value"], row["line"]) == ("PLACE", place, 2)
        assert year in row["reason"]


def test_unknown_code_reason_names_the_years_it_is_valid_in(tmp_path):
    res = _run(tmp_path, EPI + "A,01/05/2022,S,C2,N1,K3,PR1,,,,,,\nB,01/05/2022,S,C2,N1,U4,PR1,,,,,,\n")
    reason = res.rejects.loc[res.rejects["rule"] == "code_unknown", "reason"].iloc[0]
    assert "2024/25" in reason and "2025/26" in reason


def test_overlapping_episodes_reject_the_child(tmp_path):
    res = _run(tmp_path, EPI
               + "A,01/05/2022,S,C2,N1,U4,PR1,01/08/2022,E8,,,,\n"
               + "A,01/07/2022,S,C2,N1,U4,PR1,,,,,,\n"
               + "B,01/05/2022,S,C2,N1,U4,PR1,,,,,,\n")
    r = res.rejects.set_index("line")
    assert r.loc[3, "rule"] == "overlap" and r.loc[3, "column"] == "DECOM"
    assert r.loc[2, "rule"] == "child_rejected"
    assert res.dataset.journeys["child_id"].tolist() == ["B"]


def test_open_episode_followed_by_another(tmp_path):
    res = _run(tmp_path, EPI
               + "A,01/05/2022,S,C2,N1,U4,PR1,,,,,,\n"
               + "A,01/09/2022,S,C2,N1,U4,PR1,,,,,,\n"
               + "B,01/05/2022,S,C2,N1,U4,PR1,,,,,,\n")
    r = res.rejects.set_index("line")
    assert r.loc[2, "rule"] == "open_then_another"
    assert "01/09/2022" in r.loc[2, "reason"]
    assert "A" not in set(res.dataset.journeys["child_id"])


def test_x1_without_a_next_episode_the_same_day(tmp_path):
    res = _run(tmp_path, EPI
               + "A,01/05/2022,S,C2,N1,U4,PR1,01/06/2022,X1,,,,\n"
               + "A,05/06/2022,P,C2,N1,U4,PR1,,,,,,\n"
               + "B,01/05/2022,S,C2,N1,U4,PR1,,,,,,\n")
    assert res.rejects.set_index("line").loc[2, "rule"] == "chain_broken"
    assert res.dataset.journeys["child_id"].tolist() == ["B"]


def test_child_in_episodes_missing_from_header(tmp_path):
    res = _run(tmp_path, EPI + "A,01/05/2022,S,C2,N1,U4,PR1,,,,,,\nZZ9,01/05/2022,S,C2,N1,U4,PR1,,,,,,\n")
    row = res.rejects.iloc[0]
    assert (row["rule"], row["column"], row["value"], row["line"]) == ("not_in_header", "CHILD", "ZZ9", 3)


def test_dec_without_rec_and_dec_before_decom(tmp_path):
    res = _run(tmp_path, EPI
               + "A,01/05/2022,S,C2,N1,U4,PR1,01/06/2022,,,,,\n"
               + "B,01/05/2022,S,C2,N1,U4,PR1,01/04/2022,E8,,,,\n"
               + "B,01/06/2022,S,C2,N1,U4,PR1,,,,,,\n")
    rules = res.rejects.groupby("line")["rule"].apply(set).to_dict()
    # DEC without REC: kept, open, censored at its DEC (tests/test_importers_ssda903_messy.py).
    assert rules[2] == {"end_incomplete"}
    assert "end_before_start" in rules[3]


def test_short_breaks_left_out_not_rejected(tmp_path):
    res = _run(tmp_path, EPI + "A,01/05/2022,S,V3,N1,U4,PR1,03/05/2022,E8,,,,\n"
                               "B,01/05/2022,S,V2,N1,U4,PR1,,,,,,\n")
    assert res.rejects.empty
    assert res.dataset.journeys["child_id"].tolist() == ["B"]
    assert res.counts.iloc[-1]["left_out"] == 1


def test_same_episode_in_two_returns_kept_once_latest_version(tmp_path):
    h = _write(tmp_path / "h.csv", HEAD + "A,1,01/01/2015,,,,\n")
    e1 = _write(tmp_path / "e1.csv", EPI + "A,01/05/2022,S,C2,N1,U4,PR1,,,,,,\n")
    e2 = _write(tmp_path / "e2.csv", EPI + "A,01/05/2022,S,C2,N1,U4,PR1,01/06/2023,E4A,,,,\n")
    res = import_ssda903([h], [e1, e2], years=["2022/23", "2023/24"])
    j = res.dataset.journeys
    assert len(j) == 1 and j.loc[0, "permanence_date"] == pd.Timestamp("2023-06-01")
    assert res.counts["left_out"].tolist() == [0, 1, 0]


def test_open_episode_missing_from_the_next_return_is_rejected(tmp_path):
    h = _write(tmp_path / "h.csv", HEAD + "A,1,01/01/2015,,,,\nB,1,01/01/2015,,,,\n")
    e1 = _write(tmp_path / "e1.csv", EPI + "A,01/05/2022,S,C2,N1,U4,PR1,,,,,,\n")
    e2 = _write(tmp_path / "e2.csv", EPI + "B,01/05/2023,S,C2,N1,U4,PR1,,,,,,\n")
    res = import_ssda903([h], [e1, e2], years=["2022/23", "2023/24"])
    assert res.rejects["rule"].tolist() == ["not_rereported"]
    assert res.dataset.journeys["child_id"].tolist() == ["B"]


def test_year_inferred_from_name_or_dates_and_normalised():
    assert normalise_year("2024-25") == "2024/25" == normalise_year("202425")
    with pytest.raises(Exception, match="not a return year"):
        normalise_year("2024/26")
    codes = load_codes()
    assert "K3" in codes.years["2024/25"]["PLACE"] and "K3" not in codes.years["2023/24"]["PLACE"]
    assert {"Z11", "Z14"} <= codes.years["2025/26"]["PLACE"]


def test_year_inferred_from_latest_date(tmp_path):
    res = _run(tmp_path, EPI + "A,01/05/2024,S,C2,N1,K3,PR1,,,,,,\n", name="eps.csv")
    assert res.dataset.meta["return_years"] == ["2024/25"]
    assert len(res.dataset.journeys) == 1


# --------------------------------------------------------------------------- file problems


GOOD = EPI + "A,01/05/2022,S,C2,N1,U4,PR1,01/08/2022,E4A,,,,\nB,03/06/2022,S,V2,N1,K2,PR1,,,,,,\n"


def _summary(res):
    j = res.dataset.journeys
    return j[["child_id", "looked_after_date", "permanence_route", "exit_date"]].to_dict("list")


def test_columns_in_another_order_are_fine(tmp_path):
    df = pd.read_csv(pd.io.common.StringIO(GOOD), dtype=str, keep_default_na=False)
    text = df[df.columns[::-1]].to_csv(index=False)
    ref = _summary(_run(tmp_path, GOOD))
    assert _summary(_run(tmp_path, text)) == ref


def test_decom_and_dec_headers_swapped_is_fatal(tmp_path):
    text = EPI.replace("DECOM", "TMP").replace(",DEC,", ",DECOM,").replace("TMP", "DEC") + (
        "A,01/05/2022,S,C2,N1,U4,PR1,01/08/2022,E4A,,,,\n"
        "B,02/06/2022,S,C2,N1,U4,PR1,01/09/2022,E4A,,,,\n" * 3)
    with pytest.raises(ImportFatalError, match="swapped"):
        _run(tmp_path, text)


def test_date_column_full_of_codes_is_fatal(tmp_path):
    text = EPI.replace("DECOM", "X").replace("PLACE,", "DECOM,", 1).replace("X,", "PLACE,", 1) + (
        "A,01/05/2022,S,C2,N1,U4,PR1,,,,,,\n" * 3)
    with pytest.raises(ImportFatalError, match="DECOM.*swapped"):
        _run(tmp_path, text)


def test_missing_column_is_fatal(tmp_path):
    with pytest.raises(ImportFatalError, match="missing column.*PLACE"):
        _run(tmp_path, GOOD.replace("PLACE,", "PLACEMENT,", 1))


def test_byte_order_mark(tmp_path):
    ref = _summary(_run(tmp_path, GOOD))
    res = _run(tmp_path, "\ufeff" + GOOD)
    assert _summary(res) == ref
    assert any("byte-order mark" in n for n in res.notes)


def test_excel_export_cp1252_semicolons_trailing_columns_serial_dates(tmp_path):
    ref = _summary(_run(tmp_path, GOOD))
    # What a European Excel "CSV" gives: ';', Windows-1252 bytes (é), empty trailing
    # columns and a date cell formatted as a number (44682 = 01/05/2022, 44774 = 01/08/2022).
    head = HEAD.rstrip("\n").replace(",", ";") + ";;\nA;1;01/01/2015;Gé;;;;;\nB;2;02/02/2016;;;;;;\n"
    eps = EPI.rstrip("\n").replace(",", ";") + ";;\n" + (
        "A;44682;S;C2;N1;U4;PR1;44774;E4A;Café;;;;;\nB;03/06/2022;S;V2;N1;K2;PR1;;;;;;;;\n")
    h = _write(tmp_path / "h.csv", head, "cp1252")
    e = _write(tmp_path / "e_2022_23.csv", eps, "cp1252")
    res = import_ssda903([h], [e])
    assert _summary(res) == ref
    notes = " ".join(res.notes)
    assert "Windows-1252" in notes and "';'" in notes and "serial" in notes


def test_excel_workbook_is_fatal_with_advice(tmp_path):
    h = _write(tmp_path / "h.csv", HEAD + "A,1,01/01/2015,,,,\n")
    e = tmp_path / "e.csv"
    e.write_bytes(b"PK\x03\x04" + b"\0" * 100)
    with pytest.raises(ImportFatalError, match="Excel workbook"):
        import_ssda903([h], [e])


def test_nothing_accepted_is_fatal(tmp_path):
    with pytest.raises(ImportFatalError, match="no episode was accepted"):
        _run(tmp_path, EPI + "ZZ,01/05/2022,S,C2,N1,U4,PR1,,,,,,\n")


# --------------------------------------------------------------------------- command line


def test_cli_writes_dataset_and_rejects_and_prints_counts(tmp_path, capsys):
    out = tmp_path / "out"
    rc = main(["import", "ssda903", "--header", str(DATA / "header_2022_23.csv"),
               str(DATA / "header_2023_24.csv"), "--episodes", str(DATA / "episodes_2022_23.csv"),
               str(DATA / "episodes_2023_24.csv"), "--out", str(out)])
    assert rc == 0
    text = capsys.readouterr().out
    assert "rows read" in text and "accepted" in text and "rejected" in text
    rej = pd.read_csv(out / "rejects.csv")
    assert list(rej.columns) == ["file", "line", "column", "value", "rule", "reason"]
    assert len(rej) == 2
    assert main(["validate", str(out)]) == 0


def test_cli_fatal_exits_2_and_writes_nothing(tmp_path, capsys):
    h = _write(tmp_path / "h.csv", HEAD + "A,1,01/01/2015,,,,\n")
    e = _write(tmp_path / "e.csv", GOOD.replace("REC", "RECX", 1))
    out = tmp_path / "out"
    rc = main(["import", "ssda903", "--header", str(h), "--episodes", str(e), "--out", str(out)])
    assert rc == 2
    assert "missing column" in capsys.readouterr().err
    assert not out.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["e.csv", "h.csv"]


def test_blank_lines_keep_line_numbers(tmp_path):
    res = _run(tmp_path, EPI + "A,01/05/2022,S,C2,N1,U4,PR1,,,,,,\n\n,,,,,,,,,,,,\n"
                               "B,2022-06-01,S,C2,N1,U4,PR1,,,,,,\n")
    row = res.rejects.iloc[0]
    assert (row["line"], row["value"]) == (5, "2022-06-01")
    assert any("blank line" in n for n in res.notes)


def test_stray_spaces_around_codes_and_dates_are_trimmed(tmp_path):
    res = _run(tmp_path, EPI + "A, 01/05/2022 ,S , C2,N1,U4 ,PR1,,,,,,\n")
    j = res.dataset.journeys
    assert res.rejects.empty
    assert (j.loc[0, "looked_after_date"], j.loc[0, "legal_basis"]) == (pd.Timestamp("2022-05-01"), "cso")
