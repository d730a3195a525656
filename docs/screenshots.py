"""Screenshots of a run's index and three reports for docs/reports.md, and a printed PDF.

Usage (after ``pace report`` built the three councils into RUN_DIR)::

    .venv/bin/python docs/screenshots.py RUN_DIR

writes ``docs/img/page-index.png`` and ``docs/img/page-<slug>.png`` (top of each page, a
phone-width view of one report, small palette PNGs) with Debian's headless Chromium, and
``RUN_DIR/<slug>/report.pdf`` printed by ``chromium --print-to-pdf`` for the first report.
"""

from __future__ import annotations

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "tests"))

from browser import chromium, screenshot  # noqa: E402

from pace_analysis.html import print_pdf  # noqa: E402

#: Report folders, each shown from a different place (CSS selector; None = top of page).
REPORTS = {"glasgow-city": None, "south-ayrshire": "#figure-1", "shetland-islands": "#figure-4"}


def main(run_dir: str) -> None:
    run = Path(run_dir).resolve()
    out = HERE / "img"
    with chromium() as driver:
        screenshot(driver, (run / "index.html").as_uri(), out / "page-index.png")
        for slug, where in REPORTS.items():
            screenshot(driver, (run / slug / "report.html").as_uri(), out / f"page-{slug}.png",
                       scroll_to=where)
        first = next(iter(REPORTS))
        screenshot(driver, (run / first / "report.html").as_uri(),
                   out / "page-phone.png", width=390, height=1100, scale=0.8,
                   scroll_to="#figure-1")
    pdf = print_pdf(run / first / "report.html")
    for p in sorted(out.glob("page-*.png")):
        print(f"{p.relative_to(HERE.parent)}: {p.stat().st_size:,} bytes")
    print(f"{pdf}: {pdf.stat().st_size:,} bytes")


if __name__ == "__main__":
    main(sys.argv[1])
