"""What if a stage were shorter? A semi-Markov microsimulation of the care pathway (issue 14).

* :mod:`~pace_analysis.whatif.hazards`: stays on the sojourn clock (time in state) and
  their cause-specific Nelson–Aalen hazards; the Markov stock-and-flow baseline;
* :mod:`~pace_analysis.whatif.plans`: the stages from the recommendation on, split by
  planned route;
* :mod:`~pace_analysis.whatif.simulate`: the vectorised simulator (conditional residual
  times, competing exits, common random numbers);
* :mod:`~pace_analysis.whatif.projection`: :func:`what_if`, one council's projection with
  and without a change to one stage;
* :mod:`~pace_analysis.whatif.tables`: per-replicate summaries and the output tables;
* :mod:`~pace_analysis.whatif.checks`: the N = 0 check against Aalen–Johansen and the
  back-test against the Markov baseline;
* :mod:`~pace_analysis.whatif.section`: the report section "What would change".
"""

from pace_analysis.whatif.projection import Scenario, WhatIf, what_if

__all__ = ["Scenario", "WhatIf", "what_if"]
