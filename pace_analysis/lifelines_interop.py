"""Hand the analysis frame to lifelines: its column layout and fitted Kaplan–Meier curves.

The project's own estimators (:mod:`pace_analysis.survival`, :mod:`pace_analysis.comparison`)
stay the reference; this module lets a researcher who works in lifelines fit the same models
without re-deriving durations, events and late entry by hand.

* :func:`to_lifelines` — ``duration``, ``event``, ``entry`` and treatment-coded covariate
  columns (the same coding and reference levels as :func:`pace_analysis.comparison.cox_model`),
  ready for ``CoxPHFitter().fit(df, "duration", "event", entry_col="entry")``.
* :func:`kaplan_meier_fitters` — one fitted ``KaplanMeierFitter`` per group, with late entry.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import pandas as pd
from lifelines import KaplanMeierFitter

from pace_analysis.comparison import _design
from pace_analysis.survival import group_frames, validate_frame

#: Entry given to journeys followed from the origin (``entry_days == 0``), so that lifelines
#: counts them at risk at time 0, as the project's risk sets do. lifelines leaves a journey
#: entering at t out of the risk set at t (left truncation: entry < t), so with entry 0 it
#: would drop them from the time-0 risk set whenever any other journey enters earlier.
ORIGIN_ENTRY = -0.5


def to_lifelines(frame: pd.DataFrame, covariates: Sequence[str] = (),
                 reference: Mapping[str, str] | None = None) -> pd.DataFrame:
    """The analysis frame as lifelines expects it.

    Parameters
    ----------
    frame : pandas.DataFrame
        Analysis frame (:func:`pace_analysis.cohort.build_frame`).
    covariates : sequence of str
        Columns to include; categorical ones become 0/1 columns named ``"cov[level]"``
        against the same reference level as :func:`pace_analysis.comparison.cox_model`.
    reference : mapping, optional
        Reference level per covariate, as in ``cox_model``.

    Returns
    -------
    pandas.DataFrame
        ``duration`` (days), ``event`` (bool, any legal permanence; exits censored),
        ``entry`` (days; late entrants keep their ``entry_days``) and one column per
        covariate term. Every journey followed from the origin (``entry_days == 0``) gets
        ``entry = -0.5``: the project counts it at risk at time 0 (entered before the clock
        starts), which lifelines, whose risk set at t holds entry < t, expresses as a
        negative entry; days are whole, so any entry in (-1, 0) gives the same risk sets.
        (Shifting only the journeys that end on day 0, as this function once did, leaves
        the others entering *at* 0, and lifelines' Kaplan–Meier then drops them from the
        time-0 risk set: see ``tests/test_lifelines_interop.py``.)
    """
    if isinstance(covariates, str):
        covariates = (covariates,)
    frame = validate_frame(frame)
    out = pd.DataFrame({
        "duration": frame["time_days"].to_numpy(dtype=float),
        "event": frame["event_observed"].to_numpy(dtype=bool),
        "entry": frame["entry_days"].to_numpy(dtype=float)}, index=frame.index)
    out.loc[out["entry"] == 0, "entry"] = ORIGIN_ENTRY
    if covariates:
        x, meta, _ = _design(frame, covariates, reference)
        for j, (term, *_rest) in enumerate(meta):
            out[term] = x[:, j]
    return out


def kaplan_meier_fitters(frame: pd.DataFrame, by: str | Sequence[str] | None = None,
                         ) -> dict[str, KaplanMeierFitter]:
    """Fitted lifelines ``KaplanMeierFitter`` per group (late entry via ``entry=``).

    Parameters
    ----------
    frame : pandas.DataFrame
        Analysis frame.
    by : str or list of str, optional
        Grouping column(s); one fitter labelled ``"All"`` when None.

    Returns
    -------
    dict
        Group label -> fitted ``KaplanMeierFitter`` (groups with no journeys left out).
    """
    frame = validate_frame(frame, by)
    fitters = {}
    for label, rows in group_frames(frame, by):
        if len(rows) == 0:
            continue
        df = to_lifelines(rows)
        fitters[label] = KaplanMeierFitter(label=label).fit(
            df["duration"], df["event"], entry=df["entry"])
    return fitters
