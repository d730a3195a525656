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
import json
import os
import re
import threading
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
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


# --------------------------------------------------------------------------- page facts

@dataclass(frozen=True)
class PageFacts:
    """What every page says about where it comes from (footer and banner).

    Attributes
    ----------
    run_date : str
        Day the pages were made (ISO date; ``SOURCE_DATE_EPOCH`` if set).
    data_source : str
        ``dataset.yaml``'s ``source:`` (or "synthetic data made by pace-analysis").
    data_hash : str or None
        SHA-256 of the dataset's files (:func:`pace_analysis.manifest.data_hash`).
    window : (str or None, str or None)
        Study window.
    threshold : int
        Disclosure threshold.
    synthetic : bool
        The data are synthetic: every page carries a banner saying so.
    version : str
        Library version.
    """

    run_date: str
    data_source: str
    data_hash: str | None
    window: tuple[str | None, str | None]
    threshold: int
    synthetic: bool
    version: str = __version__


def run_date() -> str:
    """Today (UTC) as an ISO date, or the day of ``SOURCE_DATE_EPOCH`` for reproducible builds."""
    from datetime import UTC, datetime

    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    when = datetime.fromtimestamp(int(epoch), UTC) if epoch and epoch.isdigit() else \
        datetime.now(UTC)
    return when.date().isoformat()


def page_facts(meta: dict | None, data_hash: str | None, window: tuple | None,
               threshold: int) -> PageFacts:
    """:class:`PageFacts` from a dataset's meta (``dataset.yaml``) and the run's settings."""
    meta = meta or {}
    synthetic = (meta.get("source") == "synthetic" or meta.get("synthetic") is True
                 or str(meta.get("generator", "")).startswith("pace_analysis.synthetic"))
    source = "synthetic data made by pace-analysis" if meta.get("source") == "synthetic" \
        else str(meta.get("source") or "an extract (no source: named in dataset.yaml)")
    if synthetic and meta.get("seed") is not None:
        source += f" (seed {meta['seed']})"
    start, end = window or (None, None)
    return PageFacts(run_date(), source, data_hash, (start, end), int(threshold), synthetic)


def facts_for_dataset(dataset, data_path: str | os.PathLike | None, window: tuple | None,
                      threshold: int) -> PageFacts:
    """:class:`PageFacts` of a run on *dataset* read from *data_path*."""
    from pace_analysis.manifest import data_hash

    digest = data_hash(Path(data_path)) if data_path and Path(data_path).exists() else None
    start = (window or (None, None))[0] or getattr(dataset, "observation_start", None)
    end = (window or (None, None))[1]
    return page_facts(dict(dataset.meta or {}), digest,
                      (str(start) if start else None, str(end) if end else None), threshold)


def _facts_from_notebook(nb, folder: Path) -> PageFacts:
    """Facts of a report when the runner gave none: its parameters and ``summary.json``."""
    import yaml

    from pace_analysis.manifest import data_hash

    params = _parameters(nb)
    meta, digest = {}, None
    data = params.get("data_path")
    if isinstance(data, str) and data and Path(data).is_dir():
        try:
            meta = yaml.safe_load((Path(data) / "dataset.yaml").read_text(encoding="utf-8")) or {}
        except (OSError, yaml.YAMLError):
            meta = {}
        digest = data_hash(Path(data))
    window = (params.get("window_start"), params.get("window_end"))
    summary = _read_summary(folder / "summary.json") or {}
    if isinstance(summary.get("window"), list) and len(summary["window"]) == 2:
        window = tuple(summary["window"])
    elif not window[0] and isinstance(meta.get("window"), dict):
        window = (meta["window"].get("start"), window[1])
    threshold = params.get("disclosure_threshold", summary.get("threshold", 5))
    return page_facts(meta if isinstance(meta, dict) else {}, digest, window, int(threshold))


def _day(value: str | None) -> str:
    if not value:
        return ""
    from datetime import date

    try:
        d = date.fromisoformat(str(value)[:10])
    except ValueError:
        return str(value)
    return f"{d.day} {d:%B %Y}"


def page(title: str, body: str, threshold: int | None = None, facts: PageFacts | None = None,
         index_href: str | None = None) -> str:
    """Wrap an HTML body in the offline page shell: CSP, stylesheet, banner, footer.

    Parameters
    ----------
    title : str
        Page title (escaped here).
    body : str
        Page content (HTML, already safe).
    threshold : int, optional
        Disclosure threshold, when *facts* are not given.
    facts : PageFacts, optional
        Run date, data source and hash, window, version and threshold for the footer;
        a banner when the data are synthetic.
    index_href : str, optional
        Link back to the run's index.
    """
    import jinja2

    if facts is None:
        facts = PageFacts(run_date(), "", None, (None, None),
                          threshold if threshold is not None else 5, False)
    start, end = facts.window
    window = (f"{_day(start) or 'the start of the data'} to "
              f"{_day(end) or 'the extract date'}")
    env = jinja2.Environment(autoescape=True, keep_trailing_newline=True)
    return env.from_string(_template("page.html.j2")).render(
        title=title, body=markupsafe_markup(body), css=markupsafe_markup(_template("report.css")),
        csp=markupsafe_markup(safehtml.CSP), facts=facts, window=window, mark=SUPPRESSED,
        hash=(facts.data_hash or "")[:12], index_href=index_href,
    )


def markupsafe_markup(text: str):
    """*text* marked as already-safe HTML for the page template."""
    import markupsafe

    return markupsafe.Markup(text)


# --------------------------------------------------------------------------- outputs

@dataclass
class _Numbering:
    section: str = ""
    figures: int = 0
    tables: int = 0
    folder: Path | None = None
    names: dict = field(default_factory=dict)


_HEADING = re.compile(r"^#{1,3}\s+(.+?)\s*#*$", re.MULTILINE)


def _strip_outputs(nb, folder: Path | None = None) -> None:
    """Drop stderr streams and outputs that need JavaScript; make the rest safe and accessible.

    Markdown and HTML outputs are sanitized (:func:`_make_safe`); tables get a caption,
    header scopes, a scrolling wrapper and a link to their CSV; figures become ``<figure>``
    elements with alternative text from their data, a caption and a link to their file.
    """
    nb.metadata.pop("widgets", None)
    numbering = _Numbering(folder=folder)
    for number, cell in enumerate(nb.cells):
        cell["id"] = f"cell-{number}"  # papermill's injected cell gets a random id
        if cell.cell_type == "markdown":
            head = _HEADING.search(cell.source)
            if head:
                numbering.section = head.group(1).strip()
            continue
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
                _make_safe(out, numbering)
            kept.append(out)
        cell.outputs = kept


def _make_safe(out, numbering: _Numbering | None = None) -> None:
    """Markdown and HTML outputs (built from data) as sanitized HTML; nothing else of them.

    Markdown outputs are rendered with raw HTML escaped (:func:`safehtml.markdown_html`),
    HTML outputs (pandas tables) re-serialised through :func:`safehtml.sanitize`; both then
    stand as the output's only ``text/html``, so nbconvert has nothing left to interpret.
    PNG figures become ``<figure>`` HTML written here (every value escaped).
    """
    numbering = numbering or _Numbering()
    data = out.data
    if "text/markdown" in data:
        text = _text(data.pop("text/markdown"))
        head = _HEADING.search(text)
        if head and text.lstrip().startswith("#"):
            numbering.section = head.group(1).strip()
        data["text/html"] = safehtml.markdown_html(text)
    elif "text/html" in data:
        data["text/html"] = _accessible_tables(safehtml.sanitize(_text(data["text/html"])),
                                               numbering)
    elif "image/png" in data:
        data["text/html"] = _figure_html(_text(data.pop("image/png")),
                                         out.get("metadata", {}).get("pace", {}), numbering)
    if "text/html" in data or any(k.startswith("image/") for k in data):
        data.pop("text/plain", None)
    for mime in [m for m in data if m in ("text/latex", "image/svg+xml", "image/jpeg")]:
        data.pop(mime)


def _file_link(numbering: _Numbering, name: str, what: str) -> str:
    if not name or "/" in name or "\\" in name or name.startswith("."):
        return ""
    if numbering.folder is not None and not (numbering.folder / name).is_file():
        return ""
    return (f' <a class="file" href="{html.escape(name, quote=True)}">{html.escape(what)}: '
            f"{html.escape(name)}</a>")


def _figure_html(png: str, meta: dict, numbering: _Numbering) -> str:
    numbering.figures += 1
    n = numbering.figures
    caption = str(meta.get("caption") or numbering.section or "Figure")
    alt = str(meta.get("alt") or f"Chart: {caption}.")
    name = str(meta.get("name", ""))
    link = _file_link(numbering, name, "Figure file (PNG)")
    if name.endswith(".png"):  # the figure's data, when saved beside it under the same name
        link += _file_link(numbering, name[:-4] + ".csv", "Data (CSV)") \
            if numbering.folder is not None else ""
    png = "".join(png.split())
    return (f'<figure class="chart" id="figure-{n}">'
            f'<img alt="{html.escape(alt, quote=True)}" src="data:image/png;base64,{png}">'
            f"<figcaption><strong>Figure {n}.</strong> {html.escape(caption)}.{link}"
            "</figcaption></figure>")


_TABLE = re.compile(r"<table(?P<attrs>[^>]*)>(?P<inner>.*?)</table>", re.DOTALL)
_TBODY = re.compile(r"<tbody>(.*?)</tbody>", re.DOTALL)
_THEAD = re.compile(r"<thead>(.*?)</thead>", re.DOTALL)
_FIRST_TD = re.compile(r"(<tr[^>]*>\s*)<td([^>]*)>(.*?)</td>", re.DOTALL)


def _accessible_tables(fragment: str, numbering: _Numbering) -> str:
    """Caption, ``scope`` on header cells, row headers, scrolling wrapper and a CSV link."""

    def one(m: re.Match) -> str:
        numbering.tables += 1
        n = numbering.tables
        attrs, inner = m.group("attrs"), m.group("inner")
        ident = re.search(r'id="T_([^"]+)"', attrs)
        name = ident.group(1) if ident else ""
        inner = _THEAD.sub(lambda h: "<thead>" + re.sub(
            r"<th(?![^>]*\bscope=)", '<th scope="col"', h.group(1)) + "</thead>", inner)
        inner = _TBODY.sub(lambda b: "<tbody>" + _FIRST_TD.sub(
            r'\1<th scope="row"\2>\3</th>', b.group(1)) + "</tbody>", inner)
        cap = re.search(r"<caption[^>]*>(.*?)</caption>", inner, re.DOTALL)
        if cap:
            label = re.sub(r"<[^>]+>", "", cap.group(1)).strip()
        else:
            label = numbering.section or "Table"
            if name:
                label = f"{name.replace('_', ' ').capitalize()} ({label})"
            inner = f"<caption><strong>Table {n}.</strong> {html.escape(label)}</caption>" + inner
        link = _file_link(numbering, f"{name}.csv" if name else "", "Table file (CSV)")
        aria = html.escape(f"Table {n}: {html.unescape(label)}", quote=True)
        files = f'<p class="files">{link.strip()}</p>' if link else ""
        return (f'<div class="table-scroll" role="region" tabindex="0" aria-label="{aria}">'
                f"<table{attrs}>{inner}</table></div>{files}")

    return _TABLE.sub(one, fragment)


def _make_h1(body: str, title: str) -> str:
    """The page's first ``<h1>`` reads *title* (the council's name), or one is added."""
    m = re.search(r"<h1([^>]*)>(.*?)</h1>", body, re.DOTALL)
    if not m:
        return f"<h1>{html.escape(title)}</h1>\n" + body
    return body[:m.start()] + f"<h1{m.group(1)}>{html.escape(title)}</h1>" + body[m.end():]


def _text(value) -> str:
    return "".join(value) if isinstance(value, list) else str(value)


def notebook_body(notebook, folder: str | os.PathLike | None = None) -> str:
    """HTML body of a notebook (nbformat node or path) with code and prompts hidden.

    *folder*, when given, is where the report's files are: tables and figures link to
    their CSV and PNG only when the file is there.
    """
    import nbformat

    if not hasattr(notebook, "cells"):
        notebook = nbformat.read(str(notebook), as_version=4)
    _strip_outputs(notebook, Path(folder) if folder is not None else None)
    body, _ = _exporter().from_notebook_node(notebook)
    return body


_EXPORTERS = threading.local()


def _exporter():
    """This thread's nbconvert exporter, made once: its templates are compiled only once.

    One per thread, because the batch exports from a pool of threads.
    """
    exporter = getattr(_EXPORTERS, "html", None)
    if exporter is None:
        from nbconvert import HTMLExporter

        exporter = HTMLExporter(template_name="basic", exclude_input=True,
                                exclude_input_prompt=True, exclude_output_prompt=True)
        _EXPORTERS.html = exporter
    return exporter


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
                title: str | None = None, facts: PageFacts | None = None,
                index_href: str | None = "../index.html") -> Path:
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
        Page title and H1 (e.g. "Fife: time to legal permanence"); default the notebook's
        first heading.
    facts : PageFacts, optional
        Footer and banner facts (:func:`facts_for_dataset`); default read from the
        notebook's parameters and ``summary.json``.
    index_href : str or None
        Link back to the run's index (None: no link).

    Raises
    ------
    ReportError
        If the page would still load anything from another host.
    """
    import nbformat

    html_path = Path(html_path)
    nb = nbformat.read(str(notebook_path), as_version=4)
    if facts is None:
        facts = _facts_from_notebook(nb, html_path.parent)
    if title is None:
        heads = (re.search(r"^#\s+(.+)$", c.source, re.MULTILINE) for c in nb.cells
                 if c.cell_type == "markdown")
        title = next((h.group(1).strip() for h in heads if h), "pace-analysis report")
    clean = copy.deepcopy(nb)
    body = _make_h1(_with_contents(notebook_body(nb, html_path.parent)), title)
    text = page(title, body, facts=facts, index_href=index_href)
    bad = external_references(text)
    if bad:
        raise ReportError(f"report would load external resources: {bad[:3]}")
    publishable_notebook(clean)
    _write(Path(notebook_path), nbformat.writes(clean) + "\n")
    return _write(html_path, text)


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
    from pace_analysis.writing import write_text_atomic

    return write_text_atomic(path, text)


def png_data_uri(fig, name: str | None = None) -> str:
    """A matplotlib figure as a ``<figure>`` with an embedded PNG and alt text from its data.

    The PNG is :func:`pace_analysis.figures.png_bytes`; the alternative text and caption
    are :func:`pace_analysis.figures.describe_figure`; *name* links the figure's file.
    """
    from pace_analysis.figures import describe_figure, png_bytes

    data = base64.b64encode(png_bytes(fig)).decode("ascii")
    text = describe_figure(fig)
    numbering = _Numbering()
    return _figure_html(data, {"caption": text.caption, "alt": text.alt, "name": name or ""},
                        numbering)


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
           "chance.</p>", _scotland_paragraph(scotland, national),
           '<div class="table-scroll" role="region" tabindex="0" aria-label="Table: every area">'
           "<table><caption><strong>Table 1.</strong> Every area, alphabetically, with "
           f"{html.escape(national)} first: children, periods of care and the two headline "
           "figures</caption>", "<thead><tr>"
           + "".join(f'<th scope="col">{html.escape(h)}</th>' for h in heads)
           + "</tr></thead><tbody>"]
    if scotland:
        out.append(f'<tr><th scope="row"><strong>{html.escape(national)}</strong></th>'
                   + "".join(f"<td><strong>{html.escape(c)}</strong></td>" for c in _cells(scotland))
                   + "<td></td></tr>")
    for authority, slug, status, summary in rows:
        fig = (summary or {}).get("figures", {}).get("authority")
        if summary and status != "failed":
            link = (f'<a href="{html.escape(slug)}/report.html">report<span class="sr">: '
                    f"{html.escape(authority)}</span></a>")
            out.append(f'<tr><th scope="row">{html.escape(authority)}</th>'
                       + "".join(f"<td>{html.escape(c)}</td>" for c in _cells(fig))
                       + f"<td>{link}</td></tr>")
        else:
            out.append(f'<tr class="failed"><th scope="row">{html.escape(authority)}</th>'
                       '<td colspan="4">report failed: see run.log</td>'
                       f'<td><a href="{html.escape(slug)}/run.log">log<span class="sr">: '
                       f"{html.escape(authority)}</span></a></td></tr>")
    out.append("</tbody></table></div>")
    out.append('<p class="files"><a class="file" href="index.csv">Table file (CSV): index.csv</a></p>')
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
    from pace_analysis.figures import png_bytes
    from pace_analysis.writing import write_bytes_atomic

    write_bytes_atomic(run_dir / "funnel.png", png_bytes(fig))
    img = png_data_uri(fig, "funnel.png")
    plt.close(fig)
    counts = [c for c in ("numerator", "denominator") if c in table.columns]
    derived = {c: counts for c in ("proportion", "p", "z") if c in table.columns and counts}
    shown = suppress_counts(table, counts, threshold, totals=None, derived=derived).display
    write_csv(shown, run_dir / "funnel.csv")
    csv_link = _file_link(_Numbering(folder=run_dir), "funnel.csv", "Table file (CSV)")
    return (f"<h2>{html.escape(title)}</h2>\n<p class=\"note\">Each dot is an area. The lines "
            "show how far from the Scottish average an area can be by chance alone (95% and "
            "99.8% limits); smaller areas can be further away. Areas outside the outer lines "
            "are named. Positions inside the funnel are not meaningfully different, so areas "
            f"are not ranked.</p>\n{img}\n<p class=\"files\">{csv_link.strip()}</p>")


def _write_index_csv(path: Path, rows, scotland: dict | None, national: str) -> None:
    """The index table as CSV (the figures as printed on the page)."""
    import pandas as pd

    from pace_analysis.csvfiles import write_csv

    heads = ["Area", "Children looked after", "Periods of care",
             "Reached permanence within 2 years (95% CI)", "Median time to permanence (95% CI)"]
    lines = [[national, *_cells(scotland)]] if scotland else []
    for authority, _slug, status, summary in rows:
        fig = (summary or {}).get("figures", {}).get("authority")
        lines.append([authority, *(_cells(fig) if summary and status != "failed"
                                   else ["report failed", "", "", ""])])
    write_csv(pd.DataFrame(lines, columns=heads), path)


def write_index(run_dir: str | os.PathLike, rows: Iterable[tuple[str, str, str]],
                threshold: int = 5, extra_html: str = "", facts: PageFacts | None = None) -> Path:
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
    facts : PageFacts, optional
        Footer and banner facts (:func:`facts_for_dataset`).
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
    _write_index_csv(run_dir / "index.csv", full, scotland, national)
    body = index_body(full, scotland, threshold, extra_html, national)
    text = page("Time to permanence: all areas", body, threshold, facts=facts)
    bad = external_references(text)
    if bad:
        raise ReportError(f"index would load external resources: {bad[:3]}")
    return _write(run_dir / "index.html", text)


# --------------------------------------------------------------------------- print

#: Flags of every headless Chromium the library starts (no network, no first-run work).
CHROMIUM_FLAGS = ("--headless", "--no-sandbox", "--disable-gpu",
                  "--disable-background-networking", "--disable-component-update",
                  "--disable-sync", "--no-first-run")


def find_chromium() -> str:
    """The Chromium executable that prints PDFs; raises ReportError when there is none."""
    import shutil

    exe = shutil.which("chromium") or shutil.which("chromium-browser")
    if not exe:
        raise ReportError("printing to PDF needs Chromium (apt-get install chromium)")
    return exe


def print_pdf(html_path: str | os.PathLike, pdf_path: str | os.PathLike | None = None,
              browser: str | None = None, timeout: float = 180) -> Path:
    """Print a report page to PDF (A4, the page's print stylesheet) with headless Chromium.

    Parameters
    ----------
    html_path : path
        The page (``report.html``).
    pdf_path : path, optional
        Output; default ``report.pdf`` beside the page. Written atomically.
    browser : str, optional
        Chromium executable; default ``chromium`` on the PATH.

    Raises
    ------
    ReportError
        If Chromium is missing or fails.
    """
    import subprocess

    html_path = Path(html_path).resolve()
    pdf_path = Path(pdf_path) if pdf_path else html_path.with_suffix(".pdf")
    exe = browser or find_chromium()
    tmp = pdf_path.with_name(f".{pdf_path.name}.{uuid.uuid4().hex[:8]}.tmp")
    try:
        done = subprocess.run([exe, *CHROMIUM_FLAGS, "--no-pdf-header-footer",
                               f"--print-to-pdf={tmp}", html_path.as_uri()],
                              capture_output=True, timeout=timeout, check=False)
        if done.returncode != 0 or not tmp.is_file():
            raise ReportError(f"chromium could not print {html_path.name}: "
                              f"{done.stderr.decode(errors='replace')[-300:]}")
        os.replace(tmp, pdf_path)
    finally:
        tmp.unlink(missing_ok=True)
    return pdf_path
