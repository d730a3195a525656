"""Reading raw extract files and reporting every row an importer does not use.

Shared by :mod:`~pace_analysis.importers.ssda903` and :mod:`~pace_analysis.importers.clas`.
Two kinds of trouble are kept apart:

* **fatal** problems (:class:`ImportFatalError`): the file cannot be read, a column is
  missing, columns are evidently swapped, nothing was accepted. The import stops and
  nothing is written;
* **rejected rows** (:class:`RejectLog`): one bad row is left out, reported with file, line,
  column, value and reason, and written to ``rejects.csv`` next to the output.

Everything here is vectorised: a check takes a boolean mask over a whole column.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from pace_analysis.dataset import Dataset
from pace_analysis.errors import PaceError

REJECT_COLUMNS = ("file", "line", "column", "value", "rule", "reason")

#: Excel's day 0 for serial dates (the 1900 leap-year bug makes it 30 Dec 1899).
EXCEL_EPOCH = pd.Timestamp("1899-12-30")
_SERIAL = re.compile(r"^\d{5}(\.0+)?$")


class ImportFatalError(PaceError):
    """An extract cannot be imported at all; nothing has been written."""


@dataclass
class RawTable:
    """One input file read as text, with where each row came from.

    Attributes
    ----------
    path : str
        The file as the user named it.
    frame : pandas.DataFrame
        Requested columns as strings (``""`` when empty), upper-cased names, plus
        ``_line`` (1-based line in the file; the header is line 1) and ``_file``.
    encoding : str
        Encoding used to decode the file (``"utf-8"``, ``"utf-8-sig"`` or ``"cp1252"``).
    sep : str
        Field separator detected.
    notes : list of str
        Things about the file worth telling the user (BOM, Excel encoding, ...).
    """

    path: str
    frame: pd.DataFrame
    encoding: str
    sep: str
    notes: list[str] = field(default_factory=list)


@dataclass
class RejectLog:
    """Collects rejected rows as column-wise chunks (no Python loop per row)."""

    chunks: list[pd.DataFrame] = field(default_factory=list)

    def add(self, rows: pd.DataFrame, column: str | None, rule: str, reason: str | pd.Series,
            value: pd.Series | None = None) -> None:
        """Record every row of ``rows`` as rejected.

        Parameters
        ----------
        rows : pandas.DataFrame
            Rows carrying ``_file`` and ``_line``.
        column : str or None
            Column at fault (None for a whole-row reason).
        rule : str
            Short rule identifier, e.g. ``"date_format"``.
        reason : str or pandas.Series
            Plain-language explanation (one for all, or one per row).
        value : pandas.Series, optional
            Offending values; defaults to ``rows[column]``.
        """
        if rows.empty:
            return
        if value is None:
            value = rows[column] if column is not None and column in rows else ""
        chunk = pd.DataFrame({
            "file": rows["_file"].to_numpy(),
            "line": rows["_line"].to_numpy(),
            "column": column or "",
            "value": np.asarray(value, dtype=object) if not isinstance(value, str) else value,
            "rule": rule,
            "reason": reason.to_numpy() if isinstance(reason, pd.Series) else reason,
        })
        self.chunks.append(chunk)

    def frame(self) -> pd.DataFrame:
        """All rejects, sorted by file and line."""
        if not self.chunks:
            return pd.DataFrame({c: pd.Series(dtype=object) for c in REJECT_COLUMNS})
        out = pd.concat(self.chunks, ignore_index=True)
        return out.sort_values(["file", "line", "column"], kind="stable").reset_index(drop=True)

    def __len__(self) -> int:
        return sum(len(c) for c in self.chunks)

    def rejected_lines(self, file: str | None = None) -> int:
        """Number of distinct rows rejected (a row may break several rules)."""
        f = self.frame()
        if file is not None:
            f = f[f["file"] == file]
        return int(f[["file", "line"]].drop_duplicates().shape[0])


@dataclass
class ImportResult:
    """What an import produced.

    Attributes
    ----------
    dataset : Dataset
        Journeys and placements.
    rejects : pandas.DataFrame
        One row per rejected (row, rule): ``file, line, column, value, rule, reason``.
    counts : pandas.DataFrame
        Per input file: ``file, kind, year, read, accepted, rejected, left_out``.
    notes : list of str
        Things worth telling the user (encodings, duplicates dropped, short breaks...).
    """

    dataset: Dataset
    rejects: pd.DataFrame
    counts: pd.DataFrame
    notes: list[str] = field(default_factory=list)


def _sniff(path: Path) -> tuple[str, str, str, list[str]]:
    """Encoding, separator, header line and notes for a delimited text file."""
    try:
        head = path.open("rb").read(65536)
    except OSError as exc:
        raise ImportFatalError(f"{path}: cannot read file ({exc.strerror or exc})") from exc
    if not head.strip():
        raise ImportFatalError(f"{path}: the file is empty")
    if head.startswith(b"PK\x03\x04") or head.startswith(b"\xd0\xcf\x11\xe0"):
        raise ImportFatalError(f"{path}: this is an Excel workbook, not CSV; save it as "
                               "'CSV UTF-8 (comma delimited)' and import that")
    notes: list[str] = []
    if head.startswith(b"\xef\xbb\xbf"):
        encoding = "utf-8-sig"
        notes.append("byte-order mark removed (Excel 'CSV UTF-8')")
    else:
        encoding = "utf-8"
    try:
        text = head.decode(encoding)
    except UnicodeDecodeError as exc:
        # A cut in the middle of a multi-byte character at the 64 KiB boundary is fine.
        if exc.start >= len(head) - 3:
            text = head[: exc.start].decode(encoding)
        else:
            encoding = "cp1252"
            text = head.decode(encoding, errors="replace")
            notes.append("not UTF-8: decoded as Windows-1252 (an Excel 'CSV' export)")
    header = text.splitlines()[0] if text.splitlines() else ""
    counts = {s: header.count(s) for s in (",", ";", "\t", "|")}
    sep = max(counts, key=lambda s: counts[s])
    if counts[sep] == 0:
        sep = ","
    if sep != ",":
        notes.append(f"separator {sep!r} detected")
    return encoding, sep, header, notes


def _norm(name: str) -> str:
    return str(name).strip().strip('"').strip().upper()


def read_text_table(path: str | Path, required: tuple[str, ...], optional: tuple[str, ...] = (),
                    label: str | None = None) -> RawTable:
    """Read a CSV extract as text, checking its header.

    Column names are compared case-insensitively after trimming spaces; their order does
    not matter; extra columns are ignored, as are empty trailing columns (Excel writes
    them). Values are kept as written (trimmed), so rejects can quote them.

    Parameters
    ----------
    path : str or pathlib.Path
        File to read.
    required : tuple of str
        Columns that must be present (upper-case names).
    optional : tuple of str
        Columns read if present.
    label : str, optional
        Name of the file in reports (defaults to ``str(path)``).

    Returns
    -------
    RawTable

    Raises
    ------
    ImportFatalError
        Unreadable file, a required column missing, or no data rows.
    """
    p = Path(path)
    name = label or str(path)
    encoding, sep, header, notes = _sniff(p)
    cols = [_norm(c) for c in header.split(sep)]
    missing = [c for c in required if c not in cols]
    if missing:
        found = ", ".join(c for c in cols if c) or "(none)"
        raise ImportFatalError(f"{name}: missing column(s) {', '.join(missing)}; found {found}"
                               f" (separator {sep!r})")
    dupes = sorted({c for c in cols if c and cols.count(c) > 1 and c in required + optional})
    if dupes:
        raise ImportFatalError(f"{name}: column(s) {', '.join(dupes)} appear more than once")
    wanted = [c for c in cols if c in required or c in optional]
    positions = [i for i, c in enumerate(cols) if c in wanted]
    try:
        frame = pd.read_csv(p, sep=sep, encoding=encoding, header=None, skiprows=1,
                            usecols=positions, dtype=str, keep_default_na=False,
                            na_filter=False, skip_blank_lines=False, engine="c")
    except (UnicodeDecodeError, pd.errors.ParserError, ValueError) as exc:
        if isinstance(exc, UnicodeDecodeError) and encoding.startswith("utf-8"):
            encoding = "cp1252"
            notes.append("not UTF-8: decoded as Windows-1252 (an Excel 'CSV' export)")
            frame = pd.read_csv(p, sep=sep, encoding=encoding, header=None, skiprows=1,
                                usecols=positions, dtype=str, keep_default_na=False,
                                na_filter=False, skip_blank_lines=False, engine="c")
        else:
            raise ImportFatalError(f"{name}: cannot parse as CSV ({exc})") from exc
    except OSError as exc:
        raise ImportFatalError(f"{name}: cannot read file ({exc})") from exc
    frame.columns = [cols[i] for i in positions]
    for c in frame.columns:
        s = frame[c]
        # Only pay for strip where there is something to strip.
        if s.str.startswith(" ").any() or s.str.endswith(" ").any():
            frame[c] = s.str.strip()
    frame["_line"] = np.arange(2, len(frame) + 2, dtype=np.int64)
    frame["_file"] = name
    blank = np.ones(len(frame), dtype=bool)
    for c in wanted:
        blank &= (frame[c] == "").to_numpy()
    if blank.any():
        frame = frame[~blank]
        notes.append(f"{int(blank.sum())} blank line(s) skipped")
    if frame.empty:
        raise ImportFatalError(f"{name}: the file has a header but no data rows")
    for c in optional:
        if c not in frame:
            frame[c] = ""
    return RawTable(name, frame.reset_index(drop=True), encoding, sep, notes)


def parse_dates(values: pd.Series, fmt: str) -> tuple[pd.Series, pd.Series, int]:
    """Parse dates written as ``fmt``; Excel serial numbers are converted too.

    Returns
    -------
    dates : pandas.Series
        ``datetime64[ns]``; NaT where empty or unparseable.
    bad : pandas.Series of bool
        True where a non-empty value could not be parsed.
    n_serial : int
        How many Excel serial dates were converted.
    """
    dates = pd.to_datetime(values, format=fmt, errors="coerce")
    bad = dates.isna() & (values != "")
    n_serial = 0
    if bad.any():
        cand = values[bad]
        serial = cand.str.match(_SERIAL.pattern)
        if serial.any():
            days = cand[serial].astype(float)
            conv = EXCEL_EPOCH + pd.to_timedelta(days, unit="D")
            dates.loc[conv.index] = conv
            bad.loc[conv.index] = False
            n_serial = int(serial.sum())
    return dates.astype("datetime64[ns]"), bad, n_serial


def check_not_swapped(table: RawTable, column: str, bad: pd.Series, what: str,
                      threshold: float = 0.5) -> None:
    """Stop if most non-empty values of a column are not what the column should hold.

    One wrong value is a rejected row; a column where most values are wrong means the
    header names the wrong column (swapped or shifted columns), and every row would be
    misread. Raises :class:`ImportFatalError` in that case.
    """
    filled = table.frame[column] != ""
    n = int(filled.sum())
    if n == 0:
        return
    nbad = int((bad & filled).sum())
    if nbad / n > threshold:
        examples = table.frame.loc[bad & filled, column].head(3).tolist()
        raise ImportFatalError(
            f"{table.path}: column {column} should hold {what} but {nbad} of {n} values do not"
            f" (e.g. {', '.join(repr(e) for e in examples)}): are columns swapped or misnamed?"
        )


def write_rejects(rejects: pd.DataFrame, path: Path) -> None:
    """Write the rejects table as CSV (atomically: temporary name, then rename)."""
    tmp = path.with_name(path.name + ".tmp")
    rejects.to_csv(tmp, index=False)
    tmp.replace(path)
