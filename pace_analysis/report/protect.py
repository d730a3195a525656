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
        unsafe = [f.cell for f in result.findings if f.cell in truth]
        if not unsafe:
            break
        added = False
        for cell in unsafe:
            pick = _next_to_hide(cell, neighbours, hidden, where, truth)
            if pick is not None:
                hidden.add(pick)
                added = True
                break  # one at a time: the next audit may find the rest already safe
        if not added:
            raise PaceError("cannot protect " + ", ".join(unsafe) + ": no published cell left to hide")
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


def _next_to_hide(cell: str, neighbours: Mapping[str, set[str]], hidden: set[str],
                  where: Mapping, truth: Mapping) -> str | None:
    """The published cell to hide next for an unsafe *cell*.

    First the cells sharing a relation with it; when all of those are hidden already,
    the cells sharing a relation with those, and so on. Among the candidates of the
    nearest layer: the smallest non-zero count (then zeros), as few children as possible.
    """
    layer, seen = {cell}, {cell}
    while layer:
        near = set().union(*(neighbours.get(c, set()) for c in layer)) - seen
        free = [n for n in near if n not in hidden and n in where]
        if free:
            return min(free, key=lambda n: (truth[n] == 0, truth[n], n))
        seen |= near
        layer = {n for n in near if n in hidden}
    return None


__all__ = ["protect_tables"]
