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

SSDA903 import (second table). Baseline (named, same run): importing a clean synthetic
multi-year 903 extract (``write_ssda903(..., single_file=True)`` of the normal dataset).
Messy and pathological variants of its Episodes file, each imported in a fresh process:

- ``903 messy``: DEC written dd/mm/yy, REC kept where 10% of DECs are blanked, 1% of PLACE
  codes unknown (the traits of issue 12's public test file);
- ``903 blank lines``: the clean rows followed by 50 blank lines per data row;
- ``903 long field``: the clean rows with one 8 MB value in the last row.

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


CHILD_903 = r"""
import sys
from pace_analysis.errors import PaceError
outcome = "import only"
if sys.argv[1] != "-":
    from pace_analysis.importers.ssda903 import import_ssda903
    try:
        res = import_ssda903([sys.argv[1]], [sys.argv[2]])
        outcome = f"{len(res.dataset.journeys)} journeys, {len(res.rejects)} reject rows"
    except PaceError as exc:
        outcome = "refused: " + str(exc)[:60]
else:
    import pace_analysis.importers.ssda903  # noqa: F401
hwm = next(ln for ln in open("/proc/self/status") if ln.startswith("VmHWM:"))
print(int(hwm.split()[1]), outcome)
"""


def _measure_903(header: Path | str, episodes: Path | str = "-") -> tuple[float, str]:
    """Peak resident MB of a fresh process importing one 903 pair ('-': importing only)."""
    out = subprocess.run([sys.executable, "-c", CHILD_903, str(header), str(episodes)],
                         capture_output=True, text=True, check=True).stdout.split(maxsplit=1)
    return int(out[0]) / 1024, out[1].strip()


def _messy_903(clean: bytes, seed: int = 1) -> bytes:
    """The clean Episodes file with the public test file's traits (see the module doc)."""
    import io

    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(seed)
    ep = pd.read_csv(io.BytesIO(clean), dtype=str, keep_default_na=False)
    ep["DEC"] = ep["DEC"].where(ep["DEC"] == "", ep["DEC"].str[:6] + ep["DEC"].str[8:])
    blank = (ep["DEC"] != "") & (rng.random(len(ep)) < 0.1)
    ep.loc[blank, "DEC"] = ""
    ep.loc[rng.random(len(ep)) < 0.01, "PLACE"] = "Q9"
    return ep.to_csv(index=False, lineterminator="\n").encode()


def _table_903(root: Path, dataset) -> None:
    from pace_analysis.importers.ssda903_export import write_ssda903

    files = write_ssda903(dataset, root / "903", single_file=True)
    header = next(f for f in files if f.name.startswith("header"))
    clean = next(f for f in files if f.name.startswith("episodes"))
    body = clean.read_bytes()
    n_rows = body.count(b"\n") - 1
    lines = body.rstrip(b"\n").split(b"\n")
    long_last = lines[-1].split(b",")
    long_last[-1] = b"x" * 8_000_000
    variants = [("903 clean (baseline)", body),
                ("903 messy", _messy_903(body)),
                ("903 blank lines", body + b"\n" * (50 * n_rows)),
                ("903 long field", b"\n".join([*lines[:-1], b",".join(long_last)]) + b"\n")]
    floor, _ = _measure_903("-")
    rows = []
    for name, data in variants:
        path = root / "903" / (name.replace(" ", "_").replace("(", "").replace(")", "") + ".csv")
        path.write_bytes(data)
        peak, outcome = _measure_903(header, path)
        rows.append((name, len(data) / 2**20, peak, outcome))
    base = rows[0][2]
    print(f"\nSSDA903 import: process peak after imports only {floor:.1f} MB (subtracted); "
          f"{n_rows:,} clean episode rows")
    print(f"{'input':<22} {'episodes MB':>11} {'peak MB':>8} {'import MB':>9} "
          f"{'import MB/MB':>12} {'peak x baseline':>15}  outcome")
    for name, mb, peak, outcome in rows:
        cost = max(peak - floor, 0.0)
        print(f"{name:<22} {mb:>11.2f} {peak:>8.1f} {cost:>9.1f} {cost / mb:>12.1f} "
              f"{peak / base:>15.2f}  {outcome}")


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
        _table_903(root, generate(seed=1, scale=args.scale))


if __name__ == "__main__":
    main()
