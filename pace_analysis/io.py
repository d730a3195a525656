"""Reading and writing datasets: CSV (also gzip-compressed), Parquet and Excel.

A dataset on disk is a folder holding ``journeys`` and ``placements`` tables and an
optional ``dataset.yaml`` (``route_set:`` plus free-form metadata such as the generator
seed). Formats:

============  ==============================================================
``csv``       ``journeys.csv`` and ``placements.csv`` (UTF-8, ``\\n`` line ends)
``csv.gz``    ``journeys.csv.gz`` and ``placements.csv.gz`` (gzip, no timestamp)
``parquet``   ``journeys.parquet`` and ``placements.parquet`` (dates as ``date32``)
``xlsx``      one workbook ``dataset.xlsx`` with sheets ``journeys`` and ``placements``
============  ==============================================================

:func:`read_dataset` reads every value as text first, so that validation can quote a
bad value exactly as it was written, then parses dates and returns a
:class:`~pace_analysis.dataset.Dataset`. :func:`write_dataset` writes the same bytes for
the same data and never leaves half a dataset behind.
"""

from __future__ import annotations

import datetime as dt
import gzip
import io
import os
import re
import shutil
import tempfile
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from pace_analysis import validation
from pace_analysis.dataset import META_FILE, Dataset
from pace_analysis.errors import DataValidationError, PaceError, Problem
from pace_analysis.rawtable import RawTable, text_frame
from pace_analysis.routes import DEFAULT_ROUTE_SET, RouteSet, load_route_set
from pace_analysis.schema import TABLES
from pace_analysis.writing import os_message
from pace_analysis.yamlfile import load_yaml

#: Output formats of :func:`write_dataset` and the file suffix each uses.
FORMATS: dict[str, str] = {"csv": ".csv", "csv.gz": ".csv.gz", "parquet": ".parquet", "xlsx": ".xlsx"}
WORKBOOK = "dataset.xlsx"
_BOM = b"\xef\xbb\xbf"
# Fixed timestamp for zip entries and workbook properties, so workbooks are reproducible.
_ZIP_TIME = (1980, 1, 1, 0, 0, 0)
_CORE_TIME = "2000-01-01T00:00:00Z"


# --------------------------------------------------------------------------- writing


def _csv_bytes(text: pd.DataFrame) -> bytes:
    return text.to_csv(index=False, lineterminator="\n").encode("utf-8")


def _write_csv(text: pd.DataFrame, path: Path, compress: bool) -> None:
    data = _csv_bytes(text)
    with open(path, "wb") as fh:
        if compress:
            # filename="" and mtime=0 keep the gzip header free of names and times.
            with gzip.GzipFile(filename="", mode="wb", fileobj=fh, mtime=0) as gz:
                gz.write(data)
        else:
            fh.write(data)


def _write_parquet(text: pd.DataFrame, table: str, path: Path) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    arrays, fields = [], []
    for col in TABLES[table]:
        s = text[col.name]
        empty = (s == "").to_numpy()
        if col.kind == "date":
            days = pd.to_datetime(s.where(~empty, None)).to_numpy().astype("datetime64[D]")
            arr = pa.array(days, type=pa.date32(), mask=empty)
            fields.append(pa.field(col.name, pa.date32()))
        else:
            arr = pa.array(s.to_numpy(dtype=object), type=pa.string(), mask=empty)
            fields.append(pa.field(col.name, pa.string()))
        arrays.append(arr)
    pq.write_table(pa.Table.from_arrays(arrays, schema=pa.schema(fields)), path)


def _write_workbook(texts: dict[str, pd.DataFrame], path: Path) -> None:
    from openpyxl import Workbook

    wb = Workbook(write_only=True)
    for table, text in texts.items():
        ws = wb.create_sheet(table)
        cols = TABLES[table]
        ws.append([c.name for c in cols])
        is_date = [c.kind == "date" for c in cols]
        for row in text.itertuples(index=False, name=None):
            ws.append([
                (None if v == "" else dt.date.fromisoformat(v)) if d else (v if v != "" else None)
                for v, d in zip(row, is_date, strict=True)
            ])
    buf = io.BytesIO()
    wb.save(buf)
    # openpyxl stamps the zip entries and docProps/core.xml with the current time;
    # rewrite them with fixed times so the same data gives the same bytes.
    with zipfile.ZipFile(io.BytesIO(buf.getvalue())) as src, zipfile.ZipFile(
        path, "w", zipfile.ZIP_DEFLATED
    ) as dst:
        for name in src.namelist():
            data = src.read(name)
            if name == "docProps/core.xml":
                data = re.sub(rb"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", _CORE_TIME.encode(), data)
            info = zipfile.ZipInfo(name, date_time=_ZIP_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            dst.writestr(info, data)


def _plain(value):
    """Make metadata YAML-safe (numpy scalars, paths, tuples)."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, Path):
        return str(value)
    if isinstance(value, pd.Timestamp):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def dataset_files(fmt: str) -> tuple[str, ...]:
    """Names of the table files :func:`write_dataset` writes for *fmt*."""
    if fmt not in FORMATS:
        raise PaceError(f"unknown format {fmt!r}; choose one of {', '.join(FORMATS)}")
    if fmt == "xlsx":
        return (WORKBOOK,)
    return tuple(f"{table}{FORMATS[fmt]}" for table in TABLES)


def write_dataset(dataset: Dataset, out_dir: str | Path, fmt: str = "csv",
                  extra_files: dict[str, bytes] | None = None) -> Path:
    """Write a dataset folder atomically and reproducibly.

    Parameters
    ----------
    dataset : Dataset
        Journeys and placements (dates as datetime64 or ISO text; empty as NaT/None/'').
    out_dir : str or pathlib.Path
        Dataset folder; created if missing. Other files in it (e.g. a README) are kept;
        table files of *other* formats are removed so the folder holds one dataset.
    fmt : {"csv", "csv.gz", "parquet", "xlsx"}
        File format (see the module docstring).
    extra_files : dict of str to bytes, optional
        Further files (e.g. an importer's ``rejects.csv``) written in the same step, so
        the dataset never appears without them.

    Returns
    -------
    pathlib.Path
        The dataset folder.

    Notes
    -----
    Everything is first written to a temporary sibling folder. If *out_dir* does not
    exist that folder is renamed into place (one atomic step); otherwise each file is
    moved in with :func:`os.replace` only after all of them were written, so an error
    while writing never changes *out_dir* (only a power cut during those few renames
    could leave old and new files side by side). Columns follow
    :mod:`pace_analysis.schema` order and columns outside the contract are not written;
    dates are ``YYYY-MM-DD``; there is no index column.
    """
    names = dataset_files(fmt)
    out = Path(out_dir)
    texts = {table: text_frame(getattr(dataset, table), table) for table in TABLES}
    meta = {"route_set": dataset.route_set.name}
    meta.update({k: v for k, v in _plain(dict(dataset.meta)).items() if k != "route_set"})

    if out.exists() and not out.is_dir():
        raise PaceError(f"cannot write dataset: {out} exists and is not a folder")
    extra = dict(extra_files or {})
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.tmp-", dir=out.parent))
    except OSError as exc:
        raise PaceError(os_message(exc, out)) from None
    try:
        _write_into(tmp, out, texts, meta, names, fmt, extra)
    except OSError as exc:
        raise PaceError(os_message(exc, out)) from None
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return out


def _write_into(tmp: Path, out: Path, texts: dict, meta: dict, names: tuple[str, ...], fmt: str,
                extra: dict[str, bytes]) -> None:
    """Write every file into *tmp*, then move them into *out* (see :func:`write_dataset`)."""
    umask = os.umask(0)
    os.umask(umask)
    tmp.chmod(0o777 & ~umask)  # mkdtemp makes it private; the dataset folder should not be
    if fmt == "xlsx":
        _write_workbook(texts, tmp / WORKBOOK)
    else:
        for table, text in texts.items():
            path = tmp / f"{table}{FORMATS[fmt]}"
            if fmt == "parquet":
                _write_parquet(text, table, path)
            else:
                _write_csv(text, path, compress=fmt == "csv.gz")
    (tmp / META_FILE).write_text(
        yaml.safe_dump(meta, sort_keys=True, allow_unicode=True), encoding="utf-8"
    )
    for name, data in extra.items():
        (tmp / name).write_bytes(data)
    for name in os.listdir(tmp):
        with open(tmp / name, "rb") as fh:
            os.fsync(fh.fileno())
    if not out.exists():
        os.rename(tmp, out)
        return
    for name in (*names, META_FILE, *extra):
        os.replace(tmp / name, out / name)
    stale = {f"{t}{s}" for t in TABLES for s in FORMATS.values()} | {WORKBOOK}
    for name in sorted(stale - set(names)):
        (out / name).unlink(missing_ok=True)


# --------------------------------------------------------------------------- reading


def _problem(file: str, rule: str, message: str, row: int | None = None,
             value: str | None = None) -> Problem:
    return Problem(file=file, row=row, column=None, value=value, rule=rule, message=message)


def _decode(data: bytes, file: str) -> str:
    """UTF-8 text of *data* without a byte-order mark; DataValidationError if not UTF-8."""
    if data.startswith(_BOM):
        data = data[len(_BOM):]
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line_no = data.count(b"\n", 0, exc.start) + 1
        start = data.rfind(b"\n", 0, exc.start) + 1
        end = data.find(b"\n", exc.start)
        line = data[start: end if end >= 0 else len(data)].decode("utf-8", "replace").rstrip("\r")
        bad = data[exc.start: exc.end].hex(" ").upper()
        raise DataValidationError([_problem(
            file, "encoding",
            f"byte(s) {bad} are not valid UTF-8 (character {exc.start - start + 1} of the line); "
            "save the file as UTF-8 (Excel: 'CSV UTF-8')",
            row=line_no, value=line[:120],
        )]) from None


def _lines_of(frame: pd.DataFrame, text: str) -> np.ndarray:
    """Editor line on which each CSV row starts (quoted values may hold line breaks)."""
    n = len(frame)
    lines = np.arange(2, n + 2)
    if text.count("\n") > n + 1:  # some values contain line breaks: count them per row
        extra = np.zeros(n, dtype=np.int64)
        for col in frame.columns:
            extra += frame[col].str.count("\n").to_numpy(dtype=np.int64)
        header_breaks = sum(str(c).count("\n") for c in frame.columns)
        lines = lines + header_breaks + np.concatenate([[0], np.cumsum(extra)[:-1]])
    return lines


def _unique_names(header) -> list[str]:
    """Header names, stripped; a repeated name gets '.1', '.2' ... (as pandas does)."""
    names: list[str] = []
    for raw in header:
        name, base, k = str(raw).strip(), str(raw).strip(), 0
        while name in names:
            k += 1
            name = f"{base}.{k}"
        names.append(name)
    return names


def _clean(frame: pd.DataFrame) -> pd.DataFrame:
    frame.columns = _unique_names(frame.columns)
    return frame


#: Largest table accepted, in bytes after decompression (about 30 times Scotland's data).
MAX_TABLE_BYTES = 2 << 30
#: Longest line accepted (bytes); a real row is well under 1 KB.
MAX_LINE_BYTES = 1 << 20
#: Empty lines (nothing but separators and spaces) tolerated beyond the number of lines with values.
MAX_EXTRA_EMPTY_LINES = 10_000
#: A compressed file expanding more than this many times is refused (real CSVs: 5-15).
MAX_GZIP_RATIO = 50
_CHUNK = 1 << 20  # per-chunk index arrays are ~40 bytes per byte when every byte is a line end
_EMPTY_BYTES = np.zeros(256, dtype=bool)
_EMPTY_BYTES[[ord(c) for c in ",; \t\r\n"]] = True


@dataclass
class _Scan:
    """What a streaming pass over a text file found (without keeping the lines)."""

    size: int = 0
    lines: int = 0
    empty: int = 0
    longest: int = 0
    longest_at: int = 0


def _scan(chunks, file: str, compressed_size: int | None) -> bytes:
    """Read *chunks* of a CSV file, refusing pathological files before they are parsed.

    Counts bytes, lines, empty lines (separators and spaces only) and the longest line as
    the chunks stream by; the bytes are kept only while every limit holds, so a gzip
    bomb or a file of blank lines is refused with at most one chunk beyond the limits.
    """
    scan, kept = _Scan(), bytearray()
    line_start, content_in_line = 0, False
    for chunk in chunks:
        if not chunk:
            continue
        arr = np.frombuffer(chunk, dtype=np.uint8)
        nl = np.flatnonzero(arr == 10)
        content = ~_EMPTY_BYTES[arr]
        csum = np.zeros(len(arr) + 1, dtype=np.int32)  # a chunk is far below 2**31 bytes
        np.cumsum(content, dtype=np.int32, out=csum[1:])
        if len(nl):
            ends = nl
            starts = np.concatenate([[0], nl[:-1] + 1])
            has = (csum[ends] - csum[starts]) > 0
            has[0] |= content_in_line
            scan.empty += int((~has).sum())
            lengths = ends - starts
            lengths[0] += scan.size - line_start
            k = int(np.argmax(lengths))
            if lengths[k] > scan.longest:
                scan.longest, scan.longest_at = int(lengths[k]), scan.lines + k + 1
            line_start = scan.size + int(nl[-1]) + 1
            content_in_line = bool(csum[-1] - csum[nl[-1] + 1] > 0)
            scan.lines += len(nl)
        else:
            content_in_line |= bool(csum[-1] > 0)
        scan.size += len(chunk)
        if scan.size - line_start > scan.longest:
            scan.longest, scan.longest_at = scan.size - line_start, scan.lines + 1
        _check_scan(scan, file, compressed_size, final=False)
        kept += chunk
    if scan.size > line_start:  # a last line without a line break
        scan.lines += 1
        scan.empty += 0 if content_in_line else 1
    _check_scan(scan, file, compressed_size, final=True)
    return bytes(kept)


def _check_scan(scan: _Scan, file: str, compressed_size: int | None, final: bool) -> None:
    if scan.size > MAX_TABLE_BYTES:
        raise DataValidationError([_problem(
            file, "file_too_large",
            f"the table is over {MAX_TABLE_BYTES / 2**30:.0f} GB of text (after decompression); "
            "split the extract by year or authority")])
    if compressed_size and scan.size > 16 << 20 and scan.size > MAX_GZIP_RATIO * compressed_size:
        raise DataValidationError([_problem(
            file, "file_too_large",
            f"the {compressed_size:,}-byte compressed file expands to over {scan.size:,} bytes "
            f"(more than {MAX_GZIP_RATIO} times); a real extract does not compress like that")])
    if scan.longest > MAX_LINE_BYTES:
        raise DataValidationError([_problem(
            file, "file_too_large",
            f"line {scan.longest_at} is over {MAX_LINE_BYTES:,} bytes long; a row of the "
            "contract is well under 1 KB", row=scan.longest_at)])
    with_values = scan.lines - scan.empty
    if final and scan.empty > MAX_EXTRA_EMPTY_LINES + with_values:
        raise DataValidationError([_problem(
            file, "blank_lines",
            f"the file has {scan.empty:,} empty lines (only separators or spaces) "
            f"and only {with_values:,} lines with values; "
            "delete the empty rows (in a spreadsheet: select them, Delete Rows) and save again")])


def _chunks(fh):
    return iter(lambda: fh.read(_CHUNK), b"")


def _read_bytes(path: Path, file: str) -> bytes:
    try:
        if path.name.endswith(".gz"):
            with gzip.open(path, "rb") as fh:
                return _scan(_chunks(fh), file, path.stat().st_size)
        with path.open("rb") as fh:
            return _scan(_chunks(fh), file, None)
    except (OSError, EOFError, zlib.error) as exc:
        what = "as gzip" if path.name.endswith(".gz") and not isinstance(exc, FileNotFoundError) \
            else ""
        raise PaceError(f"cannot read {file} {what}: {getattr(exc, 'strerror', None) or exc}"
                        .replace("  ", " ")) from None


def _separator_hint(header: str) -> str | None:
    """A hint when the header line looks separated by something other than commas."""
    for sep, name in ((";", "semicolons"), ("\t", "tabs"), ("|", "'|'")):
        if header.count(sep) >= 3 and header.count(sep) > header.count(","):
            return (f"the header is separated by {name}, not commas; save the file as "
                    "comma-separated CSV (Excel: 'CSV UTF-8 (Comma delimited)')")
    return None


def _parser_problem(exc: Exception, file: str, text: str) -> DataValidationError | None:
    """A row-level problem for pandas' tokenizer errors (its rows count from 0)."""
    msg = str(exc)
    m = re.search(r"EOF inside string starting at row (\d+)", msg)
    if m:
        line = int(m.group(1)) + 1
        return DataValidationError([_problem(
            file, "csv_syntax", "a quoted value opened on this line is never closed (an "
            "unbalanced '\"'); everything after it would be one value", row=line,
            value=_line(text, line))])
    m = re.search(r"Expected (\d+) fields in line (\d+), saw (\d+)", msg)
    if m:
        line = int(m.group(2))
        return DataValidationError([_problem(
            file, "csv_syntax", f"this line has {m.group(3)} fields where the header has "
            f"{m.group(1)} (a stray comma, or a value with a comma not in quotes)", row=line,
            value=_line(text, line))])
    return None


def _line(text: str, line: int) -> str:
    pos = 0
    for _ in range(line - 1):
        pos = text.find("\n", pos) + 1
        if pos == 0:
            return ""
    end = text.find("\n", pos)
    return text[pos: end if end >= 0 else len(text)].rstrip("\r")[:120]


def _read_csv(path: Path, name: str) -> RawTable:
    file = str(path)
    data = _read_bytes(path, file)
    text = _decode(data, file)
    del data
    if not text.strip():
        raise DataValidationError([_problem(file, "file_empty", "the file is empty")])
    hint = _separator_hint(text[: text.find("\n") if "\n" in text else len(text)])
    if hint:
        raise DataValidationError([Problem(file, 1, None, _line(text, 1)[:80], "separator", hint)])
    try:
        # header=None: the header row fixes the number of fields, so a row with too many
        # is a ParserError (with a header, pandas would silently turn the first column
        # into an index). Blank lines are kept as rows so that line numbers stay right
        # (their number is bounded by the scan above).
        table = pd.read_csv(io.StringIO(text), header=None, dtype=str, keep_default_na=False,
                            na_filter=False, skip_blank_lines=False)
    except pd.errors.ParserError as exc:
        problem = _parser_problem(exc, file, text)
        if problem is not None:
            raise problem from None
        raise PaceError(f"cannot read {file} as CSV: {exc}") from None
    except pd.errors.EmptyDataError:
        raise DataValidationError([_problem(file, "file_empty", "the file is empty")]) from None
    header = table.iloc[0].fillna("")
    _repeated(file, [str(h).strip() for h in header])
    frame = table.iloc[1:].fillna("").reset_index(drop=True)
    del table
    frame.columns = _unique_names(header)
    # Spreadsheets often save trailing empty columns (",,," after the last name).
    blank = [c for c in frame.columns if c.split(".")[0] == "" and (frame[c] == "").all()]
    frame = frame.drop(columns=blank)
    lines = _lines_of(frame, text)
    keep = (frame != "").any(axis=1).to_numpy()
    if not keep.all():
        frame, lines = frame[keep].reset_index(drop=True), lines[keep]
    if frame.empty:
        raise DataValidationError([_problem(file, "file_empty", "the file has a header but no rows")])
    return RawTable(name, file, frame, lines)


def _repeated(file: str, names: list[str]) -> None:
    """Refuse a header naming a column twice (which of the two holds the data?)."""
    seen: dict[str, int] = {}
    problems = []
    for i, n in enumerate(names, start=1):
        if n and n in seen:
            problems.append(Problem(file, 1, n, n, "column_repeated",
                                    f"the column {n!r} appears twice in the header (fields "
                                    f"{seen[n]} and {i}); keep one"))
        seen.setdefault(n, i)
    if problems:
        raise DataValidationError(problems)


def _arrow_text(column, file: str, name: str) -> np.ndarray:
    """Values of a pyarrow column as ISO/plain text, '' for null.

    Raises
    ------
    DataValidationError
        Rule ``column_type``: the column holds lists or structures, or bytes that are not
        UTF-8 (the first bad row and its bytes are named).
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    t = column.type
    if pa.types.is_nested(t) or pa.types.is_dictionary(t) and pa.types.is_nested(t.value_type):
        raise DataValidationError([Problem(
            file, None, name, None, "column_type",
            f"the column holds {t} values; each cell must be one text or date value")])
    if pa.types.is_binary(t) or pa.types.is_large_binary(t) or pa.types.is_fixed_size_binary(t):
        values = column.to_pylist()
        for i, v in enumerate(values):
            if v is None:
                continue
            try:
                v.decode("utf-8")
            except UnicodeDecodeError:
                raise DataValidationError([Problem(
                    file, i + 2, name, v[:40].hex(" ").upper(), "column_type",
                    "bytes that are not UTF-8 text; store the column as UTF-8 strings")]) from None
        return np.asarray(["" if v is None else v.decode("utf-8") for v in values], dtype=object)
    if pa.types.is_timestamp(t):
        midnight = pc.all(pc.equal(pc.cast(pc.cast(column, pa.date32()), t), column)).as_py()
        column = pc.cast(column, pa.date32()) if midnight in (True, None) else column
    text = pc.cast(column, pa.string())
    return np.asarray(pc.fill_null(text, "").to_pylist(), dtype=object)


def _read_parquet(path: Path, name: str) -> RawTable:
    import pyarrow.parquet as pq

    file = str(path)
    try:
        meta = pq.ParquetFile(path).metadata
        size = sum(meta.row_group(i).total_byte_size for i in range(meta.num_row_groups))
        if size > MAX_TABLE_BYTES:
            raise DataValidationError([_problem(
                file, "file_too_large", f"the table holds {size:,} bytes uncompressed; at most "
                f"{MAX_TABLE_BYTES:,} are read")])
        table = pq.read_table(path)
    except DataValidationError:
        raise
    except Exception as exc:  # noqa: BLE001 - pyarrow raises several unrelated types for bad files
        raise PaceError(f"cannot read {file} as Parquet: {exc}") from None
    if table.num_rows == 0:
        raise DataValidationError([_problem(file, "file_empty", "the file has no rows")])
    _repeated(file, [str(c).strip() for c in table.column_names])
    frame = pd.DataFrame({c: _arrow_text(table.column(c), file, c) for c in table.column_names})
    return RawTable(name, file, _clean(frame), np.arange(2, table.num_rows + 2))


def _cell_text(v) -> str:
    if v is None:
        return ""
    if isinstance(v, dt.datetime):
        return v.date().isoformat() if v.time() == dt.time(0) else v.isoformat(sep=" ")
    if isinstance(v, dt.date):
        return v.isoformat()
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v)


def _read_sheet(path: Path, sheet: str) -> RawTable:
    from openpyxl import load_workbook

    file = f"{path}[{sheet}]"
    try:
        with zipfile.ZipFile(path) as z:
            size = sum(i.file_size for i in z.infolist())
        if size > MAX_TABLE_BYTES:
            raise DataValidationError([_problem(
                str(path), "file_too_large", f"the workbook expands to {size:,} bytes; at most "
                f"{MAX_TABLE_BYTES:,} are read")])
        wb = load_workbook(path, read_only=True, data_only=True)
    except DataValidationError:
        raise
    except Exception as exc:  # noqa: BLE001 - zipfile/openpyxl raise many types for a damaged workbook
        raise PaceError(f"cannot read {path} as an Excel workbook: {exc}") from None
    try:
        if sheet not in wb.sheetnames:
            raise DataValidationError([_problem(
                str(path), "file_missing",
                f"the workbook has no sheet {sheet!r} (sheets: {', '.join(wb.sheetnames)})")])
        rows, lines, header = [], [], None
        for i, row in enumerate(wb[sheet].iter_rows(values_only=True), start=1):
            cells = [_cell_text(v) for v in row]
            if not any(cells):
                continue
            if header is None:
                header = [c.strip() for c in cells]
                while header and not header[-1]:
                    header.pop()
                _repeated(file, header)
                continue
            cells = (cells + [""] * len(header))[: len(header)]
            rows.append(cells)
            lines.append(i)
    finally:
        wb.close()
    if header is None:
        raise DataValidationError([_problem(file, "file_empty", "the sheet is empty")])
    if not rows:
        raise DataValidationError([_problem(file, "file_empty", "the sheet has a header but no rows")])
    frame = pd.DataFrame(rows, columns=header, dtype=object)
    return RawTable(sheet, file, frame, np.asarray(lines, dtype=np.int64))


def _find_tables(folder: Path) -> dict[str, Path]:
    """The journeys and placements files in a dataset folder."""
    found: dict[str, Path] = {}
    problems = []
    for table in TABLES:
        hits = [folder / f"{table}{s}" for s in FORMATS.values() if (folder / f"{table}{s}").is_file()]
        if (folder / WORKBOOK).is_file():
            hits.append(folder / WORKBOOK)
        if len(hits) > 1:
            raise PaceError(
                f"{folder} holds {table} in more than one format ({', '.join(h.name for h in hits)}); "
                "keep one")
        if not hits:
            problems.append(_problem(
                str(folder / f"{table}.csv"), "file_missing",
                f"no {table} file in {folder} (expected {table}.csv, {table}.csv.gz, "
                f"{table}.parquet or {WORKBOOK})"))
        else:
            found[table] = hits[0]
    if problems:
        raise DataValidationError(problems)
    return found


def read_raw(path: str | Path) -> tuple[dict[str, RawTable], dict]:
    """Read a dataset's tables as text, and its ``dataset.yaml`` (empty dict if none).

    Raises
    ------
    DataValidationError
        A file is missing, empty or not UTF-8 (rules ``file_missing``, ``file_empty``,
        ``encoding``); every such problem in both tables is listed.
    PaceError
        The path or a file cannot be read at all.
    """
    p = Path(path)
    if not p.exists():
        raise DataValidationError([_problem(str(p), "file_missing", "no such file or folder")])
    if p.is_file():
        if p.suffix.lower() != ".xlsx":
            raise PaceError(f"{p} is a file: give the dataset folder (holding journeys and "
                            "placements files) or an .xlsx workbook")
        files = {table: p for table in TABLES}
        folder = p.parent if p.name == WORKBOOK else None
    else:
        files = _find_tables(p)
        folder = p
    tables: dict[str, RawTable] = {}
    problems: list[Problem] = []
    for table, f in files.items():
        try:
            if f.suffix.lower() == ".xlsx":
                tables[table] = _read_sheet(f, table)
            elif f.name.endswith(".parquet"):
                tables[table] = _read_parquet(f, table)
            else:
                tables[table] = _read_csv(f, table)
        except DataValidationError as exc:
            problems.extend(exc.problems)
    if problems:
        raise DataValidationError(problems)
    meta: dict = {}
    if folder is not None and (folder / META_FILE).is_file():
        meta = load_yaml(folder / META_FILE) or {}
        if not isinstance(meta, dict):
            raise PaceError(f"{folder / META_FILE} must be a mapping like 'route_set: scotland'")
        check_meta(meta, str(folder / META_FILE))
    return tables, meta


#: Keys of ``dataset.yaml`` that must hold an ISO date (dotted: inside a mapping).
META_DATES = ("window.start", "window.end", "observation_start", "start", "extract_date")


def check_meta(meta: dict, file: str) -> None:
    """Check the values of ``dataset.yaml`` that analyses read (dates, scale, route set).

    Raises
    ------
    DataValidationError
        Rule ``meta_invalid``, one problem per bad key (the key as column, the value).
    """
    problems = []

    def bad(key: str, value, message: str) -> None:
        problems.append(Problem(file, None, key, str(value)[:80], "meta_invalid", message))

    window = meta.get("window")
    if window is not None and not isinstance(window, dict):
        bad("window", window, "window must be a mapping with start and end dates")
        window = {}
    for key in META_DATES:
        head, _, tail = key.partition(".")
        value = (window or {}).get(tail) if tail else meta.get(head)
        if value in (None, ""):
            continue
        try:
            dt.date.fromisoformat(str(value))
        except ValueError:
            bad(key, value, "not a date in the form YYYY-MM-DD")
    if "scale" in meta:
        try:
            ok = float(meta["scale"]) > 0
        except (TypeError, ValueError):
            ok = False
        if not ok:
            bad("scale", meta["scale"], "scale must be a positive number")
    if "route_set" in meta and not isinstance(meta["route_set"], str):
        bad("route_set", meta["route_set"], "route_set must be a name such as 'scotland'")
    if problems:
        raise DataValidationError(problems)


def resolve_route_set(route_set: str | RouteSet | None, meta: dict | None = None) -> RouteSet:
    """The route set to use: the argument, else ``dataset.yaml``'s ``route_set``, else Scotland."""
    if isinstance(route_set, RouteSet):
        return route_set
    name = route_set or (meta or {}).get("route_set") or DEFAULT_ROUTE_SET
    return load_route_set(str(name))


def read_dataset(path: str | Path, route_set: str | RouteSet | None = None,
                 validate: bool = True) -> Dataset:
    """Read and validate a dataset.

    Parameters
    ----------
    path : str or pathlib.Path
        A dataset folder (``journeys.*`` and ``placements.*`` in any format of
        :data:`FORMATS`, optional ``dataset.yaml``) or an ``.xlsx`` workbook with sheets
        ``journeys`` and ``placements``.
    route_set : str, RouteSet or None
        Codes in force; by default the ``route_set`` of ``dataset.yaml``, else Scotland.
    validate : bool
        If False, skip the contract checks (dates that do not parse become NaT).

    Returns
    -------
    Dataset
        Dates as ``datetime64[ns]`` (NaT when empty), other columns as ``str`` with
        ``None`` when empty; ``warnings`` holds validation warnings.

    Raises
    ------
    DataValidationError
        The data break the contract; ``problems`` lists every problem (file, row,
        column, value, rule).
    PaceError
        The path cannot be read.
    """
    tables, meta = read_raw(path)
    rs = resolve_route_set(route_set, meta)
    if validate:
        journeys, placements, problems = validation.validate_raw(
            tables["journeys"], tables["placements"], rs)
        errors = [p for p in problems if p.severity == "error"]
        if errors:
            raise DataValidationError(problems, summary=f"{len(errors)} error(s) in {path}")
        warnings = problems
    else:
        journeys = validation.parse_table(tables["journeys"].frame, "journeys")
        placements = validation.parse_table(tables["placements"].frame, "placements")
        warnings = []
    meta = {k: v for k, v in meta.items() if k != "route_set"}
    return Dataset(journeys, placements, rs, Path(path), meta, warnings)
