from django.db.models import Count, Exists, OuterRef, Q
from django.shortcuts import redirect, render
from django.utils import timezone

from remu.actions.models import TrainingAction
from remu.actions.selectors import actions_for
from remu.core.tenancy import require_agent, require_provider
from remu.core.views_generic import paginate
from remu.referential.models import Campaign, Programme, Provider
from remu.referential.selectors import documents_for
from remu.trainees.models import Enrollment

from . import todo


def home(request):
    """Sends each role to its own area."""
    if request.tenant.is_agent:
        return redirect("home:agent_dashboard")
    if request.tenant.is_provider:
        return redirect("home:provider_home")
    if request.user.role == request.user.Role.TRAINEE:
        return redirect("trainee_space:home")
    return render(request, "home/no_access.html", status=403)


def provider_home(request):
    """Provider home (seed 000 « Page d'accueil »): what to do, then the campaign and programme
    choice, the provider's actions, and the campaign's documents to download."""
    require_provider(request)
    tenant = request.tenant
    actions = actions_for(tenant).with_trainee_counts().order_by("planned_start", "number")
    own = TrainingAction.objects.filter(provider=tenant.provider)
    campaigns = list(
        Campaign.objects.filter(Exists(own.filter(campaign=OuterRef("pk")))).order_by("-start_date")
    )
    campaign = _chosen(campaigns, request.GET.get("campaign")) or (
        campaigns[0] if campaigns else None
    )
    programmes = list(
        Programme.objects.filter(
            Exists(own.filter(campaign=campaign, programme=OuterRef("pk")))
        ).order_by("name")
    )
    programme = _chosen(programmes, request.GET.get("programme"))
    actions = actions.filter(campaign=campaign)
    if programme:
        actions = actions.filter(programme=programme)
    documents = documents_for(tenant).filter(campaign=campaign) if campaign else []
    page, query = paginate(request, actions.select_related("programme"))
    return render(
        request,
        "home/provider_home.html",
        {
            "campaigns": campaigns,
            "campaign": campaign,
            "programmes": programmes,
            "programme": programme,
            "page": page,
            "query": query,
            "documents": documents,
            "items": todo.provider_items(tenant, timezone.localdate()),
        },
    )


def _chosen(options, raw):
    """The option whose primary key the query string names, if any (never another tenant's:
    the options were scoped)."""
    return next((o for o in options if str(o.pk) == (raw or "")), None)


def agent_dashboard(request):
    """The agents' home: what to do (each count links to its list), then the region's figures."""
    require_agent(request)
    tenant = request.tenant
    actions = TrainingAction.objects.for_tenant(tenant)
    counts = actions.aggregate(
        total=Count("pk"),
        open=Count("pk", filter=Q(status=TrainingAction.Status.OPEN)),
        planned=Count("pk", filter=Q(status=TrainingAction.Status.PLANNED)),
    )
    return render(
        request,
        "home/agent_dashboard.html",
        {
            "items": todo.agent_items(tenant, timezone.localdate()),
            "counts": counts,
            "campaign_count": Campaign.objects.for_tenant(tenant).count(),
            "provider_count": Provider.objects.for_tenant(tenant).count(),
            "enrollment_count": Enrollment.objects.for_tenant(tenant)
            .filter(status=Enrollment.Status.ACTIVE)
            .count(),
        },
    )
