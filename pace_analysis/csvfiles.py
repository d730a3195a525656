"""CSV files a reader may open in a spreadsheet, safe against formula injection.

A text cell that begins with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is read
by Excel, LibreOffice and Google Sheets as a formula (``=HYPERLINK(...)`` can send data
elsewhere when clicked; DDE formulas can run commands). Following the OWASP rule on CSV
injection, :func:`neutralise` prefixes such cells with a single quote, which spreadsheets
show as text. Only text cells change: numbers (a negative share, say) keep their value.
"""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd

#: First characters that make a spreadsheet read a cell as a formula (OWASP).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutral_text(value: object) -> object:
    """*value* with a leading ``'`` if it is text a spreadsheet would take for a formula.

    A carriage return inside text becomes a line feed, which the CSV writer quotes (it
    would otherwise write a bare CR that ends the row in some readers).
    """
    if not isinstance(value, str):
        return value
    if value.startswith(FORMULA_STARTS):
        value = "'" + value
    return value.replace("\r\n", "\n").replace("\r", "\n")


def neutralise(table: pd.DataFrame) -> pd.DataFrame:
    """A copy of *table* whose text cells and column names cannot start a formula."""
    out = table.copy()
    for col in out.columns:
        if not (pd.api.types.is_numeric_dtype(out[col]) or pd.api.types.is_bool_dtype(out[col])
                or pd.api.types.is_datetime64_any_dtype(out[col])):
            out[col] = out[col].map(neutral_text).astype(object)
    out.columns = [neutral_text(c) for c in out.columns]
    return out


def write_csv(table: pd.DataFrame, path: str | os.PathLike) -> Path:
    """Write *table* as CSV (no index, ``\\n`` line ends) after :func:`neutralise`."""
    path = Path(path)
    neutralise(table).to_csv(path, index=False, lineterminator="\n")
    return path


__all__ = ["FORMULA_STARTS", "neutral_text", "neutralise", "write_csv"]
