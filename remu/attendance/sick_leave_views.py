"""Agents enter a trainee's sick and maternity / paternity leaves (health data: agents only)."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from remu.core.forms import add_errors
from remu.core.tenancy import require_agent
from remu.trainees.models import Enrollment

from . import forms, sick_leaves
from .models import SickLeave


def sick_leave_list(request, pk):
    """The enrollment's leaves and the form to add one."""
    require_agent(request)
    enrollment = get_object_or_404(
        Enrollment.objects.for_tenant(request.tenant).select_related("trainee", "action"), pk=pk
    )
    form = forms.SickLeaveForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            sick_leaves.add(enrollment, request.user, **form.cleaned_data)
        except ValidationError as exc:
            add_errors(form, exc)
        else:
            messages.success(
                request, "Arrêt enregistré : il sera pris en compte au calcul des mois concernés."
            )
            return redirect("attendance:sick_leaves", pk=pk)
    return render(
        request,
        "attendance/sick_leaves.html",
        {
            "enrollment": enrollment,
            "leaves": SickLeave.objects.for_tenant(request.tenant).filter(enrollment=enrollment),
            "form": form,
        },
    )


@require_POST
def sick_leave_delete(request, pk):
    require_agent(request)
    leave = get_object_or_404(SickLeave.objects.for_tenant(request.tenant), pk=pk)
    enrollment_id = leave.enrollment_id
    leave.delete()
    messages.success(request, "Arrêt supprimé.")
    return redirect("attendance:sick_leaves", pk=enrollment_id)
