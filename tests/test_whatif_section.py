"""The "What would change" report section: content, disclosure, small groups."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from pace_analysis.errors import PaceError
from pace_analysis.io import read_dataset
from pace_analysis.whatif.section import TABLE_COLUMNS, longest_stage, what_would_change

DATA = Path(__file__).parent.parent / "data" / "synthetic"


@pytest.fixture(scope="module")
def dataset():
    return read_dataset(DATA)


@pytest.fixture(scope="module")
def section(dataset):
    return what_would_change(dataset, "Stirling", replicates=60)


def test_the_longest_stage_is_changed(dataset, section):
    stage, median, seen = longest_stage(dataset.for_authority("Stirling"))
    assert section.stage == stage and median > 0 and seen[stage] >= 5
    assert "weeks shorter" in section.heading and f"about {median / 7:.0f} weeks" in section.heading
    assert section.result.scenario.stage == stage


def test_published_cells_are_rounded_and_hold_no_counts(section):
    t = section.table
    assert list(t.columns) == list(TABLE_COLUMNS) and len(t) == 10
    shares = t[t["Measure"].str.contains("permanent")]
    for col in ("As things are", "With the change"):
        assert shares[col].str.fullmatch(r"\d{1,3}%").all()
    weeks = t[t["Measure"].str.startswith("Child-weeks")]
    for col in ("As things are", "With the change"):
        values = weeks[col].str.replace(",", "").astype(int)
        assert (values % 10 == 0).all() and (values > 0).all()
    # nothing a spreadsheet would run as a formula
    assert not t.map(lambda v: str(v)[:1] in "+-=@").to_numpy().any()
    assert all(re.search(r"\([\d,]+ to [\d,]+\)$", v) for v in t["Difference (95% interval)"])
    text = " ".join(section.notes)
    assert "a model, not a forecast" in text.lower() and "stays as it has been" in text


def test_a_shorter_stage_shows_no_share_falling(section):
    perm = section.result.shares.query("route == 'permanence'")
    assert (perm["difference_lower"] >= 0).all()
    assert not section.table["Difference (95% interval)"].str.contains("lower").any()


def test_small_groups_are_left_out(dataset, section):
    n_care = section.result.n_in_care
    n_new = section.result.n_new
    small = what_would_change(dataset, "Stirling", threshold=min(n_care, n_new) + 1,
                              replicates=20)
    assert small.stage is not None
    assert len(small.table) == 3  # only the larger group's rows, no child-weeks
    assert not small.table["Measure"].str.startswith("Child-weeks").any()
    assert "left out" in " ".join(small.notes)
    none = what_would_change(dataset, "Stirling", threshold=100_000, replicates=20)
    assert none.table.empty and none.heading.startswith("Not shown") and none.stage is None


def test_deterministic_and_unknown_authority(dataset, section):
    again = what_would_change(dataset, "Stirling", replicates=60)
    assert again.table.equals(section.table)
    with pytest.raises(PaceError, match="no journeys"):
        what_would_change(dataset, "Atlantis")
