"""Messy SSDA903 files: two-digit years, DEC or REC missing, stray dates, a public test file.

Expected values are worked out by hand from the rows written in each test. The public
file (``tests/data/ssda903_public``) is a verbatim sample of the fake 903 data of DfE's return
validator, written by others (provenance in its README.md).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from pace_analysis.cli import main
from pace_analysis.importers.ssda903 import import_ssda903
from pace_analysis.importers.ssda903_read import CENTURY_SPAN
from pace_analysis.validation import validate_dataset

PUBLIC = Path(__file__).parent / "data" / "ssda903_public"
HEAD = "CHILD,SEX,DOB\n"
EPI = "CHILD,DECOM,RNE,LS,PLACE,DEC,REC\n"


def _run(tmp_path: Path, episodes: str, header: str = HEAD + "A,1,01/01/2015\nB,2,02/02/2016\n",
         name: str = "episodes_2022_23.csv", **kw):
    h = tmp_path / "header.csv"
    h.write_text(header)
    e = tmp_path / name
    e.write_text(EPI + episodes)
    return import_ssda903([h], [e], **kw)


def _errors(ds) -> list[str]:
    return [p.format() for p in validate_dataset(ds) if p.severity == "error"]


# ------------------------------------------------------------------ two-digit years

def test_two_digit_years_are_read_by_the_century_rule(tmp_path):
    # Four-digit DECOMs end in 2022, so the pivot is 2023: '22' -> 2022, '99' -> 1999.
    res = _run(tmp_path, "A,01/05/2022,S,C2,U4,01/06/22,E4A\n",
               header=HEAD + "A,1,03/03/99\n")
    j = res.dataset.journeys
    assert j.loc[0, "exit_date"] == pd.Timestamp("2022-06-01")
    assert j.loc[0, "date_of_birth"] == pd.Timestamp("1999-03-03")
    assert any("two-digit year" in n and "1 as 19yy" in n for n in res.notes)
    assert not _errors(res.dataset)


def test_two_digit_year_that_fits_no_century_is_a_named_reject(tmp_path):
    # Pivot 2023: 2045 is after it and 1945 is more than CENTURY_SPAN years before it.
    assert 2023 - 1945 > CENTURY_SPAN
    res = _run(tmp_path, "A,01/05/2022,S,C2,U4,,\nB,01/05/2022,S,C2,U4,,\n",
               header=HEAD + "A,1,01/01/45\nB,2,02/02/2016\n")
    row = res.rejects[res.rejects["rule"] == "date_century"].iloc[0]
    assert (row["file"].endswith("header.csv"), row["line"], row["column"], row["value"]) == \
        (True, 2, "DOB", "01/01/45")
    assert "four digits" in row["reason"]
    assert list(res.dataset.journeys["child_id"]) == ["B"]


def test_two_digit_years_without_any_anchor_are_refused_with_a_hint(tmp_path, capsys):
    (tmp_path / "h.csv").write_text(HEAD + "A,1,01/01/2015\n")
    (tmp_path / "e.csv").write_text(EPI + "A,01/05/22,S,C2,U4,,\n")
    out = tmp_path / "out"
    code = main(["import", "ssda903", "--header", str(tmp_path / "h.csv"),
                 "--episodes", str(tmp_path / "e.csv"), "--out", str(out)])
    err = capsys.readouterr().err
    assert code == 2 and not out.exists()
    assert "e.csv" in err and "Traceback" not in err
    # With the return year given, the same file imports.
    res = import_ssda903([tmp_path / "h.csv"], [tmp_path / "e.csv"], years=["2022/23"])
    assert res.dataset.journeys.loc[0, "looked_after_date"] == pd.Timestamp("2022-05-01")


# ------------------------------------------------------------------ DEC or REC missing

def test_rec_x1_without_dec_is_read_as_an_open_episode(tmp_path):
    res = _run(tmp_path, "A,01/05/2022,S,C2,U4,,X1\n")
    j = res.dataset.journeys
    assert pd.isna(j.loc[0, "exit_date"]) and j.loc[0, "extract_date"] == pd.Timestamp("2023-03-31")
    assert res.rejects["rule"].tolist() == ["end_incomplete"]
    assert res.counts.iloc[-1][["accepted", "rejected"]].tolist() == [1, 0]


def test_exit_rec_without_dec_censors_the_child_at_that_episodes_start(tmp_path):
    res = _run(tmp_path, "A,01/05/2022,S,C2,U4,01/07/2022,X1\n"
                         "A,01/07/2022,P,C2,K2,,E3\n"
                         "A,01/09/2022,S,C2,U4,,\n")
    j = res.dataset.journeys
    assert len(j) == 1 and pd.isna(j.loc[0, "exit_date"])
    assert j.loc[0, "extract_date"] == pd.Timestamp("2022-07-01")
    assert res.rejects.set_index("line")["rule"].to_dict() == {3: "end_incomplete", 4: "after_cut"}
    assert not _errors(res.dataset)


def test_dec_without_rec_censors_the_child_at_that_dec(tmp_path):
    res = _run(tmp_path, "B,01/05/2022,S,C2,U4,01/06/2022,\n")
    j = res.dataset.journeys
    assert pd.isna(j.loc[0, "exit_date"]) and j.loc[0, "extract_date"] == pd.Timestamp("2022-06-01")
    assert res.dataset.placements["end_date"].isna().all()
    assert not _errors(res.dataset)


# ------------------------------------------------------------------ stray dates

def test_a_few_dates_past_the_year_end_do_not_move_the_inferred_years(tmp_path):
    # 150 episodes in 2019/20, one ending in 2021/22 (under 1% of the dates): the file's
    # range stays 2019/20, that one row is rejected and every other child is imported.
    rows = [f"C{i},01/05/2019,S,C2,U4,{(i % 28) + 1:02d}/06/2019,E4A\n" for i in range(150)]
    rows.append("LATE,01/05/2019,S,C2,U4,01/06/2021,E4A\n")
    head = HEAD + "".join(f"C{i},1,01/01/2010\n" for i in range(150)) + "LATE,1,01/01/2010\n"
    res = _run(tmp_path, "".join(rows), header=head, name="episodes.csv")
    assert len(res.dataset.journeys) == 150
    late = res.rejects[res.rejects["rule"] == "outside_year"]
    assert late["line"].tolist() == [152]
    assert res.dataset.journeys["extract_date"].max() == pd.Timestamp("2020-03-31")


# ------------------------------------------------------------------ the public file

def test_public_903_test_file_imports_what_is_sound_and_explains_the_rest(tmp_path):
    res = import_ssda903([PUBLIC / "header.csv"], [PUBLIC / "episodes.csv"])
    ep = res.counts[res.counts["kind"] == "episodes"].iloc[0]
    assert ep["read"] == 1368 and ep["accepted"] > 0
    assert ep["read"] == ep["accepted"] + ep["rejected"] + ep["left_out"]
    # Every episode row not imported is explained by a row of the rejects, or is a short
    # break (LS V3/V4), which is left out by design.
    eps = pd.read_csv(PUBLIC / "episodes.csv", dtype=str)
    short = int(eps["LS"].isin(["V3", "V4"]).sum())
    explained = res.rejects.loc[~res.rejects["rule"].isin(["end_incomplete"]), "line"].nunique()
    assert ep["read"] - ep["accepted"] <= explained + short
    assert not _errors(res.dataset)
    assert "two-digit year" in " ".join(res.notes)


def test_public_903_test_file_through_the_cli_then_validate(tmp_path, capsys):
    out = tmp_path / "ds"
    assert main(["import", "ssda903", "--header", str(PUBLIC / "header.csv"),
                 "--episodes", str(PUBLIC / "episodes.csv"), "--out", str(out)]) == 0
    assert main(["validate", str(out)]) == 0
    assert (out / "rejects.csv").exists()


# ------------------------------------------------------------------ at scale (seeded builder)

def test_messy_file_at_the_public_files_scale_imports_what_is_sound(tmp_path):
    from ssda903_messy_files import write_messy_903

    h, e = write_messy_903(tmp_path / "messy")
    res = import_ssda903([h], [e])
    ep = res.counts[res.counts["kind"] == "episodes"].iloc[0]
    assert ep["read"] > 5000
    assert ep["read"] == ep["accepted"] + ep["rejected"] + ep["left_out"]
    # The builder's episodes are sound apart from its traits: most are imported.
    assert ep["accepted"] / ep["read"] > 0.8
    rules = set(res.rejects["rule"])
    assert {"end_incomplete", "code_unknown", "outside_year"} <= rules
    assert not _errors(res.dataset)


def test_a_thin_tail_of_old_episodes_is_history_not_stray(tmp_path):
    # A clean synthetic extract whose late entrants carry episodes back to the 1990s, a few
    # per year: none of them is rejected as a stray date.
    from pace_analysis.importers.ssda903_export import write_ssda903
    from pace_analysis.synthetic import generate

    files = write_ssda903(generate(seed=1, scale=0.02), tmp_path / "903", single_file=True)
    head = [f for f in files if f.name.startswith("header")]
    eps = [f for f in files if f.name.startswith("episodes")]
    years = pd.read_csv(eps[0], dtype=str)["DEC"].str[-4:].dropna().astype(int)
    assert years.min() < 2000  # the tail is there
    res = import_ssda903(head, eps)
    assert "outside_year" not in set(res.rejects["rule"])
