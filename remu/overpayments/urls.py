from django.urls import path

from . import views

app_name = "overpayments"
urlpatterns = [
    path("region/indus/", views.overpayment_list, name="list"),
    path("region/indus/export.xlsx", views.overpayment_export, name="export"),
    path("region/indus/commission/", views.agenda, name="agenda"),
    path("region/indus/encaissements/", views.receipts, name="receipts"),
    path("region/indus/<int:pk>/", views.overpayment_detail, name="detail"),
    path("region/indus/<int:pk>/notifier/", views.notify, name="notify"),
    path("region/indus/<int:pk>/ordre-de-reversement.pdf", views.notice, name="notice"),
    path("region/indus/<int:pk>/echeancier/", views.plan, name="plan"),
    path("region/indus/<int:pk>/encaissement/", views.receipt, name="receipt"),
    path("region/indus/<int:pk>/remise/", views.waiver_request, name="waiver_request"),
    path(
        "region/inscriptions/<int:pk>/periode-france-travail/",
        views.benefit_period,
        name="benefit_period",
    ),
    path(
        "region/dossiers/<int:pk>/correction-informations/",
        views.correction,
        name="correction",
    ),
    path("region/remises/<int:pk>/commission/", views.waiver_schedule, name="waiver_schedule"),
    path("region/remises/<int:pk>/decision/", views.waiver_decide, name="waiver_decide"),
]
