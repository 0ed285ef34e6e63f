"""Overpayments (« indus »): detection on a validated dropout by reason and region options, the
write-off threshold, offsets on later pay across enrollments, repayment plans, waivers."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from remu.attendance import services as attendance
from remu.attendance.models import Withdrawal
from remu.dossiers.models import Dossier, DossierTransition
from remu.overpayments import detection, selectors
from remu.overpayments import services as overpayments
from remu.overpayments.models import Overpayment, Recovery
from remu.payments import services
from remu.payments.models import Payment
from remu.scales.selectors import engine as engine_for

from . import factories as f
from .utils import text

MARCH, APRIL, MAY = dt.date(2026, 3, 1), dt.date(2026, 4, 1), dt.date(2026, 5, 1)


@pytest.fixture
def world(pay_world):
    return pay_world


def run(world, month):
    created = services.start_run(world["region"], "monthly", month, world["agent"])
    return services.execute_run(created.pk)


def validate_month(world, enrollment_action, today):
    statement = attendance.create_statement(enrollment_action, world["provider_user"], today)
    lines = list(statement.lines.all())
    attendance.declare_presence(lines, "full_month")
    attendance.validate_lines(lines, world["provider_user"])
    return lines


def paid(world, month, component="remuneration", enrollment=None):
    return sum(
        (
            p.amount
            for p in Payment.objects.ordered().filter(
                enrollment=enrollment or world["enrollment"], month=month, component=component
            )
        ),
        Decimal(0),
    )


def march_and_april_paid(world):
    run(world, MARCH)
    validate_month(world, world["dossier"].action, dt.date(2026, 5, 2))
    run(world, APRIL)


def dropout(world, reason, exit_date, *, validate=True):
    withdrawal = attendance.declare_withdrawal(
        world["enrollment"],
        reason=reason,
        exit_date=exit_date,
        comment="",
        user=world["provider_user"],
    )
    if validate:
        attendance.decide_withdrawal(withdrawal, accept=True, comment="", user=world["agent"])
    return withdrawal


def test_legitimate_reason_claims_only_the_days_paid_after_the_exit(world):
    march_and_april_paid(world)
    dropout(world, "job", dt.date(2026, 4, 15))
    claim = Overpayment.objects.get()
    assert claim.source == "dropout" and claim.status == "detected"
    # The next run recomputes April with the exit date: the claim is exactly paid − due, so it
    # orders nothing and claims nothing more.
    again = run(world, APRIL)
    assert again.summary["lines"] == 0 and Overpayment.objects.count() == 1
    due = world["enrollment"].dues.get(month=APRIL, component="remuneration").amount
    assert claim.amount == paid(world, APRIL) - due > 0
    assert "après la date réelle de sortie" in " ".join(claim.explanation)
    assert [(i.month, i.forfeit) for i in claim.items.all()] == [(APRIL, False)]


def test_another_training_is_treated_as_a_legitimate_reason(world):
    march_and_april_paid(world)
    dropout(world, "other_training", dt.date(2026, 4, 15))
    claim = Overpayment.objects.get()
    assert [i.month for i in claim.items.all()] == [APRIL]
    assert not any(i.forfeit for i in claim.items.all())


def test_without_legitimate_reason_cvl_claims_last_month_and_month_of_dropout(world):
    march_and_april_paid(world)
    dropout(world, "other", dt.date(2026, 4, 15))
    claim = Overpayment.objects.get()
    assert claim.amount == paid(world, MARCH) + paid(world, APRIL)
    assert {(i.month, i.forfeit) for i in claim.items.all()} == {(MARCH, True), (APRIL, True)}
    assert "Abandon sans motif légitime" in " ".join(claim.explanation)
    # The forfeited months are not paid again by the next run, nor claimed twice.
    again = run(world, APRIL)
    assert again.summary["lines"] == 0 and Overpayment.objects.count() == 1


def test_exclusion_in_cvl_is_as_without_reason_and_everything_in_guadeloupe(world):
    march_and_april_paid(world)
    withdrawal = dropout(world, "misconduct", dt.date(2026, 4, 15), validate=False)
    cvl = engine_for(world["region"]).options("centre-val-de-loire", withdrawal.exit_date)
    assert detection.rule_for(withdrawal, cvl) == "last_month"
    guadeloupe = engine_for(world["region"]).options("guadeloupe", withdrawal.exit_date)
    assert detection.rule_for(withdrawal, guadeloupe) == "everything"
    reorientation = Withdrawal(enrollment=world["enrollment"], reason="reorientation")
    reorientation.exit_date = withdrawal.exit_date
    assert detection.rule_for(reorientation, guadeloupe) == "after_exit"


def test_leaving_within_the_first_five_weeks_creates_no_claim(world):
    run(world, MARCH)  # the action starts on 2 March: the 5 weeks end on 6 April
    dropout(world, "other", dt.date(2026, 3, 20))
    assert not Overpayment.objects.exists()
    preview = detection.preview_for_withdrawal(Withdrawal.objects.get())
    assert preview["amount"] == 0 and "5 premières semaines" in preview["explanation"][0]


def test_decision_page_shows_the_claim_before_validating_and_writes_nothing(client, world):
    march_and_april_paid(world)
    withdrawal = dropout(world, "other", dt.date(2026, 4, 15), validate=False)
    client.force_login(world["agent"])
    url = reverse("attendance:withdrawal_decide", args=[withdrawal.pk])
    page = text(client.get(url))
    expected = paid(world, MARCH) + paid(world, APRIL)
    from remu.rules.money import euros

    assert f"Indu créé si vous validez : {euros(expected)}" in page
    assert not Overpayment.objects.exists()
    client.post(url, {"decision": "accept", "decision_comment": ""})
    assert Overpayment.objects.get().amount == expected


def test_small_claim_is_written_off_and_still_offset_on_a_later_training(world):
    run(world, MARCH)
    line = world["line"]
    attendance.reopen_line(line, world["agent"], "Absence oubliée")
    attendance.add_absence(
        line, reason="UNJUSTIFIED", start=dt.date(2026, 3, 16), end=dt.date(2026, 3, 17),
        place="centre",
    )  # fmt: skip
    attendance.validate_lines([line], world["provider_user"])
    run(world, MARCH)
    claim = Overpayment.objects.get()
    assert claim.amount == Decimal("51.30") and claim.status == "written_off"  # < 100 € (CVL)
    assert claim.remaining == 0 and claim.written_off == Decimal("51.30")
    assert claim.recoveries.get().kind == "write_off"
    assert "seuil de 100,00 €" in claim.transitions.last().why
    # The trainee enters another training of the region: the write-off is withheld there.
    second = second_enrollment(world)
    validate_month(world, second.action, dt.date(2026, 6, 2))
    run(world, MAY)
    line = Payment.objects.get(enrollment=second, component="remuneration")
    assert line.offset == Decimal("51.30") and "retenus sur un trop-perçu" in line.label
    claim.refresh_from_db()
    assert claim.status == "settled" and claim.remaining == 0 and claim.written_off == 0
    kinds = sorted(r.kind for r in claim.recoveries.all())
    assert kinds == ["offset", "write_off", "write_off_reversal"]
    assert claim.amount - claim.remaining == sum(r.amount for r in claim.recoveries.all())


def second_enrollment(world):
    """The same trainee enrolled and admitted in another action of the region, from May."""
    action = f.TrainingActionFactory(
        region=world["region"],
        provider=world["dossier"].action.provider,
        planned_start=dt.date(2026, 5, 4),
        planned_end=dt.date(2026, 9, 30),
    )
    enrollment = f.EnrollmentFactory(
        action=action, trainee=world["enrollment"].trainee, entry_date=dt.date(2026, 5, 4)
    )
    dossier = Dossier.objects.create(
        region=world["region"], action=action, enrollment=enrollment, kind="RS1",
        status="admitted", rate_category="JOB_SEEKER", weekly_hours=Decimal(35),
        number="CVL-2026-000099", iban="FR7630006000011234567890189", bic="BNPAFRPP",
        account_holder="Léa Martin",
    )  # fmt: skip
    DossierTransition.objects.create(
        dossier=dossier, from_status="received", to_status="admitted", by=world["agent"]
    )
    return enrollment


def test_notified_claim_is_offset_across_enrollments_within_the_region_cap(world, settings):
    march_and_april_paid(world)
    dropout(world, "other", dt.date(2026, 4, 15))
    claim = Overpayment.objects.get()
    overpayments.notify(claim, user=world["agent"])
    claim.refresh_from_db()
    assert claim.status == "notified" and claim.notice_number == "CVL-OR-2026-00001"
    second = second_enrollment(world)
    validate_month(world, second.action, dt.date(2026, 6, 2))
    run(world, MAY)
    line = Payment.objects.get(enrollment=second, component="remuneration")
    assert line.net == 0 and line.offset == line.amount - line.withholding  # whole line
    claim.refresh_from_db()
    assert claim.status == "recovering"
    assert claim.remaining == claim.amount - line.offset
    assert claim.recoveries.get().payment == line


def test_a_pending_waiver_suspends_offsets_and_a_partial_waiver_reduces_the_claim(world):
    march_and_april_paid(world)
    dropout(world, "other", dt.date(2026, 4, 15))
    claim = overpayments.notify(Overpayment.objects.get(), user=world["agent"])
    waiver = overpayments.request_waiver(
        claim, received_on=dt.date(2026, 5, 10), requested_amount=Decimal("300.00"),
        reasons="Perte d'emploi du conjoint", situation="RSA", user=world["agent"],
    )  # fmt: skip
    second = second_enrollment(world)
    validate_month(world, second.action, dt.date(2026, 6, 2))
    run(world, MAY)
    assert Payment.objects.get(enrollment=second, component="remuneration").offset == 0
    overpayments.schedule_waiver(waiver, dt.date(2026, 6, 15))
    assert list(selectors.agenda(Overpayment.objects.all())) == [waiver]
    with pytest.raises(ValidationError):
        overpayments.decide_waiver(
            waiver, decision="partly", granted_amount=claim.amount, decided_on=dt.date(2026, 6, 15),
            reference="CR-2026-06", user=world["agent"],
        )  # fmt: skip
    overpayments.decide_waiver(
        waiver, decision="partly", granted_amount=Decimal("300.00"),
        decided_on=dt.date(2026, 6, 15), reference="CR-2026-06", user=world["agent"],
    )  # fmt: skip
    claim.refresh_from_db()
    assert claim.remaining == claim.amount - Decimal("300.00") and claim.status == "notified"
    assert claim.recoveries.get().kind == Recovery.Kind.WAIVER


def test_a_plan_paid_late_is_listed_then_settled(world):
    march_and_april_paid(world)
    dropout(world, "other", dt.date(2026, 4, 15))
    claim = overpayments.notify(Overpayment.objects.get(), user=world["agent"])
    plan = overpayments.equal_instalments(claim.remaining, 3, dt.date(2026, 6, 10))
    assert sum(a for _, a in plan) == claim.remaining
    overpayments.set_plan(claim, plan, user=world["agent"])
    claim.refresh_from_db()
    assert claim.status == "recovering"
    first, second, third = claim.instalments.all()
    late = selectors.late_instalments(Overpayment.objects.all(), dt.date(2026, 7, 20))
    assert [i.pk for i in late] == [first.pk, second.pk]
    overpayments.receive_instalment(
        first, amount=first.amount, on=dt.date(2026, 7, 21), user=world["agent"]
    )
    late = selectors.late_instalments(Overpayment.objects.all(), dt.date(2026, 7, 22))
    assert [i.pk for i in late] == [second.pk]
    with pytest.raises(ValidationError):  # more than what remains
        overpayments.receive(
            claim, amount=claim.amount, on=dt.date(2026, 7, 22), user=world["agent"]
        )
    for instalment in (second, third):
        overpayments.receive_instalment(
            instalment, amount=instalment.amount, on=dt.date(2026, 8, 1), user=world["agent"]
        )
    claim.refresh_from_db()
    assert claim.status == "settled" and claim.remaining == 0


def test_agents_pages_list_and_follow_an_overpayment(client, world):
    march_and_april_paid(world)
    dropout(world, "other", dt.date(2026, 4, 15))
    claim = Overpayment.objects.get()
    client.force_login(world["agent"])
    listing = text(client.get(reverse("overpayments:list") + "?suivi=on&origine=dropout"))
    assert claim.label in listing
    assert "Aucun indu" in text(
        client.get(reverse("overpayments:list") + "?origine=scale_correction")
    )
    detail = reverse("overpayments:detail", args=[claim.pk])
    client.post(reverse("overpayments:notify", args=[claim.pk]))
    pdf = client.get(reverse("overpayments:notice", args=[claim.pk]))
    assert pdf["Content-Type"] == "application/pdf" and pdf.content.startswith(b"%PDF")
    bad = client.post(
        reverse("overpayments:plan", args=[claim.pk]), {"count": "0", "first_due_on": ""}
    )
    assert bad.status_code == 400
    client.post(
        reverse("overpayments:plan", args=[claim.pk]), {"count": "2", "first_due_on": "2026-06-10"}
    )
    page = text(client.get(detail))
    assert "En recouvrement" in page and "Ordre de reversement" in page
    trainee_page = text(client.get(reverse("home:trainee", args=[claim.trainee_id])))
    assert claim.label in trainee_page
    export = client.get(reverse("overpayments:export"))
    assert export.status_code == 200


def test_providers_see_only_that_a_claim_exists(client, world):
    march_and_april_paid(world)
    dropout(world, "other", dt.date(2026, 4, 15))
    claim = Overpayment.objects.get()
    client.force_login(world["provider_user"])
    page = text(client.get(reverse("home:trainee", args=[claim.trainee_id])))
    assert "Un indu a été constaté" in page and claim.label not in page


def test_export_writes_a_formula_like_name_as_text(client, world):
    import io

    from openpyxl import load_workbook

    march_and_april_paid(world)
    dropout(world, "other", dt.date(2026, 4, 15))
    claim = Overpayment.objects.get()
    claim.label = '=HYPERLINK("http://x")'
    claim.save(update_fields=["label"])
    client.force_login(world["agent"])
    sheet = load_workbook(io.BytesIO(client.get(reverse("overpayments:export")).content)).active
    cell = next(c for c in sheet[2] if c.value == claim.label)
    assert cell.data_type == "s" and cell.quotePrefix


def test_list_and_detail_pages_keep_a_bounded_number_of_queries(
    client, world, django_assert_max_num_queries
):
    march_and_april_paid(world)
    dropout(world, "other", dt.date(2026, 4, 15))
    claim = Overpayment.objects.get()
    for n in range(5):
        Overpayment.objects.create(
            region=world["region"], trainee=claim.trainee, enrollment=claim.enrollment,
            source="wrong_information", amount=Decimal(100 + n), remaining=Decimal(100 + n),
            label=f"Indu {n}",
        )  # fmt: skip
    client.force_login(world["agent"])
    with django_assert_max_num_queries(20):
        assert client.get(reverse("overpayments:list")).status_code == 200
    with django_assert_max_num_queries(25):
        assert client.get(reverse("overpayments:detail", args=[claim.pk])).status_code == 200
    with django_assert_max_num_queries(20):
        assert client.get(reverse("overpayments:agenda")).status_code == 200


def test_without_reason_the_month_of_dropout_not_yet_paid_is_never_paid(world):
    run(world, MARCH)
    validate_month(world, world["dossier"].action, dt.date(2026, 5, 2))  # April, not paid yet
    dropout(world, "other", dt.date(2026, 4, 15))
    claim = Overpayment.objects.get()
    assert claim.amount == paid(world, MARCH)  # the last month received, in full
    assert "pas encore payé ; ne sera pas payé" in " ".join(claim.explanation)
    run(world, APRIL)
    assert paid(world, APRIL) == 0 and Overpayment.objects.count() == 1
