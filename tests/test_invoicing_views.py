"""Invoicing pages: a provider goes from the month's attendance to a validated invoice."""

import datetime as dt
import json
import re
from decimal import Decimal

import pytest
from django.urls import reverse

from remu.invoicing import services
from remu.invoicing.models import Declaration, Invoice, ProviderTaxProfile

from . import factories as f
from .test_csp import assert_protected

D = Decimal


@pytest.fixture
def journey(pay_world):
    """pay_world: an admitted trainee with a validated March 2026 (from attendance)."""
    action = pay_world["enrollment"].action
    action.unit_cost_centre = D("7.00")
    action.save()
    ProviderTaxProfile.objects.create(provider=action.provider, vat_rate=D("20.00"))
    return pay_world | {"action": action}


def _login(client, user):
    client.force_login(user)
    return client


def test_from_attendance_to_validated_invoice(client, journey, monkeypatch):
    action, provider_user, agent = journey["action"], journey["provider_user"], journey["agent"]
    # The provider confirms its invoice on 10 April, within the first 15 days (§3.6.1.1).
    monkeypatch.setattr("remu.invoicing.views.today", lambda: dt.date(2026, 4, 10))
    _login(client, provider_user)
    url = reverse("invoicing:declarations", args=[action.pk]) + "?mois=2026-03"
    page = client.get(url).content.decode()
    assert "Réalisé horaire de l'action" in page and "154,00" in page
    assert client.post(url, {"mois": "2026-03"}).status_code == 302
    declaration = Declaration.objects.get(action=action, month=dt.date(2026, 3, 1))
    assert declaration.status == "confirmed"
    billing = reverse("invoicing:billing", args=[action.pk])
    assert "mars 2026" in client.get(billing).content.decode()
    response = client.post(billing, {"declaration": [str(declaration.pk)]})
    invoice = Invoice.objects.get(action=action)
    assert response["Location"] == reverse("invoicing:invoice", args=[invoice.pk])
    page = client.get(response["Location"]).content.decode()
    assert "1\u00a0078,00 €" in page and "1\u00a0293,60 €" in page  # 154 h × 7.00, TTC at 20 %
    client.post(reverse("invoicing:invoice_confirm", args=[invoice.pk]))
    invoice.refresh_from_db()
    assert invoice.number == "F-000001"
    pdf = client.get(reverse("invoicing:invoice_pdf", args=[invoice.pk]))
    assert pdf["Content-Type"] == "application/pdf" and pdf.content.startswith(b"%PDF")
    # The agent rejects with a reason; the provider sees it.
    _login(client, agent)
    waiting = client.get(reverse("invoicing:invoices")).content.decode()
    assert "F-000001" in waiting
    decide = reverse("invoicing:invoice_decide", args=[invoice.pk])
    client.post(decide, {"decision": "reject", "reason": ""})
    assert Invoice.objects.get(pk=invoice.pk).status == "confirmed"  # a reason is required
    client.post(decide, {"decision": "reject", "reason": "Justificatif d'absence manquant"})
    assert Invoice.objects.get(pk=invoice.pk).status == "rejected"
    _login(client, provider_user)
    rejected = client.get(reverse("invoicing:invoices") + "?etat=rejetees").content.decode()
    assert "Justificatif d&#x27;absence manquant" in rejected
    # The provider corrects (« Saisie horaire »), confirms again and re-issues.
    correction = reverse("invoicing:correction", args=[journey["enrollment"].pk]) + "?mois=2026-03"
    assert "154,00" in client.get(correction).content.decode()
    values = {
        "mois": "2026-03",
        "centre_realised": "147",
        "centre_justified": "7",
        "centre_unjustified": "0",
        "company_realised": "0",
        "company_justified": "0",
        "company_unjustified": "0",
        "reason": "Absence justifiée du 10 mars",
    }
    bad = client.post(correction, values | {"centre_realised": "-1"})
    assert bad.status_code == 200 and "supérieure ou égale à 0" in bad.content.decode()
    assert client.post(correction, values).status_code == 302
    client.post(url, {"mois": "2026-03"})
    client.post(billing, {"declaration": [str(declaration.pk)]})
    again = Invoice.objects.get(action=action, status="draft")
    client.post(reverse("invoicing:invoice_confirm", args=[again.pk]))
    _login(client, agent)
    client.post(reverse("invoicing:invoice_decide", args=[again.pk]), {"decision": "validate"})
    again.refresh_from_db()
    assert again.status == "validated" and again.number == "F-000002"
    assert again.total_ht == D("1078.00")  # 147 + 7 justified
    client.post(reverse("invoicing:invoice_paid", args=[again.pk]), {"paid_on": "2026-04-20"})
    assert Invoice.objects.get(pk=again.pk).status == "paid"
    response = client.get(reverse("invoicing:dashboard") + "?annee=2026")
    dashboard = response.content.decode()
    assert "1\u00a0078,00 €" in dashboard
    # The chart: its data in a json_script block, drawn by the vendored Chart.js and a static
    # script (no inline script under the CSP); the table keeps the same amounts.
    data = json.loads(
        re.search(
            r'<script id="invoicing-chart-data" type="application/json">(.*?)</script>',
            dashboard,
            re.S,
        ).group(1)
    )
    march = data["labels"].index("mars 2026")
    invoiced = next(s for s in data["series"] if s["label"] == "Facturé")
    assert invoiced["values"][march] == "1078.00"
    assert '<canvas id="invoicing-chart"' in dashboard
    assert 'src="/static/vendor/chartjs/chart.umd.min.js"' in dashboard
    assert 'src="/static/remu/invoicing-chart.js"' in dashboard
    assert "<td>mars 2026</td>" in dashboard and "<svg" not in dashboard
    assert_protected(response, "invoicing:dashboard")
    xlsx = client.get(reverse("invoicing:dashboard_xlsx") + "?annee=2026")
    assert xlsx.status_code == 200


def test_bad_inputs_never_fail(client, journey):
    action = journey["action"]
    _login(client, journey["provider_user"])
    for month in ("2026-13", "\x00", "9999-99", "x" * 500):
        url = reverse("invoicing:declarations", args=[action.pk])
        assert client.get(url, {"mois": month}).status_code in (200, 400)  # NUL: 400
    billing = reverse("invoicing:billing", args=[action.pk])
    assert client.post(billing, {"declaration": ["²", "9" * 40]}).status_code == 302
    add = reverse("invoicing:subcontract_add", args=[action.pk])
    client.post(add, {"subcontractor": "X", "amount_ht": "1e400"})
    assert not action.subcontractors.exists()


def test_main_pages_query_counts(client, journey, django_assert_max_num_queries):
    action = journey["action"]
    for _ in range(5):
        f.EnrollmentFactory(action=action)
    services.confirm_declaration(
        action, dt.date(2026, 3, 1), journey["provider_user"], dt.date(2026, 4, 10)
    )
    _login(client, journey["provider_user"])
    with django_assert_max_num_queries(25):
        client.get(reverse("invoicing:declarations", args=[action.pk]) + "?mois=2026-03")
    with django_assert_max_num_queries(25):
        client.get(reverse("invoicing:billing", args=[action.pk]))
    with django_assert_max_num_queries(20):
        client.get(reverse("invoicing:invoices"))
    _login(client, journey["agent"])
    with django_assert_max_num_queries(20):
        client.get(reverse("invoicing:dashboard"))


def test_demo_provider_has_declarations_and_an_invoice(db):
    from remu.actions.models import TrainingAction
    from remu.demo.seed import seed_demo
    from remu.invoicing import selectors

    seed_demo()
    action = TrainingAction.objects.get(number="CVL-2026-005")
    ended = [
        m
        for m in selectors.months_of(action)
        if services.next_month(m) <= dt.date.today().replace(day=1)
    ]
    if len(ended) >= 2:
        assert action.declarations.filter(status="confirmed").exists()
        invoice = action.invoices.get()
        assert invoice.status == "confirmed" and invoice.total_ht > 0
    seed_demo()  # idempotent
    assert action.invoices.count() <= 1


def test_agent_sets_terms_and_vat(client, journey):
    action = journey["action"]
    _login(client, journey["agent"])
    url = reverse("invoicing:terms", args=[action.pk])
    assert client.get(url).status_code == 200
    data = {
        "frequency": "quarterly",
        "unit_cost_centre": "8,50",
        "unit_cost_company": "",
        "planned_hours": "",
        "price": "",
        "tva-vat_rate": "",
        "tva-exemption_reference": "",
        "tva-vat_number": "",
    }
    response = client.post(url, data)
    assert response.status_code == 200 and "mention d&#x27;exonération" in response.content.decode()
    response = client.post(url, data | {"tva-exemption_reference": "Art. 261-4-4° CGI"})
    assert response.status_code == 302
    action.refresh_from_db()
    assert action.invoicing_terms.frequency == "quarterly"
    assert action.invoicing_terms.unit_cost_centre == D("8.50")
    assert action.provider.tax_profile.exemption_reference == "Art. 261-4-4° CGI"


def test_subcontract_errors_next_to_their_fields(client, journey):
    """Seed 003 §3.6.1.2: the main provider enters a subcontractor's invoice; a refusal shows
    each message next to its field, and a valid one adds the subcontractor to the action."""
    action = journey["action"]
    _login(client, journey["provider_user"])
    add = reverse("invoicing:subcontract_add", args=[action.pk])
    page = client.post(add, {"subcontractor": "   ", "amount_ht": "0"})
    assert page.status_code == 400
    html = page.content.decode()
    assert 'id="subcontractor-errors"' in html and 'id="amount_ht-errors"' in html
    assert not action.subcontractors.exists()
    assert client.post(add, {"subcontractor": " CEVENNES  GESTION ", "amount_ht": "1500,00"})[
        "Location"
    ] == reverse("invoicing:billing", args=[action.pk])
    sub = action.subcontractors.get()
    assert sub.name == "CEVENNES GESTION"
    assert sub.invoices.get().amount_ht == D("1500.00")


def test_invoice_page_tells_when_it_can_be_confirmed(client, journey, monkeypatch):
    action = journey["action"]
    march = services.confirm_declaration(
        action, dt.date(2026, 3, 1), journey["provider_user"], dt.date(2026, 4, 10)
    )
    invoice = services.generate_invoice(action, [march.pk], journey["provider_user"])
    monkeypatch.setattr("remu.invoicing.views.today", lambda: dt.date(2026, 4, 20))
    _login(client, journey["provider_user"])
    page = client.get(reverse("invoicing:invoice", args=[invoice.pk])).content.decode()
    assert "pourra l&#x27;être du 1 mai 2026 au 15 mai 2026" in page
    client.post(reverse("invoicing:invoice_confirm", args=[invoice.pk]))
    assert Invoice.objects.get(pk=invoice.pk).status == "draft"
