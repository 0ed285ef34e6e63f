from decimal import Decimal

from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Coalesce

from remu.core.models import TimestampedModel, scoped


class TrainingActionQuerySet(scoped(provider_lookup="provider")):
    """Provider users see their current provider's actions; agents their region's."""

    def with_trainee_counts(self):
        """Enrolled and active trainees of each action, as correlated subqueries (no GROUP BY):
        a paginated list counts its rows without them and computes them for its page only."""
        enrollments = self.model._meta.get_field("enrollments").related_model.objects

        def count(**lookups):
            rows = (
                enrollments.filter(action=models.OuterRef("pk"), **lookups)
                .order_by()
                .values("action")
                .annotate(n=models.Count("pk"))
                .values("n")
            )
            return Coalesce(models.Subquery(rows), 0)

        return self.annotate(enrolled_count=count(), active_count=count(status="active"))


class TrainingAction(TimestampedModel):
    """A training action (action de formation) run by a provider within a campaign."""

    class Kind(models.TextChoices):
        MARKET = "market", "Marché"
        OFF_MARKET = "off_market", "Hors marché"

    class Status(models.TextChoices):
        PLANNED = "planned", "Prévue"
        OPEN = "open", "Ouverte"
        CLOSED = "closed", "Clôturée"

    class Organisation(models.TextChoices):
        COLLECTIVE = "collective", "Collective"
        INDIVIDUALISED = "individualised", "Individualisée"

    region = models.ForeignKey(
        "referential.Region", on_delete=models.PROTECT, related_name="actions"
    )
    number = models.CharField("numéro", max_length=40)
    title = models.CharField("intitulé", max_length=250)
    provider = models.ForeignKey(
        "referential.Provider",
        verbose_name="organisme de formation",
        on_delete=models.PROTECT,
        related_name="actions",
    )
    campaign = models.ForeignKey(
        "referential.Campaign",
        verbose_name="campagne",
        on_delete=models.PROTECT,
        related_name="actions",
    )
    programme = models.ForeignKey(
        "referential.Programme",
        verbose_name="dispositif",
        on_delete=models.PROTECT,
        related_name="actions",
    )
    kind = models.CharField("type", max_length=12, choices=Kind.choices)
    status = models.CharField(
        "statut", max_length=10, choices=Status.choices, default=Status.PLANNED
    )
    planned_start = models.DateField("début prévu")
    planned_end = models.DateField("fin prévue")
    real_start = models.DateField("début réel", null=True, blank=True)
    real_end = models.DateField("fin réelle", null=True, blank=True)
    weekly_hours = models.DecimalField(
        "durée hebdomadaire (heures)", max_digits=4, decimal_places=2
    )
    hours_in_centre = models.PositiveIntegerField("durée en centre (heures)", default=0)
    hours_in_company = models.PositiveIntegerField("durée en entreprise (heures)", default=0)
    training_place = models.CharField("lieu de formation", max_length=200, blank=True)
    training_commune = models.ForeignKey(
        "communes.Commune",
        verbose_name="commune du lieu de formation",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    fse_cofunded = models.BooleanField("cofinancement FSE", default=False)
    fse_information = models.CharField("information FSE", max_length=250, blank=True)
    approved_for_remuneration = models.BooleanField("agréée rémunération", default=True)
    entry_bonus = models.BooleanField("aide forfaitaire à l'entrée", default=False)
    distance_learning = models.BooleanField("formation à distance", default=False)
    max_trainees = models.PositiveIntegerField("effectif maximum")
    max_paid_trainees = models.PositiveIntegerField("effectif rémunéré maximum")
    unit_cost_centre = models.DecimalField(
        "coût horaire en centre (€)", max_digits=8, decimal_places=2, default=Decimal("0.00")
    )
    unit_cost_company = models.DecimalField(
        "coût horaire en entreprise (€)", max_digits=8, decimal_places=2, default=Decimal("0.00")
    )
    # The action's summary (seed 003 §3 « résumé de l'action »), entered by agents.
    organisation = models.CharField(
        "organisation", max_length=15, choices=Organisation.choices, default="collective"
    )
    call_for_projects = models.CharField("appel à projets", max_length=200, blank=True)
    decision_body = models.CharField("instance décisionnaire", max_length=200, blank=True)
    vote_date = models.DateField("date de vote", null=True, blank=True)
    total_price = models.DecimalField(
        "prix total (€)", max_digits=12, decimal_places=2, null=True, blank=True
    )
    price_centre = models.DecimalField(
        "prix total en centre (€)", max_digits=12, decimal_places=2, null=True, blank=True
    )
    price_company = models.DecimalField(
        "prix total en entreprise (€)", max_digits=12, decimal_places=2, null=True, blank=True
    )
    subcontractor_count = models.PositiveSmallIntegerField("nombre de sous-traitants", default=0)
    contract_number = models.CharField("numéro de contrat", max_length=40, blank=True)
    market_number = models.CharField("numéro de marché", max_length=40, blank=True)
    sector = models.CharField("secteur d'activité", max_length=200, blank=True)

    objects = TrainingActionQuerySet.as_manager()

    class Meta:
        ordering = ["-planned_start", "number"]
        verbose_name = "action de formation"
        indexes = [
            # The region's action list in its order: a page read from the index, not a sort
            # of the region's thousands of actions.
            models.Index(fields=["region", "-planned_start", "number"], name="action_region_start"),
            # The provider home's actions of a campaign in their order, likewise.
            models.Index(
                fields=["provider", "campaign", "planned_start", "number"],
                name="action_provider_campaign_start",
            ),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["region", "number"],
                violation_error_message="Ce numéro d'action existe déjà dans la région.",
                name="unique_action_number",
            ),
            models.CheckConstraint(
                condition=Q(planned_end__gte=F("planned_start")), name="action_planned_dates"
            ),
            models.CheckConstraint(
                condition=Q(real_end__isnull=True)
                | Q(real_start__isnull=True)
                | Q(real_end__gte=F("real_start")),
                name="action_real_dates",
            ),
            models.CheckConstraint(
                condition=Q(weekly_hours__gt=0, weekly_hours__lte=60),
                name="action_weekly_hours_range",
            ),
            models.CheckConstraint(
                condition=Q(max_paid_trainees__lte=F("max_trainees")),
                name="action_paid_trainees_within_max",
            ),
            models.CheckConstraint(
                condition=Q(unit_cost_centre__gte=0, unit_cost_company__gte=0),
                name="action_unit_costs_non_negative",
            ),
            models.CheckConstraint(
                condition=(Q(total_price__isnull=True) | Q(total_price__gte=0))
                & (Q(price_centre__isnull=True) | Q(price_centre__gte=0))
                & (Q(price_company__isnull=True) | Q(price_company__gte=0)),
                name="action_prices_non_negative",
            ),
        ]

    def __str__(self):
        return f"{self.number} – {self.title}"

    @property
    def is_full_time(self) -> bool:
        from remu.rules.engine import default_engine

        return default_engine().is_full_time(
            self.region.parameter_set, self.start_date, self.weekly_hours
        )

    @property
    def start_date(self):
        return self.real_start or self.planned_start

    @property
    def end_date(self):
        return self.real_end or self.planned_end

    @property
    def total_hours(self) -> int:
        return self.hours_in_centre + self.hours_in_company

    @property
    def is_individualised(self) -> bool:
        return self.organisation == self.Organisation.INDIVIDUALISED


class ActionPeriod(models.Model):
    """A period of the action spent in the centre or in a company (seed 003 §3.1)."""

    class Place(models.TextChoices):
        CENTRE = "centre", "En centre"
        COMPANY = "company", "En entreprise"

    action = models.ForeignKey(TrainingAction, on_delete=models.CASCADE, related_name="periods")
    place = models.CharField("lieu", max_length=10, choices=Place.choices)
    start_date = models.DateField("début")
    end_date = models.DateField("fin")

    class Meta:
        ordering = ["start_date", "place"]
        verbose_name = "période"
        constraints = [
            models.CheckConstraint(
                condition=Q(end_date__gte=F("start_date")), name="action_period_dates"
            ),
        ]

    def __str__(self):
        return (
            f"{self.get_place_display()} du {self.start_date:%d/%m/%Y} au {self.end_date:%d/%m/%Y}"
        )
