"""Agents' pages for manual adjustments: propose one on a trainee's month, the list of those
waiting for a second agent's decision, the decision, the supporting document."""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from remu.core.forms import add_errors
from remu.core.tenancy import require_agent
from remu.core.views_generic import paginate
from remu.trainees.models import Enrollment

from . import adjustments, forms
from .models import Adjustment

EXTENSIONS = {"application/pdf": "pdf", "image/jpeg": "jpg", "image/png": "png"}
STATUS_FILTERS = [("proposed", "À approuver"), ("approved", "Approuvés"), ("refused", "Refusés")]


def adjustable_months(enrollment: Enrollment, today: dt.date) -> list[dt.date]:
    """From the entry month to the exit month, never beyond the current month."""
    month = enrollment.entry_date.replace(day=1)
    last = min(enrollment.exit_date or today, today).replace(day=1)
    months = []
    while month <= last:
        months.append(month)
        month = (month + dt.timedelta(days=32)).replace(day=1)
    return months


def adjustment_add(request, pk):
    """« Ajouter un ajustement » on a trainee's enrollment."""
    require_agent(request)
    enrollment = get_object_or_404(
        Enrollment.objects.for_tenant(request.tenant).select_related("trainee", "action"), pk=pk
    )
    form = forms.AdjustmentForm(
        request.POST or None,
        request.FILES or None,
        months=adjustable_months(enrollment, timezone.localdate()),
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            adjustments.propose(
                enrollment,
                request.user,
                month=data["month"],
                corrects=data["corrects"],
                amount=data["amount"],
                reason=data["reason"],
                document=data["document"],
            )
        except ValidationError as exc:
            add_errors(form, exc)
        else:
            messages.success(
                request,
                "Ajustement proposé : il sera pris en compte après l'approbation d'un second "
                "agent de la Région.",
            )
            return redirect("home:trainee", pk=enrollment.trainee_id)
    return render(
        request, "payments/adjustment_form.html", {"enrollment": enrollment, "form": form}
    )


def adjustment_list(request):
    """« Ajustements à approuver »: the region's adjustments waiting for a second agent (or
    those approved / refused), paginated."""
    require_agent(request)
    status = request.GET.get("statut", "proposed")
    if status not in dict(STATUS_FILTERS):
        status = "proposed"
    queryset = (
        Adjustment.objects.for_tenant(request.tenant)
        .filter(status=status)
        .select_related("enrollment__trainee", "enrollment__action", "created_by", "decided_by")
        .order_by("created_at", "pk")
    )
    page, query = paginate(request, queryset)
    return render(
        request,
        "payments/adjustment_list.html",
        {
            "page": page,
            "query": query,
            "status": status,
            "filters": STATUS_FILTERS,
        },
    )


@require_POST
def adjustment_decide(request, pk):
    """A second agent approves or refuses (the one who proposed it is refused)."""
    require_agent(request)
    adjustment = get_object_or_404(Adjustment.objects.for_tenant(request.tenant), pk=pk)
    try:
        if request.POST.get("decision") == "approve":
            adjustments.approve(adjustment, request.user)
            messages.success(request, "Ajustement approuvé : la prochaine série le paiera.")
        else:
            form = forms.AdjustmentRefusalForm(request.POST)
            if not form.is_valid():
                messages.error(request, "Le motif du refus est obligatoire.")
                return redirect("payments:adjustments")
            adjustments.refuse(adjustment, request.user, form.cleaned_data["decision_reason"])
            messages.success(request, "Ajustement refusé.")
    except ValidationError as exc:
        for error in exc.messages:
            messages.error(request, error)
    return redirect("payments:adjustments")


def adjustment_document(request, pk):
    """The supporting document, to the region's agents only (never from the web root)."""
    require_agent(request)
    adjustment = get_object_or_404(Adjustment.objects.for_tenant(request.tenant), pk=pk)
    if not adjustment.document:
        raise Http404
    try:
        handle = adjustment.document.open("rb")
    except FileNotFoundError as exc:
        raise Http404 from exc
    response = FileResponse(
        handle,
        as_attachment=True,
        filename=f"ajustement-{adjustment.pk}.{EXTENSIONS[adjustment.document_type]}",
        content_type=adjustment.document_type,
    )
    response["X-Content-Type-Options"] = "nosniff"
    return response
