"""Kernels of a report batch, tracked so that an interrupted batch can shut them down.

papermill starts one Jupyter kernel per notebook through nbclient. The runner passes
:class:`TrackedKernelManager` as nbclient's kernel manager class, so every kernel alive
is in :data:`LIVE`; :func:`shut_down_all` stops them (SIGTERM to the kernel process,
then SIGKILL) when a batch is interrupted, and the notebook running in it fails at
once instead of running to its end.
"""

from __future__ import annotations

import os
import signal
import threading
import time

from jupyter_client.manager import AsyncKernelManager

_LOCK = threading.Lock()
LIVE: set[AsyncKernelManager] = set()


class TrackedKernelManager(AsyncKernelManager):
    """An ``AsyncKernelManager`` that registers itself in :data:`LIVE` while it exists."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        with _LOCK:
            LIVE.add(self)

    async def _async_cleanup_resources(self, restart: bool = False) -> None:
        await super()._async_cleanup_resources(restart=restart)
        if not restart:
            with _LOCK:
                LIVE.discard(self)


def _pid(km: AsyncKernelManager) -> int | None:
    prov = getattr(km, "provisioner", None)
    proc = getattr(prov, "process", None)
    return getattr(proc, "pid", None)


def shut_down_all(grace: float = 3.0) -> int:
    """Stop every live kernel process: SIGTERM, then SIGKILL after *grace* seconds.

    Returns the number of kernel processes signalled.
    """
    with _LOCK:
        pids = [p for p in (_pid(km) for km in LIVE) if p]
    for pid in pids:
        try:
            os.kill(pid, signal.SIGTERM)
        except OSError:
            pass
    deadline = time.monotonic() + grace
    for pid in pids:
        while time.monotonic() < deadline:
            try:
                os.kill(pid, 0)
            except OSError:
                break
            time.sleep(0.05)
        else:
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass
    return len(pids)


__all__ = ["LIVE", "TrackedKernelManager", "shut_down_all"]
