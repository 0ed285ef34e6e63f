from django.urls import path

from .endpoints import api


def _public(patterns):
    """The API authenticates with its own tokens, not the session: exempt it from the login
    middleware (its views answer 401 without a valid token)."""
    for pattern in patterns:
        if hasattr(pattern, "url_patterns"):
            _public(pattern.url_patterns)
        else:
            pattern.callback.login_required = False
    return patterns


urlpatterns = [path("api/", api.urls)]
_public(urlpatterns[0].url_patterns)
