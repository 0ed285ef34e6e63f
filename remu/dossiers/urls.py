from django.urls import path

from . import views

app_name = "dossiers"
urlpatterns = [
    path("dossiers/", views.dossier_list, name="list"),
    path("dossiers/nouveau/", views.dossier_create, name="create"),
    path("dossiers/nouveau/actions/", views.action_options, name="action_options"),
    path("dossiers/actions/", views.action_numbers, name="action_numbers"),
    path("dossiers/<int:pk>/", views.dossier_detail, name="detail"),
    path("dossiers/<int:pk>/valider/", views.dossier_confirm, name="confirm"),
    path("dossiers/<int:pk>/supprimer/", views.dossier_delete, name="delete"),
    path("dossiers/<int:pk>/pieces/", views.document_upload, name="upload"),
    path("dossiers/<int:pk>/imprimer/", views.dossier_print, name="print"),
    path("dossiers/<int:pk>/nir/", views.nir_prefill, name="nir_prefill"),
    path("dossiers/<int:pk>/deplacement/", views.travel_move, name="travel_move"),
    path("dossiers/<int:pk>/duree-hebdomadaire/", views.hours_change, name="hours_change"),
    path("pieces/<int:pk>/", views.document_download, name="document"),
    path(
        "decisions-de-prise-en-charge/<int:pk>/",
        views.admission_decision_download,
        name="admission_decision",
    ),
    path("region/dossiers/<int:pk>/codes-acces/", views.reissue_codes, name="reissue_codes"),
    path("region/dossiers/<int:pk>/reception/", views.dossier_reception, name="reception"),
    path("region/dossiers/<int:pk>/decision/", views.dossier_decision, name="decision"),
    path("region/dossiers/<int:pk>/trajets/", views.journey_review, name="journey_review"),
    path(
        "region/dossiers/<int:pk>/confirmer-admission/",
        views.confirm_admission,
        name="confirm_admission",
    ),
]
