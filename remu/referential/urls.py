from django.urls import path

from . import views

app_name = "referential"

urlpatterns = [
    path("region/campagnes/", views.campaign_list, name="campaign_list"),
    path("region/campagnes/nouvelle/", views.CampaignCreateView.as_view(), name="campaign_create"),
    path(
        "region/campagnes/<int:pk>/modifier/",
        views.CampaignUpdateView.as_view(),
        name="campaign_update",
    ),
    path(
        "region/campagnes/<int:pk>/documents/",
        views.campaign_documents,
        name="campaign_documents",
    ),
    path(
        "region/documents/<int:pk>/supprimer/",
        views.campaign_document_delete,
        name="campaign_document_delete",
    ),
    path(
        "documents/<int:pk>/telecharger/",
        views.campaign_document_download,
        name="campaign_document_download",
    ),
    path("region/dispositifs/", views.programme_list, name="programme_list"),
    path(
        "region/dispositifs/nouveau/", views.ProgrammeCreateView.as_view(), name="programme_create"
    ),
    path(
        "region/dispositifs/<int:pk>/modifier/",
        views.ProgrammeUpdateView.as_view(),
        name="programme_update",
    ),
    path("region/organismes/", views.provider_list, name="provider_list"),
    path("region/organismes/nouveau/", views.ProviderCreateView.as_view(), name="provider_create"),
    path("region/organismes/<int:pk>/", views.provider_detail, name="provider_detail"),
    path(
        "region/organismes/<int:pk>/modifier/",
        views.ProviderUpdateView.as_view(),
        name="provider_update",
    ),
    path("logo/<slug:code>/", views.region_logo, name="region_logo"),
    path("region/parametres/", views.region_settings, name="region_settings"),
]
