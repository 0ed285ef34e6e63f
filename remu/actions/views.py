from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render

from remu.core.tenancy import require_agent
from remu.core.views_generic import paginate

from . import selectors, services
from .forms import ActionFilterForm, ActionPeriodFormSet, TrainingActionForm
from .models import TrainingAction


def action_list(request):
    """Agents: every action of the region, filtered, searched, paginated."""
    require_agent(request)
    form = ActionFilterForm(request.GET or None, tenant=request.tenant)
    actions = (
        selectors.actions_for(request.tenant)
        .with_trainee_counts()
        .order_by("-planned_start", "number")
    )
    if form.is_valid():
        actions = selectors.filter_actions(actions, **form.cleaned_data)
    page, query = paginate(request, actions)
    return render(request, "actions/action_list.html", {"form": form, "page": page, "query": query})


def action_detail(request, pk):
    """The action summary (seed 003 « résumé de l'action ») and its enrolled trainees."""
    action = get_object_or_404(selectors.actions_for(request.tenant), pk=pk)
    enrollments = action.enrollments.select_related("trainee").order_by(
        "trainee__birth_name", "trainee__first_names"
    )
    return render(
        request,
        "actions/action_detail.html",
        {"action": action, "enrollments": enrollments, "periods": action.periods.all()},
    )


def action_edit(request, pk=None):
    """Agents create or edit an action with its centre and company periods."""
    require_agent(request)
    action = None
    if pk is not None:
        action = get_object_or_404(TrainingAction.objects.for_tenant(request.tenant), pk=pk)
    data = request.POST if request.method == "POST" else None
    form = TrainingActionForm(data, instance=action, tenant=request.tenant)
    periods = ActionPeriodFormSet(data, instance=action or TrainingAction(), prefix="periods")
    if data is not None and form.is_valid() and periods.is_valid():
        action = services.save_action(form, periods)
        messages.success(
            request, "L'action a été créée." if pk is None else "L'action a été modifiée."
        )
        return redirect("actions:detail", pk=action.pk)
    return render(
        request,
        "actions/action_form.html",
        {"form": form, "periods": periods, "action": action},
    )
