"""Disclosure control: small counts in tables, small groups in curves.

Rules (see ``docs/disclosure.md`` for what a reader of a report sees):

* **Primary suppression**: a count from 1 to ``threshold - 1`` is shown as ``"c"`` (the
  symbol UK official statistics use for confidential). Zeros are shown by default: a
  zero reveals no child, and suppressing structural zeros makes tables unreadable;
  pass ``suppress_zero=True`` where a zero would itself disclose something (for
  example "none of the 7 children in this group went home").
* **Secondary suppression**: if a row or column whose total is published (in the table
  or elsewhere) has exactly one suppressed cell, subtraction would reveal it, so the
  next-smallest cell of that line is suppressed too (non-zero cells first, totals last),
  repeated until no line has a single suppressed cell.
* **Derived values**: a share or rate computed from a suppressed count is suppressed.
* **Curves**: a group with fewer than ``threshold`` children is not drawn and is listed
  as "not shown (fewer than N children)"; an at-risk count from 1 to ``threshold - 1``
  is shown as ``"<N"``; :func:`coarsen_curve` evaluates a curve on a coarse grid (every
  quarter by default) so that exact event days are not exposed in reports.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import NamedTuple

import numpy as np
import pandas as pd

from pace_analysis.errors import PaceError

#: Counts below this are suppressed (configurable everywhere as ``threshold``).
DEFAULT_THRESHOLD = 5
#: What a reader sees in place of a suppressed value.
SUPPRESSED = "c"


class SuppressedTable(NamedTuple):
    """Result of :func:`suppress_counts`: ``display`` table and boolean ``mask``."""

    display: pd.DataFrame
    mask: pd.DataFrame


def _check_threshold(threshold: int) -> int:
    if not isinstance(threshold, (int, np.integer)) or threshold < 1:
        raise PaceError(f"disclosure threshold must be a whole number >= 1, got {threshold!r}")
    return int(threshold)


def suppress_counts(table: pd.DataFrame, count_columns: Sequence[str],
                    threshold: int = DEFAULT_THRESHOLD, totals: str | None = "both", *,
                    total_column: str | None = None, total_row=None,
                    derived: Mapping[str, Sequence[str]] | None = None,
                    suppress_zero: bool = False, symbol: str = SUPPRESSED) -> SuppressedTable:
    """Suppress small counts, with secondary suppression so totals cannot reveal them.

    Parameters
    ----------
    table : pandas.DataFrame
        One row per line of the published table.
    count_columns : sequence of str
        Columns holding counts that are parts of a whole (a cross-tabulation).
    threshold : int
        Counts from 1 to ``threshold - 1`` are suppressed.
    totals : {"both", "rows", "columns", None}
        Which margins are published or derivable: ``"rows"`` means each row's counts sum
        to a known total, ``"columns"`` that each column's counts do. Use ``"columns"`` for
        tables whose columns are not parts of a whole (e.g. ``n`` and ``events``), None
        to apply primary suppression only.
    total_column : str, optional
        Column of row totals in the table (suppressed like any count, last resort for
        secondary suppression).
    total_row : label, optional
        Index label of a row of column totals in the table.
    derived : mapping, optional
        ``{column: [count columns it is computed from]}``, e.g.
        ``{"share": ["numerator", "denominator"]}``; suppressed with any of its sources.
    suppress_zero : bool
        Also suppress zeros (off by default, see the module notes).
    symbol : str
        Shown in place of a suppressed value.

    Returns
    -------
    SuppressedTable
        ``display``: the table with suppressed cells replaced by ``symbol`` (those
        columns become object dtype); ``mask``: True where a cell is suppressed, for
        the count, total and derived columns.
    """
    threshold = _check_threshold(threshold)
    if totals not in ("both", "rows", "columns", None):
        raise PaceError(f"totals must be 'both', 'rows', 'columns' or None, not {totals!r}")
    cols = list(count_columns) + ([total_column] if total_column else [])
    missing = [c for c in cols if c not in table.columns]
    if missing:
        raise PaceError(f"cannot suppress: no column(s) {', '.join(missing)}")
    values = table[cols].apply(pd.to_numeric, errors="coerce").to_numpy(dtype=float)
    small = (values > 0) & (values < threshold)
    if suppress_zero:
        small |= values == 0
    mask = small.copy()
    is_total = np.zeros_like(mask)
    if total_column:
        is_total[:, -1] = True
    if total_row is not None:
        if total_row not in table.index:
            raise PaceError(f"total_row {total_row!r} is not in the table's index")
        is_total[table.index.get_indexer([total_row])[0], :] = True
    lines: list[list[tuple[int, int]]] = []
    nrow, ncol = mask.shape
    if totals in ("both", "rows") and ncol > 1:
        lines += [[(i, j) for j in range(ncol)] for i in range(nrow)]
    if totals in ("both", "columns") and nrow > 1:
        lines += [[(i, j) for i in range(nrow)] for j in range(ncol)]
    changed = True
    while changed:
        changed = False
        for line in lines:
            if sum(mask[c] for c in line) != 1:
                continue
            free = [c for c in line if not mask[c] and not np.isnan(values[c])]
            if not free:
                continue
            # Prefer ordinary cells over totals, non-zero over zero, then the smallest.
            pick = min(free, key=lambda c: (is_total[c], values[c] == 0, values[c], c))
            mask[pick] = True
            changed = True
    mask_df = pd.DataFrame(mask, index=table.index, columns=cols)
    for col, sources in (derived or {}).items():
        if col not in table.columns:
            raise PaceError(f"derived column {col!r} is not in the table")
        unknown = [s for s in sources if s not in mask_df.columns]
        if unknown:
            raise PaceError(f"derived column {col!r} uses non-count column(s) {unknown}")
        mask_df[col] = mask_df[list(sources)].any(axis=1)
    display = table.copy()
    for col in mask_df.columns:
        display[col] = display[col].astype(object).where(~mask_df[col], symbol)
    return SuppressedTable(display, mask_df)


def _groups(frame: pd.DataFrame, by: str | Sequence[str] | None) -> pd.Series:
    if by is None:
        return pd.Series(len(frame), index=pd.Index(["All"], name="group"))
    keys = [by] if isinstance(by, str) else list(by)
    missing = [k for k in keys if k not in frame.columns]
    if missing:
        raise PaceError(f"cannot group by {missing}: no such column")
    return frame.groupby(keys if len(keys) > 1 else keys[0], observed=True, sort=False).size()


def suppressible_groups(frame: pd.DataFrame, by: str | Sequence[str] | None,
                        threshold: int = DEFAULT_THRESHOLD) -> list:
    """Groups of an analysis frame (one row per journey) too small to draw or tabulate.

    Returns the group labels (tuples when ``by`` has several columns) with fewer than
    ``threshold`` journeys, in order of first appearance.
    """
    threshold = _check_threshold(threshold)
    sizes = _groups(frame, by)
    return [g for g, n in sizes.items() if n < threshold]


def curve_group_sizes(table: pd.DataFrame) -> pd.Series:
    """Number of children behind each group of a tidy KM or cumulative-incidence table.

    For a KM table every child leaves the risk set once, so n is the total of ``events``
    and ``censored`` (or the largest ``at_risk`` if that is larger); for a table without
    ``censored`` it is the largest ``at_risk`` (a lower bound under late entry, which
    errs towards suppression).
    """
    if "group" not in table.columns or "at_risk" not in table.columns:
        raise PaceError("a curve table needs 'group' and 'at_risk' columns")
    g = table.groupby("group", sort=False, observed=True)
    n = g["at_risk"].max()
    if {"events", "censored"} <= set(table.columns) and "route" not in table.columns:
        n = np.maximum(n, g["events"].sum() + g["censored"].sum())
    return n.astype(int)


def small_curve_groups(table: pd.DataFrame, threshold: int = DEFAULT_THRESHOLD) -> list:
    """Groups of a curve table with fewer than ``threshold`` children, in table order."""
    threshold = _check_threshold(threshold)
    sizes = curve_group_sizes(table)
    return [g for g, n in sizes.items() if n < threshold]


def format_at_risk(n, threshold: int = DEFAULT_THRESHOLD) -> str:
    """Text of a number-at-risk cell: ``"<5"`` for 1 to ``threshold - 1``."""
    threshold = _check_threshold(threshold)
    if n is None or pd.isna(n):
        return ""
    n = int(n)
    return f"<{threshold}" if 0 < n < threshold else f"{n:,}"


def not_shown_note(groups: Iterable, threshold: int = DEFAULT_THRESHOLD) -> str:
    """Sentence listing groups left out, or ``""`` when none were."""
    groups = [str(g) for g in groups]
    if not groups:
        return ""
    return f"Not shown (fewer than {threshold} children): {', '.join(groups)}"


def stop_at_small_risk_set(table: pd.DataFrame, threshold: int = DEFAULT_THRESHOLD) -> pd.DataFrame:
    """Cut each curve where fewer than ``threshold`` children are still at risk.

    From the first row of a group (and route) whose ``at_risk`` is below the threshold
    on, the rows are dropped: a step there would be one of a handful of children. Use it
    on an exact or a coarsened (:func:`coarsen_curve`) KM or cumulative-incidence table;
    ``threshold=1`` keeps everything (an analyst's own screen).
    """
    threshold = _check_threshold(threshold)
    if "at_risk" not in table.columns or not len(table) or threshold <= 1:
        return table
    keys = ["group"] + (["route"] if "route" in table.columns else [])
    keep = []
    for _, g in table.groupby(keys, sort=False, observed=True):
        g = g.sort_values("time_days", kind="stable")
        risk = g["at_risk"].to_numpy()
        # Under late entry the risk set first grows: cut only once it shrinks below.
        peak = int(np.argmax(risk)) if risk.size else 0
        below = np.nonzero(risk[peak:] < threshold)[0]
        stop = peak + below[0] if below.size else risk.size
        keep.append(g.index[:stop])
    if not keep:
        return table
    return table.loc[np.sort(np.concatenate(keep))]


def coarsen_curve(table: pd.DataFrame, step_days: float = 91,
                  value_columns: Sequence[str] | None = None,
                  horizon_days: float | None = None) -> pd.DataFrame:
    """Evaluate a step-function curve on a coarse grid of times.

    Parameters
    ----------
    table : pandas.DataFrame
        Tidy KM (``survival``, ``ci_lower``, ``ci_upper``) or cumulative-incidence
        (``route``, ``cif``, ...) table with ``group``, ``time_days`` and ``at_risk``.
    step_days : float
        Grid spacing; 91 days is a quarter.
    value_columns : sequence of str, optional
        Curve columns to carry (default: those of ``survival``, ``cif``, ``ci_lower``,
        ``ci_upper`` present).
    horizon_days : float, optional
        Last grid time; default the group's last time in the table (never extrapolated).

    Returns
    -------
    pandas.DataFrame
        Per group (and route): ``time_days`` on the grid 0, step, 2·step, ...;
        ``at_risk`` at that time (children still at risk on that day); ``events`` and
        ``censored`` summed over the interval ending at the grid time; the curve values
        as they stand on that day (a step function is right-continuous).
    """
    if step_days <= 0:
        raise PaceError("step_days must be positive")
    keys = ["group"] + (["route"] if "route" in table.columns else [])
    needed = set(keys) | {"time_days", "at_risk"}
    if not needed <= set(table.columns):
        raise PaceError(f"a curve table needs columns {sorted(needed)}")
    if value_columns is None:
        value_columns = [c for c in ("survival", "cif", "ci_lower", "ci_upper") if c in table.columns]
    start = 1.0 if "survival" in table.columns else 0.0
    counts = [c for c in ("events", "censored") if c in table.columns]
    out = []
    for key, g in table.groupby(keys, sort=False, observed=True):
        g = g.sort_values("time_days", kind="stable")
        t = g["time_days"].to_numpy(dtype=float)
        last = t[-1] if horizon_days is None else min(horizon_days, t[-1])
        grid = np.arange(0.0, last + 1e-9, step_days)
        pos = np.searchsorted(t, grid, side="right") - 1  # last row at or before grid time
        row = dict(zip(keys, key if isinstance(key, tuple) else (key,), strict=True))
        frame = pd.DataFrame({**row, "time_days": grid})
        ar = g["at_risk"].to_numpy(dtype=float)
        nxt = np.searchsorted(t, grid, side="left")  # first row at or after grid time
        left = 0.0
        if len(counts) == 2:  # a KM table: those at risk at the last time, minus its exits
            left = ar[-1] - sum(g[c].to_numpy(dtype=float)[-1] for c in counts)
        frame["at_risk"] = np.where(nxt < t.size, ar[np.minimum(nxt, t.size - 1)], max(left, 0))
        frame["at_risk"] = frame["at_risk"].astype(int)
        for c in counts:
            cum = np.concatenate(([0.0], np.cumsum(g[c].to_numpy(dtype=float))))
            frame[c] = np.diff(np.concatenate(([0.0], cum[pos + 1]))).astype(int)
        for c in value_columns:
            v = g[c].to_numpy(dtype=float)
            frame[c] = np.where(pos >= 0, v[np.maximum(pos, 0)], start)
        out.append(frame)
    cols = keys + ["time_days", "at_risk", *counts, *value_columns]
    if not out:
        return pd.DataFrame(columns=cols)
    return pd.concat(out, ignore_index=True)[cols]
