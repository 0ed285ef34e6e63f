from .models import CampaignDocument


def documents_for(tenant):
    """Campaign documents a tenant may read: the region's, for its agents and providers."""
    if tenant.region is None:
        return CampaignDocument.objects.none()
    return CampaignDocument.objects.filter(campaign__region=tenant.region).select_related(
        "campaign"
    )
