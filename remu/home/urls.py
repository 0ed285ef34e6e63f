from django.urls import path

from . import lists, trainee, views

app_name = "home"

urlpatterns = [
    path("", views.home, name="home"),
    path("organisme/", views.provider_home, name="provider_home"),
    path("region/", views.agent_dashboard, name="agent_dashboard"),
    path("stagiaires/<int:pk>/", trainee.trainee_detail, name="trainee"),
    path("organisme/etats-a-saisir/", lists.statements, name="statements"),
    path("region/series-a-faire/", lists.runs_todo, name="runs_todo"),
]
