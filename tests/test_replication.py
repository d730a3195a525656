"""Published figures vs data: same numbers as calibration, populations stated, notebook runs."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from pace_analysis.calibration import calibration_table
from pace_analysis.dataset import Dataset
from pace_analysis.replication import describe_data, replication_table, single_episode_share

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def small():
    from pace_analysis.synthetic import generate

    return generate(seed=11, scale=0.05)


def test_values_are_calibrations_and_every_row_says_population_and_window(small):
    rep = replication_table(small)
    cal = calibration_table(small)
    merged = rep.merge(cal, left_on="figure", right_on="target")
    assert len(merged) == len(cal)
    assert np.allclose(merged["data_value"], merged["synthetic_value"], equal_nan=True)
    computed = rep[rep["kind"] != "not computable"]
    assert (computed["population"].str.len() > 0).all()
    assert (computed["window"].str.len() > 0).all()
    assert rep["agreement"].str.match(r"(within|outside) tolerance|cannot be computed").all()
    not_comp = rep[rep["kind"] == "not computable"]
    assert len(not_comp) >= 1 and not_comp["agreement"].str.startswith("cannot").all()
    assert "synthetic data" in describe_data(small)


def _pp_journeys(rows):
    base = {"accommodated_date": None, "date_of_birth": "2011-01-01"}
    df = pd.DataFrame([{**base, **r} for r in rows])
    for c in ("looked_after_date", "accommodated_date", "date_of_birth"):
        df[c] = pd.to_datetime(df[c])
    return Dataset(df, pd.DataFrame({"journey_id": []}))


def test_single_episode_share_by_hand():
    ds = _pp_journeys([
        # in the cohort, no later journey → single
        {"journey_id": "a", "child_id": "c1", "looked_after_date": "2012-09-01",
         "accommodated_date": "2012-09-01"},
        # in the cohort, a second journey 2 years later → not single
        {"journey_id": "b", "child_id": "c2", "looked_after_date": "2012-10-01",
         "accommodated_date": "2012-10-01"},
        {"journey_id": "b2", "child_id": "c2", "looked_after_date": "2014-10-01"},
        # in the cohort, a later journey after 5 years → still single within 4 years
        {"journey_id": "c", "child_id": "c3", "looked_after_date": "2013-01-01",
         "accommodated_date": "2013-01-01"},
        {"journey_id": "c2", "child_id": "c3", "looked_after_date": "2018-02-01"},
        # not accommodated on the first day → not in the cohort
        {"journey_id": "d", "child_id": "c4", "looked_after_date": "2013-01-01"},
    ])
    share, n = single_episode_share(ds)
    assert n == 3 and share == pytest.approx(2 / 3)


@pytest.mark.slow
def test_replication_notebook_runs_under_papermill(tmp_path, small):
    import nbformat
    import papermill as pm

    from pace_analysis.io import write_dataset

    data = write_dataset(small, tmp_path / "data")
    out = tmp_path / "scra.ipynb"
    pm.execute_notebook(str(REPO / "notebooks" / "scra_replication.ipynb"), str(out),
                        parameters={"data_path": str(data)}, kernel_name="python3",
                        cwd=str(REPO), progress_bar=False)
    nb = nbformat.read(out, as_version=4)
    outputs = [o for c in nb.cells for o in c.get("outputs", [])]
    assert not [o for o in outputs if o.get("output_type") == "error"]
    html = " ".join(o.get("data", {}).get("text/html", "") for o in outputs)
    assert "share of orders within 2 years" in html and "population" in html
    assert any("image/png" in o.get("data", {}) for o in outputs)


def test_notebooks_have_one_plain_parameters_cell():
    import ast

    import nbformat

    for name in ("scra_replication.ipynb", "timeline_gallery.ipynb"):
        nb = nbformat.read(REPO / "notebooks" / name, as_version=4)
        tagged = [c for c in nb.cells if "parameters" in c.metadata.get("tags", [])]
        assert len(tagged) == 1
        for stmt in ast.parse(tagged[0].source).body:
            assert isinstance(stmt, ast.Assign) and isinstance(stmt.value, ast.Constant)
        code = "\n".join(c.source for c in nb.cells if c.cell_type == "code")
        assert "def " not in code and "class " not in code
        assert all(not c.get("outputs") for c in nb.cells if c.cell_type == "code")
