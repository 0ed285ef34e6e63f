"""Provider invoicing (seed 003 §3.5–§3.7.3, RULES.md §8): the monthly declarations of hours
realised (computed from the attendance statements, see `hours.py`), their corrections
(« Saisie horaire »), the invoices the provider confirms and the region validates or rejects,
subcontractors' invoices, the balance and credit notes.

The invoicing terms of an action and the provider's tax profile live here (one-to-one rows)
rather than on `TrainingAction` / `Provider`, so that invoicing stays one app."""

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from remu.core.models import scoped

HOURS = {"max_digits": 9, "decimal_places": 2, "default": Decimal("0.00")}
MONEY = {"max_digits": 12, "decimal_places": 2, "default": Decimal("0.00")}

# The six columns of the seed's « Saisie horaire », in its order.
COLUMNS = (
    "centre_realised",
    "centre_justified",
    "centre_unjustified",
    "company_realised",
    "company_justified",
    "company_unjustified",
)
COLUMN_LABELS = {
    "centre_realised": "Heures réalisées en centre",
    "centre_justified": "Heures non réalisées justifiées en centre",
    "centre_unjustified": "Heures non réalisées non justifiées en centre",
    "company_realised": "Heures réalisées en entreprise",
    "company_justified": "Heures non réalisées justifiées en entreprise",
    "company_unjustified": "Heures non réalisées non justifiées en entreprise",
}


class InvoicingTerms(models.Model):
    """How an action is invoiced (the market's terms): frequency, unit costs, planned hours."""

    class Frequency(models.TextChoices):
        MONTHLY = "monthly", "Mensuelle"
        QUARTERLY = "quarterly", "Trimestrielle"
        THREE_INSTALMENTS = "three", "Trois acomptes"

    action = models.OneToOneField(
        "actions.TrainingAction", on_delete=models.CASCADE, related_name="invoicing_terms"
    )
    frequency = models.CharField(
        "périodicité de facturation",
        max_length=10,
        choices=Frequency.choices,
        default=Frequency.MONTHLY,
    )
    unit_cost_centre = models.DecimalField(
        "coût horaire en centre (€)", max_digits=8, decimal_places=2, null=True, blank=True
    )
    unit_cost_company = models.DecimalField(
        "coût horaire en entreprise (€)", max_digits=8, decimal_places=2, null=True, blank=True
    )
    planned_hours = models.DecimalField(
        "heures prévues (stagiaires × heures)",
        max_digits=10,
        decimal_places=2,
        null=True,
        blank=True,
        help_text="Base du taux de réalisation des trois acomptes ; vide : effectif maximum "
        "× durée de l'action.",
    )
    price = models.DecimalField(
        "prix de l'action (€ HT)",
        max_digits=12,
        decimal_places=2,
        null=True,
        blank=True,
        help_text="Engagement du marché ; vide : heures prévues × coûts horaires.",
    )

    objects = scoped(
        provider_lookup="action__provider", region_lookup="action__region"
    ).as_manager()

    class Meta:
        verbose_name = "modalités de facturation"
        constraints = [
            models.CheckConstraint(
                condition=(Q(unit_cost_centre__isnull=True) | Q(unit_cost_centre__gte=0))
                & (Q(unit_cost_company__isnull=True) | Q(unit_cost_company__gte=0))
                & (Q(planned_hours__isnull=True) | Q(planned_hours__gt=0))
                & (Q(price__isnull=True) | Q(price__gte=0)),
                name="invoicing_terms_non_negative",
            ),
        ]

    def __str__(self):
        return f"Modalités de facturation de {self.action_id}"


class ProviderTaxProfile(models.Model):
    """VAT of a provider's invoices: a rate, or the reference of its exemption."""

    provider = models.OneToOneField(
        "referential.Provider", on_delete=models.CASCADE, related_name="tax_profile"
    )
    vat_rate = models.DecimalField(
        "taux de TVA (%)", max_digits=5, decimal_places=2, null=True, blank=True
    )
    exemption_reference = models.CharField("mention d'exonération", max_length=200, blank=True)
    vat_number = models.CharField("numéro de TVA intracommunautaire", max_length=20, blank=True)

    class Meta:
        verbose_name = "profil fiscal"
        constraints = [
            models.CheckConstraint(
                condition=(Q(vat_rate__isnull=False) & Q(vat_rate__gte=0) & Q(vat_rate__lte=100))
                | (Q(vat_rate__isnull=True) & ~Q(exemption_reference="")),
                name="tax_profile_rate_or_exemption",
            ),
        ]

    def __str__(self):
        return f"Profil fiscal de {self.provider_id}"


class Subcontractor(models.Model):
    """A subcontractor of an action (seed 003 §3.6.1.2): only the main provider logs in."""

    action = models.ForeignKey(
        "actions.TrainingAction", on_delete=models.CASCADE, related_name="subcontractors"
    )
    name = models.CharField("nom", max_length=200)
    siret = models.CharField("SIRET", max_length=14, blank=True)

    objects = scoped(
        provider_lookup="action__provider", region_lookup="action__region"
    ).as_manager()

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["action", "name"], name="unique_subcontractor_name")
        ]

    def __str__(self):
        return self.name


class Declaration(models.Model):
    """The monthly declaration of hours realised of an action (seed 003 §3.5): computed from
    the month's attendance until confirmed, then its lines are frozen."""

    class Status(models.TextChoices):
        DRAFT = "draft", "À confirmer"
        CONFIRMED = "confirmed", "Confirmée"

    action = models.ForeignKey(
        "actions.TrainingAction", on_delete=models.PROTECT, related_name="declarations"
    )
    month = models.DateField("mois")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT)
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    confirmed_at = models.DateTimeField(null=True, blank=True)
    confirmed_late = models.BooleanField("confirmée hors délai", default=False)
    reopened = models.BooleanField("rouverte après un rejet", default=False)
    invoice = models.ForeignKey(
        "Invoice",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="declarations",
    )

    objects = scoped(
        provider_lookup="action__provider", region_lookup="action__region"
    ).as_manager()

    class Meta:
        ordering = ["action", "month"]
        constraints = [
            models.UniqueConstraint(fields=["action", "month"], name="one_declaration_per_month"),
            models.CheckConstraint(condition=Q(month__day=1), name="declaration_first_of_month"),
            models.CheckConstraint(
                condition=Q(status="draft") | Q(confirmed_at__isnull=False),
                name="confirmed_declaration_dated",
            ),
            models.CheckConstraint(
                condition=Q(invoice__isnull=True) | Q(status="confirmed"),
                name="invoiced_declaration_confirmed",
            ),
        ]

    def __str__(self):
        return f"{self.action.number} – {self.month:%m/%Y}"


class DeclarationLine(models.Model):
    """A trainee's hours in a confirmed declaration: the computed figures and, where the
    provider corrected them, the corrected ones (both kept)."""

    declaration = models.ForeignKey(Declaration, on_delete=models.CASCADE, related_name="lines")
    enrollment = models.ForeignKey(
        "trainees.Enrollment", on_delete=models.PROTECT, related_name="declaration_lines"
    )
    centre_realised = models.DecimalField(**HOURS)
    centre_justified = models.DecimalField(**HOURS)
    centre_unjustified = models.DecimalField(**HOURS)
    company_realised = models.DecimalField(**HOURS)
    company_justified = models.DecimalField(**HOURS)
    company_unjustified = models.DecimalField(**HOURS)
    computed = models.JSONField("valeurs calculées", default=dict)
    source = models.CharField(max_length=20)  # attendance | schedule | early_exit
    correction = models.ForeignKey(
        "HoursCorrection", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["declaration", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["declaration", "enrollment"], name="one_declaration_line_per_trainee"
            ),
        ]

    def __str__(self):
        return f"Ligne {self.enrollment_id} de {self.declaration_id}"


class HoursCorrection(models.Model):
    """« Saisie horaire »: the provider's own figures for a trainee's month, when the action's
    reality differs from the schedule; kept beside the computed value, with who and why. The
    latest one of an enrollment and month applies."""

    enrollment = models.ForeignKey(
        "trainees.Enrollment", on_delete=models.PROTECT, related_name="hours_corrections"
    )
    month = models.DateField("mois")
    centre_realised = models.DecimalField(COLUMN_LABELS["centre_realised"], **HOURS)
    centre_justified = models.DecimalField(COLUMN_LABELS["centre_justified"], **HOURS)
    centre_unjustified = models.DecimalField(COLUMN_LABELS["centre_unjustified"], **HOURS)
    company_realised = models.DecimalField(COLUMN_LABELS["company_realised"], **HOURS)
    company_justified = models.DecimalField(COLUMN_LABELS["company_justified"], **HOURS)
    company_unjustified = models.DecimalField(COLUMN_LABELS["company_unjustified"], **HOURS)
    reason = models.TextField("motif de la correction")
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(default=timezone.now)

    objects = scoped(
        provider_lookup="enrollment__action__provider", region_lookup="enrollment__action__region"
    ).as_manager()

    class Meta:
        ordering = ["enrollment", "month", "-at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(centre_realised__gte=0)
                & Q(centre_justified__gte=0)
                & Q(centre_unjustified__gte=0)
                & Q(company_realised__gte=0)
                & Q(company_justified__gte=0)
                & Q(company_unjustified__gte=0),
                name="hours_correction_non_negative",
            ),
            models.CheckConstraint(
                condition=Q(month__day=1), name="hours_correction_first_of_month"
            ),
        ]

    def __str__(self):
        return f"Saisie horaire du {self.month:%m/%Y}"


class InvoiceSequence(models.Model):
    """The provider's invoice counter, locked at each confirmation: numbers without gaps."""

    provider = models.OneToOneField(
        "referential.Provider", on_delete=models.CASCADE, related_name="invoice_sequence"
    )
    last = models.PositiveIntegerField(default=0)

    def __str__(self):
        return f"Numérotation de {self.provider_id}"


class Invoice(models.Model):
    """An invoice of a provider for an action: an instalment, the balance, or a credit note
    (« avoir ») when the balance is negative. Confirmed, it never changes."""

    class Kind(models.TextChoices):
        INSTALMENT = "instalment", "Acompte périodique"
        BALANCE = "balance", "Solde"
        CREDIT_NOTE = "credit_note", "Avoir"

    class Status(models.TextChoices):
        DRAFT = "draft", "Brouillon"
        CONFIRMED = "confirmed", "En attente de validation de la Région"
        VALIDATED = "validated", "Validée par la Région"
        REJECTED = "rejected", "Rejetée par la Région"
        PAID = "paid", "Payée"

    provider = models.ForeignKey(
        "referential.Provider", on_delete=models.PROTECT, related_name="invoices"
    )
    action = models.ForeignKey(
        "actions.TrainingAction", on_delete=models.PROTECT, related_name="invoices"
    )
    kind = models.CharField(max_length=12, choices=Kind.choices, default=Kind.INSTALMENT)
    frequency = models.CharField(max_length=10, blank=True)  # the rule it was generated under
    instalment_rank = models.PositiveSmallIntegerField(null=True, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT)
    number = models.CharField("numéro", max_length=30, blank=True)
    sequence = models.PositiveIntegerField(null=True, blank=True)
    lines_total = models.DecimalField("total des périodes HT", **MONEY)
    deducted = models.DecimalField("déjà facturé (solde)", **MONEY)
    subcontracted = models.DecimalField("dont sous-traitance", **MONEY)
    total_ht = models.DecimalField("total HT", **MONEY)
    vat_rate = models.DecimalField(max_digits=5, decimal_places=2, null=True, blank=True)
    vat_exemption = models.CharField(max_length=200, blank=True)
    vat = models.DecimalField("TVA", **MONEY)
    total_ttc = models.DecimalField("total TTC", **MONEY)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    issued_on = models.DateField("date d'émission", null=True, blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    rejection_reason = models.TextField("motif de rejet", blank=True)
    paid_on = models.DateField("payée le", null=True, blank=True)

    objects = scoped(provider_lookup="provider", region_lookup="action__region").as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["provider", "sequence"],
                condition=Q(sequence__isnull=False),
                name="unique_invoice_number_per_provider",
            ),
            models.CheckConstraint(
                condition=Q(status="draft") | (Q(sequence__isnull=False) & ~Q(number="")),
                name="issued_invoice_numbered",
            ),
            models.CheckConstraint(
                condition=Q(total_ht__gte=0) & Q(total_ttc__gte=0) & Q(vat__gte=0),
                name="invoice_amounts_non_negative",
            ),
        ]

    def __str__(self):
        label = self.get_kind_display()
        return f"{label} n° {self.number}" if self.number else f"{label} (brouillon)"


class InvoiceLine(models.Model):
    """One period (month) of an invoice, as the seed's « Facturation » table."""

    invoice = models.ForeignKey(Invoice, on_delete=models.CASCADE, related_name="lines")
    declaration = models.ForeignKey(
        Declaration, on_delete=models.PROTECT, related_name="invoice_lines"
    )
    month = models.DateField()
    trainees = models.PositiveIntegerField()
    centre_realised = models.DecimalField(**HOURS)
    centre_justified = models.DecimalField(**HOURS)
    unit_cost_centre = models.DecimalField(max_digits=8, decimal_places=2)
    company_realised = models.DecimalField(**HOURS)
    company_justified = models.DecimalField(**HOURS)
    unit_cost_company = models.DecimalField(max_digits=8, decimal_places=2)
    total = models.DecimalField(**MONEY)

    class Meta:
        ordering = ["invoice", "month"]

    def __str__(self):
        return f"{self.month:%m/%Y} : {self.total}"


class SubcontractInvoice(models.Model):
    """A subcontractor's invoice entered by the main provider; deducted from its next own
    invoice (« Dont x € pour … »)."""

    class Status(models.TextChoices):
        DRAFT = "draft", "Brouillon"
        CONFIRMED = "confirmed", "Confirmée"

    subcontractor = models.ForeignKey(
        Subcontractor, on_delete=models.PROTECT, related_name="invoices"
    )
    amount_ht = models.DecimalField("montant HT (€)", max_digits=12, decimal_places=2)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    confirmed_at = models.DateTimeField(null=True, blank=True)
    deducted_in = models.ForeignKey(
        Invoice, on_delete=models.SET_NULL, null=True, blank=True, related_name="subcontracts"
    )

    objects = scoped(
        provider_lookup="subcontractor__action__provider",
        region_lookup="subcontractor__action__region",
    ).as_manager()

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(condition=Q(amount_ht__gt=0), name="subcontract_amount_positive")
        ]

    def __str__(self):
        return f"Sous-traitance {self.amount_ht}"


class InvoiceTransition(models.Model):
    """The invoice's history: who, when, from, to, why."""

    invoice = models.ForeignKey(Invoice, on_delete=models.CASCADE, related_name="transitions")
    from_status = models.CharField(max_length=10)
    to_status = models.CharField(max_length=10)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(default=timezone.now)
    reason = models.TextField(blank=True)

    class Meta:
        ordering = ["at", "pk"]

    def __str__(self):
        return f"{self.from_status} → {self.to_status}"
