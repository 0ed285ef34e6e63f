"""The trainee's page: it gathers dossiers, attendance and payments, so it lives above them."""

from django.shortcuts import get_object_or_404, render

from remu.attendance.models import AttendanceLine, SickLeave
from remu.audit import services as access
from remu.audit.models import AccessEvent
from remu.core.views_generic import paginate
from remu.dossiers.models import Dossier
from remu.overpayments.views import for_trainee
from remu.payments.models import Adjustment, DueAmount, Payment, SocialContribution
from remu.trainee_space.models import BankDetailsChange
from remu.trainees.models import Enrollment, Trainee

from .history import trainee_changes

ACCESSES_SHOWN = 20


def trainee_detail(request, pk):
    """The trainee's page (seed 000 « Détail du stagiaire »): actions, dossiers and their
    history, the scales applied, payments with their status, absences, payment advices."""
    trainee = get_object_or_404(Trainee.objects.for_tenant(request.tenant), pk=pk)
    access.record(
        request, access.Kind.TRAINEE_VIEWED, f"Stagiaire n° {trainee.pk}", trainee_id=trainee.pk
    )
    enrollments = Enrollment.objects.for_tenant(request.tenant).filter(trainee=trainee)
    enrollments = enrollments.select_related("action").prefetch_related(
        "withdrawals__declared_by", "withdrawals__decided_by"
    )
    lines = (
        AttendanceLine.objects.filter(enrollment__in=enrollments)
        .select_related("statement__action")
        .prefetch_related("absences")
        .order_by("-statement__month")
    )
    dossiers = (
        Dossier.objects.for_tenant(request.tenant)
        .filter(enrollment__trainee=trainee)
        .prefetch_related("transitions__by", "information_corrections__by")
    )
    payments = (
        Payment.objects.for_tenant(request.tenant)
        .filter(enrollment__trainee=trainee)
        .order_by("-month", "component", "-created_at")
    )
    dues = (
        DueAmount.objects.for_tenant(request.tenant)
        .filter(enrollment__trainee=trainee, component="remuneration")
        .order_by("month")
    )
    contributions = (
        SocialContribution.objects.for_tenant(request.tenant)
        .filter(enrollment__trainee=trainee)
        .order_by("-month")
    )
    # Agents only (the querysets are empty for a provider): adjustments and health data.
    adjustments = (
        Adjustment.objects.for_tenant(request.tenant)
        .filter(enrollment__trainee=trainee)
        .select_related("created_by", "decided_by", "run")
    )
    sick_leaves = SickLeave.objects.for_tenant(request.tenant).filter(enrollment__trainee=trainee)
    bank_changes = list(
        BankDetailsChange.objects.for_tenant(request.tenant).filter(trainee=trainee)
    )
    # Who saw this trainee's data (agents only: the access log is agents_only).
    accesses = (
        AccessEvent.objects.for_tenant(request.tenant)
        .filter(about_trainee=trainee.pk)  # its page, dossiers, pieces, entry forms, RIB changes
        .select_related("user")[:ACCESSES_SHOWN]
    )
    # The change history (identity, bank details, dossiers): rules administrators only.
    history, query = None, ""
    if request.tenant.is_agent and request.user.is_rules_admin:
        history, query = paginate(request, trainee_changes(request.tenant, trainee), per_page=20)
    return render(
        request,
        "home/trainee_detail.html",
        {
            "trainee": trainee,
            "enrollments": enrollments,
            "lines": lines,
            "dossiers": dossiers,
            "payments": payments,
            "dues": dues,
            "contributions": contributions,
            "overpayments": for_trainee(request.tenant, trainee),
            "adjustments": adjustments,
            "sick_leaves": sick_leaves,
            "accesses": accesses,
            "bank_changes": bank_changes,
            "history": history,
            "query": query,
        },
    )
