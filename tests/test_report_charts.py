"""Run charts that read (pace_analysis.report_charts, plotting.improvement)."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402

from pace_analysis import aims, report_charts  # noqa: E402
from pace_analysis.improvement import run_chart  # noqa: E402
from pace_analysis.io import read_dataset  # noqa: E402
from pace_analysis.measures import pace_measures  # noqa: E402
from pace_analysis.plotting import improvement as plot  # noqa: E402

DATA = Path(__file__).resolve().parents[1] / "data" / "synthetic"


def quarters(n: int, start: str = "2012-01-01") -> pd.DatetimeIndex:
    return pd.date_range(start, periods=n, freq="QS")


@pytest.fixture(scope="module")
def dataset():
    return read_dataset(DATA)


def _shift_chart():
    # 12 baseline quarters around 400 days, then 12 quarters around 200: a shift.
    rng = np.random.default_rng(1)
    vals = np.concatenate([400 + rng.integers(-40, 40, 12), 200 + rng.integers(-30, 30, 12)])
    dates = quarters(24)
    notes = [(dates[12], "joined PACE"), (dates[13], "Formal review two weeks after"),
             (dates[13] + pd.Timedelta(days=20), "Panel papers in parallel"),
             (dates[18], "Reviewing officer checks the plan")]
    chart = run_chart(vals.astype(float), dates, baseline=dates[11], annotations=notes,
                      label="Median days")
    return chart, vals, dates


def test_verdict_states_the_shift_with_the_charts_own_medians():
    chart, vals, dates = _shift_chart()
    text = report_charts.verdict(chart, "days_to_recommendation", "quarter",
                                 split=dates[12].date(), split_label="joined PACE")
    before, after = np.median(vals[:12]), np.median(vals[12:])
    assert text.startswith(f"Since joining PACE ({dates[12]:%b %Y}) the median fell from "
                           f"{before:,.0f} to {after:,.0f} days")
    assert "sustained shift" in text and "improvement" in text


def test_verdict_without_signal_and_with_too_few_points():
    flat = run_chart([5.0, 6, 5, 6, 5, 6, 5, 6, 5, 6, 5, 6], quarters(12), baseline=6)
    text = report_charts.verdict(flat, "recommendation_within_26_weeks", "quarter",
                                 split=quarters(12)[6].date(), split_label="joined PACE")
    assert "no signal" in text
    few = run_chart([0.2, 0.3, 0.4], quarters(3))
    assert report_charts.verdict(few, "recommendation_within_26_weeks", "year").startswith(
        "Too few points (3 reporting years)")


def test_chart_numbers_tests_of_change_lists_them_and_nothing_overlaps():
    chart, _, _ = _shift_chart()
    fig, (ax, notes) = plt.subplots(2, 1, figsize=(9.5, 5.4), layout="constrained",
                                    gridspec_kw={"height_ratios": [4.2, 1]})
    plot.plot_run_chart(chart, ax=ax, aim=aims.AIM_LINES["days_to_recommendation"],
                        notes_ax=notes)
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    numbers = sorted((t for t in ax.texts if str(t.get_gid()).startswith("change:")),
                     key=lambda t: t.get_gid())
    assert [t.get_text() for t in numbers] == ["1", "2", "3", "4"]
    boxes = [t.get_window_extent(renderer) for t in numbers]
    for i in range(len(boxes)):
        for j in range(i + 1, len(boxes)):
            assert not boxes[i].overlaps(boxes[j]), (i, j)
    title = ax.title.get_window_extent(renderer)
    assert all(not b.overlaps(title) for b in boxes)
    listed = " ".join(t.get_text() for t in notes.texts)
    for i, row in enumerate(chart.annotations.itertuples(), start=1):
        assert f"{i}. {row.date:%b %Y}: {row.label}" in listed
    # legible at print size: no text under 9 pt, none rotated
    texts = [t for t in fig.findobj(matplotlib.text.Text) if t.get_text().strip()]
    assert min(t.get_fontsize() for t in texts) >= 9
    assert all(t.get_rotation() == 0 for t in numbers)
    plt.close(fig)


def test_aim_line_sits_at_the_aim_and_median_is_never_a_signal_colour():
    vals = [1.0, 2, 1, 2, 1, 2, 1, 2, 1, 2, 8, 9, 8, 9, 8, 9, 8, 9, 8, 9]
    chart = run_chart(vals, quarters(20))
    assert chart.points["signal_crossings"].any()  # the rule that used to colour the median
    ax = plot.plot_run_chart(chart, aim=(182.0, "aim"))
    aim = [ln for ln in ax.get_lines() if ln.get_gid() == "aim"]
    assert len(aim) == 1 and set(aim[0].get_ydata()) == {182.0}
    centre = [ln for ln in ax.get_lines() if ln.get_gid() == "centre"]
    assert centre and all(matplotlib.colors.to_hex(ln.get_color()) ==
                          matplotlib.colors.to_hex(plot.CENTRE) for ln in centre)
    assert all(matplotlib.colors.to_hex(ln.get_color()) != matplotlib.colors.to_hex(plot.SIGNAL)
               for ln in ax.get_lines())
    values = [ln for ln in ax.get_lines() if ln.get_gid() == "values"][0]
    np.testing.assert_array_equal(values.get_ydata(), vals)
    plt.close(ax.figure)


def test_grid_rule_takes_the_finest_grid_with_enough_shown(dataset):
    shet = dataset.for_authority("Shetland Islands")
    for measure in ("days_to_recommendation", "recommendation_within_26_weeks"):
        freq, coverage, table = report_charts.choose_frequency(shet, "Shetland Islands",
                                                               measure, 5)
        cover = {}
        for g in report_charts.GRIDS:
            t = pace_measures(shet, g, [measure], authorities=["Shetland Islands"])
            small = (t["n"] > 0) & (t["n"] < 5)
            if measure == "recommendation_within_26_weeks":  # a share: its parts too
                for part in (t["numerator"], t["denominator"] - t["numerator"]):
                    small |= (part > 0) & (part < 5)
            shown = t["value"].notna() & ~small
            cover[g] = shown.mean()
        assert coverage == pytest.approx(cover[freq])
        ok = [g for g in report_charts.GRIDS if cover[g] >= report_charts.MIN_COVERAGE]
        assert freq == (ok[0] if ok else max(report_charts.GRIDS, key=lambda g: (
            cover[g], -report_charts.GRIDS.index(g))))


def test_charts_without_points_become_sentences(dataset):
    shet = dataset.for_authority("Shetland Islands")
    charts = plot.report_run_chart_figures(shet, "Shetland Islands", min_n=5)
    assert len(charts) == 4
    for rc, fig, table in charts:
        assert rc.verdict
        if fig is None:
            assert rc.sentence and "no chart is shown" in rc.sentence
            assert table.empty
        else:
            assert report_charts.points_shown(rc) >= 2
            plt.close(fig)
    assert any(fig is None for _, fig, _ in charts)
    # no published label holds an internal identifier
    assert not any(aims.internal_identifiers(rc.title + " " + rc.verdict) for rc, _, _ in charts)
