"""notebooks/whatif.ipynb: thin, committed without outputs, and runs under papermill."""

from __future__ import annotations

from pathlib import Path

import nbformat
import papermill as pm
import pytest

REPO = Path(__file__).parent.parent
NB = REPO / "notebooks" / "whatif.ipynb"


def test_notebook_explains_each_step_in_words():
    # Thin and without outputs: tests/test_nbclean.py checks every committed notebook.
    nb = nbformat.read(NB, as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert sum(c.cell_type == "markdown" for c in nb.cells) >= len(code) - 1


@pytest.mark.slow
def test_notebook_runs_from_the_notebooks_folder(tmp_path):
    out = tmp_path / "whatif.ipynb"
    pm.execute_notebook(str(NB), str(out),
                        parameters={"authority": "Orkney Islands", "replicates": 50,
                                    "backtest_years": [2018]},
                        cwd=str(REPO / "notebooks"), progress_bar=False)
    nb = nbformat.read(out, as_version=4)
    text = str(nb)
    assert "Traceback" not in text and "Difference (points)" in text
    assert "semi_markov_mae_pp" in text
