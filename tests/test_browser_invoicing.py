"""The invoicing dashboard in a real browser: the chart is drawn by the vendored Chart.js under
the Content-Security-Policy, without console errors, and the page stays accessible."""

import pytest

from .browser import assert_accessible
from .test_browser import browser_page, log_in  # noqa: F401 (the fixture)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_invoicing_chart_is_drawn_from_the_page_data(browser_page):  # noqa: F811
    from django.utils import timezone

    page = browser_page
    errors = []
    page.on("console", lambda m: m.type == "error" and errors.append(m.text))
    page.on("pageerror", lambda e: errors.append(str(e)))
    log_in(page, "agent@cvl.remu.local")
    page.wait_for_url("**/region/")
    # The demo invoices the 2026 action CVL-2026-005 (remu/demo/seed.py).
    page.goto(f"{page.base_url}/region/facturation/?annee={timezone.localdate().year}")
    canvas = page.locator("#invoicing-chart")
    canvas.wait_for()
    page.wait_for_function("document.getElementById('invoicing-chart').dataset.drawn === 'true'")
    # Something was painted: the canvas is not blank.
    painted = page.evaluate(
        """() => {
            const c = document.getElementById('invoicing-chart');
            const pixels = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
            return pixels.some((value, i) => i % 4 === 3 && value !== 0);
        }"""
    )
    assert painted
    assert page.get_by_role("table", name="Facturé et prévu par mois (données du graphique)")
    assert_accessible(page)
    assert not errors, errors
