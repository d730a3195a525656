"""Where the project's folders are, whatever the current directory.

A notebook opened in JupyterLab runs with ``notebooks/`` as its working folder, the same
notebook run by papermill (or ``pace report``) with the repository root. Paths such as
``data/synthetic`` in a notebook's parameters, and the ignored ``reports/`` and
``.cache/`` folders written to, are therefore resolved against the repository root found
by :func:`repo_root`, never against whatever the working folder happens to be.
"""

from __future__ import annotations

import os
from pathlib import Path

#: Marks the repository root: a ``pyproject.toml`` naming this project.
PROJECT_NAME = "pace-analysis"
#: Environment variable that overrides the cache folder of :func:`cache_dir`.
CACHE_ENV = "PACE_CACHE_DIR"


def _is_root(folder: Path) -> bool:
    try:
        text = (folder / "pyproject.toml").read_text(encoding="utf-8")
    except OSError:
        return False
    return f'name = "{PROJECT_NAME}"' in text


def repo_root(start: str | os.PathLike | None = None) -> Path | None:
    """The repository root: the nearest folder at or above *start* holding this project.

    Parameters
    ----------
    start : path, optional
        Where to start looking (default: the current directory). When nothing is found
        above it, the folder above the installed package is tried (an editable install
        of the repository).

    Returns
    -------
    pathlib.Path or None
        The root, or None when the package runs outside a checkout of the repository.
    """
    here = Path(start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        if _is_root(folder):
            return folder
    package_parent = Path(__file__).resolve().parents[1]
    return package_parent if _is_root(package_parent) else None


def find_data(path: str | os.PathLike) -> Path:
    """A dataset path as given, else the same path under the repository root.

    ``"data/synthetic"`` works from the repository root, from ``notebooks/`` and from any
    folder below the root. An absolute path, or a relative one that exists from the
    current directory, is returned as it is (made absolute), so a missing dataset is still
    reported under the name the user gave.
    """
    given = Path(path)
    if given.is_absolute() or given.exists():
        return given.resolve()
    root = repo_root()
    if root is not None and (root / given).exists():
        return root / given
    return given


def reports_dir() -> Path:
    """The ignored ``reports/`` folder of the repository (of the current directory outside one)."""
    root = repo_root()
    return (root if root is not None else Path.cwd()) / "reports"


def cache_dir() -> Path:
    """The ignored cache folder: ``$PACE_CACHE_DIR``, else ``<repo>/.cache/pace-analysis``.

    Outside a checkout of the repository, ``~/.cache/pace-analysis``.
    """
    if os.environ.get(CACHE_ENV):
        return Path(os.environ[CACHE_ENV])
    root = repo_root()
    base = root / ".cache" if root is not None else Path.home() / ".cache"
    return base / PROJECT_NAME


__all__ = ["PROJECT_NAME", "CACHE_ENV", "repo_root", "find_data", "reports_dir", "cache_dir"]
