from django.urls import path

from . import views

app_name = "core"

urlpatterns = [
    path("", views.home, name="home"),
    path("organisme/", views.provider_home, name="provider_home"),
    path("region/", views.agent_dashboard, name="agent_dashboard"),
]
