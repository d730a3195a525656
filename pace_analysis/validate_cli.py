"""``pace validate PATH``: read a dataset, print every problem, exit 2 on any error.

The command-line front end of :mod:`pace_analysis.validation` (kept apart so that the
modules run one way: problems, crosschecks, validation, io, then this one).
"""

from __future__ import annotations

import argparse
import csv
import io
from pathlib import Path

from pace_analysis.errors import DataValidationError, PaceError, Problem
from pace_analysis.io import read_dataset
from pace_analysis.writing import write_text_atomic

# --------------------------------------------------------------------------- CLI


def configure_cli(parser: argparse.ArgumentParser) -> None:
    """Arguments of ``pace validate``."""
    parser.add_argument("path", help="dataset folder (journeys + placements files) or .xlsx workbook")
    parser.add_argument("--routes", metavar="NAME_OR_YAML", default=None,
                        help="route set: bundled name (scotland, england) or a YAML file; "
                             "default: dataset.yaml's route_set, else scotland")
    parser.add_argument("--max-problems", type=int, default=50, metavar="N",
                        help="print at most N problems (default 50); all are counted")
    parser.add_argument("--problems-csv", metavar="FILE", default=None,
                        help="also write every problem to this CSV file")


def write_problems_csv(problems: list[Problem], path: str | Path) -> Path:
    """Write problems to a CSV file (atomically: temporary file, then rename)."""
    path = Path(path)
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["severity", "file", "row", "column", "value", "rule", "message"])
    for p in problems:
        w.writerow([p.severity, p.file, "" if p.row is None else p.row, p.column or "",
                    "" if p.value is None else p.value, p.rule, p.message])
    write_text_atomic(path, buf.getvalue())
    return path


def _print_problems(problems: list[Problem], limit: int) -> None:
    shown = problems[: max(limit, 0)]
    for p in shown:
        print(p.format())
    if len(problems) > len(shown):
        print(f"... and {len(problems) - len(shown)} more problem(s) not shown "
              "(use --max-problems or --problems-csv)")


def summary(dataset) -> str:
    """A short national summary of a valid dataset, for ``pace validate``."""
    j, rs = dataset.journeys, dataset.route_set
    lad, ext = j["looked_after_date"], j["extract_date"]
    extracts = sorted({f"{d:%Y-%m-%d}" for d in ext.dropna().unique()})
    extract = extracts[0] if len(extracts) == 1 else f"{extracts[0]} to {extracts[-1]} (mixed)"
    lines = [
        f"{'journeys':<28}{len(j):>10,}",
        f"{'children':<28}{j['child_id'].nunique():>10,}",
        f"{'authorities':<28}{j['authority'].nunique():>10,}",
        f"{'placements':<28}{len(dataset.placements):>10,}",
        f"{'looked after from':<28}{lad.min():%Y-%m-%d} to {lad.max():%Y-%m-%d}",
        f"{'extract date':<28}{extract}",
        "permanence reached, by route:",
    ]
    counts = j["permanence_route"].value_counts()
    for code in rs.route_codes:
        lines.append(f"  {rs.label_of(code):<26}{int(counts.get(code, 0)):>10,}")
    lines.append(f"  {'not (yet) reached':<26}{int(j['permanence_route'].isna().sum()):>10,}")
    lines.append(f"{'warnings':<28}{len(dataset.warnings):>10,}")
    return "\n".join(lines)


def run_cli(args: argparse.Namespace) -> int:
    """Run ``pace validate``: print problems, exit 2 on any error, else a summary and 0."""
    try:
        dataset = read_dataset(args.path, route_set=args.routes)
    except DataValidationError as exc:
        problems = exc.problems
        if args.problems_csv:
            write_problems_csv(problems, args.problems_csv)
        _print_problems(problems, args.max_problems)
        n_err = sum(p.severity == "error" for p in problems)
        n_warn = len(problems) - n_err
        raise PaceError(f"{args.path} is not valid: {n_err} error(s), {n_warn} warning(s)") \
            from None
    if args.problems_csv:
        write_problems_csv(dataset.warnings, args.problems_csv)
    _print_problems(dataset.warnings, args.max_problems)
    print(f"{args.path}: valid (route set {dataset.route_set.name})")
    print(summary(dataset))
    return 0
