"""Accessibility of the published pages: axe-core in headless Chromium, and stricter checks.

axe (npm ``axe-core``, in Debian's ``chromium`` through selenium) runs on the index and three
reports built from a subset of the committed synthetic data: the largest council (Glasgow
City), the smallest (Shetland Islands) and a mid-size one (South Ayrshire). It must find no
violation of any impact under WCAG 2.0/2.1 A and AA and axe's best practices.

axe accepts any alt text, so the tests after it are the stricter gate: alt text holds the
figure's numbers, every table has a caption and header scope, the council is named in the
title and H1, pages link to each other and to the files, and the footer and banner are there.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from browser import axe_violations, chromium

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[1]
LARGEST, SMALLEST, MIDDLE = "Glasgow City", "Shetland Islands", "South Ayrshire"
NBCONVERT_DEFAULT = "No description has been provided for this image"


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory) -> Path:
    """Reports of three councils (and the index) from the committed data cut to them."""
    from pace_analysis import reports
    from pace_analysis.dataset import Dataset
    from pace_analysis.io import read_dataset, write_dataset

    root = tmp_path_factory.mktemp("a11y")
    full = read_dataset(ROOT / "data" / "synthetic")
    j = full.journeys[full.journeys["authority"].isin([LARGEST, SMALLEST, MIDDLE])]
    p = full.placements[full.placements["journey_id"].isin(j["journey_id"])]
    data = write_dataset(Dataset(j.reset_index(drop=True), p.reset_index(drop=True),
                                 full.route_set, meta=dict(full.meta)), root / "data")
    summary = reports.run_reports([LARGEST, SMALLEST, MIDDLE], data, run="a11y",
                                  out=root / "reports", jobs=2, progress=False)
    assert summary.exit_code == 0, [r.describe() for r in summary.failed]
    return summary.run_dir


def pages(run_dir: Path) -> list[Path]:
    return [run_dir / "index.html"] + [run_dir / reports_slug(a) / "report.html"
                                       for a in (LARGEST, SMALLEST, MIDDLE)]


def reports_slug(authority: str) -> str:
    from pace_analysis.authorities import slugify

    return slugify(authority)


def test_axe_finds_no_violation_on_the_index_and_three_reports(run_dir):
    found = {}
    with chromium() as driver:
        for page in pages(run_dir):
            violations = axe_violations(driver, page.as_uri())
            if violations:
                found[str(page.relative_to(run_dir))] = violations
    assert not found, found


def test_every_figure_has_alt_text_with_its_numbers(run_dir):
    for page in pages(run_dir):
        text = page.read_text(encoding="utf-8")
        alts = re.findall(r'<img alt="([^"]*)"', text)
        assert alts and len(alts) == text.count("<img"), page
        for alt in alts:
            assert alt and NBCONVERT_DEFAULT not in alt, page
            assert alt.startswith("Chart: "), alt
        # Curves report their values at marked times (e.g. "46% at 2 years").
        if page.name == "report.html":
            assert any(re.search(r"\d+% at 2 years", a) for a in alts), page
            assert text.count("<figcaption>") == len(alts)


def test_every_table_has_a_caption_and_header_scope(run_dir):
    for page in pages(run_dir):
        text = page.read_text(encoding="utf-8")
        tables = re.findall(r"<table[^>]*>(.*?)</table>", text, re.DOTALL)
        assert tables, page
        for inner in tables:
            assert inner.lstrip().startswith("<caption>"), inner[:200]
            heads = re.findall(r"<th\b[^>]*>", inner)
            assert heads and all('scope="' in h for h in heads), inner[:300]
        assert text.count('class="table-scroll"') == len(tables)


def test_title_h1_links_footer_and_banner(run_dir):
    index = (run_dir / "index.html").read_text(encoding="utf-8")
    assert 'href="index.csv"' in index and 'href="funnel.png"' in index
    for authority in (LARGEST, SMALLEST, MIDDLE):
        slug = reports_slug(authority)
        assert f'href="{slug}/report.html"' in index
        page = run_dir / slug / "report.html"
        text = page.read_text(encoding="utf-8")
        assert re.search(rf"<title>{authority}[^<]*</title>", text)
        h1 = re.findall(r"<h1[^>]*>(.*?)</h1>", text, re.DOTALL)
        assert h1 and authority in h1[0]
        assert 'href="../index.html"' in text
        for name in re.findall(r'<a class="file" href="([^"]+)"', text):
            assert (page.parent / name).is_file(), name
        assert 'href="share_by_years.csv"' in text and 'href="time_to_permanence.png"' in text
        assert 'href="run_chart_1.csv"' in text  # a figure links its data too
    for page in pages(run_dir):
        text = page.read_text(encoding="utf-8")
        for name in re.findall(r'<a class="file" href="([^"]+)"', text):
            assert (page.parent / name).is_file(), (page, name)
        footer = text[text.index("<footer>"):]
        for field in ("Made on", "pace-analysis", "Data", "data hash", "Study window",
                      "1 August 2008", "Disclosure rule"):
            assert field in footer, (page, field)
        assert 'class="banner"' in text and "Synthetic data" in text


def test_print_stylesheet_is_a4_and_keeps_tables_whole():
    css = (ROOT / "pace_analysis" / "templates" / "report.css").read_text(encoding="utf-8")
    assert "size: A4" in css
    rule = css[css.index("@media print"):]
    assert re.search(r"table[^{]*\{[^}]*break-inside: avoid", rule)
    assert re.search(r"h2[^{]*\{[^}]*break-after: avoid", rule)


def test_council_folder_is_small_and_notebooks_carry_no_images(run_dir):
    for authority in (LARGEST, SMALLEST, MIDDLE):
        folder = run_dir / reports_slug(authority)
        size = sum(p.stat().st_size for p in folder.iterdir() if p.is_file())
        # Issue 10 aims at 1 MB. With the ITS and "what would change" sections and PNGs
        # written at zlib level 6 (5x cheaper to encode, 8% larger) Glasgow's folder is
        # 1.52 MB: 0.81 MB page (figures embedded), 0.56 MB PNG files, 0.17 MB executed
        # notebook. The guard catches a return of embedded notebook images (2-3 MB a
        # folder before, also asserted below); the 1 MB aim is recorded as not met.
        assert size <= 1.65e6, (authority, size)
        assert "image/png" not in (folder / "report.ipynb").read_text(encoding="utf-8")


def test_axe_does_report_a_page_that_fails(tmp_path):
    """The check is live: a page with an unlabelled image and no title fails it."""
    bad = tmp_path / "bad.html"
    bad.write_text('<!DOCTYPE html><html><body><img src="data:image/png;base64,iVBORw0KGgo=">'
                   "<table><tr><th></th></tr></table></body></html>", encoding="utf-8")
    with chromium() as driver:
        ids = {v["id"] for v in axe_violations(driver, bad.as_uri())}
    assert {"image-alt", "document-title", "html-has-lang"} <= ids, ids


def test_a_report_prints_to_an_a4_pdf(run_dir):
    from pace_analysis.html import print_pdf

    pdf = print_pdf(run_dir / reports_slug(SMALLEST) / "report.html")
    data = pdf.read_bytes()
    assert data.startswith(b"%PDF")
    # A4 is 595 x 842 points; every page of the print is A4.
    boxes = re.findall(rb"/MediaBox\s*\[\s*0 0 ([\d.]+) ([\d.]+)\s*\]", data)
    assert boxes and all(abs(float(w) - 595.9) < 2 and abs(float(h) - 842.9) < 2
                         for w, h in boxes), boxes[:3]
