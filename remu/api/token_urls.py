from django.urls import path

from . import views

app_name = "tokens"
urlpatterns = [
    path("organisme/jetons/", views.provider_tokens, name="provider"),
    path("region/organismes/<int:pk>/jetons/", views.agent_tokens, name="agent"),
    path("jetons/<int:pk>/revoquer/", views.revoke, name="revoke"),
]
