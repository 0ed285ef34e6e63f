"""Provider invoicing (issue 17): hours realised from the attendance, declarations, invoices
per frequency, subcontracting, the region's decision, the balance and credit notes."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from remu.actions.models import ActionPeriod, TrainingAction
from remu.attendance import services as attendance
from remu.attendance.models import Withdrawal
from remu.dossiers.models import Dossier
from remu.execution.models import Survey
from remu.invoicing import hours as h
from remu.invoicing import selectors, services
from remu.invoicing.models import (
    Declaration,
    Invoice,
    InvoicingTerms,
    ProviderTaxProfile,
    Subcontractor,
)

from . import factories as f

D = Decimal


def test_seed_check_2445():
    """Seed 003 §3.6.1.1: 300 + 35 h in centre at 7.00 and 100 h in company at 1.00."""
    hours = h.Hours(centre_realised=D(300), centre_justified=D(35), company_realised=D(100))
    assert h.line_total(hours, D("7.00"), D("1.00")) == D("2445.00")


def _tm(**kw):
    base = dict(
        month=dt.date(2026, 3, 1),
        entry=dt.date(2026, 3, 2),
        exit=None,
        weekly_hours=D(35),
        action_start=dt.date(2026, 3, 2),
        action_end=dt.date(2026, 9, 30),
        periods=[
            ("centre", dt.date(2026, 3, 2), dt.date(2026, 3, 15)),
            ("company", dt.date(2026, 3, 16), dt.date(2026, 3, 20)),
            ("centre", dt.date(2026, 3, 21), dt.date(2026, 9, 30)),
        ],
        has_line=True,
        presence="full_month",
    )
    base.update(kw)
    return h.TraineeMonth(**base)


def test_full_time_split_by_periods_minus_absences():
    """March 2026 from Monday 2nd: 22 working days of 7 h; a company week (16–20); an
    unjustified day in centre and two days of sickness in company."""
    result = h.compute(
        _tm(
            absences=[
                h.AbsenceFact(dt.date(2026, 3, 10), dt.date(2026, 3, 10), "UNJUSTIFIED", "centre"),
                h.AbsenceFact(dt.date(2026, 3, 17), dt.date(2026, 3, 18), "SICKNESS", "company"),
            ]
        )
    )
    assert result.centre_realised == D(112)
    assert result.centre_unjustified == D(7)
    assert result.company_realised == D(21)
    assert result.company_justified == D(14)
    assert result.total == D(154)


def test_absence_hours_entered_take_precedence_and_part_time_hours():
    result = h.compute(
        _tm(
            absences=[
                h.AbsenceFact(
                    dt.date(2026, 3, 10), dt.date(2026, 3, 10), "LEGAL_LEAVE", "centre", D("3.5")
                )
            ]
        )
    )
    assert result.centre_justified == D("3.5")
    part = h.compute(
        _tm(
            full_time=False,
            weeks=attendance.weeks_of_month(dt.date(2026, 3, 1)),
            weekly_hours_present=[0, 10, 12, "8.5", 0, 0],
            periods=[],
        )
    )
    assert part.centre_realised == D("30.5")
    assert part.company_realised == 0


def test_early_exit_with_admissible_reason_paid_to_the_end():
    tm = _tm(exit=dt.date(2026, 3, 20), paid_after_exit=True, periods=[])
    result = h.compute(tm)
    # 2–20 March realised (15 days), 23–31 paid as justified not realised (7 days).
    assert result.centre_realised == D(105)
    assert result.centre_justified == D(49)


# -- database ------------------------------------------------------------------------------


@pytest.fixture
def world(region, provider, provider_user, agent):
    """An action from Monday 2 March to 30 September 2026, 35 h a week, two trainees not paid
    by the region (their hours come from the schedule)."""
    action = f.TrainingActionFactory(
        region=region,
        provider=provider,
        planned_start=dt.date(2026, 3, 2),
        planned_end=dt.date(2026, 5, 29),
        unit_cost_centre=D("7.00"),
        unit_cost_company=D("1.00"),
        hours_in_centre=400,
        hours_in_company=55,
        max_trainees=2,
        max_paid_trainees=2,
    )
    ActionPeriod.objects.create(
        action=action,
        place="company",
        start_date=dt.date(2026, 4, 6),
        end_date=dt.date(2026, 4, 10),
    )
    first = f.EnrollmentFactory(action=action)
    second = f.EnrollmentFactory(action=action)
    return {
        "action": action,
        "enrollments": [first, second],
        "user": provider_user,
        "agent": agent,
    }


MARCH, APRIL, MAY = dt.date(2026, 3, 1), dt.date(2026, 4, 1), dt.date(2026, 5, 1)


def _confirm(world, month, today=None):
    today = today or (attendance.next_month(month) + dt.timedelta(days=2))
    return services.confirm_declaration(world["action"], month, world["user"], today)


def test_declaration_table_and_confirmation_rules(world):
    action, user = world["action"], world["user"]
    with pytest.raises(ValidationError, match="n'est pas terminé"):
        services.confirm_declaration(action, MARCH, user, dt.date(2026, 3, 31))
    with pytest.raises(ValidationError, match="Confirmez d'abord la déclaration de mars 2026"):
        services.confirm_declaration(action, APRIL, user, dt.date(2026, 5, 3))
    table = selectors.ActionHours(action).table(MARCH)
    assert table["month_total"].centre_realised == D(308)  # 2 × 22 days × 7 h
    declaration = _confirm(world, MARCH)
    assert declaration.status == "confirmed" and not declaration.confirmed_late
    assert declaration.lines.count() == 2
    with pytest.raises(ValidationError, match="déjà été confirmée"):
        _confirm(world, MARCH)
    # April is late after 15 May: it waits for the end of the next period (May).
    with pytest.raises(ValidationError, match="à la fin de la période suivante"):
        services.confirm_declaration(action, APRIL, user, dt.date(2026, 5, 16))
    late = selectors.late_declarations(_tenant(action), dt.date(2026, 5, 16))
    assert [(r["action"], r["month"]) for r in late] == [(action, APRIL)]
    declaration = services.confirm_declaration(action, APRIL, user, dt.date(2026, 6, 1))
    assert declaration.confirmed_late
    table = selectors.ActionHours(action).table(APRIL)
    assert table["month_total"].company_realised == D(70)  # the company week, two trainees
    assert table["cumulated_total"].centre_realised == D(308) + D(17 * 7 * 2)


def _on(month):
    """The 10th of the month after: within the invoices' confirmation window (the 15th)."""
    return attendance.next_month(month).replace(day=10)


def _tenant(action, provider=None):
    from remu.core.tenancy import Tenant

    return Tenant(region=action.region, provider=provider)


def test_correction_kept_beside_the_computed_value(world):
    enrollment, user = world["enrollments"][0], world["user"]
    values = {k: D(0) for k in h.Hours().as_dict()}
    with pytest.raises(ValidationError):
        services.save_correction(enrollment, MARCH, values | {"centre_realised": D(-1)}, "x", user)
    with pytest.raises(ValidationError):
        services.save_correction(enrollment, MARCH, values, "  ", user)
    services.save_correction(
        enrollment,
        MARCH,
        values | {"centre_realised": D(140), "centre_justified": D(14)},
        "Sortie",
        user,
    )
    row = next(
        r for r in selectors.ActionHours(world["action"]).rows(MARCH) if r.enrollment == enrollment
    )
    assert row.computed.centre_realised == D(154) and row.hours.centre_realised == D(140)
    declaration = _confirm(world, MARCH)
    line = declaration.lines.get(enrollment=enrollment)
    assert line.centre_realised == D(140) and line.computed["centre_realised"] == "154.00"
    assert line.correction.by == user
    with pytest.raises(ValidationError, match="confirmée"):
        services.save_correction(enrollment, MARCH, values, "Encore", user)


def test_monthly_invoice_numbering_vat_and_immutability(world):
    action, user = world["action"], world["user"]
    ProviderTaxProfile.objects.create(provider=action.provider, vat_rate=D("20.00"))
    march = _confirm(world, MARCH)
    april = _confirm(world, APRIL)
    with pytest.raises(ValidationError, match="un seul mois"):
        services.generate_invoice(action, [march.pk, april.pk], user)
    with pytest.raises(ValidationError, match="dans l'ordre"):
        services.generate_invoice(action, [april.pk], user)
    invoice = services.generate_invoice(action, [march.pk], user)
    line = invoice.lines.get()
    assert (line.trainees, line.centre_realised, line.total) == (2, D(308), D("2156.00"))
    assert (invoice.total_ht, invoice.vat, invoice.total_ttc) == (
        D("2156.00"),
        D("431.20"),
        D("2587.20"),
    )
    assert invoice.number == "" and invoice.status == "draft"
    services.confirm_invoice(invoice, user, _on(MARCH))
    invoice.refresh_from_db()
    assert invoice.number == "F-000001" and invoice.issued_on
    with pytest.raises(ValidationError, match="déjà"):
        services.confirm_invoice(invoice, user)
    second = services.generate_invoice(action, [april.pk], user)
    services.confirm_invoice(second, user, _on(APRIL))
    second.refresh_from_db()
    assert second.number == "F-000002"
    with pytest.raises(IntegrityError), transaction.atomic():
        Invoice.objects.filter(pk=second.pk).update(sequence=1)


def test_rejection_reopens_declarations_and_reinvoicing(world):
    action, user, agent = world["action"], world["user"], world["agent"]
    march = _confirm(world, MARCH)
    invoice = services.confirm_invoice(
        services.generate_invoice(action, [march.pk], user), user, _on(MARCH)
    )
    with pytest.raises(ValidationError):
        services.decide(invoice, agent, accept=False, reason="")
    services.decide(invoice, agent, accept=False, reason="Justificatifs d'absence manquants")
    invoice.refresh_from_db()
    assert invoice.status == "rejected" and invoice.rejection_reason.startswith("Justificatifs")
    assert invoice.transitions.last().reason == "Justificatifs d'absence manquants"
    march.refresh_from_db()
    assert march.status == "draft" and march.reopened and march.invoice is None
    with pytest.raises(ValidationError, match="déjà"):
        services.decide(invoice, agent, accept=True)
    # Corrected, confirmed again outside the usual deadline, invoiced again.
    values = {k: D(0) for k in h.Hours().as_dict()} | {"centre_realised": D(150)}
    services.save_correction(world["enrollments"][0], MARCH, values, "Justificatifs repris", user)
    services.confirm_declaration(action, MARCH, user, dt.date(2026, 4, 28))
    again = services.confirm_invoice(services.generate_invoice(action, [march.pk], user), user)
    assert again.number == "F-000002" and again.lines.get().centre_realised == D(304)
    services.decide(again, agent, accept=True)
    assert Invoice.objects.get(pk=again.pk).status == "validated"


def test_quarterly_from_the_real_start(world):
    action, user = world["action"], world["user"]
    action.planned_start, action.planned_end = dt.date(2026, 3, 16), dt.date(2026, 7, 31)
    action.save()
    InvoicingTerms.objects.create(action=action, frequency="quarterly")
    declarations = [_confirm(world, m) for m in (MARCH, APRIL, MAY)]
    with pytest.raises(ValidationError, match="mars 2026, avril 2026, mai 2026"):
        services.generate_invoice(action, [d.pk for d in declarations[:2]], user)
    invoice = services.generate_invoice(action, [d.pk for d in declarations], user)
    assert invoice.lines.count() == 3 and invoice.frequency == "quarterly"


def test_three_instalments_thresholds_and_quarterly_fallback(world):
    action, user, agent = world["action"], world["user"], world["agent"]
    # Planned: 2 000 h. March gives 308 h (15.4 %), April 308 h (cumulated 30.8 %).
    InvoicingTerms.objects.create(action=action, frequency="three", planned_hours=D(2000))
    march, april, may = (_confirm(world, m) for m in (MARCH, APRIL, MAY))
    with pytest.raises(ValidationError, match="15,40 %.*30 %"):
        services.generate_invoice(action, [march.pk], user)
    first = services.generate_invoice(action, [march.pk, april.pk], user)
    assert first.instalment_rank == 1
    services.confirm_invoice(first, user, _on(APRIL))
    services.decide(first, agent, accept=True)
    # May alone: 46.2 % < 60 %: refused (not three months yet).
    with pytest.raises(ValidationError, match="l'acompte n° 2"):
        services.generate_invoice(action, [may.pk], user)


def test_three_instalments_fallback_after_three_months(world):
    action, user = world["action"], world["user"]
    InvoicingTerms.objects.create(action=action, frequency="three", planned_hours=D(100000))
    declarations = [_confirm(world, m) for m in (MARCH, APRIL, MAY)]
    invoice = services.generate_invoice(action, [d.pk for d in declarations], user)
    assert invoice.frequency == "quarterly" and invoice.instalment_rank is None


def test_subcontractor_deducted_from_next_own_invoice(world):
    action, user = world["action"], world["user"]
    sub = Subcontractor.objects.create(action=action, name="CEVENNES-GESTION")
    subcontract = services.add_subcontract(action, sub.name, D("1500.00"), user)
    assert subcontract.subcontractor == sub  # the action's subcontractor of that name
    services.confirm_subcontract(subcontract)
    march = _confirm(world, MARCH)
    invoice = services.generate_invoice(action, [march.pk], user)
    assert invoice.subcontracted == D("1500.00")
    assert invoice.total_ht == D("2156.00") - D("1500.00")
    assert list(invoice.subcontracts.all()) == [subcontract]
    services.delete_draft(invoice)
    subcontract.refresh_from_db()
    assert subcontract.deducted_in is None


def _close(world):
    """Every trainee exits, the action is closed and the exit surveys are in (the balance's
    conditions: execution.selectors.bilan_complete)."""
    for enrollment in world["enrollments"]:
        enrollment.exit_date = world["action"].planned_end
        enrollment.status = "completed"
        enrollment.save()
    action = world["action"]
    action.status = TrainingAction.Status.CLOSED
    action.save(update_fields=["status"])
    with pytest.raises(ValidationError, match="enquêtes de sortie"):
        services.generate_balance(action, world["user"], dt.date(2026, 6, 10))
    for enrollment in world["enrollments"]:
        Survey.objects.create(
            enrollment=enrollment, kind="exit", outcome="other", filled_by=world["user"]
        )


def test_balance_and_credit_note(world):
    action, user, agent = world["action"], world["user"], world["agent"]
    declarations = [_confirm(world, m) for m in (MARCH, APRIL)]
    for d in declarations:
        invoice = services.confirm_invoice(
            services.generate_invoice(action, [d.pk], user), user, _on(d.month)
        )
        services.decide(invoice, agent, accept=True)
    _confirm(world, MAY)
    with pytest.raises(ValidationError, match="clôturée"):
        services.generate_balance(action, user, dt.date(2026, 6, 10))
    _close(world)
    balance = services.generate_balance(action, user, dt.date(2026, 6, 10))
    assert balance.kind == "balance"
    # May: 2 × 20 days × 7 h (1 May is a Friday: scheduled) in centre at 7.00.
    assert balance.total_ht == D(2 * 21 * 7 * 7)
    assert balance.deducted == sum(
        i.lines_total for i in action.invoices.filter(status="validated")
    )
    services.delete_draft(balance)
    # The provider over-invoiced (a correction lowered May to nothing): a credit note.
    may = Declaration.objects.get(action=action, month=MAY)
    Invoice.objects.filter(action=action, status="validated").update(lines_total=D("99999.00"))
    credit = services.generate_balance(action, user, dt.date(2026, 6, 10))
    assert credit.kind == "credit_note" and credit.total_ht > 0
    services.confirm_invoice(credit, user)
    credit.refresh_from_db()
    assert credit.number.startswith("AV-")
    assert may.pk in credit.declarations.values_list("pk", flat=True)


def test_attendance_feeds_the_declaration(pay_world):
    """A trainee paid by the region: the month's validated attendance is the declaration."""
    enrollment = pay_world["enrollment"]
    action = enrollment.action
    rows = selectors.ActionHours(action).rows(MARCH)
    row = next(r for r in rows if r.enrollment == enrollment)
    assert row.source == "attendance" and row.line_status == "validated"
    assert row.hours.centre_realised == D(22 * 7)
    services.confirm_declaration(action, MARCH, pay_world["provider_user"], dt.date(2026, 4, 10))


def test_draft_attendance_blocks_confirmation(pay_world):
    line = pay_world["line"]
    attendance.reopen_line(line, pay_world["agent"], "Correction")
    with pytest.raises(ValidationError, match="ne sont pas validées"):
        services.confirm_declaration(
            line.statement.action, MARCH, pay_world["provider_user"], dt.date(2026, 4, 10)
        )


def test_early_exit_admissible_reason_from_the_region_list(world):
    enrollment = world["enrollments"][0]
    enrollment.exit_date, enrollment.status = dt.date(2026, 3, 20), "exited"
    enrollment.save()
    Withdrawal.objects.create(
        enrollment=enrollment,
        reason="job",
        exit_date=dt.date(2026, 3, 20),
        declared_by=world["user"],
        status="validated",
    )
    data = selectors.ActionHours(world["action"])
    april = next(r for r in data.rows(APRIL) if r.enrollment == enrollment)
    assert april.source == "early_exit" and april.hours.centre_justified > 0
    assert april.early_exit == "Reprise d'un emploi"


def test_tax_profile_needs_rate_or_exemption(provider):
    with pytest.raises(IntegrityError), transaction.atomic():
        ProviderTaxProfile.objects.create(provider=provider)
    assert Dossier  # imported for the fixtures


def test_facturx_pdf_embeds_valid_en16931_xml(world):
    """The Factur-X PDF carries the CII XML, valid against the EN 16931 schema."""
    from facturx import get_xml_from_pdf, xml_check_xsd

    from remu.invoicing import facturx

    action, user = world["action"], world["user"]
    ProviderTaxProfile.objects.create(provider=action.provider, vat_rate=D("20.00"))
    sub = Subcontractor.objects.create(action=action, name="CEVENNES-GESTION")
    services.confirm_subcontract(services.add_subcontract(action, sub.name, D("100.00"), user))
    march = _confirm(world, MARCH)
    invoice = services.confirm_invoice(
        services.generate_invoice(action, [march.pk], user), user, _on(MARCH)
    )
    xml = facturx.cii_xml(invoice)
    assert xml_check_xsd(xml, flavor="factur-x", level="en16931")
    pdf = facturx.facturx_pdf(invoice)
    name, embedded = get_xml_from_pdf(pdf, check_xsd=True)
    assert name == "factur-x.xml" and b"F-000001" in embedded
    assert b"<ram:GrandTotalAmount>2467.20</ram:GrandTotalAmount>" in embedded  # (2156-100)×1.2


def test_facturx_credit_note_exempt(world):
    from facturx import xml_check_xsd

    from remu.invoicing import facturx

    action, user = world["action"], world["user"]
    for m in (MARCH, APRIL, MAY):
        _confirm(world, m)
    _close(world)
    Invoice.objects.create(
        provider=action.provider,
        action=action,
        created_by=user,
        status="validated",
        sequence=99,
        number="F-000099",
        lines_total=D("99999.00"),
        total_ht=D("99999.00"),
        total_ttc=D("99999.00"),
    )
    credit = services.confirm_invoice(
        services.generate_balance(action, user, dt.date(2026, 6, 10)), user
    )
    xml = facturx.cii_xml(credit)
    assert xml_check_xsd(xml, flavor="factur-x", level="en16931")
    assert b"<ram:TypeCode>381</ram:TypeCode>" in xml and b"ExemptionReason" in xml


def test_batch_matches_the_interactive_path(world, region, provider):
    """The batch (benchmark) confirms and invoices as the pages would."""
    action, user = world["action"], world["user"]
    InvoicingTerms.objects.create(action=action, frequency="quarterly")
    other = f.TrainingActionFactory(
        region=region,
        provider=provider,
        planned_start=action.planned_start,
        planned_end=action.planned_end,
        unit_cost_centre=D("7.00"),
        unit_cost_company=D("1.00"),
    )
    InvoicingTerms.objects.create(action=other, frequency="quarterly")
    ActionPeriod.objects.create(
        action=other, place="company", start_date=dt.date(2026, 4, 6), end_date=dt.date(2026, 4, 10)
    )
    f.EnrollmentFactory(action=other)
    f.EnrollmentFactory(action=other)
    declared, invoiced = services.batch_confirm_and_invoice([action], user, dt.date(2026, 6, 10))
    assert (declared, invoiced) == (3, 1)
    batch = Invoice.objects.get(action=action)
    assert batch.number == "F-000001" and batch.status == "confirmed"
    for m in (MARCH, APRIL, MAY):
        _confirm(world | {"action": other}, m, dt.date(2026, 6, 10))
    ids = list(other.declarations.values_list("pk", flat=True))
    manual = services.confirm_invoice(
        services.generate_invoice(other, ids, user), user, dt.date(2026, 6, 10)
    )
    assert manual.number == "F-000002"
    assert (batch.lines_total, batch.total_ttc) == (manual.lines_total, manual.total_ttc)
    assert services.batch_confirm_and_invoice([action], user, dt.date(2026, 6, 10)) == (0, 0)


def test_the_invoicing_options_are_checked_dated_options():
    """A region's parameter file with a wrong due day or reason list is refused at load."""
    from remu.rules.parameters import ParameterError, _validate_options

    _validate_options({"declaration_due_day": 15, "invoicing_admissible_exit_reasons": []}, "t")
    for wrong in (0, 29, "15", True):
        with pytest.raises(ParameterError, match="declaration_due_day"):
            _validate_options({"declaration_due_day": wrong}, "t")
    for wrong in ("illness", [""], [3]):
        with pytest.raises(ParameterError, match="invoicing_admissible_exit_reasons"):
            _validate_options({"invoicing_admissible_exit_reasons": wrong}, "t")


def test_invoice_confirmed_within_the_first_days_of_a_month(world):
    """Seed 003 §3.6.1.1: an instalment invoice is confirmed within the first 15 days of a
    month after its period (the region's dated option); a re-issue after a rejection, the
    balance and credit notes have no window."""
    action, user = world["action"], world["user"]
    march = _confirm(world, MARCH)
    invoice = services.generate_invoice(action, [march.pk], user)
    with pytest.raises(ValidationError, match="du 1 mai 2026 au 15 mai 2026"):
        services.confirm_invoice(invoice, user, dt.date(2026, 4, 16))
    assert selectors.invoice_confirmation_window(invoice, dt.date(2026, 4, 15)) == (
        dt.date(2026, 4, 1),
        dt.date(2026, 4, 15),
    )
    services.confirm_invoice(invoice, user, dt.date(2026, 4, 15))
    assert Invoice.objects.get(pk=invoice.pk).issued_on == dt.date(2026, 4, 15)


def test_quarterly_invoice_confirmed_at_the_start_of_a_quarter(world):
    """Quarterly: « lors des 15 premiers jours de chaque trimestre », quarters counted from
    the action's start (March): June, then September."""
    action, user = world["action"], world["user"]
    InvoicingTerms.objects.create(action=action, frequency="quarterly")
    declarations = [_confirm(world, m) for m in (MARCH, APRIL, MAY)]
    invoice = services.generate_invoice(action, [d.pk for d in declarations], user)
    with pytest.raises(ValidationError, match="trimestre.*du 1 septembre 2026 au 15 septembre"):
        services.confirm_invoice(invoice, user, dt.date(2026, 6, 16))
    with pytest.raises(ValidationError, match="septembre"):
        services.confirm_invoice(invoice, user, dt.date(2026, 7, 3))
    services.confirm_invoice(invoice, user, dt.date(2026, 9, 1))


def test_the_invoice_confirmation_day_is_a_checked_dated_option():
    from remu.rules.engine import default_engine
    from remu.rules.parameters import ParameterError, _validate_options

    _validate_options({"invoice_confirmation_day": 15}, "t")
    for wrong in (0, 29, "15", True):
        with pytest.raises(ParameterError, match="invoice_confirmation_day"):
            _validate_options({"invoice_confirmation_day": wrong}, "t")
    options = default_engine().options("centre-val-de-loire", dt.date(2026, 4, 1))
    assert options["invoice_confirmation_day"] == 15
