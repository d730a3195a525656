"""Placement stability: moves per journey, and how moves relate to time to permanence.

A **move** is a change of placement within a journey: every placement after the first
counts as one move (``moves = placements − 1``), including a move home or to
prospective adopters. Records that are not changes of placement are not counted:
duplicate records (same start date and type) always, and, with
``merge_same_type=True``, a record that continues the previous one in the same setting
without a gap (for sources that split a placement on legal or administrative changes).

The length-bias trap
--------------------
Children who wait longer have more time in which to move, so "more moves, longer wait"
is partly a tautology. Two measures here avoid it:

* :func:`moves_summary` reports, besides moves per journey, the **rate per child-year
  looked after** (total moves ÷ total years looked after in the group), which does not
  grow with time in care.
* :func:`moves_and_time` is a **landmark analysis**: moves are counted only in the first
  12 months (``landmark_days``), and only children still waiting and under observation
  at 12 months are compared, by their first-year moves (0, 1, 2, 3+); their remaining
  time to permanence is estimated by Kaplan–Meier from the landmark (late entry kept).
  Every child compared has had the same 12 months in which to move, and what is
  measured comes after the moves it is compared with.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from pace_analysis.dataset import Dataset
from pace_analysis.errors import PaceError
from pace_analysis.milestones import NO_ROUTE

_DAY = np.timedelta64(1, "D")
DAYS_PER_YEAR = 365.25
#: Move bands of the landmark analysis (the last is open: "3+").
DEFAULT_BANDS: tuple[int, ...] = (0, 1, 2, 3)


def journey_moves(data: Dataset, *, landmark_days: float = 365.0,
                  merge_same_type: bool = False) -> pd.DataFrame:
    """Moves of every journey, in all and in its first ``landmark_days``.

    Parameters
    ----------
    data : Dataset
        Journeys and placements.
    landmark_days : float
        Length of the early window (moves whose placement starts less than this many days
        after ``looked_after_date`` count in ``moves_first_year``).
    merge_same_type : bool
        Count a record that continues the previous one in the same setting with no gap
        (starts on or the day after the previous end) as the same placement.

    Returns
    -------
    pandas.DataFrame
        One row per journey (journeys without placements have 0 placements and 0 moves):
        ``journey_id``, ``n_placements``, ``moves``, ``moves_first_year``,
        ``years_looked_after`` (looked-after date to exit, or to the extract date),
        ``permanence_route`` (``"none_yet"`` when empty).
    """
    if not isinstance(data, Dataset):
        raise PaceError("journey_moves needs a Dataset (journeys and placements)")
    j, p = data.journeys, data.placements
    for col in ("journey_id", "start_date", "placement_type"):
        if col not in p.columns:
            raise PaceError(f"placements table lacks column {col!r}")
    p = p[["journey_id", "start_date", "end_date", "placement_type"]].copy()
    p["start_date"], p["end_date"] = pd.to_datetime(p["start_date"], cache=False), pd.to_datetime(p["end_date"], cache=False)
    p = p.sort_values(["journey_id", "start_date", "end_date"], kind="stable")
    p = p.drop_duplicates(["journey_id", "start_date", "placement_type"])
    if merge_same_type:
        prev_type = p.groupby("journey_id")["placement_type"].shift()
        prev_end = p.groupby("journey_id")["end_date"].shift()
        cont = (p["placement_type"] == prev_type) & ((p["start_date"] - prev_end) / _DAY <= 1)
        p = p[~cont.fillna(False).astype(bool)]
    la = pd.to_datetime(j.set_index("journey_id")["looked_after_date"], cache=False)
    p["rank"] = p.groupby("journey_id").cumcount()
    p["day"] = (p["start_date"] - p["journey_id"].map(la)) / _DAY
    counts = p.groupby("journey_id").size()
    early = p[(p["rank"] > 0) & (p["day"] < landmark_days)].groupby("journey_id").size()
    end = pd.to_datetime(j["exit_date"], cache=False).fillna(pd.to_datetime(j["extract_date"], cache=False))
    out = pd.DataFrame({"journey_id": j["journey_id"].to_numpy()})
    out["n_placements"] = out["journey_id"].map(counts).fillna(0).astype(int)
    out["moves"] = (out["n_placements"] - 1).clip(lower=0)
    out["moves_first_year"] = out["journey_id"].map(early).fillna(0).astype(int)
    out["years_looked_after"] = ((end - pd.to_datetime(j["looked_after_date"], cache=False)) / _DAY
                                 / DAYS_PER_YEAR).to_numpy()
    route = j["permanence_route"] if "permanence_route" in j.columns else pd.Series(pd.NA, index=j.index)
    out["permanence_route"] = route.astype(object).where(route.notna(), NO_ROUTE).to_numpy()
    return out


def _frame(data: Dataset, frame: pd.DataFrame | None) -> pd.DataFrame:
    if frame is not None:
        return frame
    from pace_analysis.cohort import build_frame

    return build_frame(data)


def moves_summary(data: Dataset, by: str | Sequence[str] | None = ("age_group", "permanence_route"),
                  *, frame: pd.DataFrame | None = None, merge_same_type: bool = False
                  ) -> pd.DataFrame:
    """Moves per journey by group: mean, median, share with 3 or more, rate per year.

    Parameters
    ----------
    data : Dataset
    by : str, sequence of str or None
        Columns of the analysis frame (e.g. ``"age_group"``, ``"authority"``) or
        ``"permanence_route"`` (``"none_yet"`` when not reached); None for ``"All"``.
    frame : pandas.DataFrame, optional
        Analysis frame (default :func:`pace_analysis.cohort.build_frame` of ``data``);
        only its journeys are summarised.
    merge_same_type : bool
        See :func:`journey_moves`.

    Returns
    -------
    pandas.DataFrame
        The ``by`` columns, ``group`` (their values joined by " / "), ``n``, ``mean_moves``,
        ``median_moves``, ``n_3plus``, ``share_3plus``, ``years_looked_after`` (total) and
        ``moves_per_child_year`` (total moves ÷ total years looked after, free of the
        length bias of moves per journey).
    """
    keys = [] if by is None else ([by] if isinstance(by, str) else list(by))
    moves = journey_moves(data, merge_same_type=merge_same_type)
    fr = _frame(data, frame)
    cols = ["journey_id"] + [k for k in keys if k != "permanence_route"]
    missing = [c for c in cols if c not in fr.columns]
    if missing:
        raise PaceError(f"cannot group by {missing}: not in the analysis frame")
    m = fr[cols].merge(moves, on="journey_id", how="inner", validate="one_to_one")
    if not keys:
        m["_all"] = "All"
    gk = keys or ["_all"]
    g = m.groupby(gk, observed=True, sort=True)
    out = pd.DataFrame({
        "n": g.size(),
        "mean_moves": g["moves"].mean(),
        "median_moves": g["moves"].median(),
        "n_3plus": g["moves"].apply(lambda s: int((s >= 3).sum())),
        "years_looked_after": g["years_looked_after"].sum(),
        "moves_total": g["moves"].sum(),
    }).reset_index()
    out["share_3plus"] = out["n_3plus"] / out["n"]
    yrs = out["years_looked_after"].where(out["years_looked_after"] > 0)
    out["moves_per_child_year"] = out["moves_total"] / yrs
    out["group"] = out[gk].astype(str).agg(" / ".join, axis=1) if keys else "All"
    out = out.drop(columns=["_all"], errors="ignore")
    return out[[*keys, "group", "n", "mean_moves", "median_moves", "n_3plus", "share_3plus",
                "years_looked_after", "moves_per_child_year"]]


def moves_and_time(data: Dataset, *, frame: pd.DataFrame | None = None,
                   landmark_days: float = 365.0, bands: Sequence[int] = DEFAULT_BANDS,
                   merge_same_type: bool = False, conf_level: float = 0.95) -> pd.DataFrame:
    """Landmark analysis: time to permanence by moves in the first 12 months.

    Among journeys still waiting (no permanence, no exit, not censored) at
    ``landmark_days`` after becoming looked after, groups them by their moves before the
    landmark and estimates, by Kaplan–Meier from the landmark (late entrants enter when
    first observed), the median total time to legal permanence and the share reaching it
    within a further year. Exits without permanence are censored (any-permanence KM).

    Parameters
    ----------
    data : Dataset
    frame : pandas.DataFrame, optional
        Analysis frame with origin ``looked_after_date`` (default: built from ``data``).
    landmark_days : float
        The landmark (365 days: moves in the first year).
    bands : sequence of int
        Lower edges of the move bands; the last is open ("3+").
    merge_same_type : bool
        See :func:`journey_moves`.
    conf_level : float

    Returns
    -------
    pandas.DataFrame
        ``band`` (ordered), ``n`` (waiting at the landmark), ``events`` (permanence after
        it), ``median_days`` (from becoming looked after: landmark + median remaining
        time), ``ci_lower``, ``ci_upper``, ``median_reached``, ``share_next_year`` (share
        reaching permanence within a year after the landmark) with ``share_ci_lower``,
        ``share_ci_upper``, and ``landmark_days``.
    """
    from pace_analysis.survival import median_time, share_by

    bands = sorted(int(b) for b in bands)
    if not bands or bands[0] != 0:
        raise PaceError("move bands must start at 0")
    fr = _frame(data, frame)
    moves = journey_moves(data, landmark_days=landmark_days, merge_same_type=merge_same_type)
    m = fr.merge(moves[["journey_id", "moves_first_year"]], on="journey_id", how="inner")
    entry = m["entry_days"] if "entry_days" in m.columns else pd.Series(0.0, index=m.index)
    m = m[m["time_days"] > landmark_days].copy()
    labels = [str(b) for b in bands[:-1]] + [f"{bands[-1]}+"]
    edges = [*bands, np.inf]
    m["band"] = pd.cut(m["moves_first_year"], bins=[e - 0.5 for e in edges], labels=labels,
                       right=False)
    m["band"] = pd.Categorical(m["band"], categories=labels, ordered=True)
    m["time_days"] = m["time_days"] - landmark_days
    m["entry_days"] = np.maximum(entry.loc[m.index].to_numpy(dtype=float) - landmark_days, 0.0)
    cols = ["band", "n", "events", "median_days", "ci_lower", "ci_upper", "median_reached",
            "share_next_year", "share_ci_lower", "share_ci_upper", "landmark_days"]
    if m.empty:
        return pd.DataFrame({"band": pd.Categorical(labels, categories=labels, ordered=True),
                             "n": 0, "events": 0, "median_days": np.nan, "ci_lower": np.nan,
                             "ci_upper": np.nan, "median_reached": False,
                             "share_next_year": np.nan, "share_ci_lower": np.nan,
                             "share_ci_upper": np.nan, "landmark_days": landmark_days})[cols]
    med = median_time(m, by="band", conf_level=conf_level).set_index("group")
    share = share_by(m, [DAYS_PER_YEAR], by="band", conf_level=conf_level).set_index("group")
    out = pd.DataFrame({"band": pd.Categorical(labels, categories=labels, ordered=True)})
    key = out["band"].astype(str)
    out["n"] = key.map(med["n"]).fillna(0).astype(int).to_numpy()
    out["events"] = key.map(med["events"]).fillna(0).astype(int).to_numpy()
    for col in ("median_days", "ci_lower", "ci_upper"):
        out[col] = key.map(med[col]).astype(float).to_numpy() + landmark_days
    out["median_reached"] = key.map(med["reached"]).fillna(False).astype(bool).to_numpy()
    out["share_next_year"] = key.map(share["share"]).astype(float).to_numpy()
    out["share_ci_lower"] = key.map(share["ci_lower"]).astype(float).to_numpy()
    out["share_ci_upper"] = key.map(share["ci_upper"]).astype(float).to_numpy()
    out["landmark_days"] = float(landmark_days)
    return out[cols]
