"""In a real browser: a provider confirms a month's declaration derived from its attendance,
generates and confirms the invoice, downloads the Factur-X PDF; an agent rejects it with a
reason; the provider corrects and re-issues; the agent validates."""

import re

import pytest

from .browser import assert_accessible
from .test_browser import browser_page, field, log_in, orm  # noqa: F401  (the fixture)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _demo_state():
    from remu.actions.models import TrainingAction

    action = TrainingAction.objects.get(number="CVL-2026-005")
    left = action.declarations.filter(status="draft").order_by("month").first()
    confirmed = {d.month for d in action.declarations.filter(status="confirmed")}
    from remu.invoicing import selectors

    month = next(m for m in selectors.months_of(action) if m not in confirmed)
    return {
        "action": action.pk,
        "email": action.provider.memberships.first().user.email,
        "month": month,
        "draft": left,
    }


def _log_out(page):
    page.get_by_role("button", name="Se déconnecter").click()
    page.wait_for_url("**/connexion/**")


def test_provider_invoice_rejected_corrected_and_validated(browser_page, monkeypatch):  # noqa: F811
    import datetime as dt

    from facturx import get_xml_from_pdf

    from remu.invoicing.models import Invoice

    page = browser_page
    # The provider confirms its invoice on the 10th of this month, within the first 15 days
    # (seed 003 §3.6.1.1); the live server runs in this process.
    monkeypatch.setattr("remu.invoicing.views.today", lambda: dt.date.today().replace(day=10))
    page.on("dialog", lambda dialog: dialog.accept())  # data-confirm
    state = orm(_demo_state)
    month = f"{state['month']:%Y-%m}"
    base = page.base_url
    log_in(page, state["email"])
    page.wait_for_url("**/organisme/")
    page.goto(f"{base}/actions/{state['action']}/realise/?mois={month}")
    assert_accessible(page)
    page.get_by_role("button", name=re.compile("Confirmer la déclaration")).click()
    page.get_by_text(re.compile("Déclaration de .* confirmée")).first.wait_for()
    page.goto(f"{base}/actions/{state['action']}/facturation/")
    assert_accessible(page)
    page.locator("input[name=declaration]").first.check()
    page.get_by_role("button", name="Générer la facture").click()
    page.wait_for_url(re.compile(r".*/factures/\d+/$"))
    assert_accessible(page)
    invoice_url = page.url
    page.get_by_role("button", name="Confirmer la facture").click()
    page.get_by_text(re.compile("confirmée et émise à la Région")).first.wait_for()
    link = page.get_by_role("link", name=re.compile("Télécharger la facture Factur-X"))
    pdf = page.request.get(base + link.get_attribute("href"))
    name, xml = get_xml_from_pdf(pdf.body(), check_xsd=True)
    assert name == "factur-x.xml" and b"urn:cen.eu:en16931:2017" in xml
    _log_out(page)

    log_in(page, "agent@cvl.remu.local")
    page.goto(f"{base}/factures/")
    assert_accessible(page)
    page.goto(invoice_url)
    assert_accessible(page)
    page.get_by_label("Rejeter la facture").check()
    field(page, "Motif (obligatoire pour un rejet)").fill("Justificatif d'absence manquant")
    page.get_by_role("button", name="Enregistrer la décision").click()
    page.get_by_text("Décision enregistrée.").first.wait_for()
    _log_out(page)

    log_in(page, state["email"])
    page.wait_for_url("**/organisme/")
    page.goto(f"{base}/factures/?etat=rejetees")
    assert "Justificatif d'absence manquant" in page.content().replace("&#x27;", "'")
    page.goto(f"{base}/actions/{state['action']}/realise/?mois={orm(_rejected_month)}")
    page.get_by_role("link", name=re.compile("^Saisie horaire")).first.click()
    assert_accessible(page)
    field(page, "Motif de la correction").fill("Absence justifiée après coup")
    page.get_by_role("button", name="Enregistrer").click()
    page.get_by_text("Saisie horaire enregistrée.").first.wait_for()
    page.get_by_role("button", name=re.compile("Confirmer la déclaration")).click()
    page.get_by_text(re.compile("Déclaration de .* confirmée")).first.wait_for()
    page.goto(f"{base}/actions/{state['action']}/facturation/")
    page.locator("input[name=declaration]").first.check()
    page.get_by_role("button", name="Générer la facture").click()
    page.wait_for_url(re.compile(r".*/factures/\d+/$"))
    second_url = page.url
    page.get_by_role("button", name="Confirmer la facture").click()
    page.get_by_text(re.compile("confirmée et émise à la Région")).first.wait_for()
    _log_out(page)

    log_in(page, "agent@cvl.remu.local")
    page.goto(second_url)
    page.get_by_label("Valider la facture").check()
    page.get_by_role("button", name="Enregistrer la décision").click()
    page.get_by_text("Décision enregistrée.").first.wait_for()
    assert_accessible(page)
    page.goto(f"{base}/region/facturation/")
    assert_accessible(page)
    pk = int(second_url.rstrip("/").rsplit("/", 1)[1])
    assert orm(lambda: Invoice.objects.get(pk=pk).status) == "validated"


def _rejected_month():
    from remu.invoicing.models import Invoice

    invoice = Invoice.objects.filter(status="rejected").latest("pk")
    return f"{invoice.lines.first().month:%Y-%m}"
