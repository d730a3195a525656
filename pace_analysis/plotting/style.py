"""Shared look of every figure: colour-blind-safe colours, fonts, axes and labels.

Colours come from the Okabe–Ito palette (Okabe & Ito 2008, "Color Universal Design"),
distinguishable with the common colour-vision deficiencies and in greyscale print when
combined with the line styles below. Routes to permanence keep the same colour in every
figure; groups (age groups, authorities) take palette colours in order. Stages, which
are ordered, use the sequential ``cividis`` map (designed for colour-vision deficiency).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import matplotlib as mpl
import matplotlib.pyplot as plt
import seaborn as sns
from matplotlib.axes import Axes
from matplotlib.ticker import FuncFormatter, MaxNLocator, MultipleLocator

#: Okabe–Ito colours (black last; the yellow is kept for areas, not thin lines).
OKABE_ITO: tuple[str, ...] = (
    "#0072B2",  # blue
    "#E69F00",  # orange
    "#009E73",  # bluish green
    "#CC79A7",  # reddish purple
    "#56B4E9",  # sky blue
    "#D55E00",  # vermillion
    "#000000",  # black
    "#F0E442",  # yellow
)
#: Line styles cycled after the colours run out (and for greyscale print).
LINESTYLES: tuple[str, ...] = ("-", "--", "-.", ":")
#: Fixed colours of routes to permanence (codes of every bundled route set) and states.
ROUTE_COLORS: dict[str, str] = {
    "home": "#009E73",
    "kinship": "#E69F00",
    "child_arrangements": "#E69F00",
    "special_guardianship": "#56B4E9",
    "permanence_order": "#0072B2",
    "adoption": "#CC79A7",
    "exit": "#7F7F7F",
    "waiting": "#E8E8E8",
}
#: Labels of the two non-route states of a cumulative-incidence table.
STATE_LABELS: dict[str, str] = {
    "exit": "Left care without legal permanence",
    "waiting": "Still waiting",
    "none_yet": "No legal permanence yet",
    "merged": "Other routes to permanence, together (counts hidden)",
}
DAYS_PER_YEAR = 365.25
MUTED = "#555555"

#: Matplotlib settings applied while a figure is drawn: seaborn's "ticks" theme, set once
#: here for every figure, with the Okabe–Ito colours as the default cycle and the overrides
#: below (text >= 9 pt, light grid, 150 dpi output).
RC: dict = {
    **sns.axes_style("ticks"),
    "axes.prop_cycle": mpl.cycler(color=OKABE_ITO),
    "font.size": 10,
    "axes.titlesize": 12,
    "axes.titleweight": "bold",
    "axes.labelsize": 10,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "grid.color": "#DDDDDD",
    "grid.linewidth": 0.6,
    "legend.frameon": False,
    "legend.fontsize": 9,
    "figure.dpi": 100,
    "savefig.dpi": 150,
    "savefig.bbox": "tight",
}


def rc_context():
    """Context manager applying :data:`RC` (use around figure creation and drawing)."""
    return mpl.rc_context(RC)


def new_axes(ax: Axes | None, figsize: tuple[float, float]) -> Axes:
    """Return ``ax``, or the Axes of a new figure of ``figsize`` inches."""
    if ax is not None:
        return ax
    _, ax = plt.subplots(figsize=figsize)
    return ax


def tidy_axes(ax: Axes, grid_axis: str = "y") -> Axes:
    """Apply the house style to an existing Axes (spines, grid), whoever created it."""
    ax.spines["top"].set_visible(False)
    ax.spines["right"].set_visible(False)
    ax.grid(False)
    if grid_axis:
        ax.grid(True, axis=grid_axis, color=RC["grid.color"], linewidth=RC["grid.linewidth"])
    ax.set_axisbelow(True)
    return ax


def group_colors(groups: Iterable, palette: Sequence[str] = OKABE_ITO) -> dict:
    """Colour of each group, in order (palette colours first, then repeated)."""
    return {g: palette[i % len(palette)] for i, g in enumerate(groups)}


def group_linestyles(groups: Iterable, palette: Sequence[str] = OKABE_ITO) -> dict:
    """Line style of each group: solid until the colours repeat, then dashed, ..."""
    return {g: LINESTYLES[(i // len(palette)) % len(LINESTYLES)] for i, g in enumerate(groups)}


def route_color(code: str, fallback_index: int = 0) -> str:
    """Fixed colour of a route (or of ``"exit"``/``"waiting"``)."""
    return ROUTE_COLORS.get(code, OKABE_ITO[fallback_index % len(OKABE_ITO)])


def route_label(code: str, route_set=None) -> str:
    """Readable label of a route code from the route set (default Scotland's)."""
    if code in STATE_LABELS:
        return STATE_LABELS[code]
    from pace_analysis.routes import load_route_set

    rs = route_set if route_set is not None and not isinstance(route_set, str) else (
        load_route_set(route_set) if isinstance(route_set, str) else load_route_set())
    return rs.label_of(str(code))


def percent_axis(ax: Axes, axis: str = "y") -> None:
    """Show 0–1 values as 0%–100%."""
    fmt = FuncFormatter(lambda v, _: f"{v:.0%}")
    (ax.yaxis if axis == "y" else ax.xaxis).set_major_formatter(fmt)


def years_axis(ax: Axes, max_years: float) -> None:
    """Whole-year ticks (every year up to 10 years, fewer after) on the x axis."""
    if max_years <= 10:
        ax.xaxis.set_major_locator(MultipleLocator(1))
    else:
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))


def text_color_on(color: str) -> str:
    """Black or white, whichever reads better on ``color``."""
    r, g, b = mpl.colors.to_rgb(color)
    return "black" if 0.299 * r + 0.587 * g + 0.114 * b > 0.5 else "white"


def stage_colors(n: int) -> list[str]:
    """``n`` ordered colours for stages, from the colour-blind-safe ``cividis`` map."""
    cmap = mpl.colormaps["cividis"]
    if n <= 1:
        return [mpl.colors.to_hex(cmap(0.3))]
    return [mpl.colors.to_hex(cmap(0.1 + 0.85 * i / (n - 1))) for i in range(n)]
