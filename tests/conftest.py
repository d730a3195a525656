"""Test-wide settings: a non-interactive plotting backend and no network."""

import os

os.environ.setdefault("MPLBACKEND", "Agg")
