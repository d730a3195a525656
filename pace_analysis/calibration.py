"""Calibration of a dataset against published Scottish figures.

:func:`calibration_table` computes, on any dataset (synthetic or real), the figures the
PACE seed webinar quoted and the national statistics DOMAIN.md lists, each on a stated
population and window, and says whether it falls within a stated tolerance. It is how
the synthetic generator was tuned and what ``pace synth --calibration`` prints.

Definitions (times are measured from ``looked_after_date``; a year is 365.25 days):

* **Pre-PACE cohort**: journeys that began 1 Aug 2008 – 31 Jul 2012, followed to the
  extract date. The research figures describe children before PACE (SCRA 2011 and 2015).
* **Mean time to legal permanence (2.4 years)**: all journeys of the cohort (at home and
  accommodated) that reached any first legal permanence by the extract date. Returns home
  are quick, so the mean over all routes is much shorter than the time to an order.
* **8% within 2 years / 53% beyond 4 years**: accommodated journeys of the cohort that
  reached a permanence order or an adoption order (SCRA's samples were of children who
  got an order, so these describe time to an order among those who got one).
* **2% adopted per year**: adoptions granted 1 Aug 2014 – 31 Jul 2015 divided by children
  looked after away from home (a placement other than ``home``) on 31 Jul 2014.
* **25% on a CSO at home still looked after after 2 years**: cohort journeys that began
  at home on a CSO (legal basis ``cso``, not accommodated on the first day); share still
  looked after (at home or away) two years later.
* **Starts and stock**: journeys beginning in each reporting year (1 Aug – 31 Jul) and
  children looked after on each 31 July, divided by the dataset's ``scale``.
* **Permanently Progressing? (secondary)**: journeys that began 1 Aug 2012 – 31 Jul 2013
  aged 5 or under and accommodated on the first day; status four years later.
"""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd

from pace_analysis.dataset import Dataset

YEAR = 365.25
COHORT = (date(2008, 8, 1), date(2012, 7, 31))
PP_COHORT = (date(2012, 8, 1), date(2013, 7, 31))
ADOPTION_YEAR = (date(2014, 8, 1), date(2015, 7, 31))
COLUMNS = ("target", "kind", "source", "population", "window", "target_value", "tolerance",
           "lower", "upper", "synthetic_value", "n", "pass")

_WEBINAR = "PACE seed webinar (SCRA research 2011, 2015)"
_CSWS = "Children's Social Work Statistics Scotland, 31 July"
_PP = "Permanently Progressing? (Stirling/York), status 4 years later"
#: Published shares of the Permanently Progressing cohort (1,355 children away from home).
PP_SHARES: dict[str, float] = {
    "home": 0.31, "other family (kinship)": 0.11, "adopted": 0.16,
    "moving towards adoption": 0.06, "permanence order": 0.02,
    "left, other destination": 0.02, "still looked after": 0.32,
}


def _ts(d: date) -> pd.Timestamp:
    return pd.Timestamp(d)


def _in(s: pd.Series, window: tuple[date, date]) -> pd.Series:
    return (s >= _ts(window[0])) & (s <= _ts(window[1]))


def looked_after_on(journeys: pd.DataFrame, day: date) -> pd.Series:
    """Boolean mask: journeys of children looked after on *day*."""
    d = _ts(day)
    exit_ = journeys["exit_date"]
    return (journeys["looked_after_date"] <= d) & (exit_.isna() | (exit_ > d)) & (
        journeys["extract_date"] >= d)


def away_from_home_on(dataset: Dataset, day: date) -> pd.Series:
    """Boolean mask over journeys: looked after on *day* in a placement other than home."""
    j, p = dataset.journeys, dataset.placements
    d = _ts(day)
    cover = (p["start_date"] <= d) & (p["end_date"].isna() | (p["end_date"] >= d))
    away_ids = p.loc[cover & (p["placement_type"] != "home"), "journey_id"]
    return looked_after_on(j, day) & j["journey_id"].isin(away_ids)


def _years(a: pd.Series, b: pd.Series) -> pd.Series:
    return (b - a).dt.days / YEAR


def _row(target, kind, source, population, window, value, tol_text, lower, upper, synth, n):
    ok = bool(np.isfinite(synth) and lower <= synth <= upper) if synth is not None else False
    return dict(zip(COLUMNS, (target, kind, source, population, window, value, tol_text,
                              lower, upper, synth, int(n), ok), strict=True))


def _share(mask: pd.Series, pop: pd.Series) -> tuple[float, int]:
    n = int(pop.sum())
    return (float((mask & pop).sum() / n) if n else float("nan")), n


def pp_status(journeys: pd.DataFrame) -> pd.Series:
    """Status four years after the start, in the categories of *Permanently Progressing?*."""
    at = journeys["looked_after_date"] + pd.Timedelta(days=round(4 * YEAR))
    route = journeys["permanence_route"].where(journeys["permanence_date"] <= at)
    left = journeys["exit_date"].notna() & (journeys["exit_date"] <= at)
    towards = (journeys["planned_route"] == "adoption") & (
        journeys["permanence_recommendation_date"] <= at)
    status = pd.Series("still looked after", index=journeys.index, dtype=object)
    status[towards] = "moving towards adoption"
    status[left & (journeys["exit_reason"] != "permanence")] = "left, other destination"
    status[route == "permanence_order"] = "permanence order"
    status[route == "adoption"] = "adopted"
    status[route == "kinship"] = "other family (kinship)"
    status[route == "home"] = "home"
    return status


def calibration_table(dataset: Dataset, scale: float | None = None) -> pd.DataFrame:
    """Published figures against the same figures computed on *dataset*.

    Parameters
    ----------
    dataset : Dataset
        Journeys and placements (synthetic or real).
    scale : float, optional
        Divides counts (starts, stock) before comparing them with national figures;
        defaults to ``dataset.meta["scale"]`` or 1.

    Returns
    -------
    pandas.DataFrame
        One row per target with columns :data:`COLUMNS`: ``kind`` is ``"primary"`` or
        ``"secondary"``; ``lower``/``upper`` the accepted interval; ``n`` the size of the
        population the value is computed on; ``pass`` whether it lies in the interval.
    """
    scale = float(scale if scale is not None else dataset.meta.get("scale", 1.0))
    j = dataset.journeys
    la = j["looked_after_date"]
    cohort = _in(la, COHORT)
    cohort_w = "looked-after dates 2008-08-01 to 2012-07-31, followed to the extract date"
    perm = j["permanence_date"].notna()
    years = _years(la, j["permanence_date"])
    rows = []

    pop = cohort & perm & j["accommodated_date"].notna()
    rows.append(_row(
        "mean years to legal permanence", "primary", _WEBINAR,
        "accommodated journeys that reached a first legal permanence by any route "
        "(return home included); time from looked-after date",
        cohort_w, 2.4, "±0.25 years", 2.15, 2.65, float(years[pop].mean()), pop.sum()))

    order = j["permanence_route"].isin(["permanence_order", "adoption"])
    pop = cohort & j["accommodated_date"].notna() & order
    v2, n = _share(years <= 2, pop)
    v4, _ = _share(years > 4, pop)
    popdesc = ("accommodated journeys that reached a permanence order or adoption; "
               "time from looked-after date to the order")
    rows.append(_row("share of orders within 2 years", "primary", _WEBINAR, popdesc, cohort_w,
                     0.08, "±3 points", 0.05, 0.11, v2, n))
    rows.append(_row("share of orders after more than 4 years", "primary", _WEBINAR, popdesc,
                     cohort_w, 0.53, "±5 points", 0.48, 0.58, v4, n))

    away = away_from_home_on(dataset, date(ADOPTION_YEAR[0].year, 7, 31))
    adoptions = int((_in(j["permanence_date"], ADOPTION_YEAR)
                     & (j["permanence_route"] == "adoption")).sum())
    n_away = int(away.sum())
    rows.append(_row(
        "share of children away from home adopted in a year", "primary",
        "PACE seed webinar (2015); Children's Social Work Statistics",
        "adoptions granted in the year / children looked after away from home on 31 Jul 2014",
        "reporting year 2014-15", 0.02, "±0.5 points", 0.015, 0.025,
        adoptions / n_away if n_away else float("nan"), n_away))

    at_home = cohort & (j["legal_basis"] == "cso") & (
        j["accommodated_date"].isna() | (j["accommodated_date"] > la))
    still = j["exit_date"].isna() | (j["exit_date"] > la + pd.Timedelta(days=round(2 * YEAR)))
    v, n = _share(still, at_home)
    rows.append(_row("share on a CSO at home still looked after 2 years later", "primary",
                     _WEBINAR, "journeys that began at home on a CSO", cohort_w, 0.25,
                     "±4 points", 0.21, 0.29, v, n))

    starts, stock = _annual(j, _window_start(dataset))
    if len(starts):
        for label, value in (("fewest", starts.min()), ("most", starts.max())):
            rows.append(_row(f"looked-after starts in a reporting year ({label})", "primary",
                             _CSWS, "journeys beginning 1 Aug - 31 Jul, divided by scale",
                             f"reporting years {starts.index[0]} to {starts.index[-1]}", 3300,
                             "3,100-3,500", 3100, 3500, value / scale, value))
    if len(stock):
        for label, value in (("lowest", stock.min()), ("highest", stock.max())):
            rows.append(_row(f"children looked after on 31 July ({label})", "primary", _CSWS,
                             "children looked after on 31 July, divided by scale",
                             f"31 July {stock.index[0]} to {stock.index[-1]}", 14000,
                             "11,800-16,300", 11800, 16300, value / scale, value))

    pp_pop = _in(la, PP_COHORT) & (j["accommodated_date"] == la) & (
        _years(j["date_of_birth"], la) < 6)
    status = pp_status(j[pp_pop])
    for name, share in PP_SHARES.items():
        v, n = _share(status == name, pd.Series(True, index=status.index))
        rows.append(_row(f"under-5s away from home, 4 years later: {name}", "secondary", _PP,
                         "journeys begun aged 5 or under, accommodated on the first day",
                         "looked-after dates 2012-08-01 to 2013-07-31", share, "±6 points",
                         share - 0.06, share + 0.06, v, n))
    return pd.DataFrame(rows, columns=list(COLUMNS))


def _window_start(dataset: Dataset) -> pd.Timestamp:
    """Start of the looked-after window: ``meta["window"]["start"]`` or the earliest start."""
    window = dataset.meta.get("window") or {}
    if isinstance(window, dict) and window.get("start"):
        return pd.Timestamp(str(window["start"]))
    return dataset.journeys["looked_after_date"].min()


def _annual(j: pd.DataFrame, window_start: pd.Timestamp) -> tuple[pd.Series, pd.Series]:
    """Starts in each reporting year fully inside the window, and the stock on each 31 July.

    Journeys that began before the window start are only those still open on it, so
    counts start with the first reporting year that begins on or after it.
    """
    la = j["looked_after_date"]
    extract = j["extract_date"].max()
    if pd.isna(window_start) or pd.isna(extract):
        return pd.Series(dtype=float), pd.Series(dtype=float)
    first = window_start.year + (1 if (window_start.month, window_start.day) > (8, 1) else 0)
    last = extract.year - (0 if (extract.month, extract.day) >= (7, 31) else 1)
    starts, stock = {}, {}
    for y in range(first, last):
        lab = f"{y}-{str(y + 1)[2:]}"
        starts[lab] = int(_in(la, (date(y, 8, 1), date(y + 1, 7, 31))).sum())
    for y in range(first + 1, last + 1):
        stock[str(y)] = int(looked_after_on(j, date(y, 7, 31)).sum())
    return pd.Series(starts, dtype=float), pd.Series(stock, dtype=float)


def format_table(table: pd.DataFrame) -> str:
    """The calibration table as aligned plain text, for the terminal."""
    def fmt(v, ref):
        if pd.isna(v):
            return "n/a"
        if abs(ref) >= 100:
            return f"{v:,.0f}"
        if "years" in str(ref):
            return f"{v:.2f}"
        return f"{v:.3f}"

    lines = []
    for kind, part in table.groupby("kind", sort=False):
        lines.append(f"{kind.upper()} TARGETS")
        for r in part.itertuples(index=False):
            ok = "PASS" if r[-1] else "FAIL"
            lines.append(f"  [{ok}] {r.target}: synthetic {fmt(r.synthetic_value, r.target_value)}"
                         f" vs {fmt(r.target_value, r.target_value)} ({r.tolerance}; n={r.n:,})")
            lines.append(f"         population: {r.population}")
            lines.append(f"         window: {r.window}; source: {r.source}")
    n_fail = int((~table["pass"].astype(bool) & (table["kind"] == "primary")).sum())
    lines.append(f"{len(table)} targets, {n_fail} primary target(s) failed")
    return "\n".join(lines)
