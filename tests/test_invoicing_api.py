"""The providers' API for invoicing: hours realised, confirming a month, listing invoices."""

import datetime as dt
from decimal import Decimal

from django.urls import reverse

from remu.api.models import ApiToken
from remu.invoicing import services
from remu.invoicing.models import Declaration


def _auth(pay_world):
    action = pay_world["enrollment"].action
    _, token = ApiToken.issue(
        provider=action.provider, name="Logiciel", user=pay_world["provider_user"]
    )
    return action, {"HTTP_AUTHORIZATION": f"Bearer {token}"}


def test_hours_confirm_and_invoices(client, pay_world):
    action, auth = _auth(pay_world)
    url = reverse("api:invoicing_hours", args=[action.pk])
    body = client.get(url, {"month": "2026-03-01"}, **auth).json()
    assert body["month"] == "2026-03-01" and not body["confirmed"]
    assert body["rows"][0]["centre_realised"] == "154.00" and body["rows"][0]["source"] == (
        "attendance"
    )
    confirm = reverse("api:confirm_declaration", args=[action.pk])
    response = client.post(
        confirm, {"month": "2026-03-01"}, content_type="application/json", **auth
    )
    assert response.status_code == 200 and response.json()["month"] == "2026-03-01"
    again = client.post(confirm, {"month": "2026-03-01"}, content_type="application/json", **auth)
    assert again.status_code == 422 and "déjà été confirmée" in again.json()["detail"]
    bad = client.post(confirm, {"month": "mars"}, content_type="application/json", **auth)
    assert bad.status_code == 422 and "date attendue" in bad.content.decode()
    declaration = Declaration.objects.get(action=action)
    invoice = services.generate_invoice(action, [declaration.pk], pay_world["provider_user"])
    services.confirm_invoice(invoice, pay_world["provider_user"], dt.date(2026, 4, 12))
    invoices = client.get(reverse("api:list_invoices"), **auth).json()
    assert [(i["number"], i["status"]) for i in invoices] == [("F-000001", "confirmed")]
    assert Decimal(invoices[0]["total_ht"]) == Decimal(0)  # the action's unit costs are 0
