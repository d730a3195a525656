"""Read and check the raw files of England's SSDA903 return (Header and Episodes CSVs).

The file layer of :func:`pace_analysis.importers.ssda903.import_ssda903`: the code lists
per return year and their mappings (``ssda903_codes.yaml`` beside this module, loaded by
:func:`load_codes`), return years (:func:`normalise_year`, :func:`year_bounds`), and
reading one Header or Episodes file: encodings and columns (through
:func:`~pace_analysis.importers.rejects.read_text_table`), dd/mm/yyyy dates, and codes
checked against the list of the file's return year. Rows that fail a check go to the
reject log; the rows returned are the ones that passed.

Building periods of care, journeys and placements from the checked episodes is in
:mod:`pace_analysis.importers.ssda903`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import numpy as np
import pandas as pd

from pace_analysis.errors import PaceError
from pace_analysis.importers.rejects import (
    ImportFatalError,
    RawTable,
    RejectLog,
    check_not_swapped,
    known_codes,
    parse_dates,
    read_text_table,
)
from pace_analysis.yamlfile import load_yaml, parse_yaml

HEADER_REQUIRED = ("CHILD", "SEX", "DOB")
HEADER_OPTIONAL = ("ETHNIC", "UPN", "MOTHER", "MC_DOB")
EPISODE_REQUIRED = ("CHILD", "DECOM", "RNE", "LS", "PLACE", "DEC", "REC")
EPISODE_OPTIONAL = ("CIN", "PLACE_PROVIDER", "REASON_PLACE_CHANGE", "HOME_POST", "PL_POST", "URN")
CODED = ("RNE", "LS", "PLACE", "REC")
DATE_FORMAT = "%d/%m/%Y"
SEX_CODES = {"1": "male", "2": "female"}

EARLIEST_DOB = pd.Timestamp("1900-01-01")
_YEAR = re.compile(r"(?<!\d)((?:19|20)\d\d)\s*[-_/]?\s*(\d\d)(?!\d)")


# --------------------------------------------------------------------------- code lists


@dataclass(frozen=True)
class Codes903:
    """Code lists per return year and the mappings onto the contract.

    Attributes
    ----------
    years : dict
        ``{"2022/23": {"RNE": frozenset, "LS": ..., "PLACE": ..., "REC": ...}, ...}``.
    reason_ended : dict
        REC code -> ``{"route": code}``, ``{"exit": reason}`` or ``{"continues": True}``.
    placement_type : dict
        PLACE code -> placement type; ``placement_default`` for the rest.
    legal_basis : dict
        LS code -> legal basis; ``legal_default`` for the rest.
    """

    years: dict
    reason_ended: dict
    placement_type: dict
    placement_default: str
    legal_basis: dict
    legal_default: str
    at_home_places: frozenset
    short_breaks: frozenset
    new_placement_rne: frozenset

    def for_year(self, year: str, older_as: str | None = None) -> dict:
        """Code lists of a return year (``older_as``: a listed year to use for unlisted ones)."""
        if year in self.years:
            return self.years[year]
        if older_as is not None:
            return self.for_year(normalise_year(older_as))
        raise ImportFatalError(
            f"no SSDA903 code list for return year {year} (known: {', '.join(self.years)}); "
            "add it to ssda903_codes.yaml, pass --codes FILE, or --older-years-as YEAR"
        )

    def for_start(self, start: int, older_as: str | None = None) -> tuple[dict, str | None]:
        """Code lists for the return year starting in *start* (e.g. 2016 for 2016/17).

        A year the lists do not cover takes *older_as*'s lists if given, else the nearest
        listed year (the earliest for older years, the latest for newer ones); the second
        value then names the year used, for a note.
        """
        label = f"{start}/{(start + 1) % 100:02d}"
        if label in self.years:
            return self.years[label], None
        if older_as is not None:
            used = normalise_year(older_as)
            return self.for_year(used), used
        listed = sorted(self.years)
        used = listed[0] if label < listed[0] else listed[-1]
        return self.years[used], used

    def year_of_code(self, column: str, code: str) -> list[str]:
        """Return years whose list for ``column`` holds ``code``."""
        return [y for y, lists in self.years.items() if code in lists[column]]


def normalise_year(text: str) -> str:
    """``"2022/23"``, ``"2022-23"``, ``"2022_23"`` or ``"202223"`` -> ``"2022/23"``."""
    m = _YEAR.search(str(text))
    if not m or (int(m.group(1)) + 1) % 100 != int(m.group(2)):
        raise PaceError(f"not a return year: {text!r} (write it as 2022/23)")
    return f"{m.group(1)}/{m.group(2)}"


def year_bounds(year: str) -> tuple[pd.Timestamp, pd.Timestamp]:
    """First and last day (1 April, 31 March) of a return year."""
    start = int(year[:4])
    return pd.Timestamp(start, 4, 1), pd.Timestamp(start + 1, 3, 31)


def load_codes(path: str | Path | None = None) -> Codes903:
    """Load the code lists (bundled ``ssda903_codes.yaml`` unless ``path`` is given)."""
    if path is None:
        text = resources.files("pace_analysis.importers").joinpath("ssda903_codes.yaml").read_text(
            encoding="utf-8")
    else:
        text = None
    data = (parse_yaml(text, "bundled ssda903_codes.yaml") if text is not None
            else load_yaml(path, f"code list {path}"))
    try:
        if not isinstance(data, dict):
            raise TypeError("the file must be a mapping with a 'years' key")
        years: dict[str, dict] = {}
        for name, spec in data["years"].items():
            y = normalise_year(name)
            lists = ({k: set(v) for k, v in years[normalise_year(spec["base"])].items()}
                     if "base" in spec else {})
            for col in CODED:
                if col in spec:
                    lists[col] = {str(c) for c in spec[col]}
            for col, codes in (spec.get("add") or {}).items():
                lists[col] |= {str(c) for c in codes}
            for col, codes in (spec.get("drop") or {}).items():
                lists[col] -= {str(c) for c in codes}
            missing = [c for c in CODED if c not in lists]
            if missing:
                raise PaceError(f"code list {path or 'bundled'}: year {y} lacks {missing}")
            years[y] = {k: frozenset(v) for k, v in lists.items()}
        return Codes903(
            years=years,
            reason_ended={str(k): dict(v) for k, v in data["reason_ended"].items()},
            placement_type={str(k): str(v) for k, v in data["placement_type"]["codes"].items()},
            placement_default=str(data["placement_type"]["default"]),
            legal_basis={str(k): str(v) for k, v in data["legal_basis"]["codes"].items()},
            legal_default=str(data["legal_basis"]["default"]),
            at_home_places=frozenset(data["at_home_places"]),
            short_breaks=frozenset(data["short_breaks"]),
            new_placement_rne=frozenset(data["new_placement_rne"]),
        )
    except (KeyError, TypeError, AttributeError, ValueError) as exc:
        raise PaceError(f"code list {path or 'bundled'} is malformed: "
                        f"{type(exc).__name__} {exc}") from exc


# --------------------------------------------------------------------------- dates

#: ``dd/mm/yy``: a date whose year has two digits (seen in some case-system extracts).
_TWO_DIGIT = re.compile(r"^\s*(\d{1,2})/(\d{1,2})/(\d\d)\s*$")
#: A two-digit year is read as 19yy only if that is at most this many years before the pivot.
CENTURY_SPAN = 30


def pivot_year(*dates: pd.Series, year: str | None = None) -> int | None:
    """The pivot of the century rule: one year after the latest four-digit date.

    ``year`` (a return year named by ``--year`` or the file name) counts as a date on its
    31 March. None when there is no four-digit date and no year to anchor the century.
    """
    latest = [int(d.max().year) for d in dates if d.notna().any()]
    if year:
        latest.append(int(year[:4]) + 1)
    return max(latest) + 1 if latest else None


def _two_digit_years(values: pd.Series, dates: pd.Series, bad: pd.Series,
                     pivot: int | None) -> tuple[pd.Series, pd.Series, pd.Series, pd.Series]:
    """Read ``dd/mm/yy`` values by the century rule (docs/importers.md, "Two-digit years").

    ``yy`` is 20yy when that is not after ``pivot``, else 19yy when that is at most
    :data:`CENTURY_SPAN` years before it. Otherwise (or with no pivot) the value cannot be
    placed in a century: it stays bad and is flagged in the third result.

    Returns
    -------
    dates, bad : pandas.Series
        Updated; two-digit values read are no longer bad.
    unplaced : pandas.Series of bool
        Two-digit values that could not be placed (rule ``date_century``).
    read19 : pandas.Series of bool
        Two-digit values read as 19yy.
    """
    none = pd.Series(False, index=values.index)
    if not bad.any():
        return dates, bad, none, none
    codes, uniques = pd.factorize(values[bad], use_na_sentinel=False)
    parts = pd.Series(np.asarray(uniques, dtype=object), dtype=object).str.extract(_TWO_DIGIT)
    two = parts[2].notna().to_numpy()
    if not two.any():
        return dates, bad, none, none
    yy = parts[2].astype("float64")
    full = 2000 + yy
    if pivot is None:
        year = pd.Series(np.nan, index=yy.index)
    else:
        year = full.where(full <= pivot, 1900 + yy)
        year = year.where(year >= pivot - CENTURY_SPAN)
    text = parts[0] + "/" + parts[1] + "/" + year.astype("Int64").astype(str)
    parsed = pd.to_datetime(text.where(year.notna()), format=DATE_FORMAT, errors="coerce")
    u_unplaced = two & year.isna().to_numpy()
    u_read19 = two & (year < 2000).to_numpy() & parsed.notna().to_numpy()
    where = bad[bad].index
    got = parsed.to_numpy(dtype="datetime64[ns]")[codes]
    ok = ~pd.isna(got)
    dates = dates.copy()
    dates.loc[where[ok]] = got[ok]
    bad = bad.copy()
    bad.loc[where[ok]] = False
    unplaced, read19 = none.copy(), none.copy()
    unplaced.loc[where] = u_unplaced[codes]
    read19.loc[where] = u_read19[codes]
    return dates, bad, unplaced, read19


def _date_checks(t: RawTable, log: RejectLog, col: str, required: bool,
                 notes: list[str], pivot: int | None,
                 parsed: tuple | None = None) -> tuple[pd.Series, pd.Series]:
    """Parse a dd/mm/yyyy column; reject bad values; fatal if the column is evidently not dates.

    ``dd/mm/yy`` values are read by the century rule around ``pivot``
    (:func:`pivot_year`); one that cannot be placed is rejected (``date_century``).
    """
    f = t.frame
    dates, bad, n_serial = parsed if parsed is not None else parse_dates(f[col], DATE_FORMAT)
    n_bad = int(bad.sum())
    dates, bad, unplaced, read19 = _two_digit_years(f[col], dates, bad, pivot)
    n_two = n_bad - int(bad.sum())
    check_not_swapped(t, col, bad & ~unplaced, "dates dd/mm/yyyy")
    if n_serial:
        notes.append(f"{t.path}: {n_serial} Excel serial number(s) in {col} read as dates")
    if n_two:
        notes.append(f"{t.path}: {n_two} date(s) in {col} with a two-digit year (dd/mm/yy) read "
                     f"by the century rule around {pivot} ({int(read19.sum())} as 19yy)")
    log.add(f[unplaced], col, "date_century",
            "two-digit year that cannot be placed: " + (
                f"20yy would be after {pivot} and 19yy more than {CENTURY_SPAN} years before it"
                if pivot is not None else
                "the file has no four-digit date to anchor the century (pass --year)")
            + "; write the year in four digits")
    log.add(f[bad & ~unplaced], col, "date_format", "not a date in the form dd/mm/yyyy")
    wrong = bad.copy()
    if required:
        empty = f[col] == ""
        log.add(f[empty], col, "required", f"{col} is empty")
        wrong |= empty
    return dates, wrong


# --------------------------------------------------------------------------- reading files


def _read_header(path: str, rank: int, log: RejectLog, notes: list[str],
                 pivot: int | None = None) -> pd.DataFrame:
    t = read_text_table(path, HEADER_REQUIRED, ())
    notes += [f"{t.path}: {n}" for n in t.notes]
    f = t.frame
    dob, bad = _date_checks(t, log, "DOB", True, notes, pivot)
    f["SEX"], sex_ok = known_codes(f["SEX"], SEX_CODES)
    sex_bad = ~sex_ok
    check_not_swapped(t, "SEX", sex_bad, "sex codes 1 or 2")
    log.add(f[sex_bad], "SEX", "code_unknown", "SEX must be 1 (male) or 2 (female)")
    no_child = f["CHILD"] == ""
    log.add(f[no_child], "CHILD", "required", "CHILD is empty")
    # The journey contract takes dates from 1900 on (rule date_range): an older DOB is a typo.
    early = (dob < EARLIEST_DOB).to_numpy()
    log.add(f[early], "DOB", "date_range", f"DOB is before {EARLIEST_DOB:%d/%m/%Y}")
    m = _YEAR.search(Path(path).name)
    return pd.DataFrame({
        "CHILD": f["CHILD"], "sex": f["SEX"].map(SEX_CODES).astype(object), "dob": dob,
        "ok": ~(bad | sex_bad | no_child | early), "_rank": (m.group(1) if m else "") + f"{rank:04d}",
        "_file": f["_file"], "_line": f["_line"],
    })


def _code_reasons(values: pd.Series, col: str, year: str, codes: Codes903) -> pd.Series:
    """Reason text per unknown code (built once per distinct value, then mapped)."""
    text = {}
    for v in values.unique():
        valid_in = codes.year_of_code(col, v)
        text[v] = (f"{col} code {v!r} is not valid in return year {year}"
                   + (f" (valid in {', '.join(valid_in)})" if valid_in else ""))
    return values.map(text).astype(object)


#: In a multi-year file, trailing months holding fewer than this share of the median
#: month's dates are stray dates (typos, a few dates past the year end), not months of the
#: extract: they do not move its last return year, and rows dated in them are rejected.
STRAY_SHARE = 0.1


def _last_year(dates: pd.Series) -> int:
    """Return year of the last month holding at least :data:`STRAY_SHARE` of the median
    month's dates (so a few stray later dates cannot move it)."""
    counts = dates.dt.to_period("M").value_counts().sort_index()
    held = counts[counts >= max(1.0, STRAY_SHARE * float(counts.median()))]
    last = held.index.max()
    return int(last.year - (last.month < 4))


def _read_episodes(path: str, year: str | None, codes: Codes903, older_as: str | None,
                   log: RejectLog, notes: list[str], n_read: dict
                   ) -> tuple[pd.DataFrame, str, str, int | None]:
    t = read_text_table(path, EPISODE_REQUIRED, ())
    n_read[t.path] = len(t.frame)
    notes += [f"{t.path}: {n}" for n in t.notes]
    f = t.frame
    yr = normalise_year(year) if year else _year_in_name(path)
    first_pass = [parse_dates(f[c], DATE_FORMAT) for c in ("DECOM", "DEC")]
    pivot = pivot_year(first_pass[0][0], first_pass[1][0], year=yr)
    decom, bad = _date_checks(t, log, "DECOM", True, notes, pivot, first_pass[0])
    dec, bad_dec = _date_checks(t, log, "DEC", False, notes, pivot, first_pass[1])
    bad = bad | bad_dec
    # DECOM and DEC both dates but swapped: most rows would end before they start.
    both = decom.notna() & dec.notna()
    if both.sum() >= 5 and (dec[both] < decom[both]).mean() > 0.5:
        raise ImportFatalError(f"{t.path}: DEC is before DECOM on {(dec[both] < decom[both]).sum()}"
                               f" of {both.sum()} rows: are the DECOM and DEC columns swapped?")
    # Each episode is checked against the list of the return year its own date falls in:
    # DECOM for RNE, LS and PLACE, DEC (else DECOM) for REC.
    y_start = _start_year(decom)
    y_end = _start_year(dec).where(dec.notna(), y_start)
    if yr is None:  # a multi-year extract (an authority's own case system)
        dated = pd.concat([decom, dec]).dropna()
        if dated.empty:
            raise ImportFatalError(
                f"{path}: no valid DECOM or DEC date, so its return years cannot be told (dates "
                "with two-digit years need one four-digit date to fix their century): pass "
                "--year YYYY/YY")
        # The extract is complete from the return year of its earliest end date: periods
        # that began before then are late entries (or of unknown start without RNE S).
        # It runs to the return year of its last month that is not a few stray dates.
        ended = _start_year(dec).dropna()
        lo = int(ended.min()) if len(ended) else int(_start_year(dated).min())
        hi = max(_last_year(dated), lo)
        first_yr, yr = f"{lo}/{(lo + 1) % 100:02d}", f"{hi}/{(hi + 1) % 100:02d}"
        n_stray = int(((decom > year_bounds(yr)[1]) | (dec > year_bounds(yr)[1])).sum())
        notes.append(f"{t.path}: episodes from return years {first_yr} to {yr} (one multi-year "
                     "file; each episode checked against its own year's code list)"
                     + (f"; {n_stray} row(s) with a stray date after {yr} (in months holding "
                        f"under {STRAY_SHARE:.0%} of a typical month's dates) rejected "
                        "(outside_year)" if n_stray else ""))
    else:
        first_yr = yr
    substituted: set[str] = set()
    for col in CODED:
        by_year = y_end if col == "REC" else y_start
        allowed_any = frozenset().union(*(lst[col] for lst in codes.years.values()))
        s, _ = known_codes(f[col], allowed_any | _lists_for(codes, yr, older_as)[col])
        known = pd.Series(False, index=f.index)
        for y in by_year.dropna().unique():
            lists, used = codes.for_start(int(y), older_as)
            if used:
                substituted.add(f"{int(y)}/{(int(y) + 1) % 100:02d} -> {used}")
            rows = (by_year == y).to_numpy()
            known[rows] = s[rows].isin(list(lists[col])).to_numpy()
        undated = by_year.isna().to_numpy()
        if undated.any():
            known[undated] = s[undated].isin(list(_lists_for(codes, yr, older_as)[col])).to_numpy()
        f[col] = s
        filled = s != ""
        unknown = filled & ~known
        if unknown.any():
            any_year = frozenset().union(*(y[col] for y in codes.years.values()))
            check_not_swapped(t, col, unknown & ~s.isin(list(any_year)), f"{col} codes")
        if unknown.any():
            log.add(f[unknown], col, "code_unknown", _code_reasons(s[unknown], col, yr, codes))
        if col != "REC":
            log.add(f[~filled], col, "required", f"{col} is empty")
            unknown |= ~filled
        bad |= unknown
    order = dec < decom
    log.add(f[order], "DEC", "end_before_start", "DEC is before DECOM")
    first, last = year_bounds(first_yr)[0], year_bounds(yr)[1]
    after = (decom > last) | (dec > last)
    log.add(f[after], "DEC", "outside_year",
            f"a date is after the end of return year {yr} ({last:%d/%m/%Y})")
    before = dec < first
    log.add(f[before], "DEC", "outside_year",
            f"episode ended before return year {first_yr} began ({first:%d/%m/%Y})")
    if substituted:
        notes.append(f"{t.path}: no code list for return year(s) "
                     f"{', '.join(sorted(substituted))} used instead")
    no_child = f["CHILD"] == ""
    log.add(f[no_child], "CHILD", "required", "CHILD is empty")
    bad |= order | after | before | no_child
    # DEC and REC must both be set or both be blank (DfE). A row with only one of them is
    # kept as an open episode (docs/importers.md, "DEC or REC missing"): REC X1 without DEC
    # says care continues, so the episode stays open to the extract date; another REC
    # without DEC says the child left on an unknown day, so the child is followed up to the
    # episode's DECOM and censored there; DEC without REC, to the DEC. Rows already rejected
    # for another reason are not kept.
    no_dec = (f["DEC"] == "") & (f["REC"] != "") & ~bad
    x1_open = no_dec & (f["REC"] == "X1")
    no_dec &= ~x1_open
    no_rec = dec.notna() & (f["REC"] == "") & ~bad
    cut = pd.Series(pd.NaT, index=f.index, dtype="datetime64[ns]")
    cut[no_dec] = decom[no_dec]
    cut[no_rec] = dec[no_rec]
    log.add(f[x1_open], "REC", "end_incomplete",
            "REC is 'X1' but DEC is blank (DfE: both set or both blank): X1 says care "
            "continues, so the episode is read as open")
    log.add(f[no_dec], "REC", "end_incomplete",
            "REC is " + f.loc[no_dec, "REC"].map(repr).astype(object)
            + " but DEC is blank (DfE: both set or both blank): the day the child left is "
            "unknown, so the child is followed up to this episode's DECOM " + decom[no_dec].dt.strftime(
                "%d/%m/%Y").astype(object) + " and censored there")
    log.add(f[no_rec], "DEC", "end_incomplete",
            "DEC is set but REC is blank (DfE: both set or both blank): why the episode ended "
            "is unknown, so the child is followed up to its DEC and censored there")
    no_dec |= x1_open
    rec = f["REC"]
    if (no_dec | no_rec).any():
        rec = rec.astype(object).where(~(no_dec | no_rec), "").astype(rec.dtype.name
                                                                     if rec.dtype == object
                                                                     else "category")
    dec = dec.where(~no_rec)
    out = pd.DataFrame({
        "CHILD": f["CHILD"], "DECOM": decom, "DEC": dec, "RNE": f["RNE"], "LS": f["LS"],
        "PLACE": f["PLACE"], "REC": rec, "_cut": cut, "_year": int(yr[:4]), "_file": f["_file"],
        "_line": f["_line"],
    })
    return out[~bad.to_numpy()], yr, first_yr, pivot


def _start_year(d: pd.Series) -> pd.Series:
    """Return year (its first calendar year) of each date; NaN where there is no date."""
    return (d.dt.year - (d.dt.month < 4)).astype("float64")


def _lists_for(codes: Codes903, yr: str, older_as: str | None) -> dict:
    return codes.for_start(int(yr[:4]), older_as)[0]


def _year_in_name(path: str) -> str | None:
    """The return year in a file name (``episodes_2022_23.csv``), or None."""
    m = _YEAR.search(Path(path).name)
    if m and (int(m.group(1)) + 1) % 100 == int(m.group(2)):
        return f"{m.group(1)}/{m.group(2)}"
    return None
