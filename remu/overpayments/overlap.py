"""Double pay with France Travail (issue 13, seed 001 §1): an agent records a period for which
France Travail paid the trainee an unemployment benefit (ARE, ASS, other); every day of it the
Region also paid is claimed, always (no grace period, no reason to weigh; only the region's
write-off threshold applies, in `services.detect`).

The run reads the recorded periods (`periods_of`, registered in `payments.corrections`): it
computes each month touched by a period only for the days outside it (each free span as if the
trainee were paid from its first day to its last), so a later run never pays those days. The
claim is found through that same computation: once the period is stored, what was already
ordered for the months of the period minus what a run now finds due. Remuneration and
allowances only: the entry bonus is not claimed. Two periods of the same trainee may not
overlap."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction

from remu.core.compiled import FIRST, LAST, Compiled
from remu.core.french import month_of, period_text
from remu.rules.money import ZERO, euros
from remu.trainees.models import Trainee

from .claims import LABELS
from .detection import MONTHLY
from .models import BenefitPeriod, Overpayment
from .services import Item, detect
from .wrong_information import due_now, paid_net

ONE_DAY = dt.timedelta(days=1)


@dataclass
class Overlap:
    items: list[Item] = field(default_factory=list)
    explanation: list[str] = field(default_factory=list)

    @property
    def amount(self) -> Decimal:
        return sum((i.amount for i in self.items), ZERO)


def periods_of(bounds) -> dict:
    """Registered in `payments.corrections`: the benefit periods of the chunk's enrollments,
    whose days a run does not pay (one query)."""
    found: dict = {}
    for enrollment_id, start, end in _periods(*bounds):
        found.setdefault(enrollment_id, []).append((start, end))
    return found


_periods = Compiled(  # compiled once a process (a run reads it for each chunk)
    lambda first, last: (
        BenefitPeriod.objects.filter(enrollment_id__gte=first, enrollment_id__lte=last)
        .order_by("enrollment_id", "start")
        .values_list("enrollment_id", "start", "end")
    ),
    FIRST,
    LAST,
)


def compute(enrollment, start: dt.date, end: dt.date, source_label: str, reference: str, paid):
    """The claim for this benefit period, once it is stored (in the caller's transaction):
    what was paid (`paid`, read before) minus what a run now finds due."""
    due = due_now(enrollment.action.region, enrollment.pk)
    ref = f" (réf. {reference})" if reference else ""
    head = f"{period_text(start, end).capitalize()}, {source_label} versée par France Travail{ref}"
    overlap = Overlap()
    first, last = start.replace(day=1), end.replace(day=1)
    for key in sorted(paid):
        month, component = key
        if component not in MONTHLY or not first <= month <= last or paid[key] <= 0:
            continue
        amount_due = due.get(key, ZERO)
        if paid[key] <= amount_due:
            continue
        amount = paid[key] - amount_due
        overlap.items.append(Item(month, component, paid[key], amount_due, amount))
        overlap.explanation.append(
            f"{head} : {LABELS[component]} {month_of(month)} : versé {euros(paid[key])}, "
            f"dû pour les jours hors de cette période {euros(amount_due)}, réclamé "
            f"{euros(amount)}."
        )
    if overlap.items:
        overlap.explanation.append(f"Total réclamé : {euros(overlap.amount)}.")
    return overlap


def record_benefit_period(
    enrollment, *, start: dt.date, end: dt.date, source: str, reference: str = "", user=None
) -> tuple[BenefitPeriod, Overpayment | None]:
    """Stores the period and, in the same transaction, the claim of its overlap with what the
    Region paid (None when nothing was paid for those days). Later runs do not pay its days.
    Two periods of the same trainee may not overlap (checked with the trainee's row locked)."""
    if end < start:
        raise ValidationError({"end": "La fin de la période ne peut pas précéder son début."})
    region = enrollment.action.region
    label = BenefitPeriod.Source(source).label
    with transaction.atomic():
        Trainee.objects.select_for_update().filter(pk=enrollment.trainee_id).get()
        clash = (
            BenefitPeriod.objects.filter(
                enrollment__trainee_id=enrollment.trainee_id, start__lte=end, end__gte=start
            )
            .order_by("start")
            .first()
        )
        if clash is not None:
            raise ValidationError(
                {
                    "start": "Cette période chevauche celle déjà enregistrée "
                    f"{period_text(clash.start, clash.end)} ({clash.get_source_display()}) : "
                    "modifiez les dates."
                }
            )
        paid = paid_net(enrollment)
        period = BenefitPeriod.objects.create(
            region=region,
            enrollment=enrollment,
            start=start,
            end=end,
            source=source,
            reference=reference,
            recorded_by=user,
        )
        overlap = compute(enrollment, start, end, label, reference, paid)
        overpayment = detect(
            region=region,
            trainee_id=enrollment.trainee_id,
            enrollment_id=enrollment.pk,
            source=Overpayment.Source.FRANCE_TRAVAIL_OVERLAP,
            label=f"Double rémunération France Travail ({label}) {period_text(start, end)}",
            items=overlap.items,
            explanation=overlap.explanation,
            by=user,
        )
        if overpayment is not None:
            period.overpayment = overpayment
            period.save(update_fields=["overpayment"])
    return period, overpayment
