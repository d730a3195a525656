"""Report section "Where the time goes": time in each stage, occupancy chart, cohort trends.

:func:`where_the_time_goes` returns everything the section shows for one authority, with
disclosure control already applied, so a notebook only displays it:

* ``table``: of a child's first ``tau`` days (2 years by default), the expected weeks in
  each state (restricted mean time in state, Aalen–Johansen with late entry, IJ standard
  errors), with a 95% interval; states seen in fewer than ``threshold`` children are
  suppressed (``"c"``), with secondary suppression because the weeks sum to the horizon;
* ``figure``: the stacked state-occupancy chart (quarterly grid, small states merged);
* ``trends``: by year of becoming looked after, the share reaching permanence within one
  and two years and the restricted mean time to permanence (censoring-aware), beside the
  scorecard-style mean over completed cases; cohorts of fewer than ``threshold``
  children are left out;
* ``notes``: plain-language notes on method and on anything left out.

Median stage durations stay in their own table (:mod:`pace_analysis.milestones`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from pace_analysis.cohort import DAYS_PER_YEAR
from pace_analysis.dataset import Dataset
from pace_analysis.disclosure import DEFAULT_THRESHOLD, SUPPRESSED
from pace_analysis.errors import PaceError
from pace_analysis.multistate.long_form import pathway_transitions
from pace_analysis.multistate.occupancy import (
    fit_groups,
    occupancy_grid,
    small_states,
    time_in_state,
)
from pace_analysis.multistate.trends import cohort_trends
from pace_analysis.plotting.occupancy import plot_state_occupancy

TABLE_COLUMNS = ("State", "Weeks of the first 2 years", "95% interval", "Share of the time")


@dataclass
class PathwaySection:
    """What the "Where the time goes" section publishes for one authority.

    Attributes
    ----------
    table : pandas.DataFrame
        Weeks in each state within the horizon (display strings, suppressed cells "c").
    figure : matplotlib.figure.Figure or None
        Stacked state-occupancy chart; None when the authority has fewer than
        ``threshold`` journeys.
    trends : pandas.DataFrame
        Cohort trends (display values), one row per year of becoming looked after.
    notes : list of str
        Method notes and anything left out, for the reader.
    values : pandas.DataFrame
        The unsuppressed numbers behind ``table`` (for checks; never published).
    """

    table: pd.DataFrame
    figure: Figure | None
    trends: pd.DataFrame
    notes: list[str] = field(default_factory=list)
    values: pd.DataFrame | None = None


def where_the_time_goes(dataset: Dataset, authority: str, *,
                        threshold: int = DEFAULT_THRESHOLD,
                        tau_days: float = 2 * DAYS_PER_YEAR,
                        max_years: float = 5.0,
                        trends: bool = True) -> PathwaySection:
    """The "Where the time goes" section of one authority's report.

    Parameters
    ----------
    dataset : Dataset
        Validated dataset (late entry from its observation start).
    authority : str
        Council name, as in the data.
    threshold : int
        Disclosure threshold (children).
    tau_days : float
        Horizon of the time-in-state table (days; default 2 years).
    max_years : float
        Extent of the occupancy chart.
    trends : bool
        Compute the cohort-trends table (and its note); the authority report leaves it
        out because its own trends section (:mod:`pace_analysis.trends`) covers it.

    Returns
    -------
    PathwaySection

    Raises
    ------
    PaceError
        The authority has no journeys in the data.
    """
    ds = dataset.for_authority(authority)
    if ds.journeys.empty:
        raise PaceError(f"no journeys for {authority!r} in the data")
    data = pathway_transitions(ds)
    pw = data.pathway
    fits = fit_groups(data)
    notes = [
        "Time in each state is the expected number of weeks, of a child's first "
        f"{tau_days / DAYS_PER_YEAR:g} years after becoming looked after, spent in that "
        "state (the restricted mean time in state of the Aalen-Johansen estimate). It "
        "counts every child, including those still waiting at the extract date and those "
        "who left care without permanence, so the weeks add up to the whole period.",
        "Children already looked after when the data begin count from that date "
        "(late entry), in the state they were in then.",
    ]
    if data.problems:
        notes.append(f"{len(data.problems)} milestone date(s) out of their usual order "
                     "were left out of the pathway.")
    n = fits[0][2] if fits else 0
    if n < threshold:
        empty = pd.DataFrame(columns=list(TABLE_COLUMNS))
        notes.append(f"Not shown: fewer than {threshold} journeys.")
        return PathwaySection(empty, None, pd.DataFrame(), notes, None)

    tis = time_in_state(data, tau_days, fits=fits)
    ever = _ever_in_state(data)
    hide = small_states(ever, threshold)
    weeks = tis["rmean_days"].to_numpy() / 7
    lo, hi = tis["ci_lower"].to_numpy() / 7, tis["ci_upper"].to_numpy() / 7
    rows = []
    for i, code in enumerate(pw.states):
        if ever[i] == 0:
            continue
        if hide[i] or not tis["estimable"].iloc[i]:
            rows.append((pw.labels[code], SUPPRESSED if hide[i] else "", "", ""))
            continue
        rows.append((pw.labels[code], f"{weeks[i]:.1f}", f"{lo[i]:.1f} to {hi[i]:.1f}",
                     f"{tis['share'].iloc[i]:.0%}"))
    table = pd.DataFrame(rows, columns=list(TABLE_COLUMNS))
    if not tis["estimable"].all():
        notes.append("The data do not follow children for the whole horizon; the table is "
                     "left empty.")
    if hide.any():
        notes.append(f"States seen in fewer than {threshold} children are shown as "
                     f"'{SUPPRESSED}' (with one more where the rest would reveal them).")

    grid = occupancy_grid(data, step_days=91, max_days=max_years * DAYS_PER_YEAR, fits=fits)
    fig, ax = plt.subplots(figsize=(9, 4.5))
    plot_state_occupancy(grid, ax, pathway=pw, threshold=threshold,
                         title=f"Where the children are: {authority}")
    fig.tight_layout()
    plt.close(fig)  # held by the section; a notebook displays it once, where it chooses

    if not trends:
        return PathwaySection(table, fig, pd.DataFrame(), notes, tis)
    trends_table = _trends_table(ds, threshold)
    notes.append(f"Cohort trends: years with fewer than {threshold} children are left out, "
                 f"and shares resting on fewer than {threshold} children are shown as "
                 f"'{SUPPRESSED}'. The share reaching legal permanence and the restricted "
                 "mean time to permanence allow for children still waiting; the "
                 "'completed cases' mean (as England's adoption scorecard) averages only "
                 "those already permanent, so it looks quicker for recent years.")
    return PathwaySection(table, fig, trends_table, notes, tis)


def _ever_in_state(data) -> np.ndarray:
    """Journeys ever seen in each state (a stay in it, or a move into it)."""
    tr = data.transitions
    states = list(data.pathway.states)
    seen = pd.concat([tr[["journey_id"]].assign(state=tr["from_state"].astype(str)),
                      tr[["journey_id"]].assign(state=tr["to_state"].astype(str))])
    counts = seen.drop_duplicates().groupby("state").size()
    return np.array([int(counts.get(s, 0)) for s in states])


def _trends_table(ds: Dataset, threshold: int) -> pd.DataFrame:
    tr = cohort_trends(ds, times_days=(DAYS_PER_YEAR, 2 * DAYS_PER_YEAR),
                       tau_days=2 * DAYS_PER_YEAR, milestones=("permanence_date",))
    rows = []
    for cohort, sub in tr.groupby("cohort"):
        n = int(sub["n"].iloc[0])
        if n < threshold:
            continue
        sh = sub[sub["measure"] == "share_reaching"].set_index("time_days")
        small = ((sh["observed"] > 0) & (sh["observed"] < threshold)) | \
            ((n - sh["observed"] > 0) & (n - sh["observed"] < threshold))
        share = sh["estimate"].astype(object).where(~small, SUPPRESSED)
        rm = sub[sub["measure"] == "restricted_mean_time_to_permanence"].iloc[0]
        naive = sub[sub["measure"] == "mean_time_to_permanence"].iloc[0]

        def pct(x):
            return x if x == SUPPRESSED else "" if pd.isna(x) else f"{x:.0%}"

        rows.append({
            "Year looked after": int(cohort),
            "Permanent within 1 year": pct(share.get(DAYS_PER_YEAR)),
            "Permanent within 2 years": pct(share.get(2 * DAYS_PER_YEAR)),
            "Weeks of the first 2 years before permanence":
                "" if pd.isna(rm["estimate"]) else f"{rm['estimate'] / 7:.0f}",
            "Completed cases only: mean weeks to permanence":
                SUPPRESSED if 0 < naive["observed"] < threshold else
                ("" if pd.isna(naive["estimate"]) else f"{naive['estimate'] / 7:.0f}"),
        })
    return pd.DataFrame(rows)
