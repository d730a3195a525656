"""The data contract: columns of the ``journeys`` and ``placements`` tables.

A *journey* is one period of being looked after (one row per journey); a *placement*
is one stay in one setting within a journey. ``data/synthetic/README.md`` documents
these columns for people and a test keeps it in step with this module; validation
(:mod:`pace_analysis.validation`) enforces them. Allowed codes for routes, exit
reasons, placement types and legal bases come from the route set in force
(:mod:`pace_analysis.routes`), so ``allowed`` names a route-set attribute for those.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Column:
    """One column of the contract.

    Attributes
    ----------
    name : str
        Column header, exactly as in the file.
    kind : str
        ``"id"`` (non-empty text), ``"text"``, ``"date"`` (ISO ``YYYY-MM-DD``) or
        ``"code"`` (one of a fixed list).
    required : bool
        True if the column must be present *and* non-empty on every row. Optional
        columns must still be present in the file (they may be empty).
    allowed : str or tuple of str or None
        For codes: a tuple of values, or the name of a :class:`~pace_analysis.routes.RouteSet`
        attribute (``"route_codes"``, ``"exit_reasons"``, ``"placement_types"``,
        ``"legal_bases"``), or ``"authorities"`` for council names.
    description : str
        Meaning, for the data dictionary.
    """

    name: str
    kind: str
    required: bool
    allowed: str | tuple[str, ...] | None
    description: str


SEXES: tuple[str, ...] = ("female", "male", "unknown")

JOURNEY_COLUMNS: tuple[Column, ...] = (
    Column("journey_id", "id", True, None, "Unique identifier of this period of being looked after."),
    Column("child_id", "id", True, None, "Pseudonymous child identifier; a child may have several journeys."),
    Column("authority", "code", True, "authorities", "Council responsible (official name, e.g. 'Glasgow City')."),
    Column("sex", "code", True, SEXES, "Sex recorded for the child."),
    Column("date_of_birth", "date", True, None, "Date of birth. Never shown in reports; used for age at start only."),
    Column("looked_after_date", "date", True, None, "Date the journey began (clock start): CSO or accommodation."),
    Column("legal_basis", "code", True, "legal_bases", "Legal basis at the start: 'cso' (Compulsory Supervision Order), 's25' (voluntary), 'other'."),
    Column("accommodated_date", "date", False, None, "First day away from home; empty if looked after at home throughout."),
    Column("permanence_recommendation_date", "date", False, None, "Looked-after review recommending a permanence route (a return home counts)."),
    Column("planned_route", "code", False, "route_codes", "Route named by the permanence plan."),
    Column("panel_date", "date", False, None, "Permanence/adoption panel."),
    Column("adm_decision_date", "date", False, None, "Agency decision maker's decision."),
    Column("application_lodged_date", "date", False, None, "Application lodged in court (permanence order or adoption)."),
    Column("permanence_route", "code", False, "route_codes", "Route by which legal permanence was first reached; empty if not (yet) reached."),
    Column("permanence_date", "date", False, None, "Date of first legal permanence (the event). Set if and only if permanence_route is set."),
    Column("exit_date", "date", False, None, "Date the child stopped being looked after; empty if still looked after at the extract date."),
    Column("exit_reason", "code", False, "exit_reasons", "Why the journey ended: 'permanence' (home, kinship order or adoption ended it) or a non-permanence exit ('aged_out', 'transferred', 'died', 'other'). Set if and only if exit_date is set."),
    Column("extract_date", "date", True, None, "Date the data were extracted: every journey still open is censored here."),
)

PLACEMENT_COLUMNS: tuple[Column, ...] = (
    Column("journey_id", "id", True, None, "Journey this placement belongs to (must exist in journeys)."),
    Column("start_date", "date", True, None, "First day of the placement."),
    Column("end_date", "date", False, None, "Last day of the placement; empty if ongoing at the extract date."),
    Column("placement_type", "code", True, "placement_types", "Setting: home, kinship, foster, residential, prospective_adopters, other."),
)

TABLES: dict[str, tuple[Column, ...]] = {"journeys": JOURNEY_COLUMNS, "placements": PLACEMENT_COLUMNS}

#: Milestones in their usual order; stage durations are measured between consecutive ones.
MILESTONES: tuple[str, ...] = (
    "looked_after_date",
    "accommodated_date",
    "permanence_recommendation_date",
    "panel_date",
    "adm_decision_date",
    "application_lodged_date",
    "permanence_date",
)

DATE_COLUMNS: dict[str, tuple[str, ...]] = {
    table: tuple(c.name for c in cols if c.kind == "date") for table, cols in TABLES.items()
}


@dataclass(frozen=True)
class Rule:
    """A validation rule, for the data dictionary and for problem reports."""

    id: str
    severity: str
    description: str


#: Every rule validation applies. ``data/synthetic/README.md`` lists them; a test checks both agree.
RULES: tuple[Rule, ...] = (
    Rule("file_missing", "error", "The journeys or placements file is missing."),
    Rule("file_empty", "error", "The file is empty or has a header but no rows."),
    Rule("encoding", "error", "The file is not valid UTF-8 text."),
    Rule("file_too_large", "error", "The file is beyond the sizes pace reads (table over 2 GB, a line over 1 MB, or a compressed file expanding over 50 times)."),
    Rule("blank_lines", "error", "The file holds more empty lines than 10,000 plus its lines with values."),
    Rule("csv_syntax", "error", "A CSV line cannot be split into fields (an unbalanced quote, or more fields than the header)."),
    Rule("separator", "error", "The header is separated by semicolons, tabs or '|' instead of commas."),
    Rule("column_repeated", "error", "A column name appears twice in the header."),
    Rule("column_type", "error", "A Parquet column holds lists, structures or bytes that are not UTF-8 text."),
    Rule("meta_invalid", "error", "dataset.yaml has a value of the wrong kind (e.g. a window start that is not a date)."),
    Rule("column_missing", "error", "A column of the contract is absent from the header."),
    Rule("column_unknown", "warning", "The header has a column the contract does not define (ignored)."),
    Rule("required", "error", "A required value is empty."),
    Rule("date_parse", "error", "A date is not a real calendar date in ISO form YYYY-MM-DD."),
    Rule("date_range", "error", "A date is before 1900-01-01 or after the extract date."),
    Rule("code_unknown", "error", "A code is not one of the allowed values for its column."),
    Rule("authority_unknown", "error", "The authority is not one of the known councils."),
    Rule("duplicate_id", "error", "A journey_id appears more than once."),
    Rule("before_birth", "error", "looked_after_date is before date_of_birth."),
    Rule("before_start", "error", "A milestone, permanence or exit date is before looked_after_date."),
    Rule("after_exit", "error", "A milestone or permanence date is after exit_date."),
    Rule("pair_incomplete", "error", "permanence_route/permanence_date or exit_date/exit_reason: one set without the other."),
    Rule("permanence_continues", "error", "A route that ends being looked after (all but a permanence order) is followed by a later non-permanence exit, or the journey stays open."),
    Rule("extract_date_future", "error", "extract_date is after the day of the check."),
    Rule("child_overlap", "error", "The same child_id has two journeys that overlap in time."),
    Rule("child_inconsistent", "warning", "The same child_id has different dates of birth or sexes in different journeys."),
    Rule("permanence_exit", "error", "exit_reason 'permanence' without a permanence route, or with a permanence_date that differs from exit_date."),
    Rule("extract_date_mixed", "warning", "extract_date differs between rows (each journey is censored at its own)."),
    Rule("milestone_order", "warning", "Milestones are out of their usual order (e.g. panel before the recommendation)."),
    Rule("age_over_18", "warning", "The child was 18 or over at looked_after_date."),
    Rule("placement_journey_unknown", "error", "A placement's journey_id is not in journeys."),
    Rule("placement_end_before_start", "error", "A placement ends before it starts."),
    Rule("placement_outside_journey", "error", "A placement starts before its journey or ends after the journey's exit or extract date."),
    Rule("placement_overlap", "warning", "Two placements of the same journey overlap by more than one day."),
)
