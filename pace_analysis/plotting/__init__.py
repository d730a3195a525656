"""Plots: each function takes a tidy table (from the statistics modules) and an optional
``ax``, applies disclosure control and the shared style (:mod:`.style`), and returns the
Axes. Import the function from its module, e.g.
``from pace_analysis.plotting.survival import plot_km``.
"""
