from django.db import models
from django.db.models import F, Q
from simple_history.models import HistoricalRecords

from remu.communes.models import AddressFields
from remu.core.fields import EncryptedCharField, LookupHashField
from remu.core.models import TimestampedModel, scoped

from .validators import validate_nir

# Providers see the trainees enrolled in their actions; agents their region's.
TraineeQuerySet = scoped(provider_lookup="enrollments__action__provider", distinct=True)


class Trainee(AddressFields, TimestampedModel):
    """A person in training (stagiaire)."""

    class Civility(models.TextChoices):
        MR = "M", "Monsieur"
        MRS = "MME", "Madame"

    region = models.ForeignKey(
        "referential.Region", on_delete=models.PROTECT, related_name="trainees"
    )
    civility = models.CharField("civilité", max_length=3, choices=Civility.choices)
    birth_name = models.CharField("nom de naissance", max_length=100)
    usage_name = models.CharField("nom d'usage", max_length=100, blank=True)
    first_names = models.CharField("prénoms", max_length=150)
    birth_date = models.DateField("date de naissance")
    birth_commune = models.ForeignKey(
        "communes.Commune",
        verbose_name="commune de naissance",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    birth_place = models.CharField("lieu de naissance (à l'étranger)", max_length=120, blank=True)
    birth_country = models.CharField("pays de naissance", max_length=2, default="FR")
    nationality = models.CharField("nationalité", max_length=2, default="FR")
    # Encrypted at rest (remu.core.fields); found and kept unique by its keyed hash.
    nir = EncryptedCharField(
        "numéro de sécurité sociale", max_length=15, blank=True, validators=[validate_nir]
    )
    nir_hash = LookupHashField(source="nir")
    email = models.EmailField("courriel", blank=True)
    # The trainee's own login (issue 15, « Mon espace »): set when access codes are issued.
    user = models.OneToOneField(
        "accounts.User",
        verbose_name="compte de connexion",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="trainee",
    )
    phone = models.CharField("téléphone", max_length=30, blank=True)
    # Set when the retention period ran out and the personal data was erased (RULES.md §2
    # « Retention »; `manage.py anonymise_expired`): the row stays for the accounting.
    anonymised_at = models.DateTimeField("anonymisé le", null=True, blank=True, editable=False)

    objects = TraineeQuerySet.as_manager()
    # Who changed the identity, when, from what (the NIR stays encrypted in the history).
    history = HistoricalRecords(
        excluded_fields=["created_at", "updated_at", "anonymised_at", "user"]
    )

    class Meta:
        ordering = ["birth_name", "first_names"]
        verbose_name = "stagiaire"
        constraints = [
            models.UniqueConstraint(
                fields=["region", "nir_hash"],
                condition=~Q(nir_hash=""),
                name="unique_trainee_nir",
            ),
        ]

    def __str__(self):
        return self.full_name

    @property
    def last_name(self) -> str:
        return self.usage_name or self.birth_name

    @property
    def full_name(self) -> str:
        return self.name_of(self.birth_name, self.usage_name, self.first_names)

    @staticmethod
    def name_of(birth_name: str, usage_name: str, first_names: str) -> str:
        """The name as shown everywhere, from the columns (for reads that load no model)."""
        return f"{(usage_name or birth_name).upper()} {first_names}"


EnrollmentQuerySet = scoped(provider_lookup="action__provider", region_lookup="action__region")


class Enrollment(TimestampedModel):
    """A trainee in a training action (inscription), from entry to exit."""

    class Status(models.TextChoices):
        ACTIVE = "active", "En formation"
        WITHDRAWAL_DECLARED = "withdrawal_declared", "Abandon déclaré"
        EXITED = "exited", "Sorti"
        COMPLETED = "completed", "Formation terminée"

    trainee = models.ForeignKey(Trainee, on_delete=models.PROTECT, related_name="enrollments")
    action = models.ForeignKey(
        "actions.TrainingAction", on_delete=models.PROTECT, related_name="enrollments"
    )
    entry_date = models.DateField("date d'entrée")
    exit_date = models.DateField("date de sortie", null=True, blank=True)
    status = models.CharField(
        "statut", max_length=20, choices=Status.choices, default=Status.ACTIVE
    )

    objects = EnrollmentQuerySet.as_manager()

    class Meta:
        ordering = ["trainee__birth_name", "trainee__first_names"]
        verbose_name = "inscription"
        indexes = [
            # the exited trainees (follow-up surveys due on the homes): never the active ones
            models.Index(
                fields=["exit_date"], condition=Q(exit_date__isnull=False), name="enrollment_exited"
            ),
            # the trainees in training (the agents' dashboard counts the region's: an index-only
            # scan, not the enrollments' table)
            models.Index(
                fields=["action"], condition=Q(status="active"), name="enrollment_active_by_action"
            ),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["trainee", "action", "entry_date"], name="unique_enrollment_entry"
            ),
            models.CheckConstraint(
                condition=Q(exit_date__isnull=True) | Q(exit_date__gte=F("entry_date")),
                name="enrollment_dates_ordered",
            ),
        ]

    def __str__(self):
        return f"{self.trainee} dans {self.action.number}"
