from django.db.models import Q

from .models import Dossier


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
