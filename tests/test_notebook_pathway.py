"""notebooks/pathway.ipynb runs under papermill from notebooks/ (as JupyterLab does); thin
and without outputs like every notebook (tests/test_nbclean.py)."""

from __future__ import annotations

from pathlib import Path

import nbformat
import papermill as pm
import pytest

REPO = Path(__file__).parent.parent
NB = REPO / "notebooks" / "pathway.ipynb"


@pytest.mark.slow
def test_notebook_runs_from_the_notebooks_folder(tmp_path):
    out = tmp_path / "pathway.ipynb"
    pm.execute_notebook(str(NB), str(out), parameters={"authority": "Orkney Islands"},
                        cwd=str(REPO / "notebooks"), progress_bar=False)
    nb = nbformat.read(out, as_version=4)
    images = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs
              if "image/png" in o.get("data", {})]
    assert len(images) == 1  # the occupancy chart, shown once
    text = str(nb)
    assert "Orkney Islands" in text and "Traceback" not in text
