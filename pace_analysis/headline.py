"""The headline numbers of an authority report, against Scotland.

One place computes them, from the survival module's own estimates, so the report
notebook, ``summary.json``, the run index and the tests all show the same figures:

* children looked after (distinct children) and journeys in the analysis frame;
* the share reaching legal permanence within 2 years (1 − Kaplan–Meier S at 730.5 days,
  log-log 95% CI; exits without permanence censored);
* the median time to permanence with its 95% CI (R's rule; "not reached" when fewer than
  half had reached permanence by the end of follow-up).

Disclosure: a count from 1 to ``threshold − 1`` is suppressed (``None`` in JSON, shown as
"c"); when the group has fewer journeys than the threshold every figure is suppressed;
the 2-year share is suppressed when fewer than ``threshold`` (but some) children reached
permanence within 2 years, since a share of a handful reveals individual children.
"""

from __future__ import annotations

import json
import math
import os
from pathlib import Path

import pandas as pd

from pace_analysis import survival

TWO_YEARS_DAYS = 730.5
DAYS_PER_YEAR = 365.25
SUPPRESSED = "c"


def _small(count: int, threshold: int) -> bool:
    return 0 < count < threshold


def _num(x) -> float | None:
    return None if x is None or (isinstance(x, float) and math.isnan(x)) else float(x)


def figures(frame: pd.DataFrame, threshold: int = 5) -> dict:
    """Headline figures of one group of journeys, with small counts suppressed.

    Parameters
    ----------
    frame : pandas.DataFrame
        Analysis frame (:func:`pace_analysis.cohort.build_frame`) of the group.
    threshold : int
        Counts below this (and above 0) are suppressed.

    Returns
    -------
    dict
        ``children, journeys, permanence`` (counts), ``share_2y, share_2y_lower,
        share_2y_upper`` (proportions), ``median_days, median_lower, median_upper``,
        ``median_reached`` and ``suppressed`` (True when the whole group is below the
        threshold). Suppressed or inestimable values are ``None``.
    """
    journeys = len(frame)
    children = int(frame["child_id"].nunique()) if journeys else 0
    out: dict = {"children": children, "journeys": journeys, "permanence": None,
                 "share_2y": None, "share_2y_lower": None, "share_2y_upper": None,
                 "median_days": None, "median_lower": None, "median_upper": None,
                 "median_reached": None, "suppressed": journeys < threshold}
    if journeys == 0:
        return out
    if out["suppressed"]:
        out.update(children=None, journeys=None)
        return out
    events = int(frame["event_observed"].sum())
    out["permanence"] = None if _small(events, threshold) else events
    out["children"] = None if _small(children, threshold) else children
    share = survival.share_by(frame, TWO_YEARS_DAYS).iloc[0]
    by_2y = int(survival.at_risk_table(frame, TWO_YEARS_DAYS)["events"].iloc[0])
    if bool(share["estimable"]) and not _small(by_2y, threshold):
        out.update(share_2y=_num(share["share"]), share_2y_lower=_num(share["ci_lower"]),
                   share_2y_upper=_num(share["ci_upper"]))
    med = survival.median_time(frame).iloc[0]
    out.update(median_days=_num(med["median_days"]), median_lower=_num(med["ci_lower"]),
               median_upper=_num(med["ci_upper"]), median_reached=bool(med["reached"]))
    return out


def _order_routes(frame: pd.DataFrame) -> pd.Series:
    """The frame's outcome with every route but a return home recoded ``"order"``."""
    from pace_analysis import competing

    out = frame["outcome"].astype(str)
    route = ~out.isin([competing.EXIT, competing.CENSORED])
    return out.where(~route | (out == "home"), "order")


def split_figures(frame: pd.DataFrame, threshold: int = 5,
                  days: float = TWO_YEARS_DAYS) -> dict:
    """The headline split: returned home within 2 years, and orders among the rest.

    Aalen–Johansen cumulative incidence (:func:`pace_analysis.competing.cumulative_incidence`,
    late entry and censoring handled; leaving care without permanence competes) of a
    return home and of an order (every other route: kinship care order, permanence order,
    adoption) at ``days``, on the whole group (the report's population).

    Returns
    -------
    dict
        ``home, home_lower, home_upper`` (share returned home, log-log 95% CI);
        ``order, order_lower, order_upper`` (share with an order); ``order_if_not_home``
        = order / (1 − home), the share with an order among children who had not
        returned home by then (a return home and an order are both *first* permanence,
        so a child with an order did not go home first); and ``suppressed``. A share whose
        count (children reaching it by then) is from 1 to ``threshold − 1`` is ``None``;
        so is everything when the group is below the threshold. The counts themselves
        are not returned: ``summary.json`` publishes this dict, and the routes table
        already publishes (and protects) those counts.
    """
    from pace_analysis import competing

    keys = ("home", "home_lower", "home_upper", "order", "order_lower", "order_upper",
            "order_if_not_home")
    out: dict = dict.fromkeys(keys)
    out["suppressed"] = len(frame) < threshold
    if out["suppressed"]:
        return out
    f = frame.assign(outcome=_order_routes(frame))
    cif = competing.cumulative_incidence(f, routes=["home", "order"], waiting=False)
    at = competing.cif_at(cif, days).set_index("route")
    by = f[f["time_days"] <= days]["outcome"].value_counts()
    n_home, n_order = int(by.get("home", 0)), int(by.get("order", 0))
    if not bool(at.loc["home", "estimable"]):
        return out
    home, order = float(at.loc["home", "cif"]), float(at.loc["order", "cif"])
    if not _small(n_home, threshold):
        out.update(home=home, home_lower=float(at.loc["home", "ci_lower"]),
                   home_upper=float(at.loc["home", "ci_upper"]))
    if not _small(n_order, threshold) and not _small(len(f) - n_home - n_order, threshold):
        out.update(order=order, order_lower=float(at.loc["order", "ci_lower"]),
                   order_upper=float(at.loc["order", "ci_upper"]))
        if home < 1:
            out["order_if_not_home"] = order / (1 - home)
    return out


def split_sentence(name: str, fig: dict, where: str | None = None,
                   national: dict | None = None) -> str:
    """"X% returned home within 2 years; of the children who did not go home, Y% had an order".

    ``fig`` (and ``national``) come from :func:`split_figures`; the numbers in the
    sentence are those values, rounded to whole percentages.
    """
    if fig.get("suppressed") or fig.get("home") is None:
        return (f"- **Home or an order:** too few children in {name} to show the split "
                "between returning home and orders safely.")
    text = (f"- **Home or an order:** {_pct(fig['home'])} of children in {name} returned home "
            f"within 2 years ({_pct(fig['home_lower'])} to {_pct(fig['home_upper'])})")
    if fig.get("order_if_not_home") is None:
        text += "; too few had an order within 2 years to show that share safely"
    else:
        text += (f"; of the children who did not go home, {_pct(fig['order_if_not_home'])} "
                 "had an order (kinship care order, permanence order or adoption) within "
                 "2 years")
    if national and national.get("home") is not None and where:
        text += f"; {where}, {_pct(national['home'])} returned home"
        if national.get("order_if_not_home") is not None:
            text += f" and {_pct(national['order_if_not_home'])} of the rest had an order"
    return text + "."


def headline_numbers(frame: pd.DataFrame, authority: str, threshold: int = 5,
                     window: tuple[str | None, str | None] | None = None,
                     national: str = "Scotland", precomputed: dict | None = None) -> dict:
    """The numbers of ``summary.json``: the authority's figures and Scotland's.

    Parameters
    ----------
    frame : pandas.DataFrame
        Analysis frame of *all* authorities (Scotland is the whole frame).
    authority : str
        Authority name as in ``frame["authority"]``.
    threshold : int
        Disclosure threshold.
    window : (start, end), optional
        Study window, recorded for the reader.
    national : str
        What the whole frame is called in sentences ("Scotland", or e.g. "All areas in the
        data" for an imported English extract). Its figures are under ``"scotland"``
        whatever the label.
    precomputed : dict, optional
        ``{"authority": (figures, split), "scotland": (figures, split)}`` already computed
        by :func:`figures` and :func:`split_figures` with this *threshold* (a batch does it
        once for every report, :mod:`pace_analysis.report.national`); a missing entry is
        computed here.
    """
    local = frame[frame["authority"] == authority]
    pre = precomputed or {}
    own = pre.get("authority") or (figures(local, threshold), split_figures(local, threshold))
    nat = pre.get("scotland") or (figures(frame, threshold), split_figures(frame, threshold))
    return {
        "authority": authority,
        "national": national,
        "threshold": int(threshold),
        "window": list(window) if window else [None, None],
        "definitions": {
            "origin": "date the child became looked after",
            "event": "first legal permanence (any route)",
            "exits without permanence": "censored at the exit date",
            "still waiting": "censored at the extract date",
            "share_2y": "1 - Kaplan-Meier survival at 730.5 days, log-log 95% CI",
            "median": "Kaplan-Meier median (R's rule), log-log 95% CI",
        },
        "figures": {"authority": dict(own[0]), "scotland": dict(nat[0])},
        "split": {"authority": dict(own[1]), "scotland": dict(nat[1])},
    }


def write_summary(numbers: dict, output_dir: str | os.PathLike) -> Path:
    """Write ``summary.json`` (sorted keys, so the same numbers give the same bytes)."""
    path = Path(output_dir) / "summary.json"
    path.write_text(json.dumps(numbers, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    return path


# --------------------------------------------------------------------------- wording

def format_count(value: int | None) -> str:
    """A count with thousands separators, or "c" when suppressed."""
    from pace_analysis.formatting import count

    return count(value)


def _pct(x: float) -> str:
    return f"{100 * x:.0f}%"


def format_share(fig: dict) -> str:
    """``"23% (21% to 25%)"``, or "c" when suppressed or not estimable."""
    if fig.get("share_2y") is None:
        return SUPPRESSED
    return f"{_pct(fig['share_2y'])} ({_pct(fig['share_2y_lower'])} to {_pct(fig['share_2y_upper'])})"


def _years(days: float | None) -> str:
    return "not reached" if days is None else f"{days / DAYS_PER_YEAR:.1f}"


def format_median(fig: dict) -> str:
    """``"2.1 years (1.9 to 2.4)"``, "not reached", or "c" when suppressed."""
    if fig.get("suppressed") or fig.get("median_reached") is None:
        return SUPPRESSED
    if not fig["median_reached"]:
        return "not reached"
    mid, lo, hi = (_years(fig[k]) for k in ("median_days", "median_lower", "median_upper"))
    if fig["median_upper"] is None:
        return f"{mid} years ({lo} years to beyond the end of the data)"
    return f"{mid} years ({lo} to {hi})"


def sentences(numbers: dict) -> str:
    """The headline in plain sentences (Markdown), authority against Scotland."""
    name = numbers["authority"]
    where = numbers.get("national", "Scotland")
    where = "across Scotland" if where == "Scotland" else f"across {where[0].lower()}{where[1:]}"
    a, s = numbers["figures"]["authority"], numbers["figures"]["scotland"]
    if a["suppressed"]:
        return (f"**{name}** has fewer than {numbers['threshold']} journeys in these data, "
                "so no figures are shown, to protect the children concerned.")
    lines = []
    if "split" in numbers:
        lines.append(split_sentence(name, numbers["split"]["authority"], where,
                                    numbers["split"]["scotland"]))
    lines += [
        f"- **Children looked after:** {format_count(a['children'])} children in {name} "
        f"({format_count(a['journeys'])} periods of care) are in these data; {where} "
        f"{format_count(s['children'])}.",
    ]
    if a["share_2y"] is None:
        lines.append("- **Permanence within 2 years:** too few children to show this share safely.")
    else:
        lines.append(
            f"- **Permanence within 2 years:** an estimated {format_share(a)} of children in "
            f"{name} reached a permanent legal home within 2 years of becoming looked after; "
            f"{where} {format_share(s)}. (The brackets give the range the true figure "
            "is likely to lie in.)")
    if a["median_reached"]:
        lines.append(
            f"- **Typical wait:** half of the children had reached permanence after "
            f"{format_median(a)}; {where} {format_median(s)}.")
    else:
        lines.append(
            "- **Typical wait:** fewer than half of the children had reached permanence by the "
            f"end of the data, so the typical (median) wait cannot be estimated yet; {where} "
            f"{format_median(s)}.")
    return "\n".join(lines)


def age_group_tests(frame: pd.DataFrame, threshold: int = 5,
                    by: str = "age_group") -> tuple[pd.DataFrame, str]:
    """Log-rank and trend tests across age groups, and what they mean in words.

    Groups with fewer journeys than ``threshold`` are left out (they are not shown in
    the report either). The tests themselves are
    :func:`pace_analysis.comparison.logrank_test` and
    :func:`~pace_analysis.comparison.trend_test`.

    Returns
    -------
    (table, sentence)
        ``table``: one row per test (``test, n_groups, chisq, df, p_value``), empty when
        fewer than two groups are large enough or nobody reached permanence;
        ``sentence``: a plain-language reading of the result.
    """
    from pace_analysis import comparison
    from pace_analysis.errors import PaceError

    sizes = frame[by].value_counts()
    keep = sizes[sizes >= threshold].index
    rows = frame[frame[by].isin(keep)]
    if isinstance(rows[by].dtype, pd.CategoricalDtype):
        rows = rows.assign(**{by: rows[by].cat.remove_unused_categories()})
    cols = ["test", "n_groups", "chisq", "df", "p_value"]
    try:
        table = pd.concat([comparison.logrank_test(rows, by)[cols],
                           comparison.trend_test(rows, by)[cols]], ignore_index=True)
    except PaceError:
        return pd.DataFrame(columns=cols), (
            f"Too few children in at least two age groups (fewer than {threshold} each, or no "
            "one reaching permanence) to test whether age makes a difference.")
    from pace_analysis.formatting import p_value

    p, p_trend = table["p_value"].iloc[0], table["p_value"].iloc[1]
    if p < 0.05:
        verdict = (f"The age groups differ in how quickly children reach permanence (log-rank "
                   f"test {p_value(p)}); ")
    else:
        verdict = (f"These data do not show a clear difference between age groups (log-rank "
                   f"test {p_value(p)}); ")
    verdict += (f"the test for a steady trend with age gives {p_value(p_trend)}. A small p "
                "(below 0.05) means a difference this large would be unlikely by chance alone.")
    return table, verdict
