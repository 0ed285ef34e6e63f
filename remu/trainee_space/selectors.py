"""What the trainee's space reads. Every read starts from the logged-in trainee (never from a
tenant: a trainee has none), so another trainee's object is simply not found."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied
from django.db.models import Prefetch
from django.utils import timezone

from remu.attendance.models import AttendanceLine
from remu.core.french import MONTHS, month_of
from remu.dossiers.models import DocumentRequest, Dossier
from remu.overpayments.models import Overpayment
from remu.payments.models import Component, DueAmount, Payment
from remu.rules.parameters import ABSENCE_REASONS
from remu.scales.selectors import engine
from remu.trainees.models import Enrollment, Trainee

from .models import BankDetailsChange, NotificationPreferences

LAST_PAYMENTS = 5

LEGAL_LEAVE_LABELS = {
    "OWN_MARRIAGE": "votre mariage ou PACS",
    "BIRTH": "la naissance ou l'adoption d'un enfant",
    "DEATH_SPOUSE_OR_CHILD": "le décès du conjoint ou d'un enfant",
    "DEATH_PARENT": "le décès d'un parent",
    "CHILD_MARRIAGE": "le mariage d'un enfant",
    "CITIZENSHIP_DAY": "la journée défense et citoyenneté",
}


def trainee_of(request) -> Trainee:
    """The logged-in trainee; any other role (or a trainee login not linked to a record) is
    refused with 403."""
    user = request.user
    if not user.is_authenticated or user.role != user.Role.TRAINEE:
        raise PermissionDenied("Espace réservé aux stagiaires.")
    trainee = Trainee.objects.select_related("region").filter(user=user).first()
    if trainee is None or trainee.anonymised_at is not None:
        raise PermissionDenied("Aucun dossier de stagiaire n'est lié à ce compte.")
    return trainee


def enrollments(trainee: Trainee):
    return (
        Enrollment.objects.filter(trainee=trainee)
        .select_related("action")
        .order_by("-entry_date", "-pk")
    )


def dossiers(trainee: Trainee):
    return (
        Dossier.objects.filter(enrollment__trainee=trainee)
        .select_related("action")
        .order_by("-created_at", "-pk")
    )


def payments(trainee: Trainee):
    return Payment.objects.filter(enrollment__trainee=trainee).order_by(
        "-month", "component", "-created_at", "-pk"
    )


def lines(trainee: Trainee):
    """The trainee's monthly attendance lines paid by the region, newest first (a month the
    region does not pay is declared for the provider's invoice only)."""
    return (
        AttendanceLine.objects.filter(enrollment__trainee=trainee, dossier__isnull=False)
        .select_related("statement", "enrollment__action")
        .order_by("-statement__month", "-pk")
    )


def line(trainee: Trainee, pk: int) -> AttendanceLine | None:
    return (
        lines(trainee).select_related("dossier").prefetch_related("absences").filter(pk=pk).first()
    )


def open_requests(trainee: Trainee):
    """Documents an agent asked for and not yet received (rejected dossiers left out)."""
    return (
        DocumentRequest.objects.filter(
            dossier__enrollment__trainee=trainee, fulfilled_at__isnull=True
        )
        .exclude(dossier__status=Dossier.Status.REJECTED)
        .select_related("dossier")
        .order_by("requested_at", "pk")
    )


def overpayments(trainee: Trainee):
    return (
        Overpayment.objects.filter(trainee=trainee)
        .prefetch_related("waivers")
        .order_by("-detected_at", "-pk")
    )


def overpayment(trainee: Trainee, pk: int) -> Overpayment | None:
    return (
        Overpayment.objects.filter(trainee=trainee, pk=pk)
        .prefetch_related(
            "items",
            "instalments__recoveries",
            Prefetch("recoveries", to_attr="recovery_list"),
            "waivers",
        )
        .first()
    )


def preferences(trainee: Trainee) -> NotificationPreferences:
    """The trainee's preferences (all on when never set; not saved here)."""
    found = NotificationPreferences.objects.filter(trainee=trainee).first()
    return found or NotificationPreferences(trainee=trainee)


def bank_changes(trainee: Trainee):
    return BankDetailsChange.objects.filter(trainee=trainee).order_by("-created_at", "-pk")


def current_bank_details(trainee: Trainee) -> Dossier | None:
    """The admitted RS1 dossier whose bank details the payments use (the latest one)."""
    return (
        Dossier.objects.filter(
            enrollment__trainee=trainee, kind=Dossier.Kind.RS1, status=Dossier.Status.ADMITTED
        )
        .order_by("-created_at", "-pk")
        .first()
    )


def masked(iban: str) -> str:
    """An IBAN shown to its owner: the country and the last four characters."""
    iban = (iban or "").replace(" ", "")
    if len(iban) < 8:
        return "—"
    return f"{iban[:4]} •••• •••• {iban[-4:]}"


# --- the next payment (seed 001 §4.1: in arrears, between the 15th and the 20th) ---------


def long_date(day: dt.date) -> str:
    """« 4 août 2026 »."""
    return f"{day.day} {MONTHS[day.month - 1]} {day.year}"


def payment_window(region, month: dt.date) -> tuple[dt.date, dt.date]:
    """When the pay of `month` is expected: the region's `payment_days` of the next month."""
    following = _following(month)
    days = engine(region).options(region.parameter_set, following)["payment_days"]
    return following.replace(day=days["from"]), following.replace(day=days["to"])


@dataclass
class NextPayment:
    month: dt.date
    status: str  # waiting | validated | in_progress | paid
    text: str
    expected_from: dt.date
    expected_to: dt.date
    action_number: str


def _following(month: dt.date) -> dt.date:
    return (month.replace(day=28) + dt.timedelta(days=4)).replace(day=1)


def next_payment(trainee: Trainee, today: dt.date) -> NextPayment | None:
    """The month after the last one paid (the entry month if none was), if it has begun, with
    its expected date and where it stands: waiting for the provider's attendance statement,
    validated (in the next run), sent to the paymaster, or paid."""
    current = today.replace(day=1)
    admitted = (
        Dossier.objects.filter(
            enrollment__trainee=trainee, kind=Dossier.Kind.RS1, status=Dossier.Status.ADMITTED
        )
        .select_related("enrollment__action")
        .order_by("-enrollment__entry_date", "-pk")
        .first()
    )
    if admitted is None:
        return None
    enrollment = admitted.enrollment
    last = min(enrollment.exit_date or enrollment.action.planned_end, today).replace(day=1)
    lines = Payment.objects.filter(enrollment=enrollment, component=Component.REMUNERATION)
    lines = list(lines.exclude(status=Payment.Status.REJECTED))
    paid = [p.month for p in lines if p.status == Payment.Status.PAID]
    unpaid = {p.month for p in lines if p.status != Payment.Status.PAID}
    chosen = min(unpaid) if unpaid else None
    if chosen is None:
        chosen = _following(max(paid)) if paid else enrollment.entry_date.replace(day=1)
    if chosen > min(last, current):
        return None  # every month begun is paid
    start, stop = payment_window(trainee.region, chosen)
    found = [p for p in lines if p.month == chosen]
    if any(p.status == Payment.Status.SENT for p in found):
        sent = max(p.sent_at for p in found if p.sent_at)
        status = "in_progress"
        text = f"validé, transmis au payeur le {long_date(timezone.localtime(sent).date())}"
    elif (
        found
        or AttendanceLine.objects.filter(
            enrollment=enrollment,
            statement__month=chosen,
            status=AttendanceLine.Status.VALIDATED,
            dossier__isnull=False,
        ).exists()
    ):
        status, text = "validated", "validé"
    else:
        status, text = "waiting", "en attente de l'état de présence de votre organisme"
    return NextPayment(chosen, status, text, start, stop, enrollment.action.number)


def last_paid(trainee: Trainee) -> Payment | None:
    """The latest month's pay that reached the trainee (« payé le … »)."""
    return (
        Payment.objects.filter(
            enrollment__trainee=trainee,
            component=Component.REMUNERATION,
            status=Payment.Status.PAID,
        )
        .order_by("-month", "-paid_on", "-pk")
        .first()
    )


# --- what a month's absences mean (from the region's parameters) ---------------------------


def absence_rule(options: dict, reason: str, legal_leave_kind: str = "") -> tuple[bool, str]:
    """Whether an absence of this reason is paid in the region, and why, in plain French."""
    rule = (options.get("absences") or {}).get(reason) or {}
    label = ABSENCE_REASONS.get(reason, reason)
    if not rule.get("paid"):
        return False, f"Une absence pour {label} n'est pas payée par la Région."
    if reason == "LEGAL_LEAVE":
        days = (options.get("legal_leave_days") or {}).get(legal_leave_kind)
        if days:
            what = LEGAL_LEAVE_LABELS.get(legal_leave_kind, "ce motif")
            plural = "s" if days > 1 else ""
            return True, (
                f"Congé pour motif légal payé dans la limite de {days} jour{plural} pour "
                f"{what} ; les jours au-delà ne sont pas payés."
            )
        return True, "Congé pour motif légal payé dans la limite des jours prévus par la loi."
    if rule.get("limit_days"):
        per = {
            "six_months": "par période de six mois de formation",
            "closure": "par fermeture",
        }.get(rule.get("per"), "")
        return True, (
            f"Une absence pour {label} est payée dans la limite de {rule['limit_days']} jours "
            f"{per} ; au-delà, elle n'est pas payée."
        ).replace("  ", " ")
    return True, f"Une absence pour {label} est payée."


def month_detail(trainee: Trainee, line: AttendanceLine) -> dict:
    """A month as the trainee reads it: what was paid and why, absences, payments."""
    month = line.statement.month
    options = engine(trainee.region).options(trainee.region.parameter_set, month)
    absences = []
    for a in line.absences.all():
        paid, why = absence_rule(options, a.reason, a.legal_leave_kind)
        absences.append({"absence": a, "paid": paid, "why": why})
    month_payments = list(
        Payment.objects.filter(enrollment=line.enrollment, month=month).order_by(
            "component", "created_at", "pk"
        )
    )
    dues = list(
        DueAmount.objects.filter(enrollment=line.enrollment, month=month).order_by("component")
    )
    start, stop = payment_window(trainee.region, month)
    return {
        "month": month,
        "month_label": month_of(month),
        "absences": absences,
        "payments": month_payments,
        "dues": dues,
        "gross": sum((p.amount for p in month_payments if p.status != "rejected"), 0),
        "withholding": sum((p.withholding for p in month_payments if p.status != "rejected"), 0),
        "offset": sum((p.offset for p in month_payments if p.status != "rejected"), 0),
        "net": sum((p.net for p in month_payments if p.status != "rejected"), 0),
        "expected_from": start,
        "expected_to": stop,
    }
