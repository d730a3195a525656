"""End to end on England's shape: synthetic data → SSDA903 returns → import → report.

Issue 6 asks that validation, the analyses and the authority reports run unchanged on
imported data; this runs the real report notebook once on an imported extract.
"""

from __future__ import annotations

import json

import pytest

from pace_analysis import cli, reports
from pace_analysis.cohort import build_frame
from pace_analysis.io import read_dataset
from pace_analysis.survival import median_time

pytestmark = pytest.mark.slow


def test_report_runs_unchanged_on_an_imported_ssda903_extract(tmp_path):
    returns, data = tmp_path / "903", tmp_path / "imported"
    assert cli.main(["synth", "--out", str(returns), "--seed", "3", "--scale", "0.02",
                     "--format", "ssda903"]) == 0
    assert cli.main(["import", "ssda903",
                     "--header", *sorted(str(p) for p in returns.glob("header_*.csv")),
                     "--episodes", *sorted(str(p) for p in returns.glob("episodes_*.csv")),
                     "--out", str(data), "--older-years-as", "2014/15",
                     "--extract-date", "2024-07-31"]) == 0
    dataset = read_dataset(data)
    assert dataset.route_set.name == "england"
    (authority,) = dataset.authorities

    summary = reports.run_reports([authority], data, run="eng", out=tmp_path / "reports",
                                  jobs=1, progress=False)
    assert summary.exit_code == 0, [(r.authority, r.error) for r in summary.failed]
    folder = summary.run_dir / summary.results[0].slug
    page = (folder / "report.html").read_text(encoding="utf-8")
    # England's route labels come from the route set, not from code.
    assert "Special guardianship order" in page and "Permanence order" not in page
    # The headline in summary.json is the library's own result on the same frame, and
    # the comparison is with "all areas in the data", not Scotland.
    numbers = json.loads((folder / "summary.json").read_text(encoding="utf-8"))
    assert numbers["national"] != "Scotland"
    local = numbers["figures"]["authority"]
    frame = build_frame(dataset)
    median = median_time(frame[frame["authority"] == authority]).iloc[0]
    assert local["journeys"] == len(frame[frame["authority"] == authority])
    assert local["median_days"] == pytest.approx(median["median_days"], abs=1e-9)
    assert local["median_lower"] == pytest.approx(median["ci_lower"], abs=1e-9)
