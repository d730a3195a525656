"""States of the care pathway and the declared matrix of allowed transitions.

The states and allowed moves are data (``transitions.yaml`` beside this module): six
transient states in their usual order (looked after at home, accommodated, permanence
recommended, panel, agency decision, application lodged), then the outcomes, which are
absorbing: the routes to legal permanence of the route set in force and ``left_care``
(leaving care without permanence). Routes may skip stages: every later transient state
and every outcome is allowed from each transient state; no move goes back.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from importlib import resources

import numpy as np
import pandas as pd
import yaml

from pace_analysis.errors import PaceError
from pace_analysis.routes import RouteSet, load_route_set

#: Label of a row of the long form that ends in censoring (no transition).
CENSORED = "censored"


@dataclass(frozen=True)
class Pathway:
    """States of the multi-state model and its transition matrix.

    Attributes
    ----------
    states : tuple of str
        Every state, transient first (in pathway order), then the outcomes.
    labels : dict of str to str
        Readable name of each state.
    milestones : dict of str to str
        Journeys column whose date is the entry into each transient state.
    n_transient : int
        Number of transient states (the first ``n_transient`` of ``states``).
    allowed : numpy.ndarray of bool, shape (S, S)
        ``allowed[h, k]`` is True when a move from ``states[h]`` to ``states[k]`` is allowed.
    route_set : str
        Name of the route set whose routes are the permanence outcomes.
    """

    states: tuple[str, ...]
    labels: dict
    milestones: dict
    n_transient: int
    allowed: np.ndarray
    route_set: str

    @property
    def transient(self) -> tuple[str, ...]:
        """The transient states, in pathway order."""
        return self.states[: self.n_transient]

    @property
    def outcomes(self) -> tuple[str, ...]:
        """The absorbing states: routes to permanence, then ``left_care``."""
        return self.states[self.n_transient:]

    @property
    def permanence(self) -> tuple[str, ...]:
        """The outcomes that are legal permanence (every outcome but leaving care)."""
        return self.outcomes[:-1]

    def index(self, state: str) -> int:
        """Position of *state* in :attr:`states`."""
        try:
            return self.states.index(state)
        except ValueError:
            raise PaceError(f"unknown state {state!r}; states are {list(self.states)}") from None

    def matrix(self) -> pd.DataFrame:
        """The transition matrix as a table: rows 'from', columns 'to', True if allowed."""
        return pd.DataFrame(self.allowed, index=list(self.states), columns=list(self.states))


@cache
def _spec() -> dict:
    text = resources.files("pace_analysis.multistate").joinpath("transitions.yaml").read_text(
        encoding="utf-8")
    return yaml.safe_load(text)


def load_pathway(route_set: RouteSet | str | None = None) -> Pathway:
    """The pathway of ``transitions.yaml`` with the outcomes of *route_set*.

    Parameters
    ----------
    route_set : RouteSet or str, optional
        Routes to permanence (default Scotland's).

    Returns
    -------
    Pathway
    """
    rs = route_set if isinstance(route_set, RouteSet) else load_route_set(route_set or "scotland")
    spec = _spec()
    transient = [s["code"] for s in spec["transient"]]
    left = spec["left_care"]
    outcomes = [*rs.route_codes, left["code"]]
    states = tuple(transient + outcomes)
    if len(set(states)) != len(states):
        raise PaceError(f"state codes must be distinct; route codes clash with {transient}")
    labels = {s["code"]: s["label"] for s in spec["transient"]}
    labels.update({r.code: r.label for r in rs.routes})
    labels[left["code"]] = left["label"]
    allowed = np.zeros((len(states), len(states)), dtype=bool)
    for frm, tos in spec["allowed"].items():
        h = transient.index(frm)
        for to in tos:
            if to == "later":
                allowed[h, h + 1:len(transient)] = True
            elif to == "outcomes":
                allowed[h, len(transient):] = True
            else:
                allowed[h, states.index(to)] = True
    if np.tril(allowed).any():
        raise PaceError("transitions.yaml allows a move back to an earlier state")
    return Pathway(states, labels, {s["code"]: s["milestone"] for s in spec["transient"]},
                   len(transient), allowed, rs.name)
