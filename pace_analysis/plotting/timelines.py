"""Draw one child's timeline: placements by type, milestones, the route reached, age."""

from __future__ import annotations

import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.patches import Patch

from pace_analysis.plotting.style import MUTED, OKABE_ITO, new_axes, rc_context, tidy_axes
from pace_analysis.timelines import YEAR

PLACEMENT_COLORS: dict[str, str] = {
    "home": OKABE_ITO[2],
    "kinship": OKABE_ITO[1],
    "foster": OKABE_ITO[0],
    "residential": OKABE_ITO[5],
    "prospective_adopters": OKABE_ITO[3],
    "other": "#9A9A9A",
}
MARKERS = ("o", "s", "^", "v", "D", "P")


def plot_timeline(timeline: pd.DataFrame, ax: Axes | None = None,
                  title: str | None = None) -> Axes:
    """Draw a timeline from :func:`pace_analysis.timelines.journey_timeline`.

    The bottom axis is years since becoming looked after, the top axis the child's age.
    Placements are bars coloured by type, milestones are markers on their own lane, and
    the end of the journey is labelled (route reached, left care, or still waiting).

    Returns
    -------
    matplotlib.axes.Axes
    """
    with rc_context():
        ax = new_axes(ax, (9, 2.8))
        la = timeline[timeline["kind"] == "looked_after"].iloc[0]
        age0 = float(la["start_age"])
        total = float(la["end_day"]) / YEAR
        ax.barh(2, total, left=0, height=0.35, color="#E8E8E8", edgecolor=MUTED, linewidth=0.5)
        ax.text(0, 2.3, "looked after", fontsize=7.5, color=MUTED, va="bottom")
        pl = timeline[timeline["kind"] == "placement"]
        seen: dict[str, Patch] = {}
        for row in pl.itertuples():
            color = PLACEMENT_COLORS.get(str(row.placement_type), "#9A9A9A")
            width = max((row.end_day - row.start_day) / YEAR, 0.01)
            ax.barh(1, width, left=row.start_day / YEAR, height=0.5, color=color,
                    edgecolor="white", linewidth=0.8)
            seen.setdefault(row.label, Patch(color=color, label=row.label))
        ms = timeline[timeline["kind"] == "milestone"]
        handles = list(seen.values())
        for i, row in enumerate(ms.itertuples()):
            h = ax.scatter(row.start_day / YEAR, 0, marker=MARKERS[i % len(MARKERS)], s=42,
                           color="black", zorder=3, label=row.label)
            handles.append(h)
        end = timeline[timeline["kind"] == "end"].iloc[0]
        ax.axvline(end["end_day"] / YEAR, color=MUTED, linestyle=":", linewidth=1)
        ax.annotate(f"{end['label']}\nafter {end['end_day'] / YEAR:.1f} years",
                    (end["end_day"] / YEAR, 2.0), xytext=(4, 0), textcoords="offset points",
                    fontsize=8, va="center", fontweight="bold")
        ax.set_yticks([0, 1], ["Milestones", "Placements"])
        ax.set_ylim(-0.6, 2.7)
        ax.set_xlim(-0.05 * max(total, 0.5), max(total, 0.5) * 1.3)
        ax.set_xlabel("Years since becoming looked after")
        top = ax.secondary_xaxis("top", functions=(lambda x: x + age0, lambda a: a - age0))
        top.set_xlabel("Child's age (years)", fontsize=9)
        if title:
            ax.set_title(title, loc="left", fontsize=11, pad=26)
        ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=7.5)
        tidy_axes(ax, "x")
    return ax


def example_timeline_figures(dataset, n: int = 4, seed: int = 0, allow_real: bool = False,
                             authority: str | None = None) -> list[tuple[str, Figure]]:
    """Figures of example timelines, for the gallery and the report (synthetic data only).

    Raises :class:`~pace_analysis.errors.PaceError` unless the dataset is synthetic or
    ``allow_real=True`` (see :func:`pace_analysis.timelines.example_timelines`).
    """
    import matplotlib.pyplot as plt

    from pace_analysis.timelines import example_timelines

    out = []
    for label, tl in example_timelines(dataset, n, seed, allow_real, authority):
        with rc_context():
            fig, ax = plt.subplots(figsize=(10, 3.0), layout="constrained")
            plot_timeline(tl, ax=ax, title=label)
        out.append((label, fig))
    return out
