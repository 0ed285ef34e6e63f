from django.urls import path

from . import views

app_name = "execution"

urlpatterns = [
    path("execution/", views.action_table, name="actions"),
    path("execution/enquetes-a-renseigner/", views.surveys_due, name="surveys_due"),
    path("execution/modele-inscriptions.xlsx", views.import_template, name="import_template"),
    path("region/execution/", views.agent_list, name="agent_list"),
    path("region/execution/<int:pk>/reouvrir/", views.reopen, name="reopen"),
    path("execution/actions/<int:pk>/", views.action_detail, name="action"),
    path("execution/actions/<int:pk>/dates/", views.dates, name="dates"),
    path(
        "execution/actions/<int:pk>/demande-de-report/", views.report_request, name="report_request"
    ),
    path("execution/actions/<int:pk>/stagiaires/", views.registration_list, name="registrations"),
    path("execution/actions/<int:pk>/stagiaires/inscrire/", views.register, name="register"),
    path(
        "execution/actions/<int:pk>/stagiaires/importer/", views.import_registrations, name="import"
    ),
    path("execution/actions/<int:pk>/formateurs/", views.trainers, name="trainers"),
    path("execution/actions/<int:pk>/ouverture/", views.opening, name="opening"),
    path("execution/actions/<int:pk>/cloture/", views.closure, name="closure"),
    path("execution/actions/<int:pk>/enquetes/", views.surveys, name="surveys"),
    path("execution/actions/<int:pk>/etats/", views.editions, name="editions"),
    path(
        "execution/actions/<int:pk>/document-vierge/", views.blank_document, name="blank_document"
    ),
    path("execution/actions/<int:pk>/etat.pdf", views.edition, name="edition"),
    path("execution/inscriptions/<int:pk>/", views.registration_edit, name="registration"),
    path("execution/inscriptions/<int:pk>/supprimer/", views.unregister, name="unregister"),
    path("execution/inscriptions/<int:pk>/sortie/", views.exit_record, name="exit"),
    path("execution/inscriptions/<int:pk>/enquete/", views.survey, name="survey"),
    path("execution/formateurs/<int:pk>/retirer/", views.trainer_remove, name="trainer_remove"),
]
