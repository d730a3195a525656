"""``pace whatif``: output, CSV files, and exit status 2 with one message for bad input."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from pace_analysis.cli import main

DATA = str(Path(__file__).parent.parent / "data" / "synthetic")


def test_prints_the_tables_and_writes_csv(tmp_path, capsys):
    status = main(["whatif", DATA, "--authority", "Orkney Islands", "--stage", "accommodated",
                   "--weeks", "6", "--replicates", "30", "--csv", str(tmp_path)])
    out = capsys.readouterr().out
    assert status == 0
    assert "Share reaching legal permanence" in out and "Child-weeks of waiting" in out
    assert "6 weeks shorter" in out
    with open(tmp_path / "whatif_shares.csv", newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert {r["population"] for r in rows} == {"in_care", "new"}
    assert all(float(r["difference"]) >= 0 for r in rows if r["route"] == "permanence")
    assert (tmp_path / "whatif_waiting.csv").is_file()


@pytest.mark.parametrize("extra, message", [
    (["--authority", "Atlantis", "--stage", "panel"], "unknown authority 'Atlantis'"),
    (["--authority", "Moray", "--stage", "lobby"], "unknown stage 'lobby'"),
    (["--authority", "Moray", "--stage", "panel", "--weeks", "-2"], "weeks must be"),
    (["--authority", "Moray", "--stage", "panel", "--hazard-ratio", "0"], "hazard ratio"),
    (["--authority", "Moray", "--stage", "panel", "--replicates", "0"], "replicates"),
    (["--authority", "Moray", "--stage", "panel", "--from", "2001-01-01"], "on or after"),
    (["--authority", "Moray", "--stage", "panel", "--from", "next week"], "not a date"),
    (["--authority", "Moray", "--stage", "panel", "--weeks", "six"], "invalid float"),
])
def test_bad_input_exits_2_with_one_message(capsys, extra, message):
    status = main(["whatif", DATA, *extra, "--replicates", "5"] if "--replicates" not in extra
                  else ["whatif", DATA, *extra])
    err = capsys.readouterr().err
    assert status == 2
    assert message in err and "Traceback" not in err


def test_missing_data_folder_exits_2(tmp_path, capsys):
    status = main(["whatif", str(tmp_path / "nowhere"), "--authority", "Moray", "--stage", "panel"])
    assert status == 2 and "nowhere" in capsys.readouterr().err


def test_listed_in_the_usage(capsys):
    main([])
    assert "whatif" in capsys.readouterr().out
