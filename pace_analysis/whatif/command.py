"""``pace whatif``: one council's what-if projection from the command line.

    pace whatif DATA --authority "Fife" --stage recommended --weeks 8
    pace whatif DATA --authority "Fife" --stage panel --hazard-ratio 1.5 --from 2025-01-01

Prints the share reaching permanence within 1, 2 and 4 years (baseline, scenario,
difference with 95% intervals) and the child-weeks of waiting saved in each projection
year; ``--csv FOLDER`` also writes ``whatif_shares.csv`` and ``whatif_waiting.csv``.
The output is for analysts with access to the data: it is **not** disclosure-controlled
(the report section :mod:`pace_analysis.whatif.section` is).
Bad input (unknown authority or stage, a negative number of weeks, a hazard ratio of 0,
a start date before the extract) is one message and exit status 2.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import pandas as pd

from pace_analysis.errors import PaceError
from pace_analysis.whatif.projection import Scenario, what_if


def configure_cli(parser: argparse.ArgumentParser) -> None:
    """Arguments of ``pace whatif``."""
    parser.add_argument("path", help="dataset folder (journeys + placements files)")
    parser.add_argument("--authority", required=True, help="council, as named in the data")
    parser.add_argument("--stage", required=True,
                        help="stage to change: at_home, accommodated, recommended, panel, "
                             "agency_decision or application")
    parser.add_argument("--weeks", type=float, default=0.0,
                        help="weeks taken off each stay in the stage (default 0)")
    parser.add_argument("--hazard-ratio", type=float, default=1.0, metavar="K",
                        help="multiply the stage's hazards of moving on by K (default 1)")
    parser.add_argument("--from", dest="from_date", default=None, metavar="YYYY-MM-DD",
                        help="change only children entering the stage from this date "
                             "(default: the extract date)")
    parser.add_argument("--replicates", type=int, default=1000,
                        help="bootstrap + Monte Carlo replicates (default 1000)")
    parser.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    parser.add_argument("--by", default=None, choices=["age_group"],
                        help="also stratify the hazards by age group")
    parser.add_argument("--no-plan", action="store_true",
                        help="do not split the stages from the recommendation on by planned "
                             "route (hazards by state only)")
    parser.add_argument("--csv", metavar="FOLDER", default=None,
                        help="also write the two tables as CSV files in FOLDER")


def _date(text: str | None):
    if text is None:
        return None
    try:
        return pd.Timestamp(text).date()
    except ValueError:
        raise PaceError(f"--from: {text!r} is not a date (YYYY-MM-DD)") from None


def run_cli(args: argparse.Namespace) -> int:
    """Run ``pace whatif``; returns the exit status."""
    from pace_analysis.io import read_dataset

    scenario = Scenario(args.stage, weeks=args.weeks, hazard_ratio=args.hazard_ratio,
                        from_date=_date(args.from_date))
    if args.weeks == 0 and args.hazard_ratio == 1:
        print("note: --weeks 0 and --hazard-ratio 1 change nothing (the scenario equals the "
              "baseline)")
    ds = read_dataset(Path(args.path))
    r = what_if(ds, args.authority, scenario, replicates=args.replicates, seed=args.seed,
                by=args.by, by_plan=not args.no_plan)
    for note in r.notes:
        print(note)
    print()
    print(format_shares(r.shares))
    print()
    print(format_waiting(r.waiting))
    if args.csv:
        from pace_analysis.csvfiles import write_csv

        out = Path(args.csv)
        out.mkdir(parents=True, exist_ok=True)
        write_csv(r.shares, out / "whatif_shares.csv")
        write_csv(r.waiting, out / "whatif_waiting.csv")
        print(f"\nwrote {out / 'whatif_shares.csv'} and {out / 'whatif_waiting.csv'}")
    return 0


def _pct(x: float, lo: float, hi: float) -> str:
    return f"{100 * x:5.1f}% ({100 * lo:.1f} to {100 * hi:.1f})"


def format_shares(shares: pd.DataFrame) -> str:
    """Text table: share reaching permanence (any route) by population and years."""
    lines = ["Share reaching legal permanence (any route)         baseline"
             "                  scenario                  difference"]
    names = {"new": "starting to be looked after (from their start)",
             "in_care": "in care at the start (from the start date)"}
    for pop, sub in shares[shares["route"] == "permanence"].groupby("population", sort=False):
        for r in sub.itertuples():
            lines.append(f"  {names[pop]:<48} {r.years} y  "
                         f"{_pct(r.baseline, r.baseline_lower, r.baseline_upper):<24}  "
                         f"{_pct(r.scenario, r.scenario_lower, r.scenario_upper):<24}  "
                         f"{100 * r.difference:+.1f} points ({100 * r.difference_lower:+.1f} "
                         f"to {100 * r.difference_upper:+.1f})")
    return "\n".join(lines)


def format_waiting(waiting: pd.DataFrame) -> str:
    """Text table: child-weeks of waiting saved in each projection year."""
    lines = ["Child-weeks of waiting (looked after, not yet permanent), all children"]
    for r in waiting[waiting["outcome"] == "all"].itertuples():
        lines.append(f"  year {r.year} (from {r.year_from}): baseline "
                     f"{r.baseline:,.0f}, scenario {r.scenario:,.0f}, saved {r.saved:,.0f} "
                     f"({r.saved_lower:,.0f} to {r.saved_upper:,.0f})")
    return "\n".join(lines)
