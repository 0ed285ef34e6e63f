"""Remuneration dossiers (CERFA RS1, P2S, RS2), their supporting documents and their history."""

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from simple_history import register

from remu.core.fields import EncryptedCharField
from remu.core.models import scoped
from remu.rules.parameters import CATEGORIES

DossierQuerySet = scoped(provider_lookup="action__provider")  # agents: their region's


class Dossier(models.Model):
    class Kind(models.TextChoices):
        RS1 = "RS1", "RS1 – rémunération et protection sociale"
        P2S = "P2S", "P2S – protection sociale seule"
        RS2 = "RS2", "RS2 – frais de transport réels"

    class Status(models.TextChoices):
        DRAFT = "draft", "Brouillon"
        SUBMITTED = "submitted", "Pré-saisi"
        RECEIVED = "received", "Reçu"
        ADMITTED = "admitted", "Admis"
        REJECTED = "rejected", "Rejeté"

    class Resignation(models.TextChoices):
        PERMANENT_FULL_TIME = "permanent_full_time", "Démission d'un CDI à temps plein"
        OTHER = "other", "Autre démission (CDD, temps partiel…)"

    class Benefit(models.TextChoices):
        NONE = "none", "Aucune"
        ARE = "ARE", "ARE – allocation chômage de France Travail"
        ASS = "ASS", "ASS – allocation de solidarité spécifique"
        RSA = "RSA", "RSA – revenu de solidarité active"

    class Regime(models.TextChoices):
        GENERAL = "general", "Régime général"
        AGRICULTURAL = "agricultural", "Régime agricole (MSA)"
        INDEPENDENT = "independent", "Travailleurs indépendants"
        OTHER = "other", "Autre régime spécial"

    region = models.ForeignKey("referential.Region", on_delete=models.PROTECT, related_name="+")
    action = models.ForeignKey(
        "actions.TrainingAction", on_delete=models.PROTECT, related_name="dossiers"
    )
    enrollment = models.ForeignKey(
        "trainees.Enrollment", on_delete=models.PROTECT, related_name="dossiers"
    )
    kind = models.CharField("type de dossier", max_length=3, choices=Kind.choices)
    status = models.CharField("statut", max_length=10, choices=Status.choices, default=Status.DRAFT)
    number = models.CharField("numéro de dossier", max_length=30, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    # Banner
    real_start = models.DateField("date réelle de début", null=True, blank=True)
    real_end = models.DateField("date réelle de fin", null=True, blank=True)
    weekly_hours = models.DecimalField(
        "durée hebdomadaire (heures)", max_digits=4, decimal_places=2, null=True, blank=True
    )
    reception_date = models.DateField("date de réception", null=True, blank=True)

    # Situation at entry
    job_seeker = models.BooleanField("demandeur d'emploi", default=True)
    registered_france_travail = models.BooleanField("inscrit à France Travail", default=False)
    france_travail_id = models.CharField("identifiant France Travail", max_length=20, blank=True)
    # Who pays the trainee during the training (seed 001 §3.1, §3.2, §3.5): a trainee on ARE is
    # paid by France Travail (AREF), not by the Region, until the ARE ends (relay, §3.5.2).
    france_travail_benefit = models.CharField(
        "allocation perçue à l'entrée",
        max_length=4,
        choices=Benefit.choices,
        default=Benefit.NONE,
    )
    are_end_date = models.DateField("fin des droits ARE le", null=True, blank=True)
    particular_category = models.BooleanField(
        "demandeur d'emploi d'une catégorie particulière", default=False
    )
    non_salaried = models.BooleanField("travailleur non salarié", default=False)
    non_salaried_from = models.DateField("activité non salariée du", null=True, blank=True)
    non_salaried_to = models.DateField("au", null=True, blank=True)
    disabled_worker = models.BooleanField("travailleur handicapé (RQTH)", default=False)
    rqth_valid_until = models.DateField("RQTH valable jusqu'au", null=True, blank=True)
    # Seed 001 §3.1.1: a disabled worker on ARE may keep it or choose the regional pay.
    disabled_chooses_regional_pay = models.BooleanField(
        "travailleur handicapé : choisit la rémunération de la Région plutôt que l'ARE",
        default=False,
    )
    youth_guarantee = models.BooleanField("bénéficiaire de la Garantie jeunes", default=False)
    detainee = models.BooleanField("personne détenue (formation en milieu fermé)", default=False)
    salaried_hours_12_months = models.PositiveIntegerField(
        "heures salariées sur les 12 derniers mois", null=True, blank=True
    )
    salaried_months_12 = models.PositiveSmallIntegerField(
        "mois salariés sur les 12 derniers mois", null=True, blank=True
    )
    salaried_months_24 = models.PositiveSmallIntegerField(
        "mois salariés sur les 24 derniers mois", null=True, blank=True
    )
    last_monthly_salary = models.DecimalField(
        "dernier salaire mensuel brut (€)", max_digits=8, decimal_places=2, null=True, blank=True
    )
    children = models.PositiveSmallIntegerField("enfants (à charge ou non)", default=0)
    single_parent = models.BooleanField("parent isolé", default=False)
    pregnant = models.BooleanField("femme seule enceinte", default=False)
    separated_since = models.DateField("veuf, divorcé ou séparé depuis le", null=True, blank=True)

    # Special publics (seed 001 §3.5.3 and §3.6, seed 004): facts that restrict the paid span,
    # given to the engine (`special.py`).
    resignation = models.CharField(
        "démission du dernier emploi", max_length=20, choices=Resignation.choices, blank=True
    )
    contract_end_date = models.DateField("date réelle de fin du contrat", null=True, blank=True)
    residence_permit_until = models.DateField(
        "titre de séjour valable jusqu'au", null=True, blank=True
    )

    # Social protection
    regime = models.CharField(
        "régime de protection sociale", max_length=15, choices=Regime.choices, blank=True
    )
    affiliation_centre = models.CharField("centre d'affiliation", max_length=120, blank=True)

    # Payment: bank transfer only; bank details entered by agents at reception
    account_holder = models.CharField("titulaire du compte", max_length=120, blank=True)
    iban = EncryptedCharField("IBAN", max_length=34, blank=True)  # encrypted at rest
    bic = models.CharField("BIC", max_length=11, blank=True)
    # Set when the paymaster rejects a transfer: no new order until an agent fixes the details.
    bank_details_rejected = models.BooleanField("coordonnées bancaires rejetées", default=False)

    # Decision
    rate_category = models.CharField(
        "catégorie de rémunération",
        max_length=25,
        choices=[(code, label.capitalize()) for code, label in CATEGORIES.items()],
        blank=True,
    )
    proposed_category = models.CharField(max_length=25, blank=True)
    category_reason = models.TextField("motif du choix de catégorie", blank=True)
    decision_reason = models.TextField("motif de la décision", blank=True)
    # Admitted at the region's minimum category while annexes are missing (seed 001 §2.2);
    # « confirmer l'admission » sets the final category, and the next run regularises.
    provisional = models.BooleanField("admission provisoire au taux minimum", default=False)
    # Deadlines (`deadlines.py`): handed over after the region's deadline (CVL: 72 h after
    # entry), and the day every required document was accepted (BFC: a dossier incomplete at
    # the exit is not paid).
    submitted_late = models.BooleanField("transmis après le délai", default=False)
    complete_on = models.DateField("dossier complet le", null=True, blank=True)
    # Set at admission for a trainee on ARE: the Region pays from this day (the day after the
    # ARE ends); null: from entry. After the training's end: not paid by the Region at all.
    pay_start = models.DateField("rémunération par la Région à partir du", null=True, blank=True)

    objects = DossierQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        verbose_name = "dossier de rémunération"
        indexes = [
            # the actions with admitted trainees (late statements: a semi-join per action)
            models.Index(
                fields=["action"],
                condition=Q(status="admitted", kind="RS1"),
                name="dossier_admitted_rs1_by_action",
            ),
            # The lists' newest first: a page of 25 read backwards from the index, not sorted
            # out of a big provider's 100,000 dossiers; an agent's by status (« pré-saisis »).
            models.Index(fields=["created_at"], name="dossier_created"),
            # the dossiers whose payment was returned (agents' to-do): a few among many
            models.Index(
                fields=["region"],
                condition=Q(bank_details_rejected=True),
                name="dossier_bank_rejected",
            ),
            models.Index(
                fields=["region", "status", "created_at"], name="dossier_region_status_created"
            ),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["region", "number"], condition=~Q(number=""), name="unique_dossier_number"
            ),
            models.CheckConstraint(
                condition=Q(real_end__isnull=True)
                | Q(real_start__isnull=True)
                | Q(real_end__gte=F("real_start")),
                name="dossier_dates_ordered",
            ),
            models.CheckConstraint(
                condition=Q(weekly_hours__isnull=True) | Q(weekly_hours__gt=0),
                name="dossier_weekly_hours_positive",
            ),
            models.CheckConstraint(
                condition=~Q(status="admitted") | ~Q(rate_category=""),
                name="admitted_dossier_has_category",
            ),
            models.CheckConstraint(
                condition=~Q(france_travail_benefit="ARE")
                | Q(are_end_date__isnull=False)
                | ~Q(status="admitted"),
                name="are_dossier_has_end_date",
            ),
            models.CheckConstraint(
                condition=Q(provisional=False) | Q(status="admitted"),
                name="provisional_dossier_is_admitted",
            ),
            # The ledger is kept per enrollment: one remuneration dossier per enrollment (a new
            # one may follow a rejection).
            models.UniqueConstraint(
                fields=["enrollment"],
                condition=Q(kind="RS1") & ~Q(status="rejected"),
                name="one_rs1_per_enrollment",
            ),
            # The target of the payment lines' composite foreign key (dossier, enrollment,
            # region): one check per line says that the three exist and agree (payments 0016).
            models.UniqueConstraint(
                fields=["id", "enrollment", "region"], name="dossier_enrollment_region"
            ),
        ]

    def __str__(self):
        return self.number or f"Dossier {self.kind} (brouillon)"

    @property
    def trainee(self):
        return self.enrollment.trainee

    @property
    def rsa(self) -> bool:
        return self.france_travail_benefit == self.Benefit.RSA

    @property
    def ass(self) -> bool:
        return self.france_travail_benefit == self.Benefit.ASS

    @property
    def on_are(self) -> bool:
        return self.france_travail_benefit == self.Benefit.ARE

    @property
    def is_editable_by_provider(self) -> bool:
        return self.status == self.Status.DRAFT


# The change history of a dossier's key fields (django-simple-history): who changed the status,
# the bank details (the IBAN stays encrypted there), the category, the dates. Shown to the
# rules administrators (remu.audit); erased with the trainee at the end of retention.
HISTORY_FIELDS = {
    "region",
    "enrollment",
    "kind",
    "status",
    "number",
    "real_start",
    "real_end",
    "weekly_hours",
    "france_travail_benefit",
    "are_end_date",
    "account_holder",
    "iban",
    "bic",
    "bank_details_rejected",
    "rate_category",
    "decision_reason",
    "provisional",
    "pay_start",
}
register(
    Dossier,
    app="remu.dossiers",
    excluded_fields=[
        f.name for f in Dossier._meta.fields if f.name not in HISTORY_FIELDS and not f.primary_key
    ],
)


class DossierNumberSequence(models.Model):
    """The last dossier number given in a region and year (locked while numbering)."""

    region = models.ForeignKey("referential.Region", on_delete=models.CASCADE, related_name="+")
    year = models.PositiveSmallIntegerField()
    last = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["region", "year"], name="unique_number_sequence")
        ]

    def __str__(self):
        return f"{self.region_id}/{self.year}: {self.last}"


class DossierTransition(models.Model):
    """The dossier's history: every status change, who, when, why."""

    dossier = models.ForeignKey(Dossier, on_delete=models.CASCADE, related_name="transitions")
    from_status = models.CharField(max_length=10, blank=True)
    to_status = models.CharField(max_length=10)
    at = models.DateTimeField(default=timezone.now)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    reason = models.TextField(blank=True)

    class Meta:
        ordering = ["at", "pk"]

    def __str__(self):
        return f"{self.from_status} → {self.to_status}"

    @property
    def to_label(self):
        return Dossier.Status(self.to_status).label

    @property
    def from_label(self):
        return Dossier.Status(self.from_status).label if self.from_status else ""


class TravelSituation(models.Model):
    """Where an RS1 trainee lives for the training, from a date: the one-way distance from
    home to the training place (declared, with its justification) and whether the trainee is
    lodged away from home. The first one applies from the entry; a later one records a move.
    The engine reads the one in force on the first paid day of each month."""

    dossier = models.ForeignKey(Dossier, on_delete=models.CASCADE, related_name="travel_situations")
    valid_from = models.DateField("applicable à partir du")
    distance_km = models.DecimalField(
        "distance domicile – lieu de formation (km, aller)", max_digits=4, decimal_places=1
    )
    distance_justification = models.CharField(
        "justification de la distance", max_length=250, blank=True
    )
    housing = models.BooleanField("hébergé hors du domicile pour la formation", default=False)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField(default=timezone.now)

    objects = scoped(
        provider_lookup="dossier__action__provider", region_lookup="dossier__region"
    ).as_manager()

    class Meta:
        ordering = ["dossier", "valid_from"]
        constraints = [
            models.UniqueConstraint(
                fields=["dossier", "valid_from"], name="one_travel_situation_per_day"
            ),
            models.CheckConstraint(
                condition=Q(distance_km__gte=0) & Q(distance_km__lte=Decimal("999.9")),
                name="travel_distance_bounded",
            ),
        ]

    def __str__(self):
        return f"{self.valid_from:%d/%m/%Y} : {self.distance_km} km"


class WeeklyHoursChange(models.Model):
    """The trainee's weekly hours from a date (mixed full-time / part-time paths, seed 001
    §1.6): the dossier's weekly hours apply from the entry, each change from its date."""

    dossier = models.ForeignKey(Dossier, on_delete=models.CASCADE, related_name="hours_changes")
    valid_from = models.DateField("à partir du")
    weekly_hours = models.DecimalField(
        "durée hebdomadaire (heures)", max_digits=4, decimal_places=2
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField(default=timezone.now)

    objects = scoped(
        provider_lookup="dossier__action__provider", region_lookup="dossier__region"
    ).as_manager()

    class Meta:
        ordering = ["dossier", "valid_from"]
        constraints = [
            models.UniqueConstraint(
                fields=["dossier", "valid_from"], name="one_hours_change_per_day"
            ),
            models.CheckConstraint(
                condition=Q(weekly_hours__gt=0) & Q(weekly_hours__lte=60),
                name="hours_change_bounded",
            ),
        ]

    def __str__(self):
        return f"{self.valid_from:%d/%m/%Y} : {self.weekly_hours} h"


class Journey(models.Model):
    """An RS2 journey with its actual transport cost (seed 001 §2.4)."""

    class Purpose(models.TextChoices):
        TRAINING = "training", "Nécessités du stage"
        START_END = "start_end", "Début ou fin du stage"
        FAMILY = "family", "Raison familiale (75 %)"

    dossier = models.ForeignKey(Dossier, on_delete=models.CASCADE, related_name="journeys")
    date = models.DateField("date")
    purpose = models.CharField("motif", max_length=10, choices=Purpose.choices)
    origin = models.CharField("départ", max_length=120)
    destination = models.CharField("arrivée", max_length=120)
    distance_km = models.DecimalField("distance (km, aller)", max_digits=6, decimal_places=1)
    amount = models.DecimalField("montant du justificatif (€)", max_digits=8, decimal_places=2)
    # The agent's review of the journey's receipt: an accepted journey becomes an amount due
    # (remu.payments.transport_costs), under the region's rules.
    review = models.CharField(
        "justificatif",
        max_length=10,
        choices=[("pending", "À vérifier"), ("accepted", "Accepté"), ("refused", "Refusé")],
        default="pending",
    )
    refusal_reason = models.CharField("motif du refus", max_length=250, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["date", "pk"]
        constraints = [
            models.CheckConstraint(condition=Q(distance_km__gt=25), name="journey_over_25_km"),
            models.CheckConstraint(condition=Q(amount__gte=0), name="journey_amount_non_negative"),
            models.CheckConstraint(
                condition=~Q(review="refused") | ~Q(refusal_reason=""),
                name="refused_journey_has_reason",
            ),
            models.CheckConstraint(
                condition=Q(review="pending") | Q(reviewed_by__isnull=False),
                name="reviewed_journey_has_reviewer",
            ),
        ]

    def __str__(self):
        return f"{self.date:%d/%m/%Y} {self.origin} → {self.destination}"


def document_path(instance, filename):
    # A random name: the original name is kept in the row, never used on disk.
    import uuid

    return f"dossiers/{instance.dossier_id}/{uuid.uuid4().hex}"


class DocLabelMixin:
    @property
    def doc_label(self) -> str:
        from .documents import DOCUMENT_TYPES

        return DOCUMENT_TYPES.get(self.doc_type, self.doc_type)


class SupportingDocument(DocLabelMixin, models.Model):
    class Review(models.TextChoices):
        PENDING = "pending", "À vérifier"
        ACCEPTED = "accepted", "Acceptée"
        REFUSED = "refused", "Refusée"

    dossier = models.ForeignKey(Dossier, on_delete=models.CASCADE, related_name="documents")
    doc_type = models.CharField("pièce", max_length=30)
    file = models.FileField(upload_to=document_path)
    original_name = models.CharField(max_length=255)
    content_type = models.CharField(max_length=50)
    size = models.PositiveIntegerField()
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    uploaded_at = models.DateTimeField(default=timezone.now)
    review = models.CharField(max_length=10, choices=Review.choices, default=Review.PENDING)
    refusal_reason = models.CharField("motif du refus", max_length=250, blank=True)

    objects = scoped(
        provider_lookup="dossier__action__provider", region_lookup="dossier__region"
    ).as_manager()

    class Meta:
        ordering = ["doc_type", "uploaded_at"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(review="refused") | ~Q(refusal_reason=""),
                name="refused_document_has_reason",
            ),
        ]

    def __str__(self):
        return f"{self.doc_label} ({self.original_name})"


class DocumentRequest(DocLabelMixin, models.Model):
    """A missing document an agent asked for; the provider sees it on the dossier."""

    dossier = models.ForeignKey(Dossier, on_delete=models.CASCADE, related_name="requests")
    doc_type = models.CharField(max_length=30)
    message = models.CharField("précision", max_length=250, blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    requested_at = models.DateTimeField(default=timezone.now)
    fulfilled_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["requested_at"]

    def __str__(self):
        return self.doc_label


AdmissionDecisionQuerySet = scoped(
    provider_lookup="dossier__action__provider", region_lookup="dossier__region"
)


class AdmissionDecision(models.Model):
    """The « décision de prise en charge » of an admitted RS1 dossier (seed 002), one version
    per issue: the admission, then each re-issue of the trainee's access codes. What it says
    (amounts, explanation, calendar, rules) is frozen in `content` when it is issued; the PDF
    is rendered from it on demand. The one-time password is never stored in clear: it is kept
    encrypted (`sealed_password`) until the decision's first download prints it, then erased."""

    dossier = models.ForeignKey(Dossier, on_delete=models.CASCADE, related_name="decisions")
    version = models.PositiveSmallIntegerField("version")
    number = models.CharField("numéro de la décision", max_length=40)
    issued_at = models.DateTimeField("émise le", default=timezone.now)
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    login = models.CharField("identifiant du stagiaire", max_length=254, blank=True)
    content = models.JSONField("contenu de la décision", default=dict)
    sealed_password = models.TextField(blank=True, editable=False)
    codes_delivered_at = models.DateTimeField("codes remis le", null=True, blank=True)
    codes_delivered_to = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )

    objects = AdmissionDecisionQuerySet.as_manager()

    class Meta:
        ordering = ["dossier", "-version"]
        verbose_name = "décision de prise en charge"
        constraints = [
            models.UniqueConstraint(
                fields=["dossier", "version"], name="unique_admission_decision_version"
            ),
            models.UniqueConstraint(
                fields=["dossier", "number"], name="unique_admission_decision_number"
            ),
        ]

    def __str__(self):
        return self.number
