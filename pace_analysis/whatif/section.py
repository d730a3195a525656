"""Report section "What would change": a what-if for the council's longest stage.

:func:`what_would_change` picks the stage whose typical stay is longest in the council
(the median of the stage's own sojourn distribution, among stages at least ``threshold``
children entered), projects the council's children with that stage ``weeks`` shorter
(:func:`pace_analysis.whatif.what_if`, ``replicates`` bootstrap + Monte Carlo replicates;
200 in the report to keep its cost small), and returns a small table of display strings
with plain-language notes and caveats.

Disclosure: the table holds no counts. Shares are model projections (averages over
simulated children), shown as whole percentages; child-weeks are rounded to the nearest
10. Nothing is shown when the stage was entered by fewer than ``threshold`` children,
and a row about children in care at the start (or about new entrants) is left out when
that group holds fewer than ``threshold`` children.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from pace_analysis.dataset import Dataset
from pace_analysis.disclosure import DEFAULT_THRESHOLD
from pace_analysis.errors import PaceError
from pace_analysis.multistate.long_form import pathway_transitions
from pace_analysis.multistate.states import load_pathway
from pace_analysis.whatif.hazards import fit_sojourn, sojourn_stays
from pace_analysis.whatif.projection import Scenario, WhatIf, what_if

#: Columns of the published table.
TABLE_COLUMNS = ("Measure", "As things are", "With the change", "Difference (95% interval)")
#: Replicates used in the report (1,000 from ``pace whatif``).
REPORT_REPLICATES = 200


@dataclass
class WhatIfSection:
    """What the section publishes for one authority.

    Attributes
    ----------
    table : pandas.DataFrame
        Display strings (empty when the section is not shown).
    heading : str
        One sentence naming the change (markdown-safe: no text from the data).
    notes : list of str
        Method notes and caveats, in plain language.
    stage : str or None
        Code of the stage changed.
    result : WhatIf or None
        The projection (unrounded; for checks, never published).
    """

    table: pd.DataFrame
    heading: str
    notes: list[str] = field(default_factory=list)
    stage: str | None = None
    result: WhatIf | None = None


def longest_stage(dataset: Dataset, threshold: int = DEFAULT_THRESHOLD
                  ) -> tuple[str | None, float, dict]:
    """The stage with the longest median stay, among stages entered by >= threshold children.

    Returns
    -------
    (stage code or None, median stay in days, {stage: children who entered it})
        The median is the stage's own product-limit estimate on the sojourn clock (late
        entry and censoring allowed for; leaving the stage by any route ends the stay).
        Looked after at home is not a stage of the permanence pathway and is not chosen.
    """
    data = pathway_transitions(dataset)
    stays = sojourn_stays(data, dataset.journeys)
    fit = fit_sojourn(stays)
    s = fit.survival()[0]
    pw = data.pathway
    best, best_med, seen = None, -1.0, {}
    for k, code in enumerate(pw.transient):
        n = int(np.unique(stays.journey[stays.state == k]).size)
        seen[code] = n
        if k == 0 or n < threshold:
            continue
        g = np.flatnonzero(fit.grid_block == k)
        below = g[s[g] <= 0.5]
        if not len(below):
            continue  # median not reached within the data
        med = float(fit.grid_u[below[0]])
        if med > best_med:
            best, best_med = code, med
    return best, best_med, seen


def _pct(x: float) -> str:
    return f"{100 * x:.0f}%"


def _points(d: float, lo: float, hi: float) -> str:
    """'3 points higher (1 to 5)': never starting with a sign (a spreadsheet formula)."""
    p = round(100 * d)
    if p == 0:
        what = "no change" if abs(d) < 1e-9 else \
            f"under 1 point {'higher' if d > 0 else 'lower'}"
    else:
        what = f"{abs(p)} point{'s' if abs(p) != 1 else ''} {'higher' if p > 0 else 'lower'}"
    return f"{what} ({round(100 * lo) + 0:d} to {round(100 * hi) + 0:d})"


def _weeks(x: float) -> str:
    return f"{10 * round(x / 10) + 0:,d}"


def _fewer(x: float) -> str:
    if _weeks(x) == "0":
        return "no change" if abs(x) < 1e-9 else ("under 10 fewer" if x > 0 else "under 10 more")
    return f"{_weeks(abs(x))} {'fewer' if x > 0 else 'more'}"


def what_would_change(dataset: Dataset, authority: str, *, threshold: int = DEFAULT_THRESHOLD,
                      weeks: float = 8.0, replicates: int = REPORT_REPLICATES, seed: int = 0
                      ) -> WhatIfSection:
    """The "What would change" section of one authority's report.

    Parameters
    ----------
    dataset : Dataset
        Validated dataset.
    authority : str
        Council, as in the data.
    threshold : int
        Disclosure threshold (children).
    weeks : float
        Weeks taken off each stay in the longest stage (halved, down to whole weeks,
        when the stage's median stay is under twice that).
    replicates : int
        Bootstrap + Monte Carlo replicates (200 in the report).
    seed : int
        Seed (the section is deterministic).

    Returns
    -------
    WhatIfSection

    Raises
    ------
    PaceError
        The authority has no journeys.
    """
    ds = dataset.for_authority(authority)
    if ds.journeys.empty:
        raise PaceError(f"no journeys for {authority!r} in the data")
    empty = pd.DataFrame(columns=list(TABLE_COLUMNS))
    caveats = [
        "This is a model, not a forecast. It assumes everything else stays as it has been: "
        "the same number of children starting to be looked after each year as in the last "
        "three years, and every other stage taking as long as it has taken in this "
        "council's data.",
        "The model follows each child from the stage they are in, counting the time they "
        "have already spent there, and draws how long each stage takes from how long it "
        "took children in this council, from the recommendation on for children with the "
        "same planned route (a semi-Markov microsimulation; see docs/whatif.md). "
        "It knows nothing of why a stage takes as long as it does, so it cannot say how the "
        "change would be made, only what it would be worth.",
    ]
    stage, median, seen = longest_stage(ds, threshold)
    if stage is None:
        return WhatIfSection(empty, "Not shown: no stage of the pathway was entered by at "
                             f"least {threshold} children with a typical stay the data "
                             "can measure.", caveats)
    n_weeks = float(weeks)
    if median < 2 * 7 * n_weeks:
        n_weeks = max(1.0, float(np.floor(median / 14)))
    scenario = Scenario(stage, weeks=n_weeks)
    res = what_if(dataset, authority, scenario, replicates=replicates, seed=seed)
    base = load_pathway(ds.route_set)
    label = base.labels[stage].lower()
    routes = "; ".join(base.labels[r].lower() for r in base.permanence)
    heading = (f"The longest stage here is **{label}**: a typical stay in it (the median) is "
               f"about {median / 7:.0f} weeks. What if every stay in it, from the extract "
               f"date on, were **{n_weeks:g} weeks shorter**?")
    rows = []
    sh = res.shares[res.shares["route"] == "permanence"]
    groups = (("new", "Children starting to be looked after: permanent within {y}", res.n_new),
              ("in_care", "Children in care at the extract date: permanent within {y} of it",
               res.n_in_care))
    left_out = []
    for pop, text, n in groups:
        if n < threshold:
            left_out.append(pop)
            continue
        for r in sh[sh["population"] == pop].itertuples():
            y = "1 year" if r.years == 1 else f"{r.years} years"
            rows.append((text.format(y=y), _pct(r.baseline), _pct(r.scenario),
                         _points(r.difference, r.difference_lower, r.difference_upper)))
    # child-weeks add up every group's weeks: shown only when no group is small
    w = res.waiting[res.waiting["outcome"] == "all"] if not left_out else res.waiting.iloc[0:0]
    for r in w.itertuples():
        start = pd.Timestamp(r.year_from)
        rows.append((f"Child-weeks of waiting, year {r.year} ({start:%b %Y} to "
                     f"{start + pd.DateOffset(years=1) - pd.Timedelta(days=1):%b %Y})",
                     _weeks(r.baseline), _weeks(r.scenario),
                     f"{_fewer(r.saved)} ({_weeks(r.saved_lower)} to "
                     f"{_weeks(r.saved_upper)})"))
    notes = [
        f"'Permanent' counts every route ({routes}). Shares are rounded to whole "
        f"percentages and "
        f"child-weeks to the nearest 10. Intervals come from {replicates} simulations, each "
        "on a resample of the council's children (so they include the uncertainty of the "
        "estimates, not only chance).",
        "Child-weeks of waiting add up, over all children looked after in the year, the "
        "weeks each spends looked after before reaching permanence; a child who leaves care "
        "without permanence stops counting then.",
        "The change is for children entering the stage from the extract date on: children "
        "already in it then keep their stay, so for children in care at the extract date "
        "the difference comes only from those who reach the stage later.",
        *caveats,
    ]
    if left_out:
        notes.append(f"Rows about groups of fewer than {threshold} children, and the "
                     "child-weeks of waiting (which add up every group), are left out.")
    return WhatIfSection(pd.DataFrame(rows, columns=list(TABLE_COLUMNS)), heading, notes,
                         stage, res)
