"""Every declared runtime dependency is imported by the package (others go to extras)."""

from __future__ import annotations

import ast
import re
import tomllib
from importlib.metadata import packages_distributions
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
#: Needed at run time without an import: papermill executes the report notebooks on it.
NOT_IMPORTED_BUT_NEEDED = {"ipykernel"}


def _imported_modules() -> set[str]:
    mods: set[str] = set()
    for path in (ROOT / "pace_analysis").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                mods |= {a.name.split(".")[0] for a in node.names}
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                mods.add(node.module.split(".")[0])
    return mods


def _declared() -> list[str]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    return [re.split(r"[<>=!~;\[ ]", dep, maxsplit=1)[0].strip().lower().replace("_", "-")
            for dep in project["dependencies"]]


def test_every_runtime_dependency_is_imported():
    dists_of = packages_distributions()
    imported_dists = {d.lower().replace("_", "-")
                      for mod in _imported_modules() for d in dists_of.get(mod, [])}
    unused = [d for d in _declared() if d not in imported_dists | NOT_IMPORTED_BUT_NEEDED]
    assert not unused, f"declared runtime dependencies never imported by pace_analysis: {unused}"


def test_the_check_sees_the_package_imports():
    mods = _imported_modules()
    assert {"lifelines", "seaborn", "pandas", "papermill"} <= mods
