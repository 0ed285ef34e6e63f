from django.urls import path

from . import views

app_name = "scales"
urlpatterns = [
    path("region/baremes/", views.scale_list, name="list"),
    path("region/baremes/nouvelle-version/", views.scale_version_create, name="create"),
    path("region/baremes/revalorisation/", views.scale_revaluation, name="revaluation"),
]
