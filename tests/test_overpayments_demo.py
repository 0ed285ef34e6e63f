"""The demo shows overpayments in every state (issue 13), each explained, with its history."""

import io

from django.core.management import call_command
from django.urls import reverse

from remu.accounts.models import User
from remu.demo.seed import DEMO_CLAIM_LABEL
from remu.overpayments.models import Overpayment

from .utils import text


def test_the_demo_has_overpayments_in_every_state(client, db):
    call_command("seed_demo", stdout=io.StringIO())
    call_command("seed_demo", stdout=io.StringIO())  # idempotent
    claims = Overpayment.objects.filter(label__startswith=DEMO_CLAIM_LABEL)
    assert claims.count() == 6
    assert {o.status for o in claims} == {
        "detected", "notified", "recovering", "settled", "written_off", "waived",
    }  # fmt: skip
    recovering = claims.get(status="recovering")
    assert recovering.instalments.count() == 4 and recovering.notice_number
    assert claims.get(status="notified").waivers.get().decision == "pending"
    assert claims.get(status="written_off").written_off > 0
    assert all(o.explanation and o.transitions.exists() for o in claims)
    client.force_login(User.objects.get(email="agent@cvl.remu.local"))
    page = text(client.get(reverse("overpayments:list")))
    for label in ("Détecté", "Notifié", "En recouvrement", "Soldé", "Admis en non-valeur"):
        assert label in page
    detail = text(client.get(reverse("overpayments:detail", args=[recovering.pk])))
    assert "Reçue" in detail and "En retard" in detail  # the 2nd instalment, 15 days ago
    agenda = text(client.get(reverse("overpayments:agenda")))
    assert "Perte d'emploi du conjoint" in agenda
