"""Stages between milestones, and the PACE aims.

A journey passes through the milestones of :data:`pace_analysis.schema.MILESTONES` in
order (looked after → accommodated → permanence recommendation → panel → agency decision
maker (ADM) → application lodged → legal permanence). :func:`stage_durations` measures
each stage, :func:`stage_summary` gives medians per stage and route and says which stage
holds the most time, and :func:`pace_aims` counts how many children meet the PACE aims.

Conventions
-----------
* A stage runs from its start milestone to the next milestone of the sequence.
* **Open stages** (start recorded, nothing later yet) are censored at the exit date if
  the child left care without permanence (status ``"left_care"``) or else at the extract
  date (status ``"open"``); the median of a stage is a Kaplan–Meier median, so open
  stages count as "at least this long".
* **Skipped milestones** are explicit, never silently bridged: if a journey moved on from
  a stage's start to a *later* milestone without recording the stage's end (a return home
  usually goes straight from recommendation to permanence, with no panel), the row has
  status ``"bypassed"``, ``to_milestone`` names the milestone actually reached and the
  duration runs to it; the following stages, whose start was never recorded, have status
  ``"skipped"``. Bypassed rows are counted (``n_bypassed``) but left out of the stage's
  median, which describes journeys that did pass through both milestones.
* A stage whose end date is before its start date has status ``"out_of_order"`` and no
  duration (validation warns about these as ``milestone_order``).
* The stage *looked after at home → accommodated* is measured only for journeys that
  began at home (``accommodated_date`` empty or after ``looked_after_date``). For those
  never accommodated it is open while they are still at home, or "bypassed" when they
  reached a recommendation or permanence without being accommodated: so
  :func:`stage_summary` shows, e.g., "Looked after to legal permanence (without
  accommodation, recommendation, ...)" for children who went home from a home order.
* Durations are whole days between dates; no date of birth is used anywhere here.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from pace_analysis.dataset import Dataset
from pace_analysis.errors import PaceError
from pace_analysis.schema import MILESTONES


@dataclass(frozen=True)
class Stage:
    """One stage between two consecutive milestones."""

    code: str
    start: str
    end: str
    label: str


#: Stages in journey order; each runs between consecutive entries of ``schema.MILESTONES``.
STAGES: tuple[Stage, ...] = (
    Stage("looked_after_to_accommodated", MILESTONES[0], MILESTONES[1],
          "Looked after at home to accommodated"),
    Stage("accommodated_to_recommendation", MILESTONES[1], MILESTONES[2],
          "Accommodated to permanence recommendation"),
    Stage("recommendation_to_panel", MILESTONES[2], MILESTONES[3], "Recommendation to panel"),
    Stage("panel_to_adm", MILESTONES[3], MILESTONES[4], "Panel to agency decision"),
    Stage("adm_to_application", MILESTONES[4], MILESTONES[5],
          "Agency decision to application lodged"),
    Stage("application_to_order", MILESTONES[5], MILESTONES[6],
          "Application lodged to legal permanence"),
)
STAGE_CODES: tuple[str, ...] = tuple(s.code for s in STAGES)
#: Short codes and readable names of the milestones (for stage codes and labels).
MILESTONE_CODES: dict[str, str] = dict(zip(MILESTONES, (
    "looked_after", "accommodated", "recommendation", "panel", "adm", "application", "order"),
    strict=True))
CODE_MILESTONES: dict[str, str] = {v: k for k, v in MILESTONE_CODES.items()}
MILESTONE_LABELS: dict[str, str] = dict(zip(MILESTONES, (
    "looked after", "accommodated", "permanence recommendation", "panel",
    "agency decision", "application lodged", "legal permanence"), strict=True))
MILESTONE_NOUNS: dict[str, str] = dict(zip(MILESTONES, (
    "looked after", "accommodation", "recommendation", "panel", "agency decision",
    "application", "legal permanence"), strict=True))
STAGE_STATUSES: tuple[str, ...] = (
    "completed", "open", "left_care", "bypassed", "skipped", "not_reached", "out_of_order",
)
#: Label used for journeys without a permanence route (not reached, or not yet).
NO_ROUTE = "none_yet"
_CARRY = ("journey_id", "authority", "legal_basis", "planned_route", "permanence_route")
_DAY = np.timedelta64(1, "D")


def _journeys(data: Dataset | pd.DataFrame) -> pd.DataFrame:
    j = data.journeys if isinstance(data, Dataset) else data
    if not isinstance(j, pd.DataFrame):
        raise PaceError("expected a Dataset or a journeys DataFrame")
    needed = set(MILESTONES) | {"journey_id", "exit_date", "extract_date"}
    missing = sorted(needed - set(j.columns))
    if missing:
        raise PaceError(f"journeys table lacks column(s): {', '.join(missing)}")
    j = j.copy()
    for col in (*MILESTONES, "exit_date", "extract_date"):
        j[col] = pd.to_datetime(j[col], cache=False)
    return j


def stage_durations(data: Dataset | pd.DataFrame, route_set=None) -> pd.DataFrame:
    """Duration of every stage of every journey.

    Parameters
    ----------
    data : Dataset or pandas.DataFrame
        A dataset or its journeys table.
    route_set : RouteSet, optional
        Unused for the arithmetic; accepted so every analysis has the same signature.

    Returns
    -------
    pandas.DataFrame
        One row per journey and stage (the first stage only where it applies, see the
        module notes) with ``journey_id``, ``authority``, ``legal_basis``,
        ``planned_route``, ``permanence_route`` (``"none_yet"`` when empty), ``stage``,
        ``stage_label``, ``from_milestone``, ``to_milestone`` (the milestone that ended the
        stage, or the censoring reason), ``start_date``, ``end_date``, ``duration_days``
        (float; NaN when the stage never started), ``event`` (True if the stage ended),
        ``status`` (one of :data:`STAGE_STATUSES`).
    """
    del route_set
    j = _journeys(data)
    carry = {c: (j[c] if c in j.columns else pd.Series(pd.NA, index=j.index)) for c in _CARRY}
    base = pd.DataFrame(carry).astype("object")
    base["permanence_route"] = base["permanence_route"].where(
        base["permanence_route"].notna(), NO_ROUTE)
    censor_at = j["exit_date"].where(j["exit_date"].notna() & (j["exit_date"] < j["extract_date"]),
                                     j["extract_date"])
    left_care = j["exit_date"].notna() & j["permanence_date"].isna()
    dates = j[list(MILESTONES)]
    out = []
    for stage in STAGES:
        i = MILESTONES.index(stage.start)
        s, e = dates[stage.start], dates[stage.end]
        later = dates[list(MILESTONES[i + 2:])]
        later_any = later.notna().any(axis=1)
        # Name and date of the first recorded milestone after the stage's end.
        if later.shape[1]:
            first_later_name = later.notna().idxmax(axis=1).where(later_any)
            first_later_date = later.bfill(axis=1).iloc[:, 0]
        else:
            first_later_name = pd.Series(pd.NA, index=j.index, dtype="object")
            first_later_date = pd.Series(pd.NaT, index=j.index, dtype="datetime64[ns]")
        status = pd.Series("not_reached", index=j.index, dtype="object")
        status[s.isna() & (e.notna() | later_any)] = "skipped"
        open_ = s.notna() & e.isna() & ~later_any
        status[open_] = np.where(left_care[open_], "left_care", "open")
        status[s.notna() & e.isna() & later_any] = "bypassed"
        status[s.notna() & e.notna()] = "completed"
        status[s.notna() & e.notna() & (e < s)] = "out_of_order"
        status[(status == "bypassed") & (first_later_date < s)] = "out_of_order"
        if stage.code == "looked_after_to_accommodated":
            keep = e.isna() | (e > s)  # journeys that began at home
        else:
            keep = pd.Series(True, index=j.index)
        end = pd.Series(pd.NaT, index=j.index, dtype="datetime64[ns]")
        to = pd.Series(pd.NA, index=j.index, dtype="object")
        m = status == "completed"
        end[m], to[m] = e[m], stage.end
        m = status == "bypassed"
        end[m], to[m] = first_later_date[m], first_later_name[m]
        m = status.isin(["open", "left_care"])
        end[m] = censor_at[m]
        to[m] = np.where(status[m] == "open", "extract_date", "exit_date")
        dur = (end - s) / _DAY
        frame = base.copy()
        frame["stage"] = stage.code
        frame["stage_label"] = stage.label
        frame["from_milestone"] = stage.start
        frame["to_milestone"] = to
        frame["start_date"] = s
        frame["end_date"] = end
        frame["duration_days"] = dur.astype(float)
        frame["event"] = status.isin(["completed", "bypassed"]).to_numpy()
        frame["status"] = status
        out.append(frame[keep.to_numpy()])
    res = pd.concat(out, ignore_index=True)
    res["stage"] = pd.Categorical(res["stage"], categories=STAGE_CODES, ordered=True)
    return res


def km_quantiles(durations, events, probs=(0.25, 0.5, 0.75)) -> np.ndarray:
    """Kaplan–Meier quantiles of time, with R's ``quantile.survfit`` rule.

    The ``p`` quantile is the first time at which the survival curve falls to
    ``1 - p`` or below; if the curve sits exactly on ``1 - p`` over a flat step, it is
    the midpoint of that step (ending at the next drop, or at the last follow-up time),
    as in R's ``survival`` package. NaN when the curve never gets that low.
    """
    d = np.asarray(durations, dtype=float)
    ev = np.asarray(events, dtype=bool)
    ok = ~np.isnan(d)
    d, ev = d[ok], ev[ok]
    res = np.full(len(probs), np.nan)
    if d.size == 0:
        return res
    times, inv = np.unique(d, return_inverse=True)
    n_ev = np.bincount(inv, weights=ev, minlength=times.size)
    n_out = np.bincount(inv, minlength=times.size)
    at_risk = d.size - np.concatenate(([0], np.cumsum(n_out)[:-1]))
    surv = np.cumprod(1.0 - n_ev / at_risk)
    tol = np.sqrt(np.finfo(float).eps)
    for k, p in enumerate(probs):
        target = 1.0 - p
        below = np.nonzero(surv <= target + tol)[0]
        if below.size == 0:
            continue
        i = below[0]
        if abs(surv[i] - target) < tol:
            lower = np.nonzero(surv < target - tol)[0]
            res[k] = (times[i] + (times[lower[0]] if lower.size else times[-1])) / 2
        else:
            res[k] = times[i]
    return res


def _group_col(frame: pd.DataFrame, by: str | None) -> pd.Series:
    if by is None:
        return pd.Series("All", index=frame.index)
    if by not in frame.columns:
        raise PaceError(f"cannot group by {by!r}: no such column")
    return frame[by].astype("object").where(frame[by].notna(), NO_ROUTE)


def _bypass_stages(st: pd.DataFrame) -> pd.DataFrame:
    """Bypassed rows as stages of their own, e.g. recommendation to order with no panel."""
    b = st[st["status"] == "bypassed"]
    if b.empty:
        return b.assign(stage=pd.Series(dtype=object))
    codes = b["from_milestone"].map(MILESTONE_CODES) + "_to_" + b["to_milestone"].map(MILESTONE_CODES)
    i0 = b["from_milestone"].map(MILESTONES.index)
    i1 = b["to_milestone"].map(MILESTONES.index)
    skipped = [", ".join(MILESTONE_NOUNS[m] for m in MILESTONES[a + 1:z])
               for a, z in zip(i0, i1, strict=True)]
    labels = [f"{MILESTONE_LABELS[f].capitalize()} to {MILESTONE_LABELS[t]} (without {sk})"
              for f, t, sk in zip(b["from_milestone"], b["to_milestone"], skipped, strict=True)]
    return b.assign(stage=codes.to_numpy(), stage_label=labels, status="completed")


def stage_summary(data: Dataset | pd.DataFrame, by: str | None = "permanence_route") -> pd.DataFrame:
    """Median time in each stage, per group, and the stage holding the most time.

    Parameters
    ----------
    data : Dataset, journeys DataFrame or the output of :func:`stage_durations`
    by : str or None
        Grouping column of the stage table (``"permanence_route"``, ``"planned_route"``,
        ``"authority"``, ``"legal_basis"``) or None for one group ``"All"``. Journeys
        without a permanence route are grouped as ``"none_yet"``.

    Returns
    -------
    pandas.DataFrame
        One row per group and stage with ``group``, ``stage``, ``stage_label``, ``n``
        (journeys that started the stage), ``n_completed``, ``n_open`` (still open or left
        care, censored), ``n_bypassed`` (went on to a later milestone without this stage's
        end), ``n_skipped``, ``median_days``, ``q1_days``, ``q3_days`` (Kaplan–Meier
        quartiles over completed and censored stages, R's rule; NaN when the curve does not
        fall that far), ``median_reached``, ``share_of_total`` (median / sum of the group's
        stage medians), ``most_time`` (True for the stage with the largest median in the
        group) and ``bypass`` (True for the extra stages that bypassed journeys took, such
        as ``recommendation_to_order``, "Permanence recommendation to legal permanence
        (without panel, agency decision, application)": one row per route actually taken, placed
        after the stage it left from, so a return home's time is not lost), and
        ``n_journeys`` (journeys in the group).
    """
    st = data if isinstance(data, pd.DataFrame) and "stage" in data.columns else stage_durations(data)
    st = st.assign(group=_group_col(st, by).to_numpy(), stage=st["stage"].astype(str))
    extra = _bypass_stages(st)
    order = []
    for stage in STAGES:
        order.append(stage.code)
        starts = extra[extra["from_milestone"] == stage.start]
        order += sorted(pd.unique(starts["stage"]),
                        key=lambda c: MILESTONES.index(CODE_MILESTONES[c.split("_to_")[1]]))
    rows = []
    for (group, stage), g in pd.concat([st, extra]).groupby(["group", "stage"], sort=False):
        used = g[g["status"].isin(["completed", "open", "left_care"])]
        q1, med, q3 = km_quantiles(used["duration_days"], used["status"] == "completed")
        rows.append({
            "group": group, "stage": stage, "stage_label": g["stage_label"].iloc[0],
            "n": int(g["status"].isin(["completed", "open", "left_care", "bypassed"]).sum()),
            "n_completed": int((g["status"] == "completed").sum()),
            "n_open": int(g["status"].isin(["open", "left_care"]).sum()),
            "n_bypassed": int((g["status"] == "bypassed").sum()),
            "n_skipped": int((g["status"] == "skipped").sum()),
            "median_days": med, "q1_days": q1, "q3_days": q3,
            "median_reached": bool(not np.isnan(med)),
            "bypass": stage not in STAGE_CODES,
        })
    cols = ["group", "stage", "stage_label", "n", "n_completed", "n_open", "n_bypassed",
            "n_skipped", "median_days", "q1_days", "q3_days", "median_reached", "bypass"]
    out = pd.DataFrame(rows, columns=cols)
    out["stage"] = pd.Categorical(out["stage"], categories=order, ordered=True)
    out = out.sort_values(["group", "stage"], kind="stable").reset_index(drop=True)
    total = out.groupby("group")["median_days"].transform("sum")
    out["share_of_total"] = (out["median_days"] / total.where(total > 0)).astype(float)
    best = out.groupby("group")["median_days"].transform("max")
    out["most_time"] = out["median_days"].notna() & (out["median_days"] == best)
    out["n_journeys"] = out["group"].map(st.groupby("group")["journey_id"].nunique()).astype(int)
    return out


def wilson_interval(numerator, denominator, level: float = 0.95) -> tuple[np.ndarray, np.ndarray]:
    """Wilson score interval for a proportion (NaN where the denominator is 0)."""
    x = np.asarray(numerator, dtype=float)
    n = np.asarray(denominator, dtype=float)
    z = stats.norm.ppf(0.5 + level / 2)
    with np.errstate(invalid="ignore", divide="ignore"):
        p = x / n
        centre = (p + z**2 / (2 * n)) / (1 + z**2 / n)
        half = z * np.sqrt(p * (1 - p) / n + z**2 / (4 * n**2)) / (1 + z**2 / n)
        lo, hi = np.clip(centre - half, 0, 1), np.clip(centre + half, 0, 1)
    return np.where(n > 0, lo, np.nan), np.where(n > 0, hi, np.nan)


AIMS: dict[str, str] = {
    "recommendation_26w": (
        "Permanence recommendation within 26 weeks of being accommodated (national aim 2). "
        "Denominator: accommodated journeys that either met the aim or were followed while "
        "looked after for at least 26 weeks after accommodation (the extract, or an exit "
        "without permanence, came 182 days or more after it). A permanence date counts as "
        "a recommendation if no earlier recommendation is recorded (a return home counts)."),
    "panel_12w": (
        "Panel within 12 weeks of the permanence recommendation. Denominator: journeys with a "
        "recommendation whose planned route is not excluded (return home needs no panel) "
        "that either met the aim or were followed while looked after for at least 84 days "
        "after the recommendation."),
    "cso_home_2y": (
        "Children on a Compulsory Supervision Order at home still looked after at home 2 "
        "years after the start (national aim 1). Denominator: journeys starting on a CSO at "
        "home (not accommodated on the first day) that began at least 2 years before the "
        "extract. Numerator: those neither accommodated, nor at legal permanence, nor gone "
        "from care by the 2-year point."),
    "cso_home_2y_reviewed": (
        "Of the children still looked after at home on a CSO 2 years after the start (the row "
        "above), those whose plan was reviewed: a permanence recommendation is recorded (at "
        "any date up to the extract)."),
}


def pace_aims(data: Dataset | pd.DataFrame, by: str | None = None, *,
              exclude_from_panel=("home",), level: float = 0.95) -> pd.DataFrame:
    """Share of journeys meeting each PACE aim, with numerator, denominator and Wilson CI.

    Parameters
    ----------
    data : Dataset or journeys DataFrame
    by : str or None
        Journeys column to group by (e.g. ``"authority"``), or None for ``"All"``.
    exclude_from_panel : tuple of str
        Planned routes that do not go to panel (left out of the panel aim's denominator).
    level : float
        Confidence level of the Wilson interval.

    Returns
    -------
    pandas.DataFrame
        ``group``, ``aim``, ``numerator``, ``denominator``, ``share`` (NaN when the
        denominator is 0, with ``note`` saying so), ``ci_lower``, ``ci_upper``,
        ``description`` (the exact definition, from :data:`AIMS`), ``note``.
    """
    j = _journeys(data)
    grp = _group_col(j, by)
    acc, la = j["accommodated_date"], j["looked_after_date"]
    rec, perm = j["permanence_recommendation_date"], j["permanence_date"]
    followed_to = j["exit_date"].where(j["exit_date"].notna() & j["permanence_date"].isna(),
                                       j["extract_date"])
    followed_to = followed_to.where(followed_to <= j["extract_date"], j["extract_date"])
    # Aim 2: the recommendation, or a permanence with no earlier recommendation recorded.
    decided = rec.where(rec.notna() & (perm.isna() | (rec <= perm)), perm)
    met2 = acc.notna() & decided.notna() & ((decided - acc) / _DAY <= 182)
    eligible2 = acc.notna() & (met2 | ((followed_to - acc) / _DAY >= 182))
    # Panel aim.
    route = j["planned_route"] if "planned_route" in j.columns else pd.Series(pd.NA, index=j.index)
    panel_pop = rec.notna() & ~route.isin(list(exclude_from_panel))
    met_p = panel_pop & j["panel_date"].notna() & ((j["panel_date"] - rec) / _DAY <= 84)
    eligible_p = panel_pop & (met_p | ((followed_to - rec) / _DAY >= 84))
    # Aim 1: CSO at home for two years.
    two = la + pd.DateOffset(years=2)
    at_home_start = (j["legal_basis"] == "cso") & (acc.isna() | (acc > la))
    eligible1 = at_home_start & (two <= j["extract_date"])
    gone = (j["exit_date"].notna() & (j["exit_date"] <= two)) | (perm.notna() & (perm <= two))
    met1 = eligible1 & ~gone & (acc.isna() | (acc > two))
    reviewed = met1 & rec.notna()
    pieces = {
        "recommendation_26w": (met2 & eligible2, eligible2),
        "panel_12w": (met_p & eligible_p, eligible_p),
        "cso_home_2y": (met1, eligible1),
        "cso_home_2y_reviewed": (reviewed, met1),
    }
    rows = []
    groups = pd.unique(grp)
    for g in sorted(groups, key=str):
        sel = (grp == g).to_numpy()
        for aim, (num, den) in pieces.items():
            rows.append({"group": g, "aim": aim, "numerator": int(num[sel].sum()),
                         "denominator": int(den[sel].sum())})
    out = pd.DataFrame(rows, columns=["group", "aim", "numerator", "denominator"])
    with np.errstate(invalid="ignore", divide="ignore"):
        out["share"] = np.where(out["denominator"] > 0,
                                out["numerator"] / out["denominator"].where(out["denominator"] > 0),
                                np.nan)
    out["ci_lower"], out["ci_upper"] = wilson_interval(out["numerator"], out["denominator"], level)
    out["description"] = out["aim"].map(AIMS)
    out["note"] = np.where(out["denominator"] == 0, "no eligible children", "")
    return out
