"""RS2 actual transport costs (issue 12 §2, seed 001 §2.4): the journeys of an RS2 dossier
become due once an agent accepted their receipts, and the runs pay them once, not taxable."""

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse

from remu.dossiers.models import Dossier, Journey
from remu.payments import services
from remu.payments.models import DueAmount, Payment, TaxRate

from .utils import text


@pytest.fixture
def world(pay_world):
    """The CVL trainee of pay_world (entry 2 March 2026, training to 30 September: about 7
    months, with a child) with an RS2 dossier of three journeys, a 10 % personalised rate."""
    enrollment = pay_world["enrollment"]
    rs2 = Dossier.objects.create(
        region=pay_world["region"],
        action=enrollment.action,
        enrollment=enrollment,
        kind="RS2",
        status="received",
        number="CVL-2026-000900",
        children=1,
    )
    journeys = [
        Journey.objects.create(
            dossier=rs2,
            date=day,
            purpose=purpose,
            origin="Tours",
            destination="Orléans",
            distance_km=Decimal(km),
            amount=Decimal(amount),
        )
        for day, purpose, km, amount in (
            (dt.date(2026, 3, 2), "start_end", 80, "40.00"),
            (dt.date(2026, 4, 15), "training", 120, "25.00"),
            (dt.date(2026, 4, 20), "family", 80, "50.00"),
        )
    ]
    TaxRate.objects.create(
        region=pay_world["region"],
        nir=enrollment.trainee.nir,
        rate=Decimal("10"),
        valid_from=dt.date(2026, 1, 1),
    )
    return {**pay_world, "rs2": rs2, "journeys": journeys}


def run(world):
    created = services.start_run(world["region"], "monthly", dt.date(2026, 3, 1), world["agent"])
    return services.execute_run(created.pk)


def transport_lines():
    return Payment.objects.filter(component="transport_costs").order_by("month")


def review(client, world, decisions: dict):
    data = {}
    for journey, (decision, reason) in zip(world["journeys"], decisions, strict=True):
        data[f"review_{journey.pk}"] = decision
        data[f"reason_{journey.pk}"] = reason
    return client.post(reverse("dossiers:journey_review", args=[world["rs2"].pk]), data)


def test_accepted_receipts_become_due_and_are_paid_once_not_taxed(client, world):
    run(world)
    assert not transport_lines().exists()  # receipts not accepted yet: nothing due
    client.force_login(world["agent"])
    page = text(client.get(reverse("dossiers:detail", args=[world["rs2"].pk])))
    assert "Justificatifs des trajets" in page and "justificatif à vérifier" in page
    # A refusal needs a reason, said next to the journey; nothing is written.
    response = review(client, world, [("accepted", ""), ("refused", ""), ("accepted", "")])
    assert "Le motif du refus est obligatoire." in text(response)
    assert not Journey.objects.filter(review="accepted").exists()
    response = review(client, world, [("accepted", ""), ("accepted", ""), ("accepted", "")])
    assert response.status_code == 302
    assert Journey.objects.filter(review="accepted", reviewed_by=world["agent"]).count() == 3

    first = run(world)
    march, april = transport_lines()
    # Start of the training in full: 40.00. April: the training journey in full (25.00) and
    # one family journey at 75 % for a 3-8-month training with a family (50.00 x 75 % =
    # 37.50): 62.50. Not taxable: nothing withheld despite the 10 % rate.
    assert (march.label, march.amount) == ("Frais de transport au réel de mars 2026", 40)
    assert (april.label, april.amount) == ("Frais de transport au réel d'avril 2026", 62.50)
    assert march.withholding == april.withholding == 0 and april.net == Decimal("62.50")
    assert first.summary["totals"]["transport_costs"] == "102.50"
    due = DueAmount.objects.get(component="transport_costs", month=dt.date(2026, 4, 1))
    assert (
        "Voyage pour raison familiale du 20/04/2026 (80 km, justificatif 50,00 €) : 37,50 € "
        "(75 %, 1 voyage sur la formation)"
    ) in due.explanation
    assert (
        due.explanation[-1] == "Frais de transport au réel d'avril 2026 (non imposables) : 62,50 €"
    )
    # Once: the next run orders nothing more.
    assert run(world).summary["lines"] == 0


def test_a_refused_receipt_is_not_paid(client, world):
    client.force_login(world["agent"])
    review(client, world, [("accepted", ""), ("refused", "Billet illisible"), ("pending", "")])
    run(world)
    assert [(p.month.month, p.amount) for p in transport_lines()] == [(3, Decimal("40.00"))]
    page = text(client.get(reverse("dossiers:detail", args=[world["rs2"].pk])))
    assert "justificatif refusé (Billet illisible)" in page


def test_journeys_of_a_draft_rs2_are_not_reviewed(client, world):
    world["rs2"].status = "draft"
    world["rs2"].save()
    client.force_login(world["agent"])
    response = review(client, world, [("accepted", ""), ("accepted", ""), ("accepted", "")])
    assert response.status_code == 302
    assert not Journey.objects.filter(review="accepted").exists()
