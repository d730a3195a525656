"""Ctrl-C and SIGTERM during a real batch of three authority reports.

Each test builds one report, then starts a forced rebuild of three authorities in a
subprocess (one kernel at a time), and signals it while the first one is being rebuilt.
The previous report must be whole (same bytes), no temporary or child-level file may be
left under TMPDIR or in the run folder, the index and manifest must say the run is
incomplete, and a re-run must finish the batch.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from pace_analysis.io import write_dataset
from pace_analysis.synthetic import generate

AUTHORITIES = ["Glasgow City", "Fife", "North Lanarkshire"]


@pytest.fixture(scope="module")
def data(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("signals") / "data"
    write_dataset(generate(seed=7, scale=0.03), folder, "csv")
    return folder


def _pace(args, env, **kw):
    return subprocess.Popen([sys.executable, "-m", "pace_analysis.cli", *args], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **kw)


def _report_args(data: Path, out: Path, *extra: str) -> list[str]:
    args = ["report", "--data", str(data), "--out", str(out), "--no-progress", "--jobs", "1"]
    for a in AUTHORITIES:
        args += ["--authority", a]
    return [*args, *extra]


def _children_of(pid: int) -> list[int]:
    """Processes whose parent is *pid* (from /proc)."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            ppid = int(stat.read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        if ppid == pid:
            found.append(int(stat.parent.name))
    return found


def _child_level_files(tmpdir: Path) -> list[Path]:
    return [p for p in tmpdir.rglob("*") if p.name.startswith("pace-report-cache-")
            or p.suffix == ".pkl"]


@pytest.mark.parametrize("sig,status", [(signal.SIGINT, 130), (signal.SIGTERM, 143)],
                         ids=["SIGINT", "SIGTERM"])
def test_signal_during_batch_keeps_previous_outputs_and_leaves_no_temporary_files(
        data, tmp_path, sig, status):
    tmpdir = tmp_path / "tmp"
    tmpdir.mkdir()
    env = {**os.environ, "TMPDIR": str(tmpdir), "MPLBACKEND": "Agg"}
    out = tmp_path / "reports"
    first = _pace(["report", "--data", str(data), "--out", str(out), "--no-progress",
                   "--authority", AUTHORITIES[0]], env)
    assert first.wait() == 0, first.stderr.read()
    run = out / "latest"
    slug = "glasgow-city"
    before = {p.name: p.read_bytes() for p in (run / slug).iterdir() if p.is_file()}
    assert "report.html" in before

    proc = _pace(_report_args(data, out, "--force"), env)
    # Wait until the rebuild of the first authority is under way, then signal.
    while not list(run.glob(f".{slug}.tmp-*/run.log")):
        assert proc.poll() is None, proc.stderr.read()
        time.sleep(0.2)
    time.sleep(1.0)
    proc.send_signal(sig)
    code = proc.wait()
    err = proc.stderr.read()
    assert code == status, err
    assert "Traceback" not in err

    after = {p.name: p.read_bytes() for p in (run / slug).iterdir() if p.is_file()}
    assert after == before  # the previous report is whole
    assert _child_level_files(tmpdir) == []
    assert [p.name for p in run.iterdir() if ".tmp-" in p.name or ".old-" in p.name] == []
    assert not (run / ".lock").exists()
    manifest = json.loads((run / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["incomplete"] is True
    statuses = {r["authority"]: r["status"] for r in manifest["authorities"]}
    assert statuses["North Lanarkshire"] == "interrupted"
    assert "Incomplete run" in (run / "index.html").read_text(encoding="utf-8")
    # Kernels were shut down: no process is left whose parent was the interrupted run.
    assert _children_of(proc.pid) == []

    again = _pace(_report_args(data, out), env)
    assert again.wait() == 0, again.stderr.read()
    manifest = json.loads((run / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["incomplete"] is False
    assert {r["authority"] for r in manifest["authorities"]
            if r["status"] in ("built", "skipped")} >= set(AUTHORITIES)
    assert all((run / s / "report.html").is_file()
               for s in ("glasgow-city", "fife", "north-lanarkshire"))
    assert _child_level_files(tmpdir) == []
    # No output names a folder of this machine (data, cache, package, interpreter).
    machine = [str(tmp_path), str(data), str(Path(__file__).resolve().parents[1]), sys.prefix]
    for f in run.rglob("*"):
        if f.is_file() and f.suffix in {".ipynb", ".html", ".log", ".json", ".csv"}:
            text = f.read_text(encoding="utf-8", errors="replace")
            assert not [m for m in machine if m in text], f


def test_next_run_removes_a_cache_left_by_a_killed_run(tmp_path):
    from pace_analysis.cache import OWNER, PREFIX, private_cache

    dead = tmp_path / f"{PREFIX}dead"
    dead.mkdir()
    (dead / "dataset.pkl").write_bytes(b"child-level")
    # pid 1's start time is never "0": the record names a process that no longer runs.
    (dead / OWNER).write_text(json.dumps({"host": os.uname().nodename, "pid": 1,
                                          "start": "0"}), encoding="utf-8")
    with private_cache(tmp_path) as cache:
        assert (cache.stat().st_mode & 0o777) == 0o700
        assert not dead.exists()
    assert not cache.exists()


def test_a_fresh_cache_without_owner_record_is_left_alone_an_old_one_removed(tmp_path):
    from pace_analysis.cache import PREFIX, UNOWNED_GRACE_SECONDS, remove_leftovers

    fresh, old = tmp_path / f"{PREFIX}fresh", tmp_path / f"{PREFIX}old"
    for folder in (fresh, old):
        folder.mkdir()
        (folder / "dataset.pkl").write_bytes(b"child-level")
    then = time.time() - UNOWNED_GRACE_SECONDS - 60
    os.utime(old, (then, then))
    assert remove_leftovers(tmp_path) == [old]
    assert fresh.exists() and not old.exists()


def test_cache_is_removed_when_the_block_raises(tmp_path):
    from pace_analysis.cache import private_cache

    with pytest.raises(KeyboardInterrupt):
        with private_cache(tmp_path) as cache:
            (cache / "frame.pkl").write_bytes(b"x")
            raise KeyboardInterrupt
    assert list(tmp_path.iterdir()) == []
