"""Child timelines: relative time only, synthetic-only examples, nothing identifying drawn."""

from __future__ import annotations

from pathlib import Path

import matplotlib
import pandas as pd
import pytest

from pace_analysis.dataset import Dataset
from pace_analysis.errors import PaceError
from pace_analysis.plotting.timelines import plot_timeline
from pace_analysis.timelines import example_label, example_timelines, journey_timeline

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

REPO = Path(__file__).resolve().parents[1]


def dataset(meta: dict | None = None) -> Dataset:
    j = pd.DataFrame({
        "journey_id": ["J-991", "J-992"],
        "child_id": ["CH-SECRET-1", "CH-SECRET-2"],
        "authority": ["Fife", "Fife"],
        "date_of_birth": pd.to_datetime(["2012-03-15", "2010-01-01"]),
        "looked_after_date": pd.to_datetime(["2014-03-15", "2015-01-01"]),
        "accommodated_date": pd.to_datetime(["2014-03-15", "2015-01-01"]),
        "permanence_recommendation_date": pd.to_datetime(["2014-09-11", None]),
        "panel_date": pd.to_datetime(["2014-12-10", None]),
        "adm_decision_date": pd.to_datetime([None, None]),
        "application_lodged_date": pd.to_datetime([None, None]),
        "permanence_route": ["adoption", None],
        "permanence_date": pd.to_datetime(["2016-03-14", None]),
        "exit_date": pd.to_datetime(["2016-03-14", None]),
        "exit_reason": ["permanence", None],
        "extract_date": pd.to_datetime(["2020-01-01", "2020-01-01"]),
    })
    p = pd.DataFrame({
        "journey_id": ["J-991", "J-991", "J-992"],
        "start_date": pd.to_datetime(["2014-03-15", "2015-06-01", "2015-01-01"]),
        "end_date": pd.to_datetime(["2015-06-01", "2016-03-14", None]),
        "placement_type": ["foster", "prospective_adopters", "residential"],
    })
    return Dataset(j, p, meta=meta if meta is not None else {"source": "synthetic"})


def test_timeline_in_relative_time():
    tl = journey_timeline(dataset(), "J-991")
    pl = tl[tl["kind"] == "placement"]
    assert pl["start_day"].tolist() == [0, 443]      # 2014-03-15 → 2015-06-01
    assert pl["end_day"].tolist() == [443, 730]      # → 2016-03-14
    assert pl["placement_type"].tolist() == ["foster", "prospective_adopters"]
    ms = tl[tl["kind"] == "milestone"].set_index("label")["start_day"]
    assert ms["Permanence recommended"] == 180 and ms["Panel"] == 270
    end = tl[tl["kind"] == "end"].iloc[0]
    assert end["label"] == "Adoption order" and end["end_day"] == 730
    # child aged 2 exactly at the start (730 days / 365.25 ≈ 1.9986)
    assert tl.iloc[0]["start_age"] == pytest.approx(730 / 365.25)
    # nothing absolute or identifying in the table
    assert not any(pd.api.types.is_datetime64_any_dtype(tl[c]) for c in tl)
    text = tl.astype(str).to_string()
    for secret in ("CH-SECRET-1", "J-991", "2012", "2014", "2016"):
        assert secret not in text


def test_still_waiting_runs_to_extract():
    tl = journey_timeline(dataset(), "J-992")
    end = tl[tl["kind"] == "end"].iloc[0]
    assert end["label"] == "Still looked after at extract"
    assert end["end_day"] == (pd.Timestamp("2020-01-01") - pd.Timestamp("2015-01-01")).days
    ongoing = tl[tl["kind"] == "placement"].iloc[0]
    assert ongoing["end_day"] == end["end_day"]


def test_unknown_journey():
    with pytest.raises(PaceError):
        journey_timeline(dataset(), "nope")


def test_examples_refuse_real_data_unless_allowed():
    real = dataset(meta={"source": "council extract"})
    with pytest.raises(PaceError, match="synthetic"):
        example_timelines(real, 2, seed=1)
    assert len(example_timelines(real, 2, seed=1, allow_real=True)) == 2
    marked = dataset(meta={"generator": "pace_analysis.synthetic"})
    out = example_timelines(marked, 2, seed=1)
    assert [label for label, _ in out] == ["Example child A", "Example child B"]


def test_examples_are_seeded():
    a = example_timelines(dataset(), 2, seed=5)
    b = example_timelines(dataset(), 2, seed=5)
    assert all(x[1].equals(y[1]) for x, y in zip(a, b, strict=True))


def test_labels():
    assert example_label(0) == "Example child A"
    assert example_label(25) == "Example child Z"
    assert example_label(26) == "Example child AA"


def test_plot_shows_no_identifiers():
    ds = dataset()
    (label, tl), = example_timelines(ds, 1, seed=3)
    fig, ax = plt.subplots()
    plot_timeline(tl, ax=ax, title=label)
    fig.canvas.draw()
    texts = [t.get_text() for t in fig.findobj(matplotlib.text.Text)]
    joined = " ".join(texts)
    assert label in joined
    for secret in ("CH-SECRET", "J-99", "2012-03-15", "2014", "2015", "2016"):
        assert secret not in joined
    plt.close(fig)


@pytest.mark.slow
def test_gallery_notebook_runs_under_papermill(tmp_path):
    import papermill as pm

    from pace_analysis.io import write_dataset
    from pace_analysis.synthetic import generate

    data = write_dataset(generate(seed=7, scale=0.03), tmp_path / "data")
    out = tmp_path / "gallery.ipynb"
    pm.execute_notebook(str(REPO / "notebooks" / "timeline_gallery.ipynb"), str(out),
                        parameters={"data_path": str(data), "n_examples": 3},
                        kernel_name="python3", cwd=str(REPO), progress_bar=False)
    import nbformat

    nb = nbformat.read(out, as_version=4)
    images = sum("image/png" in o.get("data", {}) for c in nb.cells for o in c.get("outputs", []))
    assert images == 3
