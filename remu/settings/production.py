"""Production settings: everything secret or host-specific comes from the environment."""

from django.core.exceptions import ImproperlyConfigured

from .base import *  # noqa: F403
from .base import env

DEBUG = False
SECRET_KEY = env.str("SECRET_KEY")
if len(SECRET_KEY) < 50:
    raise ImproperlyConfigured("SECRET_KEY doit compter au moins 50 caractères en production.")

SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True

if not FIELD_ENCRYPTION_KEYS:  # noqa: F405
    raise ImproperlyConfigured(
        "FIELD_ENCRYPTION_KEYS est obligatoire en production (clés Fernet, séparées par des "
        "virgules)."
    )
if len(NIR_HASH_KEY) < 32:  # noqa: F405
    raise ImproperlyConfigured("NIR_HASH_KEY doit compter au moins 32 caractères en production.")

if not TWO_FACTOR_LOGIN:  # noqa: F405
    raise ImproperlyConfigured("La double authentification des agents est obligatoire.")

if OIDC_ENABLED and not all(  # noqa: F405
    url.startswith("https://")
    for url in [OIDC_ISSUER, OIDC_OP_AUTHORIZATION_ENDPOINT, OIDC_OP_TOKEN_ENDPOINT]  # noqa: F405
    if url
):
    raise ImproperlyConfigured("Le fournisseur d'identité OpenID Connect doit être en HTTPS.")
