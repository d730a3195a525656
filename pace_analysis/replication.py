"""Published figures (DOMAIN.md) side by side with the same figures computed from data.

The computations and their populations and windows are those of
:func:`pace_analysis.calibration.calibration_table` (one definition in one place; the
synthetic generator is tuned against the same code). This module only presents them for
a reader: published value, value in the data given, the population and window each is
computed on, and whether the two agree within the stated tolerance. Figures that cannot
be computed from the data contract are listed too, with the reason, so nothing is
silently left out.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from pace_analysis.calibration import calibration_table
from pace_analysis.dataset import Dataset

#: Published figures the data contract cannot reproduce, and why.
NOT_COMPUTABLE: tuple[dict, ...] = (
    {"figure": "children identified at risk at or before birth (SCRA 2011)",
     "source": "SCRA 2011 (Henderson, Hanson, Whitehead), 100 children",
     "published": "44 of 100",
     "reason": "needs the date first identified at risk (referral), which the journeys "
               "table does not hold"},
)

COLUMNS = ["figure", "source", "published", "in_data", "population", "window", "n",
           "agreement"]


def _fmt(value: float, target: float) -> str:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return "n/a"
    if abs(target) >= 100:
        return f"{value:,.0f}"
    if target > 1:  # years
        return f"{value:.2f} years"
    pct = value * 100
    return f"{pct:.0f}%" if abs(pct - round(pct)) < 0.05 or abs(pct) >= 10 else f"{pct:.1f}%"


def single_episode_share(dataset: Dataset) -> tuple[float, int]:
    """Share of the *Permanently Progressing?* cohort with one journey in four years.

    Cohort as in :mod:`pace_analysis.calibration` (looked after 1 Aug 2012 – 31 Jul 2013
    aged 5 or under, accommodated on the first day); a child has a single episode if no
    other journey of the same ``child_id`` began within four years of this one.
    """
    from pace_analysis.calibration import PP_COHORT

    j = dataset.journeys
    la = pd.to_datetime(j["looked_after_date"])
    age = (la - pd.to_datetime(j["date_of_birth"])).dt.days / 365.25
    pop = ((la >= pd.Timestamp(PP_COHORT[0])) & (la <= pd.Timestamp(PP_COHORT[1]))
           & (pd.to_datetime(j["accommodated_date"]) == la) & (age < 6))
    cohort = j.loc[pop, ["journey_id", "child_id"]].assign(start=la[pop])
    if cohort.empty:
        return float("nan"), 0
    other = j[["journey_id", "child_id"]].assign(other_start=la)
    pairs = cohort.merge(other, on="child_id", suffixes=("", "_other"))
    pairs = pairs[pairs["journey_id"] != pairs["journey_id_other"]]
    gap = (pairs["other_start"] - pairs["start"]).dt.days
    again = set(pairs.loc[(gap > 0) & (gap <= round(4 * 365.25)), "journey_id"])
    single = ~cohort["journey_id"].isin(again)
    return float(single.mean()), int(len(cohort))


def replication_table(dataset: Dataset, scale: float | None = None,
                      include_not_computable: bool = True) -> pd.DataFrame:
    """Published figures next to the same figures computed from ``dataset``.

    Parameters
    ----------
    dataset : Dataset
        Synthetic or real journeys.
    scale : float, optional
        Passed to :func:`~pace_analysis.calibration.calibration_table` (counts of starts
        and stock are divided by it); default ``dataset.meta["scale"]`` or 1.
    include_not_computable : bool
        Add rows for published figures the data cannot reproduce, with the reason.

    Returns
    -------
    pandas.DataFrame
        ``figure``, ``source``, ``published`` and ``in_data`` (formatted text),
        ``published_value``, ``data_value`` (numbers), ``population``, ``window``, ``n``
        (size of the population), ``agreement`` ("within tolerance (±…)", "outside
        tolerance (±…)", or the reason it cannot be computed), ``kind``.
    """
    cal = calibration_table(dataset, scale)
    out = pd.DataFrame({
        "figure": cal["target"],
        "source": cal["source"],
        "published": [_fmt(t, t) for t in cal["target_value"]],
        "in_data": [_fmt(v, t) for v, t in zip(cal["synthetic_value"], cal["target_value"],
                                               strict=True)],
        "published_value": cal["target_value"].astype(float),
        "data_value": cal["synthetic_value"].astype(float),
        "population": cal["population"],
        "window": cal["window"],
        "n": cal["n"],
        "agreement": np.where(cal["pass"].astype(bool), "within tolerance (" + cal["tolerance"]
                              + ")", "outside tolerance (" + cal["tolerance"] + ")"),
        "kind": cal["kind"],
    })
    share, n = single_episode_share(dataset)
    single = {
        "figure": "under-5s away from home: a single episode in four years",
        "source": "Permanently Progressing? (Stirling/York)", "published": "87%",
        "in_data": _fmt(share, 0.87), "published_value": 0.87, "data_value": share,
        "population": "journeys begun aged 5 or under, accommodated on the first day; a "
                      "later journey of the same child within 4 years is a second episode",
        "window": "looked-after dates 2012-08-01 to 2013-07-31", "n": n,
        "agreement": ("within tolerance (±6 points)" if abs(share - 0.87) <= 0.06
                      else "outside tolerance (±6 points)"),
        "kind": "secondary"}
    out = pd.concat([out, pd.DataFrame([single])], ignore_index=True)
    out.loc[out["data_value"].isna(), "agreement"] = "cannot be computed: no one in the population"
    if include_not_computable:
        extra = pd.DataFrame([{
            "figure": r["figure"], "source": r["source"], "published": r["published"],
            "in_data": "n/a", "published_value": np.nan, "data_value": np.nan,
            "population": "", "window": "", "n": 0,
            "agreement": "cannot be computed: " + r["reason"], "kind": "not computable",
        } for r in NOT_COMPUTABLE])
        out = pd.concat([out, extra], ignore_index=True)
    return out


def describe_data(dataset: Dataset) -> str:
    """One sentence saying what data the figures were computed on."""
    meta = dataset.meta or {}
    j = dataset.journeys
    kind = "synthetic" if meta.get("source") == "synthetic" else "supplied"
    window = meta.get("window") if isinstance(meta.get("window"), dict) else {}
    first = pd.Timestamp(window["start"]) if window.get("start") else \
        pd.to_datetime(j["looked_after_date"]).min()
    extract = pd.to_datetime(j["extract_date"]).max()
    scale = meta.get("scale")
    extra = f", generated at scale {scale} with seed {meta.get('seed')}" if kind == "synthetic" \
        and scale is not None else ""
    return (f"{len(j):,} journeys of {j['authority'].nunique()} authorities ({kind} data"
            f"{extra}); looked-after dates from {first:%d %b %Y}, extract {extract:%d %b %Y}.")
