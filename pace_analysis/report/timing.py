"""Seconds per report section, from an executed notebook's own cell timings.

Papermill records each code cell's wall time in the executed notebook
(``cell.metadata.papermill.duration``). :func:`section_seconds` adds them up under the
Markdown heading above each cell, so a benchmark (``benchmarks/bench_reports.py``) can
print where a report's time goes, section by section, and a regression shows up in the
section that caused it. :func:`section_table` does the same for several reports at once.

Nothing here runs a notebook or reads the clock: the numbers are papermill's.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterable, Mapping
from pathlib import Path

import pandas as pd

#: Group name of the code cells above the first heading (the parameters cells).
BEFORE_FIRST_HEADING = "(parameters)"
#: Group name of the first heading's cells: the title heading holds the set-up cell.
_HEADING = re.compile(r"^(#{1,6})\s+(.+?)\s*#*\s*$", re.MULTILINE)


def _cells(notebook) -> list:
    """The cells of *notebook*: a path, a JSON dict or an nbformat node."""
    if isinstance(notebook, (str, os.PathLike)):
        notebook = json.loads(Path(notebook).read_text(encoding="utf-8"))
    return list(notebook["cells"])


def _source(cell) -> str:
    src = cell.get("source", "")
    return "".join(src) if isinstance(src, list) else str(src)


def _duration(cell) -> float:
    pm = (cell.get("metadata") or {}).get("papermill") or {}
    value = pm.get("duration")
    try:
        return float(value) if value is not None else 0.0
    except (TypeError, ValueError):
        return 0.0


def section_seconds(notebook, max_level: int = 3) -> dict[str, float]:
    """Seconds spent in each section of an executed notebook.

    Parameters
    ----------
    notebook : path, dict or nbformat.NotebookNode
        A notebook executed by papermill (cell durations in its metadata).
    max_level : int
        Deepest heading level that starts a new section (3: ``###`` subsections count
        on their own).

    Returns
    -------
    dict of str to float
        Heading text (the last heading of the Markdown cell above, up to *max_level*) to
        the summed duration of the code cells under it, in notebook order. Code cells
        before the first heading are under :data:`BEFORE_FIRST_HEADING`. A cell papermill
        did not time (it never ran) counts 0 s. Sections without code cells are left out.
    """
    out: dict[str, float] = {}
    current = BEFORE_FIRST_HEADING
    for cell in _cells(notebook):
        kind = cell.get("cell_type")
        if kind == "markdown":
            heads = [m.group(2) for m in _HEADING.finditer(_source(cell))
                     if len(m.group(1)) <= max_level]
            if heads:
                current = heads[-1]
        elif kind == "code":
            out[current] = out.get(current, 0.0) + _duration(cell)
    return out


def notebook_seconds(notebook) -> float:
    """Sum of the code cells' durations (the kernel's work, without its start-up)."""
    return float(sum(_duration(c) for c in _cells(notebook) if c.get("cell_type") == "code"))


def section_table(notebooks: Mapping[str, object] | Iterable[tuple[str, object]],
                  max_level: int = 3) -> pd.DataFrame:
    """Seconds per section (rows) for each report (columns), with a ``total`` row.

    Parameters
    ----------
    notebooks : mapping or iterable of (name, notebook)
        E.g. ``{"Glasgow City": "reports/latest/glasgow-city/report.ipynb"}``.

    Returns
    -------
    pandas.DataFrame
        Index: section headings in the order they first appear; one column per report;
        missing sections are 0. The last row, ``total``, is :func:`notebook_seconds`.
    """
    items = list(notebooks.items()) if isinstance(notebooks, Mapping) else list(notebooks)
    columns: dict[str, dict[str, float]] = {}
    order: list[str] = []
    for name, nb in items:
        secs = section_seconds(nb, max_level)
        for s in secs:
            if s not in order:
                order.append(s)
        columns[str(name)] = secs
    table = pd.DataFrame({name: [secs.get(s, 0.0) for s in order] for name, secs in columns.items()},
                         index=pd.Index(order, name="section"))
    if table.shape[1]:  # no notebooks: no sections and no total
        table.loc["total"] = table.sum(axis=0)
    return table


def run_sections(run_dir: str | os.PathLike) -> pd.DataFrame:
    """Seconds per report in each section over every report of a run folder.

    Parameters
    ----------
    run_dir : path
        ``reports/<run>``: every ``<slug>/report.ipynb`` in it is read.

    Returns
    -------
    pandas.DataFrame
        One row per section (and ``total``): ``mean``, ``min`` and ``max`` seconds over
        the reports, and ``slowest``, the report folder of the maximum.
    """
    books = sorted(Path(run_dir).glob("*/report.ipynb"))
    table = section_table([(p.parent.name, p) for p in books])
    if table.shape[1] == 0:
        return pd.DataFrame(columns=["mean", "min", "max", "slowest"], index=table.index)
    return pd.DataFrame({"mean": table.mean(axis=1), "min": table.min(axis=1),
                         "max": table.max(axis=1), "slowest": table.idxmax(axis=1)})


def format_run_sections(run_dir: str | os.PathLike, width: int = 48) -> str:
    """:func:`run_sections` as fixed-width text, for a benchmark to print."""
    table = run_sections(run_dir)
    lines = [f"{'section':<{width}}{'mean':>8}{'min':>8}{'max':>8}  slowest"]
    for section, r in table.iterrows():
        label = str(section)
        label = label if len(label) <= width - 1 else label[:width - 2] + "…"
        lines.append(f"{label:<{width}}{r['mean']:>8.1f}{r['min']:>8.1f}{r['max']:>8.1f}  {r['slowest']}")
    return "\n".join(lines)


def format_table(table: pd.DataFrame, width: int = 48) -> str:
    """A :func:`section_table` as fixed-width text (seconds with one decimal)."""
    names = [str(c) for c in table.columns]
    head = f"{'section':<{width}}" + "".join(f"{n[:14]:>15}" for n in names)
    lines = [head]
    for section, row in table.iterrows():
        label = str(section)
        label = label if len(label) <= width - 1 else label[:width - 2] + "…"
        lines.append(f"{label:<{width}}" + "".join(f"{float(v):>15.1f}" for v in row))
    return "\n".join(lines)


__all__ = ["BEFORE_FIRST_HEADING", "section_seconds", "notebook_seconds", "section_table",
           "run_sections", "format_run_sections", "format_table"]
