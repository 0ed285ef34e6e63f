"""Manual adjustments (issue 12 §2): an agent proposes, a second agent of the region approves
(four eyes), the next run orders it once on its own line; a negative one reduces the next
line."""

import datetime as dt
import io
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import IntegrityError, transaction
from django.urls import reverse
from pypdf import PdfReader

from remu.attendance import services as attendance
from remu.overpayments.models import Overpayment
from remu.payments import services
from remu.payments.models import Adjustment, Payment, TaxRate

from . import factories as f
from .utils import text

MARCH = dt.date(2026, 3, 1)


@pytest.fixture
def world(pay_world):
    """March 2026 paid (743.84 + the entry bonus); a second agent of the region."""
    run(pay_world)
    pay_world["second"] = f.AgentFactory(region=pay_world["region"])
    return pay_world


def run(world, month=MARCH):
    created = services.start_run(world["region"], "monthly", month, world["agent"])
    return services.execute_run(created.pk)


def propose(client, world, amount="50,00", corrects="adjustment", reason="Prime oubliée", **more):
    client.force_login(world["agent"])
    return client.post(
        reverse("payments:adjustment_add", args=[world["enrollment"].pk]),
        {"month": "2026-03-01", "corrects": corrects, "amount": amount, "reason": reason, **more},
    )


def decide(client, user, adjustment, **data):
    client.force_login(user)
    return client.post(
        reverse("payments:adjustment_decide", args=[adjustment.pk]),
        {"decision": "approve", **data},
        follow=True,
    )


def adjustment_lines():
    return Payment.objects.filter(component__in=["adjustment", "adj_allowances"])


def test_the_agent_who_proposed_cannot_approve_a_second_agent_can(client, world):
    response = propose(client, world)
    assert response.status_code == 302
    adjustment = Adjustment.objects.get()
    assert adjustment.status == "proposed" and adjustment.amount == Decimal("50.00")
    # The list tells the proposer a second agent must decide, and refuses a forged approval.
    page = text(client.get(reverse("payments:adjustments")))
    assert "Prime oubliée" in page and "un second agent doit le décider" in page
    response = decide(client, world["agent"], adjustment)
    assert "Vous avez proposé cet ajustement : un second agent de la Région doit le décider." in (
        text(response)
    )
    adjustment.refresh_from_db()
    assert adjustment.status == "proposed"
    # Not due yet: a run orders nothing for it.
    run(world)
    assert not adjustment_lines().exists()
    # The second agent approves; the history says who did what.
    response = decide(client, world["second"], adjustment)
    assert "Ajustement approuvé" in text(response)
    adjustment.refresh_from_db()
    assert adjustment.status == "approved" and adjustment.decided_by == world["second"]
    assert [t.to_status for t in adjustment.transitions.all()] == ["proposed", "approved"]
    # Approved once: a second decision is refused.
    assert "déjà été décidé" in text(
        decide(client, f.AgentFactory(region=world["region"]), adjustment)
    )


def test_the_database_refuses_an_adjustment_approved_by_its_author(world):
    adjustment = Adjustment.objects.create(
        region=world["region"],
        enrollment=world["enrollment"],
        month=MARCH,
        corrects="adjustment",
        amount=Decimal("10.00"),
        reason="Test",
        created_by=world["agent"],
    )
    adjustment.status, adjustment.decided_by = "approved", world["agent"]
    adjustment.decided_at = adjustment.created_at
    with pytest.raises(IntegrityError), transaction.atomic():
        adjustment.save()


def test_an_approved_adjustment_is_ordered_once_on_its_own_line_taxable(client, world):
    TaxRate.objects.create(
        region=world["region"],
        nir=world["enrollment"].trainee.nir,
        rate=Decimal("10"),
        valid_from=dt.date(2026, 1, 1),
    )
    propose(client, world)
    adjustment = Adjustment.objects.get()
    decide(client, world["second"], adjustment)
    first = run(world)
    line = adjustment_lines().get()
    # Its own label, with the reason; taxable (it corrects the remuneration): 10 % withheld.
    assert line.label == "Ajustement manuel de mars 2026 : Prime oubliée"
    assert line.amount == Decimal("50.00") and line.withholding == Decimal("5.00")
    assert line.net == Decimal("45.00")
    assert first.summary["lines"] == 1
    adjustment.refresh_from_db()
    assert adjustment.run == first
    # Once: the next run orders nothing more.
    assert run(world).summary["lines"] == 0
    assert adjustment_lines().count() == 1
    # The trainee page shows it; the advice carries the ledger's explanation.
    client.force_login(world["second"])
    page = text(client.get(reverse("home:trainee", args=[world["enrollment"].trainee_id])))
    assert "Ajustement manuel de mars 2026 : Prime oubliée" in page
    assert "pris en compte par la série" in page
    line.status, line.paid_on = "paid", dt.date(2026, 4, 20)
    line.save()
    pdf = client.get(reverse("payments:advice", args=[line.pk]))
    words = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf.content)).pages)
    assert "Ajustement manuel de mars 2026 : Prime oubliée" in " ".join(words.split())
    assert "+50,00 € (Prime oubliée)" in " ".join(words.split())


def test_an_allowances_adjustment_is_not_taxable(client, world):
    TaxRate.objects.create(
        region=world["region"],
        nir=world["enrollment"].trainee.nir,
        rate=Decimal("10"),
        valid_from=dt.date(2026, 1, 1),
    )
    propose(client, world, amount="30", corrects="adj_allowances", reason="Transport oublié")
    decide(client, world["second"], Adjustment.objects.get())
    run(world)
    line = adjustment_lines().get()
    assert line.component == "adj_allowances" and line.withholding == 0
    assert line.net == Decimal("30.00")


def test_a_negative_adjustment_reduces_the_next_line(client, world):
    propose(client, world, amount="-40,00", reason="Jour férié payé deux fois")
    decide(client, world["second"], Adjustment.objects.get())
    run(world)
    assert not adjustment_lines().exists()
    debt = Overpayment.objects.get()  # the trainee owes it until a later line offsets it
    assert debt.amount == Decimal("40.00")
    assert debt.label.startswith("Ajustement manuel de mars 2026 : Jour férié payé deux fois")
    # April, validated: its line is reduced by the 40.00.
    line = world["line"]
    statement = attendance.create_statement(
        line.statement.action, world["provider_user"], dt.date(2026, 5, 2)
    )
    april = statement.lines.get()
    attendance.declare_presence([april], "full_month")
    attendance.validate_lines([april], world["provider_user"])
    run(world, dt.date(2026, 4, 1))
    payment = Payment.objects.get(month=dt.date(2026, 4, 1), component="remuneration")
    assert payment.offset == Decimal("40.00")
    assert payment.net == payment.amount - payment.withholding - Decimal("40.00")


def test_a_refused_adjustment_needs_a_reason_and_is_never_paid(client, world):
    propose(client, world)
    adjustment = Adjustment.objects.get()
    response = decide(client, world["second"], adjustment, decision="refuse", decision_reason="")
    assert "Le motif du refus est obligatoire." in text(response)
    decide(client, world["second"], adjustment, decision="refuse", decision_reason="Déjà payé")
    adjustment.refresh_from_db()
    assert adjustment.status == "refused" and adjustment.decision_reason == "Déjà payé"
    run(world)
    assert not adjustment_lines().exists()


def test_the_form_says_what_is_wrong_next_to_the_field(client, world):
    response = propose(client, world, amount="0", reason=" ")
    page = text(response)
    assert "Un ajustement de 0,00 € ne change rien." in page
    assert "Ce champ est obligatoire." in page or "Le motif est obligatoire." in page
    response = propose(client, world, amount="99999")
    assert "inférieure ou égale à 10000" in text(response) or "10 000" in text(response)
    response = propose(client, world, amount="12\x0034")
    assert response.status_code == 200
    assert not Adjustment.objects.exists()


def test_the_supporting_document_is_checked_then_served_to_agents(client, world):
    fake = SimpleUploadedFile("piece.pdf", b"MZ not a pdf", content_type="application/pdf")
    response = propose(client, world, document=fake)
    assert "Seuls les fichiers PDF, JPEG ou PNG sont acceptés" in text(response)
    assert not Adjustment.objects.exists()
    pdf = SimpleUploadedFile("piece.pdf", b"%PDF-1.4 justificatif", content_type="text/plain")
    propose(client, world, document=pdf)
    adjustment = Adjustment.objects.get()
    assert adjustment.document_type == "application/pdf"
    assert not adjustment.document.name.endswith("piece.pdf")  # a random name on disk
    url = reverse("payments:adjustment_document", args=[adjustment.pk])
    response = client.get(url)
    assert b"".join(response.streaming_content) == b"%PDF-1.4 justificatif"
    assert response["X-Content-Type-Options"] == "nosniff"


def test_the_trainee_page_offers_an_adjustment_to_agents_only(client, world):
    url = reverse("home:trainee", args=[world["enrollment"].trainee_id])
    client.force_login(world["agent"])
    assert "Ajouter un ajustement" in text(client.get(url))
    client.force_login(world["provider_user"])
    page = text(client.get(url))
    assert page and "Ajouter un ajustement" not in page


def test_the_approvals_list_is_paginated_in_few_queries(
    client, world, django_assert_max_num_queries
):
    for i in range(30):
        Adjustment.objects.create(
            region=world["region"],
            enrollment=world["enrollment"],
            month=MARCH,
            corrects="adjustment",
            amount=Decimal(i + 1),
            reason=f"Motif {i}",
            created_by=world["second"],
        )
    client.force_login(world["agent"])
    with django_assert_max_num_queries(12):
        response = client.get(reverse("payments:adjustments"))
    page = text(response)
    assert page.count("Approuver") >= 25 and "Page 1 sur 2" in page
    # The agents' home counts them, with the link to the list.
    home = text(client.get(reverse("home:agent_dashboard")))
    assert "Ajustements à approuver" in home
