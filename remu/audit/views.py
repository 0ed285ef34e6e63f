"""The access log page: the region's rules administrators see who read what, and when."""

from django.core.exceptions import PermissionDenied
from django.shortcuts import render
from django.utils import timezone

from remu.core.tenancy import require_agent
from remu.core.views_generic import paginate

from .models import AccessEvent
from .services import kept_months


def access_log(request):
    require_agent(request)
    if not request.user.is_rules_admin:
        raise PermissionDenied("Réservé aux administrateurs des règles de la Région.")
    events = AccessEvent.objects.for_tenant(request.tenant).select_related("user")
    kind = request.GET.get("kind", "")
    if kind in AccessEvent.Kind.values:
        events = events.filter(kind=kind)
    page, query = paginate(request, events, per_page=50)
    return render(
        request,
        "audit/access_log.html",
        {
            "page": page,
            "query": query,
            "kinds": AccessEvent.Kind.choices,
            "kind": kind,
            "months": kept_months(request.tenant.region, timezone.localdate()),
        },
    )
