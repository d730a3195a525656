"""What disclosure control costs: cells hidden, and the audit's time against the batch.

On the committed synthetic data, in one process, for every authority:

* the report's count tables (:func:`pace_analysis.report.sections.tables`), suppressed over
  the whole report (:mod:`pace_analysis.report.protect`): count cells, cells hidden by
  primary and by secondary suppression, the share of count cells lost;
* baseline, measured in the same run: the per-table suppression the notebook used before
  (``suppress_counts`` row/column lines, one table at a time), which the audit shows to
  leak; printed for comparison.

With ``--run RUN_DIR`` (a finished ``pace report --all`` run) it also times
``pace_analysis.audit.audit_run`` on it and prints that time as a ratio of the batch's own
time (``manifest.json``, the baseline).

Usage: ``python benchmarks/bench_disclosure.py [--run reports/latest] [--data data/synthetic]``
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from pace_analysis import cohort, headline, reporting  # noqa: E402
from pace_analysis.disclosure import suppress_counts  # noqa: E402
from pace_analysis.io import read_dataset  # noqa: E402
from pace_analysis.report import ReportContext, sections  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
#: How the notebook suppressed each table before the report layer: totals, one table at a time.
OLD_TOTALS = {"share_by_years": None, "median_by_age_group": "columns", "routes_by_years": "columns",
              "stage_durations": "columns", "pace_aims": "columns", "placement_moves": "columns",
              "funnel": None}


def old_hidden(table, threshold: int, population: int) -> int:
    cols = [c.name for c in table.by_role("count")]
    res = suppress_counts(table.data, cols, threshold, totals=OLD_TOTALS[table.name],
                          suppress_zero=population < threshold)
    return int(res.mask[cols].to_numpy().sum())


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", default=str(ROOT / "data" / "synthetic"))
    ap.add_argument("--run", default=None, help="a finished run folder to audit")
    ap.add_argument("--threshold", type=int, default=5)
    ap.add_argument("--batch-seconds", type=float, default=None,
                    help="the batch's time when the run was built by several invocations")
    args = ap.parse_args()
    dataset = read_dataset(args.data)
    window = reporting.study_window(dataset)
    frame = cohort.build_frame(dataset, window=window)
    national = reporting.national_label(dataset)
    totals = {"counts": 0, "primary": 0, "secondary": 0, "old": 0}
    protect_seconds = 0.0
    rows = []
    for name in dataset.authorities:
        ctx = ReportContext(name, dataset, frame, window, args.threshold, Path("/nonexistent"), national)
        numbers = headline.headline_numbers(frame, name, args.threshold, window, national)
        _title, fig, funnel_row = sections.funnel(ctx)
        plt.close(fig)
        built = {t.name: t for t in (sections.share_by_years(ctx), sections.median_by_age_group(ctx),
                                     sections.routes_by_years(ctx), sections.stage_durations(ctx),
                                     sections.pace_aims(ctx), sections.placement_moves(ctx), funnel_row)}
        old = sum(old_hidden(t, args.threshold, t.population or 0) for t in built.values())
        from pace_analysis.report.protect import protect_tables

        started = time.perf_counter()
        got = protect_tables(built, args.threshold, slug=ctx.slug, area=name, national=national,
                             summary=numbers)
        protect_seconds += time.perf_counter() - started
        got["old"] = old
        rows.append((name, got))
        for k in totals:
            totals[k] += got[k]
    hidden = totals["primary"] + totals["secondary"]
    print(f"{len(rows)} authorities, {totals['counts']:,} count cells in their tables")
    print(f"  hidden: {hidden} ({totals['primary']} primary, {totals['secondary']} secondary) = "
          f"{hidden / totals['counts']:.2%} of count cells lost")
    print(f"  baseline (per-table suppression, before): {totals['old']} hidden "
          f"({totals['old'] / totals['counts']:.2%}); ratio now/before = {hidden / max(totals['old'], 1):.2f}")
    print(f"  secondary suppression over the whole report: {protect_seconds:.1f}s for all authorities")
    worst = sorted(rows, key=lambda r: -(r[1]["primary"] + r[1]["secondary"]))[:3]
    print("  most hidden: " + "; ".join(f"{n} {g['primary']}+{g['secondary']}" for n, g in worst))
    if args.run:
        from pace_analysis.audit import audit_run

        started = time.perf_counter()
        result = audit_run(args.run)
        seconds = time.perf_counter() - started
        batch = args.batch_seconds or json.loads(
            (Path(args.run) / "manifest.json").read_text(encoding="utf-8"))["seconds"]
        print(f"audit of {args.run}: {len(result.protected)} protected cells, "
              f"{'all safe' if result.ok else f'{len(result.findings)} UNSAFE'}; "
              f"{seconds:.1f}s = {seconds / batch:.3f} x the batch ({batch:.0f}s, baseline)")


if __name__ == "__main__":
    main()
