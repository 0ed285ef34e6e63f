"""Property: whatever the sequence of runs, attendance corrections (down and up), offsets and
receipts, what the trainee kept minus what they still owe equals what is due (plus what was
waived), and every claim's `remaining` is its amount minus its recoveries."""

import datetime as dt
from decimal import Decimal

import pytest
from django.db import transaction
from django.db.models import Sum
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from remu.attendance import services as attendance
from remu.overpayments import services as overpayments
from remu.overpayments.models import Overpayment, Recovery
from remu.payments import services
from remu.payments.models import DueAmount, Payment

MARCH, APRIL = dt.date(2026, 3, 1), dt.date(2026, 4, 1)

steps = st.lists(
    st.one_of(
        st.tuples(st.just("absent"), st.sampled_from([MARCH, APRIL]), st.integers(0, 6)),
        st.tuples(st.just("receive"), st.sampled_from([Decimal("0.25"), Decimal("1")])),
    ),
    min_size=1,
    max_size=5,
)


class Rollback(Exception):
    pass


def total(queryset, field="amount") -> Decimal:
    return queryset.aggregate(s=Sum(field))["s"] or Decimal(0)


def check(enrollment):
    kept = total(Payment.objects.ordered().filter(enrollment=enrollment))
    recoveries = Recovery.objects.filter(overpayment__trainee=enrollment.trainee)
    kept -= total(recoveries.filter(kind__in=["offset", "instalment", "received"]))
    claims = Overpayment.objects.filter(trainee=enrollment.trainee)
    owed = total(claims, "remaining") + total(claims, "written_off")
    waived = total(recoveries.filter(kind="waiver"))
    due = total(DueAmount.objects.filter(enrollment=enrollment))
    assert kept - owed == due + waived
    for claim in claims:
        assert claim.remaining >= 0
        non_write_off = total(
            claim.recoveries.exclude(kind__in=["write_off", "write_off_reversal"])
        )
        assert claim.amount == claim.remaining + claim.written_off + non_write_off


@pytest.mark.django_db(transaction=False)
@settings(
    max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(sequence=steps)
def test_kept_minus_owed_is_what_is_due(pay_world, sequence):
    world = pay_world
    lines = {MARCH: world["line"]}
    try:
        with transaction.atomic():
            _play(world, lines, sequence)
            raise Rollback
    except Rollback:
        pass


def _run(world, month=APRIL):
    created = services.start_run(world["region"], "monthly", month, world["agent"])
    services.execute_run(created.pk)


def _play(world, lines, sequence):
    statement = attendance.create_statement(
        world["dossier"].action, world["provider_user"], dt.date(2026, 5, 2)
    )
    lines[APRIL] = statement.lines.get()
    attendance.declare_presence([lines[APRIL]], "full_month")
    attendance.validate_lines([lines[APRIL]], world["provider_user"])
    _run(world)
    check(world["enrollment"])
    for step in sequence:
        if step[0] == "absent":
            _, month, days = step
            line = lines[month]
            line.refresh_from_db()
            attendance.reopen_line(line, world["agent"], "Correction")
            line.absences.all().delete()
            if days:
                start = month.replace(day=9)
                attendance.add_absence(
                    line, reason="UNJUSTIFIED", start=start,
                    end=start + dt.timedelta(days=days - 1), place="centre",
                )  # fmt: skip
            attendance.validate_lines([line], world["provider_user"])
            _run(world)
        else:
            for claim in Overpayment.objects.filter(
                status__in=["detected", "notified", "recovering"], remaining__gt=0
            ):
                amount = max(Decimal("0.01"), (claim.remaining * step[1]).quantize(Decimal("0.01")))
                overpayments.receive(
                    claim, amount=amount, on=dt.date(2026, 5, 20), user=world["agent"]
                )
        check(world["enrollment"])
