"""The report's overview sections (pace_analysis.report.overview) on a small council."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402

from pace_analysis import headline  # noqa: E402
from pace_analysis.report import ReportContext, overview, sections  # noqa: E402

DATA = Path(__file__).resolve().parents[1] / "data" / "synthetic"


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    ctx = ReportContext.build("Orkney Islands", str(DATA), str(tmp_path_factory.mktemp("ork")))
    numbers = sections.headline(ctx)
    return ctx, numbers, sections.tables(ctx, numbers)


def test_one_population_stated_once_and_equal_to_the_headline(report):
    ctx, numbers, tables = report
    text = overview.population_statement(ctx)
    fig = headline.figures(ctx.local, ctx.threshold)
    assert f"{fig['children']:,} children in Orkney Islands with {fig['journeys']:,} periods" in text
    pop = tables["population"].data
    assert pop["children"].iloc[0] == fig["children"]
    assert pop["periods"].iloc[0] == fig["journeys"] == len(ctx.local)
    # the time-0 risk set and the stage/aims population are the periods that began in the window
    began = int((ctx.local["entry_days"] == 0).sum())
    assert (pop["periods"].iloc[1], pop["periods"].iloc[2]) == (began, began)
    assert began == len(ctx.began_in_window.journeys)
    note = overview.counted_where_note(ctx, tables["population"])
    assert note.count("\n- ") == len(pop)


def test_trend_table_has_cis_by_year_and_only_years_with_follow_up(report):
    ctx, _, tables = report
    t = tables["permanence_trends"]
    d, mask = t.data, t.full_mask()
    extract = pd.to_datetime(ctx.dataset.journeys["extract_date"]).max()
    ends = pd.to_datetime(dict(year=d["year_start"] + 1, month=7, day=31))
    assert (ends + pd.to_timedelta(d["horizon_years"] * 365.25, unit="D")
            <= extract + pd.Timedelta(days=1)).all()
    assert (d["n"] >= ctx.threshold).all()
    shown = d[~mask["share_any"]]
    assert len(shown)
    assert ((shown["ci_lower"] <= shown["share_any"]) & (shown["share_any"] <= shown["ci_upper"])).all()
    # every hidden count is 1..threshold-1 or hidden to protect one (home + orders = any)
    np.testing.assert_allclose(d["home"] + d["order"], d["any"])


def test_trend_chart_draws_no_hidden_share(report):
    ctx, _, tables = report
    t = tables["permanence_trends"]
    fig = overview.trends_figure(ctx, t)
    d, mask = t.data, t.full_mask()
    drawn = set()
    for ax in fig.axes:
        for line in ax.get_lines():
            gid = str(line.get_gid())
            if gid.startswith("trend:") and ctx.authority in gid:
                outcome = gid.split(":")[1]
                horizon = 1 if "1 year" in ax.get_title() else 2
                for x, y in zip(line.get_xdata(), line.get_ydata(), strict=True):
                    drawn.add((outcome, horizon, int(round(x - 1))))
                    assert np.isfinite(y)
    hidden = {(o, int(r.horizon_years), int(r.year_start)) for o in ("any", "home", "order")
              for i, r in d.iterrows() if r.area == ctx.authority and mask.at[i, f"share_{o}"]}
    assert drawn and not (drawn & hidden)
    plt.close(fig)


def test_split_is_withheld_where_the_routes_table_hides_a_route(report):
    ctx, numbers, tables = report
    out = overview.consistent_split(numbers, tables, ctx.dataset.route_set)
    routes = tables["routes_by_years"]
    hidden = set(routes.data.loc[routes.full_mask()["n_2"].to_numpy(), "route"])
    if hidden & {"Kinship care order (s11)", "Permanence order", "Adoption order"}:
        assert out["split"]["authority"]["order"] is None
    assert out["figures"] == numbers["figures"]


def test_aims_by_year_and_comparators_read_plainly(report):
    ctx, _, tables = report
    aims = tables["aims_by_year"].data
    assert (aims["denominator"] >= ctx.threshold).all()
    assert aims["aim_label"].str.startswith("Aim ").all()
    comp = tables["comparators"].data
    assert comp["area"].iloc[:-1].tolist() == sorted(comp["area"].iloc[:-1])  # by name
    assert comp["area"].iloc[-1] == ctx.national
    text = overview.comparators_sentence(ctx, tables["comparators"])
    assert "not ranked" in text and "Orkney Islands" in text
    assert "2008" in overview.aims_period(ctx)
