"""Report sections that say who is counted, how things change and how the council compares.

One function per section, each taking the
:class:`~pace_analysis.report.context.ReportContext`, as in
:mod:`pace_analysis.report.sections`:

* :func:`population_statement` and :func:`counted_where` — the report's one population
  (:mod:`pace_analysis.population`) and who is counted where;
* :func:`official_figures` — the figures to check against Children's Social Work
  Statistics;
* :func:`permanence_trends`, :func:`trends_figure`, :func:`trends_sentence` — shares by
  reporting year of becoming looked after (:mod:`pace_analysis.trends`);
* :func:`aims_by_year` — the PACE national aims by year;
* :func:`comparators` and :func:`comparators_sentence` — the council among similar councils
  (:mod:`pace_analysis.comparators`);
* :func:`run_charts` — run charts that read (:mod:`pace_analysis.report_charts`).

The tables are :class:`~pace_analysis.report.table.Table` objects whose columns are
declared in :data:`COLUMNS`; :func:`pace_analysis.report.sections.tables` protects them
together with the rest of the report, and the figures are drawn from the protected tables,
so a share hidden in a table is never drawn.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from pace_analysis.report.context import ReportContext
from pace_analysis.report.table import Table, count, derived, label

_PCT = "{:.0%}"
_TREND = ["any", "n"]
_AIM = ["numerator", "denominator"]

#: The columns of this module's tables: heading, format and disclosure role.
COLUMNS: dict[str, tuple] = {
    "population": (
        label("section", "Section"), label("population", "Who is counted"),
        count("children", "Children"), count("periods", "Periods of care")),
    "official_figures": (
        label("area", "Area"), label("figure", "Figure"), label("date_or_year", "Date or year"),
        count("count", "Count"), label("counts", "What is counted")),
    "permanence_trends": (
        label("area", "Area"), label("year", "Year became looked after"),
        label("horizon_years", "Within (years)", "{:.0f}"),
        count("n", "Periods of care begun"), count("any", "Any permanence"),
        count("home", "Returned home"), count("order", "Had an order"),
        derived("share_any", "Share any permanence", _TREND, _PCT),
        derived("ci_lower", "95% CI lower", _TREND, _PCT),
        derived("ci_upper", "95% CI upper", _TREND, _PCT),
        derived("share_home", "Share returned home", ["home", "n"], _PCT),
        derived("share_order", "Share with an order", ["order", "n"], _PCT)),
    "aims_by_year": (
        label("aim_label", "Aim"), label("year", "Year became looked after"),
        count("numerator", "Met"), count("denominator", "Children"),
        derived("share", "Share", _AIM, _PCT), derived("ci_lower", "95% CI lower", _AIM, _PCT),
        derived("ci_upper", "95% CI upper", _AIM, _PCT)),
    "comparators": (
        label("area", "Area"), label("role", "Compared as"), count("children", "Children"),
        derived("share_2y", "Permanence within 2 years", ["children"], _PCT),
        derived("home_2y", "Returned home within 2 years", ["children"], _PCT)),
}


# --------------------------------------------------------------------------- population


def _population(ctx: ReportContext):
    from pace_analysis import population

    return population.report_population(ctx.local, ctx.authority, ctx.window)


def population_statement(ctx: ReportContext) -> str:
    """The one sentence stating the report's population (Markdown)."""
    return _population(ctx).statement(ctx.threshold)


def counted_where(ctx: ReportContext) -> Table:
    """Who is counted where: the report's population and the part each section covers."""
    from pace_analysis import funnel, population

    shared = ctx.shared.funnel
    if shared is not None:  # the batch's funnel: the same counts as measure_counts
        row = shared.table[shared.table["label"] == ctx.authority]
        window = shared.window
    else:
        fc = funnel.measure_counts(ctx.dataset)
        row = fc[fc["authority"] == ctx.authority]
        window = str(row["window"].iloc[0]) if len(row) else None
    den = int(row["denominator"].iloc[0]) if len(row) else None
    data = population.counted_where(_population(ctx), den, window if len(row) else None,
                                    threshold=1)
    data = data.astype({"children": float, "periods": float})
    return Table("population", data, COLUMNS["population"], population=len(ctx.local))


def counted_where_note(ctx: ReportContext, table: Table) -> str:
    """The protected :func:`counted_where` table as a short Markdown list."""
    from pace_analysis import population

    shown = table.display()
    data = pd.DataFrame({"section": shown["Section"], "population": shown["Who is counted"],
                         "children": shown["Children"], "periods": shown["Periods of care"]})
    data = data.replace({"c": None})
    for col in ("children", "periods"):
        data[col] = [np.nan if (v is None or v == "" or (isinstance(v, float) and np.isnan(v)))
                     else v for v in data[col]]
    lines = ["**Who is counted where:**"]
    for r in data.itertuples(index=False):
        parts = []
        if not pd.isna(r.children):
            parts.append(f"{population.format_count(r.children)} children")
        hidden = shown.loc[shown["Section"] == r.section, "Periods of care"].iloc[0] == "c"
        parts.append(f"{'c' if hidden else population.format_count(r.periods)} periods of care")
        lines.append(f"- *{r.section}*: {r.population} ({', '.join(parts)}).")
    return "\n".join(lines)


def official_figures(ctx: ReportContext) -> Table:
    """Looked after on 31 July, starts and ceased in the last full year: council and nation."""
    from pace_analysis import population

    local = ctx.dataset.journeys[ctx.dataset.journeys["authority"] == ctx.authority]
    data = pd.concat([population.official_check_figures(local, ctx.authority, threshold=1),
                      ctx.shared.official], ignore_index=True)
    return Table("official_figures", data.astype({"count": float}), COLUMNS["official_figures"],
                 population=len(local))


# --------------------------------------------------------------------------- trends


def _trend_rows(ctx: ReportContext) -> pd.DataFrame:
    from pace_analysis import trends

    start = ctx.window[0]
    long = pd.concat([
        trends.permanence_by_year(ctx.local, ctx.dataset.journeys, ctx.authority, start),
        ctx.shared.trends],
        ignore_index=True)
    return long


def permanence_trends(ctx: ReportContext) -> Table:
    """Shares reaching permanence within 1 and 2 years by year of becoming looked after.

    One row per area, year and horizon (years with fewer periods of care than the
    threshold are left out); counts of any permanence, returned home and orders, with
    their shares and the 95% interval of any permanence.
    """
    long = _trend_rows(ctx)
    cols = ["area", "year", "year_start", "horizon_years", "n"]
    if long.empty:
        wide = pd.DataFrame(columns=[*cols, "any", "home", "order", "share_any", "ci_lower",
                                     "ci_upper", "share_home", "share_order"])
    else:
        ev = long.pivot_table(index=cols, columns="outcome", values="events", aggfunc="first")
        sh = long.pivot_table(index=cols, columns="outcome", values="share", aggfunc="first")
        ci = long[long["outcome"] == "any"].set_index(cols)[["ci_lower", "ci_upper"]]
        wide = pd.concat([ev[["any", "home", "order"]].astype(float),
                          sh[["any", "home", "order"]].add_prefix("share_"), ci],
                         axis=1).reset_index()
        wide = wide[wide["n"] >= ctx.threshold]
        order = {ctx.authority: 0, ctx.national: 1}
        wide = wide.assign(_o=wide["area"].map(order)).sort_values(
            ["_o", "horizon_years", "year_start"]).drop(columns="_o")
    return Table("permanence_trends", wide.reset_index(drop=True), COLUMNS["permanence_trends"],
                 population=len(ctx.local))


def show_trends(ctx: ReportContext, table: Table, horizon: int = 2):
    """Save the whole trend table as CSV; return the page's view of it (Styler).

    The page shows the council's rows at ``horizon`` years (the chart holds the rest and
    the CSV every row), which keeps the page short; the cells shown are the protected
    table's own, under the same table id, so the audit reads them as the same cells.
    """
    table.save(ctx.out)
    d = table.data
    keep = ((d["area"] == ctx.authority) & (d["horizon_years"] == horizon)).to_numpy()
    view = Table(table.name, d[keep], table.columns, population=table.population)
    if table.mask is not None:
        view.mask = table.mask[keep].reset_index(drop=True)
    return view.styler()


def _shown_long(table: Table) -> pd.DataFrame:
    """A protected trend Table back in the long form the trend charts take."""
    from pace_analysis.trends import OUTCOMES

    d, mask = table.data, table.full_mask()
    rows = []
    for i, r in d.iterrows():
        for o in OUTCOMES:
            hidden = bool(mask.at[i, f"share_{o}"])
            lo_hi = (r["ci_lower"], r["ci_upper"]) if o == "any" else (np.nan, np.nan)
            rows.append({"area": r["area"], "year": r["year"], "year_start": int(r["year_start"]),
                         "horizon_years": int(r["horizon_years"]), "outcome": o,
                         "n": int(r["n"]), "share": np.nan if hidden else r[f"share_{o}"],
                         "ci_lower": np.nan if hidden else lo_hi[0],
                         "ci_upper": np.nan if hidden else lo_hi[1], "suppressed": hidden})
    return pd.DataFrame(rows)


def trends_figure(ctx: ReportContext, table: Table):
    """Small multiples (1 and 2 years) of the protected trend table, PACE start marked."""
    from pace_analysis.authorities import AUTHORITY_NAMES, get_authority
    from pace_analysis.plotting.trends import plot_trend_grid

    start = get_authority(ctx.authority).pace_start if ctx.authority in AUTHORITY_NAMES else None
    return plot_trend_grid(_shown_long(table), pace_start=start, threshold=ctx.threshold,
                           title=f"Permanence by year of becoming looked after: {ctx.authority} "
                                 f"and {ctx.national}")


def trends_sentence(ctx: ReportContext, table: Table) -> str:
    """The trend in one sentence, from the protected table (council, 2 years)."""
    from pace_analysis import trends

    return trends.trend_sentence(_shown_long(table), ctx.authority, horizon=2)


def aims_period(ctx: ReportContext) -> str:
    """The period the aims tables cover, in one sentence."""
    from pace_analysis.population import _day

    j = ctx.began_in_window.journeys
    start = ctx.window[0] or (j["looked_after_date"].min() if len(j) else None)
    end = ctx.window[1] or pd.to_datetime(ctx.dataset.journeys["extract_date"], cache=False).max()
    since = f"from {_day(start)} " if start is not None else ""
    return (f"The aims cover children who became looked after {since}to {_day(end)} and were "
            "followed long enough to tell whether the aim was met (26 weeks after being "
            "accommodated for aim 2; 2 years for aim 1).")


def aims_by_year(ctx: ReportContext) -> Table:
    """The PACE national aims by year of becoming looked after (CELCIS wording)."""
    from pace_analysis import trends

    data = trends.aims_by_year(ctx.began_in_window.journeys, ctx.authority, ctx.window[0],
                               threshold=1)
    data = data[data["denominator"] >= ctx.threshold].astype({"numerator": float})
    return Table("aims_by_year", data.reset_index(drop=True), COLUMNS["aims_by_year"],
                 population=len(ctx.began_in_window.journeys))


# --------------------------------------------------------------------------- comparators


def comparators(ctx: ReportContext, groups=None) -> Table:
    """The council, the other councils of its comparator group (by name) and the nation."""
    from pace_analysis import comparators as comp

    groups = comp.load_groups() if groups is None else groups
    data = comp.comparator_table(ctx.frame, ctx.authority, groups, ctx.threshold, ctx.national,
                                 precomputed=ctx.shared.areas)
    # Only figures every council's own report and the index publish the same way (the
    # split's order share is withheld in a council's report when its routes table hides a
    # route, so it is not repeated here).
    data = data.drop(columns=["order_if_not_home"]).replace({None: np.nan}).astype(
        {"children": float, "share_2y": float, "home_2y": float})
    return Table("comparators", data, COLUMNS["comparators"], population=len(ctx.local))


def comparators_sentence(ctx: ReportContext, table: Table, groups=None) -> str:
    """Where the council sits in its group, in words (no rank), from the protected table."""
    from pace_analysis import comparators as comp

    groups = comp.load_groups() if groups is None else groups
    d = table.data.copy()
    mask = table.full_mask()
    for col in ("share_2y", "home_2y"):
        d[col] = d[col].where(~mask[col])
    d["share_2y_lower"] = np.nan  # intervals are not in the table: the sentence omits them
    d["share_2y_upper"] = np.nan
    return comp.position_sentence(d, ctx.authority, comp.group_of(ctx.authority, groups))


# --------------------------------------------------------------------------- run charts


def run_charts(ctx: ReportContext) -> list[tuple]:
    """Run charts that read: list of ``(ReportChart, figure or None, points table)``."""
    from pace_analysis.plotting.improvement import report_run_chart_figures

    return report_run_chart_figures(ctx.dataset.for_authority(ctx.authority), ctx.authority,
                                    min_n=ctx.threshold)


def run_chart_text(report_chart) -> str:
    """The Markdown under one run chart: its verdict and the grid it uses."""
    from pace_analysis.report_charts import grid_note

    if report_chart.chart is None:
        return f"**{report_chart.title}.** {report_chart.verdict}"
    return f"**Reading:** {report_chart.verdict} {grid_note(report_chart)}"


def consistent_split(numbers: dict, tables: dict[str, Table], route_set=None) -> dict:
    """Hide a headline split share whose route counts the protected routes table hides.

    The split (returned home; orders among the rest) is computed from the same children
    as the routes table; where that table hides a route's count by 2 years, the share
    built on it is withheld too, so the headline cannot undo the table's protection.
    """
    routes = tables.get("routes_by_years")
    if routes is None or "split" not in numbers:
        return numbers
    from pace_analysis.plotting.style import route_label

    mask = routes.full_mask()
    hidden = set(routes.data.loc[mask["n_2"].to_numpy(), "route"])
    home = route_label("home", route_set)
    split = dict(numbers["split"]["authority"])
    if home in hidden:
        split.update(home=None, home_lower=None, home_upper=None, order_if_not_home=None)
    if hidden - {home, "Left care without legal permanence", "Still waiting"}:
        split.update(order=None, order_lower=None, order_upper=None, order_if_not_home=None)
    out = dict(numbers)
    out["split"] = {**numbers["split"], "authority": split}
    return out


__all__ = ["COLUMNS", "population_statement", "counted_where", "counted_where_note",
           "official_figures", "permanence_trends", "show_trends", "trends_figure", "trends_sentence",
           "aims_period", "aims_by_year", "comparators", "comparators_sentence", "run_charts",
           "run_chart_text", "consistent_split"]
