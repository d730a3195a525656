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
    """Return the published label of an aim or measure code, or raise ``KeyError``."""
    return {**AIM_LABELS, **MEASURE_LABELS}[code]
