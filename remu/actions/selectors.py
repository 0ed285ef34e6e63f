from django.db.models import Q

from .models import TrainingAction


def actions_for(tenant):
    return TrainingAction.objects.for_tenant(tenant).select_related(
        "campaign", "programme", "provider", "region"
    )


def filter_actions(
    queryset, *, q="", campaign=None, programme=None, provider=None, kind="", status=""
):
    if q:
        queryset = queryset.filter(
            Q(number__icontains=q) | Q(title__icontains=q) | Q(provider__name__icontains=q)
        )
    if campaign:
        queryset = queryset.filter(campaign=campaign)
    if programme:
        queryset = queryset.filter(programme=programme)
    if provider:
        queryset = queryset.filter(provider=provider)
    if kind:
        queryset = queryset.filter(kind=kind)
    if status:
        queryset = queryset.filter(status=status)
    return queryset
