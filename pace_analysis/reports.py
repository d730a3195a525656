"""Batch reports: one parameterised notebook per authority, run by papermill.

``pace report --all`` validates the data once in this (parent) process, then runs
``notebooks/authority_report.ipynb`` once per authority with papermill, each in its own
kernel, from a thread pool in this one process (separate processes collide on kernel
ports, papermill's most reported parallel failure). Every path handed to a kernel is
absolute, because papermill's ``cwd`` is process-wide. Each authority is built in a
temporary folder beside its target and renamed into place only when finished, so a
crash never leaves half a report; one failing authority never stops the others; the run
ends with a summary naming each failure and a non-zero exit status. An authority whose
notebook, parameters, data and package source are unchanged since its last build is
skipped (``--force`` rebuilds). ``reports/<run>/manifest.json`` records what was run.

Layout of a run::

    reports/<run>/manifest.json
    reports/<run>/index.html                 all authorities + the Scotland summary
    reports/<run>/<slug>/report.html         offline HTML, code hidden
    reports/<run>/<slug>/report.ipynb        the executed notebook
    reports/<run>/<slug>/summary.json        headline numbers (pace_analysis.headline)
    reports/<run>/<slug>/*.png, *.csv        figures and tables
    reports/<run>/<slug>/run.log             cell output and errors of this build
    reports/<run>/<slug>/build.json          input hash used to skip unchanged builds

What the notebook itself calls lives in :mod:`pace_analysis.reporting`; the input hashes,
the run lock and the manifest in :mod:`pace_analysis.manifest`.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import shutil
import signal
import sys
import tempfile
import threading
import time
import traceback
import uuid
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pace_analysis import __version__
from pace_analysis.authorities import get_authority, slugify
from pace_analysis.errors import PaceError, ReportError, Terminated, UnknownAuthorityError
from pace_analysis.manifest import (
    BUILD_FILE,
    PATH_PARAMETERS,
    build_key,
    data_hash,
    is_current,
    package_hash,
    read_manifest,
    run_lock,
    write_atomic,
    write_manifest,
)
from pace_analysis.writing import check_writable, refuse_inputs, write_bytes_atomic

PACKAGE_DIR = Path(__file__).resolve().parent
DEFAULT_NOTEBOOK = PACKAGE_DIR.parent / "notebooks" / "authority_report.ipynb"
KERNEL_NAME = "python3"  # jupyter_client runs the "python" argv of this spec with sys.executable
#: Seconds a single notebook cell may run before its authority is marked failed.
CELL_TIMEOUT = 900
#: Kernel starts tried per authority when the kernel (not a cell) fails.
KERNEL_ATTEMPTS = 2
_RUN_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
#: Parameters the runner passes; every one must exist in the notebook's parameters cell.
PARAMETERS = (
    "authority", "data_path", "output_dir", "window_start", "window_end",
    "disclosure_threshold", "show_timelines", "cache_dir",
)


@dataclass
class AuthorityResult:
    """What happened to one authority in a run.

    Attributes
    ----------
    authority, slug : str
        Council name and its folder name.
    status : str
        ``"built"``, ``"skipped"`` (unchanged since its last build) or ``"failed"``.
    seconds : float
        Wall time of this authority's build (0 when skipped).
    cell : int or None
        Index of the failing cell in the executed notebook (failures only).
    error : str or None
        ``"ExceptionName: message"`` of the failure.
    cell_source : str or None
        First line of the failing cell's code.
    """

    authority: str
    slug: str
    status: str
    seconds: float = 0.0
    cell: int | None = None
    error: str | None = None
    cell_source: str | None = None

    def describe(self) -> str:
        """One line naming the authority, the failing cell and the error."""
        where = f"cell {self.cell}" if self.cell is not None else "before any cell ran"
        src = f" [{self.cell_source}]" if self.cell_source else ""
        return f"{self.authority}: {where}{src}: {self.error}"


@dataclass
class RunSummary:
    """Outcome of :func:`run_reports`."""

    run_dir: Path
    results: list[AuthorityResult] = field(default_factory=list)
    seconds: float = 0.0
    #: Cells the run-wide disclosure audit (pace_analysis.audit) found unsafe.
    unsafe: list[str] = field(default_factory=list)
    #: True when Ctrl-C or SIGTERM stopped the run before every authority was built.
    incomplete: bool = False

    @property
    def failed(self) -> list[AuthorityResult]:
        return [r for r in self.results if r.status == "failed"]

    @property
    def exit_code(self) -> int:
        """0 when every authority has a report, 1 when any failed."""
        return 1 if self.failed or self.unsafe else 0

    def text(self) -> str:
        """Closing summary for the terminal."""
        counts = {s: sum(r.status == s for r in self.results)
                  for s in ("built", "skipped", "failed", "interrupted")}
        lines = [
            f"{len(self.results)} authorities in {self.seconds:.1f}s: "
            f"{counts['built']} built, {counts['skipped']} unchanged (skipped), "
            f"{counts['failed']} failed"
            + (f", {counts['interrupted']} not built (interrupted)" if counts["interrupted"] else "")
            + f" -> {self.run_dir}"
        ]
        for r in self.failed:
            lines.append(f"  FAILED {r.describe()}  (log: {self.run_dir / r.slug / 'run.log'})")
        lines += [f"  UNSAFE (disclosure audit) {cell}" for cell in self.unsafe]
        return "\n".join(lines)


# --------------------------------------------------------------------------- folders

def _swap_in(tmp_dir: Path, final: Path) -> None:
    """Replace folder *final* by *tmp_dir* (same parent) with two renames."""
    old = None
    if final.exists():
        old = final.with_name(f".{final.name}.old-{uuid.uuid4().hex[:8]}")
        os.replace(final, old)
    os.replace(tmp_dir, final)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


# --------------------------------------------------------------------------- checks

def _check_date(value: str | None) -> str | None:
    """An ISO date (YYYY-MM-DD) as text, or None; anything else is the user's error."""
    if value in (None, ""):
        return None
    from datetime import date

    try:
        return date.fromisoformat(str(value)).isoformat()
    except ValueError:
        raise PaceError(f"not a date in the form YYYY-MM-DD: {value!r}") from None


def _default_notebook() -> Path:
    """The repository's report notebook; from the current folder when not installed editable."""
    here = Path.cwd() / "notebooks" / DEFAULT_NOTEBOOK.name
    return DEFAULT_NOTEBOOK if DEFAULT_NOTEBOOK.is_file() or not here.is_file() else here


def check_run_name(run: str) -> str:
    """Accept run names made of letters, digits, '.', '_' and '-' (no paths)."""
    if not isinstance(run, str) or not _RUN_NAME.fullmatch(run) or run in {".", ".."}:
        raise PaceError(f"run name {run!r} must be letters, digits, '.', '_' or '-' (max 64)")
    return run


def check_parameters(notebook: Path, names: Iterable[str]) -> dict:
    """Fail unless every name is a parameter of *notebook*'s ``parameters`` cell.

    Papermill only warns on unknown parameter names and then injects them anyway;
    a misspelt name would silently leave the default in force.

    Raises
    ------
    PaceError
        Naming the unknown parameters and the ones the notebook declares.
    """
    import papermill

    if not Path(notebook).is_file():
        raise PaceError(f"notebook not found: {notebook}")
    declared = papermill.inspect_notebook(str(notebook))
    unknown = sorted(set(names) - set(declared))
    if unknown:
        raise PaceError(
            f"{notebook.name} has no parameter(s) {', '.join(unknown)}; "
            f"it declares: {', '.join(declared) or 'none (no cell tagged parameters)'}"
        )
    return declared


def resolve_authorities(requested: Iterable[str] | None, present: Iterable[str],
                        any_names: bool) -> list[str]:
    """Canonical names of the authorities to report on.

    Parameters
    ----------
    requested : iterable of str or None
        Names (or codes/slugs) asked for; ``None`` means every authority in the data.
    present : iterable of str
        Authorities present in the data.
    any_names : bool
        True when the route set accepts any authority name (``authorities: any``):
        names are then checked against the data only; otherwise against the 32 councils.

    Raises
    ------
    UnknownAuthorityError
        For a name that is not known, or has no journeys in the data.
    """
    present = sorted(set(present))
    if requested is None:
        names = present
    else:
        names = []
        by_slug = {slugify(p): p for p in present}
        for name in requested:
            canonical = by_slug.get(slugify(name)) if any_names else get_authority(name).name
            if canonical is None or canonical not in present:
                raise UnknownAuthorityError(
                    f"authority {name!r} has no journeys in the data "
                    f"(present: {', '.join(present[:8])}{'...' if len(present) > 8 else ''})"
                )
            if canonical not in names:
                names.append(canonical)
    by_folder: dict[str, list[str]] = {}
    for n in (present if requested is None else names):
        by_folder.setdefault(slugify(n), []).append(n)
    clashes = {s: ns for s, ns in by_folder.items() if len(ns) > 1}
    if clashes:
        slug, both = next(iter(clashes.items()))
        raise UnknownAuthorityError(
            f"authority names {' and '.join(repr(n) for n in both)} both give the folder name "
            f"{slug!r}; rename one in the data" + (f" ({len(clashes) - 1} more such clash(es))"
                                                   if len(clashes) > 1 else ""))
    return names


# --------------------------------------------------------------------------- one authority

class _Log:
    """A per-authority log file, written as the kernel produces output."""

    def __init__(self, path: Path):
        self.fh = path.open("w", encoding="utf-8")

    def line(self, text: str) -> None:
        self.fh.write(f"[{time.strftime('%H:%M:%S')}] {text}\n")
        self.fh.flush()

    def close(self) -> None:
        self.fh.close()


def _is_cell_error(exc: BaseException) -> bool:
    from papermill.exceptions import PapermillExecutionError

    return isinstance(exc, PapermillExecutionError)


def _failure_details(exc: BaseException, executed: Path) -> tuple[int | None, str, str | None]:
    from papermill.exceptions import PapermillExecutionError

    if isinstance(exc, PapermillExecutionError):
        first = next((ln for ln in str(exc.source).splitlines() if ln.strip()), "")
        return exc.cell_index, f"{exc.ename}: {exc.evalue}", first[:120]
    return None, f"{type(exc).__name__}: {exc}", None


class BatchStopped(Exception):  # noqa: N818 - a state, not an error
    """Raised inside a worker when the batch was interrupted while it was building."""


def _build_one(authority: str, notebook: Path, run_dir: Path, params: dict, key: str,
               export: Callable[..., Any], stop: threading.Event | None = None,
               kernel_manager: type | None = None) -> AuthorityResult:
    import papermill

    from pace_analysis.kernels import TrackedKernelManager

    # A cold kernel per authority, or one forked from the warm zygote (pace_analysis.kernelpool).
    kernel_manager = kernel_manager or TrackedKernelManager

    stop = stop or threading.Event()
    if stop.is_set():
        return AuthorityResult(authority, slugify(authority), "interrupted")

    slug = slugify(authority)
    final = run_dir / slug
    tmp = run_dir / f".{slug}.tmp-{uuid.uuid4().hex[:8]}"
    tmp.mkdir(parents=True)
    params = {**params, "output_dir": str(tmp)}
    log = _Log(tmp / "run.log")
    started = time.perf_counter()
    result = AuthorityResult(authority, slug, "built")
    executed = tmp / "report.ipynb"
    try:
        log.line(f"pace-analysis {__version__}: {authority} from {notebook.name}")
        log.line("parameters: " + json.dumps(
            {k: _shown_path(v) if k == "data_path" else v for k, v in params.items()
             if k not in PATH_PARAMETERS}, sort_keys=True))
        for attempt in range(1, KERNEL_ATTEMPTS + 1):
            try:
                papermill.execute_notebook(
                    str(notebook), str(executed), parameters=params, kernel_name=KERNEL_NAME,
                    progress_bar=False, log_output=False, stdout_file=log.fh,
                    stderr_file=log.fh, request_save_on_cell_execute=False,
                    # Keep kernel chatter (its TCP notice, "KeyboardInterrupt caught" at shutdown) quiet.
                    extra_arguments=["--IPKernelApp.log_level=CRITICAL"],
                    # A hung cell fails its authority instead of holding up the whole batch.
                    execution_timeout=CELL_TIMEOUT,
                    # Tracked, so that an interrupted batch can shut every kernel down.
                    kernel_manager_class=kernel_manager,
                )
                break
            except Exception as exc:
                if stop.is_set():
                    raise BatchStopped() from exc
                if attempt == KERNEL_ATTEMPTS or _is_cell_error(exc):
                    raise
                # The kernel itself failed (e.g. a port taken by another process between
                # choosing and binding it): start a fresh one.
                log.line(f"kernel failure ({type(exc).__name__}: {exc}); retrying")
        if stop.is_set():
            raise BatchStopped()
        ran = time.perf_counter()
        scrub_paths(executed, _machine_paths(params, tmp))
        export(executed, tmp / "report.html", title=f"{authority}: time to legal permanence")
        exported = time.perf_counter()
        _audit_before_publishing(tmp, slug, int(params["disclosure_threshold"]))
        result.seconds = time.perf_counter() - started
        # One line the benchmark reads (benchmarks/bench_reports.py): where this build's time went.
        log.line(f"steps: notebook {ran - started:.2f}s, export {exported - ran:.2f}s, "
                 f"audit {started + result.seconds - exported:.2f}s")
        log.line(f"built in {result.seconds:.1f}s")
        log.close()
        scrub_paths(tmp / "run.log", _machine_paths(params, tmp))
        write_atomic(tmp / BUILD_FILE, json.dumps({"key": key, "authority": authority,
                                                   "status": "built"}, indent=1))
    except BatchStopped:
        # Interrupted: the previous report of this authority stays as it was.
        log.close()
        shutil.rmtree(tmp, ignore_errors=True)
        result.status = "interrupted"
        result.seconds = time.perf_counter() - started
        return result
    except Exception as exc:  # noqa: BLE001 - one failure must not stop the others
        # Ctrl-C in a terminal reaches the kernels too (same process group): a cell stopped
        # by KeyboardInterrupt is the interruption, not a failure of this authority.
        if stop.is_set() or getattr(exc, "ename", None) == "KeyboardInterrupt":
            log.close()
            shutil.rmtree(tmp, ignore_errors=True)
            result.status = "interrupted"
            return result
        result.status = "failed"
        result.seconds = time.perf_counter() - started
        result.cell, result.error, result.cell_source = _failure_details(exc, executed)
        try:
            _keep_failure(tmp, log, result, executed, params, authority)
        except (OSError, PaceError):
            # The failure cannot be recorded either (a full or read-only disk): leave no
            # half-written folder behind; the batch reports the error.
            log.close()
            shutil.rmtree(tmp, ignore_errors=True)
            return result
    _swap_in(tmp, final)
    return result


def _keep_failure(tmp: Path, log: _Log, result: AuthorityResult, executed: Path,
                  params: dict, authority: str) -> None:
    """Turn a failed build's folder into its record: log, scrubbed notebook, build file."""
    log.line(f"FAILED: {result.describe()}")
    log.fh.write(traceback.format_exc())
    log.close()
    scrub_paths(tmp / "run.log", _machine_paths(params, tmp))
    # Keep the log and the executed notebook for diagnosis; never a stale or half report.
    for name in list(os.listdir(tmp)):
        if name not in {"run.log", "report.ipynb"}:
            p = tmp / name
            shutil.rmtree(p) if p.is_dir() else p.unlink()
    if executed.exists():
        scrub_paths(executed, _machine_paths(params, tmp))
        _keep_failed_notebook(executed, tmp / "failed.ipynb")
    write_atomic(tmp / BUILD_FILE, json.dumps({"key": None, "authority": authority,
                                               "status": "failed"}, indent=1))


def _audit_before_publishing(folder: Path, slug: str, threshold: int) -> None:
    """Intruder audit of one built report; raises (so it is not published) when it fails."""
    from pace_analysis.audit import audit_run

    result = audit_run(folder, threshold)
    if not result.ok:
        raise ReportError("disclosure audit failed: " + "; ".join(
            f.text().replace(folder.name, slug) for f in result.findings))


def _machine_paths(params: dict, tmp: Path) -> dict[str, str]:
    """Absolute paths of this machine that may appear in a notebook, and their stand-ins."""
    paths = {
        str(tmp): "<report folder>",
        str(params.get("cache_dir") or ""): "<cache>",
        str(params.get("data_path") or ""): "<data>",
        str(PACKAGE_DIR.parent): "<pace-analysis>",
        sys.prefix: "<python>",
        sys.base_prefix: "<python>",
        tempfile.gettempdir(): "<tmp>",
        str(Path.home()): "~",
    }
    return {k: v for k, v in paths.items() if k and k not in ("/", ".")}


def scrub_paths(path: Path, paths: dict[str, str]) -> None:
    """Replace absolute paths of this machine in a text file by neutral stand-ins.

    Executed notebooks carry the injected parameters (data, cache and output folders) and
    warnings that name library files; none of those belong in a published report.
    Longer paths are replaced first, so a folder inside another keeps its own stand-in.
    """
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return
    for old in sorted(paths, key=len, reverse=True):
        text = text.replace(old, paths[old])
        text = text.replace(json.dumps(old)[1:-1], paths[old])  # as escaped inside JSON
    # Object reprs ("<...Styler at 0x7f8a1c647590>") name a memory address, which differs
    # from run to run; without it the same input gives the same notebook outputs.
    text = _OBJECT_ADDRESS.sub(">", text)
    write_atomic(path, text)


_OBJECT_ADDRESS = re.compile(r" at 0x[0-9a-f]+>")


def _keep_failed_notebook(executed: Path, target: Path) -> None:
    """Keep a failed build's notebook only if it is whole JSON (else a note saying so)."""
    try:
        data = executed.read_bytes()
        json.loads(data)
    except (OSError, ValueError) as exc:
        executed.unlink(missing_ok=True)
        write_atomic(target.with_suffix(".txt"),
                     f"the executed notebook was not saved whole ({type(exc).__name__}); "
                     "see run.log\n")
        return
    executed.unlink(missing_ok=True)
    write_bytes_atomic(target, data)


# --------------------------------------------------------------------------- the run

def run_reports(
    authorities: Iterable[str] | None,
    data: str | os.PathLike,
    *,
    run: str = "latest",
    out: str | os.PathLike = "reports",
    jobs: int = 2,
    force: bool = False,
    threshold: int = 5,
    window_start: str | None = None,
    window_end: str | None = None,
    show_timelines: bool | None = None,
    notebook: str | os.PathLike | None = None,
    progress: bool = True,
    extra_parameters: dict[str, dict] | None = None,
    pdf: bool = False,
    warm: bool = False,
) -> RunSummary:
    """Build the reports of several authorities and the run's index.

    Parameters
    ----------
    authorities : iterable of str or None
        Authorities to report on (names, codes or slugs); ``None`` for every authority
        in the data.
    data : path
        Dataset folder (validated here once, before any kernel starts).
    run : str
        Run name: outputs go to ``<out>/<run>/``.
    out : path
        Reports root folder.
    jobs : int
        Kernels running at once.
    force : bool
        Rebuild authorities whose inputs are unchanged.
    threshold : int
        Disclosure threshold: counts below it are suppressed.
    window_start, window_end : str or None
        Optional study window (ISO dates) passed to the notebook.
    show_timelines : bool or None
        Show example child timelines; ``None`` means only for synthetic data.
    notebook : path or None
        Notebook to run (default ``notebooks/authority_report.ipynb``).
    progress : bool
        Show a progress bar across authorities.
    extra_parameters : dict, optional
        Per-authority parameter overrides ``{authority: {name: value}}`` (tests).
    pdf : bool
        Also print each report to ``report.pdf`` (A4, headless Chromium), inside the
        report's temporary folder so that it is published with the page or not at all.
    warm : bool
        Fork each authority's kernel from one pre-imported process
        (:mod:`pace_analysis.kernelpool`) instead of starting a cold one.

    Returns
    -------
    RunSummary
        One :class:`AuthorityResult` per authority; ``exit_code`` is 1 if any failed.

    Raises
    ------
    PaceError
        Bad data (:class:`~pace_analysis.errors.DataValidationError`), unknown authority,
        bad run name or a notebook lacking a parameter; nothing is written then.
    """
    started = time.perf_counter()
    if jobs < 1:
        raise PaceError("--jobs must be at least 1")
    check_run_name(run)
    window_start, window_end = _check_date(window_start), _check_date(window_end)
    if window_start and window_end and window_start > window_end:
        raise PaceError(f"window start {window_start} is after window end {window_end}")
    today = time.strftime("%Y-%m-%d")
    for label, value in (("start", window_start), ("end", window_end)):
        if label == "start" and value and value > today:
            raise PaceError(f"--window-start {value} is in the future (today is {today}): no "
                            "child can have started then")
    notebook = Path(notebook or _default_notebook()).resolve()
    data_path = Path(data).resolve()
    if not data_path.exists():
        raise PaceError(f"data folder not found: {data}")
    out_root = Path(out).resolve()
    run_dir = out_root / run
    refuse_inputs(run_dir, [data_path], what="the run folder")
    if out_root.exists() and not out_root.is_dir():
        raise PaceError(f"--out {out} exists and is not a folder")
    if not notebook.is_file():
        raise PaceError(f"notebook not found: {notebook}")
    data_digest, package_digest = data_hash(data_path), package_hash()
    notebook_bytes = notebook.read_bytes()  # one snapshot: edits during the run do not leak in
    notebook_digest = hashlib.sha256(notebook_bytes).hexdigest()
    previous = read_manifest(run_dir)
    known = previous.get("inputs", {})
    if extra_parameters or not (known.get("notebook_hash") == notebook_digest
                                and known.get("package_hash") == package_digest):
        # Else the same notebook was checked by this same code in an earlier run (this
        # saves importing papermill, about 1.5 s, when nothing changed).
        check_parameters(notebook, PARAMETERS)
        for extra in (extra_parameters or {}).values():
            check_parameters(notebook, extra)
    dataset = None
    if (known.get("data_hash") == data_digest and known.get("package_hash") == package_digest
            and isinstance(known.get("authorities"), list) and "any_names" in known
            and "synthetic" in known and isinstance(known.get("extract_max"), str)):
        # Same bytes validated by this same code in an earlier run.
        present, any_names, synthetic = known["authorities"], known["any_names"], known["synthetic"]
        extract_max = known["extract_max"]
    else:
        dataset = _load_validated(data_path)
        present = dataset.authorities
        any_names = dataset.route_set.authorities == "any"
        synthetic = _is_synthetic(dataset)
        extract_max = f"{dataset.journeys['extract_date'].max():%Y-%m-%d}"
    if window_start and window_start > extract_max:
        raise PaceError(f"--window-start {window_start} is after the data's extract date "
                        f"{extract_max}: the window would hold no child")
    names = resolve_authorities(authorities, present, any_names)
    if show_timelines is None:
        show_timelines = synthetic

    def params_for(name: str) -> dict:
        p = {"authority": name, "data_path": str(data_path), "output_dir": "",
             "window_start": window_start, "window_end": window_end,
             "disclosure_threshold": int(threshold), "show_timelines": bool(show_timelines),
             "cache_dir": ""}
        p.update((extra_parameters or {}).get(name, {}))
        return p

    if pdf:
        from pace_analysis.html import find_chromium

        find_chromium()  # refuse up front, not after the first kernel
    # A report with its PDF is another output than one without: it has its own key.
    keys = {n: build_key(notebook_digest, params_for(n), data_digest,
                         package_digest + ("+pdf" if pdf else "")) for n in names}
    todo = [n for n in names if force or not is_current(run_dir / slugify(n), keys[n])]
    results: dict[str, AuthorityResult] = {
        n: AuthorityResult(n, slugify(n), "skipped") for n in names if n not in todo
    }
    check_writable(out_root, need=_space_needed(len(todo)), what="--out folder")
    new_run = not run_dir.exists()
    run_dir.mkdir(parents=True, exist_ok=True)
    try:
        stopped: BaseException | None = None
        with run_lock(run_dir), _sigterm_raises():
            _clean_leftovers(run_dir)
            if todo:
                if dataset is None:
                    dataset = _load_validated(data_path)
                from functools import partial

                from pace_analysis.html import export_html, facts_for_dataset

                export = partial(export_html, facts=facts_for_dataset(
                    dataset, data_path, (window_start, window_end), threshold))
                if pdf:
                    export = partial(_export_with_pdf, export)
                stopped = _build_all(todo, dataset, notebook, notebook_bytes, run_dir, params_for,
                                     keys, jobs, progress, (window_start, window_end), results,
                                     export, warm=warm)
            for n in names:
                results.setdefault(n, AuthorityResult(n, slugify(n), "interrupted"))
            summary = RunSummary(run_dir, [results[n] for n in names])
            summary.incomplete = stopped is not None
            # Authorities built into this run folder by an earlier invocation (e.g. --authority X
            # after --all) stay in the index and the manifest.
            earlier = [r for r in previous.get("authorities", [])
                       if r.get("authority") not in results and (run_dir / str(r.get("slug"))).is_dir()]
            if todo or not (run_dir / "index.html").is_file():
                from pace_analysis.html import facts_for_dataset, funnel_section, write_index

                if dataset is None:
                    dataset = _load_validated(data_path)
                rows = sorted([(r.authority, r.slug, r.status) for r in summary.results]
                              + [(r["authority"], r["slug"], r["status"]) for r in earlier])
                rows = [(a, s, st) for a, s, st in rows
                        if st != "interrupted" or (run_dir / s / "report.html").is_file()]
                write_index(run_dir, rows, threshold=threshold,
                            extra_html=funnel_section(dataset, run_dir, threshold)
                            + _incomplete_note(summary),
                            facts=facts_for_dataset(dataset, data_path, (window_start, window_end),
                                                    threshold))
            from pace_analysis.audit import audit_run

            summary.unsafe = [f.text() for f in audit_run(run_dir, threshold).findings]
            summary.seconds = time.perf_counter() - started
            write_manifest(run_dir, summary, previous, {
                # No absolute path of this machine in any output.
                "data_path": _shown_path(data_path), "data_hash": data_digest,
                "package_hash": package_digest,
                "notebook": _shown_path(notebook), "notebook_hash": notebook_digest,
                "authorities": present, "any_names": any_names, "synthetic": synthetic,
                "extract_max": extract_max,
            }, earlier, {"jobs": jobs, "warm": warm, "force": force, "threshold": threshold, "window_start": window_start,
                "window_end": window_end, "show_timelines": bool(show_timelines),
                "kernel": f"{KERNEL_NAME} (Python {sys.version.split()[0]})"})
        if stopped is not None:
            raise stopped
        return summary
    except (OSError, PaceError):
        if new_run:
            # A run folder this call created and could not finish (a full or read-only
            # disk): nothing half-written is left; the caller reports the error.
            shutil.rmtree(run_dir, ignore_errors=True)
        raise


def _export_with_pdf(export: Callable[..., Any], executed, html_path, **kwargs):
    """*export* the page, then print it to ``report.pdf`` beside it."""
    from pace_analysis.html import print_pdf

    result = export(executed, html_path, **kwargs)
    print_pdf(html_path)
    return result


def _shown_path(path: Path) -> str:
    """*path* as recorded in a run's outputs: relative to the current folder, else its name.

    Outputs carry no absolute path of the machine (user names, server layout).
    """
    try:
        return Path(path).resolve().relative_to(Path.cwd().resolve()).as_posix()
    except ValueError:
        return Path(path).name


def _space_needed(n_reports: int) -> int:
    """Free bytes wanted before building *n_reports* reports (about 3 MB each, and a margin)."""
    return 20 * 2**20 + 3 * 2**20 * n_reports


def _incomplete_note(summary: RunSummary) -> str:
    if not summary.incomplete:
        return ""
    missing = [r.authority for r in summary.results if r.status == "interrupted"]
    return ('<section class="incomplete"><h2>Incomplete run</h2><p>This run was interrupted: '
            f"{len(missing)} report(s) were not built. Run the same command again to finish "
            "it.</p></section>")


class _sigterm_raises:  # noqa: N801 - used as a context manager
    """Within the block, SIGTERM raises :class:`~pace_analysis.errors.Terminated` in the
    main thread (as the command line does), so every ``with`` and ``finally`` runs."""

    def __enter__(self):
        self.previous = None
        if threading.current_thread() is threading.main_thread():
            current = signal.getsignal(signal.SIGTERM)
            if current in (signal.SIG_DFL, None):
                self.previous = signal.signal(signal.SIGTERM, _raise_terminated)
        return self

    def __exit__(self, *exc) -> None:
        if self.previous is not None:
            signal.signal(signal.SIGTERM, self.previous)


def _raise_terminated(signum, frame) -> None:
    raise Terminated(signum)


def _build_all(todo, dataset, notebook: Path, notebook_bytes: bytes, run_dir: Path, params_for,
               keys: dict, jobs: int, progress: bool, window, results: dict,
               export=None, warm: bool = False) -> BaseException | None:
    """Build the reports of *todo*; return the interruption (Ctrl-C, SIGTERM) if one came.

    On an interruption no further authority is started, every kernel is shut down, the
    authorities being built keep their previous report, and the private cache is removed.
    """
    from pace_analysis.cache import private_cache
    from pace_analysis.html import export_html
    from pace_analysis.kernels import shut_down_all
    from pace_analysis.report.national import write as write_national
    from pace_analysis.reporting import write_cache

    stop = threading.Event()
    stopped: BaseException | None = None
    with private_cache() as cache, _kernel_source(warm) as kernel_manager:
        # The cache holds child-level data: private (0700), outside reports/, always removed.
        write_cache(dataset, cache, window)
        # What every report shares (national tables, funnel), once for the whole batch.
        write_national(cache, dataset, window, {params_for(n)["disclosure_threshold"] for n in todo}, todo)
        snapshot = cache / notebook.name
        snapshot.write_bytes(notebook_bytes)
        bar = _progress(len(todo), progress)
        pool = ThreadPoolExecutor(max_workers=jobs, thread_name_prefix="pace-kernel")
        futures: dict = {}
        try:
            futures = {
                pool.submit(_build_one, n, snapshot, run_dir,
                            {**params_for(n), "cache_dir": str(cache)}, keys[n],
                            export or export_html, stop, kernel_manager): n
                for n in todo
            }
            for fut in as_completed(futures):
                res = fut.result()
                results[res.authority] = res
                bar.set_postfix_str(f"{res.authority}: {res.status}", refresh=False)
                bar.update(1)
        except (KeyboardInterrupt, Terminated) as exc:
            stopped = exc
            stop.set()
            for fut in futures:
                fut.cancel()
            shut_down_all()
            _wait_for_workers(pool, futures, results)
        finally:
            pool.shutdown(wait=True, cancel_futures=True)
            bar.close()
    return stopped


class _kernel_source:  # noqa: N801 - used as a context manager
    """The kernel manager class of a batch: None (cold kernels) or one bound to a zygote.

    The zygote starts importing while the parent writes the cache; it is stopped on every
    exit path (its kernels are shut down by their managers, or by ``shut_down_all``).
    """

    def __init__(self, warm: bool):
        self.warm, self.zygote = warm, None

    def __enter__(self) -> type | None:
        if not self.warm:
            return None
        from pace_analysis.kernelpool import Zygote, kernel_manager_class

        self.zygote = Zygote()
        return kernel_manager_class(self.zygote)

    def __exit__(self, *exc) -> None:
        if self.zygote is not None:
            self.zygote.close()


def _wait_for_workers(pool, futures: dict, results: dict) -> None:
    """After an interruption: collect the workers' results (a further signal is ignored)."""
    from concurrent.futures import CancelledError

    for fut, name in futures.items():
        while True:
            try:
                exc = fut.exception()  # waits; returns (never raises) the worker's exception
                break
            except CancelledError:
                exc = CancelledError()
                break
            except (KeyboardInterrupt, Terminated):
                continue  # a second Ctrl-C while the kernels stop
        if exc is None:
            res = fut.result()
            results[res.authority] = res
        else:
            results[name] = AuthorityResult(name, slugify(name), "interrupted")


def _load_validated(path: Path):
    from pace_analysis.io import read_dataset

    return read_dataset(path)


def _is_synthetic(dataset) -> bool:
    from pace_analysis.timelines import is_synthetic

    return is_synthetic(dataset)


def _clean_leftovers(run_dir: Path) -> None:
    """Remove temporary folders a crashed earlier run left behind."""
    for p in run_dir.iterdir():
        if p.name.startswith(".") and (".tmp-" in p.name or ".old-" in p.name):
            shutil.rmtree(p, ignore_errors=True) if p.is_dir() else p.unlink(missing_ok=True)


def _progress(total: int, enabled: bool):
    from tqdm import tqdm

    return tqdm(total=total, desc="authority reports", unit="report", disable=not enabled,
                file=sys.stderr, dynamic_ncols=True)


# --------------------------------------------------------------------------- CLI

def configure_cli(parser: argparse.ArgumentParser) -> None:
    """Options of ``pace report``."""
    who = parser.add_mutually_exclusive_group(required=True)
    who.add_argument("--authority", action="append", metavar="NAME",
                     help="council name, slug or GSS code (repeat for several)")
    who.add_argument("--all", action="store_true", help="every authority in the data")
    parser.add_argument("--data", default="data/synthetic", help="dataset folder (default %(default)s)")
    parser.add_argument("--run", default="latest", help="run name: outputs in OUT/RUN (default %(default)s)")
    parser.add_argument("--out", default="reports", help="reports folder (default %(default)s)")
    parser.add_argument("--jobs", type=int, default=2, help="kernels at once (default %(default)s)")
    parser.add_argument("--force", action="store_true", help="rebuild unchanged authorities too")
    parser.add_argument("--threshold", type=int, default=5,
                        help="suppress counts below this (default %(default)s)")
    parser.add_argument("--window-start", default=None, help="study window start (YYYY-MM-DD)")
    parser.add_argument("--window-end", default=None, help="study window end (YYYY-MM-DD)")
    parser.add_argument("--timelines", choices=("auto", "yes", "no"), default="auto",
                        help="example child timelines: auto = synthetic data only")
    parser.add_argument("--pdf", action="store_true",
                        help="also print each report to report.pdf (A4, headless Chromium)")
    parser.add_argument("--warm", action="store_true",
                        help="fork each kernel from one pre-imported process (faster start)")
    parser.add_argument("--notebook", default=None, help=argparse.SUPPRESS)
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")


def run_cli(args: argparse.Namespace) -> int:
    """Run ``pace report``; returns 0, or 1 when any authority failed."""
    if args.threshold < 1:
        raise PaceError("--threshold must be at least 1")
    summary = run_reports(
        None if args.all else args.authority, args.data, run=args.run, out=args.out,
        jobs=args.jobs, force=args.force, threshold=args.threshold,
        window_start=args.window_start, window_end=args.window_end,
        show_timelines={"auto": None, "yes": True, "no": False}[args.timelines],
        notebook=args.notebook, progress=not args.no_progress, pdf=args.pdf,
        warm=getattr(args, "warm", False),
    )
    print(summary.text())
    if summary.failed:
        print(f"{len(summary.failed)} report(s) failed; see the logs named above.", file=sys.stderr)
    return summary.exit_code


__all__ = [
    "AuthorityResult", "RunSummary", "run_reports", "check_parameters", "resolve_authorities",
    "configure_cli", "run_cli", "ReportError",
]
