"""The care pathway as a multi-state process (issue 13).

* :mod:`~pace_analysis.multistate.states`: states and the declared transition matrix;
* :mod:`~pace_analysis.multistate.long_form`: journeys as ``(tstart, tstop, from, to)`` stays;
* :mod:`~pace_analysis.multistate.estimator`: exact Aalen–Johansen occupancy with late
  entry, infinitesimal-jackknife standard errors and restricted mean time in state.
"""

from pace_analysis.multistate.estimator import MultiStateFit, fit_multistate
from pace_analysis.multistate.long_form import TRANSITION_COLUMNS, PathwayData, pathway_transitions
from pace_analysis.multistate.states import CENSORED, Pathway, load_pathway

__all__ = [
    "CENSORED", "MultiStateFit", "Pathway", "PathwayData", "TRANSITION_COLUMNS",
    "fit_multistate", "load_pathway", "pathway_transitions",
]
