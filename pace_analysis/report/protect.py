"""Disclosure over the whole report: secondary suppression solved over the relations.

Method (see ``docs/disclosure.md``, "Secondary suppression over the whole report"):

1. **Primary suppression** in every table (:meth:`Table.primary`): counts from 1 to
   ``threshold - 1``, and zeros too where a table describes fewer than ``threshold``
   children.
2. The report's tables (and its headline numbers) are read as the intruder audit reads
   the published files, and the same relations are declared
   (:func:`pace_analysis.audit.publication_relations` for files,
   ``audit.authority_publication`` here): totals, completed + open <= children, routes
   adding up to "reached permanence" in the share table, one aim's numerator as the
   next aim's denominator, age groups adding up to the authority.
3. The audit's integer programmes give the interval an intruder can deduce for each
   hidden cell. While a hidden cell's interval is narrower than the threshold, one
   more cell is hidden: among the published cells sharing a relation with it, the
   smallest non-zero one (then zeros). This repeats until the audit passes, so only
   cells some relation needs are hidden ("suppress no more than needed").
4. Derived values (shares, medians, limits) are hidden with any count they come from.
"""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

from pace_analysis.errors import PaceError
from pace_analysis.report.table import Table, cell_text

#: Safety stop: more rounds than cells would mean a bug.
_MAX_ROUNDS = 500


#: Tables whose cells are hidden as secondary cells only when nothing else helps: the share
#: table's counts add up, over the councils, to the national row every report prints, so
#: hiding one council's count may be undone by the others' (Scotland = sum of the councils;
#: the audit of the whole run checks it).
NATIONAL_SUMS = ("share_by_years",)


def protect_tables(tables: Mapping[str, Table], threshold: int, *, slug: str, area: str,
                   national: str, summary: Mapping | None = None) -> dict[str, int]:
    """Decide every table's suppression together; sets each :attr:`Table.mask`.

    Parameters
    ----------
    tables : mapping of name to Table
        All tables of one authority's report (names as their CSV files).
    threshold : int
        Disclosure threshold.
    slug, area, national : str
        The authority's folder name and name, and the national comparator's label.
    summary : mapping, optional
        The headline numbers (:func:`pace_analysis.headline.headline_numbers`), published
        in ``summary.json`` (fixed: never hidden here, but counted in the relations).

    Returns
    -------
    dict
        ``{"counts", "primary", "secondary"}``: count cells, and those hidden by each step.
    """
    from pace_analysis import audit

    pub = audit.Publication()
    where: dict[str, tuple[str, int, str]] = {}  # cell name -> (table, row, column name)
    read: dict[str, dict] = {}
    primary: set[str] = set()
    for name, table in tables.items():
        truth = table.truth()
        header = list(truth.columns)
        rows = [[cell_text(v) for v in r] for r in truth.itertuples(index=False)]
        got = audit.read_table(pub, slug, name, header, rows)
        read[name] = got
        small = table.primary(threshold)
        by_label = {c.label: c.name for c in table.by_role("count")}
        for i, cols in enumerate(got.values()):
            for heading, cell in cols.items():
                col = by_label[heading]
                where[cell] = (name, i, col)
                if bool(small.iloc[i][col]):
                    primary.add(cell)
        if len(got) != len(table.data):
            raise PaceError(f"table {name}: rows are not told apart by their labels")
    pub.derived.clear()  # derived values are hidden with their counts (Table.full_mask)
    fixed = audit.add_summary(pub, slug, summary or {})
    audit.authority_relations(pub, {"slug": slug, "tables": read,
                                    "summary": {"authority": area, "national": national}})
    truth = dict(pub.cells)
    hidden = set(primary) | {c for c in fixed if truth[c] is None}
    neighbours: dict[str, set[str]] = {}
    for rel in pub.relations:
        names = [c for c, _ in rel.terms]
        for c in names:
            neighbours.setdefault(c, set()).update(n for n in names if n != c)
    for _ in range(_MAX_ROUNDS):
        pub.cells = {c: (None if c in hidden else v) for c, v in truth.items()}
        result = audit.audit_publication(pub, threshold)
        unsafe = [f for f in result.findings if f.cell in truth]
        if not unsafe:
            break
        # A secondary cell the intruder works out exactly protects nothing; it is shown
        # again once every other cell is safe (showing it then changes no interval).
        wasted = {f.cell for f in unsafe if f.cell not in primary and f.cell in where and f.lower == f.upper}
        todo = [f.cell for f in unsafe if f.cell not in wasted]
        if not todo:
            hidden -= wasted
            continue
        cell = todo[0]
        candidates = {c: w for c, w in where.items() if w[0] not in NATIONAL_SUMS}
        pick = _next_to_hide(cell, pub, truth, hidden, candidates, neighbours, threshold)
        if pick is None:  # only a national-sum cell helps: the run's audit checks the councils
            pick = _next_to_hide(cell, pub, truth, hidden, where, neighbours, threshold)
        if pick is None:
            raise PaceError(f"cannot protect {cell}: no published cell left to hide")
        hidden.add(pick)
    else:  # pragma: no cover - a loop this long is a bug
        raise PaceError("secondary suppression did not settle")
    pub.cells = truth
    for table in tables.values():
        counts = [c.name for c in table.by_role("count")]
        table.mask = pd.DataFrame(False, index=table.data.index, columns=counts)
    for cell in hidden:
        if cell in where:
            name, i, col = where[cell]
            tables[name].mask.iloc[i, tables[name].mask.columns.get_loc(col)] = True
    in_tables = [c for c in where]
    return {"counts": len(in_tables), "primary": len(primary),
            "secondary": len([c for c in hidden if c in where and c not in primary])}


def _next_to_hide(cell: str, pub, truth: Mapping, taken: set[str], where: Mapping,
                  neighbours: Mapping[str, set[str]], threshold: int) -> str | None:
    """The published cell whose hiding best protects an unsafe *cell*.

    Candidates are the cells sharing a relation with it; when all of those are hidden
    already, the cells sharing a relation with those, and so on. Each candidate of the
    nearest layer is tried: the one that widens the intruder's interval of *cell* most
    wins (enough to make it safe, if any does), then the smallest count (as few children
    as possible), non-zero before zero. When no candidate widens it, the smallest one is
    hidden and the search goes on from there next round.
    """
    from pace_analysis import audit

    layer, seen = {cell}, {cell}
    while layer:
        near = set().union(*(neighbours.get(c, set()) for c in layer)) - seen
        free = sorted(n for n in near if n not in taken and n in where)
        if free:
            base = pub.cells
            lo, hi = audit.interval(pub, cell)
            now = hi - lo
            scored = []
            for n in free:
                pub.cells = {**base, n: None}
                a, b = audit.interval(pub, cell)
                scored.append((min(b - a, threshold) - min(now, threshold), n))
            pub.cells = base
            best = max(g for g, _ in scored)
            pool = [n for g, n in scored if g == best] if best > 0 else free
            return min(pool, key=lambda n: (truth[n] == 0, truth[n], n))
        seen |= near
        layer = {n for n in near if n in taken}
    return None


__all__ = ["protect_tables"]
