"""Writing outputs safely: atomic files, never over an input, room checked first.

Every file pace-analysis writes goes through :func:`write_bytes_atomic` (or the text
form): the bytes go to a temporary file beside the target, are flushed to disk, and the
temporary file is renamed over the target in one step. An error (a full or read-only
disk) leaves the previous file whole and removes the temporary file, and is reported as
a :class:`~pace_analysis.errors.PaceError` naming the file. :func:`refuse_inputs` stops a
command before it writes into a folder holding its inputs or over an input file, and
:func:`check_writable` checks, before a long run, that the output folder can be written
and has room.
"""

from __future__ import annotations

import errno
import os
import shutil
import tempfile
from collections.abc import Iterable
from pathlib import Path

from pace_analysis.errors import PaceError

#: Free space (bytes) a long run wants in its output folder at least.
MIN_FREE_BYTES = 50 * 1024 * 1024


def os_message(exc: OSError, what: str | os.PathLike | None = None) -> str:
    """Plain text for an OS error, naming the file it concerns."""
    name = what if what is not None else exc.filename
    reason = exc.strerror or str(exc) or type(exc).__name__
    if exc.errno == errno.ENOSPC:
        reason = "no space left on the device"
    elif exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        reason = f"{reason} (check the folder can be written)"
    return f"cannot write {name}: {reason}" if name is not None else reason


def write_bytes_atomic(path: str | os.PathLike, data: bytes, mode: int | None = None) -> Path:
    """Write *data* to *path* atomically (temporary sibling, fsync, rename).

    Raises
    ------
    PaceError
        The file cannot be written (the previous file, if any, is unchanged).
    """
    path = Path(path)
    tmp = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        if mode is None:
            umask = os.umask(0)
            os.umask(umask)
            mode = 0o666 & ~umask
        os.chmod(tmp, mode)
        os.replace(tmp, path)
        tmp = None
    except OSError as exc:
        raise PaceError(os_message(exc, path)) from None
    finally:
        if tmp is not None:
            Path(tmp).unlink(missing_ok=True)
    return path


def write_text_atomic(path: str | os.PathLike, text: str) -> Path:
    """:func:`write_bytes_atomic` of UTF-8 *text*."""
    return write_bytes_atomic(path, text.encode("utf-8"))


def _inside(child: Path, parent: Path) -> bool:
    return child == parent or parent in child.parents


def refuse_inputs(out: str | os.PathLike, inputs: Iterable[str | os.PathLike],
                  what: str = "--out") -> None:
    """Refuse an output folder that holds, or is, an input (file or folder).

    Raises
    ------
    PaceError
        When *out* is an input file, the folder holding an input file, a folder holding
        an input, or (for an input that is a folder) any folder inside it.
    """
    o = Path(out).resolve()
    for i in inputs:
        p = Path(i).resolve()
        if o == p and not p.is_dir():
            raise PaceError(f"{what} {out} is an input file; choose a new folder")
        if p.is_dir():
            # An input folder (a dataset): nothing may be written in or around it.
            if _inside(o, p) or _inside(p, o):
                raise PaceError(f"{what} {out} would write into the folder holding the input "
                                f"{i}; choose a folder of its own for the output")
        elif o == p.parent or _inside(p, o):
            raise PaceError(f"{what} {out} would write into the folder holding the input {i}; "
                            "choose a folder of its own for the output")


def check_writable(folder: str | os.PathLike, need: int = MIN_FREE_BYTES,
                   what: str = "output folder") -> Path:
    """Check before a long run that *folder* (created if missing) is writable and has room.

    Raises
    ------
    PaceError
        The folder is a file, cannot be created or written, or has less than *need* bytes free.
    """
    f = Path(folder)
    if f.exists() and not f.is_dir():
        raise PaceError(f"{what} {folder} exists and is not a folder")
    try:
        f.mkdir(parents=True, exist_ok=True)
        fd, probe = tempfile.mkstemp(prefix=".pace-write-check-", dir=f)
        os.close(fd)
        os.unlink(probe)
        free = shutil.disk_usage(f).free
    except OSError as exc:
        raise PaceError(os_message(exc, folder)) from None
    if free < need:
        raise PaceError(f"{what} {folder} has only {free / 2**20:.0f} MB free; "
                        f"this run needs about {need / 2**20:.0f} MB")
    return f


__all__ = ["MIN_FREE_BYTES", "os_message", "write_bytes_atomic", "write_text_atomic",
           "refuse_inputs", "check_writable"]
