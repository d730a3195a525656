"""Survival-side plots: KM with at-risk table, cumulative incidence, stage durations.

Checks drawing, not looks: return types, which groups are drawn (by artist gid), the
disclosure rules (small groups not drawn, "<5" at-risk cells), shared x limits; each
plot is also saved as a PNG to a temporary folder. The last tests draw the real output
of ``survival``, ``competing`` and ``milestones`` on seeded synthetic data.
"""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402
from matplotlib.axes import Axes  # noqa: E402

from pace_analysis.errors import PaceError  # noqa: E402
from pace_analysis.plotting import style  # noqa: E402
from pace_analysis.plotting.competing import plot_cumulative_incidence  # noqa: E402
from pace_analysis.plotting.stages import plot_stage_durations, typical_path  # noqa: E402
from pace_analysis.plotting.survival import at_risk_at, plot_km  # noqa: E402


@pytest.fixture(autouse=True)
def _close():
    yield
    plt.close("all")


def km_group(name: str, times: list[float], events: list[bool]) -> pd.DataFrame:
    """KM table of one group, computed by hand-style product limit (no late entry)."""
    t = np.asarray(times, float)
    e = np.asarray(events, bool)
    rows, s, at = [], 1.0, len(t)
    for u in np.unique(t):
        d, c = int(((t == u) & e).sum()), int(((t == u) & ~e).sum())
        s *= 1 - d / at
        rows.append((name, u, at, d, c, s, max(s - 0.1, 0), min(s + 0.1, 1)))
        at -= d + c
    return pd.DataFrame(rows, columns=["group", "time_days", "at_risk", "events", "censored",
                                       "survival", "ci_lower", "ci_upper"])


@pytest.fixture
def km_table() -> pd.DataFrame:
    rng = np.random.default_rng(7)
    parts = []
    for name, n in [("Dumfries and Galloway", 40), ("Glasgow City", 60), ("Fife", 25),
                    ("Orkney Islands", 3), ("Moray", 12)]:
        times = np.round(rng.uniform(1, 1800, n))
        parts.append(km_group(name, times.tolist(), (rng.random(n) < 0.7).tolist()))
    return pd.concat(parts, ignore_index=True)


def curves(ax: Axes) -> list[str]:
    return [ln.get_gid().split(":", 1)[1] for ln in ax.get_lines()
            if (ln.get_gid() or "").startswith("curve:")]


def at_risk_axes(ax: Axes) -> Axes:
    (tab,) = [a for a in ax.figure.axes if a.get_label() == "at_risk"]
    return tab


def test_plot_km_draws_groups_and_hides_small_ones(km_table, tmp_path):
    ax = plot_km(km_table)
    assert isinstance(ax, Axes)
    assert curves(ax) == ["Dumfries and Galloway", "Glasgow City", "Fife", "Moray"]
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert any("Not shown (fewer than 5" in t and "Orkney Islands" in t for t in legend)
    assert "Dumfries and Galloway (40 children)" in legend
    assert not any("Orkney" in (ln.get_gid() or "") for ln in ax.get_lines())
    tab = at_risk_axes(ax)
    assert [t.get_text() for t in tab.get_yticklabels()] == [
        "Dumfries and Galloway", "Glasgow City", "Fife", "Moray"]
    assert tab.get_xlim() == ax.get_xlim()
    cells = [t.get_text() for t in tab.texts]
    assert "<5" in cells and "3" not in cells and "1" not in cells
    ax.figure.savefig(tmp_path / "km.png")
    assert (tmp_path / "km.png").stat().st_size > 10_000


def test_plot_km_at_risk_counts_match_the_table(km_table):
    # Number at risk at t = children whose time is >= t (hand count from the raw table).
    g = km_table[km_table["group"] == "Glasgow City"]
    for t in (0.0, 365.25, 730.5):
        expected = int(g.loc[g["time_days"] >= t, ["events", "censored"]].to_numpy().sum())
        assert at_risk_at(km_table, "Glasgow City", [t])[0] == expected


def test_plot_km_kinds_start_at_0_and_100_percent(km_table):
    reached = plot_km(km_table, at_risk=None)
    waiting = plot_km(km_table, at_risk=None, kind="waiting")
    first = [ln for ln in reached.get_lines() if ln.get_gid() == "curve:Fife"][0]
    assert first.get_ydata()[0] == 0.0
    first = [ln for ln in waiting.get_lines() if ln.get_gid() == "curve:Fife"][0]
    assert first.get_ydata()[0] == 1.0
    assert "reached legal permanence" in reached.get_ylabel()
    assert "still" in waiting.get_ylabel()
    assert len(reached.figure.axes) == 1  # at_risk=None: no table


def test_plot_km_coarsened_has_no_censor_marks(km_table):
    ax = plot_km(km_table, step_days=91, at_risk=None)
    assert not [ln for ln in ax.get_lines() if (ln.get_gid() or "").startswith("censor:")]
    x = [ln for ln in ax.get_lines() if ln.get_gid() == "curve:Fife"][0].get_xdata()
    quarters = np.asarray(x) * style.DAYS_PER_YEAR / 91
    np.testing.assert_allclose(quarters, np.round(quarters), atol=1e-9)
    # Quarters are the default (reports, explore view); exact steps only when asked for.
    default = plot_km(km_table, at_risk=None)
    assert not [ln for ln in default.get_lines() if (ln.get_gid() or "").startswith("censor:")]
    fine = plot_km(km_table, at_risk=None, step_days=None)
    assert [ln for ln in fine.get_lines() if (ln.get_gid() or "").startswith("censor:")]


def test_plot_km_threshold_and_given_at_risk_table(km_table):
    at = pd.DataFrame({"group": ["Fife", "Fife", "Glasgow City", "Glasgow City"],
                       "time_days": [0.0, 730.5] * 2, "at_risk": [25, 7, 60, 9]})
    ax = plot_km(km_table, at_risk=at, threshold=10, groups=["Fife", "Glasgow City", "Moray"])
    assert curves(ax) == ["Fife", "Glasgow City", "Moray"]
    cells = sorted(t.get_text() for t in at_risk_axes(ax).texts)
    # Moray has no rows in the given table; 7 and 9 are below the threshold of 10.
    assert cells == ["25", "60", "<10", "<10"]


def test_plot_km_all_small_and_errors(km_table):
    ax = plot_km(km_table[km_table["group"] == "Orkney Islands"])
    assert curves(ax) == [] and any("Not shown" in t.get_text() for t in ax.texts)
    with pytest.raises(PaceError):
        plot_km(km_table, kind="survival")
    with pytest.raises(PaceError):
        plot_km(km_table.drop(columns="survival"))


def test_plot_km_on_given_axes_with_many_groups(km_table):
    fig, (a1, a2) = plt.subplots(1, 2, figsize=(14, 6))
    out = plot_km(km_table, ax=a2, title="Authorities")
    assert out is a2 and at_risk_axes(a2).get_xlim() == a2.get_xlim()


def cif_table(n: int = 40, group: str = "All") -> pd.DataFrame:
    """Each route reached by 8 children (2 per row): above the threshold, so drawn."""
    t = np.array([0.0, 100.0, 400.0, 900.0])
    rows = []
    for route, v in [("home", [0, .2, .3, .3]), ("adoption", [0, 0, .1, .2]),
                     ("exit", [0, .05, .05, .1])]:
        for ti, vi in zip(t, v, strict=True):
            rows.append((group, route, ti, n, 2, vi, max(vi - .05, 0), vi + .05))
    wait = 1 - np.array([.0, .25, .45, .6])
    rows += [(group, "waiting", ti, n, 1, w, w - .05, w + .05) for ti, w in zip(t, wait, strict=True)]
    return pd.DataFrame(rows, columns=["group", "route", "time_days", "at_risk", "events",
                                       "cif", "ci_lower", "ci_upper"])


def test_plot_cumulative_incidence_stacked_fills_to_100(tmp_path):
    ax = plot_cumulative_incidence(cif_table())
    assert isinstance(ax, Axes)
    gids = [c.get_gid() for c in ax.collections if c.get_gid()]
    assert gids == ["area:home", "area:adoption", "area:exit", "area:waiting"]
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert labels[0] == "Still waiting" and "Adoption order" in labels
    assert "Return or remain home" in labels
    assert "Left care without legal permanence" in labels
    ax.figure.savefig(tmp_path / "cif.png")
    assert (tmp_path / "cif.png").stat().st_size > 5_000


def test_plot_cumulative_incidence_lines_and_small_groups():
    t = pd.concat([cif_table(40, "under 1"), cif_table(3, "12+")])
    ax = plot_cumulative_incidence(t, kind="lines")
    gids = [ln.get_gid() for ln in ax.get_lines() if ln.get_gid()]
    assert gids == ["curve:under 1:home", "curve:under 1:adoption", "curve:under 1:exit"]
    assert any("12+" in t.get_text() for t in ax.get_legend().get_texts())
    with pytest.raises(PaceError, match="one group"):
        plot_cumulative_incidence(t)
    ax = plot_cumulative_incidence(t, group="12+")
    assert not [c for c in ax.collections if c.get_gid()]
    assert any("fewer than 5" in x.get_text() for x in ax.texts)


def stage_table() -> pd.DataFrame:
    rows = [
        ("adoption", "accommodated_to_recommendation", 50, 400.0, True),
        ("adoption", "recommendation_to_panel", 50, 150.0, False),
        ("adoption", "panel_to_adm", 50, 20.0, False),
        ("adoption", "adm_to_application", 50, 200.0, False),
        ("adoption", "application_to_order", 3, 250.0, False),  # too few: not drawn
        ("home", "accommodated_to_recommendation", 30, 80.0, True),
        ("home", "recommendation_to_panel", 0, np.nan, False),
        ("home", "recommendation_to_order", 30, 60.0, False),
        ("kinship", "accommodated_to_recommendation", 4, 300.0, True),
    ]
    t = pd.DataFrame(rows, columns=["group", "stage", "n_completed", "median_days", "most_time"])
    t["n"] = t["n_completed"]
    t["n_open"] = 0
    t["n_journeys"] = t.groupby("group")["n"].transform("max")
    t["q1_days"], t["q3_days"] = t["median_days"] * 0.5, t["median_days"] * 1.5
    return t


def test_typical_path_follows_the_most_common_stage():
    t = stage_table()
    assert typical_path(t, "home") == ["accommodated_to_recommendation", "recommendation_to_order"]
    assert typical_path(t, "adoption")[-1] == "application_to_order"


def test_plot_stage_durations_timeline_and_bars(tmp_path):
    ax = plot_stage_durations(stage_table())
    bars = [p.get_gid() for p in ax.patches if p.get_gid()]
    assert "stage:adoption:application_to_order" not in bars  # 3 completed: suppressed
    assert "stage:home:recommendation_to_order" in bars
    assert not any(b.startswith("stage:kinship") for b in bars)  # group of 4 children
    ticks = [t.get_text() for t in ax.get_yticklabels()]
    assert ticks[0].startswith("Return or remain home") and "(30 children)" in ticks[0]
    assert any("Not shown (fewer than 5 children): kinship" in t.get_text() for t in ax.texts)
    # The widest segment of adoption is outlined as the stage holding the most time.
    outlined = [p for p in ax.patches if p.get_gid() == "stage:adoption:accommodated_to_recommendation"]
    assert outlined[0].get_linewidth() > 1.5
    ax.figure.savefig(tmp_path / "stages.png")
    ax = plot_stage_durations(stage_table(), kind="bars")
    assert {p.get_gid() for p in ax.patches if p.get_gid()} >= {"bars:adoption", "bars:home"}
    with pytest.raises(PaceError):
        plot_stage_durations(stage_table(), kind="pie")


# Real output of the statistics modules, on seeded synthetic data.

@pytest.fixture(scope="module")
def fife():
    from pace_analysis.cohort import build_frame
    from pace_analysis.synthetic import generate

    ds = generate(seed=2014, scale=0.1).for_authority("Fife")
    # No late entry: only then can the auto at-risk row be read exactly off the KM table.
    return ds, build_frame(ds, window=None)


def test_plot_km_on_real_kaplan_meier(fife, tmp_path):
    from pace_analysis.survival import at_risk_table, kaplan_meier

    _, frame = fife
    km = kaplan_meier(frame, by="age_group")
    ax = plot_km(km, legend_title="Age at start")
    assert curves(ax) == [g for g in frame["age_group"].cat.categories
                          if (frame["age_group"] == g).sum() >= 5]
    assert at_risk_axes(ax).get_xlim() == ax.get_xlim()
    # The auto at-risk row agrees with survival.at_risk_table at the same ticks.
    ticks = [float(x) * style.DAYS_PER_YEAR for x in ax.get_xticks() if 0 <= x <= ax.get_xlim()[1]]
    ref = at_risk_table(frame, ticks, by="age_group")
    for g, rows in ref.groupby("group"):
        np.testing.assert_array_equal(at_risk_at(km, g, ticks), rows["at_risk"].to_numpy())
    ax2 = plot_km(km, at_risk=ref, step_days=91)
    assert len(at_risk_axes(ax2).texts) == len(ref)
    ax.figure.savefig(tmp_path / "km_real.png")


def test_plot_cumulative_incidence_on_real_output(fife, tmp_path):
    from pace_analysis.competing import cumulative_incidence

    _, frame = fife
    cif = cumulative_incidence(frame)
    ax = plot_cumulative_incidence(cif)
    gids = [c.get_gid() for c in ax.collections if c.get_gid()]
    assert gids[-1] == "area:waiting" and "area:adoption" in gids
    ax = plot_cumulative_incidence(cumulative_incidence(frame, by="age_group"), kind="lines")
    assert len([ln for ln in ax.get_lines() if ln.get_gid()]) >= 5
    ax.figure.savefig(tmp_path / "cif_real.png")


def test_plot_stage_durations_on_real_summary(fife, tmp_path):
    from pace_analysis.milestones import stage_summary

    ds, _ = fife
    ax = plot_stage_durations(stage_summary(ds))
    groups = [t.get_text().split("\n")[0] for t in ax.get_yticklabels()]
    assert "Adoption order" in groups and "No legal permanence yet" not in groups
    ax.figure.savefig(tmp_path / "stages_real.png")


def test_stage_chart_is_in_weeks_like_the_stage_table_and_swatches_are_distinct():
    t = stage_table()
    t.loc[len(t)] = ["adoption", "recommendation_to_application", 50, 70.0, False, 50, 0, 50,
                     35.0, 105.0]
    ax = plot_stage_durations(t)
    widths = {p.get_gid(): p.get_width() for p in ax.patches if p.get_gid()}
    assert widths["stage:adoption:accommodated_to_recommendation"] == pytest.approx(400 / 7)
    assert "weeks" in ax.get_xlabel()
    legend = ax.get_legend()
    colours = [matplotlib.colors.to_hex(h.get_facecolor()) for h in legend.legend_handles]
    assert len(colours) == len(set(colours))  # no two stages share a swatch
    days = plot_stage_durations(t, unit="days")
    widths = {p.get_gid(): p.get_width() for p in days.patches if p.get_gid()}
    assert widths["stage:adoption:accommodated_to_recommendation"] == pytest.approx(400)


def test_stage_bars_are_a_seaborn_barplot_of_the_table_in_weeks():
    ax = plot_stage_durations(stage_table(), kind="bars")
    bars = [p for p in ax.patches if p.get_gid() == "bars:adoption"]
    drawn = stage_table().query("group == 'adoption' and n_completed >= 5")["median_days"]
    assert sorted(round(b.get_width(), 9) for b in bars) == sorted(round(v / 7, 9) for v in drawn)


def test_plot_km_curve_stops_where_fewer_than_threshold_remain_at_risk():
    rng = np.random.default_rng(3)
    table = km_group("Fife", np.round(rng.uniform(1, 1800, 40)).tolist(), (rng.random(40) < 0.7).tolist())
    ax = plot_km(table, at_risk=None, threshold=5, step_days=None)
    (line,) = [ln for ln in ax.get_lines() if ln.get_gid() == "curve:Fife"]
    first_small = table.loc[table["at_risk"] < 5, "time_days"].min() / style.DAYS_PER_YEAR
    assert line.get_xdata().max() < first_small
    ticks = [ln for ln in ax.get_lines() if ln.get_gid() == "censor:Fife"]
    assert all(t.get_xdata().max() < first_small for t in ticks)
    # Threshold 1 (an analyst's own screen, explicitly) draws every step.
    ax1 = plot_km(table, at_risk=None, threshold=1, step_days=None)
    (full,) = [ln for ln in ax1.get_lines() if ln.get_gid() == "curve:Fife"]
    assert full.get_xdata().max() >= first_small
