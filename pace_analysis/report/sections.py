"""One function per section of the authority report.

Each takes the :class:`~pace_analysis.report.context.ReportContext` and returns a
:class:`~pace_analysis.report.table.Table`, a figure, or Markdown text. Tables carry their
headings, formats and roles here, not in the notebook. :func:`tables` builds all of a
report's tables and decides their suppression together
(:func:`~pace_analysis.report.protect.protect_tables`), so that no relation between
two tables reveals a hidden count.
"""

from __future__ import annotations

from pace_analysis.report import overview
from pace_analysis.report.context import ReportContext
from pace_analysis.report.table import Table, count, derived, label

_PCT = "{:.0%}"
_YEARS = (1, 2, 4)
_YEAR_TEXT = {1: "1 year", 2: "2 years", 4: "4 years"}


def _route_columns() -> list:
    cols = [label("route", "Route")]
    for y in _YEARS:
        cols += [count(f"n_{y}", f"Children by {_YEAR_TEXT[y]}"),
                 derived(f"share_{y}", f"Share by {_YEAR_TEXT[y]}", [f"n_{y}"], _PCT)]
    return cols


_CI = ["n", "events"]
_ND = ["numerator", "denominator"]
#: The columns of every count table of the report: heading, format and disclosure role.
#: The privacy test and the audit's catalogue (:data:`pace_analysis.audit.TABLES`) are
#: checked against this, so a new count column is protected everywhere at once.
COLUMNS: dict[str, tuple] = {
    "share_by_years": (
        label("group", "Area"), label("years", "Years since becoming looked after", "{:.0f}"),
        count("n", "Children"), count("at_risk", "Still waiting"), count("events", "Reached permanence"),
        derived("share", "Share reached permanence", _CI, _PCT),
        derived("ci_lower", "95% CI lower", _CI, _PCT), derived("ci_upper", "95% CI upper", _CI, _PCT)),
    "median_by_age_group": (
        label("group", "Age group"), count("n", "Children"), count("events", "Reached permanence"),
        derived("median_years", "Median years", ["n"], "{:.1f}")),
    "routes_by_years": tuple(_route_columns()),
    "stage_durations": (
        label("stage_label", "Stage"), count("n", "Children"), count("n_completed", "Completed"),
        count("n_open", "Still open"), derived("median_weeks", "Median weeks", ["n"], "{:.0f}"),
        label("most_time", "Longest stage")),
    "pace_aims": (
        label("aim_label", "Aim"), count("numerator", "Met"), count("denominator", "Children"),
        derived("share", "Share", _ND, _PCT), derived("ci_lower", "95% CI lower", _ND, _PCT),
        derived("ci_upper", "95% CI upper", _ND, _PCT), label("description", "Definition")),
    "placement_moves": (
        label("group", "Age group"), count("n", "Children"),
        derived("mean_moves", "Average moves", ["n"], "{:.1f}"),
        derived("median_moves", "Median moves", ["n"], "{:.0f}"),
        count("n_3plus", "3 or more moves"),
        derived("share_3plus", "Share with 3 or more", ["n_3plus", "n"], _PCT),
        derived("moves_per_child_year", "Moves per year looked after", ["n"], "{:.2f}")),
    "funnel": (
        label("authority", "Area"), count("denominator", "Children followed for 2 years"),
        count("numerator", "Reached permanence within 2 years"), derived("proportion", "Share", _ND, _PCT),
        label("position", "Position in the funnel")),
}


COLUMNS.update(overview.COLUMNS)  # the overview's tables: population, trends, comparators


# --------------------------------------------------------------------------- text


def introduction(ctx: ReportContext) -> str:
    """Heading and the paragraph naming the data."""
    from pace_analysis import reporting

    return f"## {ctx.authority}\n\n{reporting.describe_data(ctx.dataset, ctx.window, ctx.frame)}"


def headline(ctx: ReportContext) -> dict:
    """The headline numbers (written to ``summary.json``)."""
    from pace_analysis import headline as hl

    areas = ctx.shared.areas
    return hl.headline_numbers(ctx.frame, ctx.authority, ctx.threshold, ctx.window, ctx.national,
                               precomputed={"authority": areas.get(ctx.authority),
                                            "scotland": areas.get(ctx.national)})


def disclosure_rule(ctx: ReportContext) -> str:
    """The disclosure section's text, with the threshold this report used."""
    t = ctx.threshold
    return (
        f"- Counts from 1 to {t - 1} are shown as **c**. Where the other numbers of the report (a "
        "total, a count in another table, a numerator printed as a denominator) would let a hidden "
        "count be worked out, another count is hidden too; a share worked out from a hidden count is "
        "hidden with it. Every report is checked by an automatic intruder audit before it is "
        "published.\n"
        f"- For a table about fewer than {t} children, every figure is suppressed, zeros included.\n"
        f"- Curves and tables are not drawn for groups with fewer than {t} children; curves stop where "
        f"fewer than {t} children are still waiting, numbers at risk below {t} are shown as <{t}, and "
        "curves are drawn quarter by quarter, so that no single child's day of permanence can be read "
        "from them. Routes whose counts are hidden are not drawn as bands.\n"
        "- No child identifier, name or date of birth appears in this report.")


# --------------------------------------------------------------------------- tables


def share_by_years(ctx: ReportContext) -> Table:
    """Share reaching permanence by 1, 2 and 4 years, authority and nation."""
    from pace_analysis import reporting
    from pace_analysis.report.national import with_local

    local = reporting.share_table(ctx.local.assign(area=ctx.authority), by="area")
    data = with_local(ctx.shared.shares, local, ctx.authority, ctx.national)
    return Table("share_by_years", data, COLUMNS["share_by_years"], population=len(ctx.local))


def median_by_age_group(ctx: ReportContext) -> Table:
    """Median time to permanence by age group."""
    from pace_analysis import survival

    medians = survival.median_time(ctx.local, by="age_group")
    data = medians.assign(median_years=medians["median_days"] / 365.25)
    return Table("median_by_age_group", data, COLUMNS["median_by_age_group"], population=len(ctx.local))


def routes_by_years(ctx: ReportContext, cif=None) -> Table:
    """Children reaching each route (and still waiting) by 1, 2 and 4 years."""
    from pace_analysis import competing, reporting

    if cif is None:
        cif = competing.cumulative_incidence(ctx.local, routes=ctx.dataset.route_set)
    data = reporting.route_table(ctx.local, cif, ctx.dataset.route_set)
    return Table("routes_by_years", data, COLUMNS["routes_by_years"], population=len(ctx.local))


def stage_durations(ctx: ReportContext) -> Table:
    """Median time in each stage, for journeys that began in the window."""
    from pace_analysis import milestones

    stages = milestones.stage_summary(ctx.stage_rows, by=None)
    data = stages.assign(median_weeks=stages["median_days"] / 7)
    return Table("stage_durations", data, COLUMNS["stage_durations"], population=len(ctx.began_in_window.journeys))


def pace_aims(ctx: ReportContext) -> Table:
    """How many children met each PACE aim."""
    from pace_analysis import milestones
    from pace_analysis.aims import PACE_AIM_ROWS

    data = milestones.pace_aims(ctx.began_in_window)
    data = data.assign(aim_label=data["aim"].map(PACE_AIM_ROWS))  # CELCIS wording, no codes
    return Table("pace_aims", data, COLUMNS["pace_aims"], population=len(ctx.began_in_window.journeys))


def placement_moves(ctx: ReportContext) -> Table:
    """Placement moves by age group."""
    from pace_analysis import placements

    data = placements.moves_summary(ctx.began_in_window, by="age_group", frame=ctx.local)
    return Table("placement_moves", data, COLUMNS["placement_moves"], population=len(ctx.began_in_window.journeys))


def funnel(ctx: ReportContext):
    """The funnel figure and the authority's row of it: ``(title, figure, Table)``."""
    import matplotlib.pyplot as plt

    from pace_analysis.plotting.funnel import authority_funnel_figure

    title, fig, row = authority_funnel_figure(ctx.dataset, ctx.authority, threshold=ctx.threshold,
                                              result=ctx.shared.funnel)
    # Closed at once: the figure is saved later, where its section is; left open, the
    # inline backend would also show it at the end of the cell that made it (the headline).
    plt.close(fig)
    # The council's population: a council of fewer than `threshold` children shows no
    # figure, zeros included (the run's funnel table hides its numerator too).
    table = Table("funnel", row, COLUMNS["funnel"], population=len(ctx.local))
    return title, fig, table


def tables(ctx: ReportContext, summary: dict | None = None, *, cif=None, funnel_table: Table | None = None
           ) -> dict[str, Table]:
    """Every count table of the report, with suppression decided over all of them.

    Parameters
    ----------
    ctx : ReportContext
    summary : dict, optional
        The headline numbers (:func:`headline`), which are published too.
    cif : pandas.DataFrame, optional
        The authority's cumulative-incidence table, when the caller already has it.
    funnel_table : Table, optional
        The funnel row (:func:`funnel`), when the caller already drew the funnel.

    Returns
    -------
    dict of name to Table
        ``share_by_years``, ``median_by_age_group``, ``routes_by_years``,
        ``stage_durations``, ``pace_aims``, ``placement_moves``, ``funnel`` and the
        overview's ``population``, ``official_figures``, ``permanence_trends``,
        ``aims_by_year`` and ``comparators`` (:mod:`pace_analysis.report.overview`), each
        with its :attr:`~pace_analysis.report.table.Table.mask` set.
    """
    from pace_analysis.report.protect import protect_tables

    out = {t.name: t for t in (share_by_years(ctx), median_by_age_group(ctx), routes_by_years(ctx, cif),
                               stage_durations(ctx), pace_aims(ctx), placement_moves(ctx),
                               overview.counted_where(ctx), overview.official_figures(ctx),
                               overview.permanence_trends(ctx), overview.aims_by_year(ctx),
                               overview.comparators(ctx))}
    if funnel_table is None:
        _title, _fig, funnel_table = funnel(ctx)  # funnel() closes its figure
    out["funnel"] = funnel_table
    protect_tables(out, ctx.threshold, slug=ctx.slug, area=ctx.authority, national=ctx.national,
                   summary=summary)
    return out




# --------------------------------------------------------------------------- figures


def time_to_permanence_figure(ctx: ReportContext):
    """Kaplan–Meier curves of the authority and the nation, with numbers at risk."""
    from pace_analysis import reporting, survival
    from pace_analysis.plotting.survival import plot_km
    from pace_analysis.report.national import with_local

    own = ctx.local.assign(area=ctx.authority)
    km = with_local(ctx.shared.km, survival.kaplan_meier(own, by="area"), ctx.authority, ctx.national)
    risk = with_local(ctx.shared.at_risk, survival.at_risk_table(own, reporting.YEAR_MARKS, by="area"),
                      ctx.authority, ctx.national)
    return plot_km(km, at_risk=risk, threshold=ctx.threshold, step_days=91, max_years=5,
                   groups=[ctx.authority, ctx.national],
                   title=f"Time to legal permanence: {ctx.authority} and {ctx.national}")


def by_age_group_figure(ctx: ReportContext):
    """Kaplan–Meier curves by age group."""
    from pace_analysis import survival
    from pace_analysis.plotting.survival import plot_km

    km = survival.kaplan_meier(ctx.local, by="age_group")
    return plot_km(km, threshold=ctx.threshold, step_days=91, max_years=5,
                   title=f"Time to legal permanence by age group: {ctx.authority}",
                   legend_title="Age at start")


def age_group_tests(ctx: ReportContext):
    """Log-rank and trend tests across age groups: ``(table, sentence)``."""
    from pace_analysis import headline as hl

    return hl.age_group_tests(ctx.local, ctx.threshold)


def cumulative_incidence(ctx: ReportContext):
    """The authority's cumulative incidence of each route (Aalen–Johansen)."""
    from pace_analysis import competing

    return competing.cumulative_incidence(ctx.local, routes=ctx.dataset.route_set)


def routes_figure(ctx: ReportContext, cif, routes_table: Table | None = None):
    """Stacked routes chart that shows no more than the routes table.

    Permanence routes with a hidden count are drawn as one band when there are two or
    more of them (their sum is published: reached permanence less the routes shown);
    a single one, or "left care" with a hidden count, is not drawn.
    """
    from pace_analysis.plotting.competing import plot_cumulative_incidence
    from pace_analysis.plotting.style import route_label

    hidden_codes: list[str] = []
    if routes_table is not None:
        hidden = routes_table.full_mask().any(axis=1)
        labels = set(routes_table.data.loc[hidden, "route"])
        hidden_codes = [str(r) for r in pd_unique(cif["route"])
                        if route_label(str(r), ctx.dataset.route_set) in labels]
    perm = [r for r in hidden_codes if r not in ("exit", "waiting")]
    merge = perm if len(perm) >= 2 else []
    hide = [r for r in hidden_codes if r not in merge and r != "waiting"]
    return plot_cumulative_incidence(cif, route_set=ctx.dataset.route_set, threshold=ctx.threshold,
                                     step_days=91, max_years=5, hide_routes=hide, merge_routes=merge,
                                     children={g: len(ctx.local) for g in pd_unique(cif["group"])},
                                     title=f"Which route, and when: {ctx.authority}")


def stages_figure(ctx: ReportContext):
    """Median weeks in each stage, by route (seaborn bars; the stage table's unit)."""
    from pace_analysis import milestones
    from pace_analysis.plotting.stages import plot_stage_durations

    by_route = milestones.stage_summary(ctx.stage_rows, by="permanence_route")
    return plot_stage_durations(by_route, route_set=ctx.dataset.route_set, threshold=ctx.threshold,
                                kind="bars", unit="weeks",
                                title=f"Where the time goes: median weeks in each stage, {ctx.authority}")


def where_the_time_goes(ctx: ReportContext):
    """Weeks in each state of a child's first 2 years and the state-occupancy chart.

    The multi-state measure of :mod:`pace_analysis.multistate` (Aalen–Johansen with late
    entry, restricted mean time in state), disclosure already applied; see
    :func:`pace_analysis.multistate.section.where_the_time_goes`.
    """
    from pace_analysis.multistate.section import where_the_time_goes as pathway_section

    return pathway_section(ctx.dataset, ctx.authority, threshold=ctx.threshold, trends=False)


def run_charts(ctx: ReportContext):
    """The PACE run charts: list of ``(title, figure, table)``."""
    from pace_analysis.plotting.improvement import authority_run_charts

    return authority_run_charts(ctx.dataset.for_authority(ctx.authority), ctx.authority, min_n=ctx.threshold)


def timelines(ctx: ReportContext):
    """Example timelines (only when the context allows them): list of ``(label, figure)``."""
    from pace_analysis.plotting.timelines import example_timeline_figures

    if not ctx.show_timelines:
        return []
    return example_timeline_figures(ctx.began_in_window, n=3, allow_real=True)


def pd_unique(values) -> list:
    """Distinct values in order of first appearance."""
    import pandas as pd

    return list(pd.unique(pd.Series(values)))


__all__ = ["COLUMNS", "introduction", "headline", "disclosure_rule", "share_by_years", "median_by_age_group",
           "routes_by_years", "stage_durations", "pace_aims", "placement_moves", "funnel", "tables",
           "time_to_permanence_figure", "by_age_group_figure", "age_group_tests", "cumulative_incidence",
           "routes_figure", "stages_figure", "run_charts", "timelines"]
