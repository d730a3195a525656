"""Warm kernels: each report's kernel is a fresh process forked from a pre-imported zygote.

A cold kernel (``python -m ipykernel_launcher -f CONNECTION_FILE``) spends about 2.5 s of
a core starting Python and importing ipykernel, pandas, matplotlib, scipy and the package
before the report's first cell runs. The *zygote* is one process that does those imports
once and then, on request, forks a child that starts the kernel with the connection file
jupyter_client wrote. Every authority still gets its own fresh process (nothing one report
does is seen by the next, since the zygote itself never runs report code), but it starts
with everything already imported.

Pieces:

* :class:`Zygote` (in the runner): starts ``python -m pace_analysis.kernelpool`` and talks to
  it over two pipes (one JSON line per request and per answer), under a lock so that
  the runner's worker threads can share it.
* :func:`serve` (in the zygote): imports :data:`PRELOAD`, then forks one child per
  ``spawn`` request and reaps the children as they end (``SIGCHLD``).
* :class:`ZygoteProvisioner`: a jupyter_client ``LocalProvisioner`` whose
  ``launch_kernel`` asks the zygote instead of running ``Popen``; the rest (connection
  file, ports, signals to the kernel's process group, shutdown) is jupyter_client's own.
* :func:`kernel_manager_class`: the ``AsyncKernelManager`` subclass handed to papermill
  (``kernel_manager_class=``), tracked like every kernel of a batch
  (:class:`pace_analysis.kernels.TrackedKernelManager`).

Fork safety. The zygote creates no thread, zmq context, event loop or open file of its own
before it forks (checked in :func:`serve`: Python's thread count must be 1). Native
threads started by libraries at import (OpenBLAS's workers, pyarrow's jemalloc background
thread) are re-created or quiesced by those libraries' own ``pthread_atfork`` handlers. In
each child: a new session (as jupyter_client's launcher does), default signal handlers,
stdin from ``/dev/null``, the zygote's pipes closed, the environment and working folder the
kernel manager asked for, Python's ``random`` reseeded (by CPython at fork) and numpy's
global random state reseeded from the OS. ``MPLBACKEND`` is set before matplotlib is
imported to the inline backend ipykernel itself would set. What stays shared is the hash
seed of ``str`` (one per zygote, instead of one per kernel): outputs must not depend on set
order anyway (reports are deterministic). ``tests/test_kernelpool.py`` checks that state set
by one report is not seen by the next and that a report's files are byte-identical to the
cold path's.
"""

from __future__ import annotations

import importlib
import importlib.util
import json
import os
import signal
import subprocess
import sys
import threading
import time
from typing import Any

from jupyter_client.provisioning import LocalProvisioner

from pace_analysis.kernels import TrackedKernelManager

#: The inline matplotlib backend that ipykernel sets when ``MPLBACKEND`` is unset.
INLINE_BACKEND = "module://matplotlib_inline.backend_inline"

#: Modules the zygote imports before forking: the kernel, the plotting stack and every
#: module of the package a report kernel ends up importing (recorded from a real report).
#: A module missing here is simply imported by the kernel itself.
PRELOAD = (
    "ipykernel.kernelapp", "ipykernel.ipkernel", "ipykernel.zmqshell", "IPython.display",
    "matplotlib_inline.backend_inline", "numpy", "pandas", "scipy.stats", "matplotlib.pyplot",
    "seaborn",
    "pace_analysis.headline", "pace_analysis.reporting", "pace_analysis.report",
    "pace_analysis.report.context", "pace_analysis.report.overview",
    "pace_analysis.report.protect", "pace_analysis.report.sections",
    "pace_analysis.report.table", "pace_analysis.aims", "pace_analysis.aj_variance",
    "pace_analysis.audit", "pace_analysis.calibration", "pace_analysis.cohort",
    "pace_analysis.comparators", "pace_analysis.comparison", "pace_analysis.competing",
    "pace_analysis.crosschecks", "pace_analysis.csvfiles", "pace_analysis.dataset",
    "pace_analysis.disclosure", "pace_analysis.figures", "pace_analysis.formatting",
    "pace_analysis.funnel", "pace_analysis.improvement", "pace_analysis.io",
    "pace_analysis.measures", "pace_analysis.milestones", "pace_analysis.multistate",
    "pace_analysis.multistate.estimator", "pace_analysis.multistate.long_form",
    "pace_analysis.multistate.occupancy", "pace_analysis.multistate.section",
    "pace_analysis.multistate.trends", "pace_analysis.placements",
    "pace_analysis.plotting.competing", "pace_analysis.plotting.funnel",
    "pace_analysis.plotting.improvement", "pace_analysis.plotting.occupancy",
    "pace_analysis.plotting.stages", "pace_analysis.plotting.style",
    "pace_analysis.plotting.survival", "pace_analysis.plotting.timelines",
    "pace_analysis.plotting.trends", "pace_analysis.population", "pace_analysis.report_charts",
    "pace_analysis.routes", "pace_analysis.survival", "pace_analysis.timelines",
    "pace_analysis.trends", "pace_analysis.validation",
)


class ZygoteError(RuntimeError):
    """The zygote process could not start, or stopped answering."""


# --------------------------------------------------------------------------- runner side

class Zygote:
    """A pre-imported process that forks kernels on request.

    Parameters
    ----------
    preload : sequence of str
        Modules to import before the first fork.
    cwd : str, optional
        Working folder of the zygote (default: the current one, as for a cold kernel).

    Attributes
    ----------
    pid : int
        The zygote's process id.
    import_seconds : float or None
        Seconds the zygote took to import :data:`PRELOAD` (None until it is ready).

    Notes
    -----
    The constructor returns at once; the imports run while the caller does other work,
    and the first request waits for them.
    """

    def __init__(self, preload: tuple[str, ...] = PRELOAD, cwd: str | None = None,
                 timeout: float = 120.0):
        req_r, req_w = os.pipe()
        ans_r, ans_w = os.pipe()
        try:
            self._proc = subprocess.Popen(
                [sys.executable, "-m", "pace_analysis.kernelpool", str(req_r), str(ans_w),
                 *preload],
                pass_fds=(req_r, ans_w), stdin=subprocess.DEVNULL, cwd=cwd)
        finally:
            os.close(req_r)
            os.close(ans_w)
        self._requests = os.fdopen(req_w, "w", encoding="utf-8", buffering=1)
        self._answers = os.fdopen(ans_r, "r", encoding="utf-8")
        self._lock = threading.Lock()
        self.pid = self._proc.pid
        self._timeout = timeout
        self.import_seconds: float | None = None  # known once ready

    def _wait_ready(self) -> None:
        """Wait (once) for the zygote's imports; called under the lock by the first request."""
        if self.import_seconds is not None:
            return
        ready = self._read(self._timeout)
        if not ready.get("ready"):
            raise ZygoteError(f"kernel zygote did not start: {ready.get('error', ready)}")
        self.import_seconds = float(ready["seconds"])

    def wait_ready(self) -> float:
        """Block until the zygote has imported :data:`PRELOAD`; the seconds it took."""
        with self._lock:
            self._wait_ready()
        return float(self.import_seconds)

    def _read(self, timeout: float | None = None) -> dict:
        import select

        if timeout is not None:
            ready, _, _ = select.select([self._answers], [], [], timeout)
            if not ready:
                raise ZygoteError(f"kernel zygote (pid {self.pid}) did not answer in {timeout}s")
        line = self._answers.readline()
        if not line:
            raise ZygoteError(f"kernel zygote (pid {self.pid}) has exited "
                              f"(status {self._proc.poll()})")
        return json.loads(line)

    def _call(self, **request: Any) -> dict:
        with self._lock:
            self._wait_ready()
            try:
                self._requests.write(json.dumps(request) + "\n")
            except (BrokenPipeError, ValueError) as exc:
                raise ZygoteError(f"kernel zygote (pid {self.pid}) has exited") from exc
            answer = self._read(60.0)
        if "error" in answer:
            raise ZygoteError(answer["error"])
        return answer

    def spawn(self, argv: list[str], env: dict[str, str], cwd: str | None = None) -> int:
        """Fork a kernel running *argv* (``python -m ipykernel_launcher ...``); its pid."""
        return int(self._call(op="spawn", argv=list(argv), env=dict(env), cwd=cwd)["pid"])

    def returncode(self, pid: int) -> int | None:
        """Exit status of child *pid*, or None while it runs."""
        return self._call(op="poll", pid=pid)["returncode"]

    def close(self) -> None:
        """Stop the zygote (kernels it forked are not waited for)."""
        try:
            with self._lock:
                self._requests.close()
        except OSError:
            pass
        try:
            self._proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self._proc.kill()
            self._proc.wait()
        self._answers.close()

    def __enter__(self) -> Zygote:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class _ForkedProcess:
    """The ``Popen``-like handle jupyter_client's provisioner keeps for a forked kernel."""

    stdin = stdout = stderr = None

    def __init__(self, zygote: Zygote, pid: int):
        self.zygote, self.pid = zygote, pid
        self.returncode: int | None = None

    def poll(self) -> int | None:
        if self.returncode is None:
            try:
                self.returncode = self.zygote.returncode(self.pid)
            except ZygoteError:
                # The zygote is gone: the kernel was its child and is gone or orphaned.
                self.returncode = 0 if not _alive(self.pid) else None
        return self.returncode

    def wait(self, timeout: float | None = None) -> int:
        deadline = None if timeout is None else time.monotonic() + timeout
        while self.poll() is None:
            if deadline is not None and time.monotonic() > deadline:
                raise subprocess.TimeoutExpired(f"kernel {self.pid}", timeout)
            time.sleep(0.05)
        return int(self.returncode)

    def send_signal(self, signum: int) -> None:
        if self.poll() is None:
            os.kill(self.pid, signum)

    def terminate(self) -> None:
        self.send_signal(signal.SIGTERM)

    def kill(self) -> None:
        self.send_signal(signal.SIGKILL)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except OSError:
        return False
    return True


class ZygoteProvisioner(LocalProvisioner):
    """jupyter_client's local provisioner, launching the kernel by a fork of the zygote."""

    zygote: Zygote | None = None

    async def launch_kernel(self, cmd: list[str], **kwargs: Any):
        if self.zygote is None:  # pragma: no cover - set by the manager
            raise ZygoteError("no kernel zygote to launch from")
        env = kwargs.get("env") or dict(os.environ)
        cwd = kwargs.get("cwd")
        pid = self.zygote.spawn(cmd, env, str(cwd) if cwd else None)
        self.process = _ForkedProcess(self.zygote, pid)
        self.pid = self.pgid = pid  # the child starts its own session, as Popen's would
        self.cwd = cwd
        return self.connection_info


class PooledKernelManager(TrackedKernelManager):
    """A tracked kernel manager whose kernels are forked by :attr:`zygote`."""

    zygote: Zygote | None = None

    async def _async_pre_start_kernel(self, **kw: Any):
        if self.provisioner is None:
            import uuid

            self.kernel_id = self.kernel_id or kw.pop("kernel_id", str(uuid.uuid4()))
            prov = ZygoteProvisioner(kernel_id=self.kernel_id, kernel_spec=self.kernel_spec,
                                     parent=self)
            prov.zygote = type(self).zygote
            self.provisioner = prov
        return await super()._async_pre_start_kernel(**kw)


def kernel_manager_class(zygote: Zygote) -> type[PooledKernelManager]:
    """A kernel manager class (for ``papermill.execute_notebook``) bound to *zygote*."""
    return type("PooledKernelManager", (PooledKernelManager,), {"zygote": zygote})


# --------------------------------------------------------------------------- zygote side

_DONE: dict[int, int] = {}


def _reap(*_: object) -> None:
    while True:
        try:
            pid, status = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return
        _DONE[pid] = os.waitstatus_to_exitcode(status)


def _child(request: dict, pipes: tuple[Any, ...]) -> None:
    """In the forked child: become a fresh kernel process; never returns."""
    code = 1
    try:
        os.setsid()
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)
        signal.signal(signal.SIGINT, signal.default_int_handler)
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        for pipe in pipes:
            pipe.close()  # through the file objects, so nothing closes their numbers later
        null = os.open(os.devnull, os.O_RDONLY)
        os.dup2(null, 0)
        os.close(null)
        os.environ.clear()
        os.environ.update(request["env"])
        os.environ["JPY_PARENT_PID"] = str(os.getppid())
        if request.get("cwd"):
            os.chdir(request["cwd"])
        if "numpy" in sys.modules:
            sys.modules["numpy"].random.seed()  # fresh OS entropy, as a new process has
        argv = request["argv"]
        spec = importlib.util.find_spec("ipykernel_launcher")
        sys.argv = [spec.origin if spec and spec.origin else "ipykernel_launcher", *argv[3:]]
        from ipykernel import kernelapp

        kernelapp.launch_new_instance()
        code = 0
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    except BaseException:  # noqa: BLE001 - reported on stderr, then the child exits
        import traceback

        traceback.print_exc()
    finally:
        try:
            import atexit

            atexit._run_exitfuncs()
            sys.stdout.flush()
            sys.stderr.flush()
        finally:
            os._exit(code)


def serve(req_fd: int, ans_fd: int, preload: list[str]) -> int:
    """Run the zygote: import *preload*, then fork a kernel per request until EOF."""
    answers = os.fdopen(ans_fd, "w", encoding="utf-8", buffering=1)
    # ipykernel reads its parent's pid (to exit when the parent goes) when it is imported.
    os.environ["JPY_PARENT_PID"] = str(os.getpid())
    os.environ.setdefault("MPLBACKEND", INLINE_BACKEND)
    started = time.perf_counter()
    for name in preload:
        try:
            importlib.import_module(name)
        except ImportError:
            pass  # the kernel imports it itself, if it needs it
    if threading.active_count() != 1:
        answers.write(json.dumps({"error": f"{threading.active_count()} Python threads after "
                                           "the imports; refusing to fork"}) + "\n")
        return 1
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the runner's to handle
    signal.signal(signal.SIGCHLD, _reap)
    answers.write(json.dumps({"ready": True, "seconds": time.perf_counter() - started}) + "\n")
    requests = os.fdopen(req_fd, "r", encoding="utf-8")
    for line in requests:
        request = json.loads(line)
        try:
            if request["op"] == "spawn":
                argv = request["argv"]
                if argv[1:3] != ["-m", "ipykernel_launcher"]:
                    raise ValueError(f"not an ipykernel command: {argv[:3]}")
                pid = os.fork()
                if pid == 0:
                    _child(request, (requests, answers))
                answer: dict = {"pid": pid}
            elif request["op"] == "poll":
                _reap()
                answer = {"returncode": _DONE.get(int(request["pid"]))}
            else:
                raise ValueError(f"unknown request {request['op']!r}")
        except Exception as exc:  # noqa: BLE001 - answered, the zygote keeps serving
            answer = {"error": f"{type(exc).__name__}: {exc}"}
        answers.write(json.dumps(answer) + "\n")
    return 0


__all__ = ["PRELOAD", "Zygote", "ZygoteError", "ZygoteProvisioner", "PooledKernelManager",
           "kernel_manager_class", "serve"]


if __name__ == "__main__":
    sys.exit(serve(int(sys.argv[1]), int(sys.argv[2]), sys.argv[3:]))
