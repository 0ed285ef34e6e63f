"""Wrong information from the trainee (issue 13 §1, « informations erronées »): an agent
corrects the dossier (category, prior salary, birth date) from a month on, with the reason.

Recording a correction stores it (with the value it replaces), writes the new value on the
dossier, and recomputes through the engine, exactly as a run would (`compute_dues`, which reads
the corrections through `payments.corrections`: the months before the effective month keep the
old value), every month already ordered: what was paid beyond what is now due is claimed (an
overpayment of source « informations erronées », explained line by line); what is now due
beyond what was paid is left to the next run, which orders it as a regularisation.

`preview()` runs the same computation in a savepoint rolled back: nothing is written."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from remu.core.compiled import FIRST, LAST, Compiled
from remu.core.french import month_of, month_year
from remu.dossiers.models import Dossier
from remu.payments import selectors as pay_selectors
from remu.payments.models import Payment
from remu.payments.services import RunContext, compute_dues
from remu.rules.money import ZERO, euros
from remu.rules.parameters import CATEGORIES
from remu.trainees.models import Trainee

from .claims import LABELS, Claims, explain_item
from .models import InformationCorrection, Overpayment
from .services import Item, detect

F = InformationCorrection.Field


@dataclass
class Outcome:
    items: list[Item] = field(default_factory=list)  # claimed
    regularisations: list[tuple[dt.date, str, Decimal, Decimal]] = field(default_factory=list)
    explanation: list[str] = field(default_factory=list)

    @property
    def amount(self) -> Decimal:
        return sum((i.amount for i in self.items), ZERO)

    @property
    def to_pay(self) -> Decimal:
        return sum((due - paid for _, _, paid, due in self.regularisations), ZERO)


# -- values as text ----------------------------------------------------------------------------


def to_text(name: str, value) -> str:
    if value is None:
        return ""
    if name == F.BIRTH_DATE:
        return value.isoformat()
    return str(value)


def from_text(name: str, text: str):
    if text == "":
        return None
    if name == F.BIRTH_DATE:
        return dt.date.fromisoformat(text)
    if name == F.PRIOR_SALARY:
        return Decimal(text)
    return text


def label_of(name: str, text: str) -> str:
    """A value as the agent reads it."""
    value = from_text(name, text)
    if value is None:
        return "non renseigné"
    if name == F.BIRTH_DATE:
        return f"{value:%d/%m/%Y}"
    if name == F.PRIOR_SALARY:
        return euros(value)
    return CATEGORIES.get(value, value)


def current_value(dossier: Dossier, name: str):
    if name == F.CATEGORY:
        return dossier.rate_category
    if name == F.PRIOR_SALARY:
        return dossier.last_monthly_salary
    return dossier.enrollment.trainee.birth_date


def _write(dossier: Dossier, name: str, value) -> None:
    if name == F.CATEGORY:
        Dossier.objects.filter(pk=dossier.pk).update(rate_category=value)
    elif name == F.PRIOR_SALARY:
        Dossier.objects.filter(pk=dossier.pk).update(last_monthly_salary=value)
    else:
        Trainee.objects.filter(pk=dossier.enrollment.trainee_id).update(birth_date=value)


# -- the run's reader --------------------------------------------------------------------------


def earlier_values(bounds) -> dict:
    """Registered in `payments.corrections`: per dossier of the chunk, the values in force
    before each correction, latest effective month first (one query)."""
    found = defaultdict(list)
    for dossier_id, effective, name, old in _corrections(*bounds):
        found[dossier_id].append((effective, name, from_text(name, old)))
    return found


_corrections = Compiled(  # compiled once a process (a run reads it for each chunk)
    lambda first, last: (
        InformationCorrection.objects.filter(
            dossier__enrollment_id__gte=first, dossier__enrollment_id__lte=last
        )
        .order_by("dossier_id", "-effective_from", "-pk")
        .values_list("dossier_id", "effective_from", "field", "old_value")
    ),
    FIRST,
    LAST,
)


# -- recompute ---------------------------------------------------------------------------------


def paid_net(enrollment) -> dict:
    """What was ordered per (month, component), net of what earlier claims took back."""
    paid: dict = defaultdict(lambda: ZERO)
    for month, component, amount in (
        Payment.objects.ordered()
        .filter(enrollment=enrollment)
        .values_list("month", "component", "amount")
    ):
        paid[(month, component)] += amount
    bounds = (enrollment.pk, enrollment.pk)
    for (_, month, component), amount in Claims().deducted(bounds)[0].items():
        paid[(month, component)] -= amount
    return dict(paid)


def due_now(region, enrollment_id: int) -> dict:
    """What a run computes due now per (month, component) for one enrollment."""
    bounds = (enrollment_id, enrollment_id)
    payables = pay_selectors.payables(region, bounds)
    ctx = RunContext(region, timezone.localdate().replace(day=1))
    dues, _ = compute_dues(ctx, payables, bounds) if payables else ([], [])
    return {(row["month"], row["component"]): row["amount"] for row in dues}


def _validate(dossier: Dossier, name: str, value, effective_from: dt.date) -> None:
    if dossier.status != Dossier.Status.ADMITTED or dossier.kind != Dossier.Kind.RS1:
        raise ValidationError("Seul un dossier RS1 admis se corrige ainsi.")
    if name not in F.values:
        raise ValidationError({"field": "Choisissez l'information à corriger."})
    if name == F.CATEGORY and value not in CATEGORIES:
        raise ValidationError({"new_category": "Choisissez une catégorie."})
    if name != F.PRIOR_SALARY and value is None:
        raise ValidationError({"new_" + name: "Indiquez la valeur exacte."})
    if value == current_value(dossier, name):
        raise ValidationError("Le dossier porte déjà cette valeur : rien à corriger.")
    later = (
        InformationCorrection.objects.filter(
            dossier=dossier, field=name, effective_from__gt=effective_from
        )
        .order_by("-effective_from")
        .first()
    )
    if later is not None:
        raise ValidationError(
            {
                "effective_from": "Une correction de cette information prend déjà effet en "
                f"{month_year(later.effective_from)} : la nouvelle ne peut pas prendre effet "
                "avant."
            }
        )


def _recompute(dossier, name, value, effective_from, why, user) -> tuple:
    """Inside a transaction: stores the correction, writes the value, compares."""
    _validate(dossier, name, value, effective_from)
    old = current_value(dossier, name)
    paid = paid_net(dossier.enrollment)
    correction = InformationCorrection.objects.create(
        region=dossier.region,
        dossier=dossier,
        field=name,
        old_value=to_text(name, old),
        new_value=to_text(name, value),
        effective_from=effective_from,
        why=why,
        by=user,
    )
    _write(dossier, name, value)
    due = due_now(dossier.region, dossier.enrollment_id)
    outcome = Outcome()
    outcome.explanation.append(
        f"Correction ({F(name).label.lower()}) à compter {month_of(effective_from)} : valeur "
        f"déclarée {label_of(name, correction.old_value)}, valeur exacte "
        f"{label_of(name, correction.new_value)}. Motif : {why}"
    )
    paid_months = {month for month, _ in paid}
    keys = set(paid) | {key for key in due if key[0] in paid_months}
    for key in sorted(keys):
        month, component = key
        amount_paid, amount_due = paid.get(key, ZERO), due.get(key, ZERO)
        if amount_paid > amount_due:
            outcome.items.append(
                Item(month, component, amount_paid, amount_due, amount_paid - amount_due)
            )
            outcome.explanation.append(explain_item(month, component, amount_paid, amount_due))
        elif amount_due > amount_paid:
            outcome.regularisations.append((month, component, amount_paid, amount_due))
            outcome.explanation.append(
                f"{LABELS[component]} {month_of(month)} : versé {euros(amount_paid)}, dû "
                f"{euros(amount_due)} : {euros(amount_due - amount_paid)} seront versés par la "
                "prochaine paie (régularisation)."
            )
    if outcome.items:
        outcome.explanation.append(f"Total réclamé : {euros(outcome.amount)}.")
    if outcome.regularisations:
        outcome.explanation.append(
            f"Total à verser par la prochaine paie : {euros(outcome.to_pay)}."
        )
    if not outcome.items and not outcome.regularisations:
        outcome.explanation.append(
            "Les mois déjà payés ne changent pas : ni trop-perçu ni complément."
        )
    return correction, outcome


def _locked(dossier: Dossier) -> Dossier:
    return (
        Dossier.objects.select_for_update(of=("self",))
        .select_related("enrollment__trainee", "region")
        .get(pk=dossier.pk)
    )


def preview(dossier, *, field_name, value, effective_from, why, user) -> Outcome:
    """What recording this correction would claim and pay (nothing written)."""
    with transaction.atomic():
        _, outcome = _recompute(
            _locked(dossier), field_name, value, effective_from.replace(day=1), why, user
        )
        transaction.set_rollback(True)
    return outcome


def record(dossier, *, field_name, value, effective_from, why, user):
    """Stores the correction and its claim (None when nothing was paid beyond what is due)."""
    with transaction.atomic():
        dossier = _locked(dossier)
        correction, outcome = _recompute(
            dossier, field_name, value, effective_from.replace(day=1), why, user
        )
        correction.explanation = outcome.explanation
        overpayment = detect(
            region=dossier.region,
            trainee_id=dossier.enrollment.trainee_id,
            enrollment_id=dossier.enrollment_id,
            source=Overpayment.Source.WRONG_INFORMATION,
            label=f"Informations erronées : {F(field_name).label.lower()} à compter de "
            f"{month_of(correction.effective_from)}",
            items=outcome.items,
            explanation=outcome.explanation,
            by=user,
        )
        correction.overpayment = overpayment
        correction.save(update_fields=["explanation", "overpayment"])
    return correction, outcome
