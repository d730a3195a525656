"""Peak memory per input MB when reading pathological files, against a normal file.

Baseline (named, measured in the same run): reading a normal dataset whose
``journeys.csv.gz`` is synthetic data of about the same compressed size as each
pathological file. Each read runs in a fresh Python process; its peak resident memory
(``ru_maxrss``) less the same process's memory just before the read is the cost of the
read. Printed: input size, peak MB per input MB, and the ratio to the baseline.

Pathological files (each replaces ``journeys`` in a copy of the normal dataset):

- ``gzip blank lines``: the normal rows followed by blank lines, gzip level 9 (~1000:1);
- ``gzip comma rows``: the normal rows followed by ``,,,,`` rows (Excel's empty rows);
- ``gzip bomb``: one line of spaces expanding about 1000 times;
- ``plain empty lines``: an uncompressed CSV of which most lines are empty.

Run: ``.venv/bin/python benchmarks/bench_input_memory.py [--scale 0.1]``.
"""

from __future__ import annotations

import argparse
import gzip
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

CHILD = r"""
import resource, sys
from pace_analysis.io import read_raw
from pace_analysis.errors import PaceError
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
try:
    read_raw(sys.argv[1])
    outcome = "read"
except PaceError as exc:
    outcome = "refused: " + (exc.problems[0].rule if getattr(exc, "problems", None) else "error")
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(peak - before, outcome)
"""


def _measure(folder: Path) -> tuple[float, str]:
    out = subprocess.run([sys.executable, "-c", CHILD, str(folder)], capture_output=True,
                         text=True, check=True).stdout.split(maxsplit=1)
    return int(out[0]) / 1024, out[1].strip()  # ru_maxrss is in KB on Linux


def _variant(base: Path, root: Path, name: str, data: bytes, compress: bool) -> Path:
    folder = root / name.replace(" ", "_")
    shutil.copytree(base, folder)
    (folder / "journeys.csv.gz").unlink()
    if compress:
        (folder / "journeys.csv.gz").write_bytes(gzip.compress(data, 9, mtime=0))
    else:
        (folder / "journeys.csv").write_bytes(data)
    return folder


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=0.1, help="size of the normal dataset")
    args = parser.parse_args()

    from pace_analysis.io import write_dataset
    from pace_analysis.synthetic import generate

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        base = write_dataset(generate(seed=1, scale=args.scale), root / "normal", "csv.gz")
        normal = gzip.decompress((base / "journeys.csv.gz").read_bytes())
        size = (base / "journeys.csv.gz").stat().st_size
        # Pad each pathological file until its compressed size is about the normal one's.
        blank = normal + b"\n" * (size * 1000)
        commas = normal + b",,,,,,,,,,,,,,,,,\n" * (size * 40)
        bomb = normal[: normal.index(b"\n") + 1] + b"J1" + b" " * (size * 1000) + b"\n"
        plain = normal + b"\n" * (size * 6)
        cases = [("normal (baseline)", base, size)]
        for name, data, compress in (("gzip blank lines", blank, True),
                                     ("gzip comma rows", commas, True),
                                     ("gzip bomb", bomb, True),
                                     ("plain empty lines", plain, False)):
            folder = _variant(base, root, name, data, compress)
            f = folder / ("journeys.csv.gz" if compress else "journeys.csv")
            cases.append((name, folder, f.stat().st_size))
        rows = []
        for name, folder, nbytes in cases:
            peak, outcome = _measure(folder)
            rows.append((name, nbytes / 2**20, peak, outcome))
        base_per_mb = rows[0][2] / rows[0][1]
        print(f"{'input':<20} {'journeys MB':>11} {'peak MB':>8} {'MB per MB':>10} "
              f"{'x baseline':>10}  outcome")
        for name, mb, peak, outcome in rows:
            per = peak / mb
            print(f"{name:<20} {mb:>11.2f} {peak:>8.1f} {per:>10.1f} {per / base_per_mb:>10.2f}"
                  f"  {outcome}")


if __name__ == "__main__":
    main()
