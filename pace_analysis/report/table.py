"""A published table: each column's heading, format and disclosure role.

A :class:`Table` holds the unsuppressed numbers of one report table and, per column, what
a reader sees (its heading and number format) and what the column *is*:

* ``"count"`` — a number of children: suppressed from 1 to ``threshold - 1`` (and zeros
  too when the table describes fewer than ``threshold`` children), and secondary
  suppressed where a relation would reveal a hidden one;
* ``"derived"`` — a value computed from named count columns (a share, a median, a
  confidence limit): suppressed whenever one of them is;
* ``"label"`` — text or a value that describes no child (a stage name, a p-value).

Suppression itself is decided for all tables of a report together
(:func:`pace_analysis.report.protect.protect_tables`), which sets :attr:`Table.mask`;
:meth:`Table.display` then shows ``"c"`` where the mask is set.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from pace_analysis.disclosure import SUPPRESSED
from pace_analysis.errors import PaceError

ROLES = ("count", "derived", "label")


@dataclass(frozen=True)
class Column:
    """One column of a :class:`Table`.

    Parameters
    ----------
    name : str
        Column of the library's tidy table.
    label : str
        Heading a reader sees (also the CSV header).
    role : {"count", "derived", "label"}
        What disclosure control does with it (see the module notes).
    fmt : str, optional
        Format of the page cell, e.g. ``"{:.0%}"`` (the CSV keeps full precision).
    sources : sequence of str
        For a derived column: the count columns (``name``) it is computed from.
    """

    name: str
    label: str
    role: str = "label"
    fmt: str | None = None
    sources: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.role not in ROLES:
            raise PaceError(f"column {self.name!r}: role must be one of {ROLES}, not {self.role!r}")
        if self.role == "derived" and not self.sources:
            raise PaceError(f"derived column {self.name!r} must name the counts it comes from")


def count(name: str, label: str) -> Column:
    """A count column."""
    return Column(name, label, "count")


def derived(name: str, label: str, sources: Sequence[str], fmt: str | None = None) -> Column:
    """A column computed from the named count columns."""
    return Column(name, label, "derived", fmt, tuple(sources))


def label(name: str, heading: str, fmt: str | None = None) -> Column:
    """A label (or a value that describes no child)."""
    return Column(name, heading, "label", fmt)


@dataclass
class Table:
    """A report table with its columns' roles; disclosure is applied through :attr:`mask`.

    Parameters
    ----------
    name : str
        File name of the CSV (without ``.csv``) and id of the page table.
    data : pandas.DataFrame
        The library's tidy table, unsuppressed.
    columns : sequence of Column
        The published columns, in order.
    population : int, optional
        Number of children (journeys) the table describes. Below the threshold zeros are
        suppressed too ("none of these four children was adopted" discloses each of them).
    """

    name: str
    data: pd.DataFrame
    columns: Sequence[Column]
    population: int | None = None
    mask: pd.DataFrame | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        self.data = self.data.reset_index(drop=True)
        self.columns = tuple(self.columns)
        missing = [c.name for c in self.columns if c.name not in self.data.columns]
        if missing:
            raise PaceError(f"table {self.name}: no column(s) {missing}")
        names = {c.name for c in self.columns}
        for c in self.columns:
            bad = [s for s in c.sources if s not in names or self.column(s).role != "count"]
            if bad:
                raise PaceError(f"table {self.name}: {c.name!r} derives from non-count column(s) {bad}")

    # ------------------------------------------------------------------ roles

    def column(self, name: str) -> Column:
        """The column called *name* (the tidy table's name)."""
        for c in self.columns:
            if c.name == name:
                return c
        raise KeyError(name)

    def by_role(self, role: str) -> list[Column]:
        """Columns with this role, in order."""
        return [c for c in self.columns if c.role == role]

    @property
    def count_labels(self) -> list[str]:
        """Headings of the count columns (what the privacy test and the audit check)."""
        return [c.label for c in self.by_role("count")]

    # ------------------------------------------------------------------ disclosure

    def primary(self, threshold: int) -> pd.DataFrame:
        """Cells hidden by primary suppression (count columns only)."""
        cols = [c.name for c in self.by_role("count")]
        values = self.data[cols].apply(pd.to_numeric, errors="coerce")
        small = (values > 0) & (values < threshold)
        if self.population is not None and self.population < threshold:
            small |= values == 0
        return small.fillna(False).astype(bool)

    def full_mask(self) -> pd.DataFrame:
        """Hidden cells of every count and derived column (derived hidden with sources)."""
        counts = [c.name for c in self.by_role("count")]
        base = (self.mask if self.mask is not None
                else pd.DataFrame(False, index=self.data.index, columns=counts))
        out = base.reindex(columns=counts, fill_value=False).copy()
        for c in self.by_role("derived"):
            out[c.name] = out[list(c.sources)].any(axis=1)
        return out

    def truth(self) -> pd.DataFrame:
        """The published columns with reader headings and unsuppressed values."""
        return self.data[[c.name for c in self.columns]].rename(
            columns={c.name: c.label for c in self.columns})

    def display(self, symbol: str = SUPPRESSED) -> pd.DataFrame:
        """The table a reader sees: headings, and ``symbol`` in place of hidden cells."""
        shown = self.data[[c.name for c in self.columns]].copy()
        mask = self.full_mask()
        for col in mask.columns:
            shown[col] = shown[col].astype(object).where(~mask[col].to_numpy(), symbol)
        return shown.rename(columns={c.name: c.label for c in self.columns})

    # ------------------------------------------------------------------ output

    def save(self, output_dir: str | Path) -> Path:
        """Write the displayed table as ``<output_dir>/<name>.csv`` (formula cells neutralised)."""
        from pace_analysis.csvfiles import write_csv

        return write_csv(self.display(), Path(output_dir) / f"{self.name}.csv")

    def styler(self):
        """The displayed table as a pandas Styler for the page (fixed id, no index)."""
        from pace_analysis import formatting

        shown = self.display()
        styler = shown.style.set_uuid(self.name).hide(axis="index").format(precision=3, na_rep="")
        fmts = {c.label: _number_format(c.fmt) for c in self.columns if c.fmt}
        # Counts with thousands separators ("c" stays "c"); booleans as yes/no, never raw.
        fmts.update({c.label: formatting.count for c in self.by_role("count") if not c.fmt})
        fmts.update({c.label: formatting.yes_no for c in self.columns
                     if pd.api.types.is_bool_dtype(self.data[c.name])})
        return styler.format(fmts) if fmts else styler

    def show(self, output_dir: str | Path):
        """Save the CSV and return the Styler (a notebook cell ending with it displays it)."""
        self.save(output_dir)
        return self.styler()


def _number_format(spec: str):
    def fmt(x) -> str:
        if isinstance(x, numbers.Number) and not isinstance(x, bool):
            return "" if math.isnan(float(x)) else spec.format(x)
        return "" if x is None else str(x)

    return fmt


def cell_text(value) -> str:
    """A true value as the audit reads a published cell (integers without ".0")."""
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return ""
    if isinstance(value, numbers.Number) and not isinstance(value, bool) and float(value).is_integer():
        return str(int(value))
    return str(value)


__all__ = ["ROLES", "Column", "Table", "count", "derived", "label", "cell_text"]
