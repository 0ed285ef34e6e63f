from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from remu.core.models import scoped


class ScaleVersion(models.Model):
    """A dated version of a region's rate scale entered in the application by a rules
    administrator. It takes precedence over the YAML parameter files from its date; the data
    has the same shape as a YAML version (`remu.rules.parameters.version_to_raw`)."""

    region = models.ForeignKey(
        "referential.Region", on_delete=models.PROTECT, related_name="scale_versions"
    )
    start = models.DateField("en vigueur au")
    label = models.CharField("libellé", max_length=200)
    age_bands = models.JSONField("tranches d'âge")
    amounts = models.JSONField("montants")
    coefficient = models.DecimalField(
        "coefficient de revalorisation", max_digits=6, decimal_places=4, null=True, blank=True
    )
    derived_from = models.DateField("version revalorisée", null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    objects = scoped(agents_only=True).as_manager()

    class Meta:
        ordering = ["region", "start"]
        constraints = [
            models.UniqueConstraint(
                fields=["region", "start"],
                name="unique_scale_version_start",
                violation_error_message="Une version existe déjà à cette date pour la région.",
            ),
            models.CheckConstraint(condition=Q(start__day=1), name="scale_version_first_of_month"),
            models.CheckConstraint(
                condition=Q(coefficient__isnull=True) | Q(coefficient__gt=0),
                name="scale_version_coefficient_positive",
            ),
        ]

    def __str__(self):
        return f"{self.label} ({self.start:%d/%m/%Y})"
