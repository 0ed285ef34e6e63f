"""What happens to ordered lines afterwards (the SEPA files: `sepa.py`): the paymaster's
return file (paid / rejected, each change logged), personalised tax rates, bank details."""

from __future__ import annotations

from django.db import transaction
from stdnum.fr import nir as stdnum_nir

from remu.core.tabular import RowError, parse_date, parse_decimal, read_rows

from .models import Payment, PaymentTransition, TaxRate

PAID_WORDS = {"PAYE", "PAYÉ", "PAID", "P"}
REJECTED_WORDS = {"REJETE", "REJETÉ", "REJECTED", "R"}


# Called after commit with the run and the time of a SEPA export (the lines it sent carry that
# `sent_at`): a higher layer registers what it does then (the trainee's space queues the
# e-mails to trainees, so a 100,000-line export does not send them in the request).
sent_hooks: list = []


@transaction.atomic
def import_returns(region, upload, user=None) -> tuple[int, list[RowError]]:
    """The paymaster's return file: reference; status; date; mandate. All or nothing. The
    lines are locked before their status is checked: the same file imported twice at once
    updates them once."""
    rows = read_rows(upload)
    errors: list[RowError] = []
    updates = []
    seen = set()
    payments = {
        p.reference: p
        for p in Payment.objects.select_for_update().filter(
            region=region, reference__in=[r.get("reference", "") for r in rows]
        )
    }
    for number, row in enumerate(rows, start=2):
        reference = row.get("reference", "")
        payment = payments.get(reference)
        if not reference:
            errors.append(RowError(number, "reference", "référence de paiement manquante"))
            continue
        if payment is None:
            errors.append(RowError(number, "reference", f"référence inconnue « {reference} »"))
            continue
        if reference in seen:
            errors.append(RowError(number, "reference", "référence en double dans le fichier"))
            continue
        seen.add(reference)
        status = row.get("statut", row.get("status", "")).upper()
        day = parse_date(row.get("date", ""))
        mandate = row.get("mandat", row.get("mandate", ""))
        if status not in PAID_WORDS | REJECTED_WORDS:
            errors.append(RowError(number, "statut", "PAYE ou REJETE attendu"))
            continue
        if day is None:
            errors.append(RowError(number, "date", f"date invalide « {row.get('date', '')} »"))
            continue
        if payment.status != Payment.Status.SENT:
            errors.append(
                RowError(
                    number,
                    "reference",
                    f"ligne « {payment.get_status_display()} » : seule une ligne transmise change",
                )
            )
            continue
        if status in PAID_WORDS and not mandate:
            errors.append(RowError(number, "mandat", "n° de mandat obligatoire pour un paiement"))
            continue
        updates.append((payment, status in PAID_WORDS, day, mandate))
    if errors:
        return 0, errors
    with transaction.atomic():
        log = []
        for payment, paid, day, mandate in updates:
            log.append(
                PaymentTransition(
                    payment=payment,
                    from_status=payment.status,
                    to_status="paid" if paid else "rejected",
                    by=user,
                    reason=f"retour du payeur du {day:%d/%m/%Y}"
                    + (f", mandat n° {mandate}" if paid else ""),
                )
            )
            if paid:
                payment.status, payment.paid_on, payment.mandate_number = "paid", day, mandate
            else:
                payment.status, payment.rejected_on = "rejected", day
                payment.dossier.bank_details_rejected = True
                payment.dossier.save(update_fields=["bank_details_rejected", "updated_at"])
            payment.save(update_fields=["status", "paid_on", "rejected_on", "mandate_number"])
        PaymentTransition.objects.bulk_create(log)
    return len(updates), []


def import_tax_rates(region, upload) -> tuple[int, list[RowError]]:
    """Personalised withholding rates: NIR; taux; date de validité. All or nothing."""
    rows = read_rows(upload)
    errors, rates, seen = [], [], set()
    for number, row in enumerate(rows, start=2):
        nir = "".join(row.get("nir", "").split()).upper()
        if not stdnum_nir.is_valid(nir):
            errors.append(RowError(number, "nir", "numéro de sécurité sociale invalide"))
            continue
        try:
            rate = parse_decimal(
                row.get("taux", row.get("rate", "")).rstrip("%"), max_value=100, decimal_places=2
            )
        except ValueError as exc:
            errors.append(RowError(number, "taux", f"taux compris entre 0 et 100 attendu : {exc}"))
            continue
        day = parse_date(row.get("date", ""))
        if day is None:
            errors.append(RowError(number, "date", "date de validité invalide (JJ/MM/AAAA)"))
            continue
        if (nir, day) in seen:
            errors.append(RowError(number, "nir", "taux en double pour ce NIR à cette date"))
            continue
        seen.add((nir, day))
        rates.append(TaxRate(region=region, nir=nir, rate=rate, valid_from=day))
    if errors:
        return 0, errors
    TaxRate.objects.bulk_create(
        rates,
        update_conflicts=True,
        unique_fields=["region", "nir_hash", "valid_from"],
        update_fields=["nir", "rate", "imported_at"],
    )
    return len(rates), []


@transaction.atomic
def set_bank_details(dossier, *, holder, iban, bic) -> None:
    dossier.account_holder, dossier.iban, dossier.bic = holder, iban, bic
    dossier.bank_details_rejected = False
    dossier.save(
        update_fields=["account_holder", "iban", "bic", "bank_details_rejected", "updated_at"]
    )
