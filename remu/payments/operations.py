"""What happens to ordered lines afterwards: SEPA credit-transfer files (marking lines sent),
the paymaster's return file (paid / rejected), personalised tax rates, bank details."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from sepaxml import SepaTransfer
from stdnum.fr import nir as stdnum_nir

from remu.core.tabular import RowError, parse_date, parse_decimal, read_rows

from .duties import check_sepa_export
from .models import Payment, PaymentRun, SepaFile, TaxRate

PAID_WORDS = {"PAYE", "PAYÉ", "PAID", "P"}
REJECTED_WORDS = {"REJETE", "REJETÉ", "REJECTED", "R"}


@transaction.atomic
def export_sepa(run, user) -> SepaFile:
    """A pain.001.001.03 file (validated against its schema) of the run's pending lines, which
    become « sent »; lines whose net is nil (offset in full) are settled without a transfer."""
    region = run.region
    if not (region.sepa_debtor_name and region.sepa_debtor_iban):
        raise ValidationError("Renseignez le compte payeur de la Région (titulaire et IBAN).")
    check_sepa_export(run, user)
    # The run's row is locked: of two simultaneous exports, the second sees the first's file.
    PaymentRun.objects.select_for_update().filter(pk=run.pk).first()
    pending = list(run.payments.select_for_update().filter(status=Payment.Status.PENDING))
    transfers = [p for p in pending if p.net > 0]
    if not transfers and (done := run.sepa_files.select_related("created_by").first()):
        raise ValidationError(
            f"Le fichier SEPA de cette série a déjà été créé par {done.created_by} le "
            f"{timezone.localtime(done.created_at):%d/%m/%Y à %H:%M}."
        )
    if not transfers:
        raise ValidationError("Aucune ligne en attente à transmettre pour cette série.")
    config = {
        "name": region.sepa_debtor_name,
        "IBAN": region.sepa_debtor_iban,
        "currency": "EUR",
        "batch": True,
    }
    if region.sepa_debtor_bic:
        config["BIC"] = region.sepa_debtor_bic
    sepa = SepaTransfer(config, schema="pain.001.001.03", clean=True)
    execution = timezone.localdate() + dt.timedelta(days=1)
    for payment in transfers:
        entry = {
            "name": payment.account_holder[:70],
            "IBAN": payment.iban,
            "amount": int(payment.net * 100),
            "execution_date": execution,
            "description": payment.label[:140],
            "endtoend_id": payment.reference,
        }
        if payment.bic:
            entry["BIC"] = payment.bic
        sepa.add_payment(entry)
    xml = sepa.export(validate=True)
    now = timezone.now()
    run.payments.filter(pk__in=[p.pk for p in transfers]).update(status="sent", sent_at=now)
    run.payments.filter(pk__in=[p.pk for p in pending if p.net == 0]).update(
        status="paid", sent_at=now, paid_on=timezone.localdate(), mandate_number="COMPENSATION"
    )
    return SepaFile.objects.create(
        run=run,
        created_by=user,
        message_id=uuid.uuid4().hex[:35],
        content=xml,
        count=len(transfers),
        total=sum((p.net for p in transfers), Decimal(0)),
    )


@transaction.atomic
def import_returns(region, upload) -> tuple[int, list[RowError]]:
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
        for payment, paid, day, mandate in updates:
            if paid:
                payment.status, payment.paid_on, payment.mandate_number = "paid", day, mandate
            else:
                payment.status, payment.rejected_on = "rejected", day
                payment.dossier.bank_details_rejected = True
                payment.dossier.save(update_fields=["bank_details_rejected", "updated_at"])
            payment.save(update_fields=["status", "paid_on", "rejected_on", "mandate_number"])
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
