from django.contrib.auth import views as auth_views
from django.urls import path

from . import provider_users, two_factor, views

app_name = "accounts"

urlpatterns = [
    path("connexion/", views.LoginView.as_view(), name="login"),
    path("deconnexion/", auth_views.LogoutView.as_view(), name="logout"),
    path("mot-de-passe/oublie/", views.PasswordResetView.as_view(), name="password_reset"),
    path(
        "mot-de-passe/oublie/envoye/",
        views.PasswordResetDoneView.as_view(),
        name="password_reset_done",
    ),
    path(
        "mot-de-passe/nouveau/<uidb64>/<token>/",
        views.PasswordResetConfirmView.as_view(),
        name="password_reset_confirm",
    ),
    path(
        "mot-de-passe/nouveau/termine/",
        views.PasswordResetCompleteView.as_view(),
        name="password_reset_complete",
    ),
    path("invitation/<uidb64>/<token>/", views.InvitationView.as_view(), name="invitation"),
    path("mot-de-passe/changer/", views.PasswordChangeView.as_view(), name="password_change"),
    path("mon-compte/", views.account, name="account"),
    path("double-authentification/", two_factor.setup, name="two_factor_setup"),
    path("double-authentification/code/", two_factor.verify, name="two_factor_verify"),
    path("double-authentification/secours/", two_factor.codes, name="two_factor_codes"),
    path("organisme/choisir/", views.switch_provider, name="switch_provider"),
    path(
        "region/organismes/<int:pk>/inviter/",
        provider_users.provider_invite,
        name="provider_invite",
    ),
    path(
        "region/acces/<int:pk>/renvoyer/",
        provider_users.membership_resend,
        name="membership_resend",
    ),
    path(
        "region/acces/<int:pk>/retirer/", provider_users.membership_remove, name="membership_remove"
    ),
]
