"""``pace evaluate``: tables, figure and the synthetic truth from the command line."""

from __future__ import annotations

import pandas as pd
import pytest
import yaml

from pace_analysis import cli


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    out = tmp_path_factory.mktemp("evaluate") / "data"
    assert cli.main(["synth", "--out", str(out), "--scale", "0.2", "--seed", "9"]) == 0
    return out


def test_writes_tables_and_figure_with_the_truth(data, tmp_path, capsys):
    status = cli.main(["evaluate", str(data), "--measure", "recommendation_within_26_weeks",
                       "--n-boot", "199", "--truth", "--permutations", "19",
                       "--out", str(tmp_path),
                       "--figure", str(tmp_path / "es.png")])
    assert status == 0
    text = capsys.readouterr().out
    assert "Share with a permanence recommendation within 26 weeks" in text
    assert "true effect" in text and "(19 permutations)" in text
    ev = pd.read_csv(tmp_path / "event_study.csv")
    assert set(ev["e"]) == set(range(-5, 6)) and ev["truth"].notna().all()
    ov = pd.read_csv(tmp_path / "overall.csv")
    assert len(ov) == 1 and ov["ci_low"].iloc[0] < ov["estimate"].iloc[0] < ov["ci_high"].iloc[0]
    assert 1 / 20 <= ov["randomisation_p"].iloc[0] <= 1
    assert (tmp_path / "es.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_truth_needs_the_generated_data(data, tmp_path, capsys):
    meta = yaml.safe_load((data / "dataset.yaml").read_text())
    edited = tmp_path / "edited"
    edited.mkdir()
    for f in data.iterdir():
        (edited / f.name).write_bytes(f.read_bytes())
    meta["source"] = "real extract"
    (edited / "dataset.yaml").write_text(yaml.safe_dump(meta))
    status = cli.main(["evaluate", str(edited), "--measure", "permanence_within_2_years",
                       "--n-boot", "199", "--truth"])
    assert status == 2
    assert "--truth needs a synthetic dataset" in capsys.readouterr().err


def test_rejects_too_few_replicates(data, capsys):
    assert cli.main(["evaluate", str(data), "--n-boot", "10"]) == 2
    assert "--n-boot must be at least 99" in capsys.readouterr().err
