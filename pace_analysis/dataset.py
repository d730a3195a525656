"""The :class:`Dataset`: journeys and placements that passed validation.

A dataset on disk is a folder holding ``journeys`` and ``placements`` tables (``.csv``,
``.csv.gz``, ``.parquet`` or ``.xlsx``) and optionally ``dataset.yaml`` naming the route
set (``route_set: england``) and where the data came from. ``pace_analysis.io.read_dataset``
builds one; the synthetic generator and importers return one.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from pace_analysis.errors import Problem
from pace_analysis.routes import DEFAULT_ROUTE_SET, RouteSet, load_route_set

META_FILE = "dataset.yaml"


@dataclass
class Dataset:
    """Validated journeys and placements.

    Attributes
    ----------
    journeys : pandas.DataFrame
        One row per journey; date columns are ``datetime64[ns]`` (NaT when empty), code
        and id columns are strings (``pd.NA``/None when empty).
    placements : pandas.DataFrame
        One row per placement, same conventions.
    route_set : RouteSet
        Codes in force for this dataset.
    source : pathlib.Path or None
        Where the data were read from, if anywhere.
    meta : dict
        Contents of ``dataset.yaml`` (source description, generator seed, ...).
    warnings : list of Problem
        Warnings found by validation (errors stop loading, warnings do not).
    """

    journeys: pd.DataFrame
    placements: pd.DataFrame
    route_set: RouteSet = field(default_factory=lambda: load_route_set(DEFAULT_ROUTE_SET))
    source: Path | None = None
    meta: dict = field(default_factory=dict)
    warnings: list[Problem] = field(default_factory=list)

    @property
    def observation_start(self) -> str | None:
        """First day the extract observes, if the data say so (ISO date), else None.

        An extract that also holds journeys already open on that day (the synthetic data's
        ``window: start:``; an SSDA903 import's ``observation_start``) is left-truncated:
        those journeys are only there because they were still open, so analyses must give
        them late entry from this date. :func:`pace_analysis.cohort.build_frame` does so
        by default.
        """
        window = self.meta.get("window") or {}
        start = window.get("start") if isinstance(window, dict) else None
        start = start or self.meta.get("observation_start")
        return str(start) if start else None

    @property
    def authorities(self) -> list[str]:
        """Authorities present in the journeys, sorted."""
        return sorted(self.journeys["authority"].dropna().unique().tolist())

    def for_authority(self, authority: str) -> Dataset:
        """The journeys (and their placements) of one authority."""
        j = self.journeys[self.journeys["authority"] == authority]
        p = self.placements[self.placements["journey_id"].isin(j["journey_id"])]
        return Dataset(j.reset_index(drop=True), p.reset_index(drop=True), self.route_set,
                       self.source, dict(self.meta), list(self.warnings))
