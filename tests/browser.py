"""Headless Chromium (Debian's) driven by Playwright, and axe-core for accessibility."""

import os
import shutil
from pathlib import Path

import pytest

CHROMIUM = os.environ.get("REMU_CHROMIUM", "/usr/bin/chromium")
AXE = Path(__file__).parent / "vendor" / "axe.min.js"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def require_browser():
    """Under CI a missing browser fails the run; elsewhere the browser tests skip, saying why."""
    if Path(CHROMIUM).exists() or shutil.which(CHROMIUM):
        return
    message = f"Chromium introuvable ({CHROMIUM}) : apt-get install chromium"
    if os.environ.get("CI"):
        pytest.fail(message)
    pytest.skip(message)


# The page at rest: no htmx swap settling, no transition or finite animation running (a pane
# fading in has its text at part opacity, and axe measured its contrast at that moment).
AT_REST = """() => !document.querySelector('.htmx-request, .htmx-swapping, .htmx-settling')
    && document.getAnimations().every(
        a => a.playState !== 'running' || a.effect.getComputedTiming().endTime === Infinity)"""


def assert_accessible(page):
    """No serious or critical axe-core violation on the page as it is at rest."""
    page.wait_for_function(AT_REST)
    if not page.evaluate("typeof axe !== 'undefined'"):  # else added as an init script
        page.add_script_tag(path=str(AXE))
    result = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    bad = [v for v in result["violations"] if v["impact"] in ("serious", "critical")]
    details = [
        f"{v['id']} ({v['impact']}): {v['help']} -> {[n['target'] for n in v['nodes'][:3]]}"
        for v in bad
    ]
    assert not bad, f"{page.url}: " + "; ".join(details)
