"""The agents' side of the trainees' bank-details changes: the list to validate (in their
to-do) and the decision page. Scoped to the agent's region; providers and trainees: 403."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render

from remu.audit import services as access
from remu.core.forms import add_errors
from remu.core.tenancy import require_agent
from remu.core.views_generic import paginate
from remu.payments.adjustment_views import EXTENSIONS

from . import forms, services
from .models import BankDetailsChange
from .selectors import current_bank_details, masked

STATUS_FILTERS = [
    ("pending", "À valider"),
    ("validated", "Validés"),
    ("rejected", "Refusés"),
]


def _changes(request):
    require_agent(request)
    return BankDetailsChange.objects.for_tenant(request.tenant).select_related(
        "trainee", "decided_by"
    )


def bank_change_list(request):
    """« Changements de RIB à valider »: the region's trainees' new bank details (paginated)."""
    status = request.GET.get("statut", "pending")
    if status not in dict(STATUS_FILTERS):
        status = "pending"
    queryset = _changes(request).filter(status=status).order_by("created_at", "pk")
    page, query = paginate(request, queryset)
    return render(
        request,
        "trainee_space/agent_bank_changes.html",
        {"page": page, "query": query, "status": status, "filters": STATUS_FILTERS},
    )


def bank_change(request, pk):
    """One change: the new details beside those in use, the RIB, the decision."""
    change = get_object_or_404(_changes(request).prefetch_related("transitions__by"), pk=pk)
    access.record(
        request,
        access.Kind.DOCUMENT,
        f"Changement de RIB n° {change.pk}",
        trainee_id=change.trainee_id,
    )
    form = forms.DecisionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            if form.cleaned_data["decision"] == "validate":
                count = services.validate_bank_change(change, request.user)
                messages.success(
                    request,
                    f"Nouveau RIB validé : appliqué à {count} dossier(s), utilisé dès la "
                    "prochaine série de paiement.",
                )
            else:
                services.reject_bank_change(
                    change, request.user, reason=form.cleaned_data["reason"]
                )
                messages.success(request, "Changement de RIB refusé.")
        except ValidationError as exc:
            add_errors(form, exc)
        else:
            return redirect("trainee_space:agent_bank_changes")
    current = current_bank_details(change.trainee)
    return render(
        request,
        "trainee_space/agent_bank_change.html",
        {
            "change": change,
            "form": form,
            "current": current,
            "current_iban": masked(current.iban) if current else "",
        },
    )


def bank_change_document(request, pk):
    """The RIB the trainee sent, to the region's agents only (never from the web root)."""
    change = get_object_or_404(_changes(request), pk=pk)
    access.record(
        request,
        access.Kind.DOCUMENT,
        f"RIB du changement n° {change.pk}",
        trainee_id=change.trainee_id,
    )
    try:
        handle = change.document.open("rb")
    except (FileNotFoundError, ValueError) as exc:
        raise Http404 from exc
    response = FileResponse(
        handle,
        as_attachment=True,
        filename=f"rib-{change.pk}.{EXTENSIONS.get(change.document_type, 'bin')}",
        content_type=change.document_type,
    )
    response["X-Content-Type-Options"] = "nosniff"
    return response
