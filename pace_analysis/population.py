"""Who a report is about: one population, stated once, and who is counted where.

A report describes **periods of care** (journeys) of one council: those that *began in the
study window*, and those that began earlier but were *still open on its first day* (they
enter the analysis late, on that day). :func:`report_population` counts them once — N
children, M periods — and :meth:`Population.statement` says so in one sentence at the top
of a report. Every other count in a report is a part of that population, and
:func:`counted_where` says which part, section by section, so that a reader can see why
the number at risk at time 0, the stage table or the funnel give smaller numbers.

:func:`official_check_figures` gives the three figures a manager checks against
Children's Social Work Statistics (CSWS, Scotland): children looked after on 31 July of the
last full reporting year (1 August – 31 July) in the data, and the periods of care that
started and ceased in that year. They are counted the official way (on a day, or in a
year), not from the report's analysis population, and the table says so.

Disclosure: counts from 1 to ``threshold − 1`` are given as ``None`` (shown as "c").
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import pandas as pd

from pace_analysis.calibration import looked_after_on
from pace_analysis.disclosure import DEFAULT_THRESHOLD

#: Columns of :func:`counted_where`.
COUNTED_COLUMNS: tuple[str, ...] = ("section", "population", "children", "periods")


def _small(n: int, threshold: int) -> bool:
    return 0 < n < threshold


def _count(n: int, threshold: int) -> int | None:
    return None if _small(int(n), threshold) else int(n)


def format_count(n: int | None) -> str:
    """A count with thousands separators, or "c" when suppressed (``None``)."""
    from pace_analysis.formatting import count

    return count(n)


def _day(value) -> str:
    ts = pd.Timestamp(value)
    return f"{ts.day} {ts:%B %Y}"


@dataclass(frozen=True)
class Population:
    """The population of one report (counts before suppression).

    Attributes
    ----------
    area : str
        Council (or national) name.
    window_start, window_end : str or None
        Study window (ISO dates); ``None`` when open.
    children : int
        Distinct children with at least one period of care in the population.
    periods : int
        Periods of care (journeys) in the population.
    periods_began : int
        Periods that began inside the window.
    periods_open_at_start : int
        Periods that began before the window and were still open on its first day.
    children_began : int
        Distinct children with a period that began inside the window.
    """

    area: str
    window_start: str | None
    window_end: str | None
    children: int
    periods: int
    periods_began: int
    periods_open_at_start: int
    children_began: int

    def statement(self, threshold: int = DEFAULT_THRESHOLD) -> str:
        """The report's population in one plain sentence (Markdown)."""
        n = format_count(_count(self.children, threshold))
        m = format_count(_count(self.periods, threshold))
        if self.window_start:
            began = format_count(_count(self.periods_began, threshold))
            open_ = format_count(_count(self.periods_open_at_start, threshold))
            when = (f"periods of care that began on or after {_day(self.window_start)}"
                    + (f" and by {_day(self.window_end)}" if self.window_end else "")
                    + f" ({began}), or had begun earlier and were still open on "
                    f"{_day(self.window_start)} ({open_})")
        else:
            when = "every period of care in the data"
        return (f"**Who this report is about:** {n} children in {self.area} with {m} periods "
                f"of care: {when}. A child can have more than one period of care; the "
                "curves and the headline count periods of care, and every other table says "
                "which part of this population it covers.")


def report_population(frame: pd.DataFrame, area: str, window: tuple | None = None,
                      ) -> Population:
    """Count the population of a report from its analysis frame.

    Parameters
    ----------
    frame : pandas.DataFrame
        Analysis frame of the area (:func:`pace_analysis.cohort.build_frame` with the
        report's window, then one authority's rows; the whole frame for Scotland).
        Late entrants (``entry_days > 0``) are the periods open at the window start.
    area : str
        Name used in the statement.
    window : (start, end), optional
        The report's study window.

    Returns
    -------
    Population
    """
    start, end = (window or (None, None))
    late = frame["entry_days"].to_numpy() > 0 if "entry_days" in frame else None
    if late is None:
        late = pd.Series(False, index=frame.index).to_numpy()
    began = frame[~late]
    return Population(area=area, window_start=str(start) if start else None,
                      window_end=str(end) if end else None,
                      children=int(frame["child_id"].nunique()), periods=int(len(frame)),
                      periods_began=int(len(began)), periods_open_at_start=int(late.sum()),
                      children_began=int(began["child_id"].nunique()))


def counted_where(population: Population, funnel_denominator: int | None = None,
                  funnel_window: str | None = None,
                  threshold: int = DEFAULT_THRESHOLD) -> pd.DataFrame:
    """Which part of the report's population each section counts.

    Parameters
    ----------
    population : Population
        From :func:`report_population`.
    funnel_denominator : int, optional
        The council's denominator in the funnel plot
        (:func:`pace_analysis.funnel.measure_counts`), if the report has one.
    funnel_window : str, optional
        That cohort's dates in words.
    threshold : int
        Disclosure threshold (counts below it become ``None``).

    Returns
    -------
    pandas.DataFrame
        :data:`COUNTED_COLUMNS`; ``children``/``periods`` are ``None`` where suppressed or
        not applicable.
    """
    p = population
    c = lambda n: _count(n, threshold)  # noqa: E731
    start = _day(p.window_start) if p.window_start else "the start of the data"
    rows = [
        ("Headline, time-to-permanence curves, routes, age groups",
         "all periods of care in the report's population (a child with two periods counts "
         "twice)", c(p.children), c(p.periods)),
        ("Number at risk at time 0",
         "periods of care followed from their first day; periods already open on "
         f"{start} join later, on the day they had reached by then (late entry), so the "
         "number at risk can rise before it falls", None, c(p.periods_began)),
        ("Trends by year, stages, PACE aims, placement moves, run charts",
         f"periods of care that began on or after {start} (those already open then would "
         "make every stage look longer); each stage, aim and chart point counts the "
         "periods that reached its starting milestone, so its numbers are smaller",
         c(p.children_began), c(p.periods_began)),
    ]
    if funnel_denominator is not None:
        rows.append(("Funnel plot",
                     "periods of care followed for 2 full years"
                     + (f": {funnel_window}" if funnel_window else ""),
                     None, c(funnel_denominator)))
    out = pd.DataFrame(rows, columns=list(COUNTED_COLUMNS))
    return out.astype({"children": "Int64", "periods": "Int64"})


def counted_where_note(table: pd.DataFrame) -> str:
    """:func:`counted_where` as a short Markdown list for the top of a report."""
    lines = ["**Who is counted where:**"]
    for row in table.itertuples(index=False):
        counts = []
        if not pd.isna(row.children):
            counts.append(f"{format_count(row.children)} children")
        counts.append(f"{format_count(None if pd.isna(row.periods) else row.periods)} "
                      "periods of care")
        lines.append(f"- *{row.section}*: {row.population} ({', '.join(counts)}).")
    return "\n".join(lines)


def last_full_year(extract: date | str | pd.Timestamp) -> tuple[pd.Timestamp, pd.Timestamp]:
    """The last reporting year (1 August – 31 July) that ends on or before *extract*."""
    x = pd.Timestamp(extract)
    end_year = x.year if (x.month, x.day) >= (7, 31) else x.year - 1
    return pd.Timestamp(end_year - 1, 8, 1), pd.Timestamp(end_year, 7, 31)


def reporting_year(dates: pd.Series) -> pd.Series:
    """Reporting year (1 August – 31 July) of each date, as its end year's label "2015-16".

    A date from 1 August 2015 to 31 July 2016 gives ``"2015-16"``; missing dates give NA.
    """
    d = pd.to_datetime(dates, cache=False)
    first = d.dt.year - (d.dt.month < 8).astype("Int64")
    out = first.astype("Int64").astype(str) + "-" + ((first + 1) % 100).astype("Int64").astype(
        str).str.zfill(2)
    return out.where(d.notna(), pd.NA)


def official_check_figures(journeys: pd.DataFrame, area: str,
                           threshold: int = DEFAULT_THRESHOLD) -> pd.DataFrame:
    """The figures to check against Children's Social Work Statistics, last full year.

    Parameters
    ----------
    journeys : pandas.DataFrame
        Journeys of the area (all of them, not the analysis population: CSWS counts
        every child looked after on the day).
    area : str
        Name for the table.
    threshold : int
        Counts below it become ``None``.

    Returns
    -------
    pandas.DataFrame
        ``area, figure, date_or_year, count, counts``: children looked after on 31 July of
        the last full reporting year (distinct children), periods of care that started in
        that year, and periods that ceased in it (left care, for any reason, including a
        return home or an adoption). ``counts`` says what is counted.
    """
    j = journeys
    extract = pd.to_datetime(j["extract_date"], cache=False).max()
    first, last = last_full_year(extract)
    on = looked_after_on(j, last.date())
    la, ex = pd.to_datetime(j["looked_after_date"], cache=False), pd.to_datetime(j["exit_date"], cache=False)
    started = (la >= first) & (la <= last)
    ceased = ex.notna() & (ex >= first) & (ex <= last)
    year = f"1 August {first.year} to 31 July {last.year}"
    rows = [
        (area, "Looked after on 31 July", _day(last), _count(j.loc[on, "child_id"].nunique(),
                                                             threshold),
         "children looked after on the day (at home or away from home)"),
        (area, "Started to be looked after", year, _count(int(started.sum()), threshold),
         "periods of care that began in the year"),
        (area, "Ceased to be looked after", year, _count(int(ceased.sum()), threshold),
         "periods of care that ended in the year, for any reason"),
    ]
    return pd.DataFrame(rows, columns=["area", "figure", "date_or_year", "count", "counts"])
