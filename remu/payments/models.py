"""The trainee ledger (what is due), payment runs, payment lines (what is ordered), tax
rates, SEPA files (amounts owed by trainees: `remu.overpayments`). RULES.md §3, §4, §9."""

import zlib

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from remu.core.fields import EncryptedBinaryField, EncryptedCharField, LookupHashField
from remu.core.models import scoped


class Component(models.TextChoices):
    REMUNERATION = "remuneration", "Rémunération"
    ALLOWANCES = "allowances", "Indemnités de transport et d'hébergement"
    ENTRY_BONUS = "entry_bonus", "Aide forfaitaire à l'entrée"
    # Issue 12: the region's complement to the CPAM daily allowances (taxable), RS2 actual
    # transport costs (not taxable), and manual adjustments approved by a second agent, of the
    # remuneration (taxable) or of the allowances (not taxable).
    COMPLEMENT = "complement", "Complément de la Région aux indemnités journalières"
    TRANSPORT_COSTS = "transport_costs", "Frais de transport au réel"
    ADJUSTMENT = "adjustment", "Ajustement manuel de la rémunération"
    ADJUSTMENT_ALLOWANCES = "adj_allowances", "Ajustement manuel des indemnités"


TAXABLE = {  # allowances and transport costs are not taxable
    Component.REMUNERATION,
    Component.ENTRY_BONUS,
    Component.COMPLEMENT,
    Component.ADJUSTMENT,
}
# Components paid on a line of their own: never a « régularisation » of the month's pay.
OWN_LINE = {Component.TRANSPORT_COSTS, Component.ADJUSTMENT, Component.ADJUSTMENT_ALLOWANCES}
# Components that may be negative in the ledger: a negative adjustment is owed by the trainee.
SIGNED = {Component.ADJUSTMENT, Component.ADJUSTMENT_ALLOWANCES}


def ledger_dossier():
    """The dossier a ledger row (a due, a social contribution) is paid under. No index: the
    rows are read by enrollment. So DO_NOTHING rather than PROTECT, whose query before
    deleting a dossier (a draft) would read the whole ledger; the database refuses to delete
    a dossier that has rows (the composite key on PostgreSQL, this one on SQLite)."""
    return models.ForeignKey(
        "dossiers.Dossier", on_delete=models.DO_NOTHING, related_name="+", db_index=False
    )


class DueAmount(models.Model):
    """What is due for an enrollment, a month and a component, as the engine computed it
    from the admitted dossier and the validated attendance (with the explanation)."""

    # On PostgreSQL the region, the enrollment and the dossier the due is paid under (the
    # admitted RS1's, as the run's payment lines) are checked by one composite foreign key,
    # (dossier, enrollment, region) → the dossier's unique (id, enrollment, region) (migration
    # 0019): one check per row at commit instead of two, and the row's region is its
    # enrollment's (its dossier's). Django's three single keys stay on SQLite.
    # No index of its own: no query reads the ledger by region alone (a trainee's page and
    # the run go by enrollment); a run writes 150,000 dues a month for 100,000 trainees.
    region = models.ForeignKey(
        "referential.Region", on_delete=models.PROTECT, related_name="+", db_index=False
    )
    # indexed by the unique (enrollment, month, component), which begins with it
    enrollment = models.ForeignKey(
        "trainees.Enrollment", on_delete=models.PROTECT, related_name="dues", db_index=False
    )
    dossier = ledger_dossier()
    month = models.DateField()
    component = models.CharField(max_length=15, choices=Component.choices)
    amount = models.DecimalField(max_digits=9, decimal_places=2)
    explanation = models.JSONField(default=list)
    version_label = models.CharField(max_length=200, blank=True)
    computed_at = models.DateTimeField(default=timezone.now)

    objects = scoped(provider_lookup="enrollment__action__provider").as_manager()

    class Meta:
        ordering = ["enrollment", "month", "component"]
        constraints = [
            models.UniqueConstraint(
                fields=["enrollment", "month", "component"], name="one_due_per_month_and_component"
            ),
            models.UniqueConstraint(
                fields=["enrollment"],
                condition=Q(component="entry_bonus"),
                name="one_entry_bonus_due_per_enrollment",
            ),
            models.CheckConstraint(
                condition=Q(amount__gte=0) | Q(component__in=["adjustment", "adj_allowances"]),
                name="due_non_negative",
            ),
            models.CheckConstraint(condition=Q(month__day=1), name="due_first_of_month"),
        ]

    def __str__(self):
        return f"{self.enrollment_id} {self.month:%m/%Y} {self.component}: {self.amount}"


class PaymentRun(models.Model):
    class Kind(models.TextChoices):
        MONTHLY = "monthly", "Série mensuelle"
        COMPLEMENTARY = "complementary", "Série complémentaire"

    class Status(models.TextChoices):
        QUEUED = "queued", "En attente du traitement"
        RUNNING = "running", "En cours"
        DONE = "done", "Terminée"
        INTERRUPTED = "interrupted", "Interrompue"

    region = models.ForeignKey("referential.Region", on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(max_length=15, choices=Kind.choices)
    month = models.DateField("mois payé")
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.QUEUED)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    # A preview (dry run) goes through the same chunks, orders nothing and keeps in `summary`
    # what the run would order; it runs in the background too, beside any run.
    is_preview = models.BooleanField("aperçu", default=False)
    total = models.PositiveIntegerField(default=0)
    done = models.PositiveIntegerField(default=0)
    summary = models.JSONField(default=dict, blank=True)

    objects = scoped(agents_only=True).as_manager()

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            # Exactly once: at most one run at work per region at any moment.
            models.UniqueConstraint(
                fields=["region"],
                condition=Q(status__in=["queued", "running"], is_preview=False),
                name="one_active_run_per_region",
            ),
            models.CheckConstraint(condition=Q(month__day=1), name="run_first_of_month"),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} {self.month:%m/%Y} ({self.get_status_display()})"

    @property
    def at_work(self) -> bool:
        """Queued or running: its page polls the progress."""
        return self.status in (self.Status.QUEUED, self.Status.RUNNING)

    @property
    def percent(self) -> int:
        return int(100 * self.done / self.total) if self.total else (100 if self.finished_at else 0)

    @property
    def workers(self) -> list[dict]:
        """The chunks each worker ordered (a run shared by several `db_worker` processes), and
        how many wait (worker « »): counted while the run works, kept in its summary after."""
        if not self.at_work:
            return (self.summary or {}).get("workers", [])
        return self.chunk_workers()

    def chunk_workers(self) -> list[dict]:
        return list(
            self.chunks.values("worker")
            .annotate(count=models.Count("pk"), enrollments=models.Sum("size"))
            .order_by("worker")
        )


class RunChunk(models.Model):
    """A slice of a run's enrollments (a range of ids), ordered by whichever worker claims it
    (`SELECT … FOR UPDATE SKIP LOCKED`) in the transaction that writes its orders: done exactly
    once; a worker that dies rolls back and leaves its chunk pending for another."""

    class Status(models.TextChoices):
        PENDING = "pending", "À traiter"
        DONE = "done", "Traité"

    run = models.ForeignKey(PaymentRun, on_delete=models.CASCADE, related_name="chunks")
    number = models.PositiveIntegerField()
    first_id = models.BigIntegerField()  # enrollment ids, inclusive
    last_id = models.BigIntegerField()
    size = models.PositiveIntegerField()  # enrollments in the range when the run started
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.PENDING)
    worker = models.CharField(max_length=100, blank=True)  # host:pid of the one that did it
    claimed_at = models.DateTimeField(null=True, blank=True)
    done_at = models.DateTimeField(null=True, blank=True)
    # the chunk's share of the run's summary, gathered when the last chunk is done
    lines = models.PositiveIntegerField(default=0)
    totals = models.JSONField(default=dict, blank=True)
    anomalies = models.JSONField(default=list, blank=True)
    anomaly_count = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["run", "number"]
        constraints = [
            models.UniqueConstraint(fields=["run", "number"], name="one_chunk_number_per_run"),
            models.CheckConstraint(
                condition=Q(first_id__lte=models.F("last_id")), name="chunk_range_ordered"
            ),
        ]

    def __str__(self):
        return f"{self.run_id}/{self.number}"


class PaymentQuerySet(scoped(provider_lookup="enrollment__action__provider")):
    def ordered(self):
        """Lines that count as ordered: every one but the returned (rejected or reissued)."""
        return self.exclude(status__in=RETURNED)


class Payment(models.Model):
    """A payment line. Its life (each change logged in `PaymentTransition`): ordered by a run
    (`pending`) → exported in a SEPA file (`sent`) → `paid`, or returned by the paymaster
    (`rejected`) → `reissued` once a later run orders its amount again on a new line."""

    class Status(models.TextChoices):
        PENDING = "pending", "En attente de traitement"
        SENT = "sent", "Transmis au payeur"
        PAID = "paid", "Payé"
        REJECTED = "rejected", "Rejeté"
        REISSUED = "reissued", "Rejeté puis réémis"

    # The region, the enrollment and the dossier are checked by the database with one
    # composite foreign key, (dossier, enrollment, region) → the dossier's (id, enrollment,
    # region) (migration 0016): one check per line at commit instead of three, and the line's
    # enrollment and region are its dossier's. So no foreign key of their own (the dossier's
    # point to the region and the enrollment; PROTECT is Django's, the database refuses to
    # delete or re-key a dossier that has lines).
    # No index of its own either: lines are read by run, enrollment, reference or id, never
    # by region alone (the region's agents see them through a run or a trainee).
    region = models.ForeignKey(
        "referential.Region",
        on_delete=models.PROTECT,
        related_name="+",
        db_constraint=False,
        db_index=False,
    )
    # indexed by the (run, …) indexes below, which begin with it
    run = models.ForeignKey(
        PaymentRun, on_delete=models.PROTECT, related_name="payments", db_index=False
    )
    enrollment = models.ForeignKey(
        "trainees.Enrollment",
        on_delete=models.PROTECT,
        related_name="payments",
        db_constraint=False,
    )
    dossier = models.ForeignKey(
        "dossiers.Dossier", on_delete=models.PROTECT, related_name="+", db_constraint=False
    )
    month = models.DateField()
    component = models.CharField(max_length=15, choices=Component.choices)
    amount = models.DecimalField("montant ordonné", max_digits=9, decimal_places=2)
    is_regularisation = models.BooleanField(default=False)
    label = models.CharField(max_length=250)
    withholding = models.DecimalField(max_digits=9, decimal_places=2, default=0)
    offset = models.DecimalField("retenue sur somme due", max_digits=9, decimal_places=2, default=0)
    net = models.DecimalField(max_digits=9, decimal_places=2)
    tax_rate = models.DecimalField(max_digits=5, decimal_places=2, default=0)
    iban = EncryptedCharField(max_length=34)  # encrypted at rest (a copy of the dossier's token)
    bic = models.CharField(max_length=11, blank=True)
    account_holder = models.CharField(max_length=120)
    reference = models.CharField(max_length=35, unique=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    created_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)
    paid_on = models.DateField(null=True, blank=True)
    rejected_on = models.DateField(null=True, blank=True)
    mandate_number = models.CharField("n° de mandat", max_length=40, blank=True)

    objects = PaymentQuerySet.as_manager()

    class Meta:
        ordering = ["-month", "component", "created_at"]
        indexes = [
            # a run's page: its lines in the run's order, 50 at a time (no sort of the run)
            models.Index(
                fields=["run", "enrollment", "month", "component", "id"], name="payment_run_order"
            ),
            # the returned lines (a few) of a chunk's enrollments, which a run reissues: read
            # from this small index, not from the chunk's every line (rejected_on is never
            # changed by the SEPA export: its updates stay HOT)
            models.Index(
                fields=["enrollment"],
                condition=Q(rejected_on__isnull=False),
                name="payment_returned",
            ),
            # No index names `status` (nor `sent_at`), not even in a condition: the SEPA export
            # changes the status of a whole run's lines, which PostgreSQL then updates in place
            # (HOT: no index entry to add, the table's pages kept half free for it, fillfactor
            # 50, migration 0013) — six times less work than a new entry in every index.
        ]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="payment_amount_positive"),
            models.CheckConstraint(
                condition=Q(withholding__gte=0, offset__gte=0, net__gte=0),
                name="payment_parts_non_negative",
            ),
            # « not returned » said by the return date (the same lines, checked below), not by
            # the status: no index condition on `status` (see the indexes)
            models.UniqueConstraint(
                fields=["enrollment"],
                condition=Q(component="entry_bonus") & Q(rejected_on__isnull=True),
                name="one_entry_bonus_ordered_per_enrollment",
            ),
            models.CheckConstraint(
                condition=(Q(status__in=["rejected", "reissued"]) & Q(rejected_on__isnull=False))
                | (~Q(status__in=["rejected", "reissued"]) & Q(rejected_on__isnull=True)),
                name="returned_payment_has_date",
            ),
            models.CheckConstraint(
                condition=~Q(status="paid") | Q(paid_on__isnull=False), name="paid_payment_has_date"
            ),
        ]

    def __str__(self):
        return f"{self.reference} {self.amount} ({self.get_status_display()})"

    @property
    def status_date(self):
        return {
            "pending": self.created_at.date(),
            "sent": self.sent_at.date() if self.sent_at else None,
            "paid": self.paid_on,
            "rejected": self.rejected_on,
            "reissued": self.rejected_on,
        }[self.status]


RETURNED = (Payment.Status.REJECTED, Payment.Status.REISSUED)


class PaymentTransition(models.Model):
    """The history of a payment line: who, when, from, to, why (its creation by the run is
    the line's own `created_at` and `run`)."""

    payment = models.ForeignKey(Payment, on_delete=models.CASCADE, related_name="transitions")
    from_status = models.CharField(max_length=10, blank=True)
    to_status = models.CharField(max_length=10)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True
    )
    at = models.DateTimeField(default=timezone.now)
    reason = models.CharField(max_length=250, blank=True)

    class Meta:
        ordering = ["at", "pk"]

    def __str__(self):
        return f"{self.from_status} → {self.to_status}"


class TaxRate(models.Model):
    """A personalised withholding rate sent by the tax administration, from a date."""

    region = models.ForeignKey("referential.Region", on_delete=models.PROTECT, related_name="+")
    nir = EncryptedCharField(max_length=15)  # encrypted at rest; found by its hash
    nir_hash = LookupHashField(source="nir")
    rate = models.DecimalField(max_digits=5, decimal_places=2)
    valid_from = models.DateField()
    imported_at = models.DateTimeField(default=timezone.now)

    objects = scoped(agents_only=True).as_manager()

    class Meta:
        ordering = ["nir_hash", "-valid_from"]
        constraints = [
            models.UniqueConstraint(
                fields=["region", "nir_hash", "valid_from"], name="one_rate_per_nir_and_date"
            ),
            models.CheckConstraint(
                condition=Q(rate__gte=0, rate__lte=100), name="tax_rate_percent"
            ),
        ]

    def __str__(self):
        return f"{self.nir} {self.rate} % au {self.valid_from:%d/%m/%Y}"


class CompressedEncryptedBinaryField(EncryptedBinaryField):
    """A file kept compressed (zlib, level 1) then encrypted: a pain.001 file of repeated tags
    shrinks about tenfold in a fraction of a second, so a tenth is encrypted, sent and stored
    (45 MB for 150,000 transfers otherwise). The application reads the plain file. A content
    stored before, uncompressed, still reads: a zlib stream begins with 0x78, XML with « < »."""

    def get_db_prep_value(self, value, connection, prepared=False):
        if value is not None and not prepared and len(value):
            value = zlib.compress(bytes(value), 1)
        return super().get_db_prep_value(value, connection, prepared)

    def from_db_value(self, value, expression, connection):
        value = super().from_db_value(value, expression, connection)
        if value is not None and value[:1] == b"\x78":
            return zlib.decompress(value)
        return value


class SepaFile(models.Model):
    run = models.ForeignKey(PaymentRun, on_delete=models.PROTECT, related_name="sepa_files")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    message_id = models.CharField(max_length=35)
    content = CompressedEncryptedBinaryField()  # encrypted at rest, decrypted on download
    count = models.PositiveIntegerField()
    total = models.DecimalField(max_digits=12, decimal_places=2)

    objects = scoped(region_lookup="run__region", agents_only=True).as_manager()

    class Meta:
        ordering = ["-created_at"]

    def __str__(self):
        return self.message_id


class SocialContribution(models.Model):
    """The social contributions the region pays for a trainee's month (code du travail
    L6342-3): the year's flat hourly base x the hours. Not paid to the trainee: never a
    payment line nor in a SEPA file; declared by the region (the monthly summary)."""

    class Kind(models.TextChoices):
        PAID = "paid", "Stagiaire rémunéré"
        P2S = "p2s", "Protection sociale seule"

    # Checked as the dues' (migration 0019): the dossier is the admitted RS1's for a paid
    # trainee, the admitted P2S's for a P2S-only one.
    region = models.ForeignKey("referential.Region", on_delete=models.PROTECT, related_name="+")
    # indexed by the unique (enrollment, month), which begins with it
    enrollment = models.ForeignKey(
        "trainees.Enrollment",
        on_delete=models.PROTECT,
        related_name="social_contributions",
        db_index=False,
    )
    dossier = ledger_dossier()
    month = models.DateField()
    kind = models.CharField(max_length=4, choices=Kind.choices)
    hours = models.DecimalField(max_digits=7, decimal_places=2)
    base = models.DecimalField("base horaire", max_digits=6, decimal_places=2)
    amount = models.DecimalField(max_digits=9, decimal_places=2)
    explanation = models.CharField(max_length=250, blank=True)
    computed_at = models.DateTimeField(default=timezone.now)

    objects = scoped(provider_lookup="enrollment__action__provider").as_manager()

    class Meta:
        ordering = ["enrollment", "month"]
        constraints = [
            models.UniqueConstraint(
                fields=["enrollment", "month"], name="one_social_contribution_per_month"
            ),
            models.CheckConstraint(
                condition=Q(hours__gte=0, base__gte=0, amount__gte=0),
                name="social_contribution_non_negative",
            ),
            models.CheckConstraint(
                condition=Q(month__day=1), name="social_contribution_first_of_month"
            ),
        ]

    def __str__(self):
        return f"{self.enrollment_id} {self.month:%m/%Y}: {self.amount}"


def adjustment_path(instance, filename):
    # A random name, out of the web root (MEDIA_ROOT is never served): the view serves it.
    import uuid

    return f"adjustments/{instance.region_id}/{uuid.uuid4().hex}"


ADJUSTMENT_LIMIT = 10000  # euros either way: a bound against typing errors, not a rule


class Adjustment(models.Model):
    """A positive or negative manual adjustment of a trainee's month, proposed by an agent; it
    is due only once a second agent of the region approved it (four eyes), then flows through
    the ledger into the next run as its own component."""

    class Status(models.TextChoices):
        PROPOSED = "proposed", "À approuver"
        APPROVED = "approved", "Approuvé"
        REFUSED = "refused", "Refusé"

    class Corrects(models.TextChoices):
        REMUNERATION = "adjustment", "la rémunération (imposable)"
        ALLOWANCES = "adj_allowances", "les indemnités (non imposables)"

    region = models.ForeignKey("referential.Region", on_delete=models.PROTECT, related_name="+")
    enrollment = models.ForeignKey(
        "trainees.Enrollment", on_delete=models.PROTECT, related_name="adjustments"
    )
    month = models.DateField("mois ajusté")
    corrects = models.CharField("corrige", max_length=15, choices=Corrects.choices)
    amount = models.DecimalField("montant (€)", max_digits=9, decimal_places=2)
    reason = models.CharField("motif", max_length=200)
    document = models.FileField(upload_to=adjustment_path, blank=True)
    document_name = models.CharField(max_length=255, blank=True)
    document_type = models.CharField(max_length=50, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PROPOSED)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_reason = models.CharField("motif du refus", max_length=250, blank=True)
    # The run whose ledger first took it into account (its line names it).
    run = models.ForeignKey(
        PaymentRun, on_delete=models.PROTECT, related_name="adjustments", null=True, blank=True
    )

    objects = scoped(agents_only=True).as_manager()

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            # Four eyes: whoever proposed an adjustment never decides on it.
            models.CheckConstraint(
                condition=Q(decided_by__isnull=True) | ~Q(decided_by=models.F("created_by")),
                name="adjustment_four_eyes",
            ),
            models.CheckConstraint(
                condition=Q(status="proposed")
                | Q(decided_by__isnull=False, decided_at__isnull=False),
                name="adjustment_decision_has_author",
            ),
            models.CheckConstraint(
                condition=~Q(status="refused") | ~Q(decision_reason=""),
                name="refused_adjustment_has_reason",
            ),
            models.CheckConstraint(
                condition=~Q(amount=0)
                & Q(amount__gte=-ADJUSTMENT_LIMIT, amount__lte=ADJUSTMENT_LIMIT),
                name="adjustment_amount_bounded",
            ),
            models.CheckConstraint(condition=~Q(reason=""), name="adjustment_has_reason"),
            models.CheckConstraint(condition=Q(month__day=1), name="adjustment_first_of_month"),
        ]

    def __str__(self):
        return f"Ajustement {self.amount} € ({self.get_status_display()})"


class AdjustmentTransition(models.Model):
    """The history of an adjustment: who, when, from, to, why."""

    adjustment = models.ForeignKey(Adjustment, on_delete=models.CASCADE, related_name="transitions")
    from_status = models.CharField(max_length=10, blank=True)
    to_status = models.CharField(max_length=10)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(default=timezone.now)
    reason = models.CharField(max_length=250, blank=True)

    class Meta:
        ordering = ["at", "pk"]

    def __str__(self):
        return f"{self.from_status} → {self.to_status}"
