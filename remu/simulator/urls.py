from django.urls import path

from . import views

app_name = "simulator"
urlpatterns = [path("simulateur/", views.simulator, name="simulate")]
