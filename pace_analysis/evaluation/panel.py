"""The evaluation panel: one value of each measure per council and reporting year.

The unit of the evaluation is a **council**, the period a **reporting year** (1 August to
31 July, the year of Scotland's Children's Social Work Statistics), and each value
describes the **cohort of children accommodated in that year**. Reporting years rather
than quarters: quarterly cohorts of the small councils (Orkney, Shetland, Na h-Eileanan
Siar) hold one to three children, so their medians and shares are mostly empty or 0/1,
while PACE's effect ramps up over 12 to 18 months and needs no finer clock.

Measures (codes of :data:`EVALUATION_MEASURES`):

``recommendation_within_26_weeks``
    Share of the cohort with a permanence recommendation (or permanence, if it came
    first; a return home counts) within 182 days of accommodation: PACE aim 2, exactly as
    :func:`pace_analysis.measures.pace_measures` computes it for the run charts.
``days_to_recommendation``
    Kaplan–Meier median days from accommodation to that decision, censored at the
    extract or on leaving care (again :func:`~pace_analysis.measures.pace_measures`).
    Only cohorts followed for three years (the reporting year ended 1,095 days before
    the extract) are used: in younger cohorts of slow councils fewer than half have a
    decision yet, the median is undefined, and which cells are undefined would depend on
    PACE itself.
``permanence_within_2_years``
    Share of the cohort reaching legal permanence (any route) within 730 days of
    accommodation. Censoring is handled by **restriction**: only cohorts whose every
    child had two full years of follow-up by the extract date are used (the reporting
    year ended at least 730 days before it), so nobody in an included cohort is
    censored; leaving care without permanence within the two years counts as not
    reached (a competing event, not censoring). A Kaplan–Meier estimate at 730 days
    would admit younger cohorts but, censoring leavers, would describe a world in which
    nobody leaves care.

A council's cohort may be exposed to PACE **before** it joined: a child accommodated a
year before joining still has most of a two-year window ahead. Each measure therefore
declares its ``anticipation`` (in reporting years), the number of cohorts before the
joining year whose outcome window overlaps the council's PACE period: 0 for the two
recommendation measures (the recommendation clock is set at accommodation), 2 for
permanence within 2 years.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from pace_analysis.authorities import AUTHORITIES
from pace_analysis.dataset import Dataset
from pace_analysis.errors import PaceError
from pace_analysis.measures import data_start, pace_measures

_DAY = np.timedelta64(1, "D")
TWO_YEARS_DAYS = 730
#: Days-to-recommendation cohorts are kept when followed this long (so the median is reached).
MEDIAN_FOLLOW_UP_DAYS = 1095


@dataclass(frozen=True)
class EvaluationMeasure:
    """A measure evaluated across councils."""

    code: str
    label: str
    better: str          # "up" or "down"
    anticipation: int    # cohorts before the joining year that PACE can reach
    unit: str            # "share" or "days"


EVALUATION_MEASURES: dict[str, EvaluationMeasure] = {m.code: m for m in (
    EvaluationMeasure("recommendation_within_26_weeks",
                      "Share with a permanence recommendation within 26 weeks of accommodation",
                      "up", 0, "share"),
    EvaluationMeasure("days_to_recommendation",
                      "Median days from accommodation to permanence recommendation",
                      "down", 0, "days"),
    EvaluationMeasure("permanence_within_2_years",
                      "Share reaching legal permanence within 2 years of accommodation",
                      "up", 2, "share"),
)}

PANEL_COLUMNS = ["authority", "year", "measure", "value", "n"]


def reporting_year(dates: pd.Series) -> pd.Series:
    """Reporting year of each date, named by the calendar year it starts in (Aug–Jul).

    2014-10-01 is in reporting year 2014 (2014/15); 2017-07-01 in 2016 (2016/17).
    Missing dates give ``<NA>``.
    """
    d = pd.to_datetime(dates)
    return (d.dt.year - (d.dt.month < 8)).astype("Int64")


def join_years(authorities: Sequence[str] | None = None) -> dict[str, int | None]:
    """Reporting year in which each council joined PACE (None: never joined).

    The joining year is the first *treated* year (event time 0) even when the council
    joined late in it (July): its cohort is then barely exposed, which the true effect
    in synthetic data shows too; the year before is untouched by PACE.
    """
    out = {}
    for a in AUTHORITIES:
        if authorities is not None and a.name not in authorities:
            continue
        out[a.name] = (None if a.pace_start is None else
                       int(a.pace_start.year - (a.pace_start.month < 8)))
    return out


def _last_cohort(extract: pd.Timestamp, follow_up_days: int) -> int:
    """Last reporting year whose cohort ended (31 July) *follow_up_days* before *extract*."""
    d = extract - pd.Timedelta(days=follow_up_days)
    return (d.year if d >= pd.Timestamp(d.year, 7, 31) else d.year - 1) - 1


def _permanence_2y(dataset: Dataset, authorities: Sequence[str]) -> pd.DataFrame:
    j = dataset.journeys
    acc = pd.to_datetime(j["accommodated_date"])
    perm = pd.to_datetime(j["permanence_date"])
    extract = pd.to_datetime(j["extract_date"]).max()
    year = reporting_year(acc)
    first = int(reporting_year(pd.Series([data_start(dataset)])).iloc[0])
    # Full follow-up: the cohort's reporting year ended (31 July) 730 days before the extract.
    last = _last_cohort(extract, TWO_YEARS_DAYS)
    ok = (acc.notna() & (acc >= data_start(dataset)) & (year <= last).fillna(False)
          & j["authority"].isin(authorities))
    reached = perm.notna() & ((perm - acc) / _DAY <= TWO_YEARS_DAYS)
    frame = pd.DataFrame({"authority": j["authority"][ok], "year": year[ok].astype(int),
                          "reached": reached[ok].astype(float)})
    out = (frame.groupby(["authority", "year"], sort=True)["reached"]
           .agg(["mean", "size"]).reset_index()
           .rename(columns={"mean": "value", "size": "n"}))
    out = out[out["year"] >= first]
    return out.assign(measure="permanence_within_2_years")


def evaluation_panel(dataset: Dataset, measures: Sequence[str] | None = None,
                     authorities: Sequence[str] | None = None) -> pd.DataFrame:
    """Each measure per council and reporting year (cohorts of children accommodated).

    Parameters
    ----------
    dataset : Dataset
    measures : list of str, optional
        Codes of :data:`EVALUATION_MEASURES` (default all three).
    authorities : list of str, optional
        Default: every council in the data.

    Returns
    -------
    pandas.DataFrame
        ``authority``, ``year`` (reporting year, by its first calendar year), ``measure``,
        ``value`` (share or days; NaN when the cohort is empty or its median not reached),
        ``n`` (children in the cohort or its denominator). Cohorts too young to be
        assessed are absent.
    """
    measures = list(measures or EVALUATION_MEASURES)
    unknown = [m for m in measures if m not in EVALUATION_MEASURES]
    if unknown:
        raise PaceError(f"unknown evaluation measure(s) {unknown}; choose from "
                        f"{', '.join(EVALUATION_MEASURES)}")
    authorities = list(authorities or dataset.authorities)
    parts = []
    library = [m for m in measures if m != "permanence_within_2_years"]
    if library:
        t = pace_measures(dataset, "year", measures=library, authorities=authorities)
        n = t["denominator"].where(t["denominator"].notna(), t["n"])
        last = _last_cohort(pd.to_datetime(dataset.journeys["extract_date"]).max(),
                            MEDIAN_FOLLOW_UP_DAYS)
        young = (t["measure"] == "days_to_recommendation") & (
            reporting_year(t["period_start"]).astype(int) > last)
        t, n = t[~young], n[~young]
        parts.append(pd.DataFrame({
            "authority": t["authority"], "year": reporting_year(t["period_start"]).astype(int),
            "measure": t["measure"], "value": t["value"].astype(float), "n": n.astype(int)}))
    if "permanence_within_2_years" in measures:
        parts.append(_permanence_2y(dataset, authorities))
    out = pd.concat(parts, ignore_index=True)[PANEL_COLUMNS]
    out["n"] = out["n"].astype(int)
    return out.sort_values(["measure", "authority", "year"], kind="stable").reset_index(drop=True)


def true_effects(with_pace: pd.DataFrame, twin: pd.DataFrame) -> pd.DataFrame:
    """The true effect of PACE per council and year: measure with PACE minus in the twin.

    Parameters
    ----------
    with_pace, twin : pandas.DataFrame
        :func:`evaluation_panel` of a synthetic dataset and of its counterfactual twin
        (:func:`pace_analysis.synthetic.generate_twins`).

    Returns
    -------
    pandas.DataFrame
        The columns of the panel, ``value`` being the difference (NaN where either is).
    """
    key = ["authority", "year", "measure"]
    merged = with_pace.merge(twin[key + ["value"]], on=key, how="left", suffixes=("", "_twin"))
    merged["value"] = merged["value"] - merged.pop("value_twin")
    return merged[PANEL_COLUMNS]


def council_weights(panel: pd.DataFrame, measure: str) -> dict[str, float]:
    """Weight of each council: its children in the measure's cohorts (summed over years).

    Time-invariant, so the estimator weights councils, not cells; with them the overall
    effect is an effect per child rather than per council, and the five small councils
    that never joined do not weigh as much as Glasgow.
    """
    sub = panel[panel["measure"] == measure]
    return sub.groupby("authority")["n"].sum().astype(float).to_dict()


def wide(panel: pd.DataFrame, measure: str) -> pd.DataFrame:
    """One measure as a council × year table of values (NaN where absent)."""
    sub = panel[panel["measure"] == measure]
    return sub.pivot(index="authority", columns="year", values="value").sort_index()


def shifted_joins(joins: Mapping[str, int | None], years: int) -> dict[str, int | None]:
    """Join years moved *years* earlier (a placebo); councils that never joined stay so."""
    return {a: (None if g is None else g - years) for a, g in joins.items()}
