"""Import England's SSDA903 return (Header + Episodes CSVs) into the journey contract.

One journey is one *period of care*: a chain of episodes where each ends with
``REC = X1`` and the next starts the same day. Several return years are merged; an
episode re-reported in the next year's return (same child, same ``DECOM``) is kept once,
in its latest version. Short breaks (``LS`` V3/V4) are left out. ``REC`` maps to the
routes of the ``england`` route set or to an exit without permanence; ``PLACE`` to a
placement type; the first episode's ``LS`` to the legal basis. The mappings live in
``ssda903_codes.yaml`` beside this module (documented in ``docs/importers.md``).

Everything is vectorised: no Python loop runs per row.

Reading and checking the raw files, and the code lists, are in
:mod:`pace_analysis.importers.ssda903_read`. The writer
(:func:`~pace_analysis.importers.ssda903_export.write_ssda903`) is in
:mod:`pace_analysis.importers.ssda903_export`.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd

from pace_analysis.dataset import Dataset
from pace_analysis.errors import PaceError
from pace_analysis.importers.rejects import (
    ImportFatalError,
    ImportResult,
    RejectLog,
    concat_frames,
)
from pace_analysis.importers.ssda903_read import (
    DATE_FORMAT,
    Codes903,
    _read_episodes,
    _read_header,
    load_codes,
    normalise_year,
    year_bounds,
)
from pace_analysis.routes import load_route_set
from pace_analysis.schema import JOURNEY_COLUMNS, PLACEMENT_COLUMNS

DEFAULT_AUTHORITY = "England"
#: Rules listed in rejects.csv whose rows are counted as left out, not as errors.
LEFT_OUT_RULES = ("start_unknown",)
#: Rules listed in rejects.csv whose rows are imported (with a change the reason states).
KEPT_RULES = ("end_incomplete",)


# --------------------------------------------------------------------------- the import


def _reject_children(ep: pd.DataFrame, bad_child: np.ndarray, log: RejectLog) -> pd.DataFrame:
    """Reject every remaining episode of children flagged in ``bad_child`` (row mask)."""
    children = ep.loc[bad_child, "cid"].unique()
    if len(children) == 0:
        return ep
    hit = ep["cid"].isin(children).to_numpy() & ~bad_child
    log.add(ep[hit], None, "child_rejected",
            "another episode of this child was rejected, so its periods of care cannot be rebuilt",
            value="")
    return ep[~ep["cid"].isin(children).to_numpy()]


def _prev(a: np.ndarray, fill) -> np.ndarray:
    """``a`` shifted down one place (the previous row's value), ``fill`` first."""
    out = np.empty_like(a)
    out[1:] = a[:-1]
    if len(a):
        out[0] = fill
    return out


def _next(a: np.ndarray, fill) -> np.ndarray:
    """``a`` shifted up one place (the next row's value), ``fill`` last."""
    out = np.empty_like(a)
    out[:-1] = a[1:]
    if len(a):
        out[-1] = fill
    return out


def _ymd(d: pd.Series) -> pd.Series:
    return (d.dt.year * 10000 + d.dt.month * 100 + d.dt.day).astype("int64").astype(str)


def import_ssda903(
    header_files: list[str | Path],
    episode_files: list[str | Path],
    *,
    years: list[str] | None = None,
    authority: str | None = None,
    extract_date: str | date | None = None,
    codes: Codes903 | str | Path | None = None,
    older_years_as: str | None = None,
) -> ImportResult:
    """Import SSDA903 Header and Episodes files of one or more return years.

    Parameters
    ----------
    header_files, episode_files : list of path
        The CSV files (any order of years; columns in any order).
    years : list of str, optional
        Return year of each episodes file (``"2022/23"``), or one year for all; by
        default read from the file name (``..._2022_23.csv``), else from the latest date.
    authority : str, optional
        Authority name for every journey (default ``"England"``).
    extract_date : str or date, optional
        Censoring date (``dd/mm/yyyy`` or ISO); default 31 March of the latest year.
    codes : Codes903 or path, optional
        Code lists and mappings; default the bundled ``ssda903_codes.yaml``.
    older_years_as : str, optional
        Use this year's code list for return years the code lists do not cover.

    Returns
    -------
    ImportResult

    Raises
    ------
    ImportFatalError
        A file cannot be read, a column is missing or evidently swapped, or no episode
        was accepted. Nothing is written in that case.
    """
    codes = codes if isinstance(codes, Codes903) else load_codes(codes)
    if older_years_as is not None:  # refused up front, even when no year needs it
        older_years_as = normalise_year(older_years_as)
        codes.for_year(older_years_as)
    if not header_files or not episode_files:
        raise ImportFatalError("need at least one Header file and one Episodes file")
    ep_files = [str(p) for p in episode_files]
    if years and len(years) not in (1, len(ep_files)):
        raise ImportFatalError(f"--year: give one year, or one per episodes file ({len(ep_files)})")
    per_file = (years * len(ep_files) if years and len(years) == 1 else years) or [None] * len(ep_files)
    log, notes = RejectLog(), []

    parts, file_years, first_years, n_read, pivots = [], [], [], {}, []
    for p, y in zip(ep_files, per_file, strict=True):
        part, yr, first_yr, pivot = _read_episodes(p, y, codes, older_years_as, log, notes,
                                                   n_read)
        parts.append(part)
        file_years.append(yr)
        first_years.append(first_yr)
        pivots.append(pivot)
    ep = concat_frames(parts)
    # Two-digit years in the Header take the century rule around the episodes' pivot.
    pivot = max((p for p in pivots if p is not None), default=None)
    heads = concat_frames([_read_header(str(p), i, log, notes, pivot)
                           for i, p in enumerate(header_files)])

    # One integer code per child id, shared by headers and episodes: every later step
    # compares, groups and sorts integers rather than millions of strings.
    ids, child_names = pd.factorize(np.concatenate(
        [np.asarray(heads["CHILD"], dtype=object), np.asarray(ep["CHILD"], dtype=object)]))
    heads["cid"], ep["cid"] = ids[:len(heads)], ids[len(heads):]
    child_names = np.asarray(child_names, dtype=object)

    # Header: latest file wins for a child listed in several.
    good_heads = heads[heads["ok"]].sort_values("_rank", kind="stable")
    n_dupe_heads = int(good_heads.duplicated("cid").sum())
    good_heads = good_heads.drop_duplicates("cid", keep="last").set_index("cid")
    if n_dupe_heads:
        notes.append(f"{n_dupe_heads} header row(s) repeat a child from another file: latest kept")

    # Same episode reported twice in one return: keep one if identical, else reject both.
    key = ["cid", "DECOM", "_year"]
    content = ["DEC", "RNE", "LS", "PLACE", "REC"]
    exact = ep.duplicated([*key, *content])
    n_exact = int(exact.sum())
    ep = ep[~exact.to_numpy()]
    clash = ep.duplicated(key, keep=False).to_numpy()
    log.add(ep[clash], "DECOM", "duplicate_episode",
            "two different episodes of this child start on this day in the same return")
    ep = ep[~clash]
    if n_exact:
        notes.append(f"{n_exact} exact duplicate episode row(s) within a return dropped")

    # The same episode re-reported in a later return: keep the latest version.
    ep = ep.sort_values(["_year"], kind="stable")
    rerep = ep.duplicated(["cid", "DECOM"], keep="last").to_numpy()
    n_rerep = int(rerep.sum())
    ep = ep[~rerep]

    # Short breaks are not periods of care.
    short = ep["LS"].isin(list(codes.short_breaks)).to_numpy()
    n_short = int(short.sum())
    ep = ep[~short]

    # Children must be in a Header file (with a usable row).
    in_head = ep["cid"].isin(good_heads.index).to_numpy()
    rejected_head = ep["cid"].isin(heads.loc[~heads["ok"], "cid"]).to_numpy() & ~in_head
    log.add(ep[rejected_head], "CHILD", "header_rejected",
            "the child's row in the Header file was rejected")
    log.add(ep[~in_head & ~rejected_head], "CHILD", "not_in_header",
            "child not found in any Header file")
    ep = ep[in_head]
    dob_of = np.full(len(child_names), np.datetime64("NaT"), dtype="datetime64[ns]")
    dob_of[good_heads.index.to_numpy()] = good_heads["dob"].to_numpy(dtype="datetime64[ns]")
    sex_of = np.full(len(child_names), None, dtype=object)
    sex_of[good_heads.index.to_numpy()] = good_heads["sex"].to_numpy(dtype=object)
    dob = ep["cid"].to_numpy()
    dob = dob_of[dob]
    early = (ep["DECOM"] < dob).to_numpy()
    log.add(ep[early], "DECOM", "before_birth", "DECOM is before the child's date of birth")
    ep = _reject_children(ep, early, log) if early.any() else ep

    # Order each child's episodes and check the chain.
    first_year = min(first_years)
    last_year = max(file_years)
    obs_start, _ = year_bounds(first_year)
    _, year_end = year_bounds(last_year)
    extract = _parse_extract(extract_date) if extract_date is not None else year_end
    after = ((ep["DECOM"] > extract) | (ep["DEC"] > extract)).to_numpy()
    log.add(ep[after], "DEC", "after_extract", f"a date is after the extract date {extract:%d/%m/%Y}")
    ep = _reject_children(ep, after, log) if after.any() else ep

    # A child whose record is cut (DEC or REC missing on one episode) is followed up to the
    # cut: later episodes of the child are left out.
    cut_of = np.full(len(child_names), np.datetime64("NaT"), dtype="datetime64[ns]")
    has_cut = ep["_cut"].notna().to_numpy()
    if has_cut.any():
        first_cut = ep[has_cut].groupby("cid")["_cut"].min()
        cut_of[first_cut.index.to_numpy()] = first_cut.to_numpy(dtype="datetime64[ns]")
        later = (ep["DECOM"].to_numpy() > cut_of[ep["cid"].to_numpy()])
        log.add(ep[later], "DECOM", "after_cut",
                "an earlier episode of this child lacks DEC or REC, so the child is followed "
                "up to that episode only (see end_incomplete)",
                value=ep.loc[later, "DECOM"].dt.strftime("%d/%m/%Y"))
        ep = ep[~later]

    order = np.lexsort((ep["DECOM"].to_numpy(), ep["cid"].to_numpy()))
    ep = ep.iloc[order].reset_index(drop=True)
    ep, n_unknown_start = _check_chains(ep, obs_start, int(last_year[:4]), log)

    if ep.empty:
        rej = log.frame()
        raise ImportFatalError("no episode was accepted; " + _summary_of(rej))

    journeys, placements, n_late = _build(ep, child_names, sex_of, dob_of, codes, authority,
                                          extract, obs_start, cut_of)
    meta = {
        "source": "SSDA903",
        "return_years": sorted(set(file_years) | set(first_years)),
        "observation_start": obs_start.date().isoformat(),
        "late_entry_journeys": int(n_late),
        "extract_date": extract.date().isoformat(),
        "files": [str(p) for p in header_files] + ep_files,
    }
    ds = Dataset(journeys, placements, load_route_set("england"), None, meta)

    rej = log.frame()
    counts = _counts(heads, n_read, ep_files, file_years, rej, [str(p) for p in header_files], ep)
    if n_rerep:
        notes.append(f"{n_rerep} episode(s) re-reported in a later return: latest version kept")
    if n_short:
        notes.append(f"{n_short} short-break episode(s) (LS V3/V4) left out")
    if n_unknown_start:
        notes.append(f"{n_unknown_start} period(s) began before {obs_start:%d/%m/%Y} with their "
                     "first episode not supplied: left out (start date unknown; see rejects.csv)")
    if n_late:
        notes.append(f"{n_late} journey(s) began before {obs_start:%d/%m/%Y} (late entry: analyse "
                     f"with a study window starting {obs_start.date()})")
    return ImportResult(ds, rej, counts, notes)


def _parse_extract(value: str | date) -> pd.Timestamp:
    if isinstance(value, date):
        return pd.Timestamp(value)
    for fmt in (DATE_FORMAT, "%Y-%m-%d"):
        d = pd.to_datetime(str(value), format=fmt, errors="coerce")
        if not pd.isna(d):
            return d
    raise PaceError(f"extract date {value!r} is not dd/mm/yyyy or YYYY-MM-DD")


def _summary_of(rej: pd.DataFrame) -> str:
    if rej.empty:
        return "no rows"
    top = rej.groupby("rule").size().sort_values(ascending=False).head(5)
    return "rejects by rule: " + ", ".join(f"{r} {n}" for r, n in top.items())


def _check_chains(ep: pd.DataFrame, obs_start: pd.Timestamp, last_year: int,
                  log: RejectLog) -> tuple[pd.DataFrame, int]:
    """Reject children whose episodes cannot form periods of care; drop unknown starts."""
    child = ep["cid"].to_numpy()
    same = np.r_[False, child[1:] == child[:-1]]          # row continues the previous child
    nxt_same = np.r_[same[1:], False]
    dec = ep["DEC"].to_numpy()
    decom = ep["DECOM"].to_numpy()
    prev_dec = _prev(dec, np.datetime64("NaT"))
    nxt_decom = _next(decom, np.datetime64("NaT"))
    open_ = pd.isna(dec)
    bad = np.zeros(len(ep), dtype=bool)

    m = open_ & nxt_same
    log.add(ep[m], "DEC", "open_then_another",
            pd.Series("episode has no end date but the child has a later episode starting "
                      + pd.Series(nxt_decom[m]).dt.strftime("%d/%m/%Y").to_numpy(), index=ep.index[m]))
    bad |= m
    m = same & ~pd.isna(prev_dec) & (decom < prev_dec)
    log.add(ep[m], "DECOM", "overlap",
            pd.Series("episode starts before the child's previous episode ended ("
                      + pd.Series(prev_dec[m]).dt.strftime("%d/%m/%Y").to_numpy() + ")",
                      index=ep.index[m]))
    bad |= m
    rec = ep["REC"].to_numpy()
    m = (rec == "X1") & (~nxt_same | (nxt_decom != dec))
    log.add(ep[m], "REC", "chain_broken",
            "REC X1 (care continues) but no episode of the child starts on the DEC date")
    bad |= m
    years = ep["_year"].to_numpy()
    m = open_ & ~nxt_same & (years != last_year) & ep["_cut"].isna().to_numpy()
    log.add(ep[m], "DEC", "not_rereported",
            f"episode open at the end of its return year is missing from later returns "
            f"(up to {last_year}/{(last_year + 1) % 100:02d})")
    bad |= m
    if bad.any():
        ep = _reject_children(ep, bad, log)
        ep = ep.reset_index(drop=True)
    # Periods that began before the data with their first episode missing: start unknown.
    child = ep["cid"].to_numpy()
    same = np.r_[False, child[1:] == child[:-1]]
    prev_rec = _prev(ep["REC"].to_numpy(), "")
    new_period = ~same | (prev_rec != "X1")
    period = np.cumsum(new_period)
    unknown = new_period & (ep["DECOM"] < obs_start).to_numpy() & (ep["RNE"] != "S").to_numpy()
    drop = np.isin(period, period[unknown])
    log.add(ep[drop], None, "start_unknown",
            f"period of care began before {obs_start:%d/%m/%Y} and its first episode (RNE S) "
            "is not in the files: its start date is unknown", value="")
    return ep[~drop].reset_index(drop=True), int(unknown.sum())


def _build(ep: pd.DataFrame, names: np.ndarray, sex_of: np.ndarray, dob_of: np.ndarray,
           codes: Codes903, authority: str | None, extract: pd.Timestamp,
           obs_start: pd.Timestamp, cut_of: np.ndarray) -> tuple[pd.DataFrame, pd.DataFrame, int]:
    """Journeys (one per period of care) and placements from ordered, checked episodes.

    A journey of a child whose record is cut (``cut_of``) is censored at the cut instead of
    the extract date, if it is still open there.
    """
    child = ep["cid"].to_numpy()
    rec = ep["REC"].to_numpy()
    same = np.r_[False, child[1:] == child[:-1]]
    new_period = ~same | (_prev(rec, "") != "X1")
    period = np.cumsum(new_period) - 1
    first = np.flatnonzero(new_period)
    last = np.r_[first[1:] - 1, len(ep) - 1]

    f = ep.iloc[first].reset_index(drop=True)
    lst = ep.iloc[last].reset_index(drop=True)
    rec_last = lst["REC"].astype(object)
    route = rec_last.map({k: v["route"] for k, v in codes.reason_ended.items() if "route" in v})
    exit_reason = rec_last.map({k: v["exit"] for k, v in codes.reason_ended.items() if "exit" in v})
    exit_reason = exit_reason.where(route.isna(), "permanence")
    has_exit = lst["REC"] != ""
    exit_date = lst["DEC"].where(has_exit)

    away = ~ep["PLACE"].isin(list(codes.at_home_places)).to_numpy()
    acc = pd.Series(ep["DECOM"].to_numpy()[away]).groupby(period[away]).min()
    accommodated = pd.Series(acc, index=range(len(first))).reindex(range(len(first)))

    journeys = pd.DataFrame({
        "journey_id": names[f["cid"].to_numpy()] + "-" + _ymd(f["DECOM"]).to_numpy(dtype=object),
        "child_id": names[f["cid"].to_numpy()],
        "authority": authority or DEFAULT_AUTHORITY,
        "sex": sex_of[f["cid"].to_numpy()],
        "date_of_birth": dob_of[f["cid"].to_numpy()],
        "looked_after_date": f["DECOM"],
        "legal_basis": f["LS"].astype(object).map(codes.legal_basis).fillna(codes.legal_default),
        "accommodated_date": accommodated.to_numpy().astype("datetime64[ns]"),
        "permanence_recommendation_date": pd.NaT,
        "planned_route": None,
        "panel_date": pd.NaT,
        "adm_decision_date": pd.NaT,
        "application_lodged_date": pd.NaT,
        "permanence_route": route.where(route.notna(), None),
        "permanence_date": lst["DEC"].where(route.notna()),
        "exit_date": exit_date,
        "exit_reason": exit_reason.where(has_exit, None),
        "extract_date": _censoring(cut_of[f["cid"].to_numpy()], exit_date, extract),
    })
    for c in JOURNEY_COLUMNS:
        if c.kind == "date":
            journeys[c.name] = pd.to_datetime(journeys[c.name]).astype("datetime64[ns]")
    journeys = journeys[[c.name for c in JOURNEY_COLUMNS]]

    place = ep["PLACE"].to_numpy()
    new_pl = new_period | ep["RNE"].isin(list(codes.new_placement_rne)).to_numpy() | np.r_[
        True, place[1:] != place[:-1]]
    p_first = np.flatnonzero(new_pl)
    p_last = np.r_[p_first[1:] - 1, len(ep) - 1]
    jid = journeys["journey_id"].to_numpy()[period[p_first]]
    p_start = ep["DECOM"].to_numpy()[p_first]
    # A placement followed by another in the same period ends the day before the next
    # starts (the contract's "last day"); the last one ends on the period's DEC.
    followed = np.r_[period[p_first][1:] == period[p_first][:-1], False]
    p_end = ep["DEC"].to_numpy()[p_last]
    p_end = np.where(followed, np.maximum(p_end - np.timedelta64(1, "D"), p_start), p_end)
    placements = pd.DataFrame({
        "journey_id": jid,
        "start_date": p_start,
        "end_date": p_end,
        "placement_type": pd.Series(place[p_first]).map(codes.placement_type).fillna(
            codes.placement_default).to_numpy(),
    })
    placements = placements[[c.name for c in PLACEMENT_COLUMNS]]
    n_late = int((journeys["looked_after_date"] < obs_start).sum())
    return journeys, placements, n_late


def _censoring(cut: np.ndarray, exit_date: pd.Series, extract: pd.Timestamp) -> np.ndarray:
    """Each journey's extract date: its child's cut if the journey is open, else the extract."""
    open_cut = ~pd.isna(cut) & exit_date.isna().to_numpy()
    return np.where(open_cut, cut, np.datetime64(extract, "ns"))


def _counts(heads: pd.DataFrame, n_read: dict, ep_files: list[str], file_years: list[str],
            rej: pd.DataFrame, header_files: list[str], final: pd.DataFrame) -> pd.DataFrame:
    """Rows read, accepted, rejected and left out per input file.

    Left out: re-reported and duplicate episodes, short breaks, and periods whose start is
    unknown (listed in the rejects with rule ``start_unknown``, but not errors in the data).
    """
    errors = rej[~rej["rule"].isin(LEFT_OUT_RULES + KEPT_RULES)]
    rejected = errors[["file", "line"]].drop_duplicates().groupby("file").size()
    used = final["_file"].value_counts()
    n_head = heads["_file"].value_counts()
    rows = []
    for name in header_files:
        n = int(n_head.get(name, 0))
        r = int(rejected.get(name, 0))
        rows.append({"file": name, "kind": "header", "year": "", "read": n,
                     "accepted": n - r, "rejected": r, "left_out": 0})
    for name, yr in zip(ep_files, file_years, strict=True):
        n, r, acc = n_read[name], int(rejected.get(name, 0)), int(used.get(name, 0))
        rows.append({"file": name, "kind": "episodes", "year": yr, "read": n,
                     "accepted": acc, "rejected": r, "left_out": n - acc - r})
    return pd.DataFrame(rows)
