"""Intruder audit: can a reader of a run's reports work out a suppressed count?

Tables hide small counts as ``"c"``. A hidden count is only protected if nothing else
the run publishes pins it down: a row total, a count in another table that the hidden
ones add up to, a numerator printed as the next row's denominator, the index page, or
the national row that is the sum of the councils. This module plays the intruder. It
reads **everything a run published** (each authority's CSV tables, ``summary.json``,
the tables of ``report.html``, the run's ``index.html`` and ``funnel.csv``), writes down
the relations a reader knows hold between those numbers (:func:`publication_relations`)
and, for every protected (suppressed) count, solves two integer programmes (smallest
and largest value consistent with every published number and relation, with
:func:`scipy.optimize.milp`). This is the audit tau-ARGUS and sdcTable run on tables.

A protected cell is **safe** when the interval an intruder can deduce is wider than the
protection level ``threshold - 1`` (4 by default: the width of the range 1 to 4 that
"c" stands for), i.e. ``upper - lower >= threshold``, or when the interval holds no
small count at all (every value in it is 0 or at least ``threshold``: a secondary cell
worked out as 152 discloses nothing the rules protect). A share, rate or median published
while a count it is computed from is hidden is a finding too (the count can be worked
back from it).

``pace audit RUN_DIR`` runs it from the command line; ``pace report`` runs it before
publishing. See ``docs/disclosure.md``.
"""

from __future__ import annotations

import argparse
import csv
import json
import math
import time
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path

import numpy as np

from pace_analysis.disclosure import DEFAULT_THRESHOLD, SUPPRESSED
from pace_analysis.errors import PaceError

#: Largest value any count can take in the programmes (a stand-in for "no upper bound").
UNBOUNDED = 10_000_000

# --------------------------------------------------------------------------- the model


@dataclass(frozen=True)
class Relation:
    """``sum(coef * cell) <sense> rhs`` between published cells, with why it holds."""

    terms: tuple[tuple[str, float], ...]
    sense: str  # "==" or "<="
    rhs: float
    why: str

    def __post_init__(self) -> None:
        if self.sense not in ("==", "<="):
            raise ValueError(f"relation sense must be '==' or '<=', not {self.sense!r}")


@dataclass(frozen=True)
class Finding:
    """A protected cell an intruder can pin down (or a derived value that reveals it)."""

    cell: str
    lower: float
    upper: float
    reason: str

    def text(self) -> str:
        """One line naming the cell and what an intruder can deduce."""
        hi = "∞" if math.isinf(self.upper) else f"{self.upper:g}"
        return f"{self.cell}: {self.reason} (intruder's interval {self.lower:g} to {hi})"


@dataclass
class Publication:
    """Every published count of a run, by cell name; ``None`` where it is suppressed."""

    cells: dict[str, float | None] = field(default_factory=dict)
    relations: list[Relation] = field(default_factory=list)
    #: (derived cell, its source count cells): a value computed from counts.
    derived: list[tuple[str, tuple[str, ...]]] = field(default_factory=list)
    #: Derived cells shown (not "c" and not blank).
    derived_shown: set[str] = field(default_factory=set)

    def add(self, name: str, value: float | None) -> str:
        """Record a published count; a number seen anywhere beats a "c" elsewhere."""
        if name not in self.cells or self.cells[name] is None:
            self.cells[name] = value
        return name

    def relate(self, terms: Iterable[tuple[str, float]], sense: str, rhs: float, why: str) -> None:
        """Declare a relation between cells.

        A relation naming a cell that was not published is dropped, unless it is an
        inequality in which that cell only adds to the smaller side (then leaving it out
        still gives a true, weaker, relation).
        """
        terms = [(c, float(k)) for c, k in terms]
        missing = [(c, k) for c, k in terms if c not in self.cells]
        if any(sense == "==" or k < 0 for _, k in missing):
            return
        kept = tuple((c, k) for c, k in terms if c in self.cells)
        if len(kept) > 1:
            self.relations.append(Relation(kept, sense, float(rhs), why))

    def equal(self, a: str, b: str, why: str) -> None:
        """Declare that two published cells hold the same number."""
        self.relate([(a, 1), (b, -1)], "==", 0, why)

    def at_most(self, a: str, b: str, why: str) -> None:
        """Declare cell ``a`` <= cell ``b``."""
        self.relate([(a, 1), (b, -1)], "<=", 0, why)


@dataclass
class AuditResult:
    """Outcome of :func:`audit_run` / :func:`audit_publication`."""

    threshold: int
    protected: list[str]
    intervals: dict[str, tuple[float, float]]
    findings: list[Finding]
    n_cells: int
    n_relations: int
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        """True when no protected cell can be worked out."""
        return not self.findings

    def text(self) -> str:
        """Summary for a terminal: counts, then each failing cell."""
        head = (f"audit: {self.n_cells:,} published counts, {len(self.protected):,} protected, "
                f"{self.n_relations:,} relations; protection level {self.threshold - 1} "
                f"(threshold {self.threshold}): ")
        if self.ok:
            return head + "every protected cell is safe"
        return head + f"{len(self.findings)} UNSAFE\n" + "\n".join(
            "  " + f.text() for f in self.findings)


# --------------------------------------------------------------------------- reading


def _number(text: str | None) -> float | None | str:
    """Parse a published cell: a number, None for "c", "" for blank, else the text."""
    if text is None:
        return ""
    t = str(text).strip().replace(",", "")
    if t == "" or t.lower() == "nan":
        return ""
    if t == SUPPRESSED or t.startswith("<"):
        return None
    pct = t.endswith("%")
    try:
        v = float(t[:-1] if pct else t)
    except ValueError:
        return t
    return v / 100 if pct else v


def _read_csv(path: Path) -> tuple[list[str], list[list[str]]]:
    with path.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.reader(fh))
    return (rows[0], rows[1:]) if rows else ([], [])


class _Tables(HTMLParser):
    """The ``<table>`` elements of a page: id, header cells and body rows as text."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tables: list[dict] = []
        self._cell: list[str] | None = None
        self._row: list[str] | None = None

    def handle_starttag(self, tag, attrs):
        if tag == "table":
            self.tables.append({"id": dict(attrs).get("id") or "", "rows": []})
        elif tag == "tr" and self.tables:
            self._row = []
        elif tag in ("td", "th") and self._row is not None:
            self._cell = []

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self._cell is not None and self._row is not None:
            self._row.append("".join(self._cell).strip())
            self._cell = None
        elif tag == "tr" and self._row is not None and self.tables:
            self.tables[-1]["rows"].append(self._row)
            self._row = None

    def handle_data(self, data):
        if self._cell is not None:
            self._cell.append(data)


def html_tables(path: Path) -> list[dict]:
    """Tables of an HTML page: ``{"id", "rows"}`` with the header as the first row."""
    parser = _Tables()
    parser.feed(path.read_text(encoding="utf-8"))
    return parser.tables


# --------------------------------------------------------------------------- catalogue

#: What each published table is: its row-key columns, its count columns and the
#: columns derived from counts ({heading: [count headings]}). Headings are what a
#: reader sees; the audit knows the report as its reader does.
TABLES: dict[str, dict] = {
    "share_by_years": {
        "keys": ["Area", "Years since becoming looked after"],
        "counts": ["Children", "Still waiting", "Reached permanence"],
        "derived": {c: ["Reached permanence", "Children"] for c in
                    ("Share reached permanence", "95% CI lower", "95% CI upper")},
    },
    "routes_by_years": {
        "keys": ["Route"],
        "counts": ["Children by 1 year", "Children by 2 years", "Children by 4 years"],
        "derived": {f"Share by {y}": [f"Children by {y}"] for y in ("1 year", "2 years", "4 years")},
    },
    "stage_durations": {
        "keys": ["Stage"],
        "counts": ["Children", "Completed", "Still open"],
        "derived": {"Median weeks": ["Children"]},
    },
    "median_by_age_group": {
        "keys": ["Age group"],
        "counts": ["Children", "Reached permanence"],
        "derived": {"Median years": ["Children"]},
    },
    "pace_aims": {
        "keys": ["Aim"],
        "counts": ["Met", "Children"],
        "derived": {c: ["Met", "Children"] for c in ("Share", "95% CI lower", "95% CI upper")},
    },
    "placement_moves": {
        "keys": ["Age group"],
        "counts": ["Children", "3 or more moves"],
        "derived": {"Average moves": ["Children"], "Median moves": ["Children"],
                    "Share with 3 or more": ["3 or more moves", "Children"],
                    "Moves per year looked after": ["Children"]},
    },
    "funnel": {
        "keys": ["Area"],
        "counts": ["Children followed for 2 years", "Reached permanence within 2 years"],
        "derived": {"Share": ["Reached permanence within 2 years", "Children followed for 2 years"]},
    },
}
# Tables of pace_analysis.report.overview (population, trends, aims by year, comparators).
TABLES.update({
    "population": {
        "keys": ["Section"],
        "counts": ["Children", "Periods of care"],
        "derived": {},
    },
    "official_figures": {
        "keys": ["Area", "Figure"],
        "counts": ["Count"],
        "derived": {},
    },
    "permanence_trends": {
        "keys": ["Area", "Year became looked after", "Within (years)"],
        "counts": ["Periods of care begun", "Any permanence", "Returned home", "Had an order"],
        "derived": {**{c: ["Any permanence", "Periods of care begun"]
                       for c in ("Share any permanence", "95% CI lower", "95% CI upper")},
                    "Share returned home": ["Returned home", "Periods of care begun"],
                    "Share with an order": ["Had an order", "Periods of care begun"]},
    },
    "aims_by_year": {
        "keys": ["Aim", "Year became looked after"],
        "counts": ["Met", "Children"],
        "derived": {c: ["Met", "Children"] for c in ("Share", "95% CI lower", "95% CI upper")},
    },
    "comparators": {
        "keys": ["Area"],
        "counts": ["Children"],
        "derived": {c: ["Children"] for c in (
            "Permanence within 2 years", "Returned home within 2 years")},
    },
})
YEARS = ("1", "2", "4")
_ROUTE_COL = {"1": "Children by 1 year", "2": "Children by 2 years", "4": "Children by 4 years"}
_NOT_PERMANENCE = ("Left care without legal permanence", "Still waiting")


def _stage_ends() -> dict[str, str]:
    """Stage label (main or bypass row) -> the milestone that ends it."""
    from pace_analysis.milestones import MILESTONE_LABELS, STAGES
    from pace_analysis.schema import MILESTONES

    out = {s.label: s.end for s in STAGES}
    for i, f in enumerate(MILESTONES):
        for t in MILESTONES[i + 2:]:
            out[f"{MILESTONE_LABELS[f].capitalize()} to {MILESTONE_LABELS[t]}"] = t
    return out


def _stage_starts() -> dict[str, tuple[str, bool]]:
    """Milestone -> (label of the main stage starting there, whether some start there directly)."""
    from pace_analysis.milestones import STAGES

    return {s.start: (s.label, i <= 1) for i, s in enumerate(STAGES)}


def _milestone_label(milestone: str) -> str:
    from pace_analysis.milestones import MILESTONE_LABELS

    return MILESTONE_LABELS[milestone].capitalize()


def _aim_ids() -> dict[str, str]:
    """Published aim text (its definition or its row name) -> the aim's short name."""
    from pace_analysis.aims import PACE_AIM_ROWS
    from pace_analysis.milestones import AIMS

    return {**{text: aim for aim, text in AIMS.items()},
            **{text: aim for aim, text in PACE_AIM_ROWS.items()}}


def _key(values: Iterable[str]) -> str:
    return " / ".join(str(v) for v in values)


def _year(text: str) -> str:
    v = _number(text)
    return f"{v:g}" if isinstance(v, float) else str(text)


def _cell(slug: str, table: str, row: str, col: str) -> str:
    return f"{slug}/{table}.csv [{row}] {col}"


def read_table(pub: Publication, slug: str, name: str, header: list[str],
                rows: list[list[str]]) -> dict[str, dict[str, str]]:
    """Record one table's count cells; return ``{row key: {column: cell name}}``."""
    spec = TABLES[name]
    index = {h: i for i, h in enumerate(header)}
    if not all(k in index for k in spec["keys"]):
        return {}
    out: dict[str, dict[str, str]] = {}
    for r in rows:
        if len(r) < len(header):
            continue
        keyvals = [r[index[k]] if "Years" not in k else _year(r[index[k]]) for k in spec["keys"]]
        key = _key(keyvals)
        if name == "pace_aims":
            key = _aim_ids().get(key, key)  # the aim's short name, not its whole definition
        names: dict[str, str] = {}
        for col in spec["counts"]:
            if col not in index:
                continue
            v = _number(r[index[col]])
            if v == "":
                continue  # not published (e.g. not estimable)
            if isinstance(v, str):
                raise PaceError(f"{slug}/{name}: count {col!r} of row {key!r} is {v!r}, not a number")
            names[col] = pub.add(_cell(slug, name, key, col), v)
        for col, sources in spec["derived"].items():
            if col not in index:
                continue
            dname = _cell(slug, name, key, col)
            pub.derived.append((dname, tuple(_cell(slug, name, key, s) for s in sources)))
            if _number(r[index[col]]) not in ("", None):
                pub.derived_shown.add(dname)
        out[key] = names
    return out


def _read_authority(pub: Publication, folder: Path) -> dict:
    """Record everything one authority folder publishes; return its tables by name."""
    slug = folder.name
    tables: dict[str, dict[str, dict[str, str]]] = {}
    for name in TABLES:
        path = folder / f"{name}.csv"
        if path.is_file():
            header, rows = _read_csv(path)
            tables[name] = read_table(pub, slug, name, header, rows)
    page = folder / "report.html"
    if page.is_file():
        for t in html_tables(page):
            name = t["id"][2:] if t["id"].startswith("T_") else ""
            if name in TABLES and t["rows"]:
                got = read_table(pub, slug, name, t["rows"][0], t["rows"][1:])
                for key, cols in got.items():
                    tables.setdefault(name, {}).setdefault(key, {}).update(cols)
    summary = {}
    if (folder / "summary.json").is_file():
        summary = json.loads((folder / "summary.json").read_text(encoding="utf-8"))
        add_summary(pub, slug, summary)
    return {"slug": slug, "tables": tables, "summary": summary}


def add_summary(pub: Publication, slug: str, summary: Mapping) -> list[str]:
    """Record the counts of an authority's ``summary.json``; return their cell names."""
    names = []
    for who in ("authority", "scotland"):
        figs = (summary.get("figures") or {}).get(who) or {}
        for k in ("children", "journeys", "permanence"):
            if k in figs:
                names.append(pub.add(f"{slug}/summary.json {who}.{k}", figs[k]))
    return names


def _read_index(pub: Publication, run_dir: Path) -> dict[str, dict[str, str]]:
    out: dict[str, dict[str, str]] = {}
    page = run_dir / "index.html"
    if not page.is_file():
        return out
    for t in html_tables(page):
        rows = t["rows"]
        if not rows or "Periods of care" not in rows[0]:
            continue
        head = rows[0]
        for r in rows[1:]:
            area = r[head.index("Area")]
            names = {}
            for col, k in (("Children looked after", "children"), ("Periods of care", "journeys")):
                if col in head:
                    v = _number(r[head.index(col)])
                    if v != "" and not isinstance(v, str):
                        names[k] = pub.add(f"index.html [{area}] {col}", v)
            out[area] = names
    return out


def _read_run_funnel(pub: Publication, run_dir: Path) -> dict[str, dict[str, str]]:
    out: dict[str, dict[str, str]] = {}
    path = run_dir / "funnel.csv"
    if not path.is_file():
        return out
    header, rows = _read_csv(path)
    idx = {h: i for i, h in enumerate(header)}
    for r in rows:
        area = r[idx["authority"]] if "authority" in idx else r[0]
        names = {}
        for col in ("numerator", "denominator"):
            if col in idx:
                v = _number(r[idx[col]])
                if v != "" and not isinstance(v, str):
                    names[col] = pub.add(f"funnel.csv [{area}] {col}", v)
        if "proportion" in idx:
            dname = f"funnel.csv [{area}] proportion"
            pub.derived.append((dname, tuple(f"funnel.csv [{area}] {c}" for c in ("numerator", "denominator"))))
            if _number(r[idx["proportion"]]) not in ("", None):
                pub.derived_shown.add(dname)
        out[area] = names
    return out


# --------------------------------------------------------------------------- relations


def authority_relations(pub: Publication, rep: dict) -> None:
    """The relations a reader knows between the numbers of one authority's report."""
    t, slug, summary = rep["tables"], rep["slug"], rep["summary"]
    area = summary.get("authority", "")
    national = summary.get("national", "Scotland")
    share, routes = t.get("share_by_years", {}), t.get("routes_by_years", {})

    def sh(who: str, year: str, col: str) -> str:
        return share.get(f"{who} / {year}", {}).get(col, "")

    for who in (area, national):
        for i, y in enumerate(YEARS):
            n, w, e = (sh(who, y, c) for c in ("Children", "Still waiting", "Reached permanence"))
            pub.relate([(w, 1), (e, 1), (n, -1)], "<=", 0,
                       f"{who}: still waiting + reached permanence <= children ({y} years)")
            if i:
                pub.equal(n, sh(who, YEARS[0], "Children"), f"{who}: the same children at every time")
                pub.at_most(sh(who, YEARS[i - 1], "Reached permanence"), e,
                            f"{who}: reached permanence only grows with time")
    # Routes: the permanence routes add up to "reached permanence" at each time.
    perm = [k for k in routes if k not in _NOT_PERMANENCE]
    for i, y in enumerate(YEARS):
        col = _ROUTE_COL[y]
        pub.relate([(routes[k].get(col, ""), 1) for k in perm] + [(sh(area, y, "Reached permanence"), -1)],
                   "==", 0, f"routes by {y} years add up to reached permanence (share table)")
        pub.relate([(routes[k].get(col, ""), 1) for k in routes] + [(sh(area, y, "Children"), -1)],
                   "<=", 0, f"route states by {y} years add up to at most the children")
        if "Still waiting" in routes:
            pub.equal(routes["Still waiting"].get(col, ""), sh(area, y, "Still waiting"),
                      f"still waiting at {y} years in the routes and share tables")
        if i:
            prev = _ROUTE_COL[YEARS[i - 1]]
            for k in routes:
                if k != "Still waiting":
                    pub.at_most(routes[k].get(prev, ""), routes[k].get(col, ""),
                                f"{k}: cumulative count only grows with time")
    # Stages: children in a stage = completed + still open (+ those who bypassed it).
    stages = t.get("stage_durations", {})
    starts = _stage_starts()
    for key, c in stages.items():
        pub.relate([(c.get("Completed", ""), 1), (c.get("Still open", ""), 1), (c.get("Children", ""), -1)],
                   "<=", 0, f"stage {key!r}: completed + still open <= children")
    # A main stage's children = completed + still open + those who skipped its end
    # milestone, who are the children of the bypass rows from the same start.
    for milestone, (main, _first) in starts.items():
        if main not in stages:
            continue
        prefix = _milestone_label(milestone) + " to "
        skipped = [(stages[k].get("Children", ""), 1) for k in stages
                   if k.startswith(prefix) and "(without" in k]
        c = stages[main]
        pub.relate([(c.get("Completed", ""), 1), (c.get("Still open", ""), 1), *skipped,
                    (c.get("Children", ""), -1)], "==", 0,
                   f"stage {main!r}: children = completed + still open + those who skipped it")
    # Every journey reaching a milestone completed exactly one stage ending there, and
    # starts the main stage from it (accommodation: some are accommodated on day one).
    ends = _stage_ends()
    for milestone, (main, first) in starts.items():
        if main not in stages or milestone == next(iter(starts)):
            continue
        into = [(stages[k].get("Completed", ""), 1) for k in stages
                if ends.get(k.split(" (without")[0]) == milestone]
        if into:
            pub.relate(into + [(stages[main].get("Children", ""), -1)], "<=" if first else "==", 0,
                       f"stages ending at {milestone} add up to the children starting {main!r}")
    # Age groups: parts of the authority's children and of its permanences.
    ages = t.get("median_by_age_group", {})
    if ages:
        pub.relate([(c.get("Children", ""), 1) for c in ages.values()] + [(sh(area, "1", "Children"), -1)],
                   "==", 0, "age groups add up to the children of the share table")
        pub.relate([(c.get("Reached permanence", ""), 1) for c in ages.values()]
                   + [(f"{slug}/summary.json authority.permanence", -1)], "==", 0,
                   "age groups' permanences add up to the headline permanences")
        pub.relate([(sh(area, "4", "Reached permanence"), 1)]
                   + [(c.get("Reached permanence", ""), -1) for c in ages.values()], "<=", 0,
                   "reached by 4 years <= reached at all")
        for key, c in ages.items():
            pub.at_most(c.get("Reached permanence", ""), c.get("Children", ""), f"age {key}: events <= children")
    # PACE aims: met <= children; one aim's numerator is the next one's denominator.
    aims = t.get("pace_aims", {})
    by_id = aims
    for key, c in aims.items():
        pub.at_most(c.get("Met", ""), c.get("Children", ""), f"aim {key}: met <= children")
    if "cso_home_2y" in by_id and "cso_home_2y_reviewed" in by_id:
        pub.equal(by_id["cso_home_2y"].get("Met", ""), by_id["cso_home_2y_reviewed"].get("Children", ""),
                  "aim cso_home_2y_reviewed counts the children who met cso_home_2y")
    for key, c in t.get("placement_moves", {}).items():
        pub.at_most(c.get("3 or more moves", ""), c.get("Children", ""), f"moves {key}: 3+ <= children")
    for key, c in t.get("funnel", {}).items():
        pub.at_most(c.get("Reached permanence within 2 years", ""), c.get("Children followed for 2 years", ""),
                    f"funnel {key}: numerator <= denominator")
        for col, run_col in (("Reached permanence within 2 years", "numerator"),
                             ("Children followed for 2 years", "denominator")):
            pub.equal(c.get(col, ""), f"funnel.csv [{key}] {run_col}", f"funnel {key} in the run's funnel table")
    _overview_relations(pub, t, slug, area, national)
    # Headline summary and index.
    for who, label in (("authority", area), ("scotland", national)):
        pub.equal(f"{slug}/summary.json {who}.journeys", sh(label, "1", "Children"),
                  f"{label}: headline periods of care = children of the share table")
        pub.equal(f"{slug}/summary.json {who}.journeys", f"index.html [{label}] Periods of care",
                  f"{label}: periods of care in the report and the index")
        pub.equal(f"{slug}/summary.json {who}.children", f"index.html [{label}] Children looked after",
                  f"{label}: children in the report and the index")
        pub.at_most(f"{slug}/summary.json {who}.children", f"{slug}/summary.json {who}.journeys",
                    f"{label}: children <= periods of care")
        pub.at_most(sh(label, "4", "Reached permanence"), f"{slug}/summary.json {who}.permanence",
                    f"{label}: reached by 4 years <= reached at all")


def _overview_relations(pub: Publication, t: dict, slug: str, area: str, national: str) -> None:
    """Relations of the overview tables (pace_analysis.report.overview)."""
    for key, c in t.get("permanence_trends", {}).items():
        pub.relate([(c.get("Returned home", ""), 1), (c.get("Had an order", ""), 1),
                    (c.get("Any permanence", ""), -1)], "==", 0,
                   f"trend {key}: returned home + orders = any permanence")
        pub.at_most(c.get("Any permanence", ""), c.get("Periods of care begun", ""),
                    f"trend {key}: permanence <= periods of care begun")
    for key, c in t.get("aims_by_year", {}).items():
        pub.at_most(c.get("Met", ""), c.get("Children", ""), f"aim by year {key}: met <= children")
    rows = list(t.get("population", {}).values())
    if rows:
        whole = rows[0]
        pub.equal(whole.get("Children", ""), f"{slug}/summary.json authority.children",
                  "population: children = headline children")
        pub.equal(whole.get("Periods of care", ""), f"{slug}/summary.json authority.journeys",
                  "population: periods of care = headline periods of care")
        for other in rows[1:]:
            pub.at_most(other.get("Periods of care", ""), whole.get("Periods of care", ""),
                        "population: a section's periods are part of the report's")
            pub.at_most(other.get("Children", ""), other.get("Periods of care", ""),
                        "population: children <= periods of care")
    for key, c in t.get("comparators", {}).items():
        who = "authority" if key == area else "scotland" if key == national else None
        if who:
            pub.equal(c.get("Children", ""), f"{slug}/summary.json {who}.children",
                      f"comparators: {key}'s children = its headline children")


def _run_relations(pub: Publication, reps: list[dict], funnel: Mapping, complete: bool) -> None:
    """Relations across authorities: the national figures are the councils' sums."""
    if not reps:
        return
    national = reps[0]["summary"].get("national", "Scotland")
    areas = [r["summary"].get("authority", "") for r in reps]
    first = reps[0]
    sense = "==" if complete else "<="
    why = f"{national} = sum of the areas" if complete else f"{national} >= sum of the areas in this run"
    for y in YEARS:
        for col in ("Children", "Still waiting", "Reached permanence"):
            nat = _cell(first["slug"], "share_by_years", f"{national} / {y}", col)
            for r in reps[1:]:
                pub.equal(nat, _cell(r["slug"], "share_by_years", f"{national} / {y}", col),
                          f"{national} row is the same in every report")
            parts = [(_cell(r["slug"], "share_by_years", f"{a} / {y}", col), 1) for r, a in zip(reps, areas, strict=True)]
            pub.relate(parts + [(nat, -1)], sense, 0, f"{why}: {col}, {y} years")
    for k in ("journeys", "permanence"):
        nat = f"{first['slug']}/summary.json scotland.{k}"
        for r in reps[1:]:
            pub.equal(nat, f"{r['slug']}/summary.json scotland.{k}", f"{national} headline is the same everywhere")
        pub.relate([(f"{r['slug']}/summary.json authority.{k}", 1) for r in reps] + [(nat, -1)],
                   sense, 0, f"{why}: headline {k}")
    # Children may be looked after by two councils: the sum is at least the national count.
    if complete:
        pub.relate([(f"index.html [{national}] Children looked after", 1)]
                   + [(f"index.html [{a}] Children looked after", -1) for a in areas], "<=", 0,
                   f"{national} children <= sum of the areas' children")
    pub.relate([(f"index.html [{a}] Periods of care", 1) for a in areas]
               + [(f"index.html [{national}] Periods of care", -1)], sense, 0, f"{why}: periods of care")
    for a, c in funnel.items():
        pub.at_most(c.get("numerator", ""), c.get("denominator", ""), f"funnel {a}: numerator <= denominator")


def publication_relations(run_dir: str | Path) -> tuple[Publication, int | None]:
    """Read a run folder and declare the relations between everything it published.

    Returns
    -------
    (Publication, int or None)
        The cells and relations, and the threshold the run states (``summary.json``).
    """
    run_dir = Path(run_dir)
    if not run_dir.is_dir():
        raise PaceError(f"run folder not found: {run_dir}")
    pub = Publication()
    folders = sorted(p for p in run_dir.iterdir() if p.is_dir() and not p.name.startswith(".")
                     and (p / "summary.json").is_file())
    if not folders and (run_dir / "summary.json").is_file():
        folders = [run_dir]  # one authority's folder
    _read_index(pub, run_dir)
    funnel = _read_run_funnel(pub, run_dir)
    reps = [_read_authority(pub, f) for f in folders]
    threshold = next((r["summary"].get("threshold") for r in reps if r["summary"].get("threshold")), None)
    for rep in reps:
        authority_relations(pub, rep)
    complete = False
    manifest = run_dir / "manifest.json"
    if manifest.is_file():
        try:
            present = json.loads(manifest.read_text(encoding="utf-8")).get("inputs", {}).get("authorities")
        except ValueError:
            present = None
        names = {r["summary"].get("authority") for r in reps}
        complete = bool(present) and set(present) <= names
    if folders != [run_dir]:
        _run_relations(pub, reps, funnel, complete)
    return pub, threshold


# --------------------------------------------------------------------------- solving


def _components(unknown: list[str], relations: list[Relation]) -> list[tuple[list[str], list[Relation]]]:
    """Group unknown cells that share relations (each group is solved on its own)."""
    parent = {c: c for c in unknown}

    def find(c: str) -> str:
        while parent[c] != c:
            parent[c] = parent[parent[c]]
            c = parent[c]
        return c

    for rel in relations:
        us = [c for c, _ in rel.terms if c in parent]
        for a, b in zip(us, us[1:], strict=False):
            ra, rb = find(a), find(b)
            if ra != rb:
                parent[ra] = rb
    groups: dict[str, list[str]] = defaultdict(list)
    for c in unknown:
        groups[find(c)].append(c)
    rels: dict[str, list[Relation]] = defaultdict(list)
    for rel in relations:
        us = [c for c, _ in rel.terms if c in parent]
        if us:
            rels[find(us[0])].append(rel)
    return [(cells, rels[root]) for root, cells in groups.items()]


def _bounds(cells: list[str], rels: list[Relation], known: Mapping[str, float],
            targets: list[str]) -> dict[str, tuple[float, float]]:
    """Smallest and largest integer value of each target cell under the relations."""
    from scipy.optimize import Bounds, LinearConstraint, milp

    pos = {c: i for i, c in enumerate(cells)}
    a = np.zeros((len(rels), len(cells)))
    lo = np.empty(len(rels))
    hi = np.empty(len(rels))
    for r, rel in enumerate(rels):
        rhs = rel.rhs
        for c, k in rel.terms:
            if c in pos:
                a[r, pos[c]] += k
            else:
                rhs -= k * known[c]
        lo[r] = rhs if rel.sense == "==" else -np.inf
        hi[r] = rhs
    constraint = LinearConstraint(a, lo, hi)
    bounds = Bounds(np.zeros(len(cells)), np.full(len(cells), float(UNBOUNDED)))
    integrality = np.ones(len(cells))
    out: dict[str, tuple[float, float]] = {}
    for c in targets:
        ends = []
        for sign in (1.0, -1.0):
            cost = np.zeros(len(cells))
            cost[pos[c]] = sign
            res = milp(cost, constraints=constraint, bounds=bounds, integrality=integrality)
            if res.status != 0 or res.x is None:
                raise PaceError("the published numbers contradict the audit's relations: "
                                + "; ".join(sorted({r.why for r in rels})[:5]))
            ends.append(float(np.round(res.x[pos[c]])))
        lower, upper = ends
        out[c] = (lower, math.inf if upper >= UNBOUNDED - 1 else upper)
    return out


def interval(pub: Publication, cell: str) -> tuple[float, float]:
    """The interval an intruder can deduce for one hidden *cell* of a publication."""
    known = {c: float(v) for c, v in pub.cells.items() if v is not None}
    unknown = [c for c, v in pub.cells.items() if v is None]
    for cells, rels in _components(unknown, pub.relations):
        if cell in cells:
            return _bounds(cells, rels, known, [cell])[cell]
    return (0.0, math.inf)


def audit_publication(pub: Publication, threshold: int = DEFAULT_THRESHOLD) -> AuditResult:
    """The intruder's interval for every protected cell of a publication, and findings."""
    started = time.perf_counter()
    known = {c: float(v) for c, v in pub.cells.items() if v is not None}
    protected = sorted(c for c, v in pub.cells.items() if v is None)
    findings: list[Finding] = []
    for rel in pub.relations:
        if all(c in known for c, _ in rel.terms):
            total = sum(k * known[c] for c, k in rel.terms)
            bad = abs(total - rel.rhs) > 1e-9 if rel.sense == "==" else total > rel.rhs + 1e-9
            if bad:
                raise PaceError(f"published numbers break a relation the audit assumes: {rel.why} "
                                f"({', '.join(c for c, _ in rel.terms)})")
    intervals: dict[str, tuple[float, float]] = {c: (0.0, math.inf) for c in protected}
    for cells, rels in _components(protected, pub.relations):
        intervals.update(_bounds(cells, rels, known, cells))
    for c in protected:
        lower, upper = intervals[c]
        # Narrow is only a disclosure when the interval admits a small count: pinning a
        # hidden cell to 152 (or to 0) tells a reader nothing the rules would have hidden.
        if upper - lower < threshold and upper >= 1 and lower <= threshold - 1:
            reason = ("worked out exactly" if upper == lower
                      else f"narrowed to {upper - lower:g} (protection level {threshold - 1})")
            findings.append(Finding(c, lower, upper, reason))
    hidden = set(protected)
    for dname, sources in pub.derived:
        if dname in pub.derived_shown:
            leaked = [s for s in sources if s in hidden]
            if leaked:
                findings.append(Finding(leaked[0], 0, math.inf,
                                        f"published {dname.split('] ', 1)[-1]!r} is computed from it"))
    return AuditResult(threshold, protected, intervals, findings, len(pub.cells), len(pub.relations),
                       time.perf_counter() - started)


def audit_run(run_dir: str | Path, threshold: int | None = None) -> AuditResult:
    """Audit everything a run (or one authority's folder) published.

    Parameters
    ----------
    run_dir : path
        ``reports/<run>`` (every authority, the index and the run's funnel table), or one
        authority's folder.
    threshold : int, optional
        Disclosure threshold; default the one the run states in its ``summary.json``.

    Returns
    -------
    AuditResult
        ``ok`` is False when a protected cell can be worked out; ``findings`` name it.
    """
    started = time.perf_counter()
    pub, stated = publication_relations(run_dir)
    result = audit_publication(pub, int(threshold or stated or DEFAULT_THRESHOLD))
    result.seconds = time.perf_counter() - started
    return result


# --------------------------------------------------------------------------- CLI


def configure_cli(parser: argparse.ArgumentParser) -> None:
    """Options of ``pace audit``."""
    parser.add_argument("run_dir", metavar="RUN_DIR", help="a run folder, e.g. reports/latest")
    parser.add_argument("--threshold", type=int, default=None,
                        help="disclosure threshold (default: the one the run states)")


def run_cli(args: argparse.Namespace) -> int:
    """Run ``pace audit``; 0 when every protected cell is safe, 1 otherwise."""
    result = audit_run(args.run_dir, args.threshold)
    print(result.text() + f" [{result.seconds:.2f}s]")
    return 0 if result.ok else 1


__all__ = ["Relation", "Finding", "Publication", "AuditResult", "TABLES", "html_tables",
           "read_table", "add_summary", "authority_relations", "interval",
           "publication_relations", "audit_publication", "audit_run", "configure_cli", "run_cli"]
