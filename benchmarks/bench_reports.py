"""Benchmark: the batch of authority reports against the floor of bare kernels.

In the same run, on the committed synthetic data (``data/synthetic``):

* floor: N bare kernels (N = the number of authorities, 32 for the full data), run by
  papermill from a thread pool with the same number of workers, each executing a
  notebook that only imports the libraries the report imports (the import lines of the
  report's first code cell) — the baseline every ratio is against;
* warm floor: the same N bare kernels forked from the pre-imported zygote
  (:mod:`pace_analysis.kernelpool`), zygote start included;
* full batch: ``pace report --all --force`` (a fresh process: validation, every kernel,
  HTML export, index and manifest);
* no-change re-run: ``pace report --all`` again (every authority skipped);
* warm batch: ``pace report --all --force --warm`` (kernels forked from the zygote);
* seconds per report in each section of the notebook, from papermill's cell timings in the
  executed notebooks of both batches.

Prints batch ÷ floor (aim <= 1.5), warm batch ÷ floor (moonshot <= 0.5), and the re-run
as a share of the full batch (aim <= 5%).

Usage: ``python benchmarks/bench_reports.py [--quick] [--jobs 2] [--data data/synthetic]``
(``--quick``: 4 authorities and 4 bare kernels).
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import nbformat
import papermill

from pace_analysis import reports

ROOT = Path(__file__).resolve().parents[1]
QUICK = ["Glasgow City", "Fife", "Orkney Islands", "Angus"]


def floor_notebook(path: Path) -> Path:
    """A notebook with the report's parameters cell and only its import lines."""
    report = nbformat.read(reports.DEFAULT_NOTEBOOK, as_version=4)
    params = next(c for c in report.cells if "parameters" in c.metadata.get("tags", []))
    first = next(c for c in report.cells if c.cell_type == "code" and c is not params)
    imports = [ln for ln in first.source.splitlines() if ln.startswith(("import ", "from "))]
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(params.source,
                                                                   metadata=params.metadata),
                                         nbformat.v4.new_code_cell("\n".join(imports))])
    nb.metadata = report.metadata
    nbformat.write(nb, path)
    return path


def run_floor(n: int, jobs: int, folder: Path, warm: bool = False) -> float:
    """Seconds to run *n* bare kernels, *jobs* at once (forked from a zygote when *warm*)."""
    nb = floor_notebook(folder / "floor.ipynb")
    start = time.perf_counter()
    zygote = None
    manager: dict = {}
    if warm:
        from pace_analysis.kernelpool import Zygote, kernel_manager_class

        zygote = Zygote()
        manager = {"kernel_manager_class": kernel_manager_class(zygote)}

    def one(i: int) -> None:
        papermill.execute_notebook(str(nb), str(folder / f"floor_{i}.ipynb"),
                                   parameters={"authority": f"bare {i}"},
                                   kernel_name=reports.KERNEL_NAME, progress_bar=False,
                                   request_save_on_cell_execute=False,
                                   **manager,
                                   extra_arguments=["--IPKernelApp.log_level=CRITICAL"])

    try:
        with ThreadPoolExecutor(max_workers=jobs) as pool:
            list(pool.map(one, range(n)))
    finally:
        if zygote is not None:
            zygote.close()
    return time.perf_counter() - start


def run_cli(args: list[str]) -> float:
    start = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "pace_analysis.cli", "report", *args,
                           "--no-progress"], capture_output=True, text=True, cwd=ROOT)
    elapsed = time.perf_counter() - start
    if proc.returncode != 0:
        sys.exit(f"pace report failed ({proc.returncode}):\n{proc.stdout}\n{proc.stderr}")
    print("   ", proc.stdout.strip().splitlines()[-1])
    return elapsed


# --------------------------------------------------------------------------- sections

_HEADING = re.compile(r"^(#{1,3})\s+(.+?)\s*$", re.MULTILINE)


def _fallback_section_seconds(notebook: Path) -> dict[str, float]:
    """Seconds per section from papermill's cell durations (used until
    ``pace_analysis.report.timing`` is merged): each code cell counts under the last
    Markdown heading (levels 1-3) above it; cells before any heading as "(parameters)"."""
    nb = json.loads(notebook.read_text(encoding="utf-8"))
    out: dict[str, float] = {}
    section = "(parameters)"
    for cell in nb["cells"]:
        src = cell["source"] if isinstance(cell["source"], str) else "".join(cell["source"])
        if cell["cell_type"] == "markdown":
            found = _HEADING.findall(src)
            if found:
                section = found[-1][1]
        elif cell["cell_type"] == "code":
            duration = (cell.get("metadata", {}).get("papermill") or {}).get("duration")
            out[section] = out.get(section, 0.0) + float(duration or 0.0)
    return out


def section_function():
    """The speed helper's ``section_seconds`` if present, else this file's fallback."""
    try:
        from pace_analysis.report.timing import section_seconds
    except ImportError:
        return _fallback_section_seconds, "papermill cell metadata (fallback in this file)"
    return section_seconds, "pace_analysis.report.timing.section_seconds"


def mean_sections(run_dir: Path) -> tuple[dict[str, float], int]:
    """Mean seconds per report in each section, over the executed notebooks of a run."""
    fn, _ = section_function()
    books = sorted(run_dir.glob("*/report.ipynb"))
    total: dict[str, float] = {}
    for book in books:
        for name, seconds in fn(book).items():
            total[name] = total.get(name, 0.0) + float(seconds)
    return {k: v / max(len(books), 1) for k, v in total.items()}, len(books)


_STEPS = re.compile(r"steps: notebook ([0-9.]+)s, export ([0-9.]+)s, audit ([0-9.]+)s")


def mean_steps(run_dir: Path) -> dict[str, float]:
    """Mean seconds per report of the runner's steps, from each build's run.log."""
    rows = [tuple(map(float, m.groups())) for log in sorted(run_dir.glob("*/run.log"))
            for m in [_STEPS.search(log.read_text(encoding="utf-8"))] if m]
    names = ("kernel + cells (papermill)", "HTML export (parent)", "audit (parent)")
    return {n: sum(r[i] for r in rows) / max(len(rows), 1) for i, n in enumerate(names)}


def print_sections(cold: dict[str, float], warm: dict[str, float], n: int) -> None:
    _, source = section_function()
    print(f"seconds per report in each section (mean of {n} reports; {source}):")
    print(f"    {'section':<58} {'cold':>6} {'warm':>6}")
    for name in cold:
        print(f"    {name[:58]:<58} {cold[name]:6.2f} {warm.get(name, float('nan')):6.2f}")
    print(f"    {'all cells':<58} {sum(cold.values()):6.2f} {sum(warm.values()):6.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="4 authorities instead of all")
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--data", default=str(ROOT / "data" / "synthetic"))
    opts = parser.parse_args()

    from pace_analysis.io import read_dataset

    names = QUICK if opts.quick else read_dataset(opts.data).authorities
    who = [a for n in names for a in ("--authority", n)] if opts.quick else ["--all"]
    with tempfile.TemporaryDirectory(prefix="bench-reports-") as tmp:
        tmp = Path(tmp)
        common = [*who, "--data", opts.data, "--out", str(tmp / "reports"),
                  "--jobs", str(opts.jobs)]
        print(f"{len(names)} authorities, {opts.jobs} workers, data {opts.data}")
        floor = run_floor(len(names), opts.jobs, tmp)
        print(f"floor ({len(names)} bare kernels, imports only): {floor:8.1f} s   (baseline)")
        warm_floor = run_floor(len(names), opts.jobs, tmp, warm=True)
        print(f"warm floor (same, forked from the zygote):   {warm_floor:8.1f} s")
        full = run_cli([*common, "--run", "cold", "--force"])
        print(f"full batch (pace report, --force):           {full:8.1f} s")
        again = run_cli([*common, "--run", "cold"])
        print(f"no-change re-run (pace report):              {again:8.1f} s")
        warm = run_cli([*common, "--run", "warm", "--force", "--warm"])
        print(f"warm batch (pace report --force --warm):     {warm:8.1f} s")
        cold_s, n = mean_sections(tmp / "reports" / "cold")
        warm_s, _ = mean_sections(tmp / "reports" / "warm")
        print_sections(cold_s, warm_s, n)
        cold_steps, warm_steps = (mean_steps(tmp / "reports" / r) for r in ("cold", "warm"))
        print("runner steps, seconds per report (mean; from run.log):")
        for name in cold_steps:
            print(f"    {name:<58} {cold_steps[name]:6.2f} {warm_steps[name]:6.2f}")
        print(f"warm floor / floor       = {warm_floor / floor:.2f}")
        print(f"batch / floor            = {full / floor:.2f}   (aim <= 1.5)")
        print(f"warm batch / floor       = {warm / floor:.2f}   (moonshot <= 0.5)")
        print(f"warm batch / batch       = {warm / full:.2f}")
        print(f"re-run / full batch      = {100 * again / full:.1f}%  (aim <= 5%)")
        # Seconds per report in each section (papermill's cell timings), so regressions show.
        from pace_analysis.report.timing import format_run_sections

        print("seconds per report in each section, mean / min / max over the full batch:")
        print(format_run_sections(tmp / "reports" / "cold"))


if __name__ == "__main__":
    main()
