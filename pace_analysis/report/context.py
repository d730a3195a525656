"""What one authority's report is about, fixed once before any section runs."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import pandas as pd

from pace_analysis.authorities import slugify
from pace_analysis.disclosure import DEFAULT_THRESHOLD, _check_threshold


@dataclass(frozen=True)
class ReportContext:
    """Authority, population, window, threshold, output folder and national comparator.

    Build it with :meth:`ReportContext.build` (the notebook's one call). Every section
    takes it as its only argument, so the threshold, the window and the populations are
    stated once.

    Attributes
    ----------
    authority : str
        The council's name as in the data.
    dataset : pace_analysis.dataset.Dataset
        The whole dataset (all authorities).
    frame : pandas.DataFrame
        Analysis frame of all authorities (:func:`pace_analysis.cohort.build_frame`).
    window : (str or None, str or None)
        Study window.
    threshold : int
        Disclosure threshold.
    out : pathlib.Path
        Folder the report's files are written to.
    national : str
        Label of the national comparator ("Scotland").
    show_timelines : bool
        Draw example child timelines.
    cache_dir : str
        The batch runner's private cache ("" when the notebook runs on its own).
    """

    authority: str
    dataset: object
    frame: pd.DataFrame
    window: tuple
    threshold: int
    out: Path
    national: str
    show_timelines: bool = False
    cache_dir: str = ""

    @classmethod
    def build(cls, authority: str, data_path: str, output_dir: str = "",
              window_start: str | None = None, window_end: str | None = None,
              threshold: int = DEFAULT_THRESHOLD, show_timelines: bool = False,
              cache_dir: str = "") -> ReportContext:
        """Load the data (from the batch cache when given) and fix the report's context."""
        from pace_analysis import reporting

        threshold = _check_threshold(threshold)
        reporting.setup_kernel()
        out = reporting.output_folder(output_dir, authority)
        dataset = reporting.load_dataset(data_path, cache_dir)
        window = reporting.study_window(dataset, window_start, window_end)
        frame = reporting.load_frame(dataset, window, cache_dir)
        return cls(authority, dataset, frame, window, threshold, Path(out),
                   reporting.national_label(dataset), bool(show_timelines), str(cache_dir or ""))

    @property
    def slug(self) -> str:
        """The authority's folder name."""
        return slugify(self.authority)

    @cached_property
    def local(self) -> pd.DataFrame:
        """The authority's rows of the analysis frame (every journey in the window)."""
        return self.frame[self.frame["authority"] == self.authority]

    @cached_property
    def shared(self):
        """The tables every report of the batch shares (:mod:`pace_analysis.report.national`).

        Read from the batch cache when the runner wrote them for these inputs, else
        computed here; the same numbers either way.
        """
        from pace_analysis.report import national

        return national.for_context(self)

    @cached_property
    def compare(self) -> pd.DataFrame:
        """The authority and the whole frame stacked, with an ``area`` column."""
        return pd.concat([self.local.assign(area=self.authority), self.frame.assign(area=self.national)],
                         ignore_index=True)

    @cached_property
    def began_in_window(self):
        """The authority's journeys that began in the window (stages, aims, moves)."""
        from pace_analysis import reporting

        return reporting.began_in_window(self.dataset, self.authority, self.window)

    @cached_property
    def stage_rows(self) -> pd.DataFrame:
        """Every stage of every journey that began in the window, computed once.

        :func:`pace_analysis.milestones.stage_durations` of :attr:`began_in_window`: the
        stage table and the stages-by-route chart summarise the same rows.
        """
        from pace_analysis import milestones

        return milestones.stage_durations(self.began_in_window)


__all__ = ["ReportContext"]
