"""Table: column roles drive disclosure; the displayed table and its CSV agree."""

from __future__ import annotations

import pandas as pd
import pytest

from pace_analysis.errors import PaceError
from pace_analysis.report.table import Column, Table, count, derived, label


def stages(population=None) -> Table:
    data = pd.DataFrame({"stage": ["a", "b"], "n": [20, 9], "done": [18, 9], "open": [2, 0],
                         "weeks": [3.5, 7.25]})
    return Table("stage_durations", data, [
        label("stage", "Stage"), count("n", "Children"), count("done", "Completed"),
        count("open", "Still open"), derived("weeks", "Median weeks", ["n"], "{:.0f}"),
    ], population=population)


def test_roles_and_headings():
    t = stages()
    assert t.count_labels == ["Children", "Completed", "Still open"]
    assert [c.name for c in t.by_role("derived")] == ["weeks"]
    assert list(t.truth().columns) == ["Stage", "Children", "Completed", "Still open", "Median weeks"]


def test_primary_suppression_hides_small_counts_only():
    small = stages().primary(5)
    assert small.loc[0, "open"] and not small.loc[1, "open"]  # 2 hidden, 0 shown
    assert not small.loc[0, "n"] and not small.loc[1, "done"]


def test_tiny_population_hides_zeros_too():
    small = stages(population=3).primary(5)
    assert small.loc[1, "open"]


def test_derived_hidden_with_its_counts_and_display_shows_c(tmp_path):
    t = stages()
    t.mask = pd.DataFrame({"n": [False, True], "done": [False, False], "open": [True, False]})
    shown = t.display()
    assert shown.loc[1, "Children"] == "c" and shown.loc[1, "Median weeks"] == "c"
    assert shown.loc[0, "Still open"] == "c" and shown.loc[0, "Median weeks"] == 3.5
    path = t.save(tmp_path)
    assert path.read_text(encoding="utf-8").splitlines()[2].startswith("b,c,9,0,c")
    html = t.styler().to_html()
    assert "T_stage_durations" in html and ">4<" in html  # 3.5 formatted with "{:.0f}"


def test_bad_roles_are_refused():
    with pytest.raises(PaceError, match="role"):
        Column("x", "X", "share")
    with pytest.raises(PaceError, match="must name"):
        Column("x", "X", "derived")
    data = pd.DataFrame({"a": [1], "b": [0.5]})
    with pytest.raises(PaceError, match="non-count"):
        Table("t", data, [label("a", "A"), derived("b", "B", ["a"])])
