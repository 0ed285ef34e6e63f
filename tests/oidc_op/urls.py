"""Remu's URLs plus the test provider's under /openid/ (open to anonymous callers: the token,
userinfo and JWKS endpoints are called server to server)."""

from django.contrib.auth.decorators import login_not_required
from django.urls import include, path
from oidc_provider.urls import urlpatterns as provider

for pattern in provider:
    login_not_required(pattern.callback)

urlpatterns = [
    path("openid/", include((provider, "oidc_provider"))),
    path("", include("remu.urls")),
]
