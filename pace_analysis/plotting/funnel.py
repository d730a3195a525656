"""Draw funnel plots: every authority grey, the current one highlighted, never ranked."""

from __future__ import annotations

import textwrap

import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from pace_analysis.disclosure import DEFAULT_THRESHOLD, SUPPRESSED
from pace_analysis.plotting.style import MUTED, OKABE_ITO, new_axes, rc_context, tidy_axes

HIGHLIGHT = OKABE_ITO[5]
OTHERS = "#9A9A9A"
LIMIT_95 = "#4D4D4D"
LIMIT_998 = "#000000"


def plot_funnel(table: pd.DataFrame, limits: pd.DataFrame, highlight: str | None = None,
                ax: Axes | None = None, title: str | None = None,
                xlabel: str = "Number of children (denominator)",
                ylabel: str = "Proportion", label_outside: bool = False,
                threshold: int = DEFAULT_THRESHOLD) -> Axes:
    """Funnel plot of proportions against denominators.

    Parameters
    ----------
    table : pandas.DataFrame
        :func:`pace_analysis.funnel.funnel_table` output (``label``, ``denominator``,
        ``p``, ``p0``, ``inside_99_8``).
    limits : pandas.DataFrame
        :func:`pace_analysis.funnel.funnel_limits` output on a grid of denominators.
    highlight : str, optional
        Label of the unit to highlight (the report's authority); all others are grey and
        unlabelled, so the plot compares without ranking.
    ax : matplotlib Axes, optional
    title : str, optional
    label_outside : bool
        Name the units outside the 99.8% limits (for the national index).
    threshold : int
        Disclosure threshold. The x axis is the denominator, so a point gives away its
        numerator: units whose denominator, numerator or complement (denominator −
        numerator) is between 1 and ``threshold − 1`` are not drawn, and a note says how
        many were withheld. A zero count is shown (it reveals no child).

    Returns
    -------
    matplotlib.axes.Axes
    """
    with rc_context():
        ax = new_axes(ax, (7.5, 5))
        p0 = float(table["p0"].iloc[0])
        ax.axhline(p0, color=MUTED, linewidth=1.0, label=f"Scotland overall ({p0:.0%})")
        n = limits["n"]
        ax.plot(n, limits["upper_95"], color=LIMIT_95, linestyle="--", linewidth=0.9,
                label="95% limits")
        ax.plot(n, limits["lower_95"], color=LIMIT_95, linestyle="--", linewidth=0.9)
        ax.plot(n, limits["upper_99_8"], color=LIMIT_998, linestyle="-", linewidth=1.0,
                label="99.8% limits")
        ax.plot(n, limits["lower_99_8"], color=LIMIT_998, linestyle="-", linewidth=1.0)
        small = [(table[c] > 0) & (table[c] < threshold) for c in ("denominator", "numerator")]
        small.append((table["denominator"] - table["numerator"] > 0)
                     & (table["denominator"] - table["numerator"] < threshold))
        withheld = table[small[0] | small[1] | small[2]]
        shown = table[(table["denominator"] > 0) & ~table.index.isin(withheld.index)]
        others = shown[shown["label"] != highlight]
        ax.scatter(others["denominator"], others["p"], s=28, color=OTHERS, edgecolor="white",
                   linewidth=0.5, zorder=3, label="other authorities" if highlight else "authorities")
        if label_outside:
            for row in others[~others["inside_99_8"]].itertuples():
                ax.annotate(row.label, (row.denominator, row.p), xytext=(4, 2),
                            textcoords="offset points", fontsize=7, color=MUTED)
        if highlight is not None:
            me = shown[shown["label"] == highlight]
            if len(me):
                ax.scatter(me["denominator"], me["p"], s=90, color=HIGHLIGHT, marker="D",
                           edgecolor="black", linewidth=0.7, zorder=4, label=highlight)
                ax.annotate(highlight, (me["denominator"].iloc[0], me["p"].iloc[0]),
                            xytext=(7, 4), textcoords="offset points", fontsize=9,
                            fontweight="bold", color=HIGHLIGHT)
            elif highlight in set(withheld["label"]):
                ax.text(0.5, 0.96, f"{highlight}: not shown (fewer than {threshold} children "
                        "on one side of this measure)", transform=ax.transAxes, ha="center",
                        va="top", fontsize=9, color=MUTED)
            else:
                ax.text(0.5, 0.96, f"{highlight}: no children in this cohort",
                        transform=ax.transAxes, ha="center", va="top", fontsize=9,
                        color=MUTED)
        if len(withheld):
            ax.text(0.01, 0.01, f"{len(withheld)} area(s) not shown: fewer than {threshold} "
                    "children on one side of this measure", transform=ax.transAxes,
                    ha="left", va="bottom", fontsize=7.5, color=MUTED)
        phi = float(table["phi"].iloc[0]) if "phi" in table else 1.0
        if phi > 1:
            ax.text(0.99, 0.01, f"limits widened for over-dispersion (φ = {phi:.2f})",
                    transform=ax.transAxes, ha="right", va="bottom", fontsize=7.5, color=MUTED)
        top = float(shown["denominator"].max()) if len(shown) else 1.0
        ax.set_xlim(0, max(float(n.max()), top) * 1.02)
        if len(shown):
            n_min = float(shown["denominator"].min())
            at_min = limits.iloc[(limits["n"] - n_min).abs().argmin()]
            lo = min(float(shown["p"].min()), float(at_min["lower_99_8"]))
            hi = max(float(shown["p"].max()), float(at_min["upper_99_8"]))
            pad = max((hi - lo) * 0.06, 0.01)
            ax.set_ylim(max(0.0, lo - pad), min(1.0, hi + pad))
        ax.yaxis.set_major_formatter(lambda v, _: f"{v:.0%}")
        ax.set_xlabel(xlabel)
        ax.set_ylabel(ylabel)
        if title:
            ax.set_title(textwrap.fill(title, 70), loc="left", fontsize=11)
        ax.legend(loc="upper right", fontsize=8)
        tidy_axes(ax, "both")
    return ax


def authority_funnel_figure(dataset, authority: str | None,
                            measure: str = "permanence_within_2_years",
                            overdispersion: bool = False,
                            threshold: int = DEFAULT_THRESHOLD, result=None,
                            ) -> tuple[str, Figure, pd.DataFrame]:
    """Funnel plot of one measure with ``authority`` highlighted, ready for a report.

    Pass the *whole* dataset (all authorities). ``authority=None`` draws the national
    version (no highlight; authorities outside 99.8% named), for the index page.
    ``result``: the national :class:`~pace_analysis.funnel.FunnelResult` of this measure
    when the caller already has it (a batch computes it once,
    :mod:`pace_analysis.report.national`); the points and limits do not depend on the
    authority highlighted.

    Returns
    -------
    (title, Figure, table)
        ``table`` is one row: the authority's numerator, denominator, proportion and
        position relative to the 99.8% limits (the national version: every authority, by
        name). It never contains a rank. Points under the disclosure *threshold* are
        withheld from the plot (see :func:`plot_funnel`); suppress the table's counts with
        :func:`pace_analysis.disclosure.suppress_counts` before showing it.
    """
    from dataclasses import replace

    import matplotlib.pyplot as plt

    from pace_analysis.errors import UnknownAuthorityError
    from pace_analysis.funnel import authority_funnel

    if result is not None and result.measure == measure and not overdispersion:
        if authority is not None and authority not in set(result.table["label"]):
            raise UnknownAuthorityError(f"{authority!r} has no journeys in this dataset")
        res = replace(result, highlight=authority)
    else:
        res = authority_funnel(dataset, authority, measure, overdispersion=overdispersion)
    with rc_context():
        fig, ax = plt.subplots(figsize=(8, 5.2), layout="constrained")
        plot_funnel(res.table, res.limits, highlight=authority, ax=ax, title=res.title,
                    label_outside=authority is None, threshold=threshold)
        ax.text(0.0, -0.13, textwrap.fill(f"Population: {res.population}; {res.window}. "
                                          "Authorities are not ranked: only a point outside "
                                          "the 99.8% limits suggests a real difference.", 120),
                transform=ax.transAxes, fontsize=7.5, color=MUTED, va="top")
    cols = ["label", "numerator", "denominator", "p", "position"]
    table = res.table[cols].rename(columns={"label": "authority", "p": "proportion"})
    if authority is not None:
        table = table[table["authority"] == authority]
    else:
        # An area of fewer than `threshold` children shows no figure at all, zeros
        # included ("none of these 3 children" discloses each): its numerator is "c"
        # here; the small denominator is suppressed by the table's own disclosure.
        tiny = (table["denominator"] > 0) & (table["denominator"] < threshold)
        if tiny.any():
            table = table.astype({"numerator": object})
            table.loc[tiny, "numerator"] = SUPPRESSED
    return res.title, fig, table.reset_index(drop=True)
