"""Benchmark: the report batch at England's size, against the committed 32-council data.

England has 153 local authorities and about 2M SSDA903 episode rows a decade. This
benchmark builds such a dataset the way a user would get one, then measures what a batch
costs at that size, in the same run as the baseline (the committed Scottish data,
``data/synthetic``: 32 councils, 66k journeys):

1. ``pace synth --format ssda903 --multi-year --scale S`` for the decade 2014/15-2023/24
   (S = 25 gives about 2M Episodes rows), then ``pace import ssda903`` of those files (the
   real importer: one authority per import);
2. the imported journeys are spread over 153 pseudo-authorities ``England LA 001`` ...
   (each child to one of them, sizes drawn from a log-normal so that, as in England, a few
   are large and many small). The ``england`` route set accepts any authority name, so no
   registry is involved; this relabelling is the benchmark's own step, not a feature;
3. the parent's work, in a fresh process: load and validate, write the kernels' cache
   (the analysis frame and the pickled dataset, plus whatever the parent computes once for
   every report), and its peak memory (RSS);
4. reports for a sample of authorities of different sizes (``pace report --jobs 1``; seconds
   per authority from the run's ``manifest.json``), a straight line of seconds against
   journeys fitted through them, and the whole batch extrapolated: parent + the sum of
   every authority's predicted seconds ÷ the workers; the peak memory of one kernel.

Prints every figure for both datasets and England ÷ Scotland.

Usage: ``python benchmarks/bench_england.py [--quick] [--scale 25] [--jobs 2] [--warm]``
(``--quick``: scale 2.5 and two sample authorities each).
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
SCOTLAND = ROOT / "data" / "synthetic"
N_AUTHORITIES = 153
DECADE = ("2014-04-01", "2024-03-31")


def _run(args: list[str]) -> float:
    start = time.perf_counter()
    proc = subprocess.run(args, capture_output=True, text=True, cwd=ROOT)
    if proc.returncode != 0:
        sys.exit(f"{' '.join(args[:4])} failed ({proc.returncode}):\n{proc.stdout}\n{proc.stderr}")
    return time.perf_counter() - start


def build_england(folder: Path, scale: float, seed: int = 153) -> tuple[Path, dict]:
    """Synthesise 903 returns, import them, spread them over 153 authorities."""
    pace = [sys.executable, "-m", "pace_analysis.cli"]
    raw, imported, out = folder / "903", folder / "imported", folder / "england"
    times = {"synth_s": _run([*pace, "synth", "--out", str(raw), "--format", "ssda903",
                              "--multi-year", "--scale", str(scale), "--start", DECADE[0],
                              "--end", DECADE[1], "--extract-date", DECADE[1]])}
    with (raw / "episodes.csv").open("rb") as fh:
        times["episode_rows"] = sum(1 for _ in fh) - 1
    times["import_s"] = _run([*pace, "import", "ssda903", "--header", str(raw / "header.csv"),
                              "--episodes", str(raw / "episodes.csv"), "--out", str(imported),
                              "--authority", "England", "--extract-date", "31/03/2024"])
    start = time.perf_counter()
    from pace_analysis.io import read_dataset, write_dataset

    ds = read_dataset(imported)
    rng = np.random.default_rng(seed)
    weights = np.sort(rng.lognormal(0.0, 0.8, N_AUTHORITIES))
    edges = np.cumsum(weights) / weights.sum()
    children = np.sort(ds.journeys["child_id"].unique())
    which = np.searchsorted(edges, rng.random(len(children)), side="right")
    names = np.array([f"England LA {k + 1:03d}" for k in range(N_AUTHORITIES)])
    by_child = dict(zip(children, names[np.minimum(which, N_AUTHORITIES - 1)], strict=True))
    ds.journeys["authority"] = ds.journeys["child_id"].map(by_child)
    write_dataset(ds, out, fmt="csv.gz")
    times["relabel_s"] = time.perf_counter() - start
    return out, times


def _peak_rss_mb() -> float:
    """This process's peak resident memory (``VmHWM``; ``ru_maxrss`` survives ``exec``)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # pragma: no cover


def parent_work(data: str) -> dict:
    """The batch parent's own work on *data*, timed (run in a fresh process)."""
    from pace_analysis.cache import private_cache
    from pace_analysis.html import facts_for_dataset
    from pace_analysis.io import read_dataset
    from pace_analysis.reporting import write_cache

    base = _peak_rss_mb()
    t0 = time.perf_counter()
    ds = read_dataset(data)
    t1 = time.perf_counter()
    with private_cache() as cache:
        write_cache(ds, cache, (None, None))
        t2 = time.perf_counter()
        cache_mb = sum(p.stat().st_size for p in Path(cache).iterdir()) / 2**20
    facts_for_dataset(ds, Path(data), (None, None), 5)
    t3 = time.perf_counter()
    sizes = ds.journeys["authority"].value_counts().to_dict()
    return {"load_validate_s": t1 - t0, "cache_s": t2 - t1, "facts_s": t3 - t2,
            "parent_s": t3 - t0, "peak_rss_mb": _peak_rss_mb(), "import_rss_mb": base,
            "cache_mb": cache_mb, "journeys": len(ds.journeys),
            "placements": len(ds.placements), "sizes": {str(k): int(v) for k, v in sizes.items()}}


def measure_parent(data: Path) -> dict:
    proc = subprocess.run([sys.executable, __file__, "--parent-work", str(data)],
                          capture_output=True, text=True, cwd=ROOT)
    if proc.returncode != 0:
        sys.exit(f"parent work failed on {data}:\n{proc.stderr}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def sample(sizes: dict[str, int], k: int) -> list[str]:
    """*k* authorities spread over the sizes: smallest, ..., largest."""
    ranked = sorted(sizes, key=lambda a: (sizes[a], a))
    picks = np.unique(np.linspace(0, len(ranked) - 1, k).round().astype(int))
    return [ranked[i] for i in picks]


def measure_reports(data: Path, names: list[str], out: Path, warm: bool
                    ) -> tuple[dict[str, float], float]:
    """Seconds of each authority's build, one at a time (``--jobs 1``), and the peak
    resident memory of any one kernel (sampled every 0.1 s with psutil)."""
    import psutil

    who = [a for n in names for a in ("--authority", n)]
    args = [sys.executable, "-m", "pace_analysis.cli", "report", *who, "--data", str(data),
            "--out", str(out), "--run", "bench", "--jobs", "1", "--no-progress",
            *(["--warm"] if warm else [])]
    proc = subprocess.Popen(args, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    runner, kernel_mb = psutil.Process(proc.pid), 0.0
    while proc.poll() is None:
        try:
            for child in runner.children(recursive=True):
                if "ipykernel_launcher" in " ".join(child.cmdline()) or warm:
                    kernel_mb = max(kernel_mb, child.memory_info().rss / 2**20)
        except psutil.Error:
            pass
        time.sleep(0.1)
    output = proc.stdout.read().decode() if proc.stdout else ""
    if proc.returncode != 0:
        sys.exit(f"pace report failed ({proc.returncode}):\n{output}")
    manifest = json.loads((out / "bench" / "manifest.json").read_text(encoding="utf-8"))
    return {r["authority"]: float(r["seconds"]) for r in manifest["authorities"]}, kernel_mb


def extrapolate(parent: dict, seconds: dict[str, float], jobs: int) -> dict:
    """Fit seconds = a + b * journeys; predict every authority and the whole batch."""
    sizes = parent["sizes"]
    x = np.array([sizes[a] for a in seconds], float)
    y = np.array(list(seconds.values()))
    b, a = np.polyfit(x, y, 1) if len(set(x)) > 1 else (0.0, float(y.mean()))
    each = a + b * np.array(list(sizes.values()), float)
    return {"a": a, "b": b, "per_authority_s": float(each.mean()),
            "batch_s": parent["parent_s"] + float(each.sum()) / jobs}


def report(label: str, parent: dict, seconds: dict[str, float], fit: dict, jobs: int,
           kernel_mb: float) -> None:
    n = len(parent["sizes"])
    print(f"{label}: {n} authorities, {parent['journeys']:,} journeys, "
          f"{parent['placements']:,} placements")
    print(f"    parent: load+validate {parent['load_validate_s']:.1f} s, cache (frame, dataset"
          f") {parent['cache_s']:.1f} s ({parent['cache_mb']:.0f} MB), facts "
          f"{parent['facts_s']:.1f} s; peak RSS {parent['peak_rss_mb']:.0f} MB "
          f"(after imports {parent['import_rss_mb']:.0f} MB)")
    for name, s in seconds.items():
        print(f"    {name:<24} {parent['sizes'][name]:>7,} journeys  {s:6.1f} s")
    print(f"    fit: {fit['a']:.1f} s + {1000 * fit['b']:.2f} s per 1,000 journeys; mean "
          f"{fit['per_authority_s']:.1f} s per authority; batch of {n} with {jobs} workers "
          f"~ {fit['batch_s'] / 60:.1f} min")
    print(f"    peak RSS of one kernel {kernel_mb:.0f} MB")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="scale 2.5, two samples each")
    parser.add_argument("--scale", type=float, default=None, help="synth scale (default 25)")
    parser.add_argument("--jobs", type=int, default=2, help="workers to extrapolate for")
    parser.add_argument("--warm", action="store_true", help="reports with pace report --warm")
    parser.add_argument("--parent-work", default=None, help=argparse.SUPPRESS)
    opts = parser.parse_args()
    if opts.parent_work:
        print(json.dumps(parent_work(opts.parent_work)))
        return
    scale = opts.scale or (2.5 if opts.quick else 25.0)
    k_eng, k_sco = (2, 2) if opts.quick else (4, 3)
    with tempfile.TemporaryDirectory(prefix="bench-england-") as tmp:
        tmp = Path(tmp)
        sco_parent = measure_parent(SCOTLAND)
        sco_seconds, sco_kernel = measure_reports(SCOTLAND, sample(sco_parent["sizes"], k_sco),
                                      tmp / "sco", opts.warm)
        sco_fit = extrapolate(sco_parent, sco_seconds, opts.jobs)
        data, build = build_england(tmp, scale)
        print(f"England-like data: scale {scale}, {build['episode_rows']:,} Episodes rows "
              f"({DECADE[0]} to {DECADE[1]}); synth {build['synth_s']:.1f} s, import "
              f"{build['import_s']:.1f} s, spread over {N_AUTHORITIES} authorities "
              f"{build['relabel_s']:.1f} s")
        eng_parent = measure_parent(data)
        eng_seconds, eng_kernel = measure_reports(data, sample(eng_parent["sizes"], k_eng), tmp / "eng",
                                      opts.warm)
        eng_fit = extrapolate(eng_parent, eng_seconds, opts.jobs)
        report("baseline: committed Scottish data", sco_parent, sco_seconds, sco_fit, opts.jobs,
               sco_kernel)
        report("England-like", eng_parent, eng_seconds, eng_fit, opts.jobs, eng_kernel)
        print("England / baseline:")
        for label, key in (("journeys", "journeys"), ("parent seconds", "parent_s"),
                           ("parent peak RSS", "peak_rss_mb"), ("kernel cache MB", "cache_mb")):
            print(f"    {label:<28} = {eng_parent[key] / sco_parent[key]:6.2f}")
        print(f"    {'mean seconds per authority':<28} = "
              f"{eng_fit['per_authority_s'] / sco_fit['per_authority_s']:6.2f}")
        print(f"    {'peak RSS of one kernel':<28} = {eng_kernel / sco_kernel:6.2f}")
        print(f"    {'batch (extrapolated)':<28} = {eng_fit['batch_s'] / sco_fit['batch_s']:6.2f}")


if __name__ == "__main__":
    main()
