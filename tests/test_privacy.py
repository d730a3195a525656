"""No child identifier or date of birth in any report; small counts suppressed.

The run scanned is the shared batch of ``test_reports.batch_run`` (hand-made data in which
one age group of Angus has three children).
"""

from __future__ import annotations

import csv
import json
import re
from pathlib import Path

import pytest

from pace_analysis.io import read_dataset
from pace_analysis.report.sections import COLUMNS

#: Headings of count columns, taken from the report Tables' roles; plus the run-wide
#: funnel table's counts (written beside the index by pace_analysis.html).
COUNT_HEADINGS = {c.label for cols in COLUMNS.values() for c in cols if c.role == "count"} | {
    "numerator", "denominator"}


def date_forms(d) -> set[str]:
    """A date as ISO, dd/mm/yyyy, d/m/yyyy, 'd Month yyyy' and 'dd Month yyyy'."""
    return {d.strftime("%Y-%m-%d"), d.strftime("%d/%m/%Y"), f"{d.day}/{d.month}/{d.year}",
            f"{d.day} {d:%B %Y}", d.strftime("%d %B %Y"), d.strftime("%d %b %Y"),
            f"{d.day} {d:%b %Y}"}


def secrets(data: Path) -> set[str]:
    ds = read_dataset(data)
    ids = set(ds.journeys["child_id"].astype(str))
    dobs = set()
    for d in ds.journeys["date_of_birth"].dropna().dt.date.unique():
        dobs |= date_forms(d)
    return ids | dobs


def leaks(text: str, tokens: set[str]) -> list[str]:
    """Tokens found in *text* as whole words (not inside a longer run of letters/digits)."""
    found = []
    for tok in tokens:
        if tok in text and re.search(rf"(?<![0-9A-Za-z]){re.escape(tok)}(?![0-9A-Za-z])", text):
            found.append(tok)
    return found


def outputs(run_dir: Path, patterns=("*.html", "*.ipynb", "*.csv", "*.json", "*.log")):
    return sorted(p for pat in patterns for p in run_dir.rglob(pat))


def test_scanner_finds_each_date_form():
    from datetime import date

    tokens = date_forms(date(2015, 3, 4))
    for text in ("born 2015-03-04.", "04/03/2015", "on 4 March 2015,", "<td>4/3/2015</td>"):
        assert leaks(text, tokens), text
    assert not leaks("2015-03-045 and 14/03/2015", tokens)


@pytest.mark.slow
def test_no_child_id_or_date_of_birth_in_any_output():
    from test_reports import batch_run

    run = batch_run()
    tokens = secrets(run["data"])
    files = outputs(run["run_dir"])
    kinds = {p.suffix for p in files}
    assert {".html", ".ipynb", ".csv", ".json"} <= kinds
    assert any(p.name == "failed.ipynb" for p in files)  # failed notebooks are scanned too
    for path in files:
        found = leaks(path.read_text(encoding="utf-8", errors="replace"), tokens)
        assert not found, f"{path} contains {found[:5]}"
    # The scan would have caught a leak: plant one child id in a copy of a report.
    html = (run["run_dir"] / "fife" / "report.html").read_text(encoding="utf-8")
    planted = sorted(t for t in tokens if t.startswith("K"))[0]
    assert leaks(html.replace("</main>", f"<p>{planted}</p></main>"), tokens) == [planted]


@pytest.mark.slow
def test_small_counts_are_suppressed_in_every_table():
    from test_reports import batch_run

    run = batch_run()
    threshold = 5
    seen_c = False
    checked = 0
    for path in run["run_dir"].rglob("*.csv"):
        with path.open(encoding="utf-8") as fh:
            for row in csv.DictReader(fh):
                for col, value in row.items():
                    if col in COUNT_HEADINGS and value not in ("", None):
                        checked += 1
                        if value == "c":
                            seen_c = True
                            continue
                        assert not 0 < float(value) < threshold, f"{path.name}: {col}={value}"
    assert checked > 0
    # Angus has three children aged 12+: that count exists and is suppressed.
    assert seen_c
    ages = (run["run_dir"] / "angus" / "median_by_age_group.csv").read_text(encoding="utf-8")
    assert re.search(r"^12\+,c,", ages, re.MULTILINE)


@pytest.mark.slow
def test_summary_and_index_show_no_small_counts():
    from test_reports import GOOD, batch_run

    run = batch_run()
    for name in GOOD:
        summary = json.loads((run["run_dir"] / name.lower() / "summary.json").read_text("utf-8"))
        for fig in summary["figures"].values():
            for key in ("children", "journeys", "permanence"):
                assert fig[key] is None or fig[key] == 0 or fig[key] >= summary["threshold"]
    index = (run["run_dir"] / "index.html").read_text(encoding="utf-8")
    cells = re.findall(r"<td>(?:<strong>)?([0-9,]+)(?:</strong>)?</td>", index)
    assert cells and all(int(c.replace(",", "")) >= 5 for c in cells)


@pytest.mark.slow
def test_an_authority_below_the_threshold_shows_no_figure_at_all():
    from test_reports import TINY, batch_run

    run = batch_run()
    folder = run["run_dir"] / "orkney-islands"
    summary = json.loads((folder / "summary.json").read_text(encoding="utf-8"))
    fig = summary["figures"]["authority"]
    assert fig["suppressed"] is True
    assert all(v is None for k, v in fig.items() if k != "suppressed")
    # Every count and every share about the authority alone is suppressed, zeros included.
    for name in ("routes_by_years", "median_by_age_group", "placement_moves", "pace_aims",
                 "stage_durations", "funnel"):
        with (folder / f"{name}.csv").open(encoding="utf-8") as fh:
            for row in csv.DictReader(fh):
                for col, value in row.items():
                    if col in COUNT_HEADINGS or col.startswith(("Share", "Median", "Average")):
                        assert value in ("c", ""), f"{name}: {col}={value}"
    with (folder / "share_by_years.csv").open(encoding="utf-8") as fh:
        rows = [r for r in csv.DictReader(fh) if r["Area"] == TINY]
    assert rows and all(r["Children"] == "c" and r["Share reached permanence"] == "c"
                        for r in rows)
    report = (folder / "report.html").read_text(encoding="utf-8")
    assert f"fewer than {summary['threshold']} journeys" in report
    index = (run["run_dir"] / "index.html").read_text(encoding="utf-8")
    row = re.search(rf"<tr><t[hd][^>]*>{TINY}</t[hd]>(.*?)</tr>", index).group(1)
    assert re.findall(r"<td>([^<]*)</td>", row)[:4] == ["c", "c", "c", "c"]
