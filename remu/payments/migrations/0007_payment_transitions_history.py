"""The history of the payment lines that exist already: one transition per change their dates
record (exported, paid, rejected), by nobody known. A data migration of its own (PostgreSQL:
never in the same transaction as an ALTER of the table)."""

import datetime as dt

from django.db import migrations
from django.utils import timezone

REASON = "reconstitué à partir des dates de la ligne"


def _at(day):
    return timezone.make_aware(dt.datetime.combine(day, dt.time(12)))


def forwards(apps, schema_editor):
    Payment = apps.get_model("payments", "Payment")
    Transition = apps.get_model("payments", "PaymentTransition")
    batch = []
    rows = Payment.objects.exclude(status="pending").values_list(
        "pk", "status", "sent_at", "paid_on", "rejected_on", "mandate_number"
    )
    for pk, status, sent_at, paid_on, rejected_on, mandate in rows.iterator(chunk_size=5000):
        before = "pending"
        if sent_at is not None and mandate != "COMPENSATION":
            batch.append(
                Transition(
                    payment_id=pk, from_status=before, to_status="sent", at=sent_at, reason=REASON
                )
            )
            before = "sent"
        if status == "paid" and paid_on is not None:
            batch.append(
                Transition(
                    payment_id=pk,
                    from_status=before,
                    to_status="paid",
                    at=_at(paid_on),
                    reason=REASON,
                )
            )
        elif status in ("rejected", "reissued") and rejected_on is not None:
            batch.append(
                Transition(
                    payment_id=pk,
                    from_status=before,
                    to_status="rejected",
                    at=_at(rejected_on),
                    reason=REASON,
                )
            )
        if len(batch) >= 5000:
            Transition.objects.bulk_create(batch)
            batch = []
    Transition.objects.bulk_create(batch)


def backwards(apps, schema_editor):
    apps.get_model("payments", "PaymentTransition").objects.filter(reason=REASON).delete()


class Migration(migrations.Migration):
    dependencies = [("payments", "0006_payment_transitions")]

    operations = [migrations.RunPython(forwards, backwards)]
