"""Import a Scottish CLAS-style extract (child, episode, placement, legal-reason tables).

Column names and codes come from a user-editable YAML *code map*; the bundled
``clas_codes.yaml`` documents every key and is the default. One episode becomes one
journey. Legal permanence is the first of: the start of a permanence order (legal
reason ``permanence_order`` or ``permanence_order_adopt``) during the episode, or the
episode's end when its destination is a route (home, kinship care order, adoption). A
PO with authority to adopt (or freeing for adoption) sets ``planned_route`` to adoption.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from importlib import resources
from pathlib import Path

import numpy as np
import pandas as pd

from pace_analysis.authorities import get_authority
from pace_analysis.dataset import Dataset
from pace_analysis.errors import PaceError, UnknownAuthorityError
from pace_analysis.importers.rejects import (
    ImportFatalError,
    ImportResult,
    RawTable,
    RejectLog,
    check_not_swapped,
    parse_dates,
    read_text_table,
)
from pace_analysis.routes import load_route_set
from pace_analysis.schema import JOURNEY_COLUMNS, PLACEMENT_COLUMNS, SEXES
from pace_analysis.yamlfile import load_yaml, parse_yaml

TABLE_KEYS = {
    "children": ("child_id", "authority", "date_of_birth", "sex"),
    "episodes": ("episode_id", "child_id", "start_date", "end_date", "destination"),
    "placements": ("episode_id", "start_date", "end_date", "placement_type"),
    "legal_reasons": ("episode_id", "legal_reason", "start_date", "end_date"),
}
LEGAL_REASONS = ("cso", "s25", "permanence_order", "permanence_order_adopt", "freed", "other")
PO_REASONS = ("permanence_order", "permanence_order_adopt")
SCOTTISH_ROUTES_ON_LEAVING = ("home", "kinship", "adoption")


@dataclass(frozen=True)
class CodeMap:
    """A parsed CLAS code map (see ``clas_codes.yaml``)."""

    date_format: str
    extract_date: pd.Timestamp | None
    columns: dict            # table -> {contract key: FILE HEADER}
    sex: dict
    authority: str | dict
    destination: dict        # code -> {"route": ...} or {"exit": ...}
    placement_type: dict
    legal_reason: dict


def load_code_map(path: str | Path | None = None) -> CodeMap:
    """Load a code map (the bundled default if ``path`` is None) and check its shape."""
    if path is None:
        text = resources.files("pace_analysis.importers").joinpath("clas_codes.yaml").read_text(
            encoding="utf-8")
        origin = "bundled clas_codes.yaml"
    else:
        text = None
        origin = str(path)
    data = parse_yaml(text, origin) if text is not None else load_yaml(path, f"code map {path}")
    try:
        if not isinstance(data, dict):
            raise TypeError("the file must be a mapping of tables (children, episodes, ...)")
        columns = {}
        for table, keys in TABLE_KEYS.items():
            cols = {str(k): str(v).strip().upper() for k, v in data[table]["columns"].items()}
            missing = [k for k in keys if k not in cols]
            if missing:
                raise PaceError(f"code map {origin}: {table}.columns lacks {', '.join(missing)}")
            columns[table] = cols
        rs = load_route_set("scotland")
        sex = {str(k): str(v) for k, v in data["children"]["sex"].items()}
        dest = {str(k): dict(v) for k, v in data["episodes"]["destination"].items()}
        ptype = {str(k): str(v) for k, v in data["placements"]["placement_type"].items()}
        legal = {str(k): str(v) for k, v in data["legal_reasons"]["legal_reason"].items()}
        auth = data["children"].get("authority", "gss")
        auth = {str(k): str(v) for k, v in auth.items()} if isinstance(auth, dict) else str(auth)
        extract = data.get("extract_date")
    except (KeyError, TypeError, AttributeError, ValueError) as exc:
        raise PaceError(f"code map {origin} is malformed: {exc}") from exc
    problems = [f"sex {k!r} -> {v!r}" for k, v in sex.items() if v not in SEXES]
    problems += [f"placement_type {k!r} -> {v!r}" for k, v in ptype.items()
                 if v not in rs.placement_types]
    problems += [f"legal_reason {k!r} -> {v!r}" for k, v in legal.items() if v not in LEGAL_REASONS]
    for k, v in dest.items():
        ok = (v.get("route") in SCOTTISH_ROUTES_ON_LEAVING
              or v.get("exit") in [e for e in rs.exit_reasons if e != "permanence"])
        if not ok or len(v) != 1:
            problems.append(f"destination {k!r} -> {v!r}")
    if problems:
        raise PaceError(f"code map {origin}: mappings onto values the contract does not have: "
                        + "; ".join(problems))
    fmt = _check_date_format(data.get("date_format", "%Y-%m-%d"), origin)
    return CodeMap(fmt, _check_extract(extract, origin), columns, sex, auth, dest, ptype, legal)


def _check_date_format(fmt, origin: str) -> str:
    """A strftime date format that writes and reads back a day, month and year."""
    probe = date(2019, 2, 13)
    try:
        text = probe.strftime(str(fmt))
        back = pd.to_datetime(text, format=str(fmt), errors="raise")
        ok = back.date() == probe
    except (ValueError, TypeError):
        ok = False
    if not ok:
        raise PaceError(f"code map {origin}: date_format {fmt!r} is not a date format with a "
                        "day, month and year (e.g. '%d/%m/%Y' or '%Y-%m-%d')")
    return str(fmt)


def _check_extract(value, origin: str) -> pd.Timestamp | None:
    if value in (None, ""):
        return None
    try:
        return pd.Timestamp(date.fromisoformat(str(value)))
    except ValueError:
        raise PaceError(f"code map {origin}: extract_date {value!r} is not a date in the form "
                        "YYYY-MM-DD") from None


def _read(path: str, table: str, cmap: CodeMap, log: RejectLog, notes: list[str],
          n_read: dict) -> tuple[RawTable, pd.DataFrame]:
    """Read one table and return it with contract-named columns, plus a 'bad' flag column."""
    cols = cmap.columns[table]
    t = read_text_table(path, tuple(cols.values()))
    n_read[t.path] = len(t.frame)
    notes += [f"{t.path}: {n}" for n in t.notes]
    f = t.frame = t.frame.astype(object)  # CLAS tables are small: plain strings are simplest
    out = pd.DataFrame({k: f[v] for k, v in cols.items()})
    out["_file"], out["_line"] = f["_file"], f["_line"]
    bad = pd.Series(False, index=f.index)
    for key in cols:
        if key.endswith("_date") or key == "date_of_birth":
            header = cols[key]
            dates, wrong, n_serial = parse_dates(f[header], cmap.date_format)
            check_not_swapped(t, header, wrong, f"dates ({cmap.date_format})")
            log.add(f[wrong], header, "date_format", f"not a date in the form {cmap.date_format}")
            if n_serial:
                notes.append(f"{t.path}: {n_serial} Excel serial number(s) in {header} read as dates")
            out[key] = dates
            out["_raw_" + key] = f[header]
            bad |= wrong
    for key in ("child_id", "episode_id"):
        if key in cols:
            empty = out[key] == ""
            log.add(f[empty], cols[key], "required", f"{cols[key]} is empty")
            bad |= empty
    out["_bad"] = bad.to_numpy()
    return t, out


def _code(t: RawTable, out: pd.DataFrame, key: str, mapping: dict, cols: dict,
          log: RejectLog, required: bool = True) -> pd.Series:
    """Map a coded column; reject unknown (and, if required, empty) codes."""
    raw, col = out[key], cols[key]
    mapped = raw.map(mapping)
    filled = raw != ""
    unknown = filled & mapped.isna()
    check_not_swapped(t, col, unknown, f"{key} codes of the code map")
    log.add(out[unknown], col, "code_unknown", f"{key} code not in the code map",
            value=raw[unknown])
    bad = unknown
    if required:
        log.add(out[~filled], col, "required", f"{col} is empty", value=raw[~filled])
        bad = bad | ~filled
    out["_bad"] |= bad.to_numpy()
    return mapped


def _reject_rows(frame: pd.DataFrame, mask: np.ndarray, log: RejectLog, cols: dict, key: str,
                 rule: str, reason: str) -> pd.DataFrame:
    """Reject rows of ``frame`` where ``mask`` and return the others."""
    _flag(log, frame, mask, cols, key, rule, reason)
    return frame[~mask]


def import_clas(children: str | Path, episodes: str | Path, placements: str | Path,
                legal_reasons: str | Path, *, code_map: CodeMap | str | Path | None = None,
                extract_date: str | date | None = None) -> ImportResult:
    """Import a CLAS-style extract.

    Parameters
    ----------
    children, episodes, placements, legal_reasons : path
        The four CSV tables.
    code_map : CodeMap or path, optional
        Column names and codes; default the bundled ``clas_codes.yaml``.
    extract_date : str or date, optional
        Censoring date (ISO or the code map's date format); default the code map's, else
        31 July on or after the latest date in the extract.

    Returns
    -------
    ImportResult
        Dataset with route set ``scotland``.

    Raises
    ------
    ImportFatalError
        Unreadable file, missing or swapped columns, or no episode accepted.
    """
    cmap = code_map if isinstance(code_map, CodeMap) else load_code_map(code_map)
    log, notes, n_read = RejectLog(), [], {}
    tables = {}
    for table, path in (("children", children), ("episodes", episodes),
                        ("placements", placements), ("legal_reasons", legal_reasons)):
        t, out = _read(str(path), table, cmap, log, notes, n_read)
        tables[table] = (t, out)

    # Children
    t, ch = tables["children"]
    ccol = cmap.columns["children"]
    ch["sex"] = _code(t, ch, "sex", cmap.sex, ccol, log)
    ch["authority"] = _code(t, ch, "authority", _authority_map(ch["authority"], cmap), ccol, log)
    no_dob = ch["date_of_birth"].isna().to_numpy() & ~ch["_bad"].to_numpy()
    ch["_bad"] |= _flag(log, ch, no_dob, ccol, "date_of_birth", "required",
                        "date of birth is empty")
    dup = ch.duplicated("child_id", keep=False).to_numpy() & (ch["child_id"] != "").to_numpy()
    ch["_bad"] |= _flag(log, ch, dup, ccol, "child_id", "duplicate_id",
                        "child listed more than once")
    good_ch = ch[~ch["_bad"]].set_index("child_id")

    # Episodes
    t, ep = tables["episodes"]
    ecol = cmap.columns["episodes"]
    dest = _code(t, ep, "destination", cmap.destination, ecol, log, required=False)
    ep["route"] = dest.map(lambda d: d.get("route") if isinstance(d, dict) else None)
    ep["exit"] = dest.map(lambda d: d.get("exit") if isinstance(d, dict) else None)
    no_start = ep["start_date"].isna().to_numpy() & ~ep["_bad"].to_numpy()
    ep["_bad"] |= _flag(log, ep, no_start, ecol, "start_date", "required", "start date is empty")
    pair = (ep["end_date"].notna() != (ep["destination"] != "")).to_numpy() & ~ep["_bad"].to_numpy()
    ep["_bad"] |= _flag(log, ep, pair, ecol, "destination", "pair_incomplete",
                        "end date and destination must both be set or both be empty")
    order = (ep["end_date"] < ep["start_date"]).to_numpy()
    ep["_bad"] |= _flag(log, ep, order, ecol, "end_date", "end_before_start",
                        "episode ends before it starts")
    dup = ep.duplicated("episode_id", keep=False).to_numpy() & (ep["episode_id"] != "").to_numpy()
    ep["_bad"] |= _flag(log, ep, dup, ecol, "episode_id", "duplicate_id",
                        "episode listed more than once")
    ep = ep[~ep["_bad"].to_numpy()]
    known = ep["child_id"].isin(good_ch.index).to_numpy()
    listed = ep["child_id"].isin(ch["child_id"]).to_numpy()
    log.add(ep[~known & listed], ecol["child_id"], "child_rejected",
            "the child's row in the children table was rejected", value=ep["child_id"][~known & listed])
    log.add(ep[~listed], ecol["child_id"], "not_in_children", "child not in the children table",
            value=ep["child_id"][~listed])
    ep = ep[known]
    dob = ep["child_id"].map(good_ch["date_of_birth"])
    early = (ep["start_date"] < dob).to_numpy()
    ep = _reject_rows(ep, early, log, ecol, "start_date", "before_birth",
                      "episode starts before the child's date of birth")

    extract = _extract(extract_date, cmap, tables)
    late = ((ep["start_date"] > extract) | (ep["end_date"] > extract)).to_numpy()
    ep = _reject_rows(ep, late, log, ecol, "end_date", "after_extract",
                      f"a date is after the extract date {extract.date()}")

    # Overlapping episodes of one child: the whole child is left out.
    ep = ep.sort_values(["child_id", "start_date"], kind="stable").reset_index(drop=True)
    same = np.r_[False, ep["child_id"].to_numpy()[1:] == ep["child_id"].to_numpy()[:-1]]
    prev_end = ep["end_date"].shift(1)
    prev_open = prev_end.isna().to_numpy() & same
    overlap = same & ((ep["start_date"] < prev_end).to_numpy() | prev_open)
    if overlap.any():
        log.add(ep[overlap], ecol["start_date"], "overlap",
                "episode starts before the child's previous episode ended (or it is still open)",
                value=ep["_raw_start_date"][overlap])
        kids = ep.loc[overlap, "child_id"].unique()
        others = ep["child_id"].isin(kids).to_numpy() & ~overlap
        log.add(ep[others], None, "child_rejected",
                "another episode of this child overlaps, so its journeys cannot be trusted",
                value="")
        ep = ep[~ep["child_id"].isin(kids).to_numpy()].reset_index(drop=True)
    if ep.empty:
        raise ImportFatalError("no episode was accepted; see the rejects above")
    ep_index = ep.set_index("episode_id")

    placements_df = _placements(tables["placements"], cmap, ep_index, extract, log, notes)
    legal = _legal(tables["legal_reasons"], cmap, ep_index, log)
    journeys, n_po_adopt = _journeys(ep, good_ch, placements_df, legal, extract)

    rej = log.frame()
    rejected = rej[["file", "line"]].drop_duplicates().groupby("file").size()
    used = {"children": good_ch["_file"].value_counts(), "episodes": ep["_file"].value_counts(),
            "placements": placements_df["_file"].value_counts(),
            "legal_reasons": legal["_file"].value_counts()}
    rows = []
    for table, (t, _) in tables.items():
        n, r = n_read[t.path], int(rejected.get(t.path, 0))
        acc = int(used[table].get(t.path, 0)) if table != "children" else n - r
        rows.append({"file": t.path, "kind": table, "year": "", "read": n, "accepted": acc,
                     "rejected": r, "left_out": n - acc - r})
    if n_po_adopt:
        notes.append(f"{n_po_adopt} journey(s) with a permanence order with authority to adopt "
                     "(or freeing): planned_route set to adoption")
    meta = {"source": "CLAS-style extract", "extract_date": extract.date().isoformat(),
            "code_map": "bundled clas_codes.yaml" if code_map is None else str(code_map),
            "files": [t.path for t, _ in tables.values()],
            "po_with_authority_to_adopt": int(n_po_adopt)}
    ds = Dataset(journeys, placements_df[[c.name for c in PLACEMENT_COLUMNS]].reset_index(drop=True),
                 load_route_set("scotland"), None, meta)
    return ImportResult(ds, rej, pd.DataFrame(rows), notes)


def _flag(log: RejectLog, frame: pd.DataFrame, mask: np.ndarray, cols: dict, key: str,
          rule: str, reason: str) -> np.ndarray:
    """Reject rows of ``frame`` where ``mask``; returns ``mask``."""
    value = frame["_raw_" + key] if "_raw_" + key in frame else frame[key]
    log.add(frame[mask], cols[key], rule, reason, value=value[mask])
    return mask


def _authority_map(values: pd.Series, cmap: CodeMap) -> dict:
    if isinstance(cmap.authority, dict):
        return cmap.authority
    out = {}
    for v in values.unique():
        try:
            out[v] = get_authority(v).name
        except UnknownAuthorityError:
            pass
    return out


def _extract(value, cmap: CodeMap, tables: dict) -> pd.Timestamp:
    if value is not None:
        if isinstance(value, date):
            return pd.Timestamp(value)
        for fmt in ("%Y-%m-%d", cmap.date_format):
            d = pd.to_datetime(str(value), format=fmt, errors="coerce")
            if not pd.isna(d):
                return d
        raise PaceError(f"extract date {value!r} is not YYYY-MM-DD or {cmap.date_format}")
    if cmap.extract_date is not None:
        return cmap.extract_date
    latest = max(out[c].max() for _, out in tables.values() for c in out.columns
                 if c.endswith("_date") and not c.startswith("_") and c != "date_of_birth"
                 and out[c].notna().any())
    y = latest.year if (latest.month, latest.day) <= (7, 31) else latest.year + 1
    return pd.Timestamp(y, 7, 31)


def _episode_rows(table, code_field: str, codes: dict, out_column: str, cols: dict,
                  ep: pd.DataFrame, log: RejectLog) -> pd.DataFrame:
    """Rows that hang off an episode (placements, legal reasons): codes mapped into
    *out_column*, then rows with a bad code, no start date or an unknown (or rejected)
    episode rejected."""
    t, df = table
    df[out_column] = _code(t, df, code_field, codes, cols, log)
    no_start = df["start_date"].isna().to_numpy() & ~df["_bad"].to_numpy()
    df["_bad"] |= _flag(log, df, no_start, cols, "start_date", "required", "start date is empty")
    df = df[~df["_bad"].to_numpy()]
    unknown = ~df["episode_id"].isin(ep.index).to_numpy()
    return _reject_rows(df, unknown, log, cols, "episode_id", "episode_unknown",
                        "episode not in the episodes table (or it was rejected)")


def _placements(table, cmap: CodeMap, ep: pd.DataFrame, extract: pd.Timestamp, log: RejectLog,
                notes: list[str]) -> pd.DataFrame:
    pcol = cmap.columns["placements"]
    pl = _episode_rows(table, "placement_type", cmap.placement_type, "placement_type", pcol,
                       ep, log)
    e_start = pl["episode_id"].map(ep["start_date"])
    e_end = pl["episode_id"].map(ep["end_date"])
    fill = pl["end_date"].isna() & e_end.notna()
    if fill.any():
        notes.append(f"{int(fill.sum())} placement(s) without an end date in a closed episode: "
                     "ended with the episode")
    pl = pl.assign(end_date=pl["end_date"].where(~fill, e_end))
    order = (pl["end_date"] < pl["start_date"]).to_numpy()
    pl = _reject_rows(pl, order, log, pcol, "end_date", "end_before_start",
                      "placement ends before it starts")
    e_start, e_end = e_start[pl.index], e_end[pl.index]
    outside = ((pl["start_date"] < e_start) | (pl["end_date"] > e_end.fillna(extract))
               | (pl["start_date"] > e_end.fillna(extract))).to_numpy()
    pl = _reject_rows(pl, outside, log, pcol, "start_date", "outside_episode",
                      "placement is not within its episode")
    return pl.rename(columns={"episode_id": "journey_id"})


def _legal(table, cmap: CodeMap, ep: pd.DataFrame, log: RejectLog) -> pd.DataFrame:
    return _episode_rows(table, "legal_reason", cmap.legal_reason, "reason",
                         cmap.columns["legal_reasons"], ep, log)


def _journeys(ep: pd.DataFrame, ch: pd.DataFrame, pl: pd.DataFrame, legal: pd.DataFrame,
              extract: pd.Timestamp) -> tuple[pd.DataFrame, int]:
    eid = ep["episode_id"]
    # Legal basis: the earliest legal reason of the episode.
    first_reason = legal.sort_values(["start_date", "_line"], kind="stable").drop_duplicates(
        "episode_id").set_index("episode_id")["reason"]
    basis = eid.map(first_reason).map(lambda r: r if r in ("cso", "s25") else "other")
    in_ep = legal["start_date"] >= legal["episode_id"].map(ep.set_index("episode_id")["start_date"])
    po = legal[legal["reason"].isin(PO_REASONS) & in_ep].groupby("episode_id")["start_date"].min()
    po_date = eid.map(po)
    adopt_plan = legal[legal["reason"].isin(("permanence_order_adopt", "freed"))]["episode_id"]
    planned = np.where(eid.isin(adopt_plan), "adoption", None)
    end = ep["end_date"]
    po_first = po_date.notna() & (end.isna() | (po_date < end) | ep["route"].isna()) & (
        po_date <= end.fillna(extract))
    dest_route = ep["route"].where(ep["route"].notna(), None)
    route = np.where(po_first, "permanence_order", dest_route)
    perm_date = po_date.where(po_first, end.where(ep["route"].notna()))
    exit_reason = np.where(end.isna(), None,
                           np.where(po_first & ep["route"].notna(), "other",
                                    np.where(ep["route"].notna(), "permanence", ep["exit"])))
    acc = pl[pl["placement_type"] != "home"].groupby("journey_id")["start_date"].min()
    journeys = pd.DataFrame({
        "journey_id": eid.to_numpy(),
        "child_id": ep["child_id"].to_numpy(),
        "authority": ep["child_id"].map(ch["authority"]).to_numpy(),
        "sex": ep["child_id"].map(ch["sex"]).to_numpy(),
        "date_of_birth": ep["child_id"].map(ch["date_of_birth"]).to_numpy(),
        "looked_after_date": ep["start_date"].to_numpy(),
        "legal_basis": basis.to_numpy(),
        "accommodated_date": eid.map(acc).to_numpy(),
        "permanence_recommendation_date": pd.NaT,
        "planned_route": planned,
        "panel_date": pd.NaT,
        "adm_decision_date": pd.NaT,
        "application_lodged_date": pd.NaT,
        "permanence_route": pd.Series(route, dtype=object).where(pd.notna(route), None).to_numpy(),
        "permanence_date": perm_date.to_numpy(),
        "exit_date": end.to_numpy(),
        "exit_reason": exit_reason,
        "extract_date": extract,
    })
    for c in JOURNEY_COLUMNS:
        if c.kind == "date":
            journeys[c.name] = pd.to_datetime(journeys[c.name]).astype("datetime64[ns]")
    return journeys[[c.name for c in JOURNEY_COLUMNS]], int(pd.Series(planned).notna().sum())
