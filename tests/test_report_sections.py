"""Report sections: the Tables' roles, the audit's catalogue and a real report's tables agree."""

from __future__ import annotations

from pathlib import Path

import pytest

from pace_analysis.audit import TABLES
from pace_analysis.report.sections import COLUMNS


def test_every_count_table_is_known_to_the_audit_with_the_same_roles():
    assert set(COLUMNS) == set(TABLES)
    for name, cols in COLUMNS.items():
        spec = TABLES[name]
        assert [c.label for c in cols if c.role == "count"] == spec["counts"], name
        labels = {c.name: c.label for c in cols}
        got = {c.label: [labels[s] for s in c.sources] for c in cols if c.role == "derived"}
        assert {k: sorted(v) for k, v in got.items()} == {k: sorted(v) for k, v in spec["derived"].items()}, name
        keys = [c.label for c in cols if c.role == "label"]
        assert all(k in keys for k in spec["keys"]), name


def test_privacy_count_headings_include_the_route_and_funnel_counts():
    from test_privacy import COUNT_HEADINGS

    for heading in ("Children by 1 year", "Children by 2 years", "Children by 4 years",
                    "Children followed for 2 years", "Reached permanence within 2 years"):
        assert heading in COUNT_HEADINGS


@pytest.mark.slow
def test_tables_of_a_small_council_pass_the_audit(tmp_path):
    import json

    from pace_analysis import headline
    from pace_analysis.audit import audit_run
    from pace_analysis.report import ReportContext, sections

    folder = tmp_path / "orkney-islands"
    data = Path(__file__).resolve().parents[1] / "data" / "synthetic"
    ctx = ReportContext.build("Orkney Islands", str(data), str(folder))
    numbers = sections.headline(ctx)
    headline.write_summary(numbers, ctx.out)
    tables = sections.tables(ctx, numbers)
    for t in tables.values():
        t.save(ctx.out)
        # Each table's population is its own: the stage, aims and moves tables describe
        # the journeys that began in the window, not every journey of the council.
        assert t.population is not None
    assert tables["stage_durations"].population == len(ctx.began_in_window.journeys)
    assert tables["funnel"].population == len(ctx.local)
    result = audit_run(folder)
    assert result.ok, result.text()
    assert result.protected  # Orkney has small counts: the audit had something to check
    summary = json.loads((folder / "summary.json").read_text(encoding="utf-8"))
    assert summary["authority"] == "Orkney Islands"
