"""A real OpenID Connect provider for the tests (django-oidc-provider), FranceConnect-like:
one scope per identity claim, `acr` in the ID token, RS256 keys published at its JWKS.

It runs in the test settings only (INSTALLED_APPS there) and is served, next to Remu, by
pytest-django's live server under /openid/ with the URL configuration of `tests.oidc_op.urls`.
"""
