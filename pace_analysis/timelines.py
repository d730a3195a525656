"""One child's journey as a timeline, in relative time only.

PACE asked local teams to look at "each child's journey and time frame" as a visual
timeline. :func:`journey_timeline` turns one journey into tidy rows — placements as
segments, legal milestones as points, the end of the journey (the route reached, leaving
care, or still waiting) — measured in **days since becoming looked after** and the
child's **age in years**. No calendar date, date of birth, child id or journey id is in
the output, so a drawing of it cannot show them.

Privacy (DESIGN.md): timelines of real children are not shown in reports. The function
:func:`example_timelines` refuses to pick examples from a dataset that is not marked
synthetic (``dataset.meta["source"] == "synthetic"`` or a ``generator`` of
``pace_analysis.synthetic``, as the generator writes) unless ``allow_real=True``.
"""

from __future__ import annotations

import string

import numpy as np
import pandas as pd

from pace_analysis.dataset import Dataset
from pace_analysis.errors import PaceError

YEAR = 365.25

#: Legal milestones drawn as points, with readable labels.
MILESTONE_LABELS: dict[str, str] = {
    "accommodated_date": "Accommodated",
    "permanence_recommendation_date": "Permanence recommended",
    "panel_date": "Panel",
    "adm_decision_date": "Agency decision",
    "application_lodged_date": "Application lodged",
}
COLUMNS = ["kind", "label", "placement_type", "start_day", "end_day", "start_age", "end_age"]


def is_synthetic(dataset: Dataset) -> bool:
    """True if the dataset's meta says it was made by the synthetic generator."""
    meta = dataset.meta or {}
    return (meta.get("source") == "synthetic" or meta.get("synthetic") is True
            or str(meta.get("generator", "")).startswith("pace_analysis.synthetic"))


def _age(day: float, age0: float) -> float:
    return age0 + day / YEAR


def journey_timeline(dataset: Dataset, journey_id: str) -> pd.DataFrame:
    """Tidy timeline of one journey in relative time.

    Parameters
    ----------
    dataset : Dataset
    journey_id : str

    Returns
    -------
    pandas.DataFrame
        Columns ``kind`` (``"looked_after"``, ``"placement"``, ``"milestone"``,
        ``"end"``), ``label``, ``placement_type`` (placements only), ``start_day``,
        ``end_day`` (days since becoming looked after; equal for points), ``start_age``,
        ``end_age`` (years). The ``end`` row's label says how the journey ended: the
        route label, ``"Left care: <reason>"`` or ``"Still looked after at extract"``.
        Ordered by kind then time.
    """
    j = dataset.journeys
    row = j[j["journey_id"] == journey_id]
    if row.empty:
        raise PaceError(f"no journey with id {journey_id!r}")
    r = row.iloc[0]
    start = pd.Timestamp(r["looked_after_date"])
    age0 = (start - pd.Timestamp(r["date_of_birth"])).days / YEAR

    def day(value) -> float:
        return float((pd.Timestamp(value) - start).days)

    perm, exit_ = r.get("permanence_date"), r.get("exit_date")
    if pd.notna(perm):
        end, how = day(perm), dataset.route_set.label_of(str(r["permanence_route"]))
    elif pd.notna(exit_):
        end, how = day(exit_), f"Left care: {str(r['exit_reason']).replace('_', ' ')}"
    else:
        end, how = day(r["extract_date"]), "Still looked after at extract"
    # a permanence order keeps the child looked after: the looked-after bar runs on
    stop_la = day(exit_) if pd.notna(exit_) else day(r["extract_date"])
    rows = [("looked_after", "Looked after", None, 0.0, max(stop_la, end))]
    pl = dataset.placements[dataset.placements["journey_id"] == journey_id]
    pl = pl.sort_values("start_date", kind="stable")
    for p in pl.itertuples():
        stop = day(p.end_date) if pd.notna(p.end_date) else day(r["extract_date"])
        kind = str(p.placement_type)
        rows.append(("placement", kind.replace("_", " ").capitalize(), kind,
                     day(p.start_date), stop))
    for col, label in MILESTONE_LABELS.items():
        if col in r and pd.notna(r[col]):
            d = day(r[col])
            rows.append(("milestone", label, None, d, d))
    rows.append(("end", how, None, end, end))
    out = pd.DataFrame(rows, columns=COLUMNS[:5])
    out["start_age"] = out["start_day"].map(lambda d: _age(d, age0))
    out["end_age"] = out["end_day"].map(lambda d: _age(d, age0))
    order = {"looked_after": 0, "placement": 1, "milestone": 2, "end": 3}
    out = out.sort_values(["kind", "start_day"], key=lambda s: s.map(order) if s.name == "kind"
                          else s, kind="stable")
    return out.reset_index(drop=True)[COLUMNS]


def example_label(i: int) -> str:
    """``"Example child A"``, ``"B"``, ... ``"Z"``, ``"AA"``..."""
    letters = string.ascii_uppercase
    name = letters[i % 26]
    if i >= 26:
        name = letters[i // 26 - 1] + name
    return f"Example child {name}"


def example_timelines(dataset: Dataset, n: int = 6, seed: int = 0, allow_real: bool = False,
                      authority: str | None = None) -> list[tuple[str, pd.DataFrame]]:
    """Pick ``n`` example journeys and return their timelines, labelled "Example child A"...

    Journeys with at least one placement are drawn at random (``numpy.random.default_rng
    (seed)``), one per outcome first (each route, left care, still waiting) so the
    gallery shows different journeys, then at random.

    Raises
    ------
    PaceError
        If the dataset is not marked synthetic and ``allow_real`` is False.
    """
    if not (allow_real or is_synthetic(dataset)):
        raise PaceError("example timelines are shown only for synthetic data; this dataset "
                        "is not marked synthetic (dataset.yaml 'source: synthetic'). Pass "
                        "allow_real=True only where every reader may see individual journeys.")
    j = dataset.journeys
    if authority is not None:
        j = j[j["authority"] == authority]
    with_pl = j[j["journey_id"].isin(dataset.placements["journey_id"])]
    if with_pl.empty:
        return []
    rng = np.random.default_rng(seed)
    outcome = with_pl["permanence_route"].fillna(
        with_pl["exit_reason"].where(with_pl["exit_date"].notna(), "waiting")).astype(str)
    ids: list[str] = []
    for key in sorted(set(outcome.unique()) - {"died"}):  # not a gallery example
        pool = with_pl.loc[outcome == key, "journey_id"].to_numpy()
        ids.append(str(rng.choice(pool)))
    rng.shuffle(ids)
    ids = ids[:n]
    rest = np.setdiff1d(with_pl["journey_id"].to_numpy().astype(str), ids)
    if len(ids) < n and len(rest):
        ids += [str(x) for x in rng.choice(rest, min(n - len(ids), len(rest)), replace=False)]
    return [(example_label(i), journey_timeline(dataset, jid)) for i, jid in enumerate(ids)]
