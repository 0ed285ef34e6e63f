from django.db import models
from django.utils import timezone


class AddressFields(models.Model):
    """A French postal address; the commune comes from the postal-code lookup."""

    address_line1 = models.CharField("adresse", max_length=200, blank=True)
    address_line2 = models.CharField("complément d'adresse", max_length=200, blank=True)
    postal_code = models.CharField("code postal", max_length=5, blank=True)
    commune = models.ForeignKey(
        "communes.Commune",
        verbose_name="commune",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        abstract = True

    @property
    def address_lines(self) -> list[str]:
        city = f"{self.postal_code} {self.commune.name}" if self.commune_id else self.postal_code
        return [line for line in (self.address_line1, self.address_line2, city.strip()) if line]


class TimestampedModel(models.Model):
    created_at = models.DateTimeField("créé le", default=timezone.now, editable=False)
    updated_at = models.DateTimeField("modifié le", auto_now=True)

    class Meta:
        abstract = True
