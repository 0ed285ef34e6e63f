"""Trainees the region does not pay (P2S only, France Travail) are declared on the same
attendance statement (issue 17, seed 003 §3.5): their month reaches the declaration of hours
realised and the provider's invoice, and never a payment."""

import datetime as dt
from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction
from django.urls import reverse

from remu.attendance import services as attendance
from remu.attendance.models import AttendanceLine
from remu.dossiers.models import Dossier, DossierTransition
from remu.invoicing import selectors as invoicing_selectors
from remu.invoicing import services as invoicing
from remu.payments import services as payments
from remu.payments.models import DueAmount, Payment

from . import factories as f

D = Decimal
MARCH = dt.date(2026, 3, 1)
UNPAID = "Non rémunéré par la Région — heures déclarées pour la facturation"


@pytest.fixture
def world(db, region, provider, provider_user):
    region.parameter_set, region.number_prefix = "centre-val-de-loire", "CVL"
    region.save()
    agent = f.AgentFactory(region=region, is_rules_admin=True)
    action = f.TrainingActionFactory(
        region=region,
        provider=provider,
        planned_start=dt.date(2026, 3, 2),
        planned_end=dt.date(2026, 9, 30),
        unit_cost_centre=D("7.00"),
        unit_cost_company=D("1.00"),
    )
    paid = f.EnrollmentFactory(
        action=action,
        entry_date=dt.date(2026, 3, 2),
        trainee__birth_name="Admis",
        trainee__birth_date=dt.date(1990, 1, 1),
    )
    dossier = Dossier.objects.create(
        region=region,
        action=action,
        enrollment=paid,
        kind="RS1",
        status="admitted",
        rate_category="JOB_SEEKER",
        weekly_hours=D(35),
        number="CVL-2026-000001",
        iban="FR7630006000011234567890189",
        bic="BNPAFRPP",
        account_holder="Léa Martin",
    )
    DossierTransition.objects.create(
        dossier=dossier, from_status="received", to_status="admitted", by=agent
    )
    p2s = f.EnrollmentFactory(
        action=action,
        entry_date=dt.date(2026, 3, 2),
        trainee__birth_name="Pdeuxs",
        trainee__birth_date=dt.date(1995, 5, 5),
    )
    statement = attendance.create_statement(action, provider_user, dt.date(2026, 4, 10))
    return {
        "region": region,
        "agent": agent,
        "action": action,
        "user": provider_user,
        "paid": paid,
        "p2s": p2s,
        "statement": statement,
    }


def _line(world, key):
    return (
        world["statement"]
        .lines.select_related("dossier", "enrollment__trainee")
        .get(enrollment=world[key])
    )


def test_every_registered_trainee_is_on_the_statement_only_the_admitted_one_paid(world):
    paid, unpaid = _line(world, "paid"), _line(world, "p2s")
    assert paid.paid and paid.dossier.number == "CVL-2026-000001"
    assert not unpaid.paid and unpaid.dossier is None and unpaid.full_time
    assert attendance.refresh_lines(world["statement"]) == 0  # idempotent


def test_p2s_absence_reaches_declaration_and_invoice_and_no_payment(world):
    paid, unpaid = _line(world, "paid"), _line(world, "p2s")
    attendance.declare_presence([paid, unpaid], "full_month")
    attendance.add_absence(
        unpaid,
        reason="UNJUSTIFIED",
        start=dt.date(2026, 3, 16),
        end=dt.date(2026, 3, 17),
        place="centre",
    )
    done = attendance.validate_lines([paid, unpaid], world["user"])
    assert len(done) == 2
    unpaid.refresh_from_db()
    assert unpaid.status == "validated"
    assert (unpaid.amount, unpaid.paid_thirtieths, unpaid.paid_hours) == (None, None, None)
    paid.refresh_from_db()
    assert paid.amount > 0

    # The declaration of hours realised reads the statement's line, not the schedule.
    data = invoicing_selectors.ActionHours(world["action"])
    row = next(r for r in data.rows(MARCH) if r.enrollment == world["p2s"])
    assert row.source == "attendance" and row.line_status == "validated"
    assert row.hours.centre_unjustified == D(14)  # 16 and 17 March, 7 h a day
    assert row.hours.centre_realised == D(22 * 7 - 14)
    declaration = invoicing.confirm_declaration(
        world["action"], MARCH, world["user"], dt.date(2026, 4, 10)
    )
    frozen = declaration.lines.get(enrollment=world["p2s"])
    assert (frozen.source, frozen.centre_unjustified) == ("attendance", D(14))

    # The invoice counts both trainees, the P2S one without the two unjustified days.
    invoice = invoicing.generate_invoice(world["action"], [declaration.pk], world["user"])
    line = invoice.lines.get()
    assert line.trainees == 2
    assert line.centre_realised == D(22 * 7) + D(22 * 7 - 14)
    assert line.total == D(22 * 7 + 22 * 7 - 14) * D("7.00")

    # The payment run orders the admitted trainee's month and nothing for the P2S one.
    run = payments.start_run(world["region"], "monthly", MARCH, world["agent"])
    payments.execute_run(run.pk)
    assert Payment.objects.filter(enrollment=world["paid"]).exists()
    assert not Payment.objects.filter(enrollment=world["p2s"]).exists()
    assert not DueAmount.objects.filter(enrollment=world["p2s"]).exists()


def test_an_unpaid_line_still_needs_its_presence_and_never_holds_pay(world):
    unpaid = _line(world, "p2s")
    with pytest.raises(Exception, match="présence non déclarée"):
        attendance.validate_lines([unpaid], world["user"])
    with pytest.raises(IntegrityError), transaction.atomic():
        AttendanceLine.objects.filter(pk=unpaid.pk).update(amount=D("10.00"))


def test_a_trainee_admitted_later_takes_the_draft_line_with_its_dossier(world):
    unpaid = _line(world, "p2s")
    dossier = Dossier.objects.create(
        region=world["region"],
        action=world["action"],
        enrollment=world["p2s"],
        kind="RS1",
        status="admitted",
        rate_category="JOB_SEEKER",
        weekly_hours=D(35),
        number="CVL-2026-000002",
    )
    assert attendance.refresh_lines(world["statement"]) == 0
    unpaid.refresh_from_db()
    assert unpaid.dossier == dossier and unpaid.paid


def test_the_statement_page_labels_the_unpaid_trainee(world, provider_client):
    page = provider_client.get(reverse("attendance:statement", args=[world["statement"].pk]))
    assert page.status_code == 200
    html = page.content.decode()
    assert html.count(UNPAID) == 1 and "Pdeuxs".upper() in html.upper()


def test_a_validated_unpaid_month_goes_back_to_draft_once_the_trainee_is_admitted(world):
    """Validated without pay, then the region admits the trainee: the provider's refresh puts
    the month back to validate, with its pay (nothing was paid for it: nothing is undone)."""
    unpaid = _line(world, "p2s")
    attendance.declare_presence([unpaid], "full_month")
    attendance.validate_lines([unpaid], world["user"])
    dossier = Dossier.objects.create(
        region=world["region"],
        action=world["action"],
        enrollment=world["p2s"],
        kind="RS1",
        status="admitted",
        rate_category="JOB_SEEKER",
        weekly_hours=D(35),
        number="CVL-2026-000003",
    )
    attendance.refresh_lines(world["statement"])  # without a user: left as it is
    unpaid.refresh_from_db()
    assert unpaid.status == "validated" and unpaid.dossier is None
    attendance.refresh_lines(world["statement"], world["user"])
    line = _line(world, "p2s")
    assert (line.status, line.dossier, line.presence) == ("draft", dossier, "full_month")
    assert line.events.last().action == "reopened"
    attendance.validate_lines([line], world["user"])
    line.refresh_from_db()
    assert line.amount > 0
