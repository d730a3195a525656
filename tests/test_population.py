"""One population per report (pace_analysis.population)."""

from __future__ import annotations

import pandas as pd
import pytest

from pace_analysis import cohort, population


def _journeys() -> pd.DataFrame:
    """Six periods of care of five children, two open before the window start (2010-08-01)."""
    rows = [
        # id, child, looked after, permanence route/date, exit reason/date
        ("j1", "c1", "2009-03-01", "home", "2010-09-01", "permanence", "2010-09-01"),
        ("j2", "c1", "2011-01-10", None, None, None, None),                       # open
        ("j3", "c2", "2009-05-01", None, None, "aged_out", "2010-03-01"),         # ended before
        ("j4", "c3", "2012-08-15", "adoption", "2014-02-01", "permanence", "2014-02-01"),
        ("j5", "c4", "2013-07-31", "permanence_order", "2014-06-01", None, None),  # still LA
        ("j6", "c5", "2013-08-01", None, None, "transferred", "2014-05-05"),
    ]
    j = pd.DataFrame(rows, columns=["journey_id", "child_id", "looked_after_date",
                                    "permanence_route", "permanence_date", "exit_reason",
                                    "exit_date"])
    j["authority"] = "Testshire"
    j["sex"] = "female"
    j["date_of_birth"] = "2005-01-01"
    j["legal_basis"] = "cso"
    j["accommodated_date"] = None
    j["planned_route"] = None
    j["extract_date"] = "2014-07-31"
    for c in ("looked_after_date", "permanence_date", "exit_date", "extract_date",
              "date_of_birth", "accommodated_date"):
        j[c] = pd.to_datetime(j[c])
    return j


def test_population_counts_children_and_periods_began_or_open_at_start():
    window = ("2010-08-01", None)
    frame = cohort.build_frame(_journeys(), window=window)
    pop = population.report_population(frame, "Testshire", window)
    # j3 ended before the window: out. j1 open on 1 Aug 2010: late entrant.
    assert (pop.periods, pop.children) == (5, 4)  # c1 has two periods
    assert pop.periods_open_at_start == 1
    assert pop.periods_began == 4
    assert pop.children_began == 4  # c1 (j2), c3, c4, c5
    text = pop.statement(threshold=1)
    assert "4 children in Testshire with 5 periods of care" in text
    assert "1 August 2010" in text


def test_statement_and_table_suppress_small_counts():
    window = ("2010-08-01", None)
    frame = cohort.build_frame(_journeys(), window=window)
    pop = population.report_population(frame, "Testshire", window)
    text = pop.statement(threshold=5)
    assert "(c)" in text  # 1 period open at the start is below 5
    table = population.counted_where(pop, funnel_denominator=3, threshold=5)
    assert table.loc[table["section"] == "Funnel plot", "periods"].isna().iloc[0]
    assert table["periods"].iloc[0] == 5
    assert list(table.columns) == list(population.COUNTED_COLUMNS)
    note = population.counted_where_note(table)
    assert note.count("\n- ") == len(table)


def test_counted_where_is_consistent_with_the_population():
    frame = cohort.build_frame(_journeys(), window=("2010-08-01", None))
    pop = population.report_population(frame, "Testshire", ("2010-08-01", None))
    table = population.counted_where(pop, threshold=1)
    # every section's periods are a part of the report's population
    assert (table["periods"].dropna() <= pop.periods).all()
    at_risk0 = (frame["entry_days"] == 0).sum()
    assert table.loc[table["section"] == "Number at risk at time 0", "periods"].iloc[0] == at_risk0


@pytest.mark.parametrize("day, year", [("2015-08-01", "2015-16"), ("2016-07-31", "2015-16"),
                                       ("1999-12-31", "1999-00")])
def test_reporting_year_runs_august_to_july(day, year):
    assert population.reporting_year(pd.Series(pd.to_datetime([day]))).iloc[0] == year


def test_last_full_year():
    assert population.last_full_year("2024-07-31") == (pd.Timestamp("2023-08-01"),
                                                       pd.Timestamp("2024-07-31"))
    assert population.last_full_year("2024-07-30") == (pd.Timestamp("2022-08-01"),
                                                       pd.Timestamp("2023-07-31"))


def test_official_check_figures_count_the_official_way():
    j = _journeys()
    t = population.official_check_figures(j, "Testshire", threshold=1).set_index("figure")
    # last full year 1 Aug 2013 - 31 Jul 2014. On 31 July 2014 still looked after: j2 (open),
    # j5 (permanence order, still looked after: no exit). j4 adopted, j6 transferred.
    assert t.loc["Looked after on 31 July", "count"] == 2
    assert t.loc["Looked after on 31 July", "date_or_year"] == "31 July 2014"
    assert t.loc["Started to be looked after", "count"] == 1      # j6 (j5 started 31 Jul 2013)
    assert t.loc["Ceased to be looked after", "count"] == 2       # j4, j6
    small = population.official_check_figures(j, "Testshire", threshold=5)
    assert small["count"].isna().all()
