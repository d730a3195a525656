"""Validation: check journeys and placements against the data contract.

Every rule of :data:`pace_analysis.schema.RULES` is applied here and *every* problem is
reported, each with file, row (line as seen in an editor, header = 1), column, the
value as written, the rule id and a plain-language message. Errors make the data
unusable; warnings (suspicious but possible) are reported and the data are kept.

Checks on single values (required, allowed codes, council names, unique journey ids)
run through a pandera ``DataFrameSchema`` built from :mod:`pace_analysis.schema`, with
``lazy=True`` so that all failures come back at once. Presence of columns is checked
here before pandera runs, because pandera would stop at a missing column without
checking the rest and could not tell a contract column apart from an unknown one.
Dates and rules that compare several fields (or two tables) are vectorised pandas:
pandera's wide checks report whole rows, not the one column and value a person has
to fix. The rules comparing fields live in :mod:`pace_analysis.crosschecks`.

``pace validate PATH`` is the command-line front end, in :mod:`pace_analysis.validate_cli`
(this module never imports :mod:`pace_analysis.io`, which imports it).
"""

from __future__ import annotations

import datetime as dt
import difflib
from collections.abc import Callable

import numpy as np
import pandas as pd

from pace_analysis.authorities import AUTHORITY_NAMES
from pace_analysis.crosschecks import check_journeys, check_placements
from pace_analysis.errors import Problem
from pace_analysis.problems import Problems
from pace_analysis.rawtable import RawTable, text_frame
from pace_analysis.routes import RouteSet
from pace_analysis.schema import TABLES, Column

_EARLIEST = pd.Timestamp("1900-01-01")
_ISO = r"\d{4}-\d{2}-\d{2}"
_DMY = r"\d{1,2}[/.-]\d{1,2}[/.-]\d{4}"


# --------------------------------------------------------------------------- helpers


def _allowed(col: Column, route_set: RouteSet) -> tuple[str, ...] | None:
    if col.allowed is None or col.allowed == "authorities":
        return None
    if isinstance(col.allowed, tuple):
        return col.allowed
    return tuple(getattr(route_set, col.allowed))


def _suggest(value: str, choices: tuple[str, ...]) -> str:
    folded = {c.casefold(): c for c in choices}
    hit = folded.get(value.strip().casefold())
    close = [hit] if hit else difflib.get_close_matches(value, choices, n=2, cutoff=0.6)
    return f" Did you mean {' or '.join(repr(c) for c in close)}?" if close else ""


def _date_message(value: str) -> str:
    v = value.strip()
    if pd.Series([v]).str.fullmatch(_ISO).iloc[0]:
        try:
            dt.date.fromisoformat(v)
        except ValueError:
            return f"{v} is not a real calendar date."
        return (f"{v} is a real date, but year {v[:4]} is beyond the dates pace handles "
                "(1900 to 2262); is the year mistyped?")
    if pd.Series([v]).str.fullmatch(_DMY).iloc[0]:
        return ("dates must be written YYYY-MM-DD (this looks like day/month/year; "
                "in Excel format the column as yyyy-mm-dd).")
    return "not a date in the form YYYY-MM-DD."


def _per_value(s: pd.Series, func: Callable[[pd.Series], pd.Series]) -> pd.Series:
    """Apply *func* to the distinct values of *s* only (dates and codes repeat a lot)."""
    codes, uniques = pd.factorize(s.to_numpy(dtype=object))
    result = func(pd.Series(uniques, dtype=object))
    return pd.Series(result.to_numpy()[codes], index=s.index, dtype=result.dtype)


def strip(s: pd.Series) -> pd.Series:
    """Text with surrounding white space removed (computed once per distinct value)."""
    return _per_value(s.astype(str), lambda u: u.str.strip().astype(object))


def parse_dates(text: pd.Series) -> tuple[pd.Series, np.ndarray]:
    """Parse ISO dates; return the dates (NaT when empty or bad) and a bad-value mask."""

    def parse(u: pd.Series) -> pd.Series:
        u = u.str.strip()
        iso = u.str.fullmatch(_ISO).to_numpy(dtype=bool)
        return pd.to_datetime(u.where(iso), format="%Y-%m-%d", errors="coerce")

    dates = _per_value(text, parse).astype("datetime64[ns]")
    bad = dates.isna().to_numpy() & (strip(text) != "").to_numpy()
    return dates, bad


def parse_table(frame: pd.DataFrame, table: str,
                dates: dict[str, pd.Series] | None = None) -> pd.DataFrame:
    """Typed copy of a text table: contract columns only, dates parsed, '' as None.

    *dates* may hold date columns already parsed by :func:`parse_dates`.
    """
    out = {}
    for col in TABLES[table]:
        if col.name not in frame.columns:
            continue
        if col.kind == "date":
            out[col.name] = (dates or {}).get(col.name)
            if out[col.name] is None:
                out[col.name] = parse_dates(frame[col.name].astype(str))[0]
        else:
            s = strip(frame[col.name])
            out[col.name] = s.where(s != "", None)
    return pd.DataFrame(out, index=pd.RangeIndex(len(frame)))


def _pandera_schema(table: str, present: list[str], route_set: RouteSet):
    """pandera schema for the single-value rules of *table*'s present columns."""
    import pandera.pandas as pa

    columns = {}
    for col in TABLES[table]:
        if col.name not in present:
            continue
        checks = []
        if col.required:
            checks.append(pa.Check(lambda s: s != "", name="required"))
        allowed = _allowed(col, route_set)
        if allowed is not None:
            checks.append(pa.Check(lambda s, a=allowed: (s == "") | s.isin(a), name="code_unknown"))
        elif col.allowed == "authorities" and route_set.authorities == "scotland":
            checks.append(pa.Check(lambda s: (s == "") | s.isin(AUTHORITY_NAMES),
                                   name="authority_unknown"))
        unique = table == "journeys" and col.name == "journey_id"
        # dtype None: every value is text already, and pandera's str check visits each one.
        columns[col.name] = pa.Column(None, checks=checks, unique=unique,
                                      report_duplicates="exclude_first", nullable=False)
    return pa.DataFrameSchema(columns, strict=False, coerce=False)


def _single_value_rules(text: pd.DataFrame, raw: pd.DataFrame, table: str, file: str,
                        lines: np.ndarray, route_set: RouteSet, out: Problems) -> None:
    import pandera.errors

    schema = _pandera_schema(table, list(text.columns), route_set)
    try:
        schema.validate(text, lazy=True)
        return
    except pandera.errors.SchemaErrors as exc:
        cases = exc.failure_cases
    cases = cases[cases["index"].notna()]
    by_col = {c.name: c for c in TABLES[table]}
    for (column, check), grp in cases.groupby(["column", "check"], sort=False):
        idx = grp["index"].to_numpy(dtype=np.int64)
        values = raw[column].to_numpy(dtype=object)[idx]
        rows = lines[idx]
        col = by_col[column]
        if check == "required":
            out.add_many(file, "required", rows, column, values,
                         f"{column} is required and must not be empty.")
        elif check == "field_uniqueness":
            keep = text[column].to_numpy(dtype=object)[idx] != ""
            idx, rows, values = idx[keep], rows[keep], values[keep]
            ids = text[column]
            first_line = pd.Series(lines, index=ids.to_numpy()).groupby(level=0).first()
            counts = ids.value_counts()
            msgs = [f"journey_id {v!r} appears {counts[v]} times (first on row {first_line[v]})."
                    for v in ids.to_numpy(dtype=object)[idx]]
            out.add_many(file, "duplicate_id", rows, column, values, msgs)
        elif check == "authority_unknown":
            memo: dict[str, str] = {}
            msgs = [memo.setdefault(v, "not one of the 32 Scottish councils (official names, "
                                    "e.g. 'Glasgow City')." + _suggest(v, AUTHORITY_NAMES))
                    for v in values]
            out.add_many(file, "authority_unknown", rows, column, values, msgs)
        elif check == "code_unknown":
            allowed = _allowed(col, route_set) or ()
            memo = {}
            msgs = [memo.setdefault(v, f"not an allowed {column}; allowed: {', '.join(allowed)}."
                                    + _suggest(v, allowed)) for v in values]
            out.add_many(file, "code_unknown", rows, column, values, msgs)
        else:  # pragma: no cover - a check name this module did not define
            raise AssertionError(f"unexpected pandera check {check!r}")


def _header(frame: pd.DataFrame, table: str, file: str, out: Problems) -> None:
    names = [c.name for c in TABLES[table]]
    for name in names:
        if name not in frame.columns:
            required = next(c for c in TABLES[table] if c.name == name).required
            kind = "" if required else (" (it is optional: its values may be empty, but the "
                                        "column must be in the header)")
            close = difflib.get_close_matches(name, [str(c) for c in frame.columns], n=1)
            hint = f" Is {close[0]!r} meant to be {name!r}?" if close else ""
            out.add(file, "column_missing", f"the column {name!r} is missing{kind}.{hint}",
                    row=1, column=name)
    for name in frame.columns:
        if name not in names:
            out.add(file, "column_unknown", "not a column of the data contract; ignored.",
                    row=1, column=str(name), value=str(name))


def _dates(text: pd.DataFrame, raw: pd.DataFrame, table: str, file: str, lines: np.ndarray,
           out: Problems) -> dict[str, pd.Series]:
    """Parse every date column present, reporting date_parse and dates before 1900."""
    parsed: dict[str, pd.Series] = {}
    for col in TABLES[table]:
        if col.kind != "date" or col.name not in text.columns:
            continue
        dates, bad = parse_dates(text[col.name])
        if bad.any():
            values = raw[col.name].to_numpy(dtype=object)[bad]
            out.add_many(file, "date_parse", lines[bad], col.name, values,
                         [_date_message(v) for v in values])
        early = (dates < _EARLIEST).to_numpy()
        if early.any():
            out.add_many(file, "date_range", lines[early], col.name,
                         raw[col.name].to_numpy(dtype=object)[early],
                         "date is before 1900-01-01.")
        parsed[col.name] = dates
    return parsed


# --------------------------------------------------------------------------- entry points


def validate_raw(journeys, placements, route_set: RouteSet
                 ) -> tuple[pd.DataFrame, pd.DataFrame, list[Problem]]:
    """Validate two text tables (:class:`pace_analysis.io.RawTable`).

    Parameters
    ----------
    journeys, placements : RawTable
        Tables as read by :func:`pace_analysis.io.read_raw` (every value text).
    route_set : RouteSet
        Codes in force and whether authority names are checked.

    Returns
    -------
    journeys, placements : pandas.DataFrame
        Typed tables (dates parsed, ``None`` for empty text); meaningful only when
        there are no errors.
    problems : list of Problem
        Errors first, then warnings, each in file and row order.
    """
    out = Problems()
    texts, parsed_dates = {}, {}
    for t in (journeys, placements):
        raw = t.frame.reset_index(drop=True)
        _header(raw, t.name, t.file, out)
        names = [c.name for c in TABLES[t.name] if c.name in raw.columns]
        text = pd.DataFrame({c: strip(raw[c]) for c in names}, index=raw.index)
        t.frame = raw
        _single_value_rules(text, raw, t.name, t.file, t.lines, route_set, out)
        parsed_dates[t.name] = _dates(text, raw, t.name, t.file, t.lines, out)
        texts[t.name] = text
    leaves = tuple(r.code for r in route_set.routes if r.leaves_care)
    check_journeys(texts["journeys"], journeys.frame, parsed_dates["journeys"], journeys.file,
                   journeys.lines, out, leaves_care=leaves)
    check_placements(texts["placements"], placements.frame, parsed_dates["placements"],
                     placements.file, placements.lines, texts["journeys"],
                     parsed_dates["journeys"], out)
    problems = out.sorted([journeys.file, placements.file])
    typed = []
    for t in (journeys, placements):
        typed.append(parse_table(texts[t.name], t.name, parsed_dates[t.name]))
    return typed[0], typed[1], problems


def validate_dataset(dataset) -> list[Problem]:
    """Validate an in-memory :class:`~pace_analysis.dataset.Dataset` (e.g. synthetic output).

    The frames are written to text exactly as :func:`pace_analysis.io.write_dataset`
    would write them; rows are numbered as in such a CSV file (first row = 2).
    """
    tables = []
    for name in TABLES:
        text = text_frame(getattr(dataset, name), name)
        tables.append(RawTable(name, f"{name} (in memory)", text, np.arange(2, len(text) + 2)))
    return validate_raw(tables[0], tables[1], dataset.route_set)[2]
