"""Build bookkeeping: the skip hash of an authority's inputs, the data hash, the run lock."""

from __future__ import annotations

import json

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
        assert json.loads((run_dir / ".lock").read_text())["pid"] == os.getpid()


def test_lock_records_host_pid_and_start_and_says_how_to_clear_it(tmp_path):
    import os
    import socket

    from pace_analysis.cache import process_start

    run_dir = tmp_path / "r"
    run_dir.mkdir()
    with manifest.run_lock(run_dir):
        owner = json.loads((run_dir / ".lock").read_text())
        assert owner == {"host": socket.gethostname(), "pid": os.getpid(),
                         "start": process_start(os.getpid())}
        with pytest.raises(PaceError) as exc:
            manifest.run_lock(run_dir).__enter__()
        assert f"rm '{run_dir / '.lock'}'" in str(exc.value)


def test_lock_whose_pid_now_belongs_to_another_process_is_taken_over(tmp_path):
    import os
    import socket

    run_dir = tmp_path / "r"
    run_dir.mkdir()
    # Our own pid, but a start time that is not ours: the pid was reused.
    (run_dir / ".lock").write_text(json.dumps({"host": socket.gethostname(),
                                               "pid": os.getpid(), "start": "1"}))
    lock = manifest.run_lock(run_dir)
    with lock:
        assert lock.taken_over["start"] == "1"
    # An unreadable lock is taken over too.
    (run_dir / ".lock").write_text("garbage")
    with manifest.run_lock(run_dir):
        pass


@pytest.mark.parametrize("text", ['[1, 2]', '{"inputs": 3, "authorities": {"a": 1}}',
                                  '{"authorities": [{"slug": "fife"}, 7]}', '{"inputs"'])
def test_damaged_manifest_is_never_trusted(tmp_path, text):
    (tmp_path / manifest.MANIFEST).write_text(text, encoding="utf-8")
    data = manifest.read_manifest(tmp_path)
    assert data.get("inputs", {}) == {} and data.get("authorities", []) == []


def test_a_truncated_failed_notebook_is_not_kept_as_invalid_json(tmp_path):
    from pace_analysis.reports import _keep_failed_notebook

    executed = tmp_path / "report.ipynb"
    executed.write_text('{"cells": [{"source": "x"', encoding="utf-8")
    _keep_failed_notebook(executed, tmp_path / "failed.ipynb")
    assert not (tmp_path / "failed.ipynb").exists() and not executed.exists()
    assert "not saved whole" in (tmp_path / "failed.txt").read_text(encoding="utf-8")
    executed.write_text('{"cells": []}', encoding="utf-8")
    _keep_failed_notebook(executed, tmp_path / "failed.ipynb")
    assert json.loads((tmp_path / "failed.ipynb").read_text(encoding="utf-8")) == {"cells": []}
