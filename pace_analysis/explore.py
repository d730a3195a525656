"""Interactive exploration in JupyterLab: pick an authority, age group, route and window.

``notebooks/explore.ipynb`` calls :func:`dashboard`; everything the widgets do goes
through :meth:`Explorer.update`, a plain function of the widget values that returns the
figure and table to show, so it is tested without a browser. Curves come from the
library (:func:`pace_analysis.survival.kaplan_meier` for "any permanence",
:func:`pace_analysis.competing.cumulative_incidence` for one route, since routes compete)
and are drawn by its plotting functions with the disclosure threshold applied.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from pace_analysis import competing, headline, survival
from pace_analysis.dataset import Dataset
from pace_analysis.errors import PaceError

ALL_AREAS = "Scotland (all areas)"
ALL_AGES = "All ages"
ANY_ROUTE = "any"


@dataclass
class View:
    """What the dashboard shows for one choice of widget values.

    Attributes
    ----------
    figure : matplotlib.figure.Figure or None
        The curves (None when nothing can be drawn).
    table : pandas.DataFrame
        Headline figures of the selection and of Scotland with the same filters.
    message : str
        A sentence describing the selection (or why nothing is drawn).
    """

    figure: object
    table: pd.DataFrame
    message: str


@dataclass
class Explorer:
    """Widget logic over one dataset; frames for each window are built once and kept.

    Parameters
    ----------
    dataset : Dataset
        Validated dataset.
    threshold : int
        Disclosure threshold passed to the plots and the headline table.
    """

    dataset: Dataset
    threshold: int = 5
    _frames: dict = field(default_factory=dict, repr=False)

    # ---------------------------------------------------------------- options
    def authorities(self) -> list[str]:
        """Dropdown options: Scotland, then each authority in the data."""
        return [ALL_AREAS, *self.dataset.authorities]

    def age_groups(self) -> list[str]:
        """Dropdown options: all ages, then the frame's age groups in order."""
        return [ALL_AGES, *[str(c) for c in self.frame(None)["age_group"].cat.categories]]

    def routes(self) -> list[tuple[str, str]]:
        """Dropdown options as (label, code): any permanence, then each route."""
        rs = self.dataset.route_set
        return [("Any legal permanence", ANY_ROUTE), *[(r.label, r.code) for r in rs.routes]]

    def years(self) -> tuple[int, int]:
        """First and last calendar year in which journeys began."""
        la = self.dataset.journeys["looked_after_date"].dropna()
        return int(la.min().year), int(la.max().year)

    # ---------------------------------------------------------------- logic
    def frame(self, window: tuple[int, int] | None) -> pd.DataFrame:
        """Analysis frame of journeys that began in the years of *window* (inclusive).

        ``None`` uses the dataset's own study window (late entry for journeys open at
        its start, see :func:`pace_analysis.reporting.study_window`).
        """
        from pace_analysis import cohort
        from pace_analysis.reporting import study_window

        key = None if window is None else (int(window[0]), int(window[1]))
        if key not in self._frames:
            base = self._frames.get(None)
            if base is None:
                base = cohort.build_frame(self.dataset, window=study_window(self.dataset))
                self._frames[None] = base
            if key is not None:
                starts = self.dataset.journeys.set_index("journey_id")["looked_after_date"]
                year = base["journey_id"].map(starts).dt.year
                self._frames[key] = base[(year >= key[0]) & (year <= key[1])]
        return self._frames[key]

    def selection(self, authority: str, age_group: str,
                  window: tuple[int, int] | None) -> tuple[pd.DataFrame, pd.DataFrame]:
        """Rows of the chosen area and age group, and Scotland's rows with the same age group."""
        frame = self.frame(window)
        if age_group != ALL_AGES:
            if age_group not in self.age_groups():
                raise PaceError(f"unknown age group {age_group!r}")
            frame = frame[frame["age_group"] == age_group]
        if authority == ALL_AREAS:
            return frame, frame
        if authority not in self.dataset.authorities:
            raise PaceError(f"{authority!r} is not in these data")
        return frame[frame["authority"] == authority], frame

    def update(self, authority: str = ALL_AREAS, age_group: str = ALL_AGES,
               route: str = ANY_ROUTE, window: tuple[int, int] | None = None) -> View:
        """Everything to show for these widget values.

        Parameters
        ----------
        authority : str
            An authority, or :data:`ALL_AREAS`.
        age_group : str
            An age group label, or :data:`ALL_AGES`.
        route : str
            :data:`ANY_ROUTE` (Kaplan–Meier of any legal permanence) or a route code
            (its cumulative incidence, other routes and leaving care competing).
        window : (first_year, last_year) or None
            Years in which journeys began; None for all.
        """
        import matplotlib.pyplot as plt

        from pace_analysis.plotting.competing import plot_cumulative_incidence
        from pace_analysis.plotting.survival import plot_km

        local, national = self.selection(authority, age_group, window)
        area = "Scotland" if authority == ALL_AREAS else authority
        years = "" if window is None else f", began {window[0]}–{window[1]}"
        who = f"{area}, {age_group.lower()}{years}"
        table = pd.DataFrame([
            {"area": area, **headline.figures(local, self.threshold)},
            {"area": "Scotland", **headline.figures(national, self.threshold)},
        ]).drop_duplicates(subset=["area"])
        if len(local) < self.threshold:
            return View(None, table, f"{who}: fewer than {self.threshold} children, not shown.")
        if authority == ALL_AREAS:
            both = local.assign(area="Scotland")
        else:
            both = pd.concat([local.assign(area=area), national.assign(area="Scotland")],
                             ignore_index=True)
        fig, ax = plt.subplots(figsize=(9, 5))
        if route == ANY_ROUTE:
            km = survival.kaplan_meier(both, by="area")
            plot_km(km, ax=ax, threshold=self.threshold, max_years=8,
                    groups=list(dict.fromkeys(both["area"])),
                    title=f"Time to legal permanence: {who}")
        else:
            if route not in self.dataset.route_set.route_codes:
                plt.close(fig)
                raise PaceError(f"unknown route {route!r}")
            cif = competing.cumulative_incidence(both, by="area", routes=self.dataset.route_set,
                                                 waiting=False)
            plot_cumulative_incidence(cif[cif["route"] == route], ax=ax, kind="lines",
                                      route_set=self.dataset.route_set, show_exit=False,
                                      threshold=self.threshold, max_years=8,
                                      title=f"{self.dataset.route_set.label_of(route)}: {who}")
        return View(fig, table, f"{who}: {len(local):,} journeys.")


def dashboard(dataset: Dataset, threshold: int = 5):
    """An ipywidgets dashboard over *dataset* (for JupyterLab).

    Returns
    -------
    ipywidgets.VBox
        Dropdowns for area, age group and route, a slider for the years journeys began,
        and an output area redrawn by :meth:`Explorer.update` on every change.
    """
    import ipywidgets as w
    import matplotlib.pyplot as plt
    from IPython.display import display

    ex = Explorer(dataset, threshold)
    first, last = ex.years()
    area = w.Dropdown(options=ex.authorities(), description="Area")
    age = w.Dropdown(options=ex.age_groups(), description="Age group")
    route = w.Dropdown(options=ex.routes(), value=ANY_ROUTE, description="Route")
    years = w.IntRangeSlider(value=(first, last), min=first, max=last, description="Began")
    out = w.Output()

    def redraw(_change=None):
        with out:
            out.clear_output(wait=True)
            window = None if years.value == (first, last) else years.value
            view = ex.update(area.value, age.value, route.value, window)
            print(view.message)
            if view.figure is not None:
                display(view.figure)
                plt.close(view.figure)
            display(view.table)

    for widget in (area, age, route, years):
        widget.observe(redraw, names="value")
    redraw()
    return w.VBox([w.HBox([area, age]), w.HBox([route, years]), out])
