"""Benchmark: the batch of authority reports against the floor of bare kernels.

In the same run, on the committed synthetic data (``data/synthetic``):

* floor: N bare kernels (N = the number of authorities, 32 for the full data), run by
  papermill from a thread pool with the same number of workers, each executing a
  notebook that only imports the libraries the report imports (the import lines of the
  report's first code cell);
* full batch: ``pace report --all --force`` (a fresh process: validation, every kernel,
  HTML export, index and manifest);
* no-change re-run: ``pace report --all`` again (every authority skipped).

Prints the batch time ÷ the floor (aim <= 1.5) and the re-run as a share of the full
batch (aim <= 5%).

Usage: ``python benchmarks/bench_reports.py [--quick] [--jobs 2] [--data data/synthetic]``
(``--quick``: 4 authorities and 4 bare kernels).
"""

from __future__ import annotations

import argparse
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


def run_floor(n: int, jobs: int, folder: Path) -> float:
    nb = floor_notebook(folder / "floor.ipynb")

    def one(i: int) -> None:
        papermill.execute_notebook(str(nb), str(folder / f"floor_{i}.ipynb"),
                                   parameters={"authority": f"bare {i}"},
                                   kernel_name=reports.KERNEL_NAME, progress_bar=False,
                                   request_save_on_cell_execute=False,
                                   extra_arguments=["--IPKernelApp.log_level=CRITICAL"])

    start = time.perf_counter()
    with ThreadPoolExecutor(max_workers=jobs) as pool:
        list(pool.map(one, range(n)))
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
        common = [*who, "--data", opts.data, "--out", str(tmp / "reports"), "--run", "bench",
                  "--jobs", str(opts.jobs)]
        print(f"{len(names)} authorities, {opts.jobs} workers, data {opts.data}")
        floor = run_floor(len(names), opts.jobs, tmp)
        print(f"floor ({len(names)} bare kernels, imports only): {floor:8.1f} s")
        full = run_cli([*common, "--force"])
        print(f"full batch (pace report, --force):          {full:8.1f} s")
        again = run_cli(common)
        print(f"no-change re-run (pace report):             {again:8.1f} s")
        print(f"batch / floor            = {full / floor:.2f}   (aim <= 1.5)")
        print(f"re-run / full batch      = {100 * again / full:.1f}%  (aim <= 5%)")
        # Seconds per report in each section (papermill's cell timings), so regressions show.
        from pace_analysis.report.timing import format_run_sections

        print("seconds per report in each section (full batch):")
        print(format_run_sections(tmp / "reports" / "bench"))


if __name__ == "__main__":
    main()
