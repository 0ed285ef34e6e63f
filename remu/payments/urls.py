from django.urls import path

from . import adjustment_views, views

app_name = "payments"
urlpatterns = [
    path("region/paiements/", views.runs, name="runs"),
    path("region/paiements/series/<int:pk>/", views.run_detail, name="run"),
    path("region/paiements/series/<int:pk>/progression/", views.run_progress, name="progress"),
    path("region/paiements/series/<int:pk>/sepa/", views.sepa_export, name="sepa_export"),
    path("region/paiements/sepa/<int:pk>/", views.sepa_download, name="sepa_download"),
    path("region/paiements/retours/", views.returns, name="returns"),
    path("region/paiements/taux/", views.tax_rates, name="tax_rates"),
    path("region/dossiers/<int:pk>/banque/", views.bank_details, name="bank_details"),
    path("paiements/<int:pk>/avis.pdf", views.advice, name="advice"),
    path(
        "region/inscriptions/<int:pk>/ajustement/",
        adjustment_views.adjustment_add,
        name="adjustment_add",
    ),
    path("region/ajustements/", adjustment_views.adjustment_list, name="adjustments"),
    path(
        "region/ajustements/<int:pk>/decision/",
        adjustment_views.adjustment_decide,
        name="adjustment_decide",
    ),
    path(
        "region/ajustements/<int:pk>/justificatif/",
        adjustment_views.adjustment_document,
        name="adjustment_document",
    ),
]
