"""Double pay with France Travail (issue 13, seed 001 §1): an agent records a period for which
France Travail paid the trainee an unemployment benefit (ARE, ASS, other); every day of it the
Region also paid is claimed, always (no grace period, no reason to weigh; only the region's
write-off threshold applies, in `services.detect`).

What the Region paid for those days is found through the engine, as for a dropout: each month
already ordered is recomputed with the benefit days unpaid, i.e. the days before the period
(the exit date set to the day before it) plus the days after it (pay start set to the day after
it), and the claim is what was paid minus that. Remuneration and allowances only: the entry
bonus is not claimed. The claimed items are forfeited so that a later run does not pay those
days again (the run itself does not know benefit periods)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from remu.core.french import month_of, month_year
from remu.payments import selectors as pay_selectors
from remu.payments.services import RunContext, compute_dues
from remu.rules.money import euros

from .claims import LABELS
from .detection import MONTHLY, paid_and_due
from .models import BenefitPeriod, Overpayment
from .services import Item, detect

ZERO = Decimal("0.00")
ONE_DAY = dt.timedelta(days=1)


@dataclass
class Overlap:
    items: list[Item] = field(default_factory=list)
    explanation: list[str] = field(default_factory=list)

    @property
    def amount(self) -> Decimal:
        return sum((i.amount for i in self.items), ZERO)


def _due_from(enrollment, pay_start: dt.date) -> dict:
    """What is due per (month, component) when the Region pays only from `pay_start`."""
    region = enrollment.action.region
    bounds = (enrollment.pk, enrollment.pk)
    payables = pay_selectors.payables(region, bounds)
    for payable in payables:
        if payable.pay_start is None or payable.pay_start < pay_start:
            payable.pay_start = pay_start
    ctx = RunContext(region, max(timezone.localdate(), pay_start).replace(day=1))
    dues, _ = compute_dues(ctx, payables, bounds) if payables else ([], [])
    return {(row["month"], row["component"]): row["amount"] for row in dues}


def _day(day: dt.date) -> str:
    return "1er" if day.day == 1 else str(day.day)


def _period_text(start: dt.date, end: dt.date) -> str:
    """« du 16 au 31 mars 2026 », « du 1er février 2026 au 5 mars 2026 »."""
    if (start.year, start.month) == (end.year, end.month):
        return f"du {_day(start)} au {_day(end)} {month_year(end)}"
    return f"du {_day(start)} {month_year(start)} au {_day(end)} {month_year(end)}"


def compute(enrollment, start: dt.date, end: dt.date, source_label: str, reference: str):
    """The claim for this benefit period (nothing written)."""
    paid, before = paid_and_due(enrollment, start - ONE_DAY)
    after = _due_from(enrollment, end + ONE_DAY)
    ref = f" (réf. {reference})" if reference else ""
    head = f"{_period_text(start, end).capitalize()}, {source_label} versée par France Travail{ref}"
    overlap = Overlap()
    first, last = start.replace(day=1), end.replace(day=1)
    for key in sorted(paid):
        month, component = key
        if component not in MONTHLY or not first <= month <= last or paid[key] <= 0:
            continue
        due = before.get(key, ZERO) + after.get(key, ZERO)
        if paid[key] <= due:
            continue
        amount = paid[key] - due
        overlap.items.append(Item(month, component, paid[key], due, amount, True))
        overlap.explanation.append(
            f"{head} : {LABELS[component]} {month_of(month)} : versé {euros(paid[key])}, "
            f"dû pour les jours hors de cette période {euros(due)}, réclamé {euros(amount)}."
        )
    if overlap.items:
        overlap.explanation.append(f"Total réclamé : {euros(overlap.amount)}.")
    return overlap


def record_benefit_period(
    enrollment, *, start: dt.date, end: dt.date, source: str, reference: str = "", user=None
) -> tuple[BenefitPeriod, Overpayment | None]:
    """Stores the period and, in the same transaction, the claim of its overlap with what the
    Region paid (None when nothing was paid for those days)."""
    if end < start:
        raise ValidationError({"end": "La fin de la période ne peut pas précéder son début."})
    region = enrollment.action.region
    label = BenefitPeriod.Source(source).label
    with transaction.atomic():
        period = BenefitPeriod.objects.create(
            region=region,
            enrollment=enrollment,
            start=start,
            end=end,
            source=source,
            reference=reference,
            recorded_by=user,
        )
        overlap = compute(enrollment, start, end, label, reference)
        overpayment = detect(
            region=region,
            trainee_id=enrollment.trainee_id,
            enrollment_id=enrollment.pk,
            source=Overpayment.Source.FRANCE_TRAVAIL_OVERLAP,
            label=f"Double rémunération France Travail ({label}) {_period_text(start, end)}",
            items=overlap.items,
            explanation=overlap.explanation,
            by=user,
        )
        if overpayment is not None:
            period.overpayment = overpayment
            period.save(update_fields=["overpayment"])
    return period, overpayment
