"""pace-analysis: how long looked-after children in Scotland wait for a permanent home.

The library does the work (data contract, validation, survival and competing-risks
statistics, stage durations, run charts, funnel plots, timelines and batch reports);
notebooks in ``notebooks/`` only call it.
"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("pace-analysis")
except PackageNotFoundError:  # pragma: no cover - running from a source tree
    __version__ = "0.0.0+unknown"

__all__ = ["__version__"]
