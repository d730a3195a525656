"""The problem collector: every problem validation finds, gathered before it is reported.

Modules run one way: :mod:`pace_analysis.problems` (this module, the collector) is used
by :mod:`pace_analysis.crosschecks`, which is used by :mod:`pace_analysis.validation`,
which is used by :mod:`pace_analysis.io`. None of them imports a module later in that
order. A :class:`Problems` turns rows, values and messages (often whole arrays at once)
into :class:`~pace_analysis.errors.Problem` objects carrying the severity the rule has in
:data:`pace_analysis.schema.RULES`.
"""

from __future__ import annotations

import numpy as np

from pace_analysis.errors import Problem
from pace_analysis.schema import RULES

_RULE_IDS = {r.id for r in RULES}
_SEVERITY = {r.id: r.severity for r in RULES}


class Problems:
    """Collects problems, one at a time or one per row of an array."""

    def __init__(self) -> None:
        self.items: list[Problem] = []

    def add(self, file: str, rule: str, message: str, row: int | None = None,
            column: str | None = None, value: str | None = None) -> None:
        """Add one problem of rule *rule* (an id of :data:`~pace_analysis.schema.RULES`)."""
        assert rule in _RULE_IDS, rule
        self.items.append(Problem(file, row, column, value, rule, message, _SEVERITY[rule]))

    def add_many(self, file: str, rule: str, rows, column: str | None, values,
                 messages) -> None:
        """One problem per row; *messages* is one string or one per row."""
        assert rule in _RULE_IDS, rule
        rows = np.asarray(rows).tolist()
        values = list(values)
        if isinstance(messages, str):
            messages = [messages] * len(rows)
        sev = _SEVERITY[rule]
        self.items.extend(
            Problem(file, r, column, v, rule, m, sev)
            for r, v, m in zip(rows, values, messages, strict=True)
        )

    def sorted(self, files: list[str]) -> list[Problem]:
        """Errors first, then warnings, each in the order of *files* and by row."""
        order = {f: i for i, f in enumerate(files)}
        return sorted(self.items, key=lambda p: (
            p.severity != "error", order.get(p.file, len(order)),
            p.row if p.row is not None else 0))


__all__ = ["Problems"]
