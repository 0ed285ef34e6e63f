import datetime as dt
from decimal import Decimal

import pytest
from django.db import IntegrityError, connection, transaction

from remu.attendance import services as attendance
from remu.overpayments.models import Overpayment
from remu.payments import services
from remu.payments.models import DueAmount, Payment, PaymentRun, SocialContribution
from remu.scales.models import ScaleVersion

from . import factories as f
from .conftest import admitted_with_validated_march

TODAY = dt.date(2026, 4, 10)


@pytest.fixture
def world(pay_world):
    return pay_world


def run(world, month=dt.date(2026, 3, 1)):
    created = services.start_run(world["region"], "monthly", month, world["agent"])
    return services.execute_run(created.pk)


def ordered(world, component="remuneration"):
    return sum(
        (p.amount for p in Payment.objects.ordered().filter(component=component)), Decimal(0)
    )


def two_days_absent(world, why):
    """March reopened by the agent, two days of unjustified absence added, validated again."""
    line = world["line"]
    attendance.reopen_line(line, world["agent"], why)
    attendance.add_absence(
        line,
        reason="UNJUSTIFIED",
        start=dt.date(2026, 3, 16),
        end=dt.date(2026, 3, 17),
        place="centre",
    )
    attendance.validate_lines([line], world["provider_user"])


def test_a_run_orders_what_is_due_and_a_second_one_nothing(world):
    first = run(world)
    # March 2026, national amount more favourable (769.49) from the 2nd: 29/30
    assert ordered(world) == Decimal("743.84")
    assert ordered(world, "entry_bonus") == Decimal("200.00")
    assert first.summary["lines"] == 2
    due = DueAmount.objects.get(component="remuneration")
    assert due.amount == Decimal("743.84") and "29/30" in " ".join(due.explanation)
    second = run(world)
    assert second.summary["lines"] == 0
    assert Payment.objects.count() == 2


def test_reopened_month_corrected_down_then_offset(world):
    run(world)
    line = world["line"]
    line.refresh_from_db()
    two_days_absent(world, "Absence oubliée")
    run(world)
    debt = Overpayment.objects.get()
    assert debt.amount == Decimal("51.30")  # 2/30 of 769.49
    assert "Régularisation" in debt.label
    assert ordered(world) == Decimal("743.84")  # nothing new ordered for March
    # April: the debt is offset on the next positive line, shown as such
    statement = attendance.create_statement(
        line.statement.action, world["provider_user"], dt.date(2026, 5, 2)
    )
    april = statement.lines.get()
    attendance.declare_presence([april], "full_month")
    attendance.validate_lines([april], world["provider_user"])
    run(world, dt.date(2026, 4, 1))
    payment = Payment.objects.get(month=dt.date(2026, 4, 1))
    assert payment.offset == Decimal("51.30")
    assert payment.net == payment.amount - payment.withholding - Decimal("51.30")
    assert "retenus sur un trop-perçu" in payment.label
    debt.refresh_from_db()
    assert debt.remaining == 0


def test_corrected_up_gives_a_labelled_regularisation(world):
    line = world["line"]
    two_days_absent(world, "Test")
    run(world)
    attendance.reopen_line(line, world["agent"], "L'absence était justifiée")
    line.absences.all().delete()
    attendance.validate_lines([line], world["provider_user"])
    run(world)
    regularisation = Payment.objects.get(is_regularisation=True)
    assert regularisation.amount == Decimal("51.30")
    assert regularisation.label == "Régularisation : rémunération de mars 2026"


def test_a_scale_version_with_an_earlier_date_yields_a_regularisation(world):
    run(world)
    ScaleVersion.objects.create(
        region=world["region"],
        start=dt.date(2026, 3, 1),
        label="Délibération rétroactive",
        age_bands=[{"code": "all", "label": "tous"}],
        amounts={"JOB_SEEKER": "900.00"},
        created_by=world["agent"],
    )
    run(world)
    regularisation = Payment.objects.get(is_regularisation=True)
    assert regularisation.amount == Decimal("870.00") - Decimal("743.84")  # 29/30 of 900


def test_entry_bonus_once_per_enrollment_by_the_database(world):
    run(world)
    bonus = Payment.objects.get(component="entry_bonus")
    with pytest.raises(IntegrityError), transaction.atomic():
        Payment.objects.create(
            region=bonus.region,
            run=bonus.run,
            enrollment=bonus.enrollment,
            dossier=bonus.dossier,
            month=bonus.month,
            component="entry_bonus",
            amount=Decimal("200.00"),
            label="doublon",
            net=Decimal("200.00"),
            iban=bonus.iban,
            account_holder="x",
            reference="DOUBLON",
        )


@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="the composite foreign key is PostgreSQL's"
)
def test_a_line_of_another_region_or_enrollment_than_its_dossier_by_the_database(
    world, other_region
):
    """One composite foreign key checks a line's dossier, enrollment and region together."""
    run(world)
    line = Payment.objects.get(component="remuneration")
    other = f.EnrollmentFactory(action=world["dossier"].action)
    changes = [
        {"region_id": other_region.pk},
        {"enrollment_id": other.pk},
        {"dossier_id": line.dossier_id + 10_000},
    ]
    for change in changes:
        with pytest.raises(IntegrityError), transaction.atomic():
            Payment.objects.filter(pk=line.pk).update(**change)
            connection.check_constraints()
    Payment.objects.filter(pk=line.pk).update(label="inchangé")
    connection.check_constraints()  # the line as the run wrote it agrees with its dossier


def test_the_ledger_rows_name_the_dossier_the_run_pays_under(world):
    run(world)
    dossiers = {
        model: set(model.objects.values_list("dossier_id", flat=True))
        for model in (DueAmount, SocialContribution, Payment)
    }
    assert dossiers == dict.fromkeys(dossiers, {world["dossier"].pk})


def test_a_due_or_contribution_of_an_unknown_dossier_by_the_database(world):
    run(world)
    for model in (DueAmount, SocialContribution):
        row = model.objects.first()
        with pytest.raises(IntegrityError), transaction.atomic():
            model.objects.filter(pk=row.pk).update(dossier_id=row.dossier_id + 10_000)
            connection.check_constraints()


@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="the composite foreign key is PostgreSQL's"
)
def test_a_due_or_contribution_of_another_region_or_enrollment_than_its_dossier_by_the_database(
    world, other_region
):
    """One composite foreign key checks a due's (a contribution's) dossier, enrollment and
    region together: its region is its enrollment's."""
    run(world)
    other = f.EnrollmentFactory(action=world["dossier"].action)
    for model in (DueAmount, SocialContribution):
        row = model.objects.first()
        for change in ({"region_id": other_region.pk}, {"enrollment_id": other.pk}):
            with pytest.raises(IntegrityError), transaction.atomic():
                model.objects.filter(pk=row.pk).update(**change)
                connection.check_constraints()
        model.objects.filter(pk=row.pk).update(computed_at=row.computed_at)
        connection.check_constraints()  # the row as the run wrote it agrees with its dossier


def test_missing_bank_details_and_rejections(world):
    dossier = world["dossier"]
    dossier.iban = ""
    dossier.save()
    first = run(world)
    assert Payment.objects.count() == 0
    anomaly = first.summary["anomalies"][0]
    assert "coordonnées bancaires manquantes" in anomaly["text"]
    assert anomaly["dossier"] == dossier.pk and anomaly["kind"] == "bank_details"
    dossier.iban = "FR7630006000011234567890189"
    dossier.save()
    run(world)
    payment = Payment.objects.get(component="remuneration")
    payment.status, payment.rejected_on = "rejected", dt.date(2026, 4, 20)
    payment.save()
    dossier.bank_details_rejected = True
    dossier.save()
    run(world)
    assert Payment.objects.ordered().filter(component="remuneration").count() == 0
    dossier.bank_details_rejected = False
    dossier.save()
    run(world)
    assert ordered(world) == Decimal("743.84")  # ordered again, once


def test_one_active_run_per_region(world):
    services.start_run(world["region"], "monthly", dt.date(2026, 3, 1), world["agent"])
    with pytest.raises(services.RunError, match="déjà en cours"):
        services.start_run(world["region"], "complementary", dt.date(2026, 3, 1), world["agent"])
    assert PaymentRun.objects.count() == 1


def preview(world, month=dt.date(2026, 3, 1)):
    created = services.start_run(world["region"], "monthly", month, world["agent"], preview=True)
    return services.execute_run(created.pk).summary


def test_dry_run_writes_nothing(world):
    summary = preview(world)
    assert summary["lines"] == 2 and summary["total"] == "943.84"
    assert list(summary["per_programme"].values())[0]["count"] == 2
    assert not Payment.objects.exists() and not PaymentRun.objects.filter(is_preview=False)
    assert not DueAmount.objects.exists()


def test_a_preview_says_what_the_next_run_orders_and_blocks_nothing(world):
    services.start_run(
        world["region"], "monthly", dt.date(2026, 3, 1), world["agent"], preview=True
    )
    run(world)  # a preview still queued does not hold the region's runs back
    two_days_absent(world, "Absence oubliée")
    assert preview(world)["lines"] == 0  # corrected down: an amount owed, no line
    assert not Overpayment.objects.exists()
    assert run(world).summary["debts"] == 1


def second_trainee(world):
    provider = world["line"].statement.action.provider
    return admitted_with_validated_march(
        world["region"], provider, world["provider_user"], world["agent"], number=2
    )


def test_runs_read_their_region_only_when_enrollment_ids_interleave(world, other_region):
    """A run works through ranges of enrollment ids; another region's trainee whose id falls
    inside the range is neither computed nor ordered."""
    other_region.parameter_set, other_region.number_prefix = "bourgogne-franche-comte", "BFC"
    other_region.save()
    other_agent = f.AgentFactory(region=other_region)
    other_provider = f.ProviderFactory(region=other_region)
    other_user = f.ProviderUserFactory(providers=[other_provider])
    theirs = admitted_with_validated_march(other_region, other_provider, other_user, other_agent)
    ours = second_trainee(world)
    assert world["enrollment"].pk < theirs["enrollment"].pk < ours["enrollment"].pk
    first = run(world)
    assert set(Payment.objects.values_list("enrollment", flat=True)) == {
        world["enrollment"].pk,
        ours["enrollment"].pk,
    }
    assert first.summary["lines"] == 4  # March pay and the entry bonus, twice
    assert not DueAmount.objects.filter(enrollment=theirs["enrollment"]).exists()
    other_run = services.start_run(other_region, "monthly", dt.date(2026, 3, 1), other_agent)
    other_run = services.execute_run(other_run.pk)
    assert set(Payment.objects.filter(run=other_run).values_list("enrollment", flat=True)) == {
        theirs["enrollment"].pk
    }
    assert run(world).summary["lines"] == 0


def test_several_chunks_order_the_same_as_one(world):
    ours = second_trainee(world)
    created = services.start_run(world["region"], "monthly", dt.date(2026, 3, 1), world["agent"])
    done = []
    one_by_one = services.execute_run(created.pk, chunk=1, after_chunk=done.append)
    assert done == [1, 2]
    assert one_by_one.summary["lines"] == 4
    assert Payment.objects.filter(enrollment=ours["enrollment"]).count() == 2
    assert run(world).summary["lines"] == 0


def test_a_first_run_meeting_a_due_written_meanwhile_still_records_it_once(world):
    """A first run COPYs its dues straight into the ledger; should another transaction have
    written one of them since the chunk read the ledger, the dues are upserted instead: the
    chunk is not lost and the ledger holds one row per key."""
    from remu.payments import bulk

    first = run(world)
    due = DueAmount.objects.get(component="remuneration")
    row = {
        "region_id": due.region_id,
        "enrollment_id": due.enrollment_id,
        "dossier_id": due.dossier_id,
        "month": due.month,
        "component": due.component,
        "amount": Decimal("12.34"),
        "explanation": ["recalculé"],
        "version_label": "v",
    }
    with transaction.atomic():
        bulk.upsert_dues([row], fresh=True)
    due.refresh_from_db()
    assert due.amount == Decimal("12.34") and due.explanation == ["recalculé"]
    assert DueAmount.objects.filter(component="remuneration").count() == 1
    assert first.status == PaymentRun.Status.DONE


def test_the_run_times_each_step_of_its_chunks(world):
    created = services.start_run(world["region"], "monthly", dt.date(2026, 3, 1), world["agent"])
    steps = services.Steps()
    services.execute_run(created.pk, steps=steps)
    assert set(steps.seconds) == {"read", "compute", "write", "commit"}
    assert all(seconds > 0 for seconds in steps.seconds.values())


def test_dues_sharing_one_explanation_are_each_written_with_their_own(world):
    """The COPY encodes a shared explanation list once (by identity): rows sharing it get it,
    and rows with lists of their own keep theirs."""
    from remu.payments import bulk

    run(world)
    dues = list(DueAmount.objects.order_by("pk"))
    assert len(dues) == 2
    shared = ["dû « partagé »", "ligne 2"]
    for explanations in ([shared, shared], [["premier"], ["second"]]):
        rows = [
            {
                "region_id": due.region_id,
                "enrollment_id": due.enrollment_id,
                "dossier_id": due.dossier_id,
                "month": due.month,
                "component": due.component,
                "amount": Decimal("1.00"),
                "explanation": explanation,
                "version_label": "v",
            }
            for due, explanation in zip(dues, explanations, strict=True)
        ]
        with transaction.atomic():
            bulk.upsert_dues(rows)
        stored = [DueAmount.objects.get(pk=due.pk).explanation for due in dues]
        assert stored == explanations
