"""The warm kernel pool: isolation between authorities, and the same bytes as cold kernels."""

from __future__ import annotations

import asyncio
import json
import re
from pathlib import Path

import nbformat
import papermill
import pytest

from pace_analysis import kernels, reports
from pace_analysis.kernelpool import Zygote, ZygoteError, kernel_manager_class
from tests.test_reports import batch_run

#: One notebook run twice in a row by the same zygote: the first run ("set") changes a
#: module global of the package, matplotlib's rcParams, both random states, an environment
#: variable and the working folder; the second ("look") records what it finds.
_CELL = """
import json, os, random, sys
import matplotlib, numpy as np
import pace_analysis
seen = {
    "pid": os.getpid(), "ppid": os.getppid(), "cwd": os.getcwd(),
    "leak": getattr(pace_analysis, "_leak_from_a_report", None),
    "linewidth": matplotlib.rcParams["lines.linewidth"],
    "env": os.environ.get("PACE_LEAK"),
    "np_random": float(np.random.random()), "py_random": random.random(),
    "modules": len(sys.modules),
}
if step == "set":
    pace_analysis._leak_from_a_report = 1
    matplotlib.rcParams["lines.linewidth"] = 7.5
    np.random.seed(1)
    random.seed(1)
    os.environ["PACE_LEAK"] = "yes"
    os.chdir("/")
print(json.dumps(seen))
"""


def _notebook(path: Path) -> Path:
    params = nbformat.v4.new_code_cell('step = "look"')
    params.metadata["tags"] = ["parameters"]
    nb = nbformat.v4.new_notebook(cells=[params, nbformat.v4.new_code_cell(_CELL)])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                 "language": "python"}
    nbformat.write(nb, path)
    return path


def _run(nb: Path, out: Path, step: str, manager) -> dict:
    done = papermill.execute_notebook(
        str(nb), str(out), parameters={"step": step}, kernel_name=reports.KERNEL_NAME,
        progress_bar=False, kernel_manager_class=manager,
        extra_arguments=["--IPKernelApp.log_level=CRITICAL"])
    return json.loads(done.cells[-1].outputs[0]["text"])


@pytest.mark.slow
def test_no_state_of_one_authority_is_seen_by_the_next(tmp_path):
    nb = _notebook(tmp_path / "state.ipynb")
    with Zygote() as zygote:
        manager = kernel_manager_class(zygote)
        first = _run(nb, tmp_path / "a.ipynb", "set", manager)
        second = _run(nb, tmp_path / "b.ipynb", "look", manager)
        third = _run(nb, tmp_path / "c.ipynb", "look", manager)
    # Each authority is its own process, forked from the zygote (not from the last kernel).
    assert len({first["pid"], second["pid"], third["pid"]}) == 3
    assert first["ppid"] == second["ppid"] == third["ppid"] == zygote.pid
    # Nothing the first report set is visible to the next ones.
    for later in (second, third):
        assert later["leak"] is None
        assert later["linewidth"] == first["linewidth"] != 7.5
        assert later["env"] is None
        assert later["cwd"] == first["cwd"] != "/"
    # Random states are fresh in every kernel: not the seeded ones, not shared by forks.
    import random

    import numpy as np

    np.random.seed(1)  # noqa: NPY002 - the legacy global state is what a kernel could leak
    random.seed(1)
    seeded = (float(np.random.random()), random.random())  # noqa: NPY002
    values = [(k["np_random"], k["py_random"]) for k in (first, second, third)]
    assert seeded not in values
    assert len({v[0] for v in values}) == 3 and len({v[1] for v in values}) == 3
    # And the kernels started warm: the stack was already imported.
    cold = _run(nb, tmp_path / "d.ipynb", "look", kernels.TrackedKernelManager)
    assert second["modules"] > cold["modules"]


#: What differs between two *cold* builds of the same report too: papermill's cell timings
#: and random cell ids. (Every styled table has a fixed id and object addresses are
#: scrubbed, so the page and the notebook's outputs are compared as they are.)
_VOLATILE = [
    (re.compile(rb'"(start_time|end_time|duration|iopub\.[a-z_.]+|shell\.execute_reply)": '
                rb'("[^"]*"|[0-9.e-]+)'), rb'"\1": "-"'),
    (re.compile(rb'"id": "[0-9a-f]{8}"'), rb'"id": "-"'),
]


def _files(folder: Path) -> dict[str, bytes]:
    """Every file of a report folder but run.log (wall-clock times), volatile parts masked.

    Figures, tables and summary.json are compared byte for byte: none has a volatile part.
    """
    out = {}
    for p in sorted(folder.rglob("*")):
        if p.is_file() and p.name != "run.log":
            data = p.read_bytes()
            if p.suffix in (".ipynb", ".html"):
                for pattern, stand_in in _VOLATILE:
                    data = pattern.sub(stand_in, data)
            out[p.relative_to(folder).as_posix()] = data
    return out


@pytest.mark.slow
def test_warm_report_is_byte_identical_to_cold():
    run = batch_run()  # the session's shared batch, built with cold kernels
    # The same run name (pages name their run), in another reports folder.
    summary = reports.run_reports(["Angus"], run["data"], run=run["run_dir"].name,
                                  out=run["root"] / "warm", jobs=1, progress=False, warm=True)
    assert summary.exit_code == 0, summary.text()
    cold = _files(run["run_dir"] / "angus")
    warm = _files(run["root"] / "warm" / run["run_dir"].name / "angus")
    assert sorted(warm) == sorted(cold)
    assert "report.html" in warm and any(n.endswith(".png") for n in warm)
    assert [name for name in cold if cold[name] != warm[name]] == []
    manifest = json.loads((run["root"] / "warm" / run["run_dir"].name / "manifest.json")
                          .read_text())
    assert manifest["parameters"]["warm"] is True


@pytest.mark.slow
def test_interrupted_batch_shuts_down_forked_kernels():
    async def start_and_stop() -> tuple[int, int, int | None]:
        km = manager(kernel_name=reports.KERNEL_NAME)
        await km.start_kernel(extra_arguments=["--IPKernelApp.log_level=CRITICAL"])
        pid = km.provisioner.pid
        stopped = kernels.shut_down_all(grace=5.0)
        await asyncio.sleep(0.2)
        code = await km.provisioner.poll()
        await km.cleanup_resources()
        return pid, stopped, code

    with Zygote() as zygote:
        manager = kernel_manager_class(zygote)
        pid, stopped, code = asyncio.run(start_and_stop())
        assert stopped == 1
        assert code is not None  # the forked kernel has ended
        assert zygote.returncode(pid) is not None


def test_zygote_forks_only_kernels():
    with Zygote() as zygote, pytest.raises(ZygoteError, match="not an ipykernel command"):
        zygote.spawn(["python", "-c", "print(1)"], {}, None)
