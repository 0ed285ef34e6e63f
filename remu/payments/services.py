"""The ledger and the payment runs.

For each enrollment, month and component, the amount due comes from the rules engine (admitted
dossier + validated attendance, and the entry bonus); a run orders the difference between what
is due and what was already ordered (rejected lines excluded, amounts owed by the trainee
deducted). Positive: a payment line; negative: an amount owed (`Debt`), offset on the trainee's
next positive line. Running the same run twice orders nothing the second time.

Exactly once: at most one active run per region (a partial unique constraint), each chunk of
enrollments in its own transaction (a crash loses nothing committed and orders nothing twice:
the next run computes the remaining differences), a heartbeat to recognise a dead worker.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections import defaultdict
from decimal import Decimal

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Sum
from django.utils import timezone

from remu.actions.models import TrainingAction
from remu.attendance.models import AttendanceLine, AttendanceStatement
from remu.attendance.services import case_for
from remu.dossiers.models import Dossier, DossierTransition
from remu.rules.engine import CaseError, default_tax_rate, entry_bonus
from remu.rules.money import cents
from remu.scales.selectors import engine as engine_for

from . import bulk
from .models import TAXABLE, Component, Debt, DueAmount, Payment, PaymentRun, TaxRate

CHUNK = 500
ZERO = Decimal("0.00")
MONTHS = [
    "janvier",
    "février",
    "mars",
    "avril",
    "mai",
    "juin",
    "juillet",
    "août",
    "septembre",
    "octobre",
    "novembre",
    "décembre",
]


class RunError(Exception):
    pass


def month_label(month: dt.date) -> str:
    return f"{MONTHS[month.month - 1]} {month.year}"


def stale_after() -> dt.timedelta:
    return dt.timedelta(seconds=getattr(settings, "PAYMENT_RUN_STALE_SECONDS", 300))


# -- selection -----------------------------------------------------------------------------


def payable_dossiers(region):
    """Admitted RS1 dossiers of the region: the enrollments a run looks at."""
    return (
        Dossier.objects.filter(region=region, status=Dossier.Status.ADMITTED, kind=Dossier.Kind.RS1)
        .select_related("enrollment__trainee")
        .order_by("pk")
    )


def load_dossiers(region, ids) -> list[Dossier]:
    """A chunk of payable dossiers with what the run reads, each shared object loaded once
    (the region, the actions) rather than once per dossier."""
    dossiers = list(payable_dossiers(region).filter(pk__in=ids))
    actions = TrainingAction.objects.select_related("programme").in_bulk(
        {d.enrollment.action_id for d in dossiers}
    )
    for dossier in dossiers:
        dossier.region = region
        dossier.enrollment.action = actions[dossier.enrollment.action_id]
    return dossiers


def admission_days(dossiers) -> dict[int, dt.date]:
    """The day each dossier was admitted (from its history), in one query."""
    days = {}
    for dossier_id, at in DossierTransition.objects.filter(
        dossier__in=[d.pk for d in dossiers], to_status=Dossier.Status.ADMITTED
    ).values_list("dossier_id", "at"):
        days.setdefault(dossier_id, timezone.localdate(at))
    return days


# -- dues ------------------------------------------------------------------------------------


def compute_dues(dossiers, upto: dt.date) -> tuple[list[DueAmount], list[str]]:
    """The dues of these dossiers' enrollments for every validated month up to `upto`, and the
    entry bonuses; plus the anomalies met."""
    region = dossiers[0].region
    rules = engine_for(region)
    by_pk = {d.pk: d for d in dossiers}
    lines = AttendanceLine.objects.filter(
        dossier__in=dossiers,
        status=AttendanceLine.Status.VALIDATED,
        statement__month__lte=upto,
    ).prefetch_related("absences")
    dues, anomalies = [], []
    admitted = admission_days(dossiers)
    lines = list(lines)
    statements = AttendanceStatement.objects.in_bulk({line.statement_id for line in lines})
    for line in lines:
        # The dossier, its enrollment, action and statement are loaded once for the chunk.
        dossier = by_pk[line.dossier_id]
        line.dossier, line.enrollment = dossier, dossier.enrollment
        statement = statements[line.statement_id]
        statement.action = dossier.enrollment.action
        line.statement = statement
        try:
            result = rules.compute(case_for(line))
        except CaseError as exc:
            anomalies.append(
                f"{line.enrollment.trainee} ({line.statement.month:%m/%Y}) : {exc.message}"
            )
            continue
        for component, amount in (
            (Component.REMUNERATION, result.remuneration),
            (Component.ALLOWANCES, result.allowances),
        ):
            if amount or component == Component.REMUNERATION:
                dues.append(
                    DueAmount(
                        region=region,
                        enrollment=line.enrollment,
                        month=line.statement.month,
                        component=component,
                        amount=amount,
                        explanation=result.explanation,
                        version_label=result.version_label,
                    )
                )
    for dossier in dossiers:
        action = dossier.enrollment.action
        if not action.entry_bonus:
            continue
        day = admitted.get(dossier.pk, timezone.localdate())
        bonus = entry_bonus(
            region.parameter_set,
            day,
            dossier.rate_category,
            distance_learning=action.distance_learning,
        )
        if bonus:
            dues.append(
                DueAmount(
                    region=region,
                    enrollment=dossier.enrollment,
                    month=day.replace(day=1),
                    component=Component.ENTRY_BONUS,
                    amount=bonus[0],
                    explanation=[bonus[1]],
                    version_label="",
                )
            )
    return dues, anomalies


def save_dues(dues: list[DueAmount]) -> None:
    bulk.upsert_dues(dues)


# -- tax ---------------------------------------------------------------------------------------


def tax_rates(region, nirs, day) -> dict[str, Decimal]:
    rates = {}
    for rate in TaxRate.objects.filter(region=region, nir__in=nirs, valid_from__lte=day).order_by(
        "nir", "-valid_from"
    ):
        rates.setdefault(rate.nir, rate.rate)
    return rates


# -- the run ---------------------------------------------------------------------------------


def start_run(region, kind, month: dt.date, user) -> PaymentRun:
    """Queues a run; refuses while another is at work in the region (a dead one is marked
    interrupted first, from its heartbeat)."""
    month = month.replace(day=1)
    with transaction.atomic():
        stale = timezone.now() - stale_after()
        PaymentRun.objects.filter(
            region=region, status=PaymentRun.Status.RUNNING, heartbeat_at__lt=stale
        ).update(status=PaymentRun.Status.INTERRUPTED, finished_at=timezone.now())
        try:
            with transaction.atomic():
                return PaymentRun.objects.create(
                    region=region, kind=kind, month=month, created_by=user
                )
        except IntegrityError as exc:
            raise RunError("Une série de paiement est déjà en cours pour la région.") from exc


def execute_run(run_id: int, *, chunk: int = CHUNK, after_chunk=None) -> PaymentRun:
    """Works a queued run through, chunk by chunk, each in its own transaction."""
    with transaction.atomic():
        run = PaymentRun.objects.select_for_update().get(pk=run_id)
        if run.status != PaymentRun.Status.QUEUED:
            return run  # another worker has it, or it is over
        run.status = PaymentRun.Status.RUNNING
        run.started_at = run.heartbeat_at = timezone.now()
        run.total = payable_dossiers(run.region).count()
        run.save()
    summary = defaultdict(lambda: Decimal(0))
    counts = defaultdict(int)
    anomalies = []
    ids = list(payable_dossiers(run.region).values_list("pk", flat=True))
    for start in range(0, len(ids), chunk):
        batch = load_dossiers(run.region, ids[start : start + chunk])
        with transaction.atomic():
            created, batch_anomalies = _order_chunk(run, batch)
            for payment in created:
                summary[payment.component] += payment.amount
                counts["lines"] += 1
            anomalies.extend(batch_anomalies)
            PaymentRun.objects.filter(pk=run.pk).update(
                done=start + len(batch), heartbeat_at=timezone.now()
            )
        if after_chunk:
            after_chunk(start + len(batch))
    run.refresh_from_db()
    run.status = PaymentRun.Status.DONE
    run.finished_at = timezone.now()
    run.done = run.total
    run.summary = {
        "totals": {k: str(v) for k, v in summary.items()},
        "lines": counts["lines"],
        "debts": run.debts.count(),
        "anomalies": anomalies[:200],
    }
    run.save()
    return run


def _order_chunk(run, dossiers) -> tuple[list[Payment], list[str]]:
    """Orders, for these dossiers, every difference between due and ordered."""
    if not dossiers:
        return [], []
    region = run.region
    anomalies = []
    payable = []
    for dossier in dossiers:
        if not dossier.iban or dossier.bank_details_rejected:
            why = (
                "coordonnées bancaires rejetées"
                if dossier.bank_details_rejected
                else ("coordonnées bancaires manquantes")
            )
            anomalies.append(f"{dossier.enrollment.trainee} : {why}")
            continue
        payable.append(dossier)
    if not payable:
        return [], anomalies
    dues, due_anomalies = compute_dues(payable, run.month)
    anomalies.extend(due_anomalies)
    save_dues(dues)
    enrollment_ids = [d.enrollment_id for d in payable]
    due = {
        (d["enrollment_id"], d["month"], d["component"]): d["amount"]
        for d in DueAmount.objects.filter(
            enrollment_id__in=enrollment_ids, month__lte=max(run.month, timezone.localdate())
        ).values("enrollment_id", "month", "component", "amount")
    }
    ordered = defaultdict(Decimal)
    for row in (
        Payment.objects.ordered()
        .filter(enrollment_id__in=enrollment_ids)
        .values("enrollment_id", "month", "component")
        .annotate(total=Sum("amount"))
    ):
        ordered[(row["enrollment_id"], row["month"], row["component"])] += row["total"]
    for row in (
        Debt.objects.filter(enrollment_id__in=enrollment_ids)
        .values("enrollment_id", "month", "component")
        .annotate(total=Sum("amount"))
    ):
        ordered[(row["enrollment_id"], row["month"], row["component"])] -= row["total"]
    open_debts = defaultdict(list)
    for debt in Debt.objects.filter(enrollment_id__in=enrollment_ids, remaining__gt=0).order_by(
        "created_at"
    ):
        open_debts[debt.enrollment_id].append(debt)
    today = timezone.localdate()
    rates = tax_rates(region, [d.trainee.nir for d in payable if d.trainee.nir], today)
    rules = engine_for(region)
    territory = rules.sets[region.parameter_set].territory
    by_enrollment = {d.enrollment_id: d for d in payable}
    new_payments, new_debts = [], []
    for key in sorted(set(due) | set(ordered), key=lambda k: (k[0], k[1], k[2])):
        enrollment_id, month, component = key
        if enrollment_id not in by_enrollment:
            continue
        difference = due.get(key, ZERO) - ordered.get(key, ZERO)
        if difference == 0:
            continue
        dossier = by_enrollment[enrollment_id]
        what = Component(component).label.lower()
        regularisation = key in ordered
        label = (
            f"Régularisation : {what} de {month_label(month)}"
            if regularisation
            else f"{Component(component).label} de {month_label(month)}"
        )
        if difference < 0:
            new_debts.append(
                Debt(
                    region=region,
                    enrollment_id=enrollment_id,
                    run=run,
                    month=month,
                    component=component,
                    amount=-difference,
                    remaining=-difference,
                    label=label + " (trop-perçu)",
                )
            )
            continue
        nir = dossier.trainee.nir
        if component in TAXABLE:
            rate = rates.get(nir)
            if rate is None:
                monthly_taxable = due.get((enrollment_id, month, Component.REMUNERATION), ZERO)
                rate = default_tax_rate(rules, territory, month, monthly_taxable)
        else:
            rate = ZERO
        withholding = cents(difference * rate / 100) if rate else ZERO
        offset = ZERO
        for debt in open_debts[enrollment_id]:
            if debt.remaining <= 0:
                continue
            take = min(debt.remaining, difference - withholding - offset)
            if take <= 0:
                break
            debt.remaining -= take
            offset += take
        if offset:
            label += f" (dont {offset} € retenus sur un trop-perçu)"
        new_payments.append(
            Payment(
                region=region,
                run=run,
                enrollment_id=enrollment_id,
                dossier=dossier,
                month=month,
                component=component,
                amount=difference,
                is_regularisation=regularisation,
                label=label,
                withholding=withholding,
                offset=offset,
                net=difference - withholding - offset,
                tax_rate=rate,
                iban=dossier.iban,
                bic=dossier.bic,
                account_holder=dossier.account_holder or str(dossier.trainee),
                reference="REMU" + uuid.uuid4().hex[:20].upper(),
            )
        )
    Debt.objects.bulk_create(new_debts)
    for debts in open_debts.values():
        for debt in debts:
            debt.save(update_fields=["remaining"])  # few: only trainees who owe something
    bulk.insert_payments(new_payments)
    return new_payments, anomalies


def dry_run(region, month: dt.date, user) -> dict:
    """What a run would order, without writing (everything happens in a transaction that is
    rolled back): totals, counts per programme, anomalies."""
    month = month.replace(day=1)
    dossiers = load_dossiers(region, payable_dossiers(region).values_list("pk", flat=True))
    programme_of = {d.enrollment_id: d.enrollment.action.programme.name for d in dossiers}
    validated = set(
        AttendanceLine.objects.filter(
            dossier__in=dossiers, statement__month=month, status=AttendanceLine.Status.VALIDATED
        ).values_list("dossier_id", flat=True)
    )
    month_end = (month + dt.timedelta(days=32)).replace(day=1) - dt.timedelta(days=1)
    anomalies = [
        f"{d.enrollment.trainee} : admis, sans présence validée pour {month_label(month)}"
        for d in dossiers
        if d.pk not in validated
        and d.enrollment.entry_date <= month_end
        and (d.enrollment.exit_date is None or d.enrollment.exit_date >= month)
    ]
    payments = []
    with transaction.atomic():
        preview = PaymentRun.objects.create(
            region=region,
            kind=PaymentRun.Kind.MONTHLY,
            month=month,
            status=PaymentRun.Status.DONE,
            created_by=user,
        )
        for start in range(0, len(dossiers), CHUNK):
            created, chunk_anomalies = _order_chunk(preview, dossiers[start : start + CHUNK])
            payments.extend(created)
            anomalies.extend(chunk_anomalies)
        transaction.set_rollback(True)
    per_programme = defaultdict(lambda: {"count": 0, "total": Decimal(0)})
    totals = defaultdict(Decimal)
    for payment in payments:
        row = per_programme[programme_of[payment.enrollment_id]]
        row["count"] += 1
        row["total"] += payment.amount
        totals[Component(payment.component).label] += payment.amount
    return {
        "lines": len(payments),
        "total": sum(totals.values(), Decimal(0)),
        "totals": dict(totals),
        "per_programme": dict(per_programme),
        "anomalies": anomalies,
    }
