"""Route sets: which legal routes to permanence exist, as data rather than code.

Scotland's four routes are the default. A route set is a small YAML file (see
``pace_analysis/routesets/``); ``load_route_set("england")`` or a path to a file of the
same shape selects another. Validation, cohort building and plots take their codes and
labels from the route set in force, so an imported English extract runs through the
same analyses unchanged.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from pathlib import Path

from pace_analysis.errors import PaceError

DEFAULT_ROUTE_SET = "scotland"


@dataclass(frozen=True)
class Route:
    """One legal route to permanence."""

    code: str
    label: str
    leaves_care: bool = True
    source_codes: tuple[str, ...] = ()


@dataclass(frozen=True)
class RouteSet:
    """The codes allowed in a journeys file for one legal system.

    Attributes
    ----------
    name : str
        Short name, e.g. ``"scotland"``.
    label : str
        Human-readable description.
    routes : tuple of Route
        Routes to legal permanence, in the order used for tables and legends.
    exit_reasons, placement_types, legal_bases : tuple of str
        Allowed values of those columns.
    authorities : str
        ``"scotland"`` to check authority names against the 32 councils, ``"any"`` to
        accept the names found in the data.
    """

    name: str
    label: str
    routes: tuple[Route, ...]
    exit_reasons: tuple[str, ...]
    placement_types: tuple[str, ...]
    legal_bases: tuple[str, ...]
    authorities: str = "scotland"
    extra: dict = field(default_factory=dict, compare=False, hash=False)

    @property
    def route_codes(self) -> tuple[str, ...]:
        """Route codes in display order."""
        return tuple(r.code for r in self.routes)

    def label_of(self, code: str) -> str:
        """Human-readable label of a route code (the code itself if unknown)."""
        for r in self.routes:
            if r.code == code:
                return r.label
        return code


def _from_mapping(data: dict, origin: str) -> RouteSet:
    try:
        routes = tuple(
            Route(
                code=str(r["code"]),
                label=str(r.get("label", r["code"])),
                leaves_care=bool(r.get("leaves_care", True)),
                source_codes=tuple(str(c) for c in r.get("source_codes", ())),
            )
            for r in data["routes"]
        )
        return RouteSet(
            name=str(data["name"]),
            label=str(data.get("label", data["name"])),
            routes=routes,
            exit_reasons=tuple(data["exit_reasons"]),
            placement_types=tuple(data["placement_types"]),
            legal_bases=tuple(data["legal_bases"]),
            authorities=str(data.get("authorities", "scotland")),
        )
    except (KeyError, TypeError, AttributeError, ValueError) as exc:
        raise PaceError(f"route set {origin} is malformed: missing or bad key {exc}") from None


@cache
def load_route_set(name_or_path: str = DEFAULT_ROUTE_SET) -> RouteSet:
    """Load a bundled route set by name (``"scotland"``, ``"england"``) or a YAML path."""
    path = Path(name_or_path)
    if path.suffix in {".yaml", ".yml"}:
        if not path.is_file():
            raise PaceError(f"route set file not found: {path}")
        from pace_analysis.yamlfile import load_yaml

        return _from_mapping(load_yaml(path, f"route set {path}"), str(path))
    else:
        res = resources.files("pace_analysis.routesets").joinpath(f"{name_or_path}.yaml")
        if not res.is_file():
            raise PaceError(
                f"unknown route set {name_or_path!r}; bundled: {', '.join(bundled_route_sets())}"
            )
        text, origin = res.read_text(encoding="utf-8"), f"{name_or_path!r}"
    from pace_analysis.yamlfile import parse_yaml

    return _from_mapping(parse_yaml(text, origin), origin)


def bundled_route_sets() -> list[str]:
    """Names of the route sets shipped with the package."""
    return sorted(
        p.name.removesuffix(".yaml")
        for p in resources.files("pace_analysis.routesets").iterdir()
        if p.name.endswith(".yaml")
    )
