from django.urls import path

from . import views

app_name = "communes"
urlpatterns = [path("communes/", views.lookup, name="lookup")]
