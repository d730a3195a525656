"""Tables as text: what readers return and what writers write, before any parsing.

:class:`RawTable` is a table exactly as read (every cell text), the input of
:mod:`pace_analysis.validation`; :func:`text_frame` turns a typed table into the text
:mod:`pace_analysis.io` writes. Both readers and validation use this module, so neither
has to import the other's internals.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from pace_analysis.errors import PaceError
from pace_analysis.schema import TABLES


@dataclass
class RawTable:
    """A table read as text, before validation.

    Attributes
    ----------
    name : str
        ``"journeys"`` or ``"placements"``.
    file : str
        Where it came from, for problem reports (``"x.xlsx[journeys]"`` for a sheet).
    frame : pandas.DataFrame
        Every cell as ``str``; empty cells are ``""``.
    lines : numpy.ndarray
        For each row, the line (CSV) or sheet row (Excel) it starts on; the header is 1.
    """

    name: str
    file: str
    frame: pd.DataFrame
    lines: np.ndarray



def text_frame(df: pd.DataFrame, table: str) -> pd.DataFrame:
    """Contract columns of *df* in schema order, every value an ISO date or text, '' if empty."""
    columns = TABLES[table]
    missing = [c.name for c in columns if c.name not in df.columns]
    if missing:
        raise PaceError(f"cannot write {table}: missing column(s) {', '.join(missing)}")
    out = {}
    for col in columns:
        s = df[col.name]
        if col.kind == "date":
            d = pd.to_datetime(s, errors="raise")
            out[col.name] = d.dt.strftime("%Y-%m-%d").where(d.notna(), "")
        else:
            out[col.name] = s.astype(object).where(s.notna(), "").astype(str)
    return pd.DataFrame(out).reset_index(drop=True)



__all__ = ["RawTable", "text_frame"]
