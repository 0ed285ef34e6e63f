"""The access log of sensitive data (RGPD, CNIL rules on the NIR): who viewed a dossier,
printed it, downloaded a document, exported a list with NIRs or IBANs, and when. Written by an
explicit call of the views that show such data (`audit.services.record`); read by the region's
rules administrators; kept for the region's period (`access_log_months`), then purged."""

from django.conf import settings
from django.db import models
from django.utils import timezone

from remu.core.models import scoped


class AccessEvent(models.Model):
    class Kind(models.TextChoices):
        DOSSIER_VIEWED = "dossier", "Dossier consulté"
        DOSSIER_PRINTED = "print", "Dossier imprimé (PDF)"
        DOCUMENT = "document", "Pièce téléchargée"
        TRAINEE_VIEWED = "trainee", "Fiche stagiaire consultée"
        EXPORT = "export", "Export de données personnelles"
        SEPA = "sepa", "Fichier SEPA téléchargé (IBAN)"

    region = models.ForeignKey(
        "referential.Region", on_delete=models.CASCADE, related_name="access_events"
    )
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(default=timezone.now)
    kind = models.CharField(max_length=10, choices=Kind.choices)
    # What was seen, by its number (never a NIR, an IBAN or a name).
    label = models.CharField(max_length=200)
    # The trainee whose data it was (their page, dossier, pieces, entry form, RIB change), for
    # the trainee's page: an id, not a key (the log outlives a trainee the retention deletes).
    about_trainee = models.BigIntegerField("stagiaire concerné", null=True, blank=True)

    objects = scoped(region_lookup="region", agents_only=True).as_manager()

    class Meta:
        ordering = ["-at", "-pk"]
        indexes = [
            models.Index(fields=["region", "-at"], name="access_event_region_at"),
            models.Index(
                fields=["about_trainee", "-at"],
                name="access_event_trainee_at",
                condition=models.Q(about_trainee__isnull=False),
            ),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} – {self.label}"
