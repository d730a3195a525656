"""Figures as published: compact 150 dpi PNGs, and a text description from their data.

Every report figure reaches the reader twice: as an image and, for anyone who cannot see
it, as alternative text. :func:`describe_figure` writes that text from the figure's own
artists, so it holds the numbers the figure shows, not a stock phrase: the title, the
axes, and for each labelled curve its value at the axis's marked times (a step curve is
read as a step function), for each bar its length, for stacked bands their height, for a
table drawn under a chart (numbers at risk) its rows, and any annotation. It reads what
was drawn, so it can never show more than the figure does (the plotting functions apply
the disclosure rule).

:func:`png_bytes` renders a figure at 150 dpi and reduces it to a palette of 64 colours:
charts are flat colours, so this is visually lossless and about a third of the size of a
full-colour PNG; the same input gives the same bytes. The pixels leave matplotlib as an
uncompressed TIFF (the same pixels as its PNG, without compressing them only to decompress
them again) and the palette PNG is written with zlib's default level 6 (level 9 made files
about 7% smaller for five times the time).
"""

from __future__ import annotations

import io
import math
from dataclasses import dataclass

import numpy as np

#: Resolution of published PNGs (WCAG-minded: text of 9 pt is 19 px high).
DPI = 150
#: Smallest text in a published figure, in points (at 150 dpi, 19 px).
MIN_TEXT_PT = 9.0
#: Colours kept in a published PNG.
PALETTE_COLOURS = 64
#: zlib level of the published PNG (6: zlib's default; 9 is ~7% smaller and ~5x slower).
PNG_COMPRESS_LEVEL = 6
_MAX_POINTS = 6
_MAX_BARS = 16


@dataclass(frozen=True)
class FigureText:
    """What a figure shows, in words.

    Attributes
    ----------
    caption : str
        Short caption (the figure's title).
    alt : str
        Alternative text: what the figure shows and its key numbers.
    """

    caption: str
    alt: str


#: Least contrast of figure text against its background (WCAG 2.1 AA, normal text).
MIN_CONTRAST = 4.5


def _luminance(rgb) -> float:
    def channel(c: float) -> float:
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (channel(float(c)) for c in rgb[:3])
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(fg, bg=(1.0, 1.0, 1.0)) -> float:
    """WCAG contrast ratio of colour *fg* on *bg* (RGB tuples in 0..1)."""
    a, b = sorted((_luminance(fg), _luminance(bg)), reverse=True)
    return (a + 0.05) / (b + 0.05)


def darken_low_contrast_text(fig, minimum: float = MIN_CONTRAST) -> int:
    """Darken (same hue) every text of *fig* whose contrast with its background is too low.

    The background is the text's own box when it has one, else white. Coloured labels (a
    group's numbers at risk in its line colour, say) keep their hue. Returns how many
    texts were changed.
    """
    from matplotlib.colors import to_rgb
    from matplotlib.text import Text

    changed = 0
    for t in fig.findobj(Text):
        if not t.get_text().strip():
            continue
        box = t.get_bbox_patch()
        bg = to_rgb(box.get_facecolor()) if box is not None else (1.0, 1.0, 1.0)
        rgb = to_rgb(t.get_color())
        if contrast(rgb, bg) >= minimum or _luminance(bg) < 0.5:
            continue
        while contrast(rgb, bg) < minimum:
            rgb = tuple(c * 0.92 for c in rgb)
        t.set_color(rgb)
        changed += 1
    return changed


def raise_small_text(fig, minimum: float = MIN_TEXT_PT) -> int:
    """Set every text of *fig* smaller than *minimum* points to *minimum*; return how many."""
    from matplotlib.text import Text

    small = [t for t in fig.findobj(Text) if t.get_text().strip() and t.get_fontsize() < minimum]
    for t in small:
        t.set_fontsize(minimum)
    return len(small)


def stamp(fig, label: str) -> None:
    """Write *label* (e.g. "Synthetic data") in a box below everything else, at the right.

    Placed under the lowest artist (notes drawn below the axes included), so it covers
    nothing; a tight bounding box then makes room for it.
    """
    if not hasattr(fig.canvas, "get_renderer"):  # a bare Figure() (no pyplot): give it Agg
        from matplotlib.backends.backend_agg import FigureCanvasAgg

        FigureCanvasAgg(fig)
    box = fig.get_tightbbox(fig.canvas.get_renderer())
    width, height = fig.get_size_inches()
    fig.text(box.x1 / width, (box.y0 - 0.08) / height, label, ha="right", va="top",
             fontsize=MIN_TEXT_PT, fontweight="bold", color="#5c4a00",
             bbox={"boxstyle": "round,pad=0.25", "facecolor": "#fff4ce", "edgecolor": "#8a6d00",
                   "linewidth": 0.8})


def png_bytes(fig, dpi: int = DPI, colours: int = PALETTE_COLOURS) -> bytes:
    """*fig* as a palette PNG without metadata (deterministic bytes).

    Text below :data:`MIN_TEXT_PT` is first raised to it (:func:`raise_small_text`) and
    text with less than :data:`MIN_CONTRAST` against its background is darkened
    (:func:`darken_low_contrast_text`), so that no published figure has text under 9 pt or
    under 4.5:1 whichever plotting function drew it.
    """
    from PIL import Image

    raise_small_text(fig)
    darken_low_contrast_text(fig)
    buf = io.BytesIO()
    # Uncompressed TIFF: the pixels of matplotlib's PNG, at a fraction of its encoding cost.
    fig.savefig(buf, format="tiff", dpi=dpi, bbox_inches="tight")
    image = Image.open(io.BytesIO(buf.getvalue())).convert("RGB")
    small = image.quantize(colors=colours, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE)
    out = io.BytesIO()
    small.save(out, format="PNG", compress_level=PNG_COMPRESS_LEVEL)
    return out.getvalue()


def _fmt(axis, value: float) -> str:
    """*value* as the axis labels it (percent, dates, years), else a short number."""
    try:
        text = axis.get_major_formatter()(value, None)
    except Exception:  # noqa: BLE001 - any formatter failure falls back to a number
        text = ""
    text = str(text).replace("\u2212", "-").strip()
    if not text or text.startswith("$"):
        text = f"{value:,.3g}"
    return text


def _precise(axis, value: float) -> str:
    """A y value with one more digit than tick labels carry when they are whole percents."""
    text = _fmt(axis, value)
    if text.endswith("%"):
        return f"{value:.0%}" if abs(value) <= 1.5 else text
    return text


def _sample_points(ax, x: np.ndarray) -> list[float]:
    lo, hi = sorted(ax.get_xlim())
    ticks = [t for t in ax.get_xticks()
             if max(np.nanmin(x), lo) <= t <= min(np.nanmax(x), hi)]
    if len(ticks) > _MAX_POINTS:
        step = math.ceil(len(ticks) / _MAX_POINTS)
        ticks = ticks[::step]
    return ticks


def _at(ax, value: float) -> str:
    """An x position in words: "2 years" when the axis counts years, else its tick label."""
    text = _fmt(ax.xaxis, value)
    first = (ax.get_xlabel().split() or [""])[0].lower()
    if first in ("years", "days", "weeks", "months", "quarters"):
        unit = first[:-1] if text in ("1", "1.0") else first
        return f"{text} {unit}"
    return text


def _value_at(x: np.ndarray, y: np.ndarray, at: float, steps: bool) -> float:
    ok = ~(np.isnan(x) | np.isnan(y))
    x, y = x[ok], y[ok]
    if not len(x):
        return float("nan")
    if steps:
        i = np.searchsorted(x, at, side="right") - 1
        return float(y[max(i, 0)])
    return float(np.interp(at, x, y))


def _lines(ax) -> list[str]:
    import matplotlib.dates as mdates

    out = []
    labelled = [ln for ln in ax.get_lines() if not ln.get_label().startswith("_")]
    for line in labelled:
        x = np.asarray(mdates.date2num(line.get_xdata()) if _is_dates(line.get_xdata())
                       else line.get_xdata(), dtype=float)
        y = np.asarray(line.get_ydata(), dtype=float)
        if len(x) == 0 or np.all(np.isnan(y)):
            continue
        label = line.get_label()
        steps = line.get_drawstyle().startswith("steps")
        if line.get_marker() not in (None, "", "None", " ") and not steps and len(x) > 1:
            ok = ~np.isnan(y)
            n = int(ok.sum())
            out.append(f"{label}: {n} point{'s' if n != 1 else ''}, first {_precise(ax.yaxis, y[ok][0])} "
                       f"({_fmt(ax.xaxis, x[ok][0])}), last {_precise(ax.yaxis, y[ok][-1])} "
                       f"({_fmt(ax.xaxis, x[ok][-1])}), lowest {_precise(ax.yaxis, np.nanmin(y))}, "
                       f"highest {_precise(ax.yaxis, np.nanmax(y))}")
            continue
        if np.nanmax(y) == np.nanmin(y):
            out.append(f"{label}: {_precise(ax.yaxis, y[~np.isnan(y)][0])} throughout")
            continue
        order = np.argsort(x, kind="stable")
        pts = [f"{_precise(ax.yaxis, _value_at(x[order], y[order], t, steps))} at "
               f"{_at(ax, t)}" for t in _sample_points(ax, x)]
        if pts:
            out.append(f"{label}: " + ", ".join(pts))
    return out


def _is_dates(values) -> bool:
    arr = np.asarray(values)
    return arr.dtype.kind == "M" or (arr.dtype == object and len(arr) and
                                     hasattr(arr[0], "year"))


def _bands(ax) -> list[str]:
    from matplotlib.collections import PolyCollection

    out = []
    for coll in ax.collections:
        label = coll.get_label()
        if not isinstance(coll, PolyCollection) or label.startswith("_"):
            continue
        paths = coll.get_paths()
        if not paths:
            continue
        v = paths[0].vertices
        if len(v) < 4:
            continue
        k = int(np.argmax(v[:, 0]))
        top, bottom = v[1:k + 1], v[k + 1:][::-1]
        if not len(top) or not len(bottom):
            continue
        pts = []
        for t in _sample_points(ax, v[:, 0]):
            h = _value_at(top[:, 0], top[:, 1], t, True) - _value_at(bottom[:, 0], bottom[:, 1], t, True)
            pts.append(f"{_precise(ax.yaxis, abs(h))} at {_at(ax, t)}")
        if pts:
            out.append(f"{label} (band height): " + ", ".join(pts))
    return out


def _points(ax) -> list[str]:
    """Scatter layers: how many points, and the position of a layer of one or two."""
    from matplotlib.collections import PathCollection

    out = []
    for coll in ax.collections:
        if not isinstance(coll, PathCollection):
            continue
        xy = np.asarray(coll.get_offsets(), dtype=float)
        if not len(xy):
            continue
        label = coll.get_label()
        name = "" if label.startswith("_") else f"{label}: "
        if len(xy) <= 2 and name:
            out.append(name + ", ".join(f"{_precise(ax.yaxis, y)} at {_fmt(ax.xaxis, x)}"
                                        for x, y in xy))
        elif len(xy) > 2:
            out.append(f"{name}{len(xy)} points")
    return out


def _tick_label(ticks, labels, at: float) -> str:
    if not len(ticks):
        return ""
    i = int(np.argmin(np.abs(np.asarray(ticks) - at)))
    return labels[i] if abs(ticks[i] - at) < 0.51 else ""


def _bars(ax) -> list[str]:
    from matplotlib.colors import to_hex
    from matplotlib.container import BarContainer

    out = []
    yt, yl = ax.get_yticks(), [t.get_text() for t in ax.get_yticklabels()]
    xt, xl = ax.get_xticks(), [t.get_text() for t in ax.get_xticklabels()]
    legend = ax.get_legend()
    names = {}
    if legend is not None:
        for handle, text in zip(legend.legend_handles, legend.get_texts(), strict=False):
            try:
                names.setdefault(to_hex(handle.get_facecolor()), text.get_text())
            except (AttributeError, ValueError):
                continue
    rows: dict[str, list[str]] = {}
    for cont in ax.containers:
        if not isinstance(cont, BarContainer):
            continue
        label = cont.get_label()
        for bar in cont.patches[:_MAX_BARS]:
            w, h = bar.get_width(), bar.get_height()
            horizontal = cont.orientation == "horizontal"
            size = w if horizontal else h
            if not np.isfinite(size) or size == 0:
                continue
            where = _tick_label(yt, yl, bar.get_y() + h / 2) if horizontal else \
                _tick_label(xt, xl, bar.get_x() + w / 2)
            value = _fmt(ax.xaxis if horizontal else ax.yaxis, size)
            part = names.get(to_hex(bar.get_facecolor()))
            value = f"{part} {value}" if part and part != label else value
            key = " ".join(where.split()) or ("" if label.startswith("_") else label)
            rows.setdefault(key, []).append(value)
    for key, values in rows.items():
        out.append((f"{key}: " if key else "") + ", ".join(values))
    return out


def _table_rows(ax) -> list[str]:
    """Numbers drawn as text in rows (e.g. numbers at risk), one line per row."""
    rows: dict[float, list[tuple[float, str]]] = {}
    for t in ax.texts:
        text = t.get_text().strip()
        if not text or t.get_transform() != ax.transData:
            continue
        x, y = t.get_position()
        rows.setdefault(round(float(y), 3), []).append((float(x), text))
    yt, yl = ax.get_yticks(), [t.get_text() for t in ax.get_yticklabels()]
    out = []
    for y, cells in sorted(rows.items(), reverse=True):
        name = _tick_label(yt, yl, y)
        values = [v for _, v in sorted(cells)]
        out.append((f"{name}: " if name else "") + ", ".join(values))
    return out


def _notes(ax) -> list[str]:
    notes = []
    for t in ax.texts:
        text = " ".join(t.get_text().split())
        while text.lower().startswith("note:"):
            text = text[5:].strip()
        if text and t.get_transform() != ax.transData:
            notes.append(text.rstrip("."))
    return notes


def _has_data(ax) -> bool:
    return bool(ax.get_lines() or ax.collections or ax.patches or ax.containers)


def describe_figure(fig) -> FigureText:
    """Caption and alternative text of a matplotlib figure, from what it draws.

    Returns
    -------
    FigureText
        ``caption``: the title (first axes' title, or the figure's suptitle); ``alt``:
        what is plotted against what, then the key numbers of each axes.
    """
    axes = [ax for ax in fig.get_axes() if ax.get_visible()]
    titles = [" ".join(ax.get_title(loc).split()) for ax in axes
              for loc in ("left", "center", "right") if ax.get_title(loc).strip()]
    sup = fig._suptitle.get_text() if getattr(fig, "_suptitle", None) is not None else ""
    caption = " ".join(sup.split()) or (titles[0] if titles else "Figure")
    parts = [f"Chart: {caption}."]
    for ax in axes:
        title = " ".join(ax.get_title("left").split() or ax.get_title().split())
        if _has_data(ax):
            xl, yl = ax.get_xlabel().strip(), ax.get_ylabel().strip()
            if xl or yl:
                parts.append(f"{' '.join(yl.split()) or 'Values'} against "
                             f"{' '.join(xl.split()) or 'time'}.")
            facts = _lines(ax) + _bands(ax) + _bars(ax) + _points(ax)
            if title and title != caption:
                parts.append(f"{title}:")
            parts.extend(f"{f}." for f in facts)
            labels = [t.get_text() for t in ax.texts if t.get_transform() == ax.transData
                      and t.get_text().strip()]
            if labels and not facts:
                parts.append("Labelled: " + "; ".join(" ".join(x.split()) for x in labels[:12])
                             + ".")
            parts.extend(f"Note: {n}." for n in _notes(ax))
        else:
            rows = _table_rows(ax)
            if rows:
                parts.append((f"{title}: " if title else "") + "; ".join(rows) + ".")
            else:
                parts.extend(f"Note: {n}." for n in _notes(ax))
    alt = " ".join(p.replace("..", ".").replace(":.", ":") for p in parts)
    return FigureText(caption=caption, alt=alt)


__all__ = ["DPI", "MIN_TEXT_PT", "PALETTE_COLOURS", "PNG_COMPRESS_LEVEL", "raise_small_text", "stamp",
           "MIN_CONTRAST", "contrast", "darken_low_contrast_text", "FigureText", "png_bytes", "describe_figure"]
