"""The paymaster's return file of sums cashed from trainees (issue 13 §2, « encaissé »): one
row per sum, naming the order to repay it pays. All or nothing: every faulty row is reported
in French with its line number, and nothing is recorded while one is.

Columns: `ordre` (the order to repay's number, « CVL-OR-2026-00001 »), `montant`, `date`
(JJ/MM/AAAA) and `reference` (the paymaster's reference of the receipt, once per file and
never imported twice)."""

from __future__ import annotations

from decimal import Decimal

from django.db import transaction

from remu.core.tabular import RowError, parse_date, parse_decimal, read_rows
from remu.rules.money import euros

from . import services
from .models import Overpayment, Recovery

S = Overpayment.Status
OPEN = (S.DETECTED, S.NOTIFIED, S.RECOVERING)


@transaction.atomic
def import_receipts(region, upload, user) -> tuple[int, list[RowError]]:
    """Records every row's sum on its overpayment, or nothing. The overpayments named are
    locked before anything is checked: the same file imported twice at once records once."""
    rows = read_rows(upload)
    numbers = [r.get("ordre", "") for r in rows]
    overpayments = {
        o.notice_number: o
        for o in Overpayment.objects.select_for_update()
        .filter(region=region, notice_number__in=[n for n in numbers if n])
        .order_by("pk")
    }
    references = [r.get("reference", "") for r in rows]
    known = set(
        Recovery.objects.filter(
            overpayment__region=region, cashed_reference__in=[r for r in references if r]
        ).values_list("cashed_reference", flat=True)
    )
    errors: list[RowError] = []
    records = []
    seen: set[str] = set()
    taken: dict[int, Decimal] = {}  # overpayment -> what earlier rows of the file take
    for number, row in enumerate(rows, start=2):
        notice, reference = row.get("ordre", ""), row.get("reference", "")
        overpayment = overpayments.get(notice)
        if not notice:
            errors.append(RowError(number, "ordre", "n° d'ordre de reversement manquant"))
            continue
        if overpayment is None:
            errors.append(RowError(number, "ordre", f"ordre de reversement inconnu « {notice} »"))
            continue
        if not reference:
            errors.append(RowError(number, "reference", "référence d'encaissement manquante"))
            continue
        if reference in seen:
            errors.append(RowError(number, "reference", "référence en double dans le fichier"))
            continue
        seen.add(reference)
        if reference in known:
            errors.append(
                RowError(number, "reference", f"encaissement « {reference} » déjà importé")
            )
            continue
        try:
            amount = parse_decimal(
                row.get("montant", ""), min_value=Decimal("0.01"), decimal_places=2
            )
        except ValueError as exc:
            errors.append(RowError(number, "montant", str(exc)))
            continue
        day = parse_date(row.get("date", ""))
        if day is None:
            errors.append(RowError(number, "date", f"date invalide « {row.get('date', '')} »"))
            continue
        if overpayment.status not in OPEN:
            errors.append(
                RowError(
                    number,
                    "ordre",
                    f"indu « {overpayment.get_status_display()} » : plus rien à encaisser",
                )
            )
            continue
        left = overpayment.remaining - taken.get(overpayment.pk, Decimal(0))
        if amount > left:
            errors.append(
                RowError(number, "montant", f"dépasse le reste dû de l'indu ({euros(left)})")
            )
            continue
        taken[overpayment.pk] = taken.get(overpayment.pk, Decimal(0)) + amount
        records.append((overpayment, amount, day, reference))
    if errors:
        return 0, errors
    for overpayment, amount, day, reference in records:
        services.cash(overpayment, amount=amount, on=day, reference=reference, user=user)
    return len(records), []
