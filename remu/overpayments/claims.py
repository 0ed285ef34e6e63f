"""The payment run's view of the overpayments (registered in `payments.offsets`): what the
claims deduct from the ledger, the open claims of a chunk's trainees, and the writing of the
claims a run detects and of the offsets it withholds."""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal
from functools import partial

from django.db.models import Q, Sum

from remu.core.compiled import FIRST, LAST, REGION, Compiled
from remu.core.french import month_of
from remu.payments.models import Component, Payment
from remu.payments.offsets import Key, NewClaim, OpenClaim
from remu.payments.selectors import enrollments_in
from remu.rules.money import euros
from remu.trainees.models import Enrollment

from . import services
from .models import OFFSETTABLE, Overpayment, OverpaymentItem

LABELS = dict(Component.choices)


def _open_claim_rows(region_id, first, last, *, lock=False):
    rows = (
        Overpayment.objects.filter(
            region_id=region_id,
            status__in=OFFSETTABLE,
            **enrollments_in((first, last), "trainee__enrollments__id"),
        )
        .filter(Q(remaining__gt=0) | Q(written_off__gt=0))
        .exclude(waivers__decision="pending")  # recovery suspended while pending
        .order_by("detected_at", "pk")
    )
    if lock:
        rows = rows.select_for_update(of=("self",))
    return rows.values_list("pk", "trainee__enrollments__id", "remaining", "written_off")


# A run's chunk queries, compiled once a process (core.compiled.Compiled).
_deducted = Compiled(
    lambda first, last: (
        OverpaymentItem.objects.filter(**enrollments_in((first, last)))
        .values_list("enrollment_id", "month", "component", "forfeit")
        .annotate(total=Sum("amount"))
        .order_by()
    ),
    FIRST,
    LAST,
)
_open_claims = Compiled(_open_claim_rows, REGION, FIRST, LAST)
_locked_claims = Compiled(partial(_open_claim_rows, lock=True), REGION, FIRST, LAST)


class Claims:
    def deducted(self, bounds):
        deducted: dict[Key, Decimal] = {}
        forfeited: set[Key] = set()
        for enrollment, month, component, forfeit, total in _deducted(*bounds):
            key = (enrollment, month, component)
            deducted[key] = deducted.get(key, Decimal(0)) + total
            if forfeit:
                forfeited.add(key)
        return deducted, forfeited

    def open_claims(self, region, bounds, *, lock):
        rows = (_locked_claims if lock else _open_claims)(region.pk, *bounds)
        found: dict[int, list[OpenClaim]] = defaultdict(list)
        claims: dict[int, OpenClaim] = {}
        for pk, enrollment, remaining, written_off in rows:
            claim = claims.setdefault(pk, OpenClaim(pk, remaining, written_off))
            found[enrollment].append(claim)
        return found

    def record(self, run, new_claims: list[NewClaim], open_claims) -> None:
        taken = {c.id: c for claims in open_claims.values() for c in claims if c.takes}
        if taken:
            references = {ref for c in taken.values() for ref, _ in c.takes}
            payments = dict(
                Payment.objects.filter(reference__in=references).values_list("reference", "pk")
            )
            for claim in Overpayment.objects.filter(pk__in=taken).order_by("pk"):
                services.record_offsets(
                    claim, [(payments[ref], amount) for ref, amount in taken[claim.pk].takes]
                )
        by_enrollment = defaultdict(list)
        for new in new_claims:
            by_enrollment[new.enrollment_id].append(new)
        trainees = dict(
            Enrollment.objects.filter(pk__in=by_enrollment).values_list("pk", "trainee_id")
        )
        for enrollment_id, news in by_enrollment.items():
            services.detect(
                region=run.region,
                trainee_id=trainees[enrollment_id],
                enrollment_id=enrollment_id,
                source=Overpayment.Source.ATTENDANCE_CORRECTION,
                label=news[0].label if len(news) == 1 else "Trop-perçus après correction",
                items=[services.Item(n.month, n.component, n.paid, n.due, n.amount) for n in news],
                explanation=[
                    "Le montant dû a été recalculé après paiement (présence ou barème corrigés)."
                ]
                + [explain_item(n.month, n.component, n.paid, n.due) for n in news],
                run=run,
            )

    def of_run(self, run):
        return Overpayment.objects.filter(run=run)


def explain_item(month, component, paid, due, forfeit=False) -> str:
    what = f"{LABELS[component]} {month_of(month)}"
    if forfeit and not paid:
        return f"{what} : pas encore payé ; ne sera pas payé."
    if forfeit:
        return f"{what} : versé {euros(paid)}, réclamé en totalité ({euros(paid)})."
    return f"{what} : versé {euros(paid)}, dû {euros(due)}, trop-perçu {euros(paid - due)}."
