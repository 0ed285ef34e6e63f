"""Every write on overpayments: detection (with the automatic write-off under the region's
threshold), offsets, the order to repay, repayment plans and receipts, waiver requests.

Each status move goes through `transition()`, which checks it against `ALLOWED` and logs it; the
callers lock the overpayment row (`select_for_update`) and re-check inside the transaction.
`remaining` and `written_off` change only here, in the same transaction as the `Recovery` rows
that explain them."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from remu.rules.money import euros
from remu.scales.selectors import engine as engine_for

from .models import (
    Instalment,
    NoticeSequence,
    Overpayment,
    OverpaymentItem,
    OverpaymentTransition,
    Recovery,
    WaiverRequest,
)

S = Overpayment.Status
ZERO = Decimal("0.00")
ALLOWED = {
    S.DETECTED: {S.NOTIFIED, S.RECOVERING, S.SETTLED, S.WRITTEN_OFF, S.WAIVED},
    S.NOTIFIED: {S.RECOVERING, S.SETTLED, S.WAIVED},
    S.RECOVERING: {S.SETTLED, S.WAIVED},
    S.WRITTEN_OFF: {S.SETTLED},
    S.SETTLED: set(),
    S.WAIVED: set(),
}


@dataclass(frozen=True)
class Item:
    month: dt.date
    component: str
    paid: Decimal
    due: Decimal
    amount: Decimal
    forfeit: bool = False


def options(region, day: dt.date) -> dict:
    return engine_for(region).options(region.parameter_set, day)


def write_off_threshold(region, day: dt.date) -> Decimal:
    """Claims under it are written off at detection (CVL: 100 €); 0: none."""
    return Decimal(str(options(region, day).get("overpayment_write_off_below") or 0))


def transition(overpayment: Overpayment, to: str, *, by=None, why: str = "") -> None:
    if to not in ALLOWED[overpayment.status]:
        raise ValidationError(
            f"Un indu « {overpayment.get_status_display()} » ne peut pas passer à "
            f"« {S(to).label} »."
        )
    OverpaymentTransition.objects.create(
        overpayment=overpayment, from_status=overpayment.status, to_status=to, by=by, why=why
    )
    overpayment.status = to
    overpayment.save(update_fields=["status"])


def detect(
    *,
    region,
    trainee_id,
    enrollment_id,
    source,
    label,
    items,
    explanation,
    run=None,
    withdrawal=None,
    by=None,
    today=None,
) -> Overpayment | None:
    """Records a claim with its items and explanation; under the region's threshold it is
    written off at once (traced), and stays withheld from later pay."""
    amount = sum((i.amount for i in items), ZERO)
    if amount <= 0:
        return None
    today = today or timezone.localdate()
    overpayment = Overpayment.objects.create(
        region=region,
        trainee_id=trainee_id,
        enrollment_id=enrollment_id,
        source=source,
        amount=amount,
        remaining=amount,
        label=label,
        explanation=explanation,
        run=run,
        withdrawal=withdrawal,
    )
    OverpaymentItem.objects.bulk_create(
        OverpaymentItem(
            overpayment=overpayment,
            enrollment_id=enrollment_id,
            month=i.month,
            component=i.component,
            paid=i.paid,
            due=i.due,
            amount=i.amount,
            forfeit=i.forfeit,
        )
        for i in items
    )
    OverpaymentTransition.objects.create(
        overpayment=overpayment, to_status=S.DETECTED, by=by, why=f"Indu de {euros(amount)}"
    )
    threshold = write_off_threshold(region, today)
    if amount < threshold:
        why = (
            f"Montant inférieur au seuil de {euros(threshold)} : admis en non-valeur "
            "automatiquement ; il reste retenu sur une rémunération ultérieure."
        )
        Recovery.objects.create(
            overpayment=overpayment,
            kind=Recovery.Kind.WRITE_OFF,
            amount=amount,
            on=today,
            note=why,
        )
        overpayment.remaining, overpayment.written_off = ZERO, amount
        overpayment.save(update_fields=["remaining", "written_off"])
        transition(overpayment, S.WRITTEN_OFF, why=why)
    return overpayment


@dataclass
class NewClaim:
    """A claim to record with `detect_many` (the arguments of `detect`)."""

    region: object
    trainee_id: int
    enrollment_id: int
    source: str
    label: str
    items: list
    explanation: list
    withdrawal: object = None
    run: object = None

    @property
    def amount(self) -> Decimal:
        return sum((i.amount for i in self.items), ZERO)


def detect_many(claims: list[NewClaim], *, by=None, today=None) -> list[Overpayment]:
    """`detect` for many claims with a fixed number of queries: the overpayments, their items,
    their transitions and the write-offs under each region's threshold, each in one insert."""
    today = today or timezone.localdate()
    claims = [c for c in claims if c.amount > 0]
    thresholds = {}
    for c in claims:
        if c.region.pk not in thresholds:
            thresholds[c.region.pk] = write_off_threshold(c.region, today)
    now = timezone.now()
    rows = []
    for c in claims:
        small = c.amount < thresholds[c.region.pk]
        rows.append(
            Overpayment(
                region=c.region,
                trainee_id=c.trainee_id,
                enrollment_id=c.enrollment_id,
                source=c.source,
                amount=c.amount,
                remaining=ZERO if small else c.amount,
                written_off=c.amount if small else ZERO,
                status=S.WRITTEN_OFF if small else S.DETECTED,
                label=c.label,
                explanation=c.explanation,
                run=c.run,
                withdrawal=c.withdrawal,
                detected_at=now,
            )
        )
    created = Overpayment.objects.bulk_create(rows, batch_size=1000)
    items, transitions, write_offs = [], [], []
    for o, c in zip(created, claims, strict=True):
        items += [
            OverpaymentItem(
                overpayment=o,
                enrollment_id=c.enrollment_id,
                month=i.month,
                component=i.component,
                paid=i.paid,
                due=i.due,
                amount=i.amount,
                forfeit=i.forfeit,
            )
            for i in c.items
        ]
        transitions.append(
            OverpaymentTransition(
                overpayment=o, to_status=S.DETECTED, by=by, why=f"Indu de {euros(o.amount)}", at=now
            )
        )
        if o.status == S.WRITTEN_OFF:
            why = (
                f"Montant inférieur au seuil de {euros(thresholds[c.region.pk])} : admis en "
                "non-valeur automatiquement ; il reste retenu sur une rémunération ultérieure."
            )
            write_offs.append(
                Recovery(
                    overpayment=o, kind=Recovery.Kind.WRITE_OFF, amount=o.amount, on=today,
                    note=why, created_at=now,
                )
            )  # fmt: skip
            transitions.append(
                OverpaymentTransition(
                    overpayment=o, from_status=S.DETECTED, to_status=S.WRITTEN_OFF, why=why,
                    at=now,
                )
            )  # fmt: skip
    OverpaymentItem.objects.bulk_create(items, batch_size=2000)
    OverpaymentTransition.objects.bulk_create(transitions, batch_size=2000)
    Recovery.objects.bulk_create(write_offs, batch_size=2000)
    return created


def _lock(overpayment: Overpayment) -> Overpayment:
    return Overpayment.objects.select_for_update().get(pk=overpayment.pk)


def _settle_if_done(overpayment: Overpayment, by=None) -> None:
    done = overpayment.remaining == 0 and overpayment.written_off == 0
    if done and overpayment.status != S.SETTLED:
        transition(overpayment, S.SETTLED, by=by, why="Plus rien n'est dû.")


def record_offsets(overpayment: Overpayment, takes: list[tuple[int, Decimal]]) -> None:
    """The run withheld `takes` (payment id, amount) from new lines (called inside the run's
    chunk transaction, the row locked by its read): a written-off part is taken back first from
    the write-off (reversed by as much), the rest from what remains."""
    for payment_id, amount in takes:
        from_written_off = min(overpayment.written_off, amount)
        if from_written_off:
            Recovery.objects.create(
                overpayment=overpayment,
                kind=Recovery.Kind.WRITE_OFF_REVERSAL,
                amount=-from_written_off,
                payment_id=payment_id,
                note="Non-valeur reprise : retenue sur une rémunération ultérieure.",
            )
            overpayment.written_off -= from_written_off
            overpayment.remaining += from_written_off
        Recovery.objects.create(
            overpayment=overpayment,
            kind=Recovery.Kind.OFFSET,
            amount=amount,
            payment_id=payment_id,
        )
        overpayment.remaining -= amount
    overpayment.save(update_fields=["remaining", "written_off"])
    if overpayment.status in (S.DETECTED, S.NOTIFIED) and overpayment.remaining:
        transition(overpayment, S.RECOVERING, why="Retenue sur une rémunération.")
    _settle_if_done(overpayment)


def _receive(
    overpayment, kind, amount: Decimal, *, on, by, note="", instalment=None, cashed_reference=""
):
    if amount <= 0:
        raise ValidationError({"amount": "Le montant doit être positif."})
    if amount > overpayment.remaining:
        raise ValidationError(
            {"amount": f"Le montant dépasse le reste dû ({euros(overpayment.remaining)})."}
        )
    Recovery.objects.create(
        overpayment=overpayment,
        kind=kind,
        amount=amount,
        on=on,
        by=by,
        note=note,
        instalment=instalment,
        cashed_reference=cashed_reference,
    )
    overpayment.remaining -= amount
    overpayment.save(update_fields=["remaining"])


# Called after commit with the overpayment whose order to repay was issued: a higher layer
# registers what it does then (the trainee's space e-mails the trainee).
notified_hooks: list = []


@transaction.atomic
def notify(overpayment: Overpayment, *, user, today=None) -> Overpayment:
    """Issues the order to repay: a number per region and year, a deadline (the region's
    `overpayment_payment_days` option after today)."""
    overpayment = _lock(overpayment)
    today = today or timezone.localdate()
    if overpayment.status != S.DETECTED:
        raise ValidationError("Cet indu a déjà été notifié ou n'est plus à réclamer.")
    if overpayment.remaining <= 0:
        raise ValidationError("Il ne reste rien à réclamer.")
    sequence, _ = NoticeSequence.objects.select_for_update().get_or_create(
        region=overpayment.region, year=today.year
    )
    sequence.last += 1
    sequence.save(update_fields=["last"])
    prefix = overpayment.region.number_prefix or "REG"
    overpayment.notice_number = f"{prefix}-OR-{today.year}-{sequence.last:05d}"
    days = int(options(overpayment.region, today).get("overpayment_payment_days", 30))
    overpayment.notice_deadline = today + dt.timedelta(days=days)
    overpayment.notified_at = timezone.now()
    overpayment.save(update_fields=["notice_number", "notice_deadline", "notified_at"])
    transition(
        overpayment, S.NOTIFIED, by=user, why=f"Ordre de reversement {overpayment.notice_number}"
    )
    for hook in notified_hooks:  # e.g. the trainee's e-mail (trainee_space), once committed
        transaction.on_commit(lambda hook=hook: hook(overpayment))
    return overpayment


@transaction.atomic
def set_plan(overpayment: Overpayment, instalments: list[tuple[dt.date, Decimal]], *, user):
    """A repayment plan: its instalments must add up to what remains."""
    overpayment = _lock(overpayment)
    if overpayment.status not in (S.DETECTED, S.NOTIFIED, S.RECOVERING):
        raise ValidationError("Cet indu n'est plus en recouvrement.")
    if overpayment.instalments.filter(recoveries__isnull=False).exists():
        raise ValidationError("Des échéances ont déjà été encaissées : le plan ne change plus.")
    total = sum((amount for _, amount in instalments), ZERO)
    if not instalments or total != overpayment.remaining:
        raise ValidationError(
            f"Les échéances totalisent {euros(total)} ; le reste dû est de "
            f"{euros(overpayment.remaining)}."
        )
    overpayment.instalments.all().delete()
    Instalment.objects.bulk_create(
        Instalment(overpayment=overpayment, due_on=day, amount=amount)
        for day, amount in sorted(instalments)
    )
    if overpayment.status != S.RECOVERING:
        transition(
            overpayment, S.RECOVERING, by=user, why=f"Échéancier de {len(instalments)} échéance(s)"
        )
    return overpayment


@transaction.atomic
def receive_instalment(instalment: Instalment, *, amount: Decimal, on: dt.date, user):
    overpayment = _lock(instalment.overpayment)
    if overpayment.status != S.RECOVERING:
        raise ValidationError("Cet indu n'est pas en recouvrement.")
    _receive(overpayment, Recovery.Kind.INSTALMENT, amount, on=on, by=user, instalment=instalment)
    _settle_if_done(overpayment, user)
    return overpayment


@transaction.atomic
def receive(overpayment: Overpayment, *, amount: Decimal, on: dt.date, user, note=""):
    """A payment received outside any plan."""
    overpayment = _lock(overpayment)
    if overpayment.status not in (S.DETECTED, S.NOTIFIED, S.RECOVERING):
        raise ValidationError("Cet indu n'est plus en recouvrement.")
    _receive(overpayment, Recovery.Kind.RECEIVED, amount, on=on, by=user, note=note)
    if overpayment.remaining and overpayment.status != S.RECOVERING:
        transition(overpayment, S.RECOVERING, by=user, why="Versement reçu.")
    _settle_if_done(overpayment, user)
    return overpayment


@transaction.atomic
def request_waiver(overpayment, *, received_on, requested_amount, reasons, situation, user):
    overpayment = _lock(overpayment)
    if overpayment.status not in (S.NOTIFIED, S.RECOVERING):
        raise ValidationError("Une remise se demande après la notification de l'indu.")
    if overpayment.waivers.filter(decision=WaiverRequest.Decision.PENDING).exists():
        raise ValidationError("Une demande de remise est déjà en attente.")
    if not 0 < requested_amount <= overpayment.remaining:
        raise ValidationError(
            {"requested_amount": f"Entre 0,01 € et le reste dû ({euros(overpayment.remaining)})."}
        )
    return WaiverRequest.objects.create(
        overpayment=overpayment,
        received_on=received_on,
        requested_amount=requested_amount,
        reasons=reasons,
        financial_situation=situation,
        recorded_by=user,
    )


@transaction.atomic
def schedule_waiver(waiver: WaiverRequest, commission_on: dt.date) -> WaiverRequest:
    waiver = WaiverRequest.objects.select_for_update().get(pk=waiver.pk)
    if waiver.decision != WaiverRequest.Decision.PENDING:
        raise ValidationError("Cette demande est déjà décidée.")
    waiver.commission_on = commission_on
    waiver.save(update_fields=["commission_on"])
    return waiver


@transaction.atomic
def decide_waiver(waiver, *, decision, granted_amount, decided_on, reference, user):
    """Granted in full, partly (the amount waived) or refused; recovery resumes after it."""
    overpayment = _lock(waiver.overpayment)
    waiver = WaiverRequest.objects.select_for_update().get(pk=waiver.pk)
    if waiver.decision != WaiverRequest.Decision.PENDING:
        raise ValidationError("Cette demande est déjà décidée.")
    D = WaiverRequest.Decision
    if decision == D.GRANTED:
        granted_amount = overpayment.remaining
    elif decision == D.PARTLY:
        if granted_amount is None or not 0 < granted_amount < overpayment.remaining:
            raise ValidationError(
                {
                    "granted_amount": f"Entre 0,01 € et moins que le reste dû "
                    f"({euros(overpayment.remaining)})."
                }
            )
    elif decision == D.REFUSED:
        granted_amount = None
    else:
        raise ValidationError({"decision": "Choisissez une décision."})
    waiver.decision, waiver.granted_amount = decision, granted_amount
    waiver.decided_on, waiver.decision_reference = decided_on, reference
    waiver.save()
    if granted_amount:
        Recovery.objects.create(
            overpayment=overpayment,
            kind=Recovery.Kind.WAIVER,
            amount=granted_amount,
            on=decided_on,
            by=user,
            note=f"Décision {reference}".strip(),
        )
        overpayment.remaining -= granted_amount
        overpayment.save(update_fields=["remaining"])
        if overpayment.remaining == 0:
            transition(overpayment, S.WAIVED, by=user, why=f"Remise totale ({reference})")
    return waiver


def equal_instalments(total: Decimal, count: int, first: dt.date) -> list[tuple[dt.date, Decimal]]:
    """`count` monthly instalments from `first`, equal to the cent (the last takes the rest)."""
    from remu.rules.money import cents

    count = max(1, min(count, int(total * 100)))
    part = cents(total / count)
    days = []
    for n in range(count):
        year, month = divmod(first.year * 12 + first.month - 1 + n, 12)
        days.append(dt.date(year, month + 1, min(first.day, 28)))
    return [(day, part) for day in days[:-1]] + [(days[-1], total - part * (count - 1))]


def cash(overpayment: Overpayment, *, amount: Decimal, on: dt.date, reference: str, user):
    """A sum the paymaster's return file says was cashed (« encaissé »), the overpayment row
    locked by the caller: it pays the plan's instalments in date order (each part an
    instalment receipt), what exceeds them is a payment outside the plan."""
    left = amount
    for instalment in overpayment.instalments.prefetch_related("recoveries"):
        due = instalment.amount - instalment.received
        part = min(due, left)
        if part > 0:
            _receive(
                overpayment,
                Recovery.Kind.INSTALMENT,
                part,
                on=on,
                by=user,
                instalment=instalment,
                cashed_reference=reference,
            )
            left -= part
    if left > 0:
        _receive(
            overpayment, Recovery.Kind.RECEIVED, left, on=on, by=user, cashed_reference=reference
        )
    if overpayment.remaining and overpayment.status != S.RECOVERING:
        transition(overpayment, S.RECOVERING, by=user, why="Encaissement du payeur.")
    _settle_if_done(overpayment, user)
