"""What each role has to do: the to-do items of the home pages, each a count with the link to
the list of exactly those items."""

import datetime as dt
from dataclasses import dataclass

from django.db.models import Exists, Max, OuterRef, Q, Subquery, Value
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format

from remu.attendance.models import AttendanceLine, AttendanceStatement, Withdrawal
from remu.attendance.selectors import (
    late_statements,
    statements_to_enter_and_late,
)
from remu.dossiers import selectors as dossier_selectors
from remu.dossiers.models import Dossier
from remu.execution.selectors import surveys_due
from remu.invoicing import selectors as invoicing
from remu.invoicing.models import Invoice
from remu.overpayments.models import Overpayment
from remu.overpayments.selectors import to_follow
from remu.payments.models import Adjustment, Payment, PaymentRun, SepaFile
from remu.trainee_space.models import BankDetailsChange


@dataclass
class Item:
    label: str
    count: int
    url: str
    detail: str = ""


def _days(n: int) -> str:
    return f"{n} jour{'s' if n > 1 else ''}"


def _waiting_since(today: dt.date, oldest) -> str:
    # The day the oldest dossier was submitted, in the region's time zone (as `today` is).
    if oldest is None:
        return ""
    return f"le plus ancien attend depuis {_days((today - timezone.localdate(oldest)).days)}"


def agent_items(tenant, today: dt.date) -> list[Item]:
    dossiers = dossier_selectors.to_instruct(Dossier.objects.for_tenant(tenant))
    # counted without the submission dates (an aggregate over their transitions)
    count = dossier_selectors.waiting_for_agent(Dossier.objects.for_tenant(tenant)).count()
    oldest = dossiers.values_list("submitted_at", flat=True).first() if count else None
    to_prepare = months_to_prepare(tenant)
    return [
        Item(
            "Dossiers à instruire",
            count,
            reverse("dossiers:list") + "?todo=instruct",
            _waiting_since(today, oldest),
        ),
        Item(
            "Abandons à décider",
            Withdrawal.objects.for_tenant(tenant).filter(status=Withdrawal.Status.DECLARED).count(),
            reverse("attendance:withdrawals"),
        ),
        Item(
            "États de présence en retard",
            len(late_statements(tenant, today)),
            reverse("attendance:late"),
        ),
        Item(
            "Déclarations de réalisé en retard (organismes)",
            invoicing.late_declarations_count(tenant, today),
            reverse("invoicing:late"),
        ),
        Item(
            "Factures d'organismes à valider",
            Invoice.objects.for_tenant(tenant).filter(status=Invoice.Status.CONFIRMED).count(),
            reverse("invoicing:invoices"),
        ),
        Item(
            "Mois à payer (série à préparer)",
            len(to_prepare),
            reverse("home:runs_todo") + "#a-preparer",
            ", ".join(date_format(m, "F Y") for m in to_prepare),
        ),
        Item(
            "Séries à confirmer ou à exporter (SEPA)",
            runs_to_confirm(tenant).count(),
            reverse("home:runs_todo") + "#a-confirmer",
        ),
        Item(
            "Virements rejetés : coordonnées bancaires à corriger",
            dossier_selectors.with_rejected_bank_details(
                Dossier.objects.for_tenant(tenant)
            ).count(),
            reverse("dossiers:list") + "?todo=bank",
        ),
        Item(
            "Indus à suivre",
            to_follow(Overpayment.objects.for_tenant(tenant)).count(),
            reverse("overpayments:list") + "?suivi=1",
        ),
        Item(
            "Ajustements à approuver (par un second agent)",
            Adjustment.objects.for_tenant(tenant).filter(status="proposed").count(),
            reverse("payments:adjustments"),
        ),
        Item(
            "Changements de RIB à valider",
            BankDetailsChange.objects.for_tenant(tenant).filter(status="pending").count(),
            reverse("trainee_space:agent_bank_changes"),
        ),
    ]


def provider_items(tenant, today: dt.date) -> list[Item]:
    dossiers = Dossier.objects.for_tenant(tenant)
    to_enter, late = statements_to_enter_and_late(tenant, today)
    requests = dossier_selectors.open_document_requests(tenant).count()
    first_due = to_enter.first_due()
    oldest = late.oldest_month()
    return [
        Item(
            "États de présence à saisir avant l'échéance",
            len(to_enter),
            reverse("home:statements") + "#a-saisir",
            f"à valider avant le {date_format(first_due, 'j F Y')}" if first_due else "",
        ),
        Item(
            "États de présence en retard",
            len(late),
            reverse("home:statements") + "#en-retard",
            f"le plus ancien : {date_format(oldest, 'F Y')}" if oldest else "",
        ),
        Item(
            "Dossiers avec des pièces demandées par la Région",
            dossier_selectors.with_open_requests(dossiers).count(),
            reverse("dossiers:list") + "?todo=requested",
            f"{requests} pièce{'s' if requests > 1 else ''} à envoyer" if requests else "",
        ),
        Item(
            "Factures rejetées par la Région",
            Invoice.objects.for_tenant(tenant).filter(status=Invoice.Status.REJECTED).count(),
            reverse("invoicing:invoices") + "?etat=rejetees",
        ),
        Item(
            "Dossiers en brouillon",
            dossiers.filter(status=Dossier.Status.DRAFT).count(),
            reverse("dossiers:list") + "?status=draft",
        ),
        Item(
            "Enquêtes de suivi des stagiaires à renseigner",
            len(surveys_due(tenant, today)),
            reverse("execution:surveys_due"),
        ),
    ]


def months_to_prepare(tenant) -> list[dt.date]:
    """Months with attendance validated since the last run that paid them (a run pays its
    month and the months before it), oldest first (two queries).

    Never an aggregate over every validated line (100,000 a month in a big region): the
    months after the last paid month need one validated line each (a semi-join per
    statement of those months, a line validated before `validated_at` was recorded too),
    the paid ones only the lines validated after the earliest of their last payments — the
    last paid month's — (the partial index `line_validated_at`: a few lines)."""
    runs = PaymentRun.objects.for_tenant(tenant).filter(
        is_preview=False, status=PaymentRun.Status.DONE, finished_at__isnull=False
    )
    last_paid_month = runs.order_by("-month").values("month")[:1]
    since = runs.order_by("-month", "-finished_at").values("finished_at")[:1]
    lines = AttendanceLine.objects.for_tenant(tenant).filter(
        status=AttendanceLine.Status.VALIDATED, dossier__isnull=False
    )
    unpaid = (
        AttendanceStatement.objects.for_tenant(tenant)
        .filter(month__gt=Coalesce(Subquery(last_paid_month), Value(dt.date.min)))
        .filter(Exists(lines.filter(statement=OuterRef("pk"))))
        .order_by()
        .values_list("month", flat=True)
        .distinct()
    )
    months = set(unpaid)
    paid_again = (
        lines.filter(validated_at__gt=Subquery(since), statement__month__lte=last_paid_month)
        .order_by()
        .values("statement__month")
        .annotate(
            last=Max("validated_at"),
            paid=Subquery(
                runs.filter(month__gte=OuterRef("statement__month"))
                .order_by("-finished_at")
                .values("finished_at")[:1]
            ),
        )
    )
    months |= {row["statement__month"] for row in paid_again if row["last"] > row["paid"]}
    return sorted(months)


def runs_to_confirm(tenant):
    """Finished previews no run or newer preview followed (« Lancer la série » is waiting), and
    runs with lines not yet sent to the paymaster (the SEPA file to export)."""
    same = {
        "region": OuterRef("region"),
        "kind": OuterRef("kind"),
        "month": OuterRef("month"),
        "created_at__gt": OuterRef("created_at"),
    }
    followed = PaymentRun.objects.filter(**same).exclude(status=PaymentRun.Status.INTERRUPTED)
    pending = Payment.objects.filter(run=OuterRef("pk"), status=Payment.Status.PENDING)
    # An export moves every pending line of its run: a run with a file has none left, and is
    # not searched for one (no index names the status: it would scan the run's lines).
    exported = SepaFile.objects.filter(run=OuterRef("pk"))
    return (
        PaymentRun.objects.for_tenant(tenant)
        .filter(status=PaymentRun.Status.DONE)
        .filter(
            (Q(is_preview=True) & ~Exists(followed))
            | (Q(is_preview=False) & ~Exists(exported) & Exists(pending))
        )
        .select_related("created_by")
        .order_by("-created_at")
    )
