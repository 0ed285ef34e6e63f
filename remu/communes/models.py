from django.db import models


class Commune(models.Model):
    """A current French commune (or municipal district), overseas included, from the INSEE COG."""

    insee_code = models.CharField("code INSEE", max_length=5, unique=True)
    name = models.CharField("nom", max_length=120)
    department_code = models.CharField("département", max_length=3, db_index=True)

    class Meta:
        ordering = ["name", "insee_code"]
        verbose_name = "commune"

    def __str__(self):
        return f"{self.name} ({self.insee_code})"


class PostalCode(models.Model):
    """One postal code served to one commune; a code may serve several communes and vice versa."""

    code = models.CharField("code postal", max_length=5, db_index=True)
    commune = models.ForeignKey(Commune, on_delete=models.CASCADE, related_name="postal_codes")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["code", "commune"], name="unique_postal_code_commune")
        ]
        ordering = ["code"]

    def __str__(self):
        return f"{self.code} {self.commune.name}"


class AddressFields(models.Model):
    """A French postal address; the commune comes from the postal-code lookup."""

    address_line1 = models.CharField("adresse", max_length=200, blank=True)
    address_line2 = models.CharField("complément d'adresse", max_length=200, blank=True)
    postal_code = models.CharField("code postal", max_length=5, blank=True)
    commune = models.ForeignKey(
        Commune,
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
