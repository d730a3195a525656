"""Offline HTML: no external scripts, styles or fonts; code hidden; figures embedded."""

from __future__ import annotations

import base64

import nbformat
import pytest

from pace_analysis import html

PNG = base64.b64encode(bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360000002000005000100e2213a9a0000000049454e44ae426082"
)).decode()


def test_external_references_are_found():
    for text in ('<script src="https://cdn.jsdelivr.net/x.js"></script>',
                 "<link rel=stylesheet href='//fonts.googleapis.com/css'>",
                 "<style>@import url(https://fonts.googleapis.com/css2);</style>",
                 "<style>body{background:url( 'http://x/y.png')}</style>",
                 '<img src="http://example.org/a.png">',
                 '<img srcset="https://example.org/a.png 2x">',
                 '<video poster="https://example.org/p.png"></video>'):
        assert html.external_references(text), text
    # Plain links do not load anything; embedded images are fine.
    assert not html.external_references('<a href="https://www.celcis.org/">CELCIS</a>')
    assert not html.external_references(f'<img src="data:image/png;base64,{PNG}">')


def notebook(tmp_path):
    nb = nbformat.v4.new_notebook()
    code = nbformat.v4.new_code_cell("secret_code_line = 1")
    code.outputs = [
        nbformat.v4.new_output("stream", name="stdout", text="visible text\n"),
        nbformat.v4.new_output("stream", name="stderr", text="a warning with /home/path\n"),
        nbformat.v4.new_output("display_data", data={"image/png": PNG, "text/plain": "<Figure>"}),
        nbformat.v4.new_output("display_data", data={
            "application/javascript": "alert(1)", "text/plain": "js fallback"}),
        nbformat.v4.new_output("display_data", data={
            "application/vnd.jupyter.widget-view+json": {"model_id": "x"}, "text/plain": "w"}),
    ]
    nb.cells = [nbformat.v4.new_markdown_cell("# My report\n\nSome *text*."), code]
    nb.metadata["widgets"] = {"application/vnd.jupyter.widget-state+json": {"state": {}}}
    path = tmp_path / "nb.ipynb"
    nbformat.write(nb, path)
    return path


def test_export_hides_code_and_embeds_figures(tmp_path):
    out = html.export_html(notebook(tmp_path), tmp_path / "r.html")
    text = out.read_text(encoding="utf-8")
    assert "<title>My report</title>" in text and "visible text" in text
    assert "secret_code_line" not in text
    assert "a warning" not in text  # stderr dropped
    assert "alert(1)" not in text and "<script" not in text.lower()
    assert f"data:image/png;base64,{PNG}" in text
    assert not html.external_references(text)
    assert not list(tmp_path.glob(".*.tmp"))


def test_index_marks_failures_and_suppression(tmp_path):
    import json

    (tmp_path / "fife").mkdir()
    fig = {"children": None, "journeys": 40, "share_2y": None, "suppressed": False,
           "median_reached": False}
    (tmp_path / "fife" / "summary.json").write_text(json.dumps(
        {"figures": {"authority": fig, "scotland": {**fig, "children": 900}}}))
    out = html.write_index(tmp_path, [("Fife", "fife", "built"), ("Moray", "moray", "failed")])
    text = out.read_text(encoding="utf-8")
    assert 'href="fife/report.html"' in text and 'href="moray/run.log"' in text
    assert "<td>c</td>" in text and "900" in text and "report failed" in text
    assert not html.external_references(text)


@pytest.mark.slow
def test_every_report_of_a_run_is_offline():
    from test_reports import batch_run

    run = batch_run()
    pages = list(run["run_dir"].rglob("*.html"))
    assert len(pages) == 4  # three reports and the index
    for page in pages:
        text = page.read_text(encoding="utf-8")
        assert not html.external_references(text), page
        assert "<script" not in text.lower() and "mathjax" not in text.lower()
        assert "http://" not in text.replace('xmlns="http://www.w3.org', "")
        if page.name == "report.html":
            assert text.count("data:image/png;base64,") >= 3
            assert "reporting.load_dataset" not in text  # code hidden
            assert "PosixPath" not in text and ".tmp-" not in text  # no file paths shown
            assert '<nav class="contents">' in text and 'href="#Methods-and-definitions"' in text


# --------------------------------------------------------------------------- hostile data

XSS_SOURCE = "<script>alert('source')</script><img src=\"https://evil.example/s.png\">"
XSS_AREAS = ("<script>alert(1)</script> Borough", '=HYPERLINK("https://evil.example","x")')
XSS_ROUTE = "<img src=//evil.example/r.png onerror=alert(3)>Kin"


@pytest.fixture(scope="module")
def hostile_run(tmp_path_factory):
    """A real batch on data whose source, authority names and a route label are hostile."""
    import yaml
    from test_reports import small_dataset

    from pace_analysis import reports
    from pace_analysis.dataset import Dataset
    from pace_analysis.io import write_dataset
    from pace_analysis.routes import load_route_set

    root = tmp_path_factory.mktemp("hostile")
    from importlib import resources

    routes = yaml.safe_load(resources.files("pace_analysis.routesets").joinpath(
        "england.yaml").read_text(encoding="utf-8"))
    routes["name"] = "hostile"
    routes["routes"][1]["label"] = XSS_ROUTE
    (root / "routes.yaml").write_text(yaml.safe_dump(routes), encoding="utf-8")
    base = small_dataset()
    j = base.journeys[base.journeys["authority"].isin(["Angus", "Fife"])].copy()
    j["authority"] = j["authority"].map({"Angus": XSS_AREAS[0], "Fife": XSS_AREAS[1]})
    j["permanence_route"] = j["permanence_route"].replace(
        {"kinship": "child_arrangements", "permanence_order": "special_guardianship"})
    j["planned_route"] = j["permanence_route"]
    # Every England order ends being looked after (rule permanence_continues); Scottish
    # journeys still open after an order have no English counterpart, so leave them out.
    j = j[~(j["permanence_route"].isin(["child_arrangements", "special_guardianship"])
            & j["exit_date"].isna())]
    p = base.placements[base.placements["journey_id"].isin(j["journey_id"])]
    rs = load_route_set(str(root / "routes.yaml"))
    data = write_dataset(Dataset(j, p, rs, meta={"source": XSS_SOURCE}), root / "data")
    meta = yaml.safe_load((data / "dataset.yaml").read_text(encoding="utf-8"))
    meta["route_set"] = str(root / "routes.yaml")
    (data / "dataset.yaml").write_text(yaml.safe_dump(meta), encoding="utf-8")
    summary = reports.run_reports(None, data, run="x", out=root / "reports", jobs=2,
                                  progress=False)
    assert summary.exit_code == 0, [r.describe() for r in summary.failed]
    return summary.run_dir


@pytest.mark.slow
def test_hostile_values_are_escaped_in_every_page_and_csv(hostile_run):
    import csv

    pages = sorted(hostile_run.rglob("*.html"))
    assert len(pages) == 3
    for page in pages:
        text = page.read_text(encoding="utf-8")
        assert "<script" not in text.lower(), page
        assert "evil.example" not in text or "&lt;" in text
        assert not html.external_references(text), (page, html.external_references(text))
        assert 'http-equiv="Content-Security-Policy"' in text
        assert "script-src 'none'" in text and "default-src 'none'" in text
        if "borough" in page.parent.name or page.name == "index.html":
            assert "&lt;script&gt;alert(1)&lt;/script&gt; Borough" in text  # shown, escaped
    report = next(p for p in pages if p.parent.name != "x")
    text = report.read_text(encoding="utf-8")
    assert "onerror" not in text.replace("onerror=alert(3)&gt;", "")
    if "Borough" in report.parent.name:
        assert "&lt;script&gt;alert(&#x27;source&#x27;)&lt;/script&gt;" in text or \
            "&lt;script&gt;alert('source')&lt;/script&gt;" in text
    for table in hostile_run.rglob("*.csv"):
        with table.open(newline="", encoding="utf-8") as fh:
            for row in csv.reader(fh):
                for cell in row:
                    assert not cell.startswith(("=", "+", "@", "\t", "\r")), (table, cell)
                    assert not (cell.startswith("-") and not _number(cell)), (table, cell)


def _number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


@pytest.mark.slow
def test_no_absolute_path_of_the_machine_in_any_output(hostile_run):
    import sys
    import tempfile
    from pathlib import Path

    roots = {str(hostile_run.parents[1]), str(Path.cwd()), sys.prefix, tempfile.gettempdir()}
    for path in hostile_run.rglob("*"):
        if path.suffix in {".html", ".ipynb", ".csv", ".json", ".log"}:
            text = path.read_text(encoding="utf-8")
            for root in roots:
                assert root not in text, (path, root)
        if path.suffix == ".ipynb":
            assert "image/png" not in path.read_text(encoding="utf-8")
