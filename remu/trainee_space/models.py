"""The trainee's own space (issue 15): bank-details changes the trainee submits (applied only
once an agent of the region validates them) and the trainee's e-mail preferences."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from remu.core.fields import EncryptedCharField
from remu.core.models import scoped


def rib_path(instance, filename):
    # A random name: the original name is kept in the row, never used on disk.
    import uuid

    return f"bank_changes/{instance.trainee_id}/{uuid.uuid4().hex}"


class BankDetailsChange(models.Model):
    """A new RIB the trainee submitted from their space: pending until an agent of the region
    validates it (then written on the trainee's admitted RS1 dossiers, which the payment runs
    read) or rejects it. Never applied directly."""

    class Status(models.TextChoices):
        PENDING = "pending", "En attente de validation"
        VALIDATED = "validated", "Validé"
        REJECTED = "rejected", "Refusé"

    region = models.ForeignKey("referential.Region", on_delete=models.PROTECT, related_name="+")
    trainee = models.ForeignKey(
        "trainees.Trainee", on_delete=models.PROTECT, related_name="bank_changes"
    )
    account_holder = models.CharField("titulaire du compte", max_length=120)
    iban = EncryptedCharField("IBAN", max_length=34)  # encrypted at rest (docs: Data protection)
    bic = models.CharField("BIC", max_length=11, blank=True)
    document = models.FileField(upload_to=rib_path)
    document_name = models.CharField(max_length=255)
    document_type = models.CharField(max_length=50)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    created_at = models.DateTimeField("demandé le", default=timezone.now)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_reason = models.CharField("motif du refus", max_length=250, blank=True)

    objects = scoped(agents_only=True).as_manager()

    class Meta:
        ordering = ["created_at", "pk"]
        verbose_name = "changement de coordonnées bancaires"
        constraints = [
            models.UniqueConstraint(
                fields=["trainee"],
                condition=Q(status="pending"),
                name="one_pending_bank_change_per_trainee",
            ),
            models.CheckConstraint(
                condition=~Q(status="rejected") | ~Q(decision_reason=""),
                name="rejected_bank_change_has_reason",
            ),
            models.CheckConstraint(
                condition=Q(status="pending")
                | Q(decided_by__isnull=False, decided_at__isnull=False),
                name="decided_bank_change_has_author",
            ),
        ]

    def __str__(self):
        return f"Changement de RIB n° {self.pk} ({self.get_status_display()})"


class BankDetailsChangeTransition(models.Model):
    """The history of a bank-details change: who, when, from, to, why."""

    change = models.ForeignKey(
        BankDetailsChange, on_delete=models.CASCADE, related_name="transitions"
    )
    from_status = models.CharField(max_length=10, blank=True)
    to_status = models.CharField(max_length=10)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(default=timezone.now)
    reason = models.CharField(max_length=250, blank=True)

    class Meta:
        ordering = ["at", "pk"]

    def __str__(self):
        return f"{self.from_status or '—'} → {self.to_status}"

    @property
    def to_label(self) -> str:
        return BankDetailsChange.Status(self.to_status).label


class NotificationPreferences(models.Model):
    """Which e-mails the trainee wants; every one is on until the trainee turns it off (no row:
    all on)."""

    trainee = models.OneToOneField(
        "trainees.Trainee", on_delete=models.CASCADE, related_name="notification_preferences"
    )
    payment_sent = models.BooleanField("Un paiement m'est envoyé", default=True)
    document_requested = models.BooleanField("Une pièce m'est demandée", default=True)
    overpayment_notified = models.BooleanField("Un trop-perçu (indu) m'est notifié", default=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "préférences de notification"

    def __str__(self):
        return f"Préférences du stagiaire n° {self.trainee_id}"
