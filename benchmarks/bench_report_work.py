"""Benchmark: one council's report, this tree against a baseline revision, section by section.

In the same run, interleaved (baseline, this tree, this tree, baseline, ...) so that a
machine loaded by other work slows both alike, for each authority asked for:

* ``build``: the report's wall time as ``pace report`` records it (kernel start, every
  cell, HTML export, disclosure audit);
* ``work``: the sum of the notebook's cell durations (papermill's own timings: the
  report's work inside the kernel, without the kernel's start-up);
* seconds per report section (:func:`pace_analysis.report.timing.section_table`).

Each figure is the best of ``--repeat`` runs (least disturbed by load); the ratios are this
tree ÷ the baseline. The baseline is exported with ``git archive`` into a temporary folder and
run with the same Python (its package first on ``PYTHONPATH``), on the same data.

Usage: ``python benchmarks/bench_report_work.py [--baseline REV] [--authority "Glasgow City"]
[--repeat 3] [--quick]`` (default baseline ``HEAD``: the last commit against the working tree;
``--quick``: Orkney Islands only, one run each).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from pace_analysis.authorities import slugify
from pace_analysis.report.timing import format_table, notebook_seconds, section_table

ROOT = Path(__file__).resolve().parents[1]


def export(rev: str, folder: Path) -> Path:
    """The tree of *rev* as plain files under *folder* (no git metadata is touched)."""
    folder.mkdir(parents=True)
    archive = subprocess.run(["git", "-C", str(ROOT), "archive", rev], check=True, capture_output=True)
    subprocess.run(["tar", "-x", "-C", str(folder)], input=archive.stdout, check=True)
    return folder


def run(tree: Path, authorities: list[str], out: Path, name: str) -> dict:
    """One ``pace report`` of *authorities* from *tree*: {authority: (build s, work s, nb path)}."""
    env = {**os.environ, "PYTHONPATH": str(tree)}
    args = [sys.executable, "-m", "pace_analysis.cli", "report", "--data", str(ROOT / "data" / "synthetic"),
            "--out", str(out), "--run", name, "--jobs", "1", "--force", "--no-progress"]
    for a in authorities:
        args += ["--authority", a]
    proc = subprocess.run(args, cwd=tree, env=env, capture_output=True, text=True)
    if proc.returncode != 0:
        sys.exit(f"pace report failed in {tree}:\n{proc.stdout}\n{proc.stderr}")
    manifest = json.loads((out / name / "manifest.json").read_text(encoding="utf-8"))
    seconds = {r["authority"]: float(r["seconds"]) for r in manifest["authorities"]}
    result = {}
    for a in authorities:
        nb = out / name / slugify(a) / "report.ipynb"
        result[a] = (seconds[a], notebook_seconds(nb), nb)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--baseline", default="HEAD", help="git revision to compare with (default HEAD)")
    parser.add_argument("--authority", action="append", default=None)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--quick", action="store_true", help="Orkney Islands, one run each")
    opts = parser.parse_args()
    authorities = opts.authority or (["Orkney Islands"] if opts.quick else ["Glasgow City", "Orkney Islands"])
    if opts.quick:
        opts.repeat = 1
    with tempfile.TemporaryDirectory(prefix="bench-report-work-") as tmp:
        tmp = Path(tmp)
        trees = {"baseline": export(opts.baseline, tmp / "baseline"), "this tree": ROOT}
        runs: dict[str, list[dict]] = {"baseline": [], "this tree": []}
        for i in range(opts.repeat):
            order = ["baseline", "this tree"] if i % 2 == 0 else ["this tree", "baseline"]
            for variant in order:
                runs[variant].append(run(trees[variant], authorities, tmp / "out",
                                         f"{variant.replace(' ', '-')}-{i}"))
        print(f"baseline {opts.baseline} against this tree; best of {opts.repeat}, interleaved")
        print(f"{'authority':<20}{'build base':>11}{'build now':>11}{'ratio':>7}"
              f"{'work base':>11}{'work now':>10}{'ratio':>7}")
        best = {}
        for a in authorities:
            b = {v: min(r[a][0] for r in runs[v]) for v in runs}
            w = {v: min(r[a][1] for r in runs[v]) for v in runs}
            best[a] = {v: min(runs[v], key=lambda r, a=a: r[a][1])[a][2] for v in runs}
            print(f"{a:<20}{b['baseline']:>11.1f}{b['this tree']:>11.1f}"
                  f"{b['this tree'] / b['baseline']:>7.2f}{w['baseline']:>11.1f}"
                  f"{w['this tree']:>10.1f}{w['this tree'] / w['baseline']:>7.2f}")
        print("\nseconds per report section (the run with the least work of each):")
        table = section_table([(f"{a[:9]} {'base' if v == 'baseline' else 'now'}", nb)
                               for a in authorities for v, nb in best[a].items()])
        print(format_table(table))


if __name__ == "__main__":
    main()
