"""Are we improving? Trends by the reporting year in which children became looked after.

Children are grouped by the **reporting year** (1 August – 31 July, as Children's Social
Work Statistics) in which their period of care began. For each year, and for each of
1 and 2 years since becoming looked after, :func:`permanence_by_year` gives

* the share that had reached **any legal permanence**,
* the share that had **returned home** (route ``home``), and
* the share that had an **order** (kinship care order, permanence order, adoption; in an
  English route set the non-home routes likewise),

as Aalen–Johansen cumulative incidence (:func:`pace_analysis.competing.cumulative_incidence`,
leaving care without permanence is a competing outcome, not censored) with log-log 95%
intervals. Only **years with enough follow-up** are given: a year is shown at horizon *t*
only when every child who became looked after in it could have been followed for *t*
(31 July ending the year + *t* ≤ the extract date), so recent years are not biased by
censoring, and only years that begin on or after the window start (earlier years hold only
the periods still open on that day). Periods that began before the window are left out.

:func:`aims_by_year` gives the PACE national aims by the same years
(:func:`pace_analysis.milestones.pace_aims`, labelled with :mod:`pace_analysis.aims`).

Disclosure: a year with fewer than ``threshold`` children gives no row; a share whose
count (children reaching that outcome by then) is from 1 to ``threshold − 1`` is
suppressed, and so is the other outcome of the same year and horizon when the any-permanence
count is shown (home + orders = any). See :func:`suppress_trends`.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from pace_analysis import aims, competing, milestones
from pace_analysis.disclosure import DEFAULT_THRESHOLD
from pace_analysis.errors import PaceError
from pace_analysis.population import reporting_year

DAYS_PER_YEAR = 365.25
#: Horizons (years since becoming looked after) of the trend table.
HORIZONS: tuple[int, ...] = (1, 2)
#: Outcomes of the trend table, in display order, with their plain labels.
OUTCOMES: dict[str, str] = {
    "any": "Any legal permanence",
    "home": "Returned home",
    "order": "An order (kinship, permanence order or adoption)",
}
#: Columns of :func:`permanence_by_year`.
TREND_COLUMNS: tuple[str, ...] = (
    "area", "year", "year_start", "horizon_years", "outcome", "outcome_label", "n", "events",
    "share", "ci_lower", "ci_upper")
#: pace_aims codes reported by year, and the aims.py code of their published wording.
AIM_CODES: dict[str, str] = {"cso_home_2y_reviewed": "aim_1", "recommendation_26w": "aim_2"}
#: Follow-up (days after the end of the reporting year) an aim needs before a year is shown:
#: aim 2 is met within 26 weeks of accommodation, aim 1 concerns children 2 years on a CSO.
AIM_FOLLOW_UP: dict[str, float] = {"cso_home_2y_reviewed": 2 * 365.25,
                                   "recommendation_26w": 182.0}


def _start_dates(frame: pd.DataFrame, journeys: pd.DataFrame) -> pd.Series:
    if "looked_after_date" in frame.columns:
        return pd.to_datetime(frame["looked_after_date"], cache=False)
    by_id = pd.to_datetime(journeys.set_index(journeys["journey_id"].astype(str))
                           ["looked_after_date"], cache=False)
    start = frame["journey_id"].astype(str).map(by_id)
    if start.isna().any():
        raise PaceError(f"{int(start.isna().sum())} journey(s) of the frame are not in the "
                        "journeys table (no looked_after_date)")
    return start


def cohort_years(frame: pd.DataFrame, journeys: pd.DataFrame,
                 window_start: str | None = None) -> pd.DataFrame:
    """The periods of the frame that began in the window, with their reporting year.

    Parameters
    ----------
    frame : pandas.DataFrame
        Analysis frame (:func:`pace_analysis.cohort.build_frame`).
    journeys : pandas.DataFrame
        Journeys holding ``journey_id`` and ``looked_after_date`` for the frame's rows.
    window_start : str, optional
        Years beginning before it are partial (only periods still open then) and dropped.

    Returns
    -------
    pandas.DataFrame
        The frame's rows with ``entry_days == 0`` (followed from their start), plus
        ``looked_after_date``, ``year`` ("2015-16") and ``year_start`` (2015).
    """
    own = frame[frame["entry_days"] <= 0].copy() if "entry_days" in frame else frame.copy()
    start = _start_dates(own, journeys)
    own["looked_after_date"] = start.to_numpy()
    own["year"] = reporting_year(own["looked_after_date"]).to_numpy()
    own["year_start"] = (start.dt.year - (start.dt.month < 8).astype(int)).to_numpy()
    if window_start:
        ws = pd.Timestamp(window_start)
        first = ws.year + (1 if (ws.month, ws.day) > (8, 1) else 0)
        own = own[own["year_start"] >= first]
    return own.reset_index(drop=True)


def _recode(outcome: pd.Series, kind: str) -> pd.Series:
    route = ~outcome.isin([competing.EXIT, competing.CENSORED])
    if kind == "any":
        return outcome.where(~route, "any")
    return outcome.where(~route, np.where(outcome == "home", "home", "order"))


def permanence_by_year(frame: pd.DataFrame, journeys: pd.DataFrame, area: str,
                       window_start: str | None = None,
                       horizons: Sequence[int] = HORIZONS,
                       extract_date=None, conf_level: float = 0.95) -> pd.DataFrame:
    """Share reaching permanence within each horizon, by reporting year of becoming looked after.

    Parameters
    ----------
    frame : pandas.DataFrame
        Analysis frame of the area (one council's rows, or all of them for Scotland).
    journeys : pandas.DataFrame
        Journeys with ``journey_id`` and ``looked_after_date`` (and ``extract_date``).
    area : str
        Name for the ``area`` column.
    window_start : str, optional
        Study window start (see :func:`cohort_years`).
    horizons : sequence of int
        Years since becoming looked after (default 1 and 2).
    extract_date : date-like, optional
        End of follow-up; default the latest ``extract_date`` of *journeys*.
    conf_level : float
        Level of the log-log intervals.

    Returns
    -------
    pandas.DataFrame
        :data:`TREND_COLUMNS`, one row per year, horizon and outcome (:data:`OUTCOMES`),
        only for years with enough follow-up at that horizon. ``n`` = periods of care that
        began in the year; ``events`` = those reaching the outcome within the horizon.
        Counts are not suppressed here: see :func:`suppress_trends`.
    """
    extract = pd.Timestamp(extract_date if extract_date is not None
                           else pd.to_datetime(journeys["extract_date"], cache=False).max())
    rows = cohort_years(frame, journeys, window_start)
    empty = pd.DataFrame({c: pd.Series(dtype=object) for c in TREND_COLUMNS})
    if rows.empty:
        return empty
    times = [h * DAYS_PER_YEAR for h in horizons]
    pieces = []
    for kind, routes in (("any", ["any"]), ("split", ["home", "order"])):
        f = rows.assign(outcome=_recode(rows["outcome"].astype(str), kind))
        cif = competing.cumulative_incidence(f, by="year", routes=routes,
                                             conf_level=conf_level, waiting=False)
        at = competing.cif_at(cif, times)
        pieces.append(at[at["route"].isin(routes)])
    at = pd.concat(pieces, ignore_index=True)
    at["route"] = at["route"].astype(str)
    at["group"] = at["group"].astype(str)
    sizes = rows.groupby("year")["journey_id"].size()
    year_start = rows.groupby("year")["year_start"].first()
    # Each year's outcomes and times, split once (not one scan of every row per table row).
    outcome = rows["outcome"].astype(str).to_numpy()
    reached_any = ~np.isin(outcome, [competing.EXIT, competing.CENSORED])
    is_home = outcome == "home"
    time_days = rows["time_days"].to_numpy()
    members = {str(y): idx for y, idx in rows.groupby("year").indices.items()}
    out = []
    for r in at.itertuples(index=False):
        h = r.time_days / DAYS_PER_YEAR
        year_end = pd.Timestamp(int(year_start[r.group]) + 1, 7, 31)
        if year_end + pd.Timedelta(days=r.time_days) > extract + pd.Timedelta(hours=12):
            continue  # not every child of this year could be followed this long
        sel = members[r.group]
        hit = reached_any[sel]
        if r.route == "home":
            hit = hit & is_home[sel]
        elif r.route == "order":
            hit = hit & ~is_home[sel]
        events = int((hit & (time_days[sel] <= r.time_days)).sum())
        out.append((area, r.group, int(year_start[r.group]), int(round(h)), r.route,
                    OUTCOMES[r.route], int(sizes[r.group]), events, float(r.cif),
                    float(r.ci_lower), float(r.ci_upper)))
    if not out:
        return empty
    table = pd.DataFrame(out, columns=list(TREND_COLUMNS))
    order = {k: i for i, k in enumerate(OUTCOMES)}
    table = table.sort_values(["horizon_years", "year_start"], kind="stable")
    table = table.iloc[np.lexsort((table["outcome"].map(order), table["year_start"],
                                   table["horizon_years"]))]
    return table.reset_index(drop=True)


def suppress_trends(table: pd.DataFrame, threshold: int = DEFAULT_THRESHOLD) -> pd.DataFrame:
    """Apply disclosure control to a :func:`permanence_by_year` table.

    * A year with fewer than ``threshold`` children (``n``) is dropped.
    * Within one year and horizon, home + orders = any permanence, and any permanence +
      the rest = ``n``. A count from 1 to ``threshold − 1`` is suppressed with its share
      and interval; then, while one of those relations has exactly one suppressed part,
      the smallest other part is suppressed too (secondary suppression).

    Returns
    -------
    pandas.DataFrame
        The same columns; suppressed ``events``/``share``/``ci_*`` are NaN and a boolean
        column ``suppressed`` marks them.
    """
    t = table[table["n"] >= threshold].copy()
    t["suppressed"] = False
    for _, idx in t.groupby(["area", "year", "horizon_years"]).groups.items():
        part = t.loc[idx].set_index("outcome")
        ev = part["events"].to_dict()
        n = int(part["n"].iloc[0])
        counts = {"any": ev.get("any"), "home": ev.get("home"), "order": ev.get("order"),
                  "rest": n - ev["any"] if "any" in ev else None}
        small = {k for k, v in counts.items() if v is not None and 0 < v < threshold}
        relations = [("home", "order", "any"), ("any", "rest")]
        changed = True
        while changed:
            changed = False
            for rel in relations:
                members = [k for k in rel if counts.get(k) is not None]
                hidden = [k for k in members if k in small]
                if len(hidden) == 1:
                    free = [k for k in members if k not in small]
                    if free:
                        small.add(min(free, key=lambda k: (counts[k] == 0, counts[k])))
                        changed = True
        for k in small - {"rest"}:
            sel = [i for i in idx if t.at[i, "outcome"] == k]
            t.loc[sel, ["events", "share", "ci_lower", "ci_upper"]] = np.nan
            t.loc[sel, "suppressed"] = True
    return t.reset_index(drop=True)


def aims_by_year(journeys: pd.DataFrame, area: str, window_start: str | None = None,
                 threshold: int = DEFAULT_THRESHOLD) -> pd.DataFrame:
    """PACE national aims by reporting year of becoming looked after.

    Parameters
    ----------
    journeys : pandas.DataFrame
        Journeys of the area that began in the window (e.g.
        :func:`pace_analysis.reporting.began_in_window`'s journeys).
    area : str
    window_start : str, optional
        Years beginning before it are dropped (partial).
    threshold : int
        Years whose denominator is below it are dropped; a numerator from 1 to
        ``threshold − 1`` (or a denominator minus numerator that small) suppresses the
        share and its interval.

    Returns
    -------
    pandas.DataFrame
        ``area, year, year_start, aim, aim_label, numerator, denominator, share,
        ci_lower, ci_upper`` (Wilson 95%), for years with at least one eligible child.
        ``aim_label`` is CELCIS's wording (:data:`pace_analysis.aims.AIM_LABELS`).
    """
    j = journeys.copy()
    start = pd.to_datetime(j["looked_after_date"], cache=False)
    j["year"] = reporting_year(start)
    j["year_start"] = start.dt.year - (start.dt.month < 8).astype(int)
    if window_start:
        ws = pd.Timestamp(window_start)
        j = j[j["year_start"] >= ws.year + (1 if (ws.month, ws.day) > (8, 1) else 0)]
    cols = ["area", "year", "year_start", "aim", "aim_label", "numerator", "denominator",
            "share", "ci_lower", "ci_upper"]
    if j.empty:
        return pd.DataFrame(columns=cols)
    t = milestones.pace_aims(j, by="year")
    t = t[t["aim"].isin(list(AIM_CODES)) & (t["denominator"] >= max(threshold, 1))].copy()
    first = j.groupby("year")["year_start"].first()
    t["year_start"] = t["group"].map(first).astype(int)
    extract = pd.to_datetime(j["extract_date"], cache=False).max()
    year_end = pd.to_datetime(dict(year=t["year_start"] + 1, month=7, day=31))
    need = pd.to_timedelta(t["aim"].map(AIM_FOLLOW_UP), unit="D")
    t = t[year_end + need <= extract + pd.Timedelta(hours=12)].copy()
    t["area"] = area
    t["year"] = t["group"].astype(str)
    t["aim_label"] = t["aim"].map(lambda a: aims.AIM_SHORT[AIM_CODES[a]])
    small = ((t["numerator"] > 0) & (t["numerator"] < threshold)) | (
        (t["denominator"] - t["numerator"] > 0) & (t["denominator"] - t["numerator"] < threshold))
    t.loc[small, ["numerator", "share", "ci_lower", "ci_upper"]] = np.nan
    t = t.assign(_order=t["aim"].map({a: i for i, a in enumerate(AIM_CODES)}))
    t = t.sort_values(["_order", "year_start"], kind="stable")
    return t[cols].reset_index(drop=True)


def _pct(x: float) -> str:
    return f"{100 * x:.0f}%"


def trend_sentence(table: pd.DataFrame, area: str, horizon: int = 2,
                   outcome: str = "any") -> str:
    """One plain sentence on the first and last shown years of a (suppressed) trend table.

    E.g. "Of the children who became looked after in Glasgow City in 2021-22, 52% (48% to
    56%) reached any legal permanence within 2 years; in 2008-09, 49% (45% to 53%)."
    """
    t = table[(table["area"] == area) & (table["horizon_years"] == horizon)
              & (table["outcome"] == outcome) & table["share"].notna()]
    what = OUTCOMES[outcome].lower()
    if t.empty:
        return (f"No year in {area} has enough children followed for {horizon} years to show "
                f"the share reaching {what} safely.")
    t = t.sort_values("year_start")
    last, first = t.iloc[-1], t.iloc[0]

    def part(r) -> str:
        return f"{_pct(r.share)} ({_pct(r.ci_lower)} to {_pct(r.ci_upper)})"

    text = (f"Of the children who became looked after in {area} in {last.year}, "
            f"{part(last)} reached {what} within {horizon} year{'s' if horizon > 1 else ''}")
    if len(t) > 1:
        text += f"; in {first.year}, {part(first)}"
    return text + "."
