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
            notes.append(_CP1252_NOTE)
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


# Columns are read as pandas Categoricals (pyarrow dictionary columns): an extract repeats a
# few thousand codes, dates and ids millions of times, so comparisons, isin, map and
# duplicated work on the small set of distinct values.
_CP1252_NOTE = "not UTF-8: decoded as Windows-1252 (an Excel 'CSV' export)"


def _read_arrow(data: bytes, name: str, encoding: str, sep: str, ncols: int,
                positions: list[int], notes: list[str]) -> tuple[pd.DataFrame | None, str]:
    import pyarrow as pa
    import pyarrow.csv as pcsv

    names = [f"c{i}" for i in range(ncols)]
    for enc in dict.fromkeys([encoding, "cp1252"]):
        try:
            table = pcsv.read_csv(
                pa.BufferReader(data),
                read_options=pcsv.ReadOptions(column_names=names, skip_rows=1,
                                              encoding="utf8" if enc.startswith("utf-8") else enc),
                parse_options=pcsv.ParseOptions(delimiter=sep),
                convert_options=pcsv.ConvertOptions(
                    include_columns=[names[i] for i in positions],
                    column_types={n: pa.dictionary(pa.int32(), pa.string()) for n in names},
                    strings_can_be_null=False, quoted_strings_can_be_null=False),
            )
        except UnicodeDecodeError:
            continue
        except pa.ArrowInvalid as exc:
            msg = str(exc)
            if "UTF8" in msg or "utf8" in msg.lower():
                continue
            if "straddl" in msg:  # a row longer than the reader's 1 MiB block
                raise ImportFatalError(_long_line(data, name)) from exc
            raise ImportFatalError(f"{name}: cannot parse as CSV ({msg.splitlines()[0]})") from exc
        if enc == "cp1252" and _CP1252_NOTE not in notes:
            notes.append(_CP1252_NOTE)
        frame = table.to_pandas()
        if (sep + " ").encode() not in data and b"\n " not in data and not data.startswith(b" "):
            return frame, enc
        for c in frame.columns:
            cats = frame[c].cat.categories
            if cats.str.startswith(" ").any():  # skipinitialspace, as the pandas path does
                frame[c] = frame[c].cat.rename_categories(cats.str.lstrip()) \
                    if cats.str.lstrip().is_unique else frame[c].astype(object).str.lstrip()
        return frame, enc
    return None, encoding


#: No row of an extract is this long; a longer one is refused, naming its line.
LONGEST_LINE = 1 << 20


def _long_line(data: bytes, name: str) -> str:
    """Message naming the first line longer than :data:`LONGEST_LINE` (only on that error)."""
    start, line = 0, 1
    while start < len(data):
        end = data.find(b"\n", start)
        end = len(data) if end < 0 else end
        if end - start > LONGEST_LINE:
            return (f"{name}: line {line} is {(end - start) / 2**20:.1f} MB long, longer than any "
                    f"row of an extract ({LONGEST_LINE // 2**20} MB): is this the right file?")
        start, line = end + 1, line + 1
    return f"{name}: cannot parse as CSV (a row longer than {LONGEST_LINE // 2**20} MB)"


def _read_pandas(p: Path, name: str, encoding: str, sep: str, positions: list[int],
                 notes: list[str]) -> tuple[pd.DataFrame, str]:
    kw = dict(sep=sep, header=None, skiprows=1, usecols=positions, dtype=str,
              keep_default_na=False, na_filter=False, skip_blank_lines=False, engine="c",
              skipinitialspace=True)
    for enc in dict.fromkeys([encoding, "cp1252"]):
        try:
            frame = pd.read_csv(p, encoding=enc, **kw)
        except UnicodeDecodeError:
            continue
        except (pd.errors.ParserError, ValueError) as exc:
            raise ImportFatalError(f"{name}: cannot parse as CSV ({exc})") from exc
        if enc == "cp1252" and _CP1252_NOTE not in notes:
            notes.append(_CP1252_NOTE)
        return frame.astype("category"), enc
    raise ImportFatalError(f"{name}: cannot decode the file as UTF-8 or Windows-1252"
                           f"{_first_bad_byte(p)}; save it as UTF-8")


def _first_bad_byte(path: Path) -> str:
    """' (line N: byte XX)' for the first byte that is valid in neither encoding."""
    try:
        data = path.read_bytes()
    except OSError:
        return ""
    for i, b in enumerate(data):
        if b in (0x81, 0x8D, 0x8F, 0x90, 0x9D):
            line = data.count(b"\n", 0, i) + 1
            return f" (line {line}: byte {b:02X})"
    return ""


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
        data = p.read_bytes()
    except OSError as exc:
        raise ImportFatalError(f"{name}: cannot read file ({exc})") from exc
    frame = None
    # pyarrow reads several times faster than pandas; it skips blank lines, which would
    # shift line numbers, so files with blank lines inside go through pandas instead.
    body = data.rstrip()
    if b"\n\n" not in body and b"\n\r\n" not in body:
        frame, encoding = _read_arrow(data, name, encoding, sep, len(cols), positions, notes)
    if frame is None:
        frame, encoding = _read_pandas(p, name, encoding, sep, positions, notes)
    frame.columns = [cols[i] for i in positions]
    frame["_line"] = np.arange(2, len(frame) + 2, dtype=np.int64)
    frame["_file"] = pd.Categorical.from_codes(np.zeros(len(frame), dtype=np.int8), [name])
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
            frame[c] = pd.Categorical.from_codes(np.zeros(len(frame), dtype=np.int8), [""])
    return RawTable(name, frame.reset_index(drop=True), encoding, sep, notes)


def parse_dates(values: pd.Series, fmt: str) -> tuple[pd.Series, pd.Series, int]:
    """Parse dates written as ``fmt``; Excel serial numbers are converted too.

    Only the distinct strings are parsed (an extract holds a few thousand distinct dates
    in millions of rows); values with stray spaces are retried trimmed.

    Returns
    -------
    dates : pandas.Series
        ``datetime64[ns]``; NaT where empty or unparseable.
    bad : pandas.Series of bool
        True where a non-empty value could not be parsed.
    n_serial : int
        How many Excel serial dates were converted.
    """
    codes, uniques = pd.factorize(values, use_na_sentinel=False)
    text = pd.Series(np.asarray(uniques, dtype=object), dtype=object)
    parsed = pd.to_datetime(text, format=fmt, errors="coerce")
    failed = parsed.isna() & (text != "")
    if failed.any():
        trimmed = text[failed].str.strip()
        parsed[failed] = pd.to_datetime(trimmed, format=fmt, errors="coerce")
        still = parsed.isna() & (text != "")
        serial = still & text.str.strip().str.match(_SERIAL.pattern)
        if serial.any():
            days = text[serial].str.strip().astype(float)
            parsed[serial] = EXCEL_EPOCH + pd.to_timedelta(days, unit="D")
    else:
        serial = pd.Series(False, index=text.index)
    bad_u = (parsed.isna() & (text != "")).to_numpy()
    dates = pd.Series(parsed.to_numpy(dtype="datetime64[ns]")[codes], index=values.index)
    n_serial = int(serial.to_numpy()[codes].sum())
    return dates, pd.Series(bad_u[codes], index=values.index), n_serial


def known_codes(values: pd.Series, allowed) -> tuple[pd.Series, pd.Series]:
    """Values trimmed where that makes them known codes, and a mask of known values."""
    allowed = list(allowed)
    known = values.isin(allowed)
    miss = ~known & (values != "")
    if miss.any():
        trimmed = values[miss].str.strip()
        fix = trimmed.isin(allowed)
        if fix.any():
            values = values.astype(object)
            values[fix[fix].index] = trimmed[fix]
            known[fix[fix].index] = True
    return values, known


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


def concat_frames(parts: list[pd.DataFrame]) -> pd.DataFrame:
    """Concatenate frames, keeping Categorical columns categorical (union of categories)."""
    from pandas.api.types import union_categoricals

    if len(parts) == 1:
        return parts[0].reset_index(drop=True)
    out = {}
    for c in parts[0].columns:
        cols = [p[c] for p in parts]
        if all(isinstance(x.dtype, pd.CategoricalDtype) for x in cols) and \
                sum(len(x.cat.categories) for x in cols) < 100_000:
            out[c] = union_categoricals([x.array for x in cols])
        elif any(isinstance(x.dtype, pd.CategoricalDtype) for x in cols):
            # Ids: merging large category sets costs more than plain strings do.
            out[c] = np.concatenate([np.asarray(x, dtype=object) for x in cols])
        else:
            out[c] = np.concatenate([x.to_numpy() for x in cols])
    return pd.DataFrame(out)


def write_rejects(rejects: pd.DataFrame, path: Path) -> None:
    """Write the rejects table as CSV (atomically: temporary name, then rename)."""
    from pace_analysis.writing import write_bytes_atomic

    write_bytes_atomic(path, rejects.to_csv(index=False, lineterminator="\n").encode("utf-8"))
