"""Build bookkeeping of a report run: input hashes, the run lock and the manifest.

An authority's report is rebuilt only when the hash of its inputs (notebook, parameters,
data and package source; see :func:`build_key`) differs from the one recorded in its
``build.json``. ``reports/<run>/manifest.json`` records what a run did, with which
inputs and library versions. One ``pace report`` at a time may write to a run folder
(:class:`run_lock`). Every file here is written atomically (:func:`write_atomic`).

The runner that uses these is :mod:`pace_analysis.reports`.
"""

from __future__ import annotations

import hashlib
import json
import os
import platform
import time
from collections.abc import Iterable
from dataclasses import asdict
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

from pace_analysis import __version__
from pace_analysis.errors import ReportError
from pace_analysis.writing import os_message, write_text_atomic

if TYPE_CHECKING:
    from pace_analysis.reports import RunSummary

PACKAGE_DIR = Path(__file__).resolve().parent
BUILD_FILE = "build.json"
MANIFEST = "manifest.json"
#: Parameters that name places, not inputs: left out of the skip hash.
PATH_PARAMETERS = ("output_dir", "cache_dir")


# --------------------------------------------------------------------------- hashing

def _hash_files(paths: Iterable[Path], root: Path) -> str:
    h = hashlib.sha256()
    for p in sorted(paths):
        h.update(p.relative_to(root).as_posix().encode())
        h.update(b"\0")
        with p.open("rb") as fh:
            for chunk in iter(lambda: fh.read(1 << 20), b""):
                h.update(chunk)
        h.update(b"\0")
    return h.hexdigest()


def data_hash(path: Path) -> str:
    """SHA-256 over the names and bytes of every (non-hidden) file of a dataset folder."""
    path = Path(path)
    if path.is_file():
        return _hash_files([path], path.parent)
    files = [p for p in path.rglob("*") if p.is_file()
             and not any(part.startswith(".") for part in p.relative_to(path).parts)]
    return _hash_files(files, path)


@cache
def package_hash() -> str:
    """SHA-256 over the package version and its source, route sets and templates.

    Computed once per process: a long-running process (a test session, a notebook
    server) keeps one view of the package for all the runs it starts.
    """
    files = [p for p in PACKAGE_DIR.rglob("*") if p.is_file() and "__pycache__" not in p.parts
             and p.suffix in {".py", ".yaml", ".yml", ".j2", ".tpl", ".css", ".json", ".html"}]
    return hashlib.sha256((__version__ + _hash_files(files, PACKAGE_DIR)).encode()).hexdigest()


def build_key(notebook_hash: str, params: dict, data_digest: str, package_digest: str) -> str:
    """The hash that decides whether an authority must be rebuilt."""
    inputs = {k: v for k, v in params.items() if k not in PATH_PARAMETERS}
    blob = json.dumps([notebook_hash, inputs, data_digest, package_digest], sort_keys=True)
    return hashlib.sha256(blob.encode()).hexdigest()


def is_current(final: Path, key: str) -> bool:
    """True when the report folder *final* was built, complete, from inputs hashing to *key*."""
    try:
        build = json.loads((final / BUILD_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return build.get("key") == key and (final / "report.html").is_file() \
        and (final / "summary.json").is_file()


# --------------------------------------------------------------------------- atomic I/O

def write_atomic(path: Path, text: str) -> None:
    """Write text to a temporary file beside *path*, then rename it over *path*
    (:func:`pace_analysis.writing.write_text_atomic`)."""
    write_text_atomic(path, text)


# --------------------------------------------------------------------------- run lock

class run_lock:  # noqa: N801 - used as a context manager
    """One ``pace report`` at a time per run folder (a second would delete the first's
    temporary folders as leftovers).

    The lock file ``<run>/.lock`` records the host, pid and start time of the process
    holding it. A lock whose process no longer runs, or whose pid now belongs to another
    process (a different start time), is stale and taken over. A live lock is refused with
    a message naming the process and saying how to clear the lock if it is wrong.
    """

    def __init__(self, run_dir: Path):
        self.path = Path(run_dir) / ".lock"
        self.taken_over: dict | None = None

    def __enter__(self):
        from pace_analysis.cache import owner_alive, owner_record

        for _ in range(3):
            try:
                fd = os.open(self.path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
            except FileExistsError:
                fd = None
            except OSError as exc:
                raise ReportError(os_message(exc, self.path)) from None
            if fd is not None:
                with os.fdopen(fd, "w") as fh:
                    fh.write(json.dumps(owner_record()))
                return self
            owner = _read_lock(self.path)
            if owner is not None and owner_alive(owner):
                raise ReportError(
                    f"another pace report (process {owner.get('pid')} on {owner.get('host')}, "
                    f"lock {self.path}) is writing to {self.path.parent}; wait for it or use "
                    f"another --run. If no such process runs, delete the lock: rm '{self.path}'")
            self.taken_over = owner
            self.path.unlink(missing_ok=True)
        raise ReportError(f"cannot lock {self.path.parent}; delete the lock: rm '{self.path}'")

    def __exit__(self, *exc) -> None:
        self.path.unlink(missing_ok=True)


def _read_lock(path: Path) -> dict | None:
    """The owner recorded in a lock file: a dict, ``{}`` when unreadable, None when gone."""
    try:
        text = path.read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        return None
    except OSError:
        return {}
    try:
        owner = json.loads(text)
    except ValueError:
        # Locks of earlier versions held the pid alone.
        return {"pid": int(text), "host": platform.node()} if text.isdigit() else {}
    return owner if isinstance(owner, dict) else {}


# --------------------------------------------------------------------------- manifest

def versions() -> dict[str, str]:
    """Versions of Python and the libraries that shape the numbers."""
    from importlib.metadata import PackageNotFoundError, version

    out = {"python": platform.python_version(), "pace-analysis": __version__}
    for dist in ("pandas", "numpy", "scipy", "lifelines", "matplotlib", "papermill", "nbconvert"):
        try:
            out[dist] = version(dist)
        except PackageNotFoundError:
            out[dist] = "not installed"
    return out


def read_manifest(run_dir: Path) -> dict:
    """The manifest of an earlier run in *run_dir*, or ``{}`` when there is none (or it is unreadable)."""
    try:
        data = json.loads((run_dir / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    # A damaged or hand-edited manifest is never trusted: keep only well-formed parts.
    if not isinstance(data, dict):
        return {}
    if not isinstance(data.get("inputs"), dict):
        data["inputs"] = {}
    rows = data.get("authorities")
    data["authorities"] = [r for r in rows if isinstance(r, dict)
                           and isinstance(r.get("authority"), str)
                           and isinstance(r.get("slug"), str)
                           and isinstance(r.get("status"), str)] if isinstance(rows, list) else []
    return data


def write_manifest(run_dir: Path, summary: RunSummary, previous: dict, inputs: dict,
                   earlier: list[dict], parameters: dict) -> None:
    """Write ``<run_dir>/manifest.json`` for a finished run.

    Parameters
    ----------
    run_dir : Path
        The run folder.
    summary : RunSummary
        Outcome of this invocation.
    previous : dict
        The manifest before this invocation (:func:`read_manifest`); a skipped
        authority keeps the build time recorded there.
    inputs : dict
        Paths and hashes of the data, package and notebook, and what the data held.
    earlier : list of dict
        Manifest rows of authorities built by an earlier invocation into this folder.
    parameters : dict
        Run options (jobs, threshold, window, ...).
    """
    before = {r["authority"]: r for r in previous.get("authorities", [])}
    rows = []
    for r in summary.results:
        row = asdict(r)
        if r.status == "skipped" and r.authority in before:
            row["built_seconds"] = before[r.authority].get("built_seconds",
                                                           before[r.authority].get("seconds"))
        elif r.status == "built":
            row["built_seconds"] = round(r.seconds, 3)
        row["seconds"] = round(r.seconds, 3)
        rows.append(row)
    rows += [{**r, "earlier_invocation": True} for r in earlier]
    rows.sort(key=lambda r: r["authority"])
    manifest = {
        "run": run_dir.name,
        "finished": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "seconds": round(summary.seconds, 3),
        "incomplete": bool(getattr(summary, "incomplete", False)),
        "parameters": parameters,
        "versions": versions(),
        "inputs": inputs,
        "authorities": rows,
    }
    write_atomic(run_dir / MANIFEST, json.dumps(manifest, indent=1, default=str))


__all__ = [
    "BUILD_FILE", "MANIFEST", "PATH_PARAMETERS", "data_hash", "package_hash", "build_key",
    "is_current", "write_atomic", "run_lock", "versions", "read_manifest", "write_manifest",
]
