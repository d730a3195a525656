"""Notebooks without outputs: a git clean filter and a check.

Notebooks are committed without outputs (they would hold figures of real data once run
on a real extract, and they make every review diff unreadable). ``make lab`` installs
this module as a git *clean* filter for ``notebooks/*.ipynb`` (see ``.gitattributes``)::

    git config filter.pace-nbclean.clean ".venv/bin/python -m pace_analysis.nbclean"

so ``git add`` stores a notebook with its outputs, execution counts and widget state
removed, whatever JupyterLab's autosave left in the working file. ``tests/test_nbclean.py``
checks that no committed notebook has outputs.
"""

from __future__ import annotations

import json
import sys
from typing import Any

#: Notebook-level metadata that only records a session (widget state, papermill runs).
SESSION_METADATA = ("widgets", "papermill")
#: Cell-level metadata that only records a run.
CELL_SESSION_METADATA = ("execution", "papermill", "collapsed", "scrolled")


def strip(nb: dict[str, Any]) -> dict[str, Any]:
    """The notebook *nb* (nbformat 4 JSON) without outputs or run records (a new dict)."""
    nb = json.loads(json.dumps(nb))
    for key in SESSION_METADATA:
        nb.get("metadata", {}).pop(key, None)
    for cell in nb.get("cells", []):
        meta = cell.get("metadata", {})
        for key in CELL_SESSION_METADATA:
            meta.pop(key, None)
        if cell.get("cell_type") == "code":
            cell["outputs"] = []
            cell["execution_count"] = None
    return nb


def cells_with_outputs(nb: dict[str, Any]) -> list[int]:
    """Numbers (0-based) of the code cells of *nb* that hold outputs or an execution count."""
    return [i for i, cell in enumerate(nb.get("cells", []))
            if cell.get("cell_type") == "code"
            and (cell.get("outputs") or cell.get("execution_count") is not None)]


def dumps(nb: dict[str, Any]) -> str:
    """The JSON text JupyterLab writes (one-space indent, unicode kept, final newline)."""
    return json.dumps(nb, indent=1, ensure_ascii=False) + "\n"


def main() -> int:
    """Git clean filter: a notebook on stdin, the stripped notebook on stdout.

    Text that is not a notebook is passed through unchanged, so the filter never loses a
    file (git would store whatever the filter printed).
    """
    text = sys.stdin.buffer.read().decode("utf-8")
    try:
        nb = json.loads(text)
    except ValueError:
        sys.stdout.write(text)
        return 0
    if not isinstance(nb, dict) or "cells" not in nb:
        sys.stdout.write(text)
        return 0
    sys.stdout.buffer.write(dumps(strip(nb)).encode("utf-8"))
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
