"""Cohort trends by year of becoming looked after, censoring-aware, beside the scorecard mean.

For each cohort (calendar year of ``looked_after_date``):

* **share reaching each milestone within fixed times** (permanence recommendation,
  panel, application lodged, legal permanence): the Aalen–Johansen cumulative incidence
  of the milestone, with the journey ending first (permanence or leaving care without
  reaching it) as a competing event, censored at the extract date, late entry at the
  observation start (a journey that had already reached the milestone then is left out,
  as left truncation requires); infinitesimal-jackknife standard errors;
* **restricted mean time to permanence** within a horizon ``tau``: the expected time,
  of the first ``tau`` days, not (yet) in legal permanence, ``tau - integral_0^tau
  CIF_permanence(t) dt`` (leaving care without permanence counts as never reaching it),
  with its IJ standard error (:mod:`pace_analysis.multistate.estimator`);
* **the scorecard-style mean**: the mean days to permanence over the journeys of the
  cohort that reached permanence by the extract date (completed cases only, as
  England's adoption scorecard A1/A2). It is shown for comparison and is biased for
  recent cohorts: only the quick cases have completed.

:func:`censor_at` cuts a dataset back to an earlier extract date, which is how the bias
is shown on synthetic data of known truth (``tests/test_multistate_trends.py``).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

import numpy as np
import pandas as pd

from pace_analysis.cohort import CENSORED as FRAME_CENSORED
from pace_analysis.cohort import DAYS_PER_YEAR, EXIT, build_frame
from pace_analysis.competing import aalen_johansen
from pace_analysis.dataset import Dataset
from pace_analysis.errors import PaceError
from pace_analysis.multistate.estimator import fit_multistate
from pace_analysis.schema import MILESTONES

#: Milestones whose reach is tracked, with readable names.
TREND_MILESTONES: dict[str, str] = {
    "permanence_recommendation_date": "permanence recommendation",
    "panel_date": "panel",
    "application_lodged_date": "application lodged",
    "permanence_date": "legal permanence",
}
#: Default times (days) for the shares: 6 months, 1 and 2 years.
DEFAULT_TIMES: tuple[float, ...] = (DAYS_PER_YEAR / 2, DAYS_PER_YEAR, 2 * DAYS_PER_YEAR)
TREND_COLUMNS: tuple[str, ...] = (
    "cohort", "n", "measure", "milestone", "time_days", "estimate", "std_err", "observed",
    "estimable", "method",
)
CENSORING_AWARE = "censoring-aware"
COMPLETED_CASES = "completed cases only (scorecard)"


def censor_at(dataset: Dataset, extract_date: date | str) -> Dataset:
    """The dataset as an extract taken on an earlier date would hold it.

    Journeys that began after *extract_date* are dropped; dates after it are emptied
    (with their route or exit reason), and ``extract_date`` is set to it. Placements
    are cut the same way.

    Parameters
    ----------
    dataset : Dataset
        Validated dataset.
    extract_date : datetime.date or str
        The earlier extract date.
    """
    cut = pd.Timestamp(extract_date)
    j = dataset.journeys
    if (pd.to_datetime(j["extract_date"]) < cut).any():
        raise PaceError(f"the dataset was extracted before {cut.date()}; cannot censor later")
    j = j[pd.to_datetime(j["looked_after_date"]) <= cut].copy()
    for col in (*MILESTONES[1:], "exit_date"):
        d = pd.to_datetime(j[col])
        j[col] = d.where(d <= cut)
    j.loc[j["permanence_date"].isna(), "permanence_route"] = None
    j.loc[j["exit_date"].isna(), "exit_reason"] = None
    j.loc[j["permanence_recommendation_date"].isna(), "planned_route"] = None
    j["extract_date"] = cut
    p = dataset.placements[dataset.placements["journey_id"].isin(j["journey_id"])].copy()
    p = p[pd.to_datetime(p["start_date"]) <= cut]
    end = pd.to_datetime(p["end_date"])
    p["end_date"] = end.where(end <= cut)
    meta = dict(dataset.meta, extract_date=cut.date().isoformat())
    return Dataset(j.reset_index(drop=True), p.reset_index(drop=True), dataset.route_set,
                   None, meta, [])


def cohort_trends(
    data: Dataset,
    times_days: Sequence[float] = DEFAULT_TIMES,
    tau_days: float = 2 * DAYS_PER_YEAR,
    *,
    cohorts: Sequence[int] | None = None,
    milestones: Sequence[str] = tuple(TREND_MILESTONES),
) -> pd.DataFrame:
    """Cohort trends: milestone shares, restricted mean time to permanence, scorecard mean.

    Parameters
    ----------
    data : Dataset
        Validated dataset (late entry from its observation start).
    times_days : sequence of float
        Times for the shares reaching each milestone.
    tau_days : float
        Horizon of the restricted mean time to permanence.
    cohorts : sequence of int, optional
        Years of becoming looked after to report (default every year with journeys
        starting on or after the observation start).
    milestones : sequence of str
        Journeys date columns tracked (default :data:`TREND_MILESTONES`).

    Returns
    -------
    pandas.DataFrame
        Columns :data:`TREND_COLUMNS`; ``measure`` is ``"share_reaching"`` (a proportion,
        per milestone and time), ``"restricted_mean_time_to_permanence"`` (days within
        ``tau_days``; ``time_days`` holds tau) or ``"mean_time_to_permanence"`` (the
        scorecard mean in days, ``std_err`` the usual standard error of a mean, ``n`` the
        completed cases). ``observed`` counts the journeys seen reaching the milestone
        by ``time_days`` (shares) or permanent by the extract date (the means), for
        disclosure control. ``estimable`` is False where the cohort is not followed long
        enough (values NaN).
    """
    frame = build_frame(data)
    j = data.journeys.set_index(data.journeys["journey_id"].astype(str))
    j = j.loc[frame["journey_id"].to_numpy()]
    origin = pd.to_datetime(j["looked_after_date"]).dt.normalize()
    year = origin.dt.year.to_numpy()
    start = data.observation_start
    if cohorts is None:
        first = pd.Timestamp(start).year + (pd.Timestamp(start).dayofyear > 1) if start \
            else int(year.min()) if len(year) else 0
        cohorts = sorted(int(y) for y in np.unique(year) if y >= first)
    times = np.asarray(times_days, dtype=float)
    entry = frame["entry_days"].to_numpy(dtype=float)
    end = frame["time_days"].to_numpy(dtype=float)
    outcome = frame["outcome"].astype(str).to_numpy()
    perm = ~np.isin(outcome, [EXIT, FRAME_CENSORED])
    rows = []
    for c in cohorts:
        m = year == c
        n = int(m.sum())
        if not n:
            continue
        follow = float(end[m].max())
        for col in milestones:
            if col == "permanence_date":
                t_event = np.where(perm, end, np.nan)
            else:
                t_event = (pd.to_datetime(j[col]).dt.normalize() - origin).dt.days.to_numpy(float)
                t_event = np.where(t_event <= end, t_event, np.nan)
            est, se = _share(t_event[m], end[m], outcome[m], entry[m], times)
            seen = np.sort(t_event[m][~np.isnan(t_event[m])])
            for t, e, s in zip(times, est, se, strict=True):
                ok = t <= follow
                rows.append((c, n, "share_reaching", TREND_MILESTONES.get(col, col), t,
                             e if ok else np.nan, s if ok else np.nan,
                             int(np.searchsorted(seen, t, side="right")), ok, CENSORING_AWARE))
        rm, rm_se = _restricted_mean_to_permanence(end[m], outcome[m], entry[m], tau_days)
        ok = tau_days <= follow
        rows.append((c, n, "restricted_mean_time_to_permanence", "legal permanence",
                     float(tau_days), rm if ok else np.nan, rm_se if ok else np.nan,
                     int((m & perm).sum()), ok, CENSORING_AWARE))
        done = end[m & perm]
        k = len(done)
        rows.append((c, k, "mean_time_to_permanence", "legal permanence", np.nan,
                     float(done.mean()) if k else np.nan,
                     float(done.std(ddof=1) / np.sqrt(k)) if k > 1 else np.nan, k, k > 0,
                     COMPLETED_CASES))
    out = pd.DataFrame(rows, columns=list(TREND_COLUMNS))
    return out.astype({"n": np.int64, "observed": np.int64, "estimable": bool})


def _share(t_event, end, outcome, entry, times):
    """CIF of reaching a milestone (dated t_event, NaN if not reached) at *times*."""
    reached = ~np.isnan(t_event)
    ended = outcome != FRAME_CENSORED
    time = np.where(reached, t_event, end)
    event = np.where(reached, "reached", np.where(ended, "ended", "censored"))
    # left truncation: reached on or before entry means never at risk here
    keep = ~(reached & (entry > 0) & (t_event <= entry))
    time, event, e = time[keep], event[keep], entry[keep]
    e = np.minimum(e, time)
    if not len(time):
        return np.full(len(times), np.nan), np.full(len(times), np.nan)
    res = aalen_johansen(time, event, e, ("reached", "ended"))
    if not len(res.time):
        return np.zeros(len(times)), np.zeros(len(times))
    pos = np.searchsorted(res.time, times, side="right") - 1
    est = np.where(pos >= 0, res.cif[np.maximum(pos, 0), 0], 0.0)
    se = np.sqrt(np.where(pos >= 0, res.variance[np.maximum(pos, 0), 0], 0.0))
    return est, se


def _restricted_mean_to_permanence(end, outcome, entry, tau):
    """tau - integral of CIF(permanence) over [0, tau], from a waiting/permanence/left fit."""
    to = np.where(np.isin(outcome, [EXIT]), 2, np.where(outcome == FRAME_CENSORED, -1, 1))
    start = np.where(entry > 0, entry, -1.0)
    ok = start < end
    if not ok.any():
        return np.nan, np.nan
    fit = fit_multistate(start[ok], end[ok], np.zeros(ok.sum(), int), to[ok],
                         np.arange(ok.sum()), 3)
    rm = fit.rmean(tau)
    se = fit.rmean_std_err(tau)[0]
    return float(tau - rm[1]), float(se[1])
