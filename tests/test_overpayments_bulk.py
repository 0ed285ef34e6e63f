"""Many dropouts validated at once (issue 13 §4, `make bench-overpayments`): the same claims as
one by one, computed by batches with a number of queries that does not grow with the count."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from remu.attendance import services as attendance
from remu.overpayments import detection
from remu.overpayments.models import Overpayment

from .conftest import admitted_with_validated_march
from .test_overpayments import APRIL, MARCH, run

REASONS = ["other", "job", "misconduct", "illness", "other", "family"]


def trainees(world, provider, count):
    """`count` trainees more, each admitted with March validated (then paid)."""
    extra = [
        admitted_with_validated_march(
            world["region"], provider, world["provider_user"], world["agent"], number=n + 2
        )["enrollment"]
        for n in range(count)
    ]
    run(world, MARCH)
    return [world["enrollment"], *extra]


def declare(world, enrollments):
    return [
        attendance.declare_withdrawal(
            e, reason=REASONS[n % len(REASONS)], exit_date=dt.date(2026, 4, 15), comment="",
            user=world["provider_user"],
        )
        for n, e in enumerate(enrollments)
    ]  # fmt: skip


def queries_for(world, provider, count):
    withdrawals = declare(world, trainees(world, provider, count))
    previews = {w.pk: detection.compute(w)[0] for w in withdrawals}
    with CaptureQueriesContext(connection) as queries:
        assert attendance.validate_withdrawals(withdrawals, user=world["agent"]) == count + 1
    return withdrawals, previews, len(queries)


def test_the_claims_are_those_of_one_by_one(pay_world, provider):
    withdrawals, previews, _ = queries_for(pay_world, provider, 5)
    claims = {o.withdrawal_id: o for o in Overpayment.objects.prefetch_related("items")}
    for w in withdrawals:
        preview = previews[w.pk]
        if not preview.amount:
            assert w.pk not in claims
            continue
        claim = claims[w.pk]
        assert claim.amount == preview.amount and claim.explanation == preview.explanation
        assert [(i.month, i.component, i.amount, i.forfeit) for i in claim.items.all()] == [
            (i.month, i.component, i.amount, i.forfeit) for i in preview.items
        ]
        assert claim.transitions.first().to_status == "detected"
        assert claim.status == ("written_off" if claim.amount < 100 else "detected")
    w = withdrawals[0]
    w.refresh_from_db()
    assert w.status == "validated" and w.enrollment.status == "exited"
    assert w.enrollment.exit_date == dt.date(2026, 4, 15)
    # The run after: nothing forfeited is paid, nothing claimed twice.
    again = run(pay_world, APRIL)
    assert again.summary["lines"] == 0
    assert Overpayment.objects.count() == len(claims)
    with pytest.raises(ValidationError, match="déjà décidée"):
        attendance.validate_withdrawals(withdrawals[:1], user=pay_world["agent"])


@pytest.mark.parametrize("count", [2, 8])
def test_the_queries_do_not_grow_with_the_count(pay_world, provider, count):
    _, _, queries = queries_for(pay_world, provider, count)
    print(f"{count + 1} abandons : {queries} requêtes")
    assert queries <= 32, queries  # 3 or 9 dropouts alike (one batch: 30 measured)
