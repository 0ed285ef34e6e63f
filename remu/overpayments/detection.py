"""The claim a validated dropout creates (seed 001 §5.1-5.2, seed 002, RULES.md §7), computed
through the engine: what was paid against what is due with the real exit date, then the
region's options by reason (dated options of the parameter set, read on the exit date):

- `overpayment_grace_weeks`: nothing is claimed when the trainee leaves within these first weeks
  of the action (CVL: 5); absent: no such rule;
- legitimate reasons, « entrée dans une autre formation », reorientation: only what was paid for
  days after the exit date;
- `overpayment_without_reason`: `after_exit` or `last_month` (CVL: the last month received and
  the month of the dropout are claimed in full);
- `overpayment_misconduct`: `after_exit`, `as_without_reason` (CVL) or `everything`
  (Guadeloupe: everything received).

`compute()` writes nothing: the decision page previews with it, the hook records its result."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from remu.attendance.models import Withdrawal
from remu.core.french import month_of
from remu.payments import selectors as pay_selectors
from remu.payments.models import Component, Payment
from remu.payments.services import RunContext, compute_dues
from remu.rules.money import euros
from remu.trainees.models import Enrollment

from .claims import Claims, explain_item
from .models import Overpayment
from .services import Item, NewClaim, detect, detect_many, options

ZERO = Decimal("0.00")
NO_PENALTY = set(Withdrawal.LEGITIMATE) | {"other_training", "reorientation"}
MONTHLY = {Component.REMUNERATION.value, Component.ALLOWANCES.value}


@dataclass
class Claim:
    items: list[Item] = field(default_factory=list)
    explanation: list[str] = field(default_factory=list)

    @property
    def amount(self) -> Decimal:
        return sum((i.amount for i in self.items), ZERO)


def paid_and_due(enrollment, exit_date: dt.date):
    """What was ordered (net of earlier claims) and what is due with this exit date, per
    (month, component), through the same computation as a payment run: the one-enrollment
    case of `paid_and_due_many`."""
    exits = {enrollment.pk: exit_date}
    return paid_and_due_many(enrollment.action.region, exits)[enrollment.pk]


def rule_for(withdrawal: Withdrawal, opts: dict) -> str:
    """`none`, `after_exit`, `last_month` or `everything`."""
    enrollment = withdrawal.enrollment
    weeks = opts.get("overpayment_grace_weeks")
    if weeks and withdrawal.exit_date < enrollment.action.start_date + dt.timedelta(weeks=weeks):
        return "none"
    if withdrawal.reason in NO_PENALTY:
        return "after_exit"
    without_reason = opts.get("overpayment_without_reason", "after_exit")
    if withdrawal.reason == Withdrawal.Reason.MISCONDUCT:
        misconduct = opts.get("overpayment_misconduct", "as_without_reason")
        return without_reason if misconduct == "as_without_reason" else misconduct
    return without_reason


WHY = {
    "none": "Sortie dans les {weeks} premières semaines de l'action : rien n'est réclamé.",
    "after_exit": "Seuls les jours payés après la date réelle de sortie sont réclamés.",
    "last_month": (
        "Abandon sans motif légitime : le dernier mois perçu et le mois de l'abandon sont "
        "réclamés en totalité."
    ),
    "everything": "Exclusion pour motif grave : tout ce qui a été perçu est réclamé.",
}


def compute(withdrawal: Withdrawal) -> tuple[Claim, str]:
    """The claim validating this dropout creates (nothing written) and the rule applied."""
    enrollment = withdrawal.enrollment
    region = enrollment.action.region
    opts = options(region, withdrawal.exit_date)
    if rule_for(withdrawal, opts) == "none":
        return claim_for(withdrawal, opts, {}, {})
    return claim_for(withdrawal, opts, *paid_and_due(enrollment, withdrawal.exit_date))


def claim_for(withdrawal: Withdrawal, opts: dict, paid: dict, due: dict) -> tuple[Claim, str]:
    """The claim from what was paid and what is due with the exit date, by the region's rule."""
    rule = rule_for(withdrawal, opts)
    claim = Claim()
    head = (
        f"Sortie le {withdrawal.exit_date:%d/%m/%Y}, motif : {withdrawal.get_reason_display()}. "
        + WHY[rule].format(weeks=opts.get("overpayment_grace_weeks"))
    )
    claim.explanation.append(head)
    if rule == "none":
        return claim, rule
    paid = dict(paid)
    exit_month = withdrawal.exit_date.replace(day=1)
    forfeited: set = set()
    if rule in ("everything", "last_month"):
        # The month of the dropout is forfeited even where not paid yet: a later run must not
        # pay its days.
        forfeited = {(exit_month, c) for c in MONTHLY}
        for c in MONTHLY:
            paid.setdefault((exit_month, c), ZERO)
    if rule == "everything":
        forfeited |= {key for key, amount in paid.items() if amount > 0}
    elif rule == "last_month":
        months = sorted(
            {m for (m, c), a in paid.items() if a > 0 and c in MONTHLY and m < exit_month}
        )
        forfeited |= {
            (m, c) for (m, c), a in paid.items() if a > 0 and m in months[-1:] and c in MONTHLY
        }
    for key in sorted(paid):
        month, component = key
        amount_paid, amount_due = paid[key], due.get(key, ZERO)
        if key in forfeited:
            claim.items.append(Item(month, component, amount_paid, amount_due, amount_paid, True))
            claim.explanation.append(explain_item(month, component, amount_paid, amount_due, True))
        elif amount_paid > amount_due:
            claim.items.append(
                Item(month, component, amount_paid, amount_due, amount_paid - amount_due)
            )
            claim.explanation.append(explain_item(month, component, amount_paid, amount_due))
    if not claim.items:
        claim.explanation.append("Rien n'a été payé au-delà de ce qui est dû : aucun indu.")
    else:
        claim.explanation.append(f"Total réclamé : {euros(claim.amount)}.")
    return claim, rule


def preview_for_withdrawal(withdrawal: Withdrawal) -> dict:
    """For the decision page: the claim validating would create, and whether it would be
    written off at once."""
    claim, rule = compute(withdrawal)
    region = withdrawal.enrollment.action.region
    threshold = Decimal(
        str(options(region, timezone.localdate()).get("overpayment_write_off_below") or 0)
    )
    return {
        "amount": claim.amount,
        "explanation": claim.explanation,
        "rule": rule,
        "written_off": 0 < claim.amount < threshold,
        "threshold": threshold,
    }


def on_exit_validated(withdrawal: Withdrawal, user=None) -> Overpayment | None:
    """Registered in `attendance.services.exit_hooks`: records the claim (inside the decision's
    transaction), once per withdrawal."""
    if Overpayment.objects.filter(withdrawal=withdrawal).exists():
        return None
    claim, _ = compute(withdrawal)
    enrollment = withdrawal.enrollment
    with transaction.atomic():
        return detect(
            region=enrollment.action.region,
            trainee_id=enrollment.trainee_id,
            enrollment_id=enrollment.pk,
            source=Overpayment.Source.DROPOUT,
            label=f"Abandon {month_of(withdrawal.exit_date)} ({withdrawal.get_reason_display()})",
            items=claim.items,
            explanation=claim.explanation,
            withdrawal=withdrawal,
            by=user,
        )


# -- many dropouts at once -------------------------------------------------------------------

BATCH = 500  # withdrawals per batch: a fixed number of queries each


def paid_and_due_many(region, exits: dict[int, dt.date]) -> dict[int, tuple[dict, dict]]:
    """(paid, due) per enrollment of a region, each with its exit date (`exits`: enrollment id
    -> exit date; the preview computes before the date is recorded): what was ordered net of
    earlier claims, and what is due with that exit date, per (month, component). One
    `compute_dues` over the ids' range, one query for what was ordered, one for the claims."""
    bounds = (min(exits), max(exits))
    payables = [p for p in pay_selectors.payables(region, bounds) if p.enrollment_id in exits]
    for payable in payables:
        payable.exit_date = exits[payable.enrollment_id]
    ctx = RunContext(region, max([timezone.localdate(), *exits.values()]).replace(day=1))
    dues, _ = compute_dues(ctx, payables, bounds) if payables else ([], [])
    found: dict[int, tuple[dict, dict]] = {e: ({}, {}) for e in exits}
    for row in dues:
        if row["enrollment_id"] in found:
            found[row["enrollment_id"]][1][(row["month"], row["component"])] = row["amount"]
    for enrollment, month, component, amount in (
        Payment.objects.ordered()
        .filter(enrollment_id__in=list(exits))
        .values_list("enrollment_id", "month", "component", "amount")
    ):
        paid = found[enrollment][0]
        paid[(month, component)] = paid.get((month, component), ZERO) + amount
    for (enrollment, month, component), amount in Claims().deducted(bounds)[0].items():
        if enrollment in found:
            paid = found[enrollment][0]
            paid[(month, component)] = paid.get((month, component), ZERO) - amount
    return found


def on_exits_validated(withdrawals: list[Withdrawal], user=None) -> int:
    """Registered in `attendance.services.exit_hooks` for dropouts validated together: the
    same claims as `on_exit_validated`, computed and written by batches of enrollments with a
    fixed number of queries each. Returns the number of claims recorded."""
    done = set(
        Overpayment.objects.filter(withdrawal__in=[w.pk for w in withdrawals]).values_list(
            "withdrawal_id", flat=True
        )
    )
    todo = sorted((w for w in withdrawals if w.pk not in done), key=lambda w: w.enrollment_id)
    enrollments = {
        e.pk: e
        for e in Enrollment.objects.filter(pk__in=[w.enrollment_id for w in todo]).select_related(
            "action__region"
        )
    }
    count = 0
    for start in range(0, len(todo), BATCH):
        batch = todo[start : start + BATCH]
        by_region: dict = {}
        for w in batch:
            w.enrollment = enrollments[w.enrollment_id]
            by_region.setdefault(w.enrollment.action.region, []).append(w)
        claims = []
        for region, theirs in by_region.items():
            cached: dict = {}  # the options of each exit date (read once)
            for w in theirs:
                if w.exit_date not in cached:
                    cached[w.exit_date] = options(region, w.exit_date)
            opts = {w.pk: cached[w.exit_date] for w in theirs}
            needed = [w for w in theirs if rule_for(w, opts[w.pk]) != "none"]
            exits = {w.enrollment_id: w.exit_date for w in needed}
            amounts = paid_and_due_many(region, exits) if exits else {}
            for w in theirs:
                claim, _ = claim_for(w, opts[w.pk], *amounts.get(w.enrollment_id, ({}, {})))
                claims.append(
                    NewClaim(
                        region=region,
                        trainee_id=w.enrollment.trainee_id,
                        enrollment_id=w.enrollment_id,
                        source=Overpayment.Source.DROPOUT,
                        label=f"Abandon {month_of(w.exit_date)} ({w.get_reason_display()})",
                        items=claim.items,
                        explanation=claim.explanation,
                        withdrawal=w,
                    )
                )
        with transaction.atomic():
            count += len(detect_many(claims, by=user))
    return count
