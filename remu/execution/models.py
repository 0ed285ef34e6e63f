"""The execution of a training action by its provider (seed 003 §3): dates and periods locked
once confirmed, the registration record of each trainee (« fiche d'entrée »), the trainers,
opening and closure, and the exit / 6-month / 1-year surveys. Every state change writes an
`ExecutionEvent` (who, when, from, to, why)."""

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone

from remu.core.models import scoped

ActionScoped = scoped(provider_lookup="action__provider", region_lookup="action__region")
EnrollmentScoped = scoped(
    provider_lookup="enrollment__action__provider", region_lookup="enrollment__action__region"
)


class ActionExecution(models.Model):
    """The execution state of one action (one row per action, created on first use)."""

    class Frequency(models.TextChoices):
        MONTHLY = "monthly", "Mensuel"
        THREE_INSTALMENTS = "three_instalments", "Trois acomptes"

    class Opening(models.TextChoices):
        UNDECIDED = "", "Non renseignée"
        OPENED = "opened", "Ouverte"
        NOT_OPENED = "not_opened", "Non ouverte"

    action = models.OneToOneField(
        "actions.TrainingAction", on_delete=models.CASCADE, related_name="execution"
    )
    dates_locked = models.BooleanField("dates et périodes confirmées", default=False)
    registrations_reopened = models.BooleanField(
        "fiches d'entrée rouvertes par la Région", default=False
    )
    opening = models.CharField(
        "ouverture", max_length=12, choices=Opening.choices, blank=True, default=""
    )
    payment_frequency = models.CharField(
        "fréquence de paiement", max_length=20, choices=Frequency.choices, blank=True
    )
    # The region's thresholds (percent realised) in force at the opening, for three instalments.
    instalment_thresholds = models.JSONField("seuils des acomptes (%)", default=list, blank=True)
    opened_at = models.DateTimeField("ouverte le", null=True, blank=True)
    closed_at = models.DateTimeField("clôturée le", null=True, blank=True)

    objects = ActionScoped.as_manager()

    class Meta:
        verbose_name = "exécution de l'action"
        constraints = [
            models.CheckConstraint(
                condition=~Q(opening="opened") | ~Q(payment_frequency=""),
                name="execution_opened_has_frequency",
            ),
        ]

    def __str__(self):
        return f"Exécution de {self.action_id}"


class ExecutionEvent(models.Model):
    """The history of an action's execution: every transition, reopening and report request."""

    class Kind(models.TextChoices):
        DATES_LOCKED = "dates_locked", "Dates et périodes confirmées"
        DATES_REOPENED = "dates_reopened", "Demande de report : dates rouvertes"
        REGISTRATIONS_REOPENED = "registrations_reopened", "Fiches d'entrée rouvertes"
        OPENED = "opened", "Ouverture"
        NOT_OPENED = "not_opened", "Non-ouverture"
        CLOSED = "closed", "Clôture"
        REOPENED = "reopened", "Clôture annulée"
        REGISTERED = "registered", "Stagiaire inscrit"
        UNREGISTERED = "unregistered", "Inscription supprimée"
        EXITED = "exited", "Sortie de formation"
        TRAINER_ADDED = "trainer_added", "Formateur ajouté"
        TRAINER_REMOVED = "trainer_removed", "Formateur retiré"

    action = models.ForeignKey(
        "actions.TrainingAction", on_delete=models.CASCADE, related_name="execution_events"
    )
    kind = models.CharField(max_length=25, choices=Kind.choices)
    from_state = models.CharField("avant", max_length=40, blank=True)
    to_state = models.CharField("après", max_length=40, blank=True)
    reason = models.TextField("motif", blank=True)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True
    )
    at = models.DateTimeField(default=timezone.now)

    objects = ActionScoped.as_manager()

    class Meta:
        ordering = ["-at", "-pk"]
        verbose_name = "événement d'exécution"

    def __str__(self):
        return self.get_kind_display()


class RegistrationRecord(models.Model):
    """The « fiche d'entrée » of one enrollment (seed 003 §3.2): what the remuneration dossier
    does not already hold of the trainee, and the individual path of individualised actions.
    The identity itself (names, birth date, mail address) is the `Trainee`'s, shared with the
    dossiers."""

    class Sex(models.TextChoices):
        FEMALE = "F", "Féminin"
        MALE = "M", "Masculin"

    class PayingBody(models.TextChoices):
        REGION = "region", "La Région"
        FRANCE_TRAVAIL = "france_travail", "France Travail"
        EMPLOYER = "employer", "L'employeur"
        NONE = "none", "Aucun (non rémunéré)"

    class Level(models.TextChoices):
        NONE = "none", "Sans qualification"
        CAP = "3", "Niveau 3 (CAP, BEP)"
        BAC = "4", "Niveau 4 (baccalauréat)"
        BAC2 = "5", "Niveau 5 (bac + 2)"
        HIGHER = "6", "Niveau 6 et plus"

    class Unemployment(models.TextChoices):
        NONE = "none", "Pas de chômage"
        UNDER_6 = "under_6", "Moins de 6 mois"
        FROM_6_TO_12 = "6_12", "De 6 à 12 mois"
        FROM_12_TO_24 = "12_24", "De 12 à 24 mois"
        OVER_24 = "over_24", "Plus de 24 mois"

    class Prescriber(models.TextChoices):
        FRANCE_TRAVAIL = "france_travail", "France Travail"
        MISSION_LOCALE = "mission_locale", "Mission locale"
        CAP_EMPLOI = "cap_emploi", "Cap emploi"
        DEPARTMENT = "department", "Conseil départemental"
        SELF = "self", "Candidature spontanée"
        OTHER = "other", "Autre"

    class Category(models.TextChoices):
        JOB_SEEKER = "job_seeker", "Demandeur d'emploi"
        EMPLOYEE = "employee", "Salarié"
        YOUNG = "young", "Jeune sans emploi de moins de 26 ans"
        INACTIVE = "inactive", "Inactif"
        OTHER = "other", "Autre"

    enrollment = models.OneToOneField(
        "trainees.Enrollment", on_delete=models.CASCADE, related_name="registration"
    )
    sex = models.CharField("sexe", max_length=1, choices=Sex.choices)
    socio_category = models.CharField(
        "catégorie socio-professionnelle", max_length=12, choices=Category.choices, blank=True
    )
    training_address = models.CharField("adresse pendant la formation", max_length=200, blank=True)
    training_postal_code = models.CharField(
        "code postal pendant la formation", max_length=5, blank=True
    )
    training_commune = models.ForeignKey(
        "communes.Commune",
        verbose_name="commune pendant la formation",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    paying_body = models.CharField(
        "organisme chargé de la rémunération", max_length=15, choices=PayingBody.choices
    )
    level_at_entry = models.CharField("niveau à l'entrée", max_length=4, choices=Level.choices)
    unemployment_duration = models.CharField(
        "durée de chômage", max_length=8, choices=Unemployment.choices
    )
    prescriber = models.CharField("prescripteur", max_length=15, choices=Prescriber.choices)
    rsa_beneficiary = models.BooleanField("bénéficiaire du RSA", default=False)
    disabled_worker = models.BooleanField("travailleur handicapé", default=False)
    # The individual path (seed 003 §3.2, tab 2), for individualised actions.
    planned_job = models.CharField("parcours professionnel envisagé", max_length=250, blank=True)
    path_hours_centre = models.PositiveIntegerField("heures en centre", null=True, blank=True)
    path_hours_company = models.PositiveIntegerField("heures en entreprise", null=True, blank=True)
    company_period_count = models.PositiveSmallIntegerField(
        "nombre de périodes en entreprise", null=True, blank=True
    )
    general_modules = models.TextField("modules d'enseignement général", blank=True)
    vocational_modules = models.TextField("modules d'enseignement professionnel", blank=True)
    company_objectives = models.TextField("objectifs des périodes en entreprise", blank=True)
    training_objectives = models.TextField("objectifs de formation définis", blank=True)
    vae_considered = models.BooleanField("recours à une VAE envisagé", null=True, blank=True)
    path_start = models.DateField("début prévu du parcours", null=True, blank=True)
    path_end = models.DateField("fin prévue du parcours", null=True, blank=True)
    # Denormalised from the action, so that the database refuses a second row past the count:
    # each registration takes a seat number, unique per action and within the headcount.
    action = models.ForeignKey(
        "actions.TrainingAction", on_delete=models.CASCADE, related_name="registrations"
    )
    seat = models.PositiveSmallIntegerField("place")
    seats = models.PositiveSmallIntegerField("places de l'action")
    paid_seat = models.PositiveSmallIntegerField("place rémunérée", null=True, blank=True)
    paid_seats = models.PositiveSmallIntegerField("places rémunérées de l'action")

    objects = EnrollmentScoped.as_manager()

    class Meta:
        verbose_name = "fiche d'entrée"
        constraints = [
            models.UniqueConstraint(fields=["action", "seat"], name="registration_one_seat"),
            models.UniqueConstraint(
                fields=["action", "paid_seat"], name="registration_one_paid_seat"
            ),
            models.CheckConstraint(
                condition=Q(seat__gte=1, seat__lte=F("seats")), name="registration_within_headcount"
            ),
            models.CheckConstraint(
                condition=Q(paid_seat__isnull=True)
                | Q(paid_seat__gte=1, paid_seat__lte=F("paid_seats")),
                name="registration_within_paid_headcount",
            ),
            models.CheckConstraint(
                condition=Q(path_end__isnull=True)
                | Q(path_start__isnull=True)
                | Q(path_end__gte=F("path_start")),
                name="registration_path_dates",
            ),
        ]

    def __str__(self):
        return f"Fiche d'entrée {self.enrollment_id}"

    @property
    def is_paid(self) -> bool:
        return self.paying_body == self.PayingBody.REGION


class PathPeriod(models.Model):
    """A centre or company period of one trainee's individual path (seed 003 §3.2, tab 2)."""

    record = models.ForeignKey(RegistrationRecord, on_delete=models.CASCADE, related_name="periods")
    place = models.CharField(
        "lieu", max_length=10, choices=[("centre", "En centre"), ("company", "En entreprise")]
    )
    start_date = models.DateField("début")
    end_date = models.DateField("fin")

    class Meta:
        ordering = ["start_date", "place"]
        verbose_name = "période du parcours"
        constraints = [
            models.CheckConstraint(
                condition=Q(end_date__gte=F("start_date")), name="path_period_dates"
            )
        ]

    def __str__(self):
        return (
            f"{self.get_place_display()} du {self.start_date:%d/%m/%Y} au {self.end_date:%d/%m/%Y}"
        )


class Trainer(models.Model):
    """A trainer of the action (seed 003 §3.3); removing keeps the row (the history)."""

    class Status(models.TextChoices):
        CDI = "cdi", "CDI"
        CDD = "cdd", "CDD"
        FREELANCE = "vacataire", "Vacataire"
        OTHER = "other", "Autre"

    action = models.ForeignKey(
        "actions.TrainingAction", on_delete=models.CASCADE, related_name="trainers"
    )
    last_name = models.CharField("nom", max_length=100)
    first_name = models.CharField("prénom", max_length=100)
    field = models.CharField("domaine d'intervention", max_length=200)
    hours = models.DecimalField("heures assurées", max_digits=7, decimal_places=2, default=0)
    status = models.CharField("statut", max_length=10, choices=Status.choices)
    background = models.TextField("formation et expérience professionnelle", max_length=2000)
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True
    )
    added_at = models.DateTimeField(default=timezone.now)
    removed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    removed_at = models.DateTimeField(null=True, blank=True)

    objects = ActionScoped.as_manager()

    class Meta:
        ordering = ["last_name", "first_name", "pk"]
        verbose_name = "formateur"
        constraints = [
            models.CheckConstraint(
                condition=Q(hours__gte=0, hours__lte=100000), name="trainer_hours_range"
            )
        ]

    def __str__(self):
        return f"{self.last_name.upper()} {self.first_name}"


class Survey(models.Model):
    """A trainee's situation at exit, 6 months and 1 year after it (seed 003 §3.7.2)."""

    class Kind(models.TextChoices):
        EXIT = "exit", "À la sortie"
        SIX_MONTHS = "6m", "À 6 mois"
        ONE_YEAR = "1y", "À 1 an"

    class Outcome(models.TextChoices):
        SECTOR_JOB = "sector_job", "Emploi dans le secteur d'activité de la formation suivie"
        OTHER_JOB = "other_job", "Emploi dans un autre secteur"
        OTHER = "other", "Autre situation"

    class Contract(models.TextChoices):
        NONE = "", "—"
        CDI = "cdi", "CDI"
        CDD_LONG = "cdd_long", "CDD de 6 mois et plus"
        CDD_SHORT = "cdd_short", "CDD de moins de 6 mois"
        AIDED = "aided", "Contrat aidé"
        TEMPORARY = "temporary", "Intérim"
        OTHER = "other", "Autre contrat"

    enrollment = models.ForeignKey(
        "trainees.Enrollment", on_delete=models.CASCADE, related_name="surveys"
    )
    kind = models.CharField("enquête", max_length=4, choices=Kind.choices)
    outcome = models.CharField("situation", max_length=12, choices=Outcome.choices)
    contract = models.CharField(
        "contrat", max_length=10, choices=Contract.choices, blank=True, default=""
    )
    filled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True
    )
    filled_at = models.DateTimeField(default=timezone.now)

    objects = EnrollmentScoped.as_manager()

    class Meta:
        verbose_name = "enquête de suivi"
        constraints = [
            models.UniqueConstraint(fields=["enrollment", "kind"], name="one_survey_per_kind"),
            models.CheckConstraint(
                condition=Q(outcome="other", contract="") | ~Q(outcome="other"),
                name="survey_contract_only_with_job",
            ),
        ]

    def __str__(self):
        return self.get_kind_display()
