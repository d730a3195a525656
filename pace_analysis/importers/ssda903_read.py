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


def _date_checks(t: RawTable, log: RejectLog, col: str, required: bool,
                 notes: list[str]) -> tuple[pd.Series, pd.Series]:
    """Parse a dd/mm/yyyy column; reject bad values; fatal if the column is evidently not dates."""
    f = t.frame
    dates, bad, n_serial = parse_dates(f[col], DATE_FORMAT)
    check_not_swapped(t, col, bad, "dates dd/mm/yyyy")
    if n_serial:
        notes.append(f"{t.path}: {n_serial} Excel serial number(s) in {col} read as dates")
    log.add(f[bad], col, "date_format", "not a date in the form dd/mm/yyyy")
    wrong = bad.copy()
    if required:
        empty = f[col] == ""
        log.add(f[empty], col, "required", f"{col} is empty")
        wrong |= empty
    return dates, wrong


# --------------------------------------------------------------------------- reading files


def _read_header(path: str, rank: int, log: RejectLog, notes: list[str]) -> pd.DataFrame:
    t = read_text_table(path, HEADER_REQUIRED, ())
    notes += [f"{t.path}: {n}" for n in t.notes]
    f = t.frame
    dob, bad = _date_checks(t, log, "DOB", True, notes)
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


def _read_episodes(path: str, year: str | None, codes: Codes903, older_as: str | None,
                   log: RejectLog, notes: list[str], n_read: dict) -> tuple[pd.DataFrame, str]:
    t = read_text_table(path, EPISODE_REQUIRED, ())
    n_read[t.path] = len(t.frame)
    notes += [f"{t.path}: {n}" for n in t.notes]
    f = t.frame
    decom, bad = _date_checks(t, log, "DECOM", True, notes)
    dec, bad_dec = _date_checks(t, log, "DEC", False, notes)
    bad = bad | bad_dec
    # DECOM and DEC both dates but swapped: most rows would end before they start.
    both = decom.notna() & dec.notna()
    if both.sum() >= 5 and (dec[both] < decom[both]).mean() > 0.5:
        raise ImportFatalError(f"{t.path}: DEC is before DECOM on {(dec[both] < decom[both]).sum()}"
                               f" of {both.sum()} rows: are the DECOM and DEC columns swapped?")
    yr = normalise_year(year) if year else _year_in_name(path)
    # Each episode is checked against the list of the return year its own date falls in:
    # DECOM for RNE, LS and PLACE, DEC (else DECOM) for REC.
    y_start = _start_year(decom)
    y_end = _start_year(dec).where(dec.notna(), y_start)
    if yr is None:  # a multi-year extract (an authority's own case system)
        years_seen = pd.concat([y_start, y_end]).dropna()
        if years_seen.empty:
            raise ImportFatalError(f"{path}: no valid DECOM or DEC date; cannot tell its years")
        # The extract is complete from the return year of its earliest end date: periods
        # that began before then are late entries (or of unknown start without RNE S).
        ended = _start_year(dec).dropna()
        lo = int(ended.min()) if len(ended) else int(years_seen.min())
        hi = int(years_seen.max())
        first_yr, yr = f"{lo}/{(lo + 1) % 100:02d}", f"{hi}/{(hi + 1) % 100:02d}"
        notes.append(f"{t.path}: episodes from return years {first_yr} to {yr} (one multi-year "
                     "file; each episode checked against its own year's code list)")
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
    pair = (f["DEC"] == "") != (f["REC"] == "")
    log.add(f[pair], "REC", "pair_incomplete", "DEC and REC must both be set or both be blank")
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
    bad |= pair | order | after | before | no_child
    out = pd.DataFrame({
        "CHILD": f["CHILD"], "DECOM": decom, "DEC": dec, "RNE": f["RNE"], "LS": f["LS"],
        "PLACE": f["PLACE"], "REC": f["REC"], "_year": int(yr[:4]), "_file": f["_file"],
        "_line": f["_line"],
    })
    return out[~bad.to_numpy()], yr, first_yr


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
