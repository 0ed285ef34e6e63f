from django.urls import path

from . import agent_views, views

app_name = "trainee_space"

urlpatterns = [
    path("mon-espace/", views.home, name="home"),
    path("mon-espace/paiements/", views.payments, name="payments"),
    path("mon-espace/mois/<int:pk>/", views.month, name="month"),
    path("mon-espace/paiements/<int:pk>/avis.pdf", views.advice, name="advice"),
    path("mon-espace/decisions/<int:pk>/decision.pdf", views.decision, name="decision"),
    path("mon-espace/pieces-demandees/<int:pk>/", views.upload, name="upload"),
    path("mon-espace/indus/<int:pk>/", views.overpayment, name="overpayment"),
    path("mon-espace/coordonnees-bancaires/", views.bank_details, name="bank_details"),
    path("mon-espace/droits-et-obligations/", views.rights_page, name="rights"),
    path("mon-espace/notifications/", views.notifications, name="notifications"),
    path("region/changements-de-rib/", agent_views.bank_change_list, name="agent_bank_changes"),
    path("region/changements-de-rib/<int:pk>/", agent_views.bank_change, name="agent_bank_change"),
    path(
        "region/changements-de-rib/<int:pk>/rib",
        agent_views.bank_change_document,
        name="agent_bank_change_document",
    ),
]
