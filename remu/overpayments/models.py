"""Overpayments (« indus »): what a trainee owes back, why, and how it is recovered.
RULES.md §3 (lifecycle) and §7; seed 001 §5.

`remaining` is stored (the payment run reads it per chunk) and always equals the amount minus
the sum of the recoveries (offsets, instalments and payments received, write-offs, waivers):
the services write both in one transaction; the database keeps 0 ≤ remaining ≤ amount."""

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone

from remu.core.models import scoped
from remu.payments.models import Component

ENROLLMENT_PROVIDER = "enrollment__action__provider"


class Overpayment(models.Model):
    class Source(models.TextChoices):
        DROPOUT = "dropout", "Abandon ou exclusion"
        ATTENDANCE_CORRECTION = "attendance_correction", "Présence corrigée après paiement"
        SCALE_CORRECTION = "scale_correction", "Barème corrigé après paiement"
        FRANCE_TRAVAIL_OVERLAP = "france_travail_overlap", "Double rémunération France Travail"
        WRONG_INFORMATION = "wrong_information", "Informations erronées du stagiaire"

    class Status(models.TextChoices):
        DETECTED = "detected", "Détecté"
        NOTIFIED = "notified", "Notifié"
        RECOVERING = "recovering", "En recouvrement"
        SETTLED = "settled", "Soldé"
        WRITTEN_OFF = "written_off", "Admis en non-valeur"
        WAIVED = "waived", "Remise accordée"

    region = models.ForeignKey("referential.Region", on_delete=models.PROTECT, related_name="+")
    trainee = models.ForeignKey(
        "trainees.Trainee", on_delete=models.PROTECT, related_name="overpayments"
    )
    enrollment = models.ForeignKey(
        "trainees.Enrollment", on_delete=models.PROTECT, related_name="overpayments"
    )
    source = models.CharField("origine", max_length=25, choices=Source.choices)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.DETECTED)
    amount = models.DecimalField("montant", max_digits=9, decimal_places=2)
    remaining = models.DecimalField("reste dû", max_digits=9, decimal_places=2)
    # Written off but still withheld from later pay (seed 001 §5.2): not in `remaining`.
    written_off = models.DecimalField(
        "admis en non-valeur", max_digits=9, decimal_places=2, default=0
    )
    label = models.CharField(max_length=250)
    explanation = models.JSONField(default=list)
    # What detected it: a validated dropout, or a payment run's negative difference.
    withdrawal = models.OneToOneField(
        "attendance.Withdrawal",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="overpayment",
    )
    run = models.ForeignKey(
        "payments.PaymentRun",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="overpayments",
    )
    detected_at = models.DateTimeField("détecté le", default=timezone.now)
    # The order to repay (« ordre de reversement »): numbered per region and year.
    notice_number = models.CharField("n° d'ordre de reversement", max_length=30, blank=True)
    notified_at = models.DateTimeField(null=True, blank=True)
    notice_deadline = models.DateField("date limite de paiement", null=True, blank=True)

    objects = scoped(provider_lookup=ENROLLMENT_PROVIDER).as_manager()

    class Meta:
        ordering = ["-detected_at", "-pk"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="overpayment_amount_positive"),
            models.CheckConstraint(
                condition=Q(remaining__gte=0) & Q(remaining__lte=F("amount")),
                name="overpayment_remaining_in_range",
            ),
            models.CheckConstraint(
                condition=Q(written_off__gte=0) & Q(written_off__lte=F("amount") - F("remaining")),
                name="overpayment_written_off_in_range",
            ),
            models.UniqueConstraint(
                fields=["region", "notice_number"],
                condition=~Q(notice_number=""),
                name="one_notice_number_per_region",
            ),
        ]
        indexes = [models.Index(fields=["trainee", "remaining"])]

    def __str__(self):
        return f"{self.label}: {self.amount}"

    @property
    def offsettable(self) -> bool:
        """Recovered by offset on later pay: not while a waiver request is pending."""
        return self.status in OFFSETTABLE and not self.waiver_pending

    @property
    def waiver_pending(self) -> bool:
        return any(w.decision == WaiverRequest.Decision.PENDING for w in self.waivers.all())


OFFSETTABLE = {
    Overpayment.Status.DETECTED,
    Overpayment.Status.NOTIFIED,
    Overpayment.Status.RECOVERING,
    Overpayment.Status.WRITTEN_OFF,  # seed 001 §5.2: still withheld from later pay
}


class OverpaymentItem(models.Model):
    """A month and component concerned: what was paid, what is due, what is claimed. The
    payment ledger deducts `amount` from what was ordered for that month and component; a
    `forfeit` item (dropout without legitimate reason) also stops the run from paying that month
    again."""

    overpayment = models.ForeignKey(Overpayment, on_delete=models.CASCADE, related_name="items")
    enrollment = models.ForeignKey(
        "trainees.Enrollment", on_delete=models.PROTECT, related_name="+"
    )
    month = models.DateField()
    component = models.CharField(max_length=15, choices=Component.choices)
    paid = models.DecimalField(max_digits=9, decimal_places=2)
    due = models.DecimalField(max_digits=9, decimal_places=2)
    amount = models.DecimalField(max_digits=9, decimal_places=2)
    forfeit = models.BooleanField(default=False)

    class Meta:
        ordering = ["month", "component"]
        constraints = [
            # A forfeited month not paid yet is kept (amount 0): the run must not pay it.
            models.CheckConstraint(
                condition=Q(amount__gt=0) | Q(forfeit=True, amount=0),
                name="item_amount_positive",
            ),
            models.CheckConstraint(condition=Q(month__day=1), name="item_first_of_month"),
        ]

    def __str__(self):
        return f"{self.month:%m/%Y} {self.component}: {self.amount}"


class OverpaymentTransition(models.Model):
    overpayment = models.ForeignKey(
        Overpayment, on_delete=models.CASCADE, related_name="transitions"
    )
    from_status = models.CharField(max_length=12, blank=True)
    to_status = models.CharField(max_length=12)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    at = models.DateTimeField(default=timezone.now)
    why = models.TextField(blank=True)

    class Meta:
        ordering = ["at", "pk"]

    def __str__(self):
        return f"{self.from_status} → {self.to_status}"

    @property
    def from_label(self):
        return Overpayment.Status(self.from_status).label if self.from_status else ""

    @property
    def to_label(self):
        return Overpayment.Status(self.to_status).label


class Instalment(models.Model):
    """One instalment of a repayment plan (« échéancier »)."""

    overpayment = models.ForeignKey(
        Overpayment, on_delete=models.CASCADE, related_name="instalments"
    )
    due_on = models.DateField("échéance")
    amount = models.DecimalField("montant", max_digits=9, decimal_places=2)

    class Meta:
        ordering = ["due_on", "pk"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="instalment_amount_positive"),
        ]

    def __str__(self):
        return f"{self.due_on:%d/%m/%Y}: {self.amount}"

    @property
    def received(self):
        return sum((r.amount for r in self.recoveries.all()), start=type(self.amount)(0))

    @property
    def cashed(self) -> bool:
        """Received in full, every part confirmed by the paymaster's return file."""
        parts = list(self.recoveries.all())
        return self.received >= self.amount and all(r.cashed_reference for r in parts)

    def is_late(self, today) -> bool:
        return self.due_on < today and self.received < self.amount


class Recovery(models.Model):
    """What reduced what is owed. A write-off later offset on new pay is reversed (a negative
    `write_off_reversal`) by as much as the offset takes, so the sum still equals
    amount − remaining."""

    class Kind(models.TextChoices):
        OFFSET = "offset", "Retenue sur une rémunération"
        INSTALMENT = "instalment", "Échéance encaissée"
        RECEIVED = "received", "Versement reçu hors échéancier"
        WRITE_OFF = "write_off", "Admission en non-valeur"
        WRITE_OFF_REVERSAL = "write_off_reversal", "Reprise de la non-valeur"
        WAIVER = "waiver", "Remise gracieuse"

    overpayment = models.ForeignKey(
        Overpayment, on_delete=models.PROTECT, related_name="recoveries"
    )
    kind = models.CharField(max_length=20, choices=Kind.choices)
    amount = models.DecimalField(max_digits=9, decimal_places=2)
    payment = models.ForeignKey(
        "payments.Payment",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="recoveries",
    )
    instalment = models.ForeignKey(
        Instalment, on_delete=models.PROTECT, null=True, blank=True, related_name="recoveries"
    )
    on = models.DateField("date", default=timezone.localdate)
    note = models.CharField(max_length=250, blank=True)
    # Set when the paymaster's return file says the sum was cashed (« encaissé »): its
    # reference there (a file imported twice records nothing twice).
    cashed_reference = models.CharField("référence d'encaissement", max_length=60, blank=True)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=(Q(kind="write_off_reversal") & Q(amount__lt=0))
                | (~Q(kind="write_off_reversal") & Q(amount__gt=0)),
                name="recovery_amount_sign",
            ),
            models.CheckConstraint(
                condition=~Q(kind="offset") | Q(payment__isnull=False),
                name="offset_names_its_payment",
            ),
        ]

    def __str__(self):
        return f"{self.kind}: {self.amount}"


class WaiverRequest(models.Model):
    """A waiver request (« remise gracieuse »): recorded from the trainee's letter, put on a
    commission's agenda, decided. Recovery is suspended while it is pending."""

    class Decision(models.TextChoices):
        PENDING = "pending", "En attente de la commission"
        GRANTED = "granted", "Remise totale"
        PARTLY = "partly", "Remise partielle (modération)"
        REFUSED = "refused", "Refusée"

    overpayment = models.ForeignKey(Overpayment, on_delete=models.PROTECT, related_name="waivers")
    received_on = models.DateField("reçue le")
    requested_amount = models.DecimalField("montant demandé", max_digits=9, decimal_places=2)
    reasons = models.TextField("motifs")
    financial_situation = models.TextField("situation financière", blank=True)
    commission_on = models.DateField("date de la commission", null=True, blank=True)
    decision = models.CharField(max_length=10, choices=Decision.choices, default=Decision.PENDING)
    granted_amount = models.DecimalField(
        "montant remis", max_digits=9, decimal_places=2, null=True, blank=True
    )
    decided_on = models.DateField("décidée le", null=True, blank=True)
    decision_reference = models.CharField("référence de la décision", max_length=60, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["received_on", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(requested_amount__gt=0), name="waiver_requested_positive"
            ),
            models.UniqueConstraint(
                fields=["overpayment"],
                condition=Q(decision="pending"),
                name="one_pending_waiver_per_overpayment",
            ),
        ]

    def __str__(self):
        return f"{self.received_on:%d/%m/%Y}: {self.requested_amount}"


class NoticeSequence(models.Model):
    """The last order-to-repay number of a region and year (locked to number the next)."""

    region = models.ForeignKey("referential.Region", on_delete=models.PROTECT, related_name="+")
    year = models.PositiveIntegerField()
    last = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["region", "year"], name="one_notice_sequence_per_year")
        ]

    def __str__(self):
        return f"{self.year}: {self.last}"


class BenefitPeriod(models.Model):
    """A period for which France Travail paid the trainee an unemployment benefit (seed 001 §1,
    « double rémunération »): every day of it the Region also paid is claimed back."""

    class Source(models.TextChoices):
        ARE = "are", "ARE"
        ASS = "ass", "ASS"
        OTHER = "other", "Autre allocation"

    region = models.ForeignKey("referential.Region", on_delete=models.PROTECT, related_name="+")
    enrollment = models.ForeignKey(
        "trainees.Enrollment", on_delete=models.PROTECT, related_name="benefit_periods"
    )
    start = models.DateField("du")
    end = models.DateField("au")
    source = models.CharField("allocation", max_length=10, choices=Source.choices)
    reference = models.CharField("référence France Travail", max_length=60, blank=True)
    overpayment = models.OneToOneField(
        Overpayment,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="benefit_period",
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    recorded_at = models.DateTimeField(default=timezone.now)

    objects = scoped(provider_lookup=ENROLLMENT_PROVIDER).as_manager()

    class Meta:
        ordering = ["start", "pk"]
        constraints = [
            models.CheckConstraint(condition=Q(end__gte=F("start")), name="benefit_end_after_start")
        ]

    def __str__(self):
        return f"{self.get_source_display()} du {self.start} au {self.end}"


class InformationCorrection(models.Model):
    """A correction of the dossier after the trainee gave wrong information (issue 13 §1,
    « informations erronées »): from `effective_from` (a month) the new value holds; the months
    before it keep `old_value`. Recording it recomputes the months already paid through the
    engine: what was paid beyond what is now due becomes an overpayment; what is now due beyond
    what was paid is paid by the next run (a regularisation)."""

    class Field(models.TextChoices):
        CATEGORY = "category", "Catégorie de rémunération"
        PRIOR_SALARY = "prior_monthly_salary", "Dernier salaire mensuel brut"
        BIRTH_DATE = "birth_date", "Date de naissance"

    region = models.ForeignKey("referential.Region", on_delete=models.PROTECT, related_name="+")
    dossier = models.ForeignKey(
        "dossiers.Dossier", on_delete=models.PROTECT, related_name="information_corrections"
    )
    field = models.CharField("information corrigée", max_length=25, choices=Field.choices)
    # Values as text (ISO date, decimal, category code): shown through `old_label`/`new_label`.
    old_value = models.CharField("valeur déclarée", max_length=40, blank=True)
    new_value = models.CharField("valeur exacte", max_length=40)
    effective_from = models.DateField("à compter du mois de")
    why = models.TextField("motif")
    overpayment = models.OneToOneField(
        Overpayment,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="information_correction",
    )
    explanation = models.JSONField(default=list)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(default=timezone.now)

    objects = scoped(agents_only=True).as_manager()

    class Meta:
        ordering = ["effective_from", "at", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(effective_from__day=1), name="correction_first_of_month"
            ),
        ]

    def __str__(self):
        return f"{self.get_field_display()} : {self.old_value} → {self.new_value}"
