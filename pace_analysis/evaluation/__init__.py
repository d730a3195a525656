"""Did PACE work? A staggered-adoption evaluation across councils, and interrupted time series.

``panel``      measures per council and reporting year, true effects from a synthetic twin
``estimator``  Callaway–Sant'Anna group-time effects ATT(g, t) and their aggregations
``inference``  wild cluster bootstrap at council level; randomisation inference
``its``        segmented regression with Newey–West errors for one council's run chart

See ``docs/evaluation.md``.
"""
