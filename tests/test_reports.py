"""Batch reports: papermill runs, failures, skipping, manifest, authority checks.

The kernel runs are slow on a small machine, so one batch (three authorities, one of them
made to fail by a bad injected parameter) is built once per test session by
:func:`batch_run` and shared with ``test_privacy.py``, ``test_html.py`` and
``test_headline.py``.
"""

from __future__ import annotations

import atexit
import json
import shutil
import tempfile
from datetime import date, timedelta
from functools import cache
from pathlib import Path

import nbformat
import numpy as np
import pandas as pd
import pytest

from pace_analysis import reports
from pace_analysis.dataset import Dataset
from pace_analysis.errors import PaceError, UnknownAuthorityError
from pace_analysis.io import write_dataset
from pace_analysis.manifest import data_hash

GOOD = ("Angus", "Fife")
FAILING = "Moray"
TINY = "Orkney Islands"  # three journeys: below the disclosure threshold
EXTRACT = date(2024, 7, 31)


def small_dataset(seed: int = 7) -> Dataset:
    """A hand-made, valid dataset: Angus and Fife (70 journeys each), Moray (25), Orkney (3).

    Angus has exactly three children aged 12+ so that an age-group count is below the
    disclosure threshold. Child ids are random hex tokens and dates of birth are spread
    over 2000–2019, so a report that leaked either would be found by a scan.
    """
    rng = np.random.default_rng(seed)
    routes = ["home", "kinship", "permanence_order", "adoption"]
    jrows, prows = [], []
    k = 0
    for authority, n in (("Angus", 70), ("Fife", 70), ("Moray", 25), (TINY, 3)):
        for i in range(n):
            k += 1
            if authority == "Angus":
                age_days = int(rng.integers(13 * 365, 15 * 365)) if i < 3 else \
                    int(rng.integers(10, 11 * 365))
            else:
                age_days = int(rng.integers(10, 16 * 365))
            start = date(2012, 1, 1) + timedelta(days=int(rng.integers(0, 11 * 365)))
            dob = start - timedelta(days=age_days)
            accommodated = bool(rng.random() < 0.7)
            fate = rng.choice(["perm", "exit", "wait"], p=[0.6, 0.1, 0.3])
            dur = int(rng.gamma(2.0, 300 if authority == "Angus" else 450)) + 1
            end = start + timedelta(days=dur)
            row = dict(
                journey_id=f"J{k:05d}", child_id=f"K{rng.integers(16**7, 16**8):x}",
                authority=authority, sex=str(rng.choice(["female", "male"])),
                date_of_birth=dob, looked_after_date=start,
                legal_basis=str(rng.choice(["cso", "s25"])),
                accommodated_date=start if accommodated else None,
                permanence_recommendation_date=None, planned_route=None, panel_date=None,
                adm_decision_date=None, application_lodged_date=None, permanence_route=None,
                permanence_date=None, exit_date=None, exit_reason=None, extract_date=EXTRACT)
            if fate == "wait" or end > EXTRACT:
                end = None
            elif fate == "perm":
                route = str(rng.choice(routes)) if accommodated else "home"
                rec = start + timedelta(days=max(1, dur // 3))
                row.update(permanence_route=route, permanence_date=end, planned_route=route,
                           permanence_recommendation_date=rec)
                if route != "permanence_order":
                    row.update(exit_date=end, exit_reason="permanence")
                else:
                    end = None
            else:
                row.update(exit_date=end, exit_reason=str(rng.choice(["transferred", "other"])))
            jrows.append(row)
            prows.append(dict(journey_id=row["journey_id"], start_date=start, end_date=end,
                              placement_type="foster" if accommodated else "home"))
    j = pd.DataFrame(jrows)
    p = pd.DataFrame(prows)
    for col in j.columns:
        if col.endswith("_date") or col == "date_of_birth":
            j[col] = pd.to_datetime(j[col])
    for col in ("start_date", "end_date"):
        p[col] = pd.to_datetime(p[col])
    return Dataset(j, p, meta={"source": "hand-made test data"})


def write_small(folder: Path) -> Path:
    """Write :func:`small_dataset` as CSV into *folder* and return the folder."""
    return write_dataset(small_dataset(), folder)


@cache
def batch_run() -> dict:
    """Build one shared batch (once per session): Angus, Fife, Orkney built; Moray fails.

    Moray is made to fail with an injected window start that is not a date, so the failure
    happens in a real cell of the real notebook.
    """
    root = Path(tempfile.mkdtemp(prefix="pace-test-reports-"))
    atexit.register(shutil.rmtree, root, ignore_errors=True)
    data = write_small(root / "data")
    summary = reports.run_reports(
        [*GOOD, TINY, FAILING], data, run="t", out=root / "reports", jobs=2, progress=False,
        extra_parameters={FAILING: {"window_start": "not-a-date"}},
    )
    return {"root": root, "data": data, "summary": summary, "run_dir": root / "reports" / "t"}


def light_notebook(path: Path) -> Path:
    """A notebook with the report's parameters that only writes a stub report (fast)."""
    nb = nbformat.v4.new_notebook()
    params = nbformat.v4.new_code_cell("\n".join(f"{n} = None" for n in reports.PARAMETERS))
    params.metadata["tags"] = ["parameters"]
    nb.cells = [nbformat.v4.new_markdown_cell("# Stub"), params, nbformat.v4.new_code_cell(
        "import json, pathlib\n"
        "pathlib.Path(output_dir, 'summary.json').write_text(json.dumps({'figures': {}}))")]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                 "language": "python"}
    nbformat.write(nb, path)
    return path


# --------------------------------------------------------------------------- fast tests

def test_resolve_authorities_checks_names_and_presence():
    present = ["Angus", "Fife"]
    assert reports.resolve_authorities(["angus", "S12000047"], present, False) == ["Angus", "Fife"]
    assert reports.resolve_authorities(None, present, False) == present
    with pytest.raises(UnknownAuthorityError, match="Did you mean"):
        reports.resolve_authorities(["Anguss"], present, False)
    with pytest.raises(UnknownAuthorityError, match="no journeys"):
        reports.resolve_authorities(["Moray"], present, False)


def test_resolve_authorities_any_route_set_uses_the_data():
    present = ["Leeds", "../../etc"]
    assert reports.resolve_authorities(["leeds"], present, True) == ["Leeds"]
    with pytest.raises(UnknownAuthorityError):
        reports.resolve_authorities(["York"], present, True)
    # A hostile name is reduced to a slug that cannot leave the run folder.
    names = reports.resolve_authorities(None, present, True)
    assert [reports.slugify(n) for n in names] == ["etc", "leeds"]


@pytest.mark.parametrize("bad", ["", "..", "a/b", "../x", "x y", "/abs"])
def test_run_name_must_be_a_plain_name(bad):
    with pytest.raises(PaceError):
        reports.check_run_name(bad)


def test_unknown_parameter_is_an_error(tmp_path):
    nb = light_notebook(tmp_path / "n.ipynb")
    assert set(reports.check_parameters(nb, reports.PARAMETERS)) == set(reports.PARAMETERS)
    with pytest.raises(PaceError, match="no parameter"):
        reports.check_parameters(nb, ["authority", "treshold"])


def test_report_notebook_declares_every_parameter():
    declared = reports.check_parameters(reports.DEFAULT_NOTEBOOK, reports.PARAMETERS)
    assert set(declared) == set(reports.PARAMETERS)
    nb = nbformat.read(reports.DEFAULT_NOTEBOOK, as_version=4)
    tagged = [c for c in nb.cells if "parameters" in c.metadata.get("tags", [])]
    assert len(tagged) == 1
    # Plain `name = literal` lines only; no outputs committed; no def/class anywhere.
    assert all(" = " in ln for ln in tagged[0].source.splitlines())
    assert all(not c.get("outputs") for c in nb.cells if c.cell_type == "code")
    assert not any(ln.lstrip().startswith(("def ", "class ")) for c in nb.cells
                   if c.cell_type == "code" for ln in c.source.splitlines())
    # `papermill notebooks/authority_report.ipynb out.ipynb -p authority ...` from the
    # repository root finds the bundled data with the default data_path.
    defaults = reports.check_parameters(reports.DEFAULT_NOTEBOOK, ["data_path"])
    data_path = defaults["data_path"]["default"].strip("\"'")
    assert (reports.DEFAULT_NOTEBOOK.parents[1] / data_path / "dataset.yaml").is_file()


def test_bad_data_stops_before_anything_is_written(tmp_path):
    data = write_small(tmp_path / "data")
    text = (data / "journeys.csv").read_text(encoding="utf-8").splitlines()
    text[1] = text[1].replace("2024-07-31", "2024-13-45", 1)
    (data / "journeys.csv").write_text("\n".join(text) + "\n", encoding="utf-8")
    with pytest.raises(PaceError):
        reports.run_reports(None, data, run="bad", out=tmp_path / "reports", progress=False)
    assert not (tmp_path / "reports").exists()
    from pace_analysis.cli import main

    assert main(["report", "--all", "--data", str(data), "--out", str(tmp_path / "reports"),
                 "--no-progress"]) == 2
    good = write_small(tmp_path / "good")
    for window in (["--window-start", "2015-02-30"], ["--window-start", "2016-01-01",
                                                       "--window-end", "2015-01-01"]):
        assert main(["report", "--all", "--data", str(good), "--out", str(tmp_path / "reports"),
                     "--no-progress", *window]) == 2
    assert main(["report", "--authority", "Atlantis", "--data", str(good), "--out",
                 str(tmp_path / "reports"), "--no-progress"]) == 2
    assert not (tmp_path / "reports").exists()


# --------------------------------------------------------------------------- kernel runs

@pytest.mark.slow
def test_batch_builds_good_authorities_and_reports_the_failure():
    run = batch_run()
    summary, run_dir = run["summary"], run["run_dir"]
    status = {r.authority: r.status for r in summary.results}
    assert status == {"Angus": "built", "Fife": "built", TINY: "built", FAILING: "failed"}
    assert summary.exit_code == 1
    failed = summary.failed[0]
    assert failed.cell is not None and failed.error
    text = summary.text()
    assert FAILING in text and f"cell {failed.cell}" in text and failed.error in text
    for name in GOOD:
        folder = run_dir / reports.slugify(name)
        for f in ("report.html", "report.ipynb", "summary.json", "run.log", "build.json"):
            assert (folder / f).is_file(), f
        assert list(folder.glob("*.csv"))
    bad = run_dir / reports.slugify(FAILING)
    assert not (bad / "report.html").exists() and (bad / "run.log").is_file()
    assert "FAILED" in (bad / "run.log").read_text(encoding="utf-8")
    # Nothing temporary is left behind.
    assert not [p for p in run_dir.iterdir() if p.name.startswith(".")]


@pytest.mark.slow
def test_manifest_records_parameters_versions_and_timings():
    run = batch_run()
    manifest = json.loads((run["run_dir"] / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["inputs"]["data_hash"] == data_hash(run["data"])
    assert manifest["parameters"]["threshold"] == 5
    for lib in ("python", "pandas", "lifelines", "papermill", "pace-analysis"):
        assert manifest["versions"][lib]
    rows = {r["authority"]: r for r in manifest["authorities"]}
    assert rows["Fife"]["status"] == "built" and rows["Fife"]["seconds"] > 0
    assert rows[FAILING]["status"] == "failed" and rows[FAILING]["cell"] is not None


@pytest.mark.slow
def test_cli_rerun_skips_unchanged_and_exits_nonzero_for_the_failure(capsys):
    from pace_analysis.cli import main

    run = batch_run()
    html = run["run_dir"] / "fife" / "report.html"
    mtime = html.stat().st_mtime_ns
    code = main(["report", "--authority", "Fife", "--authority", "Angus", "--data",
                 str(run["data"]), "--out", str(run["root"] / "reports"), "--run", "t",
                 "--no-progress"])
    assert code == 0
    assert "2 unchanged (skipped)" in capsys.readouterr().out
    assert html.stat().st_mtime_ns == mtime


@pytest.mark.slow
def test_force_rebuilds(tmp_path):
    data = write_small(tmp_path / "data")
    nb = light_notebook(tmp_path / "stub.ipynb")
    kw = dict(run="r", out=tmp_path / "reports", progress=False, notebook=nb)
    first = reports.run_reports(["Fife"], data, **kw)
    assert [r.status for r in first.results] == ["built"]
    assert [r.status for r in reports.run_reports(["Fife"], data, **kw).results] == ["skipped"]
    assert [r.status for r in reports.run_reports(["Fife"], data, force=True, **kw).results] \
        == ["built"]
    # A changed parameter rebuilds too.
    assert [r.status for r in reports.run_reports(["Fife"], data, threshold=7, **kw).results] \
        == ["built"]


@pytest.mark.slow
def test_rerun_checks_parameters_only_of_a_changed_notebook(tmp_path, monkeypatch):
    data = write_small(tmp_path / "data")
    nb = light_notebook(tmp_path / "stub.ipynb")
    kw = dict(run="r", out=tmp_path / "reports", progress=False, notebook=nb)
    reports.run_reports(["Fife"], data, **kw)
    checked = []
    real = reports.check_parameters
    monkeypatch.setattr(reports, "check_parameters",
                        lambda *a: checked.append(a) or real(*a))
    # Nothing changed: the manifest's notebook hash stands for the check (no papermill).
    assert [r.status for r in reports.run_reports(["Fife"], data, **kw).results] == ["skipped"]
    assert checked == []
    # The notebook lost a parameter: checked again, and refused before anything is built.
    book = nbformat.read(nb, as_version=4)
    book.cells[1].source = book.cells[1].source.replace("cache_dir = None", "")
    nbformat.write(book, nb)
    with pytest.raises(PaceError, match="no parameter"):
        reports.run_reports(["Fife"], data, **kw)
    assert checked


@pytest.mark.slow
def test_crash_mid_build_leaves_the_previous_report_whole(tmp_path, monkeypatch):
    from pace_analysis import html

    data = write_small(tmp_path / "data")
    nb = light_notebook(tmp_path / "stub.ipynb")
    kw = dict(run="r", out=tmp_path / "reports", progress=False, notebook=nb)
    reports.run_reports(["Fife"], data, **kw)
    folder = tmp_path / "reports" / "r" / "fife"
    before = {p.name: p.read_bytes() for p in folder.iterdir()}

    def crash(*args, **kwargs):
        raise KeyboardInterrupt  # e.g. Ctrl-C while the HTML is being written

    monkeypatch.setattr(html, "export_html", crash)
    with pytest.raises(KeyboardInterrupt):
        reports.run_reports(["Fife"], data, force=True, **kw)
    assert {p.name: p.read_bytes() for p in folder.iterdir()} == before
    leftovers = [p for p in folder.parent.iterdir() if ".tmp-" in p.name]
    assert leftovers  # the half-built copy sits beside it under a temporary name...
    monkeypatch.undo()
    reports.run_reports(["Fife"], data, **kw)
    assert not [p for p in folder.parent.iterdir() if ".tmp-" in p.name]  # ...until next run


@pytest.mark.slow
def test_later_invocation_keeps_earlier_authorities_in_index(tmp_path):
    data = write_small(tmp_path / "data")
    nb = light_notebook(tmp_path / "stub.ipynb")
    kw = dict(run="r", out=tmp_path / "reports", progress=False, notebook=nb)
    reports.run_reports(["Fife"], data, **kw)
    reports.run_reports(["Angus"], data, **kw)
    run_dir = tmp_path / "reports" / "r"
    index = (run_dir / "index.html").read_text(encoding="utf-8")
    assert 'href="fife/report.html"' in index and 'href="angus/report.html"' in index
    manifest = json.loads((run_dir / "manifest.json").read_text(encoding="utf-8"))
    rows = {r["authority"]: r for r in manifest["authorities"]}
    assert rows["Angus"]["status"] == "built" and rows["Fife"].get("earlier_invocation") is True


@pytest.mark.slow
def test_a_kernel_failure_is_retried_once(tmp_path, monkeypatch):
    import papermill

    data = write_small(tmp_path / "data")
    nb = light_notebook(tmp_path / "stub.ipynb")
    real = papermill.execute_notebook
    calls = []

    def flaky(*args, **kwargs):
        calls.append(1)
        if len(calls) == 1:
            raise RuntimeError("Kernel died before replying to kernel_info")
        return real(*args, **kwargs)

    monkeypatch.setattr(papermill, "execute_notebook", flaky)
    summary = reports.run_reports(["Fife"], data, run="r", out=tmp_path / "reports",
                                  progress=False, notebook=nb)
    assert [r.status for r in summary.results] == ["built"] and len(calls) == 2
    log = (tmp_path / "reports" / "r" / "fife" / "run.log").read_text(encoding="utf-8")
    assert "kernel failure (RuntimeError" in log and "retrying" in log


@pytest.mark.slow
def test_pdf_is_printed_with_the_report_and_published_with_it(tmp_path):
    data = write_dataset(small_dataset(), tmp_path / "data")
    summary = reports.run_reports(["Fife"], data, run="pdf", out=tmp_path / "reports", jobs=1,
                                  progress=False, pdf=True)
    assert summary.exit_code == 0, [r.describe() for r in summary.failed]
    folder = summary.run_dir / "fife"
    assert (folder / "report.pdf").read_bytes().startswith(b"%PDF")
    assert not list(folder.glob(".*.tmp"))
    # The PDF is part of the report's key: the same run without --pdf rebuilds.
    again = reports.run_reports(["Fife"], data, run="pdf", out=tmp_path / "reports", jobs=1,
                                progress=False)
    assert [r.status for r in again.results] == ["built"]


def test_pdf_without_chromium_is_refused_before_any_kernel(tmp_path, monkeypatch):
    import shutil as sh

    data = write_dataset(small_dataset(), tmp_path / "data")
    monkeypatch.setattr(sh, "which", lambda name: None)
    with pytest.raises(reports.ReportError, match="Chromium"):
        reports.run_reports(["Fife"], data, run="nopdf", out=tmp_path / "reports",
                            progress=False, pdf=True)
    assert not (tmp_path / "reports" / "nopdf" / "fife").exists()


def test_scrub_paths_removes_object_addresses(tmp_path):
    # A Styler's text/plain repr carries a memory address that differs between runs.
    nb = tmp_path / "report.ipynb"
    nb.write_text('{"text/plain": ["<pandas.io.formats.style.Styler at 0x7f8a1c647590>"],'
                  ' "path": "/srv/data/x"}', encoding="utf-8")
    reports.scrub_paths(nb, {"/srv/data": "<data>"})
    text = nb.read_text(encoding="utf-8")
    assert "0x7f8a1c647590" not in text and "<pandas.io.formats.style.Styler>" in text
    assert "/srv/data" not in text and "<data>/x" in text
