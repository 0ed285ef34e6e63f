"""The lists behind the home pages' to-do items that no other page shows as such."""

from django.shortcuts import render
from django.utils import timezone

from remu.attendance.selectors import statements_to_enter_and_late
from remu.core.tenancy import require_agent, require_provider
from remu.core.views_generic import paginate

from . import todo


def statements(request):
    """The provider's attendance statements to enter before their deadline, and the late ones."""
    require_provider(request)
    today = timezone.localdate()
    to_enter, late = statements_to_enter_and_late(request.tenant, today)
    to_enter, to_enter_query = paginate(request, to_enter, 50, param="a_saisir")
    late, late_query = paginate(request, late, 50, param="retard")
    return render(
        request,
        "home/statements.html",
        {
            "to_enter": to_enter,
            "to_enter_query": to_enter_query,
            "late": late,
            "late_query": late_query,
        },
    )


def runs_todo(request):
    """Months to pay (attendance validated since their last run) and runs waiting for the
    agent: a preview to confirm, a SEPA file to export."""
    require_agent(request)
    page, query = paginate(request, todo.runs_to_confirm(request.tenant))
    return render(
        request,
        "home/runs_todo.html",
        {"months": todo.months_to_prepare(request.tenant), "page": page, "query": query},
    )
