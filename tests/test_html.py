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
