from django.db.models import Q

from .models import DocumentRequest, Dossier


def dossiers_for(tenant):
    return Dossier.objects.for_tenant(tenant).select_related(
        "action__campaign", "action__provider", "enrollment__trainee", "region"
    )


def search(queryset, *, status="", campaign=None, action=None, name=""):
    if status:
        queryset = queryset.filter(status=status)
    if campaign:
        queryset = queryset.filter(action__campaign=campaign)
    if action:
        queryset = queryset.filter(action=action)
    if name:
        queryset = queryset.filter(
            Q(enrollment__trainee__birth_name__icontains=name)
            | Q(enrollment__trainee__usage_name__icontains=name)
            | Q(enrollment__trainee__first_names__icontains=name)
            | Q(number__icontains=name)
        )
    return queryset


def open_document_requests(tenant):
    """The pieces the region asked for and the provider has not sent yet, oldest first, with
    their dossier and trainee (a provider's home lists them; an agent's shows those awaited)."""
    return (
        DocumentRequest.objects.filter(
            fulfilled_at__isnull=True, dossier__in=Dossier.objects.for_tenant(tenant)
        )
        .exclude(dossier__status=Dossier.Status.REJECTED)  # nothing more to send
        .select_related("dossier__enrollment__trainee", "dossier__action")
        .order_by("requested_at", "pk")
    )
