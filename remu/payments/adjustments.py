"""Manual adjustments of a trainee's month (issue 12 §2), with four eyes.

An agent proposes a positive or negative amount for an enrollment's month, with a reason and
optionally a supporting document; it is due only once a second agent of the region approves it
(the same agent is refused, and a database constraint holds it). An approved adjustment flows
through the ledger like any other component: the run reads the approved adjustments of its
chunk, adds them to what is due for the month (component `adjustment`, taxable, when it
corrects the remuneration; `adj_allowances`, not taxable, when it corrects the allowances), and
orders the difference; a negative one becomes an amount owed, offset on the next line.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from remu.core.french import month_of
from remu.dossiers import documents as docs
from remu.rules.money import euros

from . import selectors
from .models import Adjustment, AdjustmentTransition

S = Adjustment.Status


def _log(adjustment: Adjustment, from_status: str, user, reason: str = "") -> None:
    AdjustmentTransition.objects.create(
        adjustment=adjustment,
        from_status=from_status,
        to_status=adjustment.status,
        by=user,
        reason=reason[:250],
    )


def checked_document(uploaded) -> str:
    """The content type of a supporting document, checked as the dossiers' are: its first bytes
    (PDF, JPEG or PNG) and 10 MB at most."""
    if uploaded.size > docs.MAX_UPLOAD_BYTES:
        raise ValidationError({"document": "Le fichier dépasse 10 Mo."})
    head = uploaded.read(16)
    uploaded.seek(0)
    content_type = docs.sniff(head)
    if content_type is None:
        raise ValidationError(
            {
                "document": "Seuls les fichiers PDF, JPEG ou PNG sont acceptés (le contenu du "
                "fichier a été vérifié)."
            }
        )
    return content_type


@transaction.atomic
def propose(
    enrollment, user, *, month: dt.date, corrects: str, amount: Decimal, reason: str, document=None
) -> Adjustment:
    """An agent proposes an adjustment; it waits for a second agent's approval."""
    if not reason.strip():
        raise ValidationError({"reason": "Le motif est obligatoire."})
    adjustment = Adjustment(
        region=enrollment.action.region,
        enrollment=enrollment,
        month=month.replace(day=1),
        corrects=corrects,
        amount=amount,
        reason=reason.strip(),
        created_by=user,
    )
    if document is not None:
        adjustment.document_type = checked_document(document)
        adjustment.document_name = document.name[:255]
        adjustment.document.save("upload", document, save=False)
    adjustment.save()
    _log(adjustment, "", user, "Ajustement proposé")
    return adjustment


def _locked(adjustment: Adjustment, user) -> Adjustment:
    locked = Adjustment.objects.select_for_update().get(pk=adjustment.pk)
    if locked.status != S.PROPOSED:
        raise ValidationError(
            f"Cet ajustement a déjà été décidé ({locked.get_status_display().lower()})."
        )
    if locked.created_by_id == user.pk:
        raise ValidationError(
            "Vous avez proposé cet ajustement : un second agent de la Région doit le décider."
        )
    if user.region_id != locked.region_id:
        raise ValidationError("Seul un agent de la Région peut décider de cet ajustement.")
    return locked


@transaction.atomic
def approve(adjustment: Adjustment, user) -> Adjustment:
    """A second agent approves: the adjustment is due from now on (the next run orders it)."""
    locked = _locked(adjustment, user)
    locked.status = S.APPROVED
    locked.decided_by, locked.decided_at = user, timezone.now()
    locked.save(update_fields=["status", "decided_by", "decided_at"])
    _log(locked, S.PROPOSED, user, "Ajustement approuvé")
    return locked


@transaction.atomic
def refuse(adjustment: Adjustment, user, reason: str) -> Adjustment:
    """A second agent refuses, with a reason: nothing is due."""
    if not reason.strip():
        raise ValidationError({"decision_reason": "Le motif du refus est obligatoire."})
    locked = _locked(adjustment, user)
    locked.status = S.REFUSED
    locked.decided_by, locked.decided_at = user, timezone.now()
    locked.decision_reason = reason.strip()[:250]
    locked.save(update_fields=["status", "decided_by", "decided_at", "decision_reason"])
    _log(locked, S.PROPOSED, user, reason)
    return locked


# -- in a run --------------------------------------------------------------------------------


@dataclass(slots=True)
class Taken:
    """The approved adjustments a chunk took into its ledger: the labels of the lines they make
    (the reasons of those not ordered yet) and the ids to mark with the run."""

    labels: dict = field(default_factory=dict)
    new_ids: list[int] = field(default_factory=list)


def label(month: dt.date, reasons: list[str]) -> str:
    """« Ajustement manuel de mars 2026 : <reason> » (several reasons joined)."""
    return f"Ajustement manuel {month_of(month)} : {' ; '.join(reasons)}"[:250]


def add_dues(region, payable: dict, bounds, dues: list[dict], approved=None) -> Taken:
    """Adds to a chunk's dues, for its payable enrollments (`payable`: enrollment -> the
    dossier paid, whose id the rows take), the sum of the approved adjustments of each month
    and component, with one explanation line each (one query, unless the range's `approved`
    adjustments were already read)."""
    if approved is None:
        approved = selectors.approved_adjustments(bounds)
    taken = Taken()
    sums: dict = defaultdict(Decimal)
    lines: dict = defaultdict(list)
    reasons: dict = defaultdict(list)
    for (
        pk,
        enrollment_id,
        month,
        component,
        amount,
        reason,
        decided_at,
        run_id,
    ) in approved:
        if enrollment_id not in payable:
            continue
        key = (enrollment_id, month, component)
        sums[key] += amount
        sign = "+" if amount > 0 else "−"
        lines[key].append(
            f"Ajustement manuel approuvé le {timezone.localdate(decided_at):%d/%m/%Y} : "
            f"{sign}{euros(abs(amount))} ({reason})"
        )
        if run_id is None:
            taken.new_ids.append(pk)
            reasons[key].append(reason)
    for key, amount in sums.items():
        enrollment_id, month, component = key
        dues.append(
            {
                "region_id": region.pk,
                "enrollment_id": enrollment_id,
                "dossier_id": payable[enrollment_id].dossier_id,
                "month": month,
                "component": component,
                "amount": amount,
                "explanation": [*lines[key], f"Total des ajustements : {euros(amount)}"],
                "version_label": "",
            }
        )
        # A later correction of an adjustment already ordered names the month only.
        taken.labels[key] = (
            label(month, reasons[key]) if reasons[key] else f"Ajustement manuel {month_of(month)}"
        )
    return taken


def mark_taken(taken: Taken, run) -> None:
    """The run whose ledger took these adjustments (the trainee page and the list say so)."""
    if taken.new_ids:
        Adjustment.objects.filter(pk__in=taken.new_ids, run__isnull=True).update(run=run)
