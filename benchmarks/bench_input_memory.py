"""Peak memory per input MB when reading pathological files, against a normal file.

Baseline (named, measured in the same run): reading a normal dataset whose
``journeys.csv.gz`` is synthetic data of about the same compressed size as each
pathological file. Each read runs in a fresh Python process and reports its peak resident
memory (``VmHWM``, in KB); a process that only imports the package gives the floor, and the
peak above it is the cost of the read. Printed: input size, peak, read cost per input MB,
and the peak as a ratio to the baseline's.

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
import sys
from pace_analysis.io import read_raw
from pace_analysis.errors import PaceError
outcome = "import only"
if sys.argv[1] != "-":
    try:
        read_raw(sys.argv[1])
        outcome = "read"
    except PaceError as exc:
        outcome = "refused: " + (exc.problems[0].rule if getattr(exc, "problems", None)
                                 else "error")
# VmHWM: this process's own peak (ru_maxrss would carry the parent's peak over the fork).
hwm = next(ln for ln in open("/proc/self/status") if ln.startswith("VmHWM:"))
print(int(hwm.split()[1]), outcome)
"""


def _measure(folder: Path | str) -> tuple[float, str]:
    """Peak resident MB of a fresh process reading *folder* ('-': importing only)."""
    out = subprocess.run([sys.executable, "-c", CHILD, str(folder)], capture_output=True,
                         text=True, check=True).stdout.split(maxsplit=1)
    return int(out[0]) / 1024, out[1].strip()


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
        floor, _ = _measure("-")
        rows = []
        for name, folder, nbytes in cases:
            peak, outcome = _measure(folder)
            rows.append((name, nbytes / 2**20, peak, outcome))
        base = rows[0][2]
        print(f"process peak after imports only: {floor:.1f} MB (subtracted below)")
        print(f"{'input':<20} {'journeys MB':>11} {'peak MB':>8} {'read MB':>8} "
              f"{'read MB/MB':>10} {'peak x baseline':>15}  outcome")
        for name, mb, peak, outcome in rows:
            read = max(peak - floor, 0.0)
            print(f"{name:<20} {mb:>11.2f} {peak:>8.1f} {read:>8.1f} {read / mb:>10.1f} "
                  f"{peak / base:>15.2f}  {outcome}")


if __name__ == "__main__":
    main()
