"""Groups of similar councils, for comparisons besides Scotland, without ranking.

The groups live in a YAML file users can edit (the default, ``comparators.yaml`` beside
this module, is size bands of the estimated looked-after stock; see its header).
:func:`load_groups` reads and checks it; :func:`comparator_table` gives, for one council,
the headline figures of every council of its group in **alphabetical order** (never sorted
by value, no rank column) with the group's range and Scotland; :func:`position_sentence`
says where the council sits: within, above or below the range of the other councils of
its group — a position, not a rank.
"""

from __future__ import annotations

import difflib
import os
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import yaml

from pace_analysis import headline
from pace_analysis.authorities import AUTHORITY_NAMES
from pace_analysis.disclosure import DEFAULT_THRESHOLD
from pace_analysis.errors import PaceError

DEFAULT_FILE = Path(__file__).with_name("comparators.yaml")
#: Columns of :func:`comparator_table`.
TABLE_COLUMNS: tuple[str, ...] = (
    "area", "role", "children", "share_2y", "share_2y_lower", "share_2y_upper", "home_2y",
    "order_if_not_home")


@dataclass(frozen=True)
class ComparatorGroup:
    """A named group of similar councils."""

    name: str
    description: str
    councils: tuple[str, ...]


def load_groups(path: str | os.PathLike | None = None,
                known: tuple[str, ...] = AUTHORITY_NAMES) -> list[ComparatorGroup]:
    """Read and check a comparator-groups YAML file (default :data:`DEFAULT_FILE`).

    Raises
    ------
    PaceError
        The file is missing or not YAML; a group lacks ``name`` or ``councils``; a council
        name is unknown (with the closest known name) or is in two groups. The message
        names the file, the group and the value.
    """
    path = Path(path) if path is not None else DEFAULT_FILE
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise PaceError(f"{path}: cannot read the comparator groups ({exc.strerror})") from exc
    except yaml.YAMLError as exc:
        raise PaceError(f"{path}: not valid YAML ({exc})") from exc
    if not isinstance(data, dict) or not isinstance(data.get("groups"), list):
        raise PaceError(f"{path}: expected a mapping with a list under 'groups'")
    seen: dict[str, str] = {}
    groups = []
    for i, g in enumerate(data["groups"], start=1):
        if not isinstance(g, dict) or not g.get("name") or not isinstance(g.get("councils"), list):
            raise PaceError(f"{path}: group {i} needs a 'name' and a list of 'councils'")
        name = str(g["name"])
        for council in g["councils"]:
            council = str(council)
            if council not in known:
                close = difflib.get_close_matches(council, known, n=1)
                hint = f" (did you mean {close[0]!r}?)" if close else ""
                raise PaceError(f"{path}: group {name!r}: unknown council {council!r}{hint}")
            if council in seen:
                raise PaceError(f"{path}: council {council!r} is in two groups "
                                f"({seen[council]!r} and {name!r})")
            seen[council] = name
        groups.append(ComparatorGroup(name, str(g.get("description", "")),
                                      tuple(str(c) for c in g["councils"])))
    return groups


def group_of(authority: str, groups: list[ComparatorGroup]) -> ComparatorGroup | None:
    """The group holding *authority*, or None."""
    return next((g for g in groups if authority in g.councils), None)


def comparator_table(frame: pd.DataFrame, authority: str, groups: list[ComparatorGroup],
                     threshold: int = DEFAULT_THRESHOLD, national: str = "Scotland",
                     precomputed: dict | None = None) -> pd.DataFrame:
    """Headline figures of the council, the other councils of its group, and Scotland.

    Parameters
    ----------
    frame : pandas.DataFrame
        Analysis frame of all councils (the report's window).
    authority : str
    groups : list of ComparatorGroup
    threshold : int
        Disclosure threshold (figures from :func:`pace_analysis.headline.figures` and
        :func:`~pace_analysis.headline.split_figures`, suppressed there).
    national : str
        Name of the whole frame.
    precomputed : dict, optional
        Area (council, or *national*) to ``(headline.figures, headline.split_figures)``
        already computed with this *threshold* (:mod:`pace_analysis.report.national`);
        areas missing from it are computed here.

    Returns
    -------
    pandas.DataFrame
        :data:`TABLE_COLUMNS`; ``role`` is ``"this council"``, ``"same group"`` or
        ``"national"``. Group councils in alphabetical order (never by value); councils
        absent from the data are left out. Shares are proportions (None if suppressed).
    """
    group = group_of(authority, groups)
    members = sorted(set(group.councils if group else (authority,)) & set(frame["authority"]))
    if authority not in members:
        members = sorted({*members, authority})
    rows = []
    for area in members:
        sub = frame[frame["authority"] == area]
        rows.append(_row(area, "this council" if area == authority else "same group", sub,
                         threshold, (precomputed or {}).get(area)))
    rows.append(_row(national, "national", frame, threshold, (precomputed or {}).get(national)))
    return pd.DataFrame(rows, columns=list(TABLE_COLUMNS))


def _row(area: str, role: str, sub: pd.DataFrame, threshold: int, known=None) -> dict:
    if known is not None and len(sub):
        fig, split = known
    else:
        fig = headline.figures(sub, threshold) if len(sub) else {}
        split = headline.split_figures(sub, threshold) if len(sub) else {}
    return {"area": area, "role": role, "children": fig.get("children"),
            "share_2y": fig.get("share_2y"), "share_2y_lower": fig.get("share_2y_lower"),
            "share_2y_upper": fig.get("share_2y_upper"), "home_2y": split.get("home"),
            "order_if_not_home": split.get("order_if_not_home")}


def _pct(x: float) -> str:
    return f"{100 * x:.0f}%"


def position_sentence(table: pd.DataFrame, authority: str, group: ComparatorGroup | None,
                      column: str = "share_2y",
                      what: str = "reached legal permanence within 2 years") -> str:
    """Where the council sits among the other councils of its group (no rank).

    "Glasgow City: 53% reached legal permanence within 2 years. The other 4 councils of
    its group (Largest councils: about 700 or more children looked after) range from 47% to
    52%: Glasgow City is above that range. Scotland: 49%."
    """
    own = table[table["role"] == "this council"]
    nat = table[table["role"] == "national"]
    value = own[column].iloc[0] if len(own) else None
    if value is None or pd.isna(value):
        return f"Too few children in {authority} to compare this figure safely."
    text = f"{authority}: {_pct(value)} {what}."
    others = table[(table["role"] == "same group")][column].dropna()
    if group is None:
        text += f" {authority} is in no comparator group."
    elif others.empty:
        text += (f" No other council of its group ({group.name}) has a figure that can be "
                 "shown.")
    else:
        lo, hi = float(others.min()), float(others.max())
        where = ("within that range" if lo <= value <= hi else
                 "above that range" if value > hi else "below that range")
        n = len(others)
        desc = f"{group.name}: {group.description}" if group.description else group.name
        text += (f" The other {n} council{'s' if n > 1 else ''} of its group ({desc}) "
                 + (f"range from {_pct(lo)} to {_pct(hi)}" if n > 1 else f"{_pct(lo)}")
                 + f": {authority} is {where if n > 1 else where.replace('that range', 'it')}")
        ci_lo, ci_hi = (own[f"{column}_lower"].iloc[0], own[f"{column}_upper"].iloc[0]) if (
            f"{column}_lower" in own) else (None, None)
        if (where != "within that range" and ci_lo is not None and not pd.isna(ci_lo)
                and ci_lo <= hi and ci_hi >= lo):
            text += (f", though its 95% interval ({_pct(ci_lo)} to {_pct(ci_hi)}) overlaps "
                     + ("that range" if n > 1 else "it"))
        text += "."
    if len(nat) and nat[column].iloc[0] is not None and not pd.isna(nat[column].iloc[0]):
        text += f" {nat['area'].iloc[0]}: {_pct(nat[column].iloc[0])}."
    return text + (" Councils are listed alphabetically and not ranked: small differences "
                   "are mostly chance.")
