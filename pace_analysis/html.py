"""Offline HTML: executed notebooks to self-contained report pages, and the run index.

Reports go to people who may read them without internet access and must not load
anything from elsewhere. nbconvert's default ``lab`` template links MathJax and
require.js from a CDN, so this module uses the ``basic`` template (body only, no
scripts), removes outputs that need JavaScript (widgets, ``application/javascript``) and
stderr noise, and wraps the body in our own page with an inline stylesheet
(``pace_analysis/templates/``). Figures are PNG outputs of the notebook and end up
embedded as ``data:`` URIs. :func:`external_references` finds anything that would still
reach out (a test and the exporter both use it).
"""

from __future__ import annotations

import base64
import copy
import html
import io
import json
import os
import re
import uuid
from collections.abc import Iterable, Sequence
from functools import cache
from importlib import resources
from pathlib import Path

from pace_analysis import __version__, safehtml
from pace_analysis.errors import ReportError

SUPPRESSED = "c"
_DROP_MIME = ("application/javascript", "application/vnd.jupyter.widget-view+json",
              "application/vnd.jupyter.widget-state+json", "text/javascript")


@cache
def _template(name: str) -> str:
    return resources.files("pace_analysis").joinpath("templates", name).read_text(encoding="utf-8")


def external_references(text: str) -> list[str]:
    """Every script, stylesheet, font, image or frame in *text* loaded from another host.

    The page is parsed (:func:`pace_analysis.safehtml.external_references`), not searched
    with a pattern: every URL-bearing attribute, ``srcset``, SVG ``href``/``xlink:href``, CSS
    ``url()`` and ``@import``, with backslash and protocol-relative forms.
    """
    return safehtml.external_references(text)


def page(title: str, body: str, threshold: int | None = None) -> str:
    """Wrap an HTML body in the offline page shell with the inline stylesheet."""
    import jinja2

    env = jinja2.Environment(autoescape=False, keep_trailing_newline=True)
    return env.from_string(_template("page.html.j2")).render(
        title=html.escape(title), body=body, css=_template("report.css"), version=__version__,
        csp=safehtml.CSP,  # a constant of ours, without double quotes
        threshold=threshold if threshold is not None else 5, mark=SUPPRESSED,
    )


def _strip_outputs(nb) -> None:
    """Drop stderr streams and outputs that need JavaScript; clear widget state."""
    nb.metadata.pop("widgets", None)
    for number, cell in enumerate(nb.cells):
        cell["id"] = f"cell-{number}"  # papermill's injected cell gets a random id
        if cell.cell_type != "code":
            continue
        kept = []
        for out in cell.get("outputs", []):
            if out.output_type == "stream" and out.get("name") == "stderr":
                continue
            if out.output_type in {"display_data", "execute_result"}:
                for mime in _DROP_MIME:
                    out.data.pop(mime, None)
                if not out.data:
                    continue
                _make_safe(out)
            kept.append(out)
        cell.outputs = kept


def _make_safe(out) -> None:
    """Markdown and HTML outputs (built from data) as sanitized HTML; nothing else of them.

    Markdown outputs are rendered with raw HTML escaped (:func:`safehtml.markdown_html`),
    HTML outputs (pandas tables) re-serialised through :func:`safehtml.sanitize`; both then
    stand as the output's only ``text/html``, so nbconvert has nothing left to interpret.
    """
    data = out.data
    if "text/markdown" in data:
        data["text/html"] = safehtml.markdown_html(_text(data.pop("text/markdown")))
    elif "text/html" in data:
        data["text/html"] = safehtml.sanitize(_text(data["text/html"]))
    if "text/html" in data or any(k.startswith("image/") for k in data):
        data.pop("text/plain", None)
    for mime in [m for m in data if m in ("text/latex", "image/svg+xml")]:
        data.pop(mime)


def _text(value) -> str:
    return "".join(value) if isinstance(value, list) else str(value)


def notebook_body(notebook) -> str:
    """HTML body of a notebook (nbformat node or path) with code and prompts hidden."""
    import nbformat
    from nbconvert import HTMLExporter

    if not hasattr(notebook, "cells"):
        notebook = nbformat.read(str(notebook), as_version=4)
    _strip_outputs(notebook)
    exporter = HTMLExporter(template_name="basic", exclude_input=True,
                            exclude_input_prompt=True, exclude_output_prompt=True)
    body, _ = exporter.from_notebook_node(notebook)
    return body


def _parameters(nb) -> dict:
    """Literal values of the parameters cells (the notebook's defaults, then papermill's)."""
    import ast

    values: dict = {}
    for cell in nb.cells:
        tags = cell.metadata.get("tags", [])
        if cell.cell_type != "code" or not {"parameters", "injected-parameters"} & set(tags):
            continue
        try:
            tree = ast.parse(cell.source)
        except SyntaxError:
            continue
        for node in tree.body:
            if isinstance(node, ast.Assign) and len(node.targets) == 1 and \
                    isinstance(node.targets[0], ast.Name):
                try:
                    values[node.targets[0].id] = ast.literal_eval(node.value)
                except ValueError:
                    pass
    return values


def _machine_paths(nb) -> list[str]:
    """Absolute paths of this machine an executed notebook may carry, longest first."""
    import sys
    import tempfile

    found = {str(Path.cwd()), str(Path.home()), sys.prefix, tempfile.gettempdir()}
    for value in _parameters(nb).values():
        if isinstance(value, str) and os.path.isabs(value):
            found.add(value)
            found.add(str(Path(value).parent))
    return sorted((p for p in found if len(p) > 1), key=len, reverse=True)


def publishable_notebook(nb) -> None:
    """Make an executed notebook fit to keep beside its report (in place).

    Figures are removed (each is a file beside the report and embedded in the page;
    keeping them would double a council folder's size), and so is every absolute path of
    the machine: the path parameters papermill injected, papermill's own record of them
    and any path printed in an output.
    """
    import json

    import nbformat

    for cell in nb.cells:
        for out in cell.get("outputs", []):
            data = out.get("data", {})
            images = [m for m in data if m.startswith("image/")]
            for mime in images:
                data.pop(mime)
            if images:
                data["text/plain"] = "[figure: saved beside the report]"
    paths = _machine_paths(nb)
    text = json.dumps(nb, ensure_ascii=False)
    for path in paths:
        text = text.replace(json.dumps(path)[1:-1], "")
    clean = nbformat.from_dict(json.loads(text))
    nb.clear()
    nb.update(clean)


def export_html(notebook_path: str | os.PathLike, html_path: str | os.PathLike,
                title: str | None = None) -> Path:
    """Export an executed notebook as one self-contained offline HTML page.

    The executed notebook is then rewritten in place by :func:`publishable_notebook`
    (no figures, no absolute paths of this machine).

    Parameters
    ----------
    notebook_path : path
        Executed notebook.
    html_path : path
        Where to write the page (atomically: temporary name, then rename).
    title : str, optional
        Page title; default the notebook's first heading.

    Raises
    ------
    ReportError
        If the page would still load anything from another host.
    """
    import nbformat

    nb = nbformat.read(str(notebook_path), as_version=4)
    threshold = None
    for cell in nb.cells:
        if "parameters" in cell.metadata.get("tags", []) or \
                "injected-parameters" in cell.metadata.get("tags", []):
            m = re.search(r"^disclosure_threshold\s*=\s*(\d+)", cell.source, re.MULTILINE)
            threshold = int(m.group(1)) if m else threshold
    if title is None:
        heads = (re.search(r"^#\s+(.+)$", c.source, re.MULTILINE) for c in nb.cells
                 if c.cell_type == "markdown")
        title = next((h.group(1).strip() for h in heads if h), "pace-analysis report")
    clean = copy.deepcopy(nb)
    text = page(title, _with_contents(notebook_body(nb)), threshold)
    bad = external_references(text)
    if bad:
        raise ReportError(f"report would load external resources: {bad[:3]}")
    publishable_notebook(clean)
    _write(Path(notebook_path), nbformat.writes(clean) + "\n")
    return _write(Path(html_path), text)


def _with_contents(body: str) -> str:
    """Insert a list of the report's sections (its h2 headings) after the first one."""
    heads = re.findall(r'<h2 id="([^"]+)">(.*?)<a class="anchor-link"', body)
    if len(heads) < 3:
        return body
    items = "".join(f'<li><a href="#{html.escape(i, quote=True)}">{t}</a></li>'
                    for i, t in heads[1:])
    nav = f'<nav class="contents"><strong>In this report</strong><ol>{items}</ol></nav>'
    first = body.find("</h2>", body.find(f'<h2 id="{heads[0][0]}"'))
    end = body.find("</div>", first)
    return body[:end] + nav + body[end:] if first >= 0 and end >= 0 else body


def _write(path: Path, text: str) -> Path:
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex[:8]}.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)
    return path


def png_data_uri(fig) -> str:
    """A matplotlib figure as an ``<img>`` tag with an embedded PNG (no metadata)."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png", metadata={"Software": None}, bbox_inches="tight", dpi=100)
    data = base64.b64encode(buf.getvalue()).decode("ascii")
    return f'<img alt="funnel plot" src="data:image/png;base64,{data}">'


# --------------------------------------------------------------------------- the index

def _read_summary(path: Path) -> dict | None:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def _cells(fig: dict | None) -> list[str]:
    from pace_analysis.headline import format_count, format_median, format_share

    if not fig:
        return ["", "", "", ""]
    return [format_count(fig.get("children")), format_count(fig.get("journeys")),
            format_share(fig), format_median(fig)]


def _scotland_paragraph(scotland: dict | None, label: str = "Scotland") -> str:
    from pace_analysis.headline import format_count, format_median, format_share

    if not scotland or scotland.get("suppressed"):
        return ""
    med = format_median(scotland)
    wait = (f"half of the children had reached permanence after {med}"
            if scotland.get("median_reached") else
            "fewer than half had reached permanence by the end of the data")
    return (f'<p class="headline"><strong>{html.escape(label)}:</strong> '
            f"{html.escape(format_count(scotland.get('children')))} children "
            f"({html.escape(format_count(scotland.get('journeys')))} periods of care); an "
            f"estimated {html.escape(format_share(scotland))} reached a permanent legal home "
            f"within 2 years of becoming looked after; {html.escape(wait)}.</p>")


def index_body(rows: Sequence[tuple[str, str, str, dict | None]], scotland: dict | None,
               threshold: int, extra_html: str = "", national: str = "Scotland") -> str:
    """HTML body of the run index.

    Parameters
    ----------
    rows : sequence of (authority, slug, status, summary or None)
    scotland : dict or None
        Scotland's headline figures (``summary["figures"]["scotland"]``).
    threshold : int
        Disclosure threshold used.
    extra_html : str
        Further sections (e.g. the funnel plot).
    """
    heads = ["Area", "Children looked after", "Periods of care", "Reached permanence within 2 years "
             "(95% CI)", "Median time to permanence (95% CI)", "Report"]
    out = ["<h1>Time to permanence for looked-after children: all areas</h1>",
           '<p class="note">Each row links to that area\'s report. Figures are estimates '
           "from survival analysis: children who had not yet reached permanence when the data "
           "were extracted still count, up to the time they had waited. Areas are listed "
           "alphabetically and are not ranked: differences between small areas are mostly "
           "chance.</p>", _scotland_paragraph(scotland, national), "<table>", "<thead><tr>"
           + "".join(f"<th>{html.escape(h)}</th>" for h in heads) + "</tr></thead><tbody>"]
    if scotland:
        out.append(f"<tr><td><strong>{html.escape(national)}</strong></td>"
                   + "".join(f"<td><strong>{html.escape(c)}</strong></td>" for c in _cells(scotland))
                   + "<td></td></tr>")
    for authority, slug, status, summary in rows:
        fig = (summary or {}).get("figures", {}).get("authority")
        if summary and status != "failed":
            link = f'<a href="{html.escape(slug)}/report.html">report</a>'
            out.append(f"<tr><td>{html.escape(authority)}</td>"
                       + "".join(f"<td>{html.escape(c)}</td>" for c in _cells(fig))
                       + f"<td>{link}</td></tr>")
        else:
            out.append(f'<tr class="failed"><td>{html.escape(authority)}</td>'
                       '<td colspan="4">report failed: see run.log</td>'
                       f'<td><a href="{html.escape(slug)}/run.log">log</a></td></tr>')
    out.append("</tbody></table>")
    out.append(f'<p class="note">Counts below {threshold} are shown as "{SUPPRESSED}", and '
               "so are figures for areas with fewer children than that.</p>")
    out.append(extra_html)
    return "\n".join(out)


def funnel_section(dataset, run_dir: str | os.PathLike, threshold: int = 5) -> str:
    """The national funnel plot for the index, also saved as ``funnel.png``/``funnel.csv``.

    Uses :func:`pace_analysis.plotting.funnel.authority_funnel_figure` on the whole
    dataset. Counts below the threshold in the saved table are suppressed. Returns an
    empty string if the funnel cannot be drawn (e.g. no authority has 2 years of
    follow-up), with the reason as a note.
    """
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    from pace_analysis.csvfiles import write_csv
    from pace_analysis.disclosure import suppress_counts
    from pace_analysis.errors import PaceError
    from pace_analysis.plotting.funnel import authority_funnel_figure

    run_dir = Path(run_dir)
    try:
        title, fig, table = authority_funnel_figure(dataset, None, threshold=threshold)
    except PaceError as exc:
        return f'<h2>Funnel plot</h2><p class="note">Not drawn: {html.escape(str(exc))}</p>'
    fig.savefig(run_dir / "funnel.png", format="png", metadata={"Software": None})
    img = png_data_uri(fig)
    plt.close(fig)
    counts = [c for c in ("numerator", "denominator") if c in table.columns]
    derived = {c: counts for c in ("proportion", "p", "z") if c in table.columns and counts}
    shown = suppress_counts(table, counts, threshold, totals=None, derived=derived).display
    write_csv(shown, run_dir / "funnel.csv")
    return (f"<h2>{html.escape(title)}</h2>\n<p class=\"note\">Each dot is an area. The lines "
            "show how far from the Scottish average an area can be by chance alone (95% and "
            "99.8% limits); smaller areas can be further away. Areas outside the outer lines "
            "are named. Positions inside the funnel are not meaningfully different, so areas "
            f"are not ranked.</p>\n{img}")


def write_index(run_dir: str | os.PathLike, rows: Iterable[tuple[str, str, str]],
                threshold: int = 5, extra_html: str = "") -> Path:
    """Write ``<run_dir>/index.html`` from the authorities' ``summary.json`` files.

    Parameters
    ----------
    run_dir : path
        The run folder.
    rows : iterable of (authority, slug, status)
        Every authority of the run, in display order.
    threshold : int
        Disclosure threshold used in the run.
    extra_html : str
        Further sections, e.g. :func:`funnel_section`.
    """
    run_dir = Path(run_dir)
    full = []
    scotland = None
    national = "Scotland"
    summaries = {}
    for authority, slug, status in rows:
        summary = _read_summary(run_dir / slug / "summary.json") if status != "failed" else None
        full.append((authority, slug, status, summary))
        if summary:
            summaries[authority] = summary
            scotland = scotland or summary.get("figures", {}).get("scotland")
            national = summary.get("national", national)
    body = index_body(full, scotland, threshold, extra_html, national)
    text = page("Time to permanence: all areas", body, threshold)
    bad = external_references(text)
    if bad:
        raise ReportError(f"index would load external resources: {bad[:3]}")
    return _write(run_dir / "index.html", text)
