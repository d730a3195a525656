"""Write a dataset as England's SSDA903 return (Header + Episodes CSVs, one pair per year).

Holds :func:`write_ssda903`, :func:`dataset_episodes` (a dataset's journeys as 903
episodes) and the mappings from the journey contract onto 903 codes: routes to ``REC``
(:data:`ROUTE_TO_REC`), exits to ``REC``, legal bases to ``LS``, placement types to
``PLACE``, and :data:`SCOTLAND_TO_ENGLAND` (what Scottish routes become in a 903 round
trip). The reader is :func:`pace_analysis.importers.ssda903.import_ssda903`; the return
years and code lists it shares with this writer are in
:mod:`pace_analysis.importers.ssda903_read` (documented in ``docs/importers.md``).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from pace_analysis.dataset import Dataset
from pace_analysis.errors import PaceError
from pace_analysis.importers.ssda903 import _next
from pace_analysis.importers.ssda903_read import normalise_year, year_bounds

#: Routes of each route set -> the REC written for them (see docs/importers.md).
ROUTE_TO_REC = {
    "scotland": {"home": "E4A", "kinship": "E41", "permanence_order": "E46", "adoption": "E11"},
    "england": {"home": "E4A", "child_arrangements": "E41", "special_guardianship": "E45",
                "adoption": "E11"},
}
#: Scottish routes as the england route set names what they become in a 903 round trip.
SCOTLAND_TO_ENGLAND = {"home": "home", "kinship": "child_arrangements",
                       "permanence_order": "special_guardianship", "adoption": "adoption"}
EXIT_TO_REC = {"aged_out": "E5", "transferred": "E3", "died": "E2", "other": "E8",
               "permanence": "E8"}
LEGAL_TO_LS = {"cso": "C2", "s25": "V2", "other": "L2"}
TYPE_TO_PLACE = {"home": "P1", "kinship": "U3", "foster": "U6", "residential": "K2",
                 "prospective_adopters": "A4", "other": "Z1"}
SEX_TO_CODE = {"male": "1", "female": "2"}
#: First day of the return year (2018/19) whose REC list has E45-E48 instead of E43/E44
#: (the code lists of ssda903_codes.yaml, from liiatools' schemas).
SGO_CODES_FROM = pd.Timestamp("2018-04-01")
HEADER_COLUMNS = ("CHILD", "SEX", "DOB", "ETHNIC", "UPN", "MOTHER", "MC_DOB")
EPISODE_COLUMNS = ("CHILD", "DECOM", "RNE", "LS", "CIN", "PLACE", "PLACE_PROVIDER", "DEC", "REC",
                   "REASON_PLACE_CHANGE", "HOME_POST", "PL_POST", "URN")


def _fmt(d: pd.Series) -> pd.Series:
    return d.dt.strftime("%d/%m/%Y").fillna("")


def _year_of(d: pd.Timestamp) -> str:
    start = d.year if d.month >= 4 else d.year - 1
    return f"{start}/{(start + 1) % 100:02d}"


def dataset_episodes(dataset: Dataset) -> pd.DataFrame:
    """A dataset's journeys as 903 episodes (all years together, dates as datetimes).

    One episode per placement; the period of care ends at the first legal permanence
    (a Scottish permanence order becomes an SGO, ending the period) or at the exit, and
    is open if neither happened by the extract date. Columns: ``CHILD, DECOM, DEC, RNE,
    LS, PLACE, REC, SEX, DOB``.
    """
    rs = dataset.route_set.name
    route_rec = ROUTE_TO_REC.get(rs)
    if route_rec is None:
        raise PaceError(f"no SSDA903 mapping for route set {rs!r}")
    j = dataset.journeys
    perm = j["permanence_date"].notna() & j["permanence_route"].notna()
    end = j["permanence_date"].where(perm, j["exit_date"])
    rec = j["permanence_route"].map(route_rec).where(perm, j["exit_reason"].map(EXIT_TO_REC))
    jj = pd.DataFrame({
        "journey_id": j["journey_id"].to_numpy(), "CHILD": j["child_id"].to_numpy(),
        "la": j["looked_after_date"].to_numpy(), "end": end.to_numpy(),
        "final_rec": rec.where(end.notna(), "").to_numpy(),
        "LS": j["legal_basis"].map(LEGAL_TO_LS).fillna("L2").to_numpy(),
        "adoption": (j["permanence_route"].where(perm) == "adoption").to_numpy(),
    })
    p = dataset.placements[["journey_id", "start_date", "placement_type"]].merge(
        jj, on="journey_id", how="inner")
    p = p[p["end"].isna() | (p["start_date"] < p["end"]) | (p["start_date"] <= p["la"])]
    p = p.assign(start_date=p["start_date"].where(p["start_date"] > p["la"], p["la"]))
    # Journeys without any placement get one episode of type "other".
    bare = jj[~jj["journey_id"].isin(p["journey_id"])]
    p = pd.concat([p, bare.assign(start_date=bare["la"], placement_type="other")],
                  ignore_index=True)
    p = p.sort_values(["journey_id", "start_date"], kind="stable")
    p = p.drop_duplicates(["journey_id", "start_date"], keep="last").reset_index(drop=True)

    jid = p["journey_id"].to_numpy()
    first = np.r_[True, jid[1:] != jid[:-1]]
    last = np.r_[jid[1:] != jid[:-1], True]
    start = p["start_date"].to_numpy()
    dec = np.where(last, p["end"].to_numpy(), _next(start, np.datetime64("NaT")))
    rec = np.where(last, p["final_rec"].to_numpy(), "X1")
    place = p["placement_type"].map(TYPE_TO_PLACE).fillna("Z1").to_numpy().astype(object)
    # The 903 validator expects an adoption to follow an adoption placement (A3-A6).
    is_a = pd.Series(place == "A4").groupby(jid).transform("any").to_numpy()
    fix = last & p["adoption"].to_numpy() & ~is_a
    place[fix] = "A5"
    # Before 2018/19 the special guardianship exits were E43/E44 (ssda903_codes.yaml): an
    # SGO ending before 1 April 2018 is written as E43, which the reader maps to the same route.
    sgo_new = np.isin(rec, ["E45", "E46", "E47", "E48"])
    rec = np.where(sgo_new & (pd.to_datetime(dec) < SGO_CODES_FROM), "E43", rec)
    heads = j.drop_duplicates("child_id", keep="last").set_index("child_id")
    return pd.DataFrame({
        "CHILD": p["CHILD"].to_numpy(), "DECOM": start, "DEC": dec,
        "RNE": np.where(first, "S", "P"), "LS": p["LS"].to_numpy(), "PLACE": place,
        "REC": np.where(pd.isna(dec), "", rec),
        "SEX": p["CHILD"].map(heads["sex"].map(SEX_TO_CODE)).fillna("").to_numpy(),
        "DOB": p["CHILD"].map(heads["date_of_birth"]).to_numpy(),
    })


def write_ssda903(dataset: Dataset, out_dir: str | Path,
                  years: list[str] | None = None, single_file: bool = False) -> list[Path]:
    """Write a dataset as SSDA903 Header and Episodes CSVs, one pair per return year.

    Parameters
    ----------
    dataset : Dataset
        Journeys and placements with route set ``scotland`` or ``england``.
    out_dir : str or pathlib.Path
        Folder to write ``header_YYYY_YY.csv`` and ``episodes_YYYY_YY.csv`` into
        (created if missing; files are written under a temporary name, then renamed).
    single_file : bool
        Write one Header and one Episodes file (``header.csv``, ``episodes.csv``) holding
        every episode of the years once, as an authority's case-system extract does,
        instead of one pair per return year.
    years : list of str, optional
        Return years to write (``"2022/23"``); default every year from the one holding
        the earliest looked-after date to the one holding the extract date.

    Returns
    -------
    list of pathlib.Path
        The files written, header then episodes for each year in order.

    Notes
    -----
    Each return lists the episodes open at any time in its year; one still open on
    31 March is written without DEC/REC and re-reported, ended, in the next return.
    Routes become RECs (Scotland: home E4A, kinship E41, permanence order E46,
    adoption E11); a Scottish permanence order *ends* the 903 period (an SGO does),
    so placements after it are not written. Placement types become PLACE codes
    (home P1, kinship U3, foster U6, residential K2, prospective adopters A4, other Z1,
    Z11 from 2025/26), legal bases LS (cso C2, s25 V2, other L2).
    """
    ep = dataset_episodes(dataset)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    extract = dataset.journeys["extract_date"].max()
    if years is None:
        first = int(_year_of(ep["DECOM"].min())[:4])
        last = int(_year_of(extract)[:4])
        years = [f"{y}/{(y + 1) % 100:02d}" for y in range(first, last + 1)]
    written = []
    if single_file:
        y0, y1 = year_bounds(normalise_year(years[0]))[0], year_bounds(normalise_year(years[-1]))[1]
        rows = ep[(ep["DECOM"] <= y1) & (ep["DEC"].isna() | (ep["DEC"] >= y0))]
        return _write_pair(rows, y1, out, "header.csv", "episodes.csv", late_codes=True)
    for year in (normalise_year(y) for y in years):
        y0, y1 = year_bounds(year)
        rows = ep[(ep["DECOM"] <= y1) & (ep["DEC"].isna() | (ep["DEC"] >= y0))]
        tag = year.replace("/", "_")
        written += _write_pair(rows, y1, out, f"header_{tag}.csv", f"episodes_{tag}.csv",
                               late_codes=int(year[:4]) >= 2025)
    return written


def _write_pair(rows: pd.DataFrame, y1: pd.Timestamp, out: Path, header_name: str,
                episodes_name: str, late_codes: bool) -> list[Path]:
    """Write the Header and Episodes files of *rows*; episodes open after *y1* stay open."""
    from pace_analysis.writing import write_bytes_atomic

    open_now = rows["DEC"] > y1
    episodes = pd.DataFrame({c: "" for c in EPISODE_COLUMNS}, index=rows.index)
    episodes["CHILD"] = rows["CHILD"]
    episodes["DECOM"] = _fmt(rows["DECOM"])
    episodes["DEC"] = _fmt(rows["DEC"].where(~open_now))
    episodes["REC"] = rows["REC"].where(~open_now, "")
    for c in ("RNE", "LS", "PLACE"):
        episodes[c] = rows[c]
    if late_codes:  # Z1 became Z11 in 2025/26 (per episode, by its start, in a single file)
        z11 = rows["DECOM"] >= pd.Timestamp("2025-04-01")
        episodes["PLACE"] = episodes["PLACE"].where(~(z11 & (episodes["PLACE"] == "Z1")), "Z11")
    episodes["CIN"] = "N1"
    episodes["PLACE_PROVIDER"] = np.where(episodes["PLACE"] == "P1", "", "PR1")
    kids = rows.drop_duplicates("CHILD")
    header = pd.DataFrame({c: "" for c in HEADER_COLUMNS}, index=kids.index)
    header["CHILD"] = kids["CHILD"]
    header["SEX"] = kids["SEX"]
    header["DOB"] = _fmt(kids["DOB"])
    written = []
    for name, frame in ((header_name, header), (episodes_name, episodes)):
        path = out / name
        write_bytes_atomic(path, frame.to_csv(index=False).encode("utf-8"))
        written.append(path)
    return written
