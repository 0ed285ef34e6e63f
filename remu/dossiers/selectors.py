from django.db.models import Exists, Max, OuterRef, Q
from django.db.models.functions import Coalesce

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


def waiting_for_agent(queryset):
    """Dossiers waiting for an agent (pre-entered or received): to_instruct's rows, without
    their submission dates (to count them from the region-status index)."""
    return queryset.filter(status__in=[Dossier.Status.SUBMITTED, Dossier.Status.RECEIVED])


def to_instruct(queryset):
    """Dossiers waiting for an agent (pre-entered or received), oldest submission first;
    `submitted_at` is when the provider validated it."""
    return (
        waiting_for_agent(queryset)
        .annotate(
            submitted_at=Coalesce(
                Max("transitions__at", filter=Q(transitions__to_status=Dossier.Status.SUBMITTED)),
                "created_at",
            )
        )
        .order_by("submitted_at", "pk")
    )


def with_open_requests(queryset):
    requests = DocumentRequest.objects.filter(dossier=OuterRef("pk"), fulfilled_at__isnull=True)
    return queryset.filter(Exists(requests))


def with_rejected_bank_details(queryset):
    """Dossiers whose payment the paymaster returned: bank details to correct."""
    return queryset.filter(bank_details_rejected=True)


# The to-do filters of the dossier list (the home pages link to them): key → (label, filter).
TODO = {
    "instruct": ("À instruire (pré-saisis et reçus), les plus anciens d'abord", to_instruct),
    "requested": ("Pièces demandées par la Région, pas encore envoyées", with_open_requests),
    "bank": ("Virements rejetés : coordonnées bancaires à corriger", with_rejected_bank_details),
}
