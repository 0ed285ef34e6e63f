from django.urls import path

from . import sick_leave_views, views

app_name = "attendance"
urlpatterns = [
    path("actions/<int:pk>/stagiaires/", views.trainee_list, name="trainees"),
    path("actions/<int:pk>/stagiaires.xlsx", views.trainee_export, name="trainees_xlsx"),
    path("actions/<int:pk>/etats/", views.statement_list, name="statements"),
    path("etats/<int:pk>/", views.statement_detail, name="statement"),
    path("etats/<int:pk>/actualiser/", views.statement_refresh, name="refresh"),
    path("etats/<int:pk>/presence/", views.declare_presence, name="presence"),
    path("etats/<int:pk>/valider/", views.validate, name="validate"),
    path("etats/<int:pk>/certificat.pdf", views.certificate, name="certificate"),
    path("etats/<int:pk>/import/", views.import_declarations, name="import"),
    path("etats/modele-import.xlsx", views.import_template, name="import_template"),
    path("lignes/<int:pk>/absence/", views.absence_add, name="absence_add"),
    path("lignes/<int:pk>/temps-partiel/", views.part_time_save, name="part_time"),
    path("lignes/<int:pk>/rouvrir/", views.reopen, name="reopen"),
    path("absences/<int:pk>/supprimer/", views.absence_delete, name="absence_delete"),
    path("inscriptions/<int:pk>/abandon/", views.withdrawal_declare, name="withdrawal"),
    path("region/abandons/", views.withdrawal_list, name="withdrawals"),
    path("region/abandons/<int:pk>/", views.withdrawal_decide, name="withdrawal_decide"),
    path("region/etats-en-retard/", views.late, name="late"),
    path(
        "region/inscriptions/<int:pk>/arrets/",
        sick_leave_views.sick_leave_list,
        name="sick_leaves",
    ),
    path(
        "region/arrets/<int:pk>/supprimer/",
        sick_leave_views.sick_leave_delete,
        name="sick_leave_delete",
    ),
]
