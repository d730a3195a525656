"""``pace evaluate``: did joining PACE change the measures? (event study across councils)."""

from __future__ import annotations

import argparse
import os
import tempfile
from pathlib import Path

import pandas as pd

from pace_analysis.errors import PaceError
from pace_analysis.evaluation.inference import randomisation_test
from pace_analysis.evaluation.panel import (
    EVALUATION_MEASURES,
    council_weights,
    evaluation_panel,
    join_years,
    true_effects,
    wide,
)
from pace_analysis.evaluation.study import WINDOW, evaluate


def configure_cli(parser: argparse.ArgumentParser) -> None:
    """Arguments of ``pace evaluate``."""
    parser.add_argument("dataset", nargs="?", default="data/synthetic",
                        help="dataset folder (default data/synthetic)")
    parser.add_argument("--out", metavar="DIR",
                        help="write event_study.csv and overall.csv into DIR")
    parser.add_argument("--figure", metavar="PNG", help="save the event-study figure")
    parser.add_argument("--measure", action="append", choices=list(EVALUATION_MEASURES),
                        help="measure to evaluate (repeatable; default all three)")
    parser.add_argument("--n-boot", type=int, default=1999,
                        help="wild cluster bootstrap replicates (default 1999)")
    parser.add_argument("--seed", type=int, default=0, help="bootstrap seed (default 0)")
    parser.add_argument("--weights", choices=["webb", "rademacher"], default="webb",
                        help="bootstrap weights (default webb)")
    parser.add_argument("--unweighted", action="store_true",
                        help="weigh councils equally instead of by their children")
    parser.add_argument("--permutations", type=int, default=0, metavar="N",
                        help="also a randomisation test of no effect: join years reassigned "
                             "to councils at random N times (default 0: none)")
    parser.add_argument("--truth", action="store_true",
                        help="synthetic data only: add the true effect from the generator's "
                             "counterfactual twin (same seed and scale, no PACE effect)")


def _truth(dataset, panel: pd.DataFrame) -> pd.DataFrame:
    from pace_analysis.synthetic import generate_twins

    meta = dataset.meta
    if meta.get("source") != "synthetic" or "seed" not in meta:
        raise PaceError("--truth needs a synthetic dataset (its dataset.yaml names the seed)")
    with_pace, twin = generate_twins(seed=int(meta["seed"]), scale=float(meta["scale"]))
    if len(with_pace.journeys) != len(dataset.journeys):
        raise PaceError("--truth: the dataset is not what its seed and scale generate "
                        "(was it edited, or made with other options?)")
    return true_effects(panel, evaluation_panel(twin, sorted(set(panel["measure"]))))


def _p(p: float) -> str:
    return "p < 0.001" if p < 0.001 else f"p = {p:.3f}"


def _write_csv(frame: pd.DataFrame, path: Path) -> None:
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as fh:
            frame.to_csv(fh, index=False, float_format="%.6g", lineterminator="\n")
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def run_cli(args: argparse.Namespace) -> int:
    """Run ``pace evaluate``: print the overall effects; optionally write tables and figure."""
    from pace_analysis.io import read_dataset

    if args.n_boot < 99:
        raise PaceError(f"--n-boot must be at least 99, not {args.n_boot}")
    if args.permutations < 0:
        raise PaceError(f"--permutations must be 0 or more, not {args.permutations}")
    dataset = read_dataset(args.dataset)
    measures = args.measure or list(EVALUATION_MEASURES)
    panel = evaluation_panel(dataset, measures)
    results = evaluate(panel, measures, weighted=not args.unweighted, n_boot=args.n_boot,
                       kind=args.weights, seed=args.seed)
    truth = _truth(dataset, panel) if args.truth else None
    events, overall = [], []
    for m, res in results.items():
        ev, ov = res.event_study.copy(), res.overall.copy()
        if truth is not None:
            cells = res.cells.true_cells(wide(truth, m))
            ev["truth"] = res.cells.aggregate("event", WINDOW).matrix @ cells
            ov["truth"] = res.cells.aggregate("overall", WINDOW).matrix @ cells
        events.append(ev.assign(measure=m))
        overall.append(ov.assign(measure=m))
    print(f"Effect of joining PACE ({'weighted by children' if not args.unweighted else 'councils equally'}; "
          f"not-yet-treated and never-treated councils as controls; wild cluster bootstrap-t, "
          f"{args.n_boot} {args.weights} replicates)")
    for ov in overall:
        r = ov.iloc[0]
        spec = EVALUATION_MEASURES[r["measure"]]
        k = 100.0 if spec.unit == "share" else 1.0
        unit = " points" if spec.unit == "share" else " days"
        line = (f"  {spec.label}: {r['estimate'] * k:+.1f}{unit} "
                f"(95% CI {r['ci_low'] * k:+.1f} to {r['ci_high'] * k:+.1f}; {_p(r['p_value'])})")
        if args.permutations:
            ri = randomisation_test(wide(panel, r["measure"]), join_years(),
                                    None if args.unweighted else council_weights(panel, r["measure"]),
                                    spec.anticipation, WINDOW, args.permutations, args.seed)
            ov["randomisation_p"] = ri["p_value"]
            line += f"; randomisation {_p(ri['p_value'])} ({ri['n_perm']} permutations)"
        if "truth" in ov:
            line += f"; true effect {r['truth'] * k:+.1f}"
        print(line)
    if args.out:
        out = Path(args.out)
        out.mkdir(parents=True, exist_ok=True)
        _write_csv(pd.concat(events, ignore_index=True), out / "event_study.csv")
        _write_csv(pd.concat(overall, ignore_index=True), out / "overall.csv")
    if args.figure:
        import matplotlib

        matplotlib.use("Agg")
        from pace_analysis.evaluation.plot import event_study_figure

        fig = event_study_figure({e["measure"].iloc[0]: e for e in events})
        path = Path(args.figure)
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.stem}.", suffix=".png", dir=path.parent)
        os.close(fd)
        try:
            fig.savefig(tmp, dpi=110, metadata={"Software": None})
            os.chmod(tmp, 0o644)
            os.replace(tmp, path)
        finally:
            if os.path.exists(tmp):
                os.unlink(tmp)
        print(f"figure written to {path}")
    return 0
