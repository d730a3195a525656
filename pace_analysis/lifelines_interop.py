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

#: Entry given to journeys ending on day 0 (at risk at time 0, as in the project's risk sets).
DAY0_ENTRY = -0.5


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
        ``entry`` (days, 0 without late entry) and one column per covariate term. A journey
        ending on day 0 gets ``entry = -0.5``: the project counts it at risk at time 0
        (entered before the clock starts), which lifelines expresses as entry < duration;
        days are whole, so any entry in (-1, 0) gives the same risk sets.
    """
    if isinstance(covariates, str):
        covariates = (covariates,)
    frame = validate_frame(frame)
    out = pd.DataFrame({
        "duration": frame["time_days"].to_numpy(dtype=float),
        "event": frame["event_observed"].to_numpy(dtype=bool),
        "entry": frame["entry_days"].to_numpy(dtype=float)}, index=frame.index)
    out.loc[(out["entry"] == 0) & (out["duration"] == 0), "entry"] = DAY0_ENTRY
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
