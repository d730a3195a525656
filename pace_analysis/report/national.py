"""What every council's report shares, computed once per batch instead of once per kernel.

Thirty-two reports compare thirty-two councils with the same Scotland: the national
headline figures, the national trend table, the official figures for Scotland, the national
Kaplan–Meier curve, numbers at risk and shares, the funnel (every council's point and the
limits) and each council's headline figures for the comparator tables. :func:`compute`
builds them all as a :class:`National`; ``pace report`` calls :func:`write` once, in the
parent process, into its private cache (:mod:`pace_analysis.cache`), and each kernel reads
them back with :func:`for_context`.

The file is keyed (:func:`key`) by the content of the dataset and frame the kernel itself
loads from the same cache (SHA-256 of ``dataset.pkl`` and ``frame.pkl``), the study window,
the disclosure threshold, the national label and the library version. A kernel whose inputs
differ (another threshold passed to one authority, another window), or that runs without a
batch cache (papermill by hand, JupyterLab), computes the same tables itself: the numbers
never depend on whether the file was there. Nothing here changes a statistic; every value is
what the section functions computed before, from the same functions.
"""

from __future__ import annotations

import hashlib
import json
import pickle
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

#: File written into the batch cache.
NATIONAL_FILE = "national.pkl"
#: Files of the batch cache (:func:`pace_analysis.reporting.write_cache`) the key hashes.
KEYED_FILES = ("dataset.pkl", "frame.pkl")


@dataclass(frozen=True)
class National:
    """The tables every report of one batch shares.

    Attributes
    ----------
    key : str
        :func:`key` of the inputs ("" when computed in the kernel itself).
    label : str
        The national comparator's name ("Scotland").
    threshold : int
        Disclosure threshold the headline figures were suppressed with.
    window : (str or None, str or None)
        Study window of the frame.
    areas : dict
        Area (each council, and *label* for the whole frame) to
        ``(headline.figures, headline.split_figures)``.
    trends : pandas.DataFrame
        :func:`pace_analysis.trends.permanence_by_year` of the whole frame.
    official : pandas.DataFrame
        :func:`pace_analysis.population.official_check_figures` of every journey.
    shares : pandas.DataFrame
        :func:`pace_analysis.reporting.share_table` of the whole frame (group *label*).
    km, at_risk : pandas.DataFrame
        Kaplan–Meier curve and numbers at risk (:data:`pace_analysis.reporting.YEAR_MARKS`)
        of the whole frame (group *label*).
    funnel : pace_analysis.funnel.FunnelResult or None
        The funnel of the report's measure without a highlight (None: it could not be
        built, and each kernel then meets the same error itself).
    """

    key: str
    label: str
    threshold: int
    window: tuple
    areas: dict = field(repr=False)
    trends: pd.DataFrame = field(repr=False)
    official: pd.DataFrame = field(repr=False)
    shares: pd.DataFrame = field(repr=False)
    km: pd.DataFrame = field(repr=False)
    at_risk: pd.DataFrame = field(repr=False)
    funnel: object = field(default=None, repr=False)


def _window(window) -> list:
    return [str(w) if w else None for w in (window or (None, None))]


def key(cache_dir: str | Path, window, threshold: int, label: str) -> str:
    """The key of a batch's national tables: the cached inputs' bytes and the parameters."""
    from pace_analysis import __version__

    h = hashlib.sha256()
    for name in KEYED_FILES:
        with open(Path(cache_dir) / name, "rb") as fh:
            h.update(hashlib.file_digest(fh, "sha256").digest())
    h.update(json.dumps([_window(window), int(threshold), str(label), __version__]).encode())
    return h.hexdigest()


def compute(dataset, frame: pd.DataFrame, window, threshold: int, label: str | None = None,
            key: str = "", areas=None) -> National:
    """Every national table of a report, from the whole dataset and its analysis frame.

    *areas*: the councils whose headline figures to compute (default every council; a
    report run on its own needs only its comparator group's).
    """
    from pace_analysis import headline, population, reporting, survival, trends
    from pace_analysis.errors import PaceError
    from pace_analysis.funnel import authority_funnel

    label = label or reporting.national_label(dataset)
    threshold = int(threshold)
    wanted = None if areas is None else {str(a) for a in areas}
    figures = {}
    for area, sub in frame.groupby("authority", sort=True, observed=True):
        if wanted is None or str(area) in wanted:
            figures[str(area)] = (headline.figures(sub, threshold),
                                  headline.split_figures(sub, threshold))
    figures[label] = (headline.figures(frame, threshold), headline.split_figures(frame, threshold))
    whole = frame.assign(area=label)
    try:
        funnel = authority_funnel(dataset, None)
    except PaceError:
        funnel = None
    return National(
        key=key, label=label, threshold=threshold, window=tuple(_window(window)), areas=figures,
        trends=trends.permanence_by_year(frame, dataset.journeys, label, window[0] if window else None),
        official=population.official_check_figures(dataset.journeys, label, threshold=1),
        shares=reporting.share_table(whole, by="area"),
        km=survival.kaplan_meier(whole, by="area"),
        at_risk=survival.at_risk_table(whole, reporting.YEAR_MARKS, by="area"),
        funnel=funnel)


def write(cache_dir: str | Path, dataset, window, thresholds, authorities=None) -> list[str]:
    """Write the batch's national tables into *cache_dir* (the parent's hook).

    Parameters
    ----------
    cache_dir : path
        The batch's private cache, already holding :func:`pace_analysis.reporting.write_cache`'s
        files.
    dataset : Dataset
        The validated dataset.
    window : (str or None, str or None)
        The run's window (as passed to ``write_cache``).
    thresholds : iterable of int
        Disclosure thresholds of the batch's reports (one file serves one threshold; the
        first is written, any other threshold is computed in its kernels).
    authorities : iterable of str, optional
        The councils the batch reports on: headline figures are computed for them and
        the other councils of their comparator groups (default every council).

    Returns
    -------
    list of str
        The keys written (empty when nothing could be computed: kernels then compute).
    """
    from pace_analysis import reporting

    cache_dir = Path(cache_dir)
    thresholds = sorted({int(t) for t in thresholds})
    if not thresholds:
        return []
    try:
        window = reporting.study_window(dataset, *(window or (None, None)))
        frame = reporting.load_frame(dataset, window, str(cache_dir))
        label = reporting.national_label(dataset)
        k = key(cache_dir, window, thresholds[0], label)
        areas = None if authorities is None else _with_groups(authorities)
        national = compute(dataset, frame, window, thresholds[0], label, key=k, areas=areas)
    except Exception:  # noqa: BLE001 - the kernels compute (and report) it themselves
        return []
    tmp = cache_dir / f".{NATIONAL_FILE}.tmp"
    tmp.write_bytes(pickle.dumps(national, protocol=pickle.HIGHEST_PROTOCOL))
    tmp.replace(cache_dir / NATIONAL_FILE)
    return [k]


def _with_groups(authorities) -> set[str]:
    """*authorities* and every council of their comparator groups."""
    from pace_analysis import comparators
    from pace_analysis.errors import PaceError

    try:
        groups = comparators.load_groups()
    except PaceError:  # the comparators section reports a broken groups file itself
        groups = []
    out = set()
    for a in authorities:
        group = comparators.group_of(str(a), groups)
        out |= {str(a), *(group.councils if group else ())}
    return out


def load(cache_dir: str | Path, window, threshold: int, label: str) -> National | None:
    """The batch's national tables when *cache_dir* holds them for these inputs, else None."""
    path = Path(cache_dir) / NATIONAL_FILE
    if not cache_dir or not path.is_file():
        return None
    try:
        want = key(cache_dir, window, threshold, label)
        national = pickle.loads(path.read_bytes())  # the runner's own 0700 folder
    except (OSError, pickle.UnpicklingError, EOFError, AttributeError, ImportError):
        return None
    return national if isinstance(national, National) and national.key == want else None


def for_context(ctx) -> National:
    """The national tables of a report: from the batch cache when it matches, else computed."""
    found = load(ctx.cache_dir, ctx.window, ctx.threshold, ctx.national) if ctx.cache_dir else None
    if found is not None:
        return found
    return compute(ctx.dataset, ctx.frame, ctx.window, ctx.threshold, ctx.national,
                   areas=_with_groups([ctx.authority]))


def with_local(national_part: pd.DataFrame, local_part: pd.DataFrame, local_label: str,
               label: str) -> pd.DataFrame:
    """A by-``area`` table of the council and the nation, as one call on both would give it.

    The survival functions fit each group on its own and list groups in sorted order of
    their labels; concatenating the two parts in that order gives the same table.
    """
    parts = [local_part, national_part] if local_label <= label else [national_part, local_part]
    out = pd.concat(parts, ignore_index=True)
    out.attrs = dict(national_part.attrs)
    return out


__all__ = ["NATIONAL_FILE", "National", "key", "compute", "write", "load", "for_context",
           "with_local"]
