"""Notebooks are committed without outputs; the clean filter strips them."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from pace_analysis import nbclean

ROOT = Path(__file__).resolve().parents[1]


def _committed_notebooks() -> dict[str, str]:
    """Text of every notebook as committed (the git index), else as in the folder."""
    try:
        names = subprocess.run(["git", "ls-files", "*.ipynb"], cwd=ROOT, check=True,
                               capture_output=True, text=True).stdout.split()
    except (OSError, subprocess.CalledProcessError):
        names = []
    if not names:
        return {str(p.relative_to(ROOT)): p.read_text(encoding="utf-8")
                for p in sorted((ROOT / "notebooks").glob("*.ipynb"))}
    return {n: subprocess.run(["git", "show", f":{n}"], cwd=ROOT, check=True,
                              capture_output=True, text=True).stdout for n in names}


def test_no_committed_notebook_has_outputs():
    notebooks = _committed_notebooks()
    assert len(notebooks) >= 4
    dirty = {name: nbclean.cells_with_outputs(json.loads(text))
             for name, text in notebooks.items()}
    dirty = {name: cells for name, cells in dirty.items() if cells}
    assert not dirty, f"notebooks committed with outputs (cell numbers): {dirty}"


def test_committed_notebooks_ask_for_the_project_kernel():
    for name, text in _committed_notebooks().items():
        spec = json.loads(text)["metadata"]["kernelspec"]
        assert spec["name"] == "pace-analysis", name


def test_committed_notebooks_are_thin():
    # One `parameters` cell of plain `name = literal` lines first; no def or class anywhere:
    # the library does the work, notebooks only call it.
    for name, text in _committed_notebooks().items():
        code = [c for c in json.loads(text)["cells"] if c["cell_type"] == "code"]
        assert code[0].get("metadata", {}).get("tags") == ["parameters"], name
        for line in "".join(code[0]["source"]).splitlines():
            if line.strip() and not line.lstrip().startswith("#"):
                var, _, value = line.partition(" = ")
                assert var.isidentifier() and value, (name, line)
                compile(value, "<parameter>", "eval")
        assert not any(line.lstrip().startswith(("def ", "class "))
                       for c in code for line in "".join(c["source"]).splitlines()), name


def _run_filter(text: str) -> str:
    done = subprocess.run([sys.executable, "-m", "pace_analysis.nbclean"], input=text.encode(),
                          capture_output=True, check=True)
    return done.stdout.decode()


def test_filter_strips_outputs_counts_and_widget_state():
    nb = json.loads((ROOT / "notebooks" / "explore.ipynb").read_text(encoding="utf-8"))
    code = [c for c in nb["cells"] if c["cell_type"] == "code"]
    code[-1]["outputs"] = [{"output_type": "stream", "name": "stdout", "text": ["hi\n"]}]
    code[-1]["execution_count"] = 7
    nb["metadata"]["widgets"] = {"application/vnd.jupyter.widget-state+json": {}}
    assert nbclean.cells_with_outputs(nb)
    cleaned = json.loads(_run_filter(json.dumps(nb)))
    assert nbclean.cells_with_outputs(cleaned) == []
    assert "widgets" not in cleaned["metadata"]
    assert [c["source"] for c in cleaned["cells"]] == [c["source"] for c in nb["cells"]]


def test_filter_passes_other_text_through():
    assert _run_filter("not a notebook\n") == "not a notebook\n"
