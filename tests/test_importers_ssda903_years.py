"""A decade of SSDA903 returns, a multi-year episodes file, and random 903 inputs.

``pace synth --format ssda903 --start 2014-04-01`` writes ten annual returns (2014/15 to
2023/24); they are imported as annual files and, written again as one multi-year file
(an authority's case-system extract), imported as that. The two imports must give the
same journeys and placements, every journey must match the synthetic one it came from,
and the dataset must validate. A property test feeds randomised 903 files to the
importer: whatever it accepts validates.
"""

from __future__ import annotations

import csv
from datetime import date, timedelta
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pace_analysis.cli import main
from pace_analysis.errors import PaceError
from pace_analysis.importers.ssda903 import import_ssda903
from pace_analysis.importers.ssda903_export import SCOTLAND_TO_ENGLAND
from pace_analysis.io import read_dataset
from pace_analysis.validation import validate_dataset

START, END = "2014-04-01", "2024-03-31"


@pytest.fixture(scope="module")
def decade(tmp_path_factory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("decade")
    common = ["--format", "ssda903", "--start", START, "--end", END, "--extract-date", END,
              "--scale", "0.02", "--seed", "5"]
    assert main(["synth", "--out", str(root / "annual"), *common]) == 0
    assert main(["synth", "--out", str(root / "multi"), "--multi-year", *common]) == 0
    assert main(["synth", "--out", str(root / "source"), "--format", "csv", "--start", START,
                 "--end", END, "--extract-date", END, "--scale", "0.02", "--seed", "5"]) == 0
    return {"root": root, "annual": root / "annual", "multi": root / "multi",
            "source": root / "source"}


def _import(capsys, files: Path, out: Path, pattern: str) -> Path:
    heads = sorted(str(p) for p in files.glob(f"header{pattern}"))
    eps = sorted(str(p) for p in files.glob(f"episodes{pattern}"))
    assert main(["import", "ssda903", "--header", *heads, "--episodes", *eps,
                 "--extract-date", END, "--out", str(out)]) == 0
    capsys.readouterr()
    return out


def test_ten_annual_returns_from_2014(decade):
    years = sorted(p.name for p in decade["annual"].glob("episodes_*.csv"))
    assert years[0] == "episodes_2014_15.csv" and years[-1] == "episodes_2023_24.csv"
    assert len(years) == 10


def test_decade_round_trip_annual_and_multi_year_agree_exactly(decade, capsys):
    a = read_dataset(_import(capsys, decade["annual"], decade["root"] / "imp_a", "_*.csv"))
    m = read_dataset(_import(capsys, decade["multi"], decade["root"] / "imp_m", ".csv"))
    assert not [w for w in a.warnings if w.severity == "error"]
    for table in ("journeys", "placements"):
        pd.testing.assert_frame_equal(getattr(a, table), getattr(m, table))
    # Every imported journey is the synthetic journey it came from.
    from pace_analysis.cohort import build_frame

    src = read_dataset(decade["source"])
    s = src.journeys
    key = s["child_id"] + "-" + s["looked_after_date"].dt.strftime("%Y%m%d")
    fs = build_frame(src, window=None).set_index("journey_id").loc[s["journey_id"]]
    fs.index = key.to_numpy()
    fe = build_frame(a, window=None).set_index("journey_id")
    assert set(fe.index) <= set(fs.index)
    # Journeys that began inside the ten years are all there; earlier ones are late entries.
    inside = key[(s["looked_after_date"] >= pd.Timestamp(START)).to_numpy()]
    assert set(inside) <= set(fe.index)
    fs = fs.loc[fe.index]
    assert (fe["time_days"] == fs["time_days"]).all()
    assert (fe["outcome"] == fs["outcome"].map(lambda o: SCOTLAND_TO_ENGLAND.get(o, o))).all()
    assert (fe["legal_basis"] == fs["legal_basis"]).all()
    rejects = pd.read_csv(decade["root"] / "imp_a" / "rejects.csv")
    assert set(rejects["rule"]) <= {"start_unknown"}


def test_older_years_use_their_own_code_list(tmp_path):
    # E45 (an SGO code from 2022/23) ending a 2016 episode is refused; E43 is accepted.
    head = tmp_path / "header.csv"
    head.write_text("CHILD,SEX,DOB\nA,1,01/01/2010\nB,2,01/01/2011\n")
    eps = tmp_path / "episodes.csv"
    eps.write_text("CHILD,DECOM,RNE,LS,PLACE,DEC,REC\n"
                   "A,01/05/2015,S,C2,U4,01/06/2016,E45\n"
                   "B,01/05/2015,S,C2,U4,01/06/2016,E43\n")
    res = import_ssda903([head], [eps], extract_date="2017-03-31")
    bad = res.rejects[res.rejects["rule"] == "code_unknown"]
    assert list(bad["column"]) == ["REC"] and list(bad["value"]) == ["E45"]
    assert "2016/17" in bad["reason"].iloc[0]
    assert list(res.dataset.journeys["permanence_route"]) == ["special_guardianship"]


# ------------------------------------------------------------------ property test

REC = ["", "X1", "E11", "E12", "E41", "E43", "E45", "E4A", "E4B", "E2", "E3", "E5", "E8", "ZZ"]
PLACE = ["U4", "U1", "A4", "K2", "P1", "Z1", "T0", "QQ"]
LS = ["C2", "V2", "E1", "L2", "V3", "XX"]
RNE = ["S", "P", "L", "T", "B", "Q"]


def _d(day: int) -> str:
    return (date(2014, 4, 1) + timedelta(days=day)).strftime("%d/%m/%Y")


episode = st.tuples(
    st.sampled_from(["A", "B", "C", "D"]),                      # CHILD
    st.integers(-400, 3600),                                     # DECOM (days from 2014-04-01)
    st.one_of(st.none(), st.integers(0, 900)),                   # length (None: open)
    st.sampled_from(RNE), st.sampled_from(LS), st.sampled_from(PLACE), st.sampled_from(REC),
    st.sampled_from(["ok", "ok", "ok", "garbage-date", "blank", "yy", "rec-no-dec"]),
)
header = st.tuples(st.sampled_from(["A", "B", "C", "D", "E"]), st.sampled_from(["1", "2", "9"]),
                   st.integers(-9000, 3000))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(header, min_size=1, max_size=6), st.lists(episode, min_size=1, max_size=25))
def test_random_903_files_import_into_data_that_validate(tmp_path_factory, heads, eps):
    folder = tmp_path_factory.mktemp("h")
    with (folder / "header.csv").open("w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["CHILD", "SEX", "DOB"])
        for child, sex, dob in heads:
            w.writerow([child, sex, _d(dob)])
    with (folder / "episodes.csv").open("w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["CHILD", "DECOM", "RNE", "LS", "PLACE", "DEC", "REC"])
        for child, start, length, rne, ls, place, rec, quirk in eps:
            dec = "" if length is None else _d(start + length)
            if quirk == "yy" and dec:  # two-digit year, as some case systems write DEC
                dec = dec[:6] + dec[8:]
            decom = {"garbage-date": "31/02/2019", "blank": ""}.get(quirk, _d(start))
            w.writerow([child, decom, rne, ls, place, "" if quirk == "rec-no-dec" else dec,
                        rec if dec else ""])
    try:
        res = import_ssda903([folder / "header.csv"], [folder / "episodes.csv"],
                             extract_date="2024-03-31")
    except PaceError:
        return  # nothing accepted: a clean, named refusal is a valid outcome
    problems = validate_dataset(res.dataset)
    assert not [p for p in problems if p.severity == "error"], [p.format() for p in problems]


def test_header_dob_in_1850_is_rejected_so_the_import_validates(tmp_path):
    head = tmp_path / "header.csv"
    head.write_text("CHILD,SEX,DOB\nA,1,01/01/1850\nB,2,01/01/2011\n")
    eps = tmp_path / "episodes.csv"
    eps.write_text("CHILD,DECOM,RNE,LS,PLACE,DEC,REC\n"
                   "A,01/05/2015,S,C2,U4,01/06/2016,E43\n"
                   "B,01/05/2015,S,C2,U4,01/06/2016,E43\n")
    res = import_ssda903([head], [eps], extract_date="2017-03-31")
    dob = res.rejects[res.rejects["rule"] == "date_range"]
    assert list(dob["column"]) == ["DOB"] and list(dob["line"]) == [2]
    assert list(res.dataset.journeys["child_id"]) == ["B"]
    assert not [p for p in validate_dataset(res.dataset) if p.severity == "error"]
