"""Build bookkeeping: the skip hash of an authority's inputs, the data hash, the run lock."""

from __future__ import annotations

import pytest
from test_reports import write_small

from pace_analysis import manifest
from pace_analysis.errors import PaceError


def test_build_key_ignores_paths_but_not_inputs():
    p = {"authority": "Fife", "output_dir": "/a", "cache_dir": "/b", "disclosure_threshold": 5}
    k = manifest.build_key("nb", p, "data", "pkg")
    assert k == manifest.build_key("nb", {**p, "output_dir": "/c", "cache_dir": "/d"}, "data", "pkg")
    assert k != manifest.build_key("nb", {**p, "disclosure_threshold": 10}, "data", "pkg")
    assert k != manifest.build_key("nb", p, "data2", "pkg")
    assert k != manifest.build_key("nb", p, "data", "pkg2")
    assert k != manifest.build_key("nb2", p, "data", "pkg")


def test_data_hash_changes_with_any_byte(tmp_path):
    data = write_small(tmp_path / "d")
    before = manifest.data_hash(data)
    with (data / "placements.csv").open("a", encoding="utf-8") as fh:
        fh.write("\n")
    assert manifest.data_hash(data) != before


def test_one_run_at_a_time_per_run_folder(tmp_path):
    import os

    run_dir = tmp_path / "r"
    run_dir.mkdir()
    with manifest.run_lock(run_dir):
        with pytest.raises(PaceError, match="another pace report"):
            manifest.run_lock(run_dir).__enter__()
    assert not (run_dir / ".lock").exists()
    # A lock left by a process that has gone is taken over.
    (run_dir / ".lock").write_text("999999999")
    with manifest.run_lock(run_dir):
        assert (run_dir / ".lock").read_text() == str(os.getpid())
