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
