"""Headless Debian Chromium through selenium, with axe-core injected (test helper).

Used by ``test_accessibility.py`` and ``docs/screenshots.py``. Chromium and chromedriver
are Debian's (``make test`` installs them with apt when run as root); axe-core comes from
npm (``make test`` runs ``npm ci`` into ``node_modules/``).
"""

from __future__ import annotations

import shutil
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
#: axe rule tags the pages must pass: WCAG 2.0/2.1 A and AA, and axe's best practices.
AXE_TAGS = ("wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice")
FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run",
         "--hide-scrollbars", "--force-device-scale-factor=1")


def chromium_paths() -> tuple[str, str]:
    """Paths of Debian's chromium and chromedriver (AssertionError naming what is missing)."""
    browser = shutil.which("chromium") or "/usr/bin/chromium"
    driver = shutil.which("chromedriver") or "/usr/bin/chromedriver"
    missing = [p for p in (browser, driver) if not Path(p).is_file()]
    assert not missing, (f"missing {missing}: `make test` installs chromium and chromium-driver "
                         "with apt when run as root")
    return browser, driver


@contextmanager
def chromium(width: int = 1000, height: int = 1400):
    """A selenium driver on headless Chromium (closed on exit)."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    browser, driver_path = chromium_paths()
    options = webdriver.ChromeOptions()
    options.binary_location = browser
    for flag in FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--window-size={width},{height}")
    driver = webdriver.Chrome(service=Service(driver_path), options=options)
    try:
        # The pages forbid every script by CSP; axe is injected by the test harness only.
        driver.execute_cdp_cmd("Page.setBypassCSP", {"enabled": True})
        yield driver
    finally:
        driver.quit()


def axe_violations(driver, url: str) -> list[dict]:
    """axe-core's violations of *url* under :data:`AXE_TAGS` (every impact)."""
    assert AXE.is_file(), f"{AXE} missing: `make test` runs `npm ci` to install axe-core"
    driver.get(url)
    driver.execute_script(AXE.read_text(encoding="utf-8"))
    driver.set_script_timeout(120)
    result = driver.execute_async_script(
        "const done = arguments[arguments.length - 1];"
        "axe.run(document, {runOnly: {type: 'tag', values: arguments[0]},"
        " resultTypes: ['violations']})"
        ".then(r => done(r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,"
        " nodes: v.nodes.slice(0, 5).map(n => n.target.join(' ') + ' :: ' + n.failureSummary)}))))"
        ".catch(e => done([{id: 'axe-error', impact: 'error', help: String(e), nodes: []}]));",
        list(AXE_TAGS))
    return result


def screenshot(driver, url: str, path: Path, width: int = 1000, height: int = 1300,
               colours: int = 64, scale: float = 0.6, scroll_to: str | None = None) -> Path:
    """Top of *url* (or from the element matching CSS *scroll_to*) as a small palette PNG."""
    import io

    from PIL import Image

    driver.set_window_size(width, height)
    driver.get(url)
    if scroll_to:
        driver.execute_script("document.querySelector(arguments[0]).scrollIntoView()", scroll_to)
    image = Image.open(io.BytesIO(driver.get_screenshot_as_png())).convert("RGB")
    image = image.resize((int(image.width * scale), int(image.height * scale)), Image.LANCZOS)
    image.quantize(colors=colours, method=Image.Quantize.MEDIANCUT).save(path, optimize=True)
    return path
