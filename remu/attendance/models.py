"""Monthly attendance statements, their lines and absences, and dropouts (withdrawals).

One declaration for two uses: an absence carries its reason, dates, place (centre or company)
and hours, so the trainee's pay (thirtieths or hours, by the rules engine) and the hours
realised in centre and in company (provider invoicing, later) both derive from it.
"""

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone

from remu.core.models import scoped
from remu.rules.parameters import ABSENCE_REASONS

StatementQuerySet = scoped(provider_lookup="action__provider", region_lookup="action__region")


class AttendanceStatement(models.Model):
    """The attendance of one action for one month (état de présence)."""

    action = models.ForeignKey(
        "actions.TrainingAction", on_delete=models.PROTECT, related_name="statements"
    )
    month = models.DateField("mois")  # its first day
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    objects = StatementQuerySet.as_manager()

    class Meta:
        ordering = ["action", "-month"]
        constraints = [
            models.UniqueConstraint(fields=["action", "month"], name="one_statement_per_month"),
            models.CheckConstraint(condition=Q(month__day=1), name="statement_first_of_month"),
        ]

    def __str__(self):
        return f"{self.action.number} – {self.month:%m/%Y}"


class AttendanceLine(models.Model):
    """One trainee in one month: draft, then validated (locked for the provider).

    Every trainee registered on the action has a line (seed 003 §3.5: the provider declares
    every trainee's month); only a line with an admitted RS1 `dossier` is paid by the region.
    A line without a dossier (P2S only, paid by France Travail or the employer) is declared for
    the provider's invoice alone: its validation computes no pay and the database refuses an
    amount on it."""

    class Status(models.TextChoices):
        DRAFT = "draft", "À valider"
        VALIDATED = "validated", "Validé"

    class Presence(models.TextChoices):
        UNSET = "", "Non déclarée"
        FULL_MONTH = "full_month", "Présent tout le mois"
        ABSENT_MONTH = "absent_month", "Absent tout le mois"
        PERIOD = "period", "Présent sur une période"

    statement = models.ForeignKey(
        AttendanceStatement, on_delete=models.CASCADE, related_name="lines"
    )
    enrollment = models.ForeignKey(
        "trainees.Enrollment", on_delete=models.PROTECT, related_name="attendance_lines"
    )
    # The admitted RS1 dossier that pays the trainee; empty: not paid by the region.
    dossier = models.ForeignKey(
        "dossiers.Dossier",
        on_delete=models.PROTECT,
        related_name="attendance_lines",
        null=True,
        blank=True,
    )
    full_time = models.BooleanField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT)
    presence = models.CharField(
        "présence", max_length=15, choices=Presence.choices, blank=True, default=""
    )
    period_start = models.DateField("présent du", null=True, blank=True)
    period_end = models.DateField("au", null=True, blank=True)
    # Part time: hours present per week of the month, and days present in the month.
    weekly_hours_present = models.JSONField("heures de présence par semaine", default=list)
    days_present = models.PositiveSmallIntegerField(
        "jours de présence dans le mois", null=True, blank=True
    )
    # Computed by the rules engine at validation.
    paid_thirtieths = models.PositiveSmallIntegerField(null=True, blank=True)
    paid_hours = models.DecimalField(max_digits=6, decimal_places=2, null=True, blank=True)
    amount = models.DecimalField(max_digits=9, decimal_places=2, null=True, blank=True)
    explanation = models.JSONField(default=list, blank=True)
    validated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    validated_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = scoped(
        provider_lookup="statement__action__provider", region_lookup="statement__action__region"
    ).as_manager()

    class Meta:
        ordering = ["enrollment__trainee__birth_name", "enrollment__trainee__first_names"]
        indexes = [
            # the lines left to validate (late and to-enter statements): a few among many
            models.Index(
                fields=["statement"], condition=Q(status="draft"), name="line_draft_by_statement"
            ),
            # the lines validated since a month's last run (agents' « Mois à payer »): few
            models.Index(
                fields=["validated_at"],
                condition=Q(status="validated", dossier__isnull=False),
                name="line_validated_at",
            ),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["statement", "enrollment"], name="one_line_per_trainee_and_month"
            ),
            models.CheckConstraint(
                condition=Q(period_start__isnull=True)
                | Q(period_end__isnull=True)
                | Q(period_end__gte=F("period_start")),
                name="line_period_ordered",
            ),
            models.CheckConstraint(
                condition=Q(status="draft") | Q(amount__isnull=False) | Q(dossier__isnull=True),
                name="validated_line_has_amount",
            ),
            models.CheckConstraint(
                condition=Q(dossier__isnull=False)
                | Q(amount__isnull=True, paid_thirtieths__isnull=True, paid_hours__isnull=True),
                name="unpaid_line_has_no_pay",
            ),
            models.CheckConstraint(
                condition=Q(amount__isnull=True) | Q(amount__gte=0),
                name="line_amount_non_negative",
            ),
        ]

    def __str__(self):
        return f"{self.enrollment.trainee} – {self.statement.month:%m/%Y}"

    @property
    def paid(self) -> bool:
        """Paid by the region (an admitted RS1 dossier); else declared for invoicing only."""
        return self.dossier_id is not None

    @property
    def hours_present(self):
        return hours_sum(self.weekly_hours_present)


# A line that records something: validated, or with a presence, part-time hours or an
# absence entered. Every registered trainee has a line from the statement's creation: an
# empty draft line records no hour (a registration made in error may still be deleted).
RECORDED = (
    Q(status="validated")
    | ~Q(presence="")
    | Q(days_present__isnull=False)
    | Q(absences__isnull=False)
)


def hours_sum(weekly_hours_present) -> Decimal:
    """The hours of a part-time month, from the hours entered per week."""
    return sum((Decimal(str(h)) for h in weekly_hours_present), Decimal(0))


class Absence(models.Model):
    class Place(models.TextChoices):
        CENTRE = "centre", "En centre"
        COMPANY = "company", "En entreprise"

    line = models.ForeignKey(AttendanceLine, on_delete=models.CASCADE, related_name="absences")
    reason = models.CharField(
        "motif", max_length=25, choices=[(k, v.capitalize()) for k, v in ABSENCE_REASONS.items()]
    )
    start = models.DateField("du")
    end = models.DateField("au")
    place = models.CharField("lieu", max_length=10, choices=Place.choices, default=Place.CENTRE)
    hours = models.DecimalField("heures", max_digits=5, decimal_places=2, null=True, blank=True)
    legal_leave_kind = models.CharField("motif légal", max_length=30, blank=True)

    objects = scoped(
        provider_lookup="line__statement__action__provider",
        region_lookup="line__statement__action__region",
    ).as_manager()

    class Meta:
        ordering = ["start", "pk"]
        constraints = [
            models.CheckConstraint(condition=Q(end__gte=F("start")), name="absence_dates_ordered"),
            models.CheckConstraint(
                condition=Q(hours__isnull=True) | Q(hours__gte=0), name="absence_hours_positive"
            ),
        ]

    def __str__(self):
        return f"{self.get_reason_display()} du {self.start:%d/%m/%Y} au {self.end:%d/%m/%Y}"


class SickLeave(models.Model):
    """A sick leave or a maternity / paternity leave of a trainee, with the daily allowance the
    health insurance pays (from the CPAM statement), entered by an agent: the rules engine
    computes the waiting days and the region's complement from it (issue 12)."""

    class Kind(models.TextChoices):
        SICKNESS = "SICKNESS", "Arrêt maladie"
        MATERNITY_PATERNITY = "MATERNITY_PATERNITY", "Congé maternité ou paternité"

    enrollment = models.ForeignKey(
        "trainees.Enrollment", on_delete=models.PROTECT, related_name="sick_leaves"
    )
    kind = models.CharField("type d'arrêt", max_length=20, choices=Kind.choices)
    start = models.DateField("du")
    end = models.DateField("au")
    daily_allowance = models.DecimalField(
        "indemnités journalières de la CPAM (€ par jour)", max_digits=6, decimal_places=2
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    # Health data: the region's agents only.
    objects = scoped(region_lookup="enrollment__action__region", agents_only=True).as_manager()

    class Meta:
        ordering = ["start", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(end__gte=F("start")), name="sick_leave_dates_ordered"
            ),
            models.CheckConstraint(
                condition=Q(daily_allowance__gte=0), name="sick_leave_allowance_non_negative"
            ),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} du {self.start:%d/%m/%Y} au {self.end:%d/%m/%Y}"


class LineEvent(models.Model):
    """The line's history: validations and agents' reopenings (who, when, why)."""

    line = models.ForeignKey(AttendanceLine, on_delete=models.CASCADE, related_name="events")
    action = models.CharField(max_length=10)  # validated | reopened
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(default=timezone.now)
    reason = models.TextField(blank=True)

    class Meta:
        ordering = ["at", "pk"]

    def __str__(self):
        return f"{self.action} {self.at:%d/%m/%Y}"


WithdrawalQuerySet = scoped(
    provider_lookup="enrollment__action__provider", region_lookup="enrollment__action__region"
)


class Withdrawal(models.Model):
    """A dropout (abandon) declared by the provider and decided by an agent."""

    class Reason(models.TextChoices):
        ILLNESS = "illness", "Maladie, maternité, hospitalisation"
        MOVING = "moving", "Déménagement"
        JOB = "job", "Reprise d'un emploi"
        STUDIES = "studies", "Reprise d'études"
        FAMILY = "family", "Événement familial ou situation financière"
        OTHER_TRAINING = "other_training", "Entrée dans une autre formation"
        REORIENTATION = "reorientation", "Réorientation vers une autre action"
        MISCONDUCT = "misconduct", "Exclusion pour faute grave"
        OTHER = "other", "Autre motif"

    LEGITIMATE = {"illness", "moving", "job", "studies", "family"}

    class Status(models.TextChoices):
        DECLARED = "declared", "Déclaré, en attente de la Région"
        VALIDATED = "validated", "Validé par la Région"
        REFUSED = "refused", "Refusé par la Région"

    enrollment = models.ForeignKey(
        "trainees.Enrollment", on_delete=models.PROTECT, related_name="withdrawals"
    )
    reason = models.CharField("motif", max_length=20, choices=Reason.choices)
    exit_date = models.DateField("date réelle de sortie")
    comment = models.TextField("commentaire", blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DECLARED)
    declared_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    declared_at = models.DateTimeField(default=timezone.now)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_comment = models.TextField("commentaire de la Région", blank=True)

    objects = WithdrawalQuerySet.as_manager()

    class Meta:
        ordering = ["-declared_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["enrollment"],
                condition=Q(status="declared"),
                name="one_pending_withdrawal_per_enrollment",
            ),
        ]

    def __str__(self):
        return f"Abandon {self.enrollment.trainee} ({self.get_status_display()})"

    @property
    def is_legitimate(self) -> bool:
        return self.reason in self.LEGITIMATE
