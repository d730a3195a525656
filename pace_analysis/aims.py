"""Published wording of the PACE aims and measures (CELCIS), kept apart from internal codes.

Reports show :data:`AIM_LABELS` / :data:`MEASURE_LABELS`; internal identifiers such as
``cso_home_2_years`` must never appear in a published label (see :func:`internal_identifiers`).
"""
from __future__ import annotations

import re

from pace_analysis.measures import MEASURES

#: CELCIS national aims, in CELCIS's wording (DOMAIN brief, "PACE measures").
AIM_LABELS: dict[str, str] = {
    "aim_1": ("National aim 1: children looked after at home on a Compulsory Supervision "
              "Order for 2 years have their plan reviewed"),
    "aim_2": ("National aim 2: children who become looked after and accommodated have a "
              "permanence recommendation within 6 months (26 weeks) of being accommodated"),
}

#: Published wording where it differs from :data:`pace_analysis.measures.MEASURES`' own label.
_REWORDED: dict[str, str] = {
    "cso_home_2_years": ("Share of children on a Compulsory Supervision Order at home who "
                         "have been so for 2 years or more"),
    "cso_home_2_years_cohort": ("Share of children starting on a Compulsory Supervision Order "
                                "at home still so 2 years later (the population of aim 1; "
                                "plan reviews are not in the data)"),
}

#: Plain labels for the measures charted in reports: each measure's own label, reworded
#: where :data:`_REWORDED` says so (one source of the wording, not a second copy).
MEASURE_LABELS: dict[str, str] = {
    code: _REWORDED.get(code, measure.label) for code, measure in MEASURES.items()}

#: Published names of the rows of :func:`pace_analysis.milestones.pace_aims` (its codes are
#: internal). The aim 1 row is the review (CELCIS's aim); "still at home" is its population.
PACE_AIM_ROWS: dict[str, str] = {
    "recommendation_26w": AIM_LABELS["aim_2"],
    "panel_12w": ("Local PACE aim: presented to the permanence panel within 12 weeks of the "
                  "permanence recommendation (plans other than a return home)"),
    "cso_home_2y": ("Population of national aim 1: children starting on a Compulsory "
                    "Supervision Order at home who were still looked after at home 2 years on"),
    "cso_home_2y_reviewed": (AIM_LABELS["aim_1"] + " (of the children in the row above; a "
                             "review is recorded as a permanence recommendation)"),
}
#: Short names of the national aims, for tables with one row per year.
AIM_SHORT: dict[str, str] = {
    "aim_1": "Aim 1: plan reviewed after 2 years at home on a CSO",
    "aim_2": "Aim 2: permanence recommendation within 26 weeks of accommodation",
}

#: Aim lines drawn on run charts: measure code -> (level on the measure's scale, label).
#: Only where a PACE aim gives a level on that scale: national aim 2 (26 weeks = 182 days,
#: for every child) and the local aim of a panel within 12 weeks (84 days) seen in PACE.
#: National aim 1 concerns plan reviews, which the data do not hold: no line.
AIM_LINES: dict[str, tuple[float, str]] = {
    "days_to_recommendation": (182.0, "National aim 2: within 26 weeks (182 days)"),
    "recommendation_within_26_weeks": (1.0, "National aim 2: every child within 26 weeks"),
    "days_recommendation_to_panel": (84.0, "Local PACE aim: panel within 12 weeks (84 days)"),
}

_IDENTIFIER = re.compile(r"\b[a-z0-9]+(?:_[a-z0-9]+)+\b")


def internal_identifiers(text: str) -> list[str]:
    """Return the snake_case identifiers (e.g. ``cso_home_2y``) found in ``text``.

    Parameters
    ----------
    text : str
        A label or caption meant for publication.

    Returns
    -------
    list of str
        Each identifier-looking token, in order; empty when the text is clean.
    """
    return _IDENTIFIER.findall(text)


def label(code: str) -> str:
    """Return the published label of an aim, aims-table row or measure code (``KeyError``)."""
    return {**AIM_LABELS, **PACE_AIM_ROWS, **MEASURE_LABELS}[code]
