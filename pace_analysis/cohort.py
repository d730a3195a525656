"""The analysis frame: one row per journey with a duration, an outcome and groupings.

:func:`build_frame` turns validated journeys into the frame every survival and
competing-risks analysis starts from. Conventions (see ``docs/statistics.md``):

* **Origin**: ``looked_after_date`` (default) or ``accommodated_date`` for analyses of
  children looked after and accommodated (LAAC); with the latter, journeys never
  accommodated are left out.
* **Event**: the first legal permanence (``permanence_date``, route ``permanence_route``).
* **Exit without permanence** (aged out, transferred, died, other): outcome ``"exit"`` at
  ``exit_date``. Kaplan–Meier of "any permanence" treats it as censored; cumulative
  incidence treats it as a competing state.
* **Censoring**: still waiting at ``extract_date`` (or at the end of the study window).
* **Day 0**: permanence on the origin day gives ``time_days == 0`` with the event
  observed; such journeys are at risk at time 0 (as in R's ``Surv(time, event)``).
* **Study window / late entry**: a journey that began before the window start and was
  still waiting on that day enters the risk set at ``entry_days`` = window start − origin
  (left truncation) and is at risk on ``(entry_days, time_days]``; one that had ended on
  or before the window start is dropped. A window end censors follow-up there.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

import numpy as np
import pandas as pd

from pace_analysis.dataset import Dataset
from pace_analysis.errors import PaceError
from pace_analysis.routes import RouteSet, load_route_set

#: Default age-group breaks in years (left-closed: [0, 1), [1, 5), [5, 12), [12, inf)).
DEFAULT_AGE_GROUPS: tuple[float, ...] = (0, 1, 5, 12)
#: Labels of the default age groups.
DEFAULT_AGE_LABELS: tuple[str, ...] = ("under 1", "1-4", "5-11", "12+")
#: Origins :func:`build_frame` accepts.
ORIGINS: tuple[str, ...] = ("looked_after_date", "accommodated_date")
#: Columns of the analysis frame, in order.
FRAME_COLUMNS: tuple[str, ...] = (
    "journey_id", "child_id", "authority", "sex", "legal_basis", "planned_route",
    "accommodated", "age_at_start_years", "age_group", "entry_days", "time_days",
    "time_years", "outcome", "event_observed",
)
#: Outcome of a journey that left care without legal permanence.
EXIT = "exit"
#: Outcome of a journey still waiting at the end of follow-up.
CENSORED = "censored"
DAYS_PER_YEAR = 365.25

_NEEDED = (
    "journey_id", "child_id", "authority", "sex", "date_of_birth", "looked_after_date",
    "legal_basis", "accommodated_date", "planned_route", "permanence_route",
    "permanence_date", "exit_date", "exit_reason", "extract_date",
)


def age_labels(breaks: Sequence[float]) -> tuple[str, ...]:
    """Default labels for age-group ``breaks`` (``(0, 1, 5, 12)`` gives the default labels).

    Integer breaks give ``"under b"``, ``"a-(b-1)"`` and ``"last+"``; other breaks give
    ``"a to <b"``.
    """
    b = [float(x) for x in breaks]
    if all(x.is_integer() for x in b):
        out = [f"under {int(b[1])}" if b[0] == 0 and len(b) > 1 else None]
        out = [] if out[0] is None else out
        start = 1 if out else 0
        for lo, hi in zip(b[start:-1], b[start + 1:], strict=False):
            out.append(f"{int(lo)}" if hi - lo == 1 else f"{int(lo)}-{int(hi) - 1}")
        out.append(f"{int(b[-1])}+")
        return tuple(out)
    return tuple([f"{lo:g} to <{hi:g}" for lo, hi in zip(b[:-1], b[1:], strict=False)]
                 + [f"{b[-1]:g}+"])


def _age_years(dob: pd.Series, at: pd.Series) -> np.ndarray:
    """Age in years: completed calendar years (birthdays exact) plus the fraction since."""
    completed = (at.dt.year - dob.dt.year
                 - ((at.dt.month < dob.dt.month)
                    | ((at.dt.month == dob.dt.month) & (at.dt.day < dob.dt.day))).astype(int))
    completed = completed.to_numpy(dtype=float)
    approx = (at - dob).dt.days.to_numpy(dtype=float) / DAYS_PER_YEAR
    frac = np.clip(approx - completed, 0.0, 1.0 - 1e-9)
    return completed + frac


def _fail(what: str, ids: pd.Series) -> None:
    if len(ids):
        shown = ", ".join(map(str, ids.iloc[:10]))
        more = f" and {len(ids) - 10} more" if len(ids) > 10 else ""
        raise PaceError(f"cannot build the analysis frame: {what} (journeys {shown}{more})")


def _to_ts(value: date | str | None) -> pd.Timestamp | None:
    if value is None:
        return None
    ts = pd.Timestamp(value)
    if pd.isna(ts):
        return None
    return ts


def build_frame(
    data: Dataset | pd.DataFrame,
    *,
    origin: str = "looked_after_date",
    age_groups: Sequence[float] = DEFAULT_AGE_GROUPS,
    age_group_labels: Sequence[str] | None = None,
    window: tuple[date | str | None, date | str | None] | None | str = "dataset",
    route_set: RouteSet | None = None,
) -> pd.DataFrame:
    """Build the analysis frame (one row per journey) from journeys.

    Parameters
    ----------
    data : Dataset or pandas.DataFrame
        Validated dataset, or a journeys table with the contract's columns (dates as
        datetimes or ISO strings).
    origin : {"looked_after_date", "accommodated_date"}
        Clock start. With ``"accommodated_date"`` only journeys with an accommodated date
        are kept (LAAC analyses), and age is measured at that date.
    age_groups : sequence of float
        Left-closed age breaks in years; the last group is open-ended. Ages below the first
        break are an error.
    age_group_labels : sequence of str, optional
        One label per group; default from :func:`age_labels`.
    window : (start, end), None or "dataset"
        Study window; either end may be None. The default ``"dataset"`` uses the
        dataset's own observation start (:attr:`Dataset.observation_start`, e.g. the
        synthetic data's window start) when *data* is a Dataset that declares one, so a
        left-truncated extract gets late entry without being asked; ``None`` means no
        window at all. Journeys that began before ``start`` and were
        still waiting on that day enter late (``entry_days`` = start − origin); those that
        ended (permanence or exit) on or before ``start`` are dropped, as are journeys
        beginning after ``end``. Follow-up is censored at ``end``.
    route_set : RouteSet, optional
        Route codes in force; default the dataset's, else Scotland's.

    Returns
    -------
    pandas.DataFrame
        Columns :data:`FRAME_COLUMNS`. ``outcome`` is the route code of the first legal
        permanence during follow-up, ``"exit"`` for leaving care without permanence, or
        ``"censored"``; ``event_observed`` is True for route codes. ``time_days`` is the
        whole number of days from origin to the outcome (0 for permanence on the origin
        day). ``age_group`` is an ordered Categorical. Dates of birth are not carried.

    Raises
    ------
    PaceError
        Unknown origin, bad age groups or window, a missing required date (origin for
        ``looked_after_date``, date of birth, extract date), a permanence route without a
        date (or the reverse), an exit date without a reason (or the reverse), an unknown
        route code, or an outcome dated before the origin. The message names the journeys.
    """
    if origin not in ORIGINS:
        raise PaceError(f"origin must be one of {', '.join(ORIGINS)}; got {origin!r}")
    if isinstance(data, Dataset):
        journeys = data.journeys
        route_set = route_set or data.route_set
    elif isinstance(data, pd.DataFrame):
        journeys = data
    else:
        raise PaceError(f"build_frame needs a Dataset or a DataFrame, not {type(data).__name__}")
    route_set = route_set or load_route_set()
    breaks = [float(b) for b in age_groups]
    if len(breaks) < 1 or any(b2 <= b1 for b1, b2 in zip(breaks, breaks[1:], strict=False)):
        raise PaceError(f"age_groups must be strictly increasing breaks; got {list(age_groups)}")
    labels = tuple(age_group_labels) if age_group_labels is not None else age_labels(breaks)
    if len(labels) != len(breaks):
        raise PaceError(f"{len(breaks)} age-group breaks need {len(breaks)} labels; got {len(labels)}")
    missing = [c for c in _NEEDED if c not in journeys.columns]
    if missing:
        raise PaceError(f"journeys table lacks column(s): {', '.join(missing)}")

    j = journeys.loc[:, list(_NEEDED)].copy()
    for c in ("date_of_birth", "looked_after_date", "accommodated_date", "permanence_date",
              "exit_date", "extract_date"):
        try:
            j[c] = pd.to_datetime(j[c], errors="raise").dt.normalize()
        except (ValueError, TypeError) as exc:
            raise PaceError(f"column {c!r} holds a value that is not a date: {exc}") from exc
    ids = j["journey_id"].astype(str)
    for c in ("looked_after_date", "date_of_birth", "extract_date"):
        _fail(f"{c} is missing", ids[j[c].isna()])
    if origin == "accommodated_date":
        j = j[j["accommodated_date"].notna()]
        ids = ids[j.index]
    route = j["permanence_route"].astype("string")
    has_route = route.notna() & (route != "")
    _fail("permanence_route is set but permanence_date is missing",
          ids[has_route & j["permanence_date"].isna()])
    _fail("permanence_date is set but permanence_route is missing",
          ids[~has_route & j["permanence_date"].notna()])
    unknown = has_route & ~route.isin(route_set.route_codes).fillna(False)
    _fail(f"permanence_route is not a route of {route_set.name!r}", ids[unknown])
    reason = j["exit_reason"].astype("string")
    has_reason = reason.notna() & (reason != "")
    _fail("exit_date is set but exit_reason is missing", ids[j["exit_date"].notna() & ~has_reason])
    _fail("exit_reason is set but exit_date is missing", ids[j["exit_date"].isna() & has_reason])
    perm_exit = has_reason & (reason == "permanence")
    _fail("exit_reason is 'permanence' but no permanence is recorded", ids[perm_exit & ~has_route])

    if isinstance(window, str):
        if window != "dataset":
            raise PaceError(f"window must be (start, end), None or 'dataset'; got {window!r}")
        start = data.observation_start if isinstance(data, Dataset) else None
        window = (start, None) if start else None
    start_w, end_w = (None, None) if window is None else (_to_ts(window[0]), _to_ts(window[1]))
    if start_w is not None and end_w is not None and end_w < start_w:
        raise PaceError(f"study window ends ({end_w.date()}) before it starts ({start_w.date()})")

    t0 = j["origin_date"] = j[origin]
    follow_end = j["extract_date"]
    if end_w is not None:
        follow_end = follow_end.where(follow_end <= end_w, end_w)
    perm = j["permanence_date"].where(has_route)
    ext = j["exit_date"].where(has_reason & ~perm_exit)
    perm_first = perm.notna() & (perm <= follow_end) & (ext.isna() | (perm <= ext))
    exit_first = ~perm_first & ext.notna() & (ext <= follow_end)
    end = follow_end.where(~perm_first, perm).where(~exit_first, ext)
    outcome = pd.Series(CENSORED, index=j.index, dtype=object)
    outcome[perm_first] = route[perm_first].astype(str)
    outcome[exit_first] = EXIT
    keep = pd.Series(True, index=j.index)
    if end_w is not None:
        keep &= t0 <= end_w
    _fail(f"the outcome (permanence, exit or extract date) is before {origin}",
          ids[keep & (end < t0)])
    entry = pd.Series(0.0, index=j.index)
    if start_w is not None:
        late = t0 < start_w
        keep &= ~(late & (end <= start_w))
        entry = entry.where(~late, (start_w - t0).dt.days.astype(float))

    j, end, outcome, entry = j[keep], end[keep], outcome[keep], entry[keep]
    t0 = j["origin_date"]
    age = _age_years(j["date_of_birth"], t0)
    if len(age) and (age < breaks[0]).any():
        _fail(f"age at {origin} is below the first age-group break {breaks[0]:g}",
              j["journey_id"].astype(str)[age < breaks[0]])
    codes = np.searchsorted(np.asarray(breaks), age, side="right") - 1
    age_group = pd.Categorical.from_codes(codes, categories=list(labels), ordered=True)
    time_days = (end - t0).dt.days.astype(float).to_numpy()
    out = pd.DataFrame({
        "journey_id": j["journey_id"].astype(str).to_numpy(),
        "child_id": j["child_id"].astype(str).to_numpy(),
        "authority": j["authority"].astype(str).to_numpy(),
        "sex": j["sex"].astype(str).to_numpy(),
        "legal_basis": j["legal_basis"].astype(str).to_numpy(),
        "planned_route": j["planned_route"].astype("string").to_numpy(),
        "accommodated": j["accommodated_date"].notna().to_numpy(),
        "age_at_start_years": age,
        "age_group": age_group,
        "entry_days": entry.to_numpy(dtype=float),
        "time_days": time_days,
        "time_years": time_days / DAYS_PER_YEAR,
        "outcome": outcome.to_numpy(dtype=object),
    })
    out["event_observed"] = ~out["outcome"].isin([EXIT, CENSORED])
    return out.loc[:, list(FRAME_COLUMNS)].reset_index(drop=True)
