from django.urls import path

from . import views

app_name = "actions"

urlpatterns = [
    path("region/actions/", views.action_list, name="list"),
    path("region/actions/nouvelle/", views.action_edit, name="create"),
    path("region/actions/<int:pk>/modifier/", views.action_edit, name="update"),
    path("actions/<int:pk>/", views.action_detail, name="detail"),
]
