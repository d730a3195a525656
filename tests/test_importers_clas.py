"""Tests for the CLAS-style importer (expected values worked out by hand from the fixture)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest
import yaml

from pace_analysis.cli import main
from pace_analysis.errors import PaceError
from pace_analysis.importers.clas import import_clas, load_code_map
from pace_analysis.importers.rejects import ImportFatalError

DATA = Path(__file__).parent / "data" / "clas"
TABLES = ("children", "episodes", "placements", "legal_reasons")


def _copy(tmp_path: Path) -> dict[str, Path]:
    return {t: Path(shutil.copy(DATA / f"{t}.csv", tmp_path / f"{t}.csv")) for t in TABLES}


def _append(path: Path, text: str) -> None:
    with path.open("a", encoding="utf-8") as f:
        f.write(text)


def _import(files: dict[str, Path], **kw):
    return import_clas(files["children"], files["episodes"], files["placements"],
                       files["legal_reasons"], **kw)


def test_fixture_routes_legal_basis_and_po_with_authority_to_adopt():
    res = _import({t: DATA / f"{t}.csv" for t in TABLES})
    j = res.dataset.journeys.set_index("journey_id")
    assert res.rejects.empty
    assert res.dataset.route_set.name == "scotland"
    # E1: CSO, then PO with authority to adopt on 2020-04-15 (first legal permanence), then
    # adopted on leaving 2021-06-30: route permanence_order, exit 'other' (the contract
    # keeps 'permanence' for exits on the permanence date), planned route adoption.
    assert (j.loc["E1", "permanence_route"], j.loc["E1", "permanence_date"]) == (
        "permanence_order", pd.Timestamp("2020-04-15"))
    assert (j.loc["E1", "exit_reason"], j.loc["E1", "planned_route"]) == ("other", "adoption")
    assert j.loc["E1", "authority"] == "Glasgow City"           # from GSS code S12000049
    # E2: CSO at home, still open, never accommodated.
    assert pd.isna(j.loc["E2", "accommodated_date"]) and pd.isna(j.loc["E2", "exit_date"])
    # E3: s25, kinship care order on leaving.
    assert (j.loc["E3", "legal_basis"], j.loc["E3", "permanence_route"]) == ("s25", "kinship")
    assert j.loc["E3", "exit_reason"] == "permanence"
    # E4: home on leaving; E6: permanence order while still looked after; E7: aged out.
    assert j.loc["E4", "permanence_route"] == "home"
    assert (j.loc["E6", "permanence_route"], j.loc["E6", "permanence_date"]) == (
        "permanence_order", pd.Timestamp("2019-09-09"))
    assert pd.isna(j.loc["E6", "exit_date"])
    assert (j.loc["E7", "exit_reason"], j.loc["E7", "legal_basis"]) == ("aged_out", "other")
    # Extract date: 31 July on/after the latest date (2022-01-01).
    assert (j["extract_date"] == pd.Timestamp("2022-07-31")).all()
    assert res.dataset.meta["po_with_authority_to_adopt"] == 1
    assert len(res.dataset.placements) == 8


def test_rejects_report_file_line_column_value(tmp_path):
    f = _copy(tmp_path)
    _append(f["children"], "CH7,S12000099,2016-01-01,1\nCH8,Fife,01/02/2016,2\n")
    _append(f["episodes"], "E8,CH7,2020-01-01,,\nE9,NOBODY,2020-01-01,,\nE10,CH2,2019-01-01,2019-05-05,MOVED\n")
    _append(f["placements"], "E2,2020-02-02,,TENT\nE99,2020-01-01,,HOME\n")
    res = _import(f)
    r = res.rejects.set_index(["file", "line"])
    assert tuple(r.loc[(str(f["children"]), 8)][["column", "value", "rule"]]) == (
        "LA", "S12000099", "code_unknown")
    assert tuple(r.loc[(str(f["children"]), 9)][["column", "value", "rule"]]) == (
        "DOB", "01/02/2016", "date_format")
    assert r.loc[(str(f["episodes"]), 9), "rule"] == "child_rejected"
    assert r.loc[(str(f["episodes"]), 10), "rule"] == "not_in_children"
    assert r.loc[(str(f["episodes"]), 11), "value"] == "MOVED"
    assert r.loc[(str(f["placements"]), 10), "rule"] == "code_unknown"
    assert r.loc[(str(f["placements"]), 11), "rule"] == "episode_unknown"
    c = res.counts.set_index("kind")
    assert (c.loc["children", "read"], c.loc["children", "rejected"]) == (8, 2)
    assert (c["read"] == c["accepted"] + c["rejected"] + c["left_out"]).all()


def test_overlapping_episodes_reject_the_child(tmp_path):
    f = _copy(tmp_path)
    _append(f["episodes"], "E11,CH3,2020-12-01,2021-01-01,HOME\n")
    res = _import(f)
    assert "CH3" not in set(res.dataset.journeys["child_id"])
    rules = set(res.rejects.loc[res.rejects["file"] == str(f["episodes"]), "rule"])
    assert rules == {"overlap", "child_rejected"}
    # The child's placements and legal reasons go with it.
    assert "episode_unknown" in set(res.rejects["rule"])


def test_code_map_renames_columns_and_codes(tmp_path):
    f = _copy(tmp_path)
    cmap = yaml.safe_load((Path(__file__).parents[1] / "pace_analysis" / "importers"
                           / "clas_codes.yaml").read_text())
    cmap["children"]["columns"]["sex"] = "GENDER"
    cmap["placements"]["placement_type"]["FC"] = "foster"
    f["children"].write_text(f["children"].read_text().replace(",SEX", ",GENDER"))
    f["placements"].write_text(f["placements"].read_text().replace("FOSTER_LA", "FC"))
    path = tmp_path / "map.yaml"
    path.write_text(yaml.safe_dump(cmap))
    res = _import(f, code_map=path)
    assert res.rejects.empty
    assert (res.dataset.placements["placement_type"] == "foster").sum() == 3


def test_code_map_onto_unknown_contract_value_is_refused(tmp_path):
    cmap = yaml.safe_load((Path(__file__).parents[1] / "pace_analysis" / "importers"
                           / "clas_codes.yaml").read_text())
    cmap["placements"]["placement_type"]["X"] = "hotel"
    path = tmp_path / "map.yaml"
    path.write_text(yaml.safe_dump(cmap))
    with pytest.raises(PaceError, match="hotel"):
        load_code_map(path)


def test_missing_column_and_swapped_columns_are_fatal(tmp_path):
    f = _copy(tmp_path)
    f["episodes"].write_text(f["episodes"].read_text().replace("DESTINATION", "DEST"))
    with pytest.raises(ImportFatalError, match="missing column"):
        _import(f)
    f = _copy(tmp_path)
    text = f["placements"].read_text().replace("START_DATE", "X").replace(
        "PLACEMENT_TYPE", "START_DATE").replace("X", "PLACEMENT_TYPE")
    f["placements"].write_text(text)
    with pytest.raises(ImportFatalError, match="swapped"):
        _import(f)


def test_cli_clas_round_trip_validates(tmp_path, capsys):
    out = tmp_path / "out"
    args = ["import", "clas", "--out", str(out)]
    for t in TABLES:
        args += [f"--{t.replace('_', '-')}", str(DATA / f"{t}.csv")]
    assert main(args) == 0
    assert "rows read" in capsys.readouterr().out
    assert (out / "rejects.csv").exists()
    assert main(["validate", str(out)]) == 0
    from pace_analysis.cohort import build_frame
    from pace_analysis.io import read_dataset

    frame = build_frame(read_dataset(out))
    assert frame.set_index("journey_id").loc["E3", "outcome"] == "kinship"
