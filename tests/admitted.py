"""Admitted RS1 dossiers with validated months, for the tests of issue 12's dossier rules
(special publics, deadlines, provisional admission, dated weekly hours)."""

import datetime as dt
from decimal import Decimal

from remu.attendance import services as attendance
from remu.dossiers.models import Dossier, DossierTransition
from remu.payments import services as payments

from . import factories as f

IBAN = "FR7630006000011234567890189"


def use_set(region, parameter_set: str, prefix: str = "REG"):
    region.parameter_set, region.number_prefix = parameter_set, prefix
    region.save()
    return region


def admitted_dossier(
    region,
    provider,
    agent,
    *,
    entry=dt.date(2026, 3, 2),
    end=dt.date(2026, 9, 30),
    weekly=Decimal(35),
    category="JOB_SEEKER",
    status="admitted",
    exit_date=None,
    **fields,
) -> Dossier:
    action = f.TrainingActionFactory(
        region=region, provider=provider, planned_start=entry, planned_end=end, weekly_hours=weekly
    )
    enrollment = f.EnrollmentFactory(
        action=action,
        entry_date=entry,
        exit_date=exit_date,
        trainee__birth_date=dt.date(1990, 1, 1),
    )
    dossier = Dossier.objects.create(
        region=region,
        action=action,
        enrollment=enrollment,
        kind="RS1",
        status=status,
        rate_category=category if status == "admitted" else "",
        weekly_hours=weekly,
        real_start=entry,
        real_end=exit_date or end,
        number=f"{region.number_prefix}-2026-{Dossier.objects.count() + 1:06d}",
        iban=IBAN,
        bic="BNPAFRPP",
        account_holder="Léa Martin",
        **fields,
    )
    if status == "admitted":
        DossierTransition.objects.create(
            dossier=dossier, from_status="received", to_status="admitted", by=agent
        )
    return dossier


def validate_next_month(dossier, provider_user, today=dt.date(2026, 12, 10), part_time=None):
    """The action's next statement, the trainee present all month (full time) or the hours
    given per calendar week (part time), validated: the line, with the engine's result."""
    statement = attendance.create_statement(dossier.action, provider_user, today)
    line = statement.lines.get()
    if line.full_time:
        attendance.declare_presence([line], "full_month")
    else:
        attendance.save_part_time(line, [Decimal(h) for h in part_time], days_present=15)
    attendance.validate_lines([line], provider_user)
    line.refresh_from_db()
    return line


def run(region, agent, month):
    created = payments.start_run(region, "monthly", month, agent)
    return payments.execute_run(created.pk)
