"""Interactive exploration in JupyterLab: areas, age groups, routes, clock start, filters.

``notebooks/explore.ipynb`` calls :func:`load` and :func:`dashboard`. Everything the
widgets do goes through :meth:`Explorer.update`, a plain function of a :class:`Choice`
(the widget values) returning a :class:`View` (figure, formatted table, export table and
a sentence), so it is tested without a browser; ``tests/test_explore_browser.py`` drives
the real thing in JupyterLab and Chromium.

* **Curves** come from the library: :func:`pace_analysis.survival.kaplan_meier` for any
  legal permanence and :func:`pace_analysis.competing.cumulative_incidence` for one route
  (routes, and leaving care, compete), drawn by
  :func:`pace_analysis.plotting.survival.plot_km` with one colour per compared group.
* **Figures** are :class:`matplotlib.figure.Figure` objects made outside pyplot and shown
  as PNG bytes in an ``ipywidgets.Image``. A pyplot figure would be displayed and closed,
  half drawn, by matplotlib-inline's post-execute hook after each widget message (which
  JupyterLab 4.6 sends on a kernel subshell); a figure pyplot does not know about is never
  touched by that hook.
* **Disclosure** is on by default and follows :mod:`pace_analysis.disclosure`: groups of
  fewer than ``threshold`` children are not drawn, curves are drawn quarter by quarter
  (:func:`~pace_analysis.disclosure.coarsen_curve`), at-risk counts below the threshold
  print as ``<N`` and table counts (and the shares computed from them) are suppressed
  (:func:`~pace_analysis.disclosure.suppress_counts`). ``Explorer(..., disclosure=False)``
  turns this off for an analyst's own screen; :meth:`Explorer.export` always applies it.
* **Speed**: :func:`load` keeps a validated copy of the dataset as Parquet under the
  ignored cache folder (:func:`pace_analysis.paths.cache_dir`), keyed by the hash of the
  input files and of the package, and the Explorer memoises the curve of every group it
  has drawn, so a widget change only fits the groups that changed.
"""

from __future__ import annotations

import base64
import io
import json
from collections import OrderedDict
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

import numpy as np
import pandas as pd

from pace_analysis import cohort, competing, survival
from pace_analysis.dataset import Dataset
from pace_analysis.disclosure import (
    DEFAULT_THRESHOLD,
    SUPPRESSED,
    not_shown_note,
    suppress_counts,
)
from pace_analysis.errors import PaceError, Problem

ALL_AREAS = "Scotland (all areas)"
ALL_AGES = "All ages"
ANY_ROUTE = "any"
#: Value of the sex and legal-basis filters that keeps everyone.
ALL = "all"
#: Comparisons: (label, code).
COMPARISONS = (("Area and Scotland", "scotland"), ("Areas side by side", "areas"),
               ("Age groups", "age_groups"))
#: Clock starts: (label, code); codes are :data:`pace_analysis.cohort.ORIGINS`.
CLOCKS = (("Became looked after", "looked_after_date"),
          ("First accommodated", "accommodated_date"))
#: Times of the table's shares (days) and their labels.
TABLE_TIMES = ((365.25, "1 year"), (730.5, "2 years"), (1461.0, "4 years"))
NOT_ESTIMABLE = "not estimable"
SEX_LABELS = {"female": "Girls", "male": "Boys"}
LEGAL_BASIS_LABELS = {"cso": "Compulsory supervision order", "s25": "Section 25 (voluntary)",
                      "other": "Other legal basis"}
_XLABEL = {"looked_after_date": "Years since becoming looked after",
           "accommodated_date": "Years since first accommodated"}
MAX_YEARS = 8
#: Views (figure and tables) kept for widget values seen before.
VIEWS_KEPT = 32


# --------------------------------------------------------------------------- loading

def _cache_key(path: Path) -> str:
    import hashlib

    from pace_analysis.manifest import data_hash, package_hash

    return hashlib.sha256(f"{data_hash(path)}:{package_hash()}".encode()).hexdigest()[:24]


def load(data_path: str, route_set: str | None = None, cache: bool = True) -> Dataset:
    """The dataset to explore: validated once, then read from a Parquet copy.

    Parameters
    ----------
    data_path : str
        Dataset folder, found from the repository root too
        (:func:`pace_analysis.paths.find_data`), so ``"data/synthetic"`` works whether the
        kernel runs in ``notebooks/`` (JupyterLab) or at the root (papermill).
    route_set : str, optional
        Route set name, as for :func:`pace_analysis.io.read_dataset`.
    cache : bool
        Keep and reuse a validated copy under :func:`pace_analysis.paths.cache_dir`
        (``<key>/journeys.parquet``, ``placements.parquet``, ``dataset.json``), keyed by
        the SHA-256 of the dataset's files and of the package source: any change to the
        data or to the validation rules makes a new key. The copy holds the same child
        records as the input, in the project's ignored ``.cache/`` folder.

    Returns
    -------
    Dataset
    """
    from pace_analysis.io import read_dataset
    from pace_analysis.paths import cache_dir, find_data

    path = find_data(data_path)
    if not cache or not path.exists():
        return read_dataset(path, route_set=route_set)
    folder = cache_dir() / "datasets" / f"{_cache_key(path)}-{route_set or 'default'}"
    try:
        return _read_cached(folder, path)
    except (OSError, ValueError, KeyError):
        pass
    dataset = read_dataset(path, route_set=route_set)
    _write_cached(dataset, folder)
    return dataset


def _write_cached(dataset: Dataset, folder: Path) -> None:
    import os
    import shutil
    import tempfile

    folder.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(dir=folder.parent, prefix=".tmp-"))
    try:
        dataset.journeys.to_parquet(tmp / "journeys.parquet", index=False)
        dataset.placements.to_parquet(tmp / "placements.parquet", index=False)
        meta = {"route_set": dataset.route_set.name, "meta": dataset.meta,
                "warnings": [asdict(w) for w in dataset.warnings]}
        (tmp / "dataset.json").write_text(json.dumps(meta, default=str), encoding="utf-8")
        os.replace(tmp, folder)
    except OSError:
        shutil.rmtree(tmp, ignore_errors=True)  # another kernel won the race, or no room


def _read_cached(folder: Path, source: Path) -> Dataset:
    from pace_analysis.io import resolve_route_set

    meta = json.loads((folder / "dataset.json").read_text(encoding="utf-8"))
    journeys = pd.read_parquet(folder / "journeys.parquet")
    placements = pd.read_parquet(folder / "placements.parquet")
    return Dataset(journeys, placements, resolve_route_set(meta["route_set"], meta["meta"]),
                   source, meta["meta"], [Problem(**w) for w in meta["warnings"]])


# --------------------------------------------------------------------------- choices

@dataclass(frozen=True)
class Choice:
    """The widget values: what to draw.

    Attributes
    ----------
    area : str
        An authority, or :data:`ALL_AREAS`.
    age_group : str
        An age group, or :data:`ALL_AGES` (ignored when comparing age groups).
    route : str
        :data:`ANY_ROUTE` (Kaplan–Meier of any legal permanence) or a route code (its
        cumulative incidence, other routes and leaving care competing).
    years : (first, last) or None
        Calendar years in which the clock started (inclusive); None for the data window.
    compare : str
        ``"scotland"`` (the area against Scotland), ``"areas"`` (the area and ``others``)
        or ``"age_groups"`` (each age group of the area).
    others : tuple of str
        Further areas drawn when ``compare == "areas"``.
    clock : str
        ``"looked_after_date"`` or ``"accommodated_date"`` (journeys never accommodated
        are left out).
    sex, legal_basis : str
        A code, or :data:`ALL`.
    """

    area: str = ALL_AREAS
    age_group: str = ALL_AGES
    route: str = ANY_ROUTE
    years: tuple[int, int] | None = None
    compare: str = "scotland"
    others: tuple[str, ...] = ()
    clock: str = "looked_after_date"
    sex: str = ALL
    legal_basis: str = ALL


@dataclass
class View:
    """What the dashboard shows for one :class:`Choice`.

    Attributes
    ----------
    figure : matplotlib.figure.Figure or None
        The curves (None when no group can be drawn).
    table : pandas.DataFrame
        The table for the reader: labelled columns, percentages, suppressed cells "c",
        "not estimable" where follow-up is too short; no index.
    data : pandas.DataFrame
        The same table for export: counts and proportions, suppressed cells "c".
    message : str
        A sentence describing the selection (and what is not shown).
    groups : list of str
        The compared groups, in order.
    """

    figure: object
    table: pd.DataFrame
    data: pd.DataFrame
    message: str
    groups: list[str] = field(default_factory=list)


# --------------------------------------------------------------------------- explorer

class Explorer:
    """Widget logic over one dataset; analysis frames and curves are built once and kept.

    Parameters
    ----------
    dataset : Dataset
        Validated dataset.
    threshold : int
        Disclosure threshold.
    disclosure : bool
        Apply the disclosure rules on screen (default). False is for an analyst's own
        screen only: exports (:meth:`export`) are always protected.
    """

    def __init__(self, dataset: Dataset, threshold: int = DEFAULT_THRESHOLD,
                 disclosure: bool = True) -> None:
        self.dataset = dataset
        self.threshold = int(threshold)
        self.disclosure = bool(disclosure)
        self._frames: dict[str, pd.DataFrame] = {}
        self._curves: dict[tuple, pd.DataFrame] = {}
        self._views: OrderedDict[tuple, View] = OrderedDict()
        self._allowed: dict[str, set] = {}

    # ---------------------------------------------------------------- options
    @property
    def national(self) -> str:
        """What the whole dataset is called ("Scotland" for the 32 councils)."""
        from pace_analysis.reporting import national_label

        return national_label(self.dataset)

    def authorities(self) -> list[str]:
        """Area options: Scotland, then each authority in the data."""
        return [ALL_AREAS, *self.dataset.authorities]

    def age_groups(self) -> list[str]:
        """Age-group options: all ages, then the frame's age groups in order."""
        return [ALL_AGES, *[str(c) for c in self.frame()["age_group"].cat.categories]]

    def routes(self) -> list[tuple[str, str]]:
        """Route options as (label, code): any permanence, then each route."""
        rs = self.dataset.route_set
        return [("Any legal permanence", ANY_ROUTE), *[(r.label, r.code) for r in rs.routes]]

    def sexes(self) -> list[tuple[str, str]]:
        """Sex options as (label, code)."""
        codes = sorted(self.frame()["sex"].dropna().unique())
        return [("Girls and boys", ALL), *[(SEX_LABELS.get(c, c), c) for c in codes]]

    def legal_bases(self) -> list[tuple[str, str]]:
        """Legal-basis options as (label, code)."""
        codes = sorted(self.frame()["legal_basis"].dropna().unique())
        return [("Any legal basis", ALL),
                *[(LEGAL_BASIS_LABELS.get(c, c), c) for c in codes]]

    def years(self) -> tuple[int, int]:
        """The data window in calendar years: from the extract's first observed year.

        Journeys that began before the extract's observation start are in the data only
        because they were still open then (they enter late); a window of years before it
        would describe them alone, so the range starts at the observation start (else the
        first journey) and ends at the last start date.
        """
        starts = self.dataset.journeys["looked_after_date"].dropna()
        first = int(starts.min().year)
        if self.dataset.observation_start:
            first = max(first, pd.Timestamp(self.dataset.observation_start).year)
        return first, int(starts.max().year)

    # ---------------------------------------------------------------- frames
    def frame(self, clock: str = "looked_after_date") -> pd.DataFrame:
        """Analysis frame of the study window for *clock*, with ``start_year``."""
        from pace_analysis.reporting import study_window

        if clock not in self._frames:
            if clock not in cohort.ORIGINS:
                raise PaceError(f"unknown clock start {clock!r}; use one of {cohort.ORIGINS}")
            base = cohort.build_frame(self.dataset, origin=clock,
                                      window=study_window(self.dataset))
            starts = self.dataset.journeys.set_index("journey_id")[clock]
            base["start_year"] = base["journey_id"].map(starts).dt.year.astype("Int64")
            self._frames[clock] = base
        return self._frames[clock]

    def _options(self) -> dict[str, set]:
        if not self._allowed:
            self._allowed.update(
                area=set(self.authorities()), age_group=set(self.age_groups()),
                route={code for _, code in self.routes()},
                compare={code for _, code in COMPARISONS},
                sex={code for _, code in self.sexes()},
                legal_basis={code for _, code in self.legal_bases()})
        return self._allowed

    def _check(self, choice: Choice) -> None:
        allowed = self._options()
        for a in (choice.area, *choice.others):
            if a not in allowed["area"]:
                raise PaceError(f"{a!r} is not in these data")
        for name, what in (("age_group", "age group"), ("route", "route"),
                           ("compare", "comparison"), ("sex", "sex"),
                           ("legal_basis", "legal basis")):
            if getattr(choice, name) not in allowed[name]:
                raise PaceError(f"unknown {what} {getattr(choice, name)!r}")
        if choice.years is not None and choice.years[0] > choice.years[1]:
            raise PaceError(f"years {choice.years} end before they start")

    def _filtered(self, choice: Choice, area: str, age_group: str) -> pd.DataFrame:
        f = self.frame(choice.clock)
        keep = np.ones(len(f), dtype=bool)
        if area != ALL_AREAS:
            keep &= (f["authority"] == area).to_numpy()
        if age_group != ALL_AGES:
            keep &= (f["age_group"] == age_group).to_numpy()
        if choice.sex != ALL:
            keep &= (f["sex"] == choice.sex).to_numpy()
        if choice.legal_basis != ALL:
            keep &= (f["legal_basis"] == choice.legal_basis).to_numpy()
        if choice.years is not None:
            year = f["start_year"].to_numpy(dtype=float, na_value=np.nan)
            keep &= (year >= choice.years[0]) & (year <= choice.years[1])
        return f[keep]

    def groups(self, choice: Choice) -> list[tuple[str, pd.DataFrame, tuple]]:
        """The compared groups of *choice*: (label, rows, cache key), in drawing order."""
        self._check(choice)

        def label(area: str) -> str:
            return self.national if area == ALL_AREAS else area

        if choice.compare == "age_groups":
            specs = [(f"{label(choice.area)}, {g}", choice.area, g) for g in self.age_groups()[1:]]
        else:
            areas = [choice.area]
            if choice.compare == "areas":
                areas += [a for a in choice.others if a not in areas]
            elif choice.area != ALL_AREAS:
                areas.append(ALL_AREAS)
            specs = [(label(a), a, choice.age_group) for a in areas]
        filters = (choice.clock, choice.years, choice.sex, choice.legal_basis)
        return [(name, self._filtered(choice, area, age), (area, age, *filters))
                for name, area, age in specs]

    # ---------------------------------------------------------------- curves
    def _stats(self, key: tuple, rows: pd.DataFrame, route: str) -> tuple[pd.DataFrame, dict]:
        """Curve and table row of one group, memoised by the group's definition.

        The curve is KM-shaped (``survival`` = 1 − share reached): Kaplan–Meier for any
        permanence, else 1 − the route's cumulative incidence, so one plotting function
        draws both with a colour per group.
        """
        full = (*key, route)
        if full not in self._curves:
            name = "All"
            if len(rows) == 0:
                curve = pd.DataFrame(columns=["group", "time_days", "at_risk", "survival"])
                self._curves[full] = (curve, self._row(name, rows, route, None))
            elif route == ANY_ROUTE:
                km = survival.kaplan_meier(rows)
                curve = km[["group", "time_days", "at_risk", "events", "censored", "survival",
                            "ci_lower", "ci_upper"]]
                self._curves[full] = (curve, self._row(name, rows, route, None))
            else:
                cif = competing.cumulative_incidence(rows, routes=self.dataset.route_set,
                                                     waiting=False)
                cif = cif[cif["route"] == route]
                curve = pd.DataFrame({
                    "group": "All", "time_days": cif["time_days"].to_numpy(),
                    "at_risk": cif["at_risk"].to_numpy(),
                    "survival": 1 - cif["cif"].to_numpy(),
                    "ci_lower": 1 - cif["ci_upper"].to_numpy(),
                    "ci_upper": 1 - cif["ci_lower"].to_numpy()})
                self._curves[full] = (curve, self._row(name, rows, route, cif))
        return self._curves[full]

    def _at_risk(self, key: tuple, rows: pd.DataFrame) -> pd.DataFrame:
        """Numbers at risk of one group at 0, 1, ... :data:`MAX_YEARS` years, memoised."""
        full = (*key, "at_risk")
        if full not in self._curves:
            marks = np.arange(0, MAX_YEARS + 1e-9, 1.0) * 365.25
            self._curves[full] = survival.at_risk_table(rows, marks)
        return self._curves[full]

    # ---------------------------------------------------------------- table
    def _row(self, name: str, rows: pd.DataFrame, route: str, cif) -> dict:
        row: dict = {"group": name, "children": int(rows["child_id"].nunique()),
                     "journeys": len(rows)}
        times = np.array([t for t, _ in TABLE_TIMES])
        if len(rows) == 0:
            for i in range(len(times)):
                row.update({f"reached_{i}": 0, f"share_{i}": np.nan, f"lower_{i}": np.nan,
                            f"upper_{i}": np.nan, f"estimable_{i}": False})
            if route == ANY_ROUTE:
                row.update(median_years=np.nan, median_lower=np.nan, median_upper=np.nan,
                           median_reached=False)
            return row
        # Nobody followed from before t: S(t) = 1 would be an artefact, not an estimate.
        entered = np.array([(rows["entry_days"] < t).any() for t in times])
        if route == ANY_ROUTE:
            est = survival.share_by(rows, times)
            share, lo, hi = est["share"], est["ci_lower"], est["ci_upper"]
            ok = est["estimable"].to_numpy(dtype=bool)
            hit = rows["event_observed"].to_numpy()
        else:
            at = competing.cif_at(cif, times)
            share, lo, hi = at["cif"], at["ci_lower"], at["ci_upper"]
            ok = at["estimable"].to_numpy(dtype=bool)
            hit = (rows["outcome"] == route).to_numpy()
        ok &= entered
        hit_times = np.sort(rows["time_days"].to_numpy()[hit])
        for i, t in enumerate(times):
            row.update({f"reached_{i}": int(np.searchsorted(hit_times, t, side="right")),
                        f"share_{i}": float(share.iloc[i]) if ok[i] else np.nan,
                        f"lower_{i}": float(lo.iloc[i]) if ok[i] else np.nan,
                        f"upper_{i}": float(hi.iloc[i]) if ok[i] else np.nan,
                        f"estimable_{i}": bool(ok[i])})
        if route == ANY_ROUTE:
            med = survival.median_time(rows).iloc[0]
            row.update(median_years=med["median_days"] / 365.25,
                       median_lower=med["ci_lower"] / 365.25,
                       median_upper=med["ci_upper"] / 365.25,
                       median_reached=bool(med["reached"]))
        return row

    def _tables(self, groups, route: str, protect: bool) -> tuple[pd.DataFrame, pd.DataFrame]:
        raw = pd.DataFrame([{**self._stats(key, rows, route)[1], "group": name}
                            for name, rows, key in groups])
        n = len(TABLE_TIMES)
        counts = ["children", "journeys", *[f"reached_{i}" for i in range(n)]]
        derived = {f"{c}_{i}": [f"reached_{i}", "journeys"]
                   for i in range(n) for c in ("share", "lower", "upper")}
        if route == ANY_ROUTE:
            derived.update({c: ["journeys"] for c in ("median_years", "median_lower",
                                                      "median_upper")})
        threshold = self.threshold if protect else 1
        shown = suppress_counts(raw, counts, threshold, totals=None, derived=derived).display
        tiny = raw["journeys"] < threshold
        for col in [*counts, *derived]:  # a group under the threshold shows nothing at all
            shown[col] = shown[col].astype(object).where(~tiny, SUPPRESSED)
        return raw, shown

    def _reader_table(self, shown: pd.DataFrame, raw: pd.DataFrame, route: str,
                      head: str) -> pd.DataFrame:
        def count(x) -> str:
            return x if isinstance(x, str) else f"{int(x):,}"

        def pct(x) -> str:
            return f"{x:.0%}"

        out = pd.DataFrame({head: shown["group"], "Children": shown["children"].map(count),
                            "Periods of care": shown["journeys"].map(count)})
        what = "Reached permanence" if route == ANY_ROUTE else "Reached this route"
        for i, (_, when) in enumerate(TABLE_TIMES):
            cells = []
            for j in range(len(shown)):
                share = shown[f"share_{i}"].iloc[j]
                if isinstance(share, str):
                    cells.append(share)
                elif not raw[f"estimable_{i}"].iloc[j]:
                    cells.append(NOT_ESTIMABLE)
                else:
                    lo, hi = shown[f"lower_{i}"].iloc[j], shown[f"upper_{i}"].iloc[j]
                    cells.append(f"{pct(share)} ({pct(lo)}–{pct(hi)})")
            out[f"{what} by {when}"] = cells
        if route == ANY_ROUTE:
            cells = []
            for j in range(len(shown)):
                med = shown["median_years"].iloc[j]
                if isinstance(med, str):
                    cells.append(med)
                elif not raw["median_reached"].iloc[j]:
                    cells.append("not reached")
                else:
                    lo, hi = shown["median_lower"].iloc[j], shown["median_upper"].iloc[j]
                    hi_text = "not reached" if pd.isna(hi) else f"{hi:.1f}"
                    cells.append(f"{med:.1f} ({lo:.1f}–{hi_text})")
            out["Median wait in years (95% CI)"] = cells
        return out.reset_index(drop=True)

    def _export_table(self, shown: pd.DataFrame, route: str, head: str) -> pd.DataFrame:
        cols = {"group": head, "children": "children", "journeys": "periods_of_care"}
        for i, (_, when) in enumerate(TABLE_TIMES):
            tag = when.replace(" ", "_")
            cols.update({f"reached_{i}": f"reached_by_{tag}", f"share_{i}": f"share_by_{tag}",
                         f"lower_{i}": f"share_by_{tag}_lower",
                         f"upper_{i}": f"share_by_{tag}_upper"})
        if route == ANY_ROUTE:
            cols.update(median_years="median_years", median_lower="median_years_lower",
                        median_upper="median_years_upper")
        out = shown[list(cols)].rename(columns=cols)
        return out.map(lambda v: round(v, 4) if isinstance(v, float) else v)

    # ---------------------------------------------------------------- update
    def update(self, choice: Choice | None = None, *, protect: bool | None = None,
               **values) -> View:
        """Everything to show for these widget values.

        Parameters
        ----------
        choice : Choice, optional
            The widget values (default :class:`Choice`); keyword arguments replace
            fields, e.g. ``update(area="Fife", route="adoption")``.
        protect : bool, optional
            Apply disclosure control (default: the Explorer's ``disclosure``).

        Returns
        -------
        View
        """
        choice = replace(choice or Choice(), **values)
        protect = self.disclosure if protect is None else protect
        key = (choice, protect)
        if key in self._views:  # the figure of a view is never changed once drawn
            self._views.move_to_end(key)
            return self._views[key]
        view = self._update(choice, protect)
        self._views[key] = view
        if len(self._views) > VIEWS_KEPT:
            self._views.popitem(last=False)
        return view

    def _update(self, choice: Choice, protect: bool) -> View:
        from pace_analysis.plotting.style import route_label

        groups = self.groups(choice)
        head = "Age group" if choice.compare == "age_groups" else "Area"
        raw, shown = self._tables(groups, choice.route, protect)
        table = self._reader_table(shown, raw, choice.route, head)
        data = self._export_table(shown, choice.route, head)
        threshold = self.threshold if protect else 1
        drawn = [(n, r, k) for n, r, k in groups if len(r) >= threshold and len(r) > 0]
        hidden = [n for n, r, _ in groups if len(r) < threshold or len(r) == 0]
        what = ("time to legal permanence" if choice.route == ANY_ROUTE
                else route_label(choice.route, self.dataset.route_set).lower())
        sentence = f"{self._describe(choice)}: {what}."
        note = not_shown_note(hidden, threshold) if protect else ""
        if hidden and not protect:
            note = f"No children: {', '.join(hidden)}"
        message = f"{sentence} {note}".strip()
        if not drawn:
            return View(None, table, data, message, [g[0] for g in groups])
        fig = self._figure(choice, drawn, hidden, protect)
        return View(fig, table, data, message, [g[0] for g in groups])

    def _describe(self, choice: Choice) -> str:
        parts = []
        if choice.compare == "age_groups":
            parts.append("by age group")
        elif choice.age_group != ALL_AGES:
            parts.append(f"aged {choice.age_group} at the start")
        if choice.sex != ALL:
            parts.append(dict((c, lab) for lab, c in self.sexes())[choice.sex].lower())
        if choice.legal_basis != ALL:
            parts.append(dict((c, lab) for lab, c in self.legal_bases())[choice.legal_basis])
        clock = "looked after" if choice.clock == "looked_after_date" else "first accommodated"
        if choice.years is not None:
            parts.append(f"{clock} {choice.years[0]}–{choice.years[1]}")
        elif choice.clock != "looked_after_date":
            parts.append("from first accommodation")
        area = self.national if choice.area == ALL_AREAS else choice.area
        if choice.compare == "areas" and choice.others:
            area = ", ".join([area, *[self.national if a == ALL_AREAS else a
                                      for a in choice.others if a != choice.area]])
        return area + (f" ({'; '.join(parts)})" if parts else "")

    def _figure(self, choice: Choice, drawn, hidden, protect: bool):
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure
        from matplotlib.lines import Line2D

        from pace_analysis.plotting.style import route_label
        from pace_analysis.plotting.survival import plot_km

        threshold = self.threshold if protect else 1
        names = [n for n, _, _ in drawn]
        curves = []
        for name, rows, key in drawn:
            curves.append(self._stats(key, rows, choice.route)[0].assign(group=name))
        table = pd.concat(curves, ignore_index=True)
        table["group"] = pd.Categorical(table["group"], categories=names)
        follow = max(float(r["time_days"].max()) for _, r, _ in drawn) / 365.25
        xmax = float(min(MAX_YEARS, max(1, np.ceil(follow))))
        marks = np.arange(0, xmax + 1e-9, 1.0) * 365.25
        risk = pd.concat([self._at_risk(k, r).assign(group=n) for n, r, k in drawn],
                         ignore_index=True)
        risk = risk[risk["time_days"] <= marks[-1] + 1e-9]
        fig = Figure(figsize=(11, 4.6 + 0.25 * len(names) + 0.45))
        FigureCanvasAgg(fig)  # its own canvas: rendering never goes through pyplot
        longest = max(len(n) for n in names)
        widest = len(f"{int(risk['at_risk'].max()):,}")
        pad = 0.5 * widest * 9 * 0.62 + 6  # points: half the widest count, and a gap
        left = (0.075 * longest + pad / 72 + 0.3) / 11
        fig.subplots_adjust(left=min(max(left, 0.1), 0.4), right=0.74, top=0.9, bottom=0.06)
        ax = fig.add_subplot()
        title = ("Time to legal permanence" if choice.route == ANY_ROUTE
                 else route_label(choice.route, self.dataset.route_set))
        ax = plot_km(table, ax=ax, at_risk=risk, threshold=threshold,
                     show_censors=False, step_days=91 if protect else None, groups=names,
                     max_years=xmax, title=f"{title}: {self._describe(choice)}",
                     xlabel=_XLABEL[choice.clock])
        if choice.route != ANY_ROUTE:  # one route's share is small: do not squash it at 0
            highest = float((1 - table["ci_lower"]).max(skipna=True) if len(table) else 0.1)
            ax.set_ylim(0, min(1.0, max(0.1, np.ceil((highest + 0.02) * 10) / 10)))
            ax.set_ylabel(f"Share of children who have reached\n"
                          f"{route_label(choice.route, self.dataset.route_set).lower()}")
        tab = next((a for a in fig.axes if a.get_label() == "at_risk"), None)
        if tab is not None:  # names clear of the counts at time 0
            tab.tick_params(axis="y", pad=pad)
        children = {n: int(r["child_id"].nunique()) for n, r, _ in drawn}
        journeys = {n: len(r) for n, r, _ in drawn}
        handles = []
        for line in ax.get_lines():
            gid = str(line.get_gid() or "")
            if gid.startswith("curve:") and gid[6:] in children:
                n = gid[6:]
                kids = children[n]
                kids_text = (f"fewer than {threshold}" if protect and kids < threshold
                             else f"{kids:,}")
                line.set_label(f"{n}\n{kids_text} children\n({journeys[n]:,} periods of care)")
                handles.append(line)
        note = not_shown_note(hidden, threshold) if protect else ""
        if note:
            import textwrap

            handles.append(Line2D([], [], linestyle="none", label=textwrap.fill(note, 34)))
        ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.02, 1.0),
                  borderaxespad=0, handlelength=2.2, labelspacing=0.9)
        if protect:
            fig.text(0.99, 0.01, f"Disclosure control: groups under {threshold} children not "
                     "drawn, curves by quarter", ha="right", va="bottom", fontsize=8,
                     color="#666666")
        else:
            fig.text(0.99, 0.01, "Disclosure control OFF: for the analyst's own screen only",
                     ha="right", va="bottom", fontsize=8, color="#B00020")
        return fig

    # ---------------------------------------------------------------- output
    @staticmethod
    def image(view: View, fmt: str = "png") -> bytes:
        """The figure of *view* as PNG or SVG bytes (no timestamp or software metadata)."""
        if fmt not in ("png", "svg"):
            raise PaceError(f"figure format must be 'png' or 'svg', not {fmt!r}")
        if view.figure is None:
            return b""
        buf = io.BytesIO()
        meta = {"Software": None} if fmt == "png" else {"Date": None, "Creator": None}
        view.figure.savefig(buf, format=fmt, dpi=100, metadata=meta)
        return buf.getvalue()

    def export(self, choice: Choice, folder: str | Path | None = None,
               name: str = "explore") -> dict[str, Path]:
        """Write the table (CSV) and figure (PNG, SVG) of *choice*, disclosure applied.

        Exports are always protected, whatever the Explorer's ``disclosure``.

        Parameters
        ----------
        choice : Choice
        folder : path, optional
            Default ``reports/explore/`` in the repository
            (:func:`pace_analysis.paths.reports_dir`; ignored by git).
        name : str
            File name stem.

        Returns
        -------
        dict
            ``{"csv": path, "png": path, "svg": path}`` (no figure files when nothing can
            be drawn).
        """
        from pace_analysis.manifest import write_atomic
        from pace_analysis.paths import reports_dir

        view = self.update(choice, protect=True)
        out = Path(folder) if folder else reports_dir() / "explore"
        out.mkdir(parents=True, exist_ok=True)
        paths = {"csv": out / f"{name}.csv"}
        write_atomic(paths["csv"], view.data.to_csv(index=False, lineterminator="\n"))
        if view.figure is not None:
            for fmt in ("png", "svg"):
                paths[fmt] = out / f"{name}.{fmt}"
                tmp = paths[fmt].with_suffix(f".{fmt}.tmp")
                tmp.write_bytes(self.image(view, fmt))
                tmp.replace(paths[fmt])
        return paths


#: Table look in the notebook: headings on one or two lines, figures aligned, no index.
TABLE_STYLES = [
    {"selector": "", "props": "border-collapse: collapse; font-size: 13px;"},
    {"selector": "th", "props": "padding: 4px 10px; text-align: left; max-width: 11em;"
                                "vertical-align: bottom; border-bottom: 1px solid #999;"},
    {"selector": "td", "props": "padding: 3px 10px; text-align: right; white-space: nowrap;"},
    {"selector": "td:first-child", "props": "text-align: left;"},
]


def download_link(data: bytes, filename: str, mime: str, text: str) -> str:
    """An HTML link that downloads *data* as *filename* in the browser (a data URI)."""
    payload = base64.b64encode(data).decode("ascii")
    return (f'<a download="{filename}" href="data:{mime};base64,{payload}" '
            f'class="pace-download">{text}</a>')


# --------------------------------------------------------------------------- widgets

def dashboard(dataset: Dataset | Explorer, threshold: int = DEFAULT_THRESHOLD,
              disclosure: bool = True):
    """An ipywidgets dashboard over *dataset* (for JupyterLab).

    Parameters
    ----------
    dataset : Dataset or Explorer
    threshold : int
        Disclosure threshold.
    disclosure : bool
        Disclosure control on screen (default on; see :class:`Explorer`). Downloads are
        always protected.

    Returns
    -------
    ipywidgets.VBox
        The controls, the figure (an ``Image`` widget holding PNG bytes), a sentence, the
        table (HTML) and the download buttons. ``box.explorer`` is the :class:`Explorer`,
        ``box.controls`` a dict of the control widgets by name, ``box.image``,
        ``box.message`` and ``box.table`` the output widgets.
    """
    import ipywidgets as w

    ex = dataset if isinstance(dataset, Explorer) else Explorer(dataset, threshold, disclosure)
    first, last = ex.years()
    wide = {"description_width": "95px"}
    box = w.Layout(width="300px")
    c = {
        "area": w.Dropdown(options=ex.authorities(), description="Area", style=wide, layout=box),
        "age_group": w.Dropdown(options=ex.age_groups(), description="Age group",
                                style=wide, layout=box),
        "route": w.Dropdown(options=ex.routes(), value=ANY_ROUTE, description="Route",
                            style=wide, layout=box),
        "compare": w.Dropdown(options=list(COMPARISONS), value="scotland",
                              description="Compare", style=wide, layout=box),
        "others": w.SelectMultiple(options=ex.authorities()[1:], description="Other areas",
                                   rows=4, style=wide, layout=box, disabled=True),
        "clock": w.Dropdown(options=list(CLOCKS), value="looked_after_date",
                            description="Clock starts", style=wide, layout=box),
        "sex": w.Dropdown(options=ex.sexes(), value=ALL, description="Sex", style=wide,
                          layout=box),
        "legal_basis": w.Dropdown(options=ex.legal_bases(), value=ALL,
                                  description="Legal basis", style=wide, layout=box),
        "years": w.IntRangeSlider(value=(first, last), min=first, max=last, step=1,
                                  description="Years started", continuous_update=False,
                                  style=wide, layout=w.Layout(width="620px")),
    }
    image = w.Image(format="png", layout=w.Layout(max_width="1100px"))
    image.add_class("pace-figure")
    message = w.HTML()
    message.add_class("pace-message")
    table = w.HTML()
    table.add_class("pace-table")
    buttons = [w.Button(description=d, icon="download", layout=w.Layout(width="150px"))
               for d in ("Table (CSV)", "Figure (PNG)", "Figure (SVG)")]
    links = w.HTML()
    links.add_class("pace-downloads")
    state: dict = {}
    pngs: dict[Choice, bytes] = {}

    def current() -> Choice:
        years = None if c["years"].value == (first, last) else tuple(c["years"].value)
        return Choice(area=c["area"].value, age_group=c["age_group"].value,
                      route=c["route"].value, years=years, compare=c["compare"].value,
                      others=tuple(c["others"].value), clock=c["clock"].value,
                      sex=c["sex"].value, legal_basis=c["legal_basis"].value)

    def redraw(_change=None) -> None:
        c["others"].disabled = c["compare"].value != "areas"
        c["age_group"].disabled = c["compare"].value == "age_groups"
        try:
            view = ex.update(current())
        except PaceError as exc:
            message.value = f"<b>{exc}</b>"
            return
        state["view"] = view
        choice = current()
        if choice not in pngs:  # a view seen before is not drawn again
            pngs[choice] = ex.image(view) if view.figure is not None else b""
        image.value = pngs[choice]
        image.layout.display = None if view.figure is not None else "none"
        message.value = f"<p>{view.message}</p>"
        table.value = (view.table.style.hide(axis="index")
                       .set_table_attributes('class="pace-explore-table"')
                       .set_table_styles(TABLE_STYLES).to_html())
        links.value = ""

    def download(fmt: str):
        mime = {"csv": "text/csv", "png": "image/png", "svg": "image/svg+xml"}[fmt]

        def click(_button) -> None:
            paths = ex.export(current(), name="pace-explore")  # always protected
            if fmt not in paths:
                links.value = "Nothing to download: no group can be drawn."
                return
            links.value = (download_link(paths[fmt].read_bytes(), paths[fmt].name, mime,
                                         f"Download {paths[fmt].name}")
                           + f" (also saved as {paths[fmt]})")
        return click

    for b, fmt in zip(buttons, ("csv", "png", "svg"), strict=True):
        b.on_click(download(fmt))
    for widget in c.values():
        widget.observe(redraw, names="value")
    redraw()
    switch = ("" if ex.disclosure else
              "<b style='color:#B00020'>Disclosure control is OFF (analyst's own screen "
              "only); downloads are still protected.</b>")
    column = w.Layout(overflow="visible", margin="0 12px 0 0")
    out = w.VBox([
        w.HBox([w.VBox([c["area"], c["compare"], c["others"]], layout=column),
                w.VBox([c["age_group"], c["route"], c["clock"]], layout=column),
                w.VBox([c["sex"], c["legal_basis"]], layout=column)],
               layout=w.Layout(flex_flow="row wrap", overflow="visible")),
        c["years"], w.HTML(switch), image, message, table, w.HBox(buttons), links,
    ])
    out.explorer = ex
    out.controls = c
    out.image, out.message, out.table = image, message, table
    out.view = lambda: state.get("view")
    return out


__all__ = ["ALL_AREAS", "ALL_AGES", "ANY_ROUTE", "ALL", "COMPARISONS", "CLOCKS",
           "NOT_ESTIMABLE", "Choice", "View", "Explorer", "load", "dashboard", "download_link"]
