from django.urls import path

from . import views

app_name = "audit"
urlpatterns = [path("region/journal-des-acces/", views.access_log, name="log")]
