"""Seconds per report section from papermill's cell timings."""

from __future__ import annotations

import nbformat
import pytest

from pace_analysis.report.timing import (
    BEFORE_FIRST_HEADING,
    format_run_sections,
    format_table,
    notebook_seconds,
    run_sections,
    section_seconds,
    section_table,
)


def _notebook(durations: dict) -> nbformat.NotebookNode:
    """Cells: a parameters cell, then per heading a Markdown cell and timed code cells."""
    cells = [nbformat.v4.new_code_cell("x = 1", metadata={"papermill": {"duration": 0.25}})]
    for heading, secs in durations.items():
        cells.append(nbformat.v4.new_markdown_cell(f"Intro text\n\n{heading}\n\nMore text."))
        for s in secs:
            cells.append(nbformat.v4.new_code_cell("pass", metadata={"papermill": {"duration": s}}))
    return nbformat.v4.new_notebook(cells=cells)


def test_cells_are_summed_under_the_heading_above_them():
    nb = _notebook({"# Title": [1.5], "## The headline": [2.0, 0.5], "### Sub part": [0.75]})
    secs = section_seconds(nb)
    assert secs == {BEFORE_FIRST_HEADING: 0.25, "Title": 1.5, "The headline": 2.5,
                    "Sub part": 0.75}
    assert notebook_seconds(nb) == pytest.approx(sum(secs.values()))


def test_deeper_headings_stay_in_their_section_and_untimed_cells_count_zero():
    nb = _notebook({"## A": [1.0], "#### Detail": [2.0]})
    nb.cells.append(nbformat.v4.new_code_cell("never ran", metadata={"papermill": {"duration": None}}))
    assert section_seconds(nb, max_level=3) == {BEFORE_FIRST_HEADING: 0.25, "A": 3.0}


def test_reads_an_executed_notebook_file(tmp_path):
    path = tmp_path / "report.ipynb"
    nbformat.write(_notebook({"## Only": [4.0]}), str(path))
    assert section_seconds(path)["Only"] == 4.0


def test_table_has_one_column_per_report_and_a_total():
    a = _notebook({"## One": [1.0], "## Two": [2.0]})
    b = _notebook({"## One": [0.5], "## Three": [3.0]})
    table = section_table({"A": a, "B": b})
    assert list(table.columns) == ["A", "B"]
    assert list(table.index) == [BEFORE_FIRST_HEADING, "One", "Two", "Three", "total"]
    assert table.loc["Three", "A"] == 0.0
    assert table.loc["total", "B"] == pytest.approx(notebook_seconds(b))
    text = format_table(table)
    assert text.splitlines()[0].split() == ["section", "A", "B"]
    assert len(text.splitlines()) == len(table) + 1


def test_run_sections_summarise_every_report_of_a_run(tmp_path):
    for slug, secs in {"fife": [1.0, 2.0], "moray": [3.0, 0.5]}.items():
        (tmp_path / slug).mkdir()
        nbformat.write(_notebook({"## One": [secs[0]], "## Two": [secs[1]]}),
                       str(tmp_path / slug / "report.ipynb"))
    table = run_sections(tmp_path)
    assert table.loc["One", "max"] == 3.0 and table.loc["One", "slowest"] == "moray"
    assert table.loc["Two", "mean"] == pytest.approx(1.25)
    assert table.loc["total", "min"] == pytest.approx(0.25 + 1.0 + 2.0)
    assert "moray" in format_run_sections(tmp_path)


def test_a_run_folder_without_reports_gives_an_empty_table(tmp_path):
    # bench_reports.py once pointed at a run name that did not exist: a ValueError then.
    table = run_sections(tmp_path)
    assert table.empty and list(table.columns) == ["mean", "min", "max", "slowest"]
