"""The OpenID Connect login's URLs (remu.trainee_space.oidc): they answer 404 while it is off."""

from django.contrib.auth.decorators import login_not_required
from django.db import transaction
from django.urls import path

from . import oidc

app_name = "oidc"

urlpatterns = [
    path(
        "franceconnect/connexion/",
        login_not_required(oidc.AuthenticateView.as_view()),
        name="authenticate",
    ),
    path(
        "franceconnect/retour/",
        login_not_required(transaction.non_atomic_requests(oidc.CallbackView.as_view())),
        name="callback",
    ),
    path("franceconnect/deconnexion/", oidc.logout, name="logout"),
]
