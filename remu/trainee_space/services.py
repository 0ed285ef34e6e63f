"""What the trainee's space writes: documents the region asked for, waiver requests, bank-details
changes (submitted by the trainee, decided by an agent of the region), e-mail preferences."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from schwifty import IBAN
from schwifty.exceptions import SchwiftyException

from remu.dossiers import services as dossier_services
from remu.dossiers.models import DocumentRequest, Dossier
from remu.overpayments import services as overpayment_services
from remu.payments import operations
from remu.payments.adjustments import checked_document
from remu.trainees.models import Trainee

from .models import BankDetailsChange, BankDetailsChangeTransition, NotificationPreferences

S = BankDetailsChange.Status


def upload_requested(request_: DocumentRequest, uploaded, user):
    """The trainee sends a piece the region asked for: checked by its content by the dossiers'
    own upload service (which also marks the request fulfilled)."""
    return dossier_services.upload(request_.dossier, request_.doc_type, uploaded, user)


def request_waiver(overpayment, *, requested_amount, reasons, situation, user):
    """A waiver request sent from the trainee's space: received today, on the agents' agenda."""
    return overpayment_services.request_waiver(
        overpayment,
        received_on=timezone.localdate(),
        requested_amount=requested_amount,
        reasons=reasons,
        situation=situation,
        user=user,
    )


def save_preferences(trainee: Trainee, **flags) -> NotificationPreferences:
    preferences, _ = NotificationPreferences.objects.update_or_create(
        trainee=trainee, defaults=flags
    )
    return preferences


# --- bank-details changes ------------------------------------------------------------------


def _log(change: BankDetailsChange, from_status: str, user, reason: str = "") -> None:
    BankDetailsChangeTransition.objects.create(
        change=change, from_status=from_status, to_status=change.status, by=user, reason=reason
    )


@transaction.atomic
def submit_bank_change(trainee: Trainee, user, *, holder: str, iban: str, bic: str, document):
    """The trainee's new RIB, pending an agent's validation (nothing is applied now)."""
    # The trainee's row is locked: two simultaneous submissions make one pending change.
    Trainee.objects.select_for_update().filter(pk=trainee.pk).first()
    if BankDetailsChange.objects.filter(trainee=trainee, status=S.PENDING).exists():
        raise ValidationError(
            "Un changement de coordonnées bancaires est déjà en attente de validation par la "
            "Région."
        )
    try:
        iban = IBAN(iban).compact  # the form's IbanField checked it too (schwifty)
    except SchwiftyException as exc:
        raise ValidationError(
            {"iban": "IBAN invalide. Vérifiez le pays, la longueur et la clé."}
        ) from exc
    if document is None:
        raise ValidationError({"document": "Joignez votre RIB."})
    content_type = checked_document(document)
    change = BankDetailsChange(
        region=trainee.region,
        trainee=trainee,
        account_holder=holder.strip(),
        iban=iban,
        bic=(bic or "").strip().upper(),
        document_name=document.name[:255],
        document_type=content_type,
    )
    change.document.save("upload", document, save=False)
    change.save()
    _log(change, "", user, "Demande du stagiaire depuis son espace.")
    return change


def _lock(change: BankDetailsChange, user) -> BankDetailsChange:
    locked = BankDetailsChange.objects.select_for_update().get(pk=change.pk)
    if locked.status != S.PENDING:
        who = locked.decided_by or "un autre agent"
        when = timezone.localtime(locked.decided_at) if locked.decided_at else None
        raise ValidationError(
            f"Ce changement a déjà été {locked.get_status_display().lower()} par {who}"
            + (f" le {when:%d/%m/%Y à %H:%M}." if when else ".")
        )
    return locked


def dossiers_to_update(trainee: Trainee):
    """The RS1 dossiers whose bank details the payment runs read: instructed or admitted."""
    return Dossier.objects.filter(
        enrollment__trainee=trainee,
        kind=Dossier.Kind.RS1,
        status__in=(Dossier.Status.SUBMITTED, Dossier.Status.RECEIVED, Dossier.Status.ADMITTED),
    )


@transaction.atomic
def validate_bank_change(change: BankDetailsChange, user) -> int:
    """An agent of the region validates the new RIB: it is written on the trainee's RS1
    dossiers (through the payments' own service), so the next run pays to it. Returns how
    many dossiers changed."""
    change = _lock(change, user)
    if user.pk == change.trainee.user_id:
        raise ValidationError("Le stagiaire ne valide pas lui-même son changement.")
    count = 0
    for dossier in dossiers_to_update(change.trainee).select_for_update():
        operations.set_bank_details(
            dossier, holder=change.account_holder, iban=change.iban, bic=change.bic
        )
        count += 1
    if not count:
        raise ValidationError(
            "Le stagiaire n'a aucun dossier RS1 instruit ou admis : rien à mettre à jour."
        )
    change.status, change.decided_by, change.decided_at = S.VALIDATED, user, timezone.now()
    change.save(update_fields=["status", "decided_by", "decided_at"])
    _log(change, S.PENDING, user, f"Appliqué à {count} dossier(s).")
    return count


@transaction.atomic
def reject_bank_change(change: BankDetailsChange, user, *, reason: str) -> None:
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": "Indiquez le motif du refus."})
    change = _lock(change, user)
    change.status, change.decided_by, change.decided_at = S.REJECTED, user, timezone.now()
    change.decision_reason = reason[:250]
    change.save(update_fields=["status", "decided_by", "decided_at", "decision_reason"])
    _log(change, S.PENDING, user, reason[:250])
