"""The parent's child-level cache: a private temporary folder removed on every exit path.

``pace report`` validates the data once and hands the kernels a cache (``dataset.pkl``,
``frame.pkl``: every child id and date of birth). That cache lives in a folder made by
:func:`tempfile.mkdtemp` (mode 0700, only this user can read it) under ``TMPDIR``, never
under ``reports/``. :class:`private_cache` removes it when the ``with`` block ends for
any reason: normally, on an exception, on Ctrl-C (``KeyboardInterrupt``) and on SIGTERM
(the command line turns SIGTERM into :class:`~pace_analysis.errors.Terminated`). Only a
``kill -9`` or a power cut can leave it behind; each folder records the process that
made it (``owner.json``: host, pid, process start time) and the next run removes every
folder whose owner no longer runs (:func:`remove_leftovers`).
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import tempfile
import time
from pathlib import Path

PREFIX = "pace-report-cache-"
OWNER = "owner.json"
#: A cache folder without an owner record is left alone until it is this old.
UNOWNED_GRACE_SECONDS = 6 * 3600


def process_start(pid: int) -> str | None:
    """Start time of process *pid* (clock ticks since boot, from ``/proc``), or None."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text(encoding="ascii", errors="replace")
        return stat.rsplit(")", 1)[1].split()[19]
    except (OSError, IndexError):
        return None


def owner_record() -> dict:
    """Host, pid and process start time of this process (what locks and caches record)."""
    return {"host": socket.gethostname(), "pid": os.getpid(), "start": process_start(os.getpid())}


def owner_alive(owner: dict) -> bool:
    """True unless *owner* (see :func:`owner_record`) surely no longer runs on this host.

    A pid that now belongs to another process (a different start time) counts as gone;
    an owner on another host counts as alive (it cannot be checked from here).
    """
    if not owner.get("host"):
        return False  # an unreadable record: nothing can be holding it
    if owner.get("host") != socket.gethostname():
        return True
    try:
        pid = int(owner.get("pid") or 0)
    except (TypeError, ValueError):
        return False
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass
    start = owner.get("start")
    return start is None or process_start(pid) in (None, start)


def remove_leftovers(root: str | os.PathLike | None = None) -> list[Path]:
    """Remove cache folders under *root* (default ``TMPDIR``) whose owner no longer runs."""
    base = Path(root or tempfile.gettempdir())
    removed = []
    try:
        candidates = [p for p in base.iterdir() if p.name.startswith(PREFIX) and p.is_dir()]
    except OSError:
        return removed
    for p in candidates:
        st = None
        try:
            st = p.stat()
            if st.st_uid != os.getuid():
                continue
            owner = json.loads((p / OWNER).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            # No owner record: a folder of an older version still running, or one caught
            # between mkdtemp and writing owner.json. Only an old one is surely abandoned.
            if st is None or time.time() - st.st_mtime < UNOWNED_GRACE_SECONDS:
                continue
            owner = {}
        if not owner_alive(owner if isinstance(owner, dict) else {}):
            shutil.rmtree(p, ignore_errors=True)
            removed.append(p)
    return removed


class private_cache:  # noqa: N801 - used as a context manager
    """A 0700 temporary folder for child-level data, removed however the block ends."""

    def __init__(self, root: str | os.PathLike | None = None):
        self.root = root
        self.path: Path | None = None

    def __enter__(self) -> Path:
        remove_leftovers(self.root)
        self.path = Path(tempfile.mkdtemp(prefix=PREFIX, dir=self.root))
        os.chmod(self.path, 0o700)
        (self.path / OWNER).write_text(json.dumps(owner_record()), encoding="utf-8")
        return self.path

    def __exit__(self, *exc) -> None:
        if self.path is not None:
            shutil.rmtree(self.path, ignore_errors=True)
            self.path = None


__all__ = ["PREFIX", "process_start", "owner_record", "owner_alive", "remove_leftovers",
           "private_cache"]
