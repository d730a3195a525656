"""Did PACE work? A staggered-adoption evaluation across councils, and interrupted time series.

``panel``      measures per council and reporting year; true effects from a synthetic twin
``estimator``  Callaway–Sant'Anna group-time effects ATT(g, t) and their aggregations
``inference``  wild cluster bootstrap-t at council level; randomisation inference
``study``      the evaluation end to end, the placebo, and the check against the truth
``plot``       the event-study figure
``its``        segmented regression with Newey–West errors for one council's run charts
``command``    ``pace evaluate``

See ``docs/evaluation.md``.
"""
