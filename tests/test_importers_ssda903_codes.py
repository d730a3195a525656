"""The bundled SSDA903 code lists against an independent reference (liiatools' schemas).

``tests/data/ssda903_liiatools/extract.yaml`` holds the Episodes code lists of liiatools
0.1.5.2 (Social Finance Digital Labs, MIT), extracted by the script beside it; every return
year it covers must be equal in ``ssda903_codes.yaml``. Years it does not cover are marked
as assumptions in the YAML.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

import pytest
import yaml

from pace_analysis.importers.ssda903_read import CODED, load_codes

REFERENCE = Path(__file__).parent / "data" / "ssda903_liiatools" / "extract.yaml"
REF = yaml.safe_load(REFERENCE.read_text())["years"]
CODES = load_codes()


@pytest.mark.parametrize("year", sorted(REF))
@pytest.mark.parametrize("column", CODED)
def test_code_list_equals_the_liiatools_reference(year, column):
    assert CODES.years[year][column] == frozenset(REF[year][column])


def test_reference_covers_2016_17_to_2023_24_and_the_rest_are_marked_assumptions():
    assert sorted(REF) == [f"{y}/{(y + 1) % 100:02d}" for y in range(2016, 2024)]
    text = resources.files("pace_analysis.importers").joinpath("ssda903_codes.yaml").read_text()
    lines = {ln.split(":")[0].strip().strip('"'): ln for ln in text.splitlines()
             if ln.startswith('  "20')}
    uncovered = sorted(set(CODES.years) - set(REF))
    assert uncovered == ["2014/15", "2015/16", "2024/25", "2025/26"]
    assert all("ASSUMPTION" in lines[y] for y in uncovered)


def test_sgo_codes_change_in_2018_19_as_in_the_reference():
    assert {"E43", "E44"} <= CODES.years["2017/18"]["REC"]
    assert not {"E45", "E46", "E47", "E48"} & CODES.years["2017/18"]["REC"]
    assert {"E45", "E46", "E47", "E48"} <= CODES.years["2018/19"]["REC"]
    assert not {"E43", "E44"} & CODES.years["2018/19"]["REC"]
