"""Comparator groups of similar councils (pace_analysis.comparators)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from pace_analysis import comparators, headline
from pace_analysis.authorities import AUTHORITY_NAMES
from pace_analysis.errors import PaceError


def test_default_groups_hold_every_council_once():
    groups = comparators.load_groups()
    names = [c for g in groups for c in g.councils]
    assert sorted(names) == sorted(AUTHORITY_NAMES)
    assert all(g.description for g in groups)


def test_bad_groups_file_names_file_group_and_value(tmp_path):
    bad = tmp_path / "groups.yaml"
    bad.write_text("groups:\n  - name: North\n    councils: [Glasgow Cty]\n", encoding="utf-8")
    with pytest.raises(PaceError, match=r"groups.yaml.*'North'.*'Glasgow Cty'.*Glasgow City"):
        comparators.load_groups(bad)
    twice = tmp_path / "twice.yaml"
    twice.write_text("groups:\n  - name: A\n    councils: [Fife]\n  - name: B\n"
                     "    councils: [Fife]\n", encoding="utf-8")
    with pytest.raises(PaceError, match="two groups"):
        comparators.load_groups(twice)
    with pytest.raises(PaceError, match="cannot read"):
        comparators.load_groups(tmp_path / "missing.yaml")


def _frame() -> pd.DataFrame:
    rng = np.random.default_rng(3)
    rows = []
    for k, (area, p_home) in enumerate([("Fife", 0.2), ("Angus", 0.5), ("Moray", 0.8),
                                        ("Glasgow City", 0.4)]):
        for i in range(60):
            home = rng.random() < p_home
            rows.append({"journey_id": f"{k}-{i}", "child_id": f"{k}-{i}", "authority": area,
                         "time_days": 100.0 if home else 1000.0, "entry_days": 0.0,
                         "outcome": "home" if home else "censored", "event_observed": home})
    return pd.DataFrame(rows)


def test_table_is_alphabetical_never_ranked_and_position_is_computed_from_it(tmp_path):
    path = tmp_path / "g.yaml"
    path.write_text("groups:\n  - name: Test band\n    description: three councils\n"
                    "    councils: [Moray, Fife, Angus]\n", encoding="utf-8")
    groups = comparators.load_groups(path)
    frame = _frame()
    t = comparators.comparator_table(frame, "Angus", groups, threshold=5)
    assert t["area"].tolist() == ["Angus", "Fife", "Moray", "Scotland"]  # by name
    assert "rank" not in " ".join(t.columns)
    own = t.set_index("area").loc["Angus", "share_2y"]
    assert own == pytest.approx(headline.figures(frame[frame["authority"] == "Angus"])["share_2y"])
    others = t[t["role"] == "same group"]["share_2y"]
    text = comparators.position_sentence(t, "Angus", groups[0])
    lo, hi = others.min(), others.max()
    where = "within" if lo <= own <= hi else "above" if own > hi else "below"
    assert f"range from {100 * lo:.0f}% to {100 * hi:.0f}%: Angus is {where}" in text
    assert "not ranked" in text
    lone = comparators.comparator_table(frame, "Glasgow City", groups)
    assert lone["area"].tolist() == ["Glasgow City", "Scotland"]
    assert "in no comparator group" in comparators.position_sentence(lone, "Glasgow City", None)
