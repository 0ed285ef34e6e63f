from django.urls import path

from . import views

app_name = "invoicing"
urlpatterns = [
    path("actions/<int:pk>/realise/", views.declarations, name="declarations"),
    path("inscriptions/<int:pk>/saisie-horaire/", views.correction, name="correction"),
    path("actions/<int:pk>/facturation/", views.billing, name="billing"),
    path("actions/<int:pk>/sous-traitance/", views.subcontract_add, name="subcontract_add"),
    path("actions/<int:pk>/solde/", views.balance, name="balance"),
    path("actions/<int:pk>/modalites-facturation/", views.terms, name="terms"),
    path(
        "sous-traitance/<int:pk>/confirmer/", views.subcontract_confirm, name="subcontract_confirm"
    ),
    path("factures/", views.invoice_list, name="invoices"),
    path("factures/<int:pk>/", views.invoice_detail, name="invoice"),
    path("factures/<int:pk>/confirmer/", views.invoice_confirm, name="invoice_confirm"),
    path("factures/<int:pk>/supprimer/", views.invoice_delete, name="invoice_delete"),
    path("factures/<int:pk>/factur-x.pdf", views.invoice_pdf, name="invoice_pdf"),
    path("factures/<int:pk>/decision/", views.invoice_decide, name="invoice_decide"),
    path("factures/<int:pk>/paiement/", views.invoice_paid, name="invoice_paid"),
    path("region/declarations-en-retard/", views.late, name="late"),
    path("region/facturation/", views.dashboard_page, name="dashboard"),
    path("region/facturation.xlsx", views.dashboard_xlsx, name="dashboard_xlsx"),
]
