"""What the authority report notebook calls, inside its kernel.

``notebooks/authority_report.ipynb`` holds no logic of its own: it loads the data
(:func:`load_dataset`, from the batch runner's cache when there is one), settles the study
window (:func:`study_window`), and shows every figure and table through :func:`save_figure`
and :func:`show_table`, which write the PNG/CSV files and apply disclosure control. The
statistics come from the analysis modules; this module only arranges them for a reader.
The batch runner is :mod:`pace_analysis.reports`.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from pace_analysis.authorities import slugify

#: Times (days) at which reports tabulate numbers at risk: 0 to 5 years.
YEAR_MARKS = (0.0, 365.25, 730.5, 1095.75, 1461.0, 1826.25)


def _load_validated(path: Path):
    from pace_analysis.io import read_dataset

    return read_dataset(path)


def write_cache(dataset, cache_dir: Path, window: tuple | None = None) -> None:
    """Write a validated dataset, and its analysis frame, for kernels to load as they are.

    The frame (all authorities, built with the run's study *window*) is the same in every
    report, so it is built once here instead of once per kernel.
    """
    from pace_analysis import cohort

    cache_dir = Path(cache_dir)
    window = study_window(dataset, *(window or (None, None)))
    # Pickle, not Parquet: the frame comes back exactly (missing values, categories, attrs).
    cohort.build_frame(dataset, window=window).to_pickle(cache_dir / "frame.pkl")
    (cache_dir / "frame.json").write_text(json.dumps({"window": list(window)}), encoding="utf-8")
    # The whole Dataset (tables, route set, meta) pickled: kernels get exactly what was
    # validated here. The cache is the runner's own temporary folder, never user input.
    import pandas as pd

    pd.to_pickle(dataset, cache_dir / "dataset.pkl")


def load_dataset(data_path: str, cache_dir: str | None = None):
    """The dataset a report notebook analyses.

    Parameters
    ----------
    data_path : str
        Dataset folder, absolute or relative to the current directory (a notebook run
        by hand from the repository root can use ``"data/synthetic"``).
    cache_dir : str or None
        Folder written by :func:`write_cache` in the parent process of a batch run: the
        data were validated there once, so kernels read it as is. Empty: read and
        validate *data_path*.

    Returns
    -------
    pace_analysis.dataset.Dataset
    """
    if cache_dir:
        import pandas as pd

        return _note_synthetic(pd.read_pickle(Path(cache_dir) / "dataset.pkl"))
    path = Path(data_path)
    if not path.exists():
        here = Path.cwd()
        for parent in (here, *here.parents):
            if (parent / "pyproject.toml").is_file() and (parent / data_path).exists():
                path = parent / data_path
                break
    return _note_synthetic(_load_validated(path))


#: Label stamped on every figure :func:`save_figure` publishes while the report's data are
#: synthetic (set by :func:`load_dataset`), so that a figure copied out of a report still
#: says it shows invented data.
FIGURE_BANNER: str | None = None


def _note_synthetic(dataset):
    from pace_analysis.timelines import is_synthetic

    global FIGURE_BANNER
    FIGURE_BANNER = "Synthetic data" if is_synthetic(dataset) else None
    return dataset


def study_window(dataset, window_start: str | None = None,
                 window_end: str | None = None) -> tuple[str | None, str | None]:
    """The study window of a report: the parameters, else the dataset's own window start.

    An extract that includes journeys already open when it began
    (:attr:`~pace_analysis.dataset.Dataset.observation_start`: the synthetic data's
    ``window: start:``, an SSDA903 import's ``observation_start``) must be analysed with late entry from
    that date, or the long waits of those journeys bias every estimate upwards. An
    explicit ``window_start``/``window_end`` wins.
    """
    start = window_start or dataset.observation_start
    return (str(start) if start else None, str(window_end) if window_end else None)


def national_label(dataset) -> str:
    """What the whole dataset is called in a report: "Scotland" for the 32 councils."""
    return "Scotland" if dataset.route_set.authorities == "scotland" else "All areas in the data"


def describe_data(dataset, window: tuple, frame=None) -> str:
    """One paragraph (Markdown) saying which data a report describes, for its reader."""
    from pace_analysis.timelines import is_synthetic

    meta = dataset.meta or {}
    if is_synthetic(dataset):
        what = ("**synthetic (invented) data** made by the pace-analysis generator ("
                + (f"seed {meta['seed']}; " if "seed" in meta else "")
                + "no real child is described)")
    else:
        what = f"data from {meta.get('source') or 'an extract'}"
    extract = dataset.journeys["extract_date"].max()
    start, end = window
    rows = len(frame) if frame is not None else len(dataset.journeys)
    text = (f"This report uses {what}: {rows:,} periods of care in "
            f"{dataset.journeys['authority'].nunique()} areas, followed up to the extract date "
            f"{_day(extract)}.")
    if start:
        text += (f" Periods of care are counted from {_day(start)}; those that had "
                 "begun earlier and were still open then enter the analysis on that date (late "
                 "entry), so that the long waits of children already in care do not bias the "
                 "estimates.")
    if end:
        text += f" Follow-up stops on {_day(end)}."
    return text


def _day(value) -> str:
    """A date as "1 August 2008"."""
    import pandas as pd

    ts = pd.Timestamp(value)
    return f"{ts.day} {ts:%B %Y}"


def began_in_window(dataset, authority: str, window: tuple):
    """The authority's journeys that *began* inside the study window, with their placements.

    Stage durations, PACE aims and placement moves are measured from each journey's own
    start. Journeys that began before the window are in an extract only because they were
    still open when it began, so they over-represent long stages (length bias); late entry
    corrects this for time to permanence, but stage tables simply leave them out.
    """
    import pandas as pd

    from pace_analysis.dataset import Dataset

    local = dataset.for_authority(authority)
    start, end = window
    keep = pd.Series(True, index=local.journeys.index)
    if start:
        keep &= local.journeys["looked_after_date"] >= pd.Timestamp(start)
    if end:
        keep &= local.journeys["looked_after_date"] <= pd.Timestamp(end)
    j = local.journeys[keep].reset_index(drop=True)
    p = local.placements[local.placements["journey_id"].isin(j["journey_id"])]
    return Dataset(j, p.reset_index(drop=True), local.route_set, local.source, local.meta,
                   local.warnings)


def load_frame(dataset, window: tuple, cache_dir: str | None = None):
    """The analysis frame of all authorities for *window*: from the cache when it matches.

    Parameters
    ----------
    dataset : Dataset
        The dataset (used when there is no cache, or the cache is for another window).
    window : (start, end)
        Study window, as from :func:`study_window`.
    cache_dir : str or None
        Folder written by :func:`write_cache` in a batch run.
    """
    from pace_analysis import cohort

    if cache_dir:
        cache = Path(cache_dir)
        try:
            meta = json.loads((cache / "frame.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            meta = {}
        if meta.get("window") == [str(w) if w else None for w in window]:
            import pandas as pd

            return pd.read_pickle(cache / "frame.pkl")
    return cohort.build_frame(dataset, window=window)


def setup_kernel() -> None:
    """Fix matplotlib's backend, sizes and metadata so the same input gives the same bytes."""
    import matplotlib

    try:
        from IPython import get_ipython

        shell = get_ipython()
    except ImportError:  # pragma: no cover
        shell = None
    if shell is not None and shell.__class__.__name__ == "ZMQInteractiveShell":
        shell.run_line_magic("matplotlib", "inline")
        from matplotlib_inline.backend_inline import set_matplotlib_formats

        set_matplotlib_formats("png")
    else:
        matplotlib.use("Agg")
    matplotlib.rcParams.update({
        "figure.dpi": 100, "savefig.dpi": 100, "figure.figsize": (8, 4.5),
        "svg.hashsalt": "pace-analysis", "font.family": "DejaVu Sans",
        "path.simplify": True, "savefig.bbox": "tight",
    })


def save_figure(ax_or_fig: Any, output_dir: str, name: str, show: bool = True) -> None:
    """Save a figure as ``<output_dir>/<name>.png``, show that PNG, and close the figure.

    The figure is rendered once (:func:`pace_analysis.figures.png_bytes`: 150 dpi, palette,
    no metadata; stamped "Synthetic data" when :data:`FIGURE_BANNER` says so): the same bytes go to the file and, when ``show`` is True, into the
    notebook, with the figure's caption and alternative text written from its data
    (:func:`pace_analysis.figures.describe_figure`) as display metadata, which the HTML
    export uses. Closing it stops the inline backend from rendering it a second time.
    Returns None, so that a notebook cell ending with this call prints nothing (no file
    paths in reports).
    """
    import matplotlib.pyplot as plt

    from pace_analysis.figures import describe_figure, png_bytes

    fig = getattr(ax_or_fig, "figure", ax_or_fig)
    if hasattr(fig, "get_figure") and fig.get_figure() is not None:
        fig = fig.get_figure()
    text = describe_figure(fig)
    if FIGURE_BANNER:
        from pace_analysis.figures import stamp

        stamp(fig, FIGURE_BANNER)
    data = png_bytes(fig)
    path = Path(output_dir) / f"{name}.png"
    path.write_bytes(data)
    if show:
        from IPython.display import Image, display

        display(Image(data=data, format="png"), metadata={
            "pace": {"name": f"{name}.png", "caption": text.caption, "alt": text.alt}})
    plt.close(fig)


def save_table(table, output_dir: str, name: str) -> None:
    """Save a (disclosure-controlled) table as ``<output_dir>/<name>.csv`` (returns None).

    Text cells that a spreadsheet would read as a formula are neutralised
    (:func:`pace_analysis.csvfiles.write_csv`).
    """
    from pace_analysis.csvfiles import write_csv

    write_csv(table, Path(output_dir) / f"{name}.csv")


def output_folder(output_dir: str, authority: str) -> Path:
    """The folder a notebook writes into: *output_dir*, or ``reports/adhoc/<slug>``.

    A notebook run by hand (``papermill ... -p authority "Glasgow City"``) leaves
    ``output_dir`` empty and gets ``reports/adhoc/<slug>`` under the current directory.
    """
    path = Path(output_dir) if output_dir else Path("reports") / "adhoc" / slugify(authority)
    path.mkdir(parents=True, exist_ok=True)
    return path


def share_table(frame, by: str | None = None, times_days=(365.25, 730.5, 1461)):
    """Share reaching permanence by 1, 2 and 4 years, with the counts behind each share.

    :func:`pace_analysis.survival.share_by` joined with the cumulative number reaching
    permanence by each time (:func:`~pace_analysis.survival.at_risk_table`), so that
    disclosure control can suppress a share computed from a handful of children.

    Returns
    -------
    pandas.DataFrame
        ``group, years, n, at_risk, events, share, ci_lower, ci_upper``.
    """
    from pace_analysis import survival

    shares = survival.share_by(frame, times_days, by=by)
    counts = survival.at_risk_table(frame, times_days, by=by)[["group", "time_days", "events"]]
    out = shares.merge(counts, on=["group", "time_days"], how="left")
    out["years"] = out["time_days"] / 365.25
    return out[["group", "years", "n", "at_risk", "events", "share", "ci_lower", "ci_upper"]]


def route_table(frame, cif, route_set=None, times_days=(365.25, 730.5, 1461)):
    """Share reached by each route (and still waiting) at 1, 2 and 4 years, with counts.

    One row per state of a :func:`pace_analysis.competing.cumulative_incidence` table of
    one group; for each time ``t`` a count column ``n_<years>`` (children who reached that
    route by t; for "still waiting", children still waiting and followed at t) and the
    estimate ``share_<years>`` (:func:`~pace_analysis.competing.cif_at`). The states of one
    time add up to everyone, so a table from this function suits
    ``suppress_counts(..., totals="columns")``: one small count cannot be recovered from
    the others.

    Returns
    -------
    pandas.DataFrame
        ``route`` (label), then ``n_1, share_1, n_2, share_2, n_4, share_4``.
    """
    from pace_analysis import competing, survival
    from pace_analysis.plotting.style import route_label

    times = list(times_days)
    at = competing.cif_at(cif, times)
    waiting = survival.at_risk_table(frame, times)["at_risk"].to_numpy()
    rows = []
    for route, g in cif.groupby("route", sort=False, observed=True):
        row = {"route": route_label(str(route), route_set)}
        for i, t in enumerate(times):
            key = f"{t / 365.25:g}"
            if str(route) == "waiting":
                count = int(waiting[i])
            else:
                count = int(g.loc[g["time_days"] <= t, "events"].sum())
            est = at[(at["route"] == route) & (at["time_days"] == t)]["cif"]
            row[f"n_{key}"] = count
            row[f"share_{key}"] = float(est.iloc[0]) if len(est) else float("nan")
        rows.append(row)
    import pandas as pd

    return pd.DataFrame(rows)


def show_table(table, output_dir: str | os.PathLike, name: str, count_columns=(),
               threshold: int = 5, derived: dict | None = None, totals: str | None = "columns",
               columns: dict | None = None, formats: dict | None = None,
               group_size: int | None = None):
    """Suppress small counts, save the table as CSV and return it for display.

    Parameters
    ----------
    table : pandas.DataFrame
        A tidy table from the library.
    output_dir : path
        Where ``<name>.csv`` goes.
    name : str
        File name without extension.
    count_columns : sequence of str
        Count columns passed to :func:`pace_analysis.disclosure.suppress_counts`.
    threshold : int
        Disclosure threshold.
    derived : dict, optional
        ``{column: [count columns]}`` suppressed with their sources.
    totals : str or None
        Margins that are published (see ``suppress_counts``).
    columns : dict, optional
        ``{column: heading}``: keep and rename these columns (in this order) for the reader.
    formats : dict, optional
        ``{heading: format}`` for the page, e.g. ``{"Share": "{:.0%}"}`` (the CSV keeps
        full precision); suppressed cells stay "c".
    group_size : int, optional
        Number of children the table describes. Below the threshold, zeros are suppressed
        too: "none of these four children was adopted" discloses each of them.

    Returns
    -------
    pandas.io.formats.style.Styler
        The suppressed table without its index, for the notebook to display.
    """
    from pace_analysis.disclosure import suppress_counts

    shown = table
    if len(count_columns):
        tiny = group_size is not None and group_size < threshold
        shown = suppress_counts(table, list(count_columns), threshold, totals=totals,
                                derived=derived, suppress_zero=tiny).display
    if columns:
        shown = shown[list(columns)].rename(columns=columns)
    save_table(shown, str(output_dir), name)
    # A fixed uuid keeps the HTML identical from one build to the next.
    styler = shown.style.set_uuid(name).hide(axis="index").format(precision=3, na_rep="")
    if formats:
        styler = styler.format({col: _number_format(spec) for col, spec in formats.items()
                                if col in shown.columns})
    return styler


def _number_format(spec: str) -> Callable[[Any], str]:
    import math
    import numbers

    def fmt(x: Any) -> str:
        if isinstance(x, numbers.Number) and not isinstance(x, bool):
            return "" if math.isnan(float(x)) else spec.format(x)
        return "" if x is None else str(x)

    return fmt


__all__ = [
    "YEAR_MARKS", "write_cache", "load_dataset", "study_window", "national_label",
    "describe_data", "began_in_window", "load_frame", "setup_kernel", "save_figure",
    "save_table", "output_folder", "share_table", "route_table", "show_table",
]
