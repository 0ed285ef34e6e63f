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


def assert_accessible(page):
    """No serious or critical axe-core violation on the page as it is now."""
    if not page.evaluate("typeof axe !== 'undefined'"):  # else added as an init script
        page.add_script_tag(path=str(AXE))
    result = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    bad = [v for v in result["violations"] if v["impact"] in ("serious", "critical")]
    details = [
        f"{v['id']} ({v['impact']}): {v['help']} -> {[n['target'] for n in v['nodes'][:3]]}"
        for v in bad
    ]
    assert not bad, f"{page.url}: " + "; ".join(details)
