"""Importers: real extracts (England's SSDA903, Scottish CLAS-style) into the journey contract.

``pace import ssda903 --header H.csv --episodes E.csv --out DIR`` and
``pace import clas --children C.csv --episodes E.csv --placements P.csv
--legal-reasons L.csv --out DIR``. Both print how many rows were read, accepted,
rejected and left out per file, write the dataset through
:func:`pace_analysis.io.write_dataset` and every rejected row to ``DIR/rejects.csv``.
A fatal problem (unreadable file, missing or swapped columns, nothing accepted) exits
with status 2 and writes nothing. See ``docs/importers.md``.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from pace_analysis.errors import PaceError

REJECTS_FILE = "rejects.csv"


def configure_cli(parser: argparse.ArgumentParser) -> None:
    """Add the ``ssda903`` and ``clas`` sub-commands to ``pace import``."""
    sub = parser.add_subparsers(dest="format", required=True, metavar="FORMAT")
    e = sub.add_parser("ssda903", help="England's SSDA903 return (Header + Episodes CSVs)",
                       description="Import SSDA903 Header and Episodes files of one or more "
                                   "return years into a dataset folder (route set england).")
    e.add_argument("--header", nargs="+", required=True, metavar="CSV", help="Header file(s)")
    e.add_argument("--episodes", nargs="+", required=True, metavar="CSV", help="Episodes file(s)")
    e.add_argument("--out", required=True, metavar="DIR", help="dataset folder to write")
    e.add_argument("--year", nargs="+", metavar="YYYY/YY",
                   help="return year of each episodes file, or one for all "
                        "(default: from the file name; a file whose name holds no year is read "
                        "as a multi-year extract, each episode by its own year)")
    e.add_argument("--authority", metavar="NAME", help="authority name (default 'England')")
    e.add_argument("--extract-date", metavar="DATE",
                   help="censoring date, dd/mm/yyyy or YYYY-MM-DD (default 31 March of the latest year)")
    e.add_argument("--codes", metavar="YAML", help="code lists and mappings (default: bundled)")
    e.add_argument("--older-years-as", metavar="YYYY/YY",
                   help="use this year's code list for return years the code lists do not cover")
    e.add_argument("--format", dest="out_format", default="csv",
                   choices=("csv", "csv.gz", "parquet", "xlsx"), help="output file format")

    c = sub.add_parser("clas", help="Scottish CLAS-style extract (children, episodes, "
                                    "placements, legal reasons)",
                       description="Import a CLAS-style extract through a YAML code map.")
    c.add_argument("--children", required=True, metavar="CSV")
    c.add_argument("--episodes", required=True, metavar="CSV")
    c.add_argument("--placements", required=True, metavar="CSV")
    c.add_argument("--legal-reasons", required=True, metavar="CSV")
    c.add_argument("--out", required=True, metavar="DIR", help="dataset folder to write")
    c.add_argument("--code-map", metavar="YAML",
                   help="column names and codes (default: the bundled clas_codes.yaml)")
    c.add_argument("--extract-date", metavar="DATE",
                   help="censoring date (default: 31 July on or after the latest date)")
    c.add_argument("--format", dest="out_format", default="csv",
                   choices=("csv", "csv.gz", "parquet", "xlsx"), help="output file format")


def _report(result, out: Path | None) -> None:
    counts = result.counts
    width = max(len(str(f)) for f in counts["file"])
    print(f"{'file':<{width}}  {'rows read':>10} {'accepted':>10} {'rejected':>10} {'left out':>10}")
    for r in counts.itertuples(index=False):
        print(f"{r.file:<{width}}  {r.read:>10} {r.accepted:>10} {r.rejected:>10} {r.left_out:>10}")
    tot = counts[["read", "accepted", "rejected", "left_out"]].sum()
    print(f"{'total':<{width}}  {tot['read']:>10} {tot['accepted']:>10} {tot['rejected']:>10}"
          f" {tot['left_out']:>10}")
    for note in result.notes:
        print(f"note: {note}")
    if not result.rejects.empty:
        by_rule = result.rejects.groupby("rule").size().sort_values(ascending=False)
        print("rejects by rule: " + ", ".join(f"{k} {v}" for k, v in by_rule.items()))
    ds = result.dataset
    if out is not None:
        print(f"wrote {len(ds.journeys)} journeys and {len(ds.placements)} placements to {out}"
              f" (route set {ds.route_set.name}); rejects in {out / REJECTS_FILE}")


def write_result(result, out_dir: str | Path, fmt: str = "csv") -> Path:
    """Write an import's dataset (atomically, via ``io.write_dataset``) and its rejects CSV."""
    from pace_analysis.io import write_dataset

    rejects = result.rejects.to_csv(index=False, lineterminator="\n").encode("utf-8")
    return write_dataset(result.dataset, out_dir, fmt=fmt, extra_files={REJECTS_FILE: rejects})


def _inputs(args: argparse.Namespace) -> list[str]:
    if args.format == "ssda903":
        files = [*args.header, *args.episodes]
    else:
        files = [args.children, args.episodes, args.placements, args.legal_reasons]
    extra = [getattr(args, "codes", None), getattr(args, "code_map", None)]
    return files + [f for f in extra if f]


def run_cli(args: argparse.Namespace) -> int:
    """Run ``pace import FORMAT ...``; returns the exit status."""
    from pace_analysis.writing import check_writable, refuse_inputs

    refuse_inputs(args.out, _inputs(args))
    out = Path(args.out)
    if out.exists() and not out.is_dir():
        raise PaceError(f"--out {args.out} exists and is not a folder")
    check_writable(next(p for p in [out, *out.parents] if p.exists()), need=8 << 20,
                   what="--out folder")
    if args.format == "ssda903":
        from pace_analysis.importers.ssda903 import import_ssda903

        result = import_ssda903(args.header, args.episodes, years=args.year,
                                authority=args.authority, extract_date=args.extract_date,
                                codes=args.codes, older_years_as=args.older_years_as)
    else:
        from pace_analysis.importers.clas import import_clas

        result = import_clas(args.children, args.episodes, args.placements, args.legal_reasons,
                             code_map=args.code_map, extract_date=args.extract_date)
    out = write_result(result, args.out, args.out_format)
    _report(result, out)
    sys.stdout.flush()
    return 0
