"""Test settings: strict (undefined template variables fail), fast, isolated."""

import os
import tempfile

os.environ.setdefault("SECRET_KEY", "test-secret-key-" + "x" * 50)
# Fixed keys, for tests only (never for real data).
os.environ.setdefault("FIELD_ENCRYPTION_KEYS", "HHTfLczG7N-GHm9JhLRhXI1BnTTWGKKUv0Imm9yqOWA=")
os.environ.setdefault("NIR_HASH_KEY", "test-nir-hash-key-" + "h" * 32)

from .base import *  # noqa: E402,F403


class UndefinedTemplateVariableError(Exception):
    pass


class UndefinedVariable(str):
    """`string_if_invalid` that turns a silently empty template variable into an error."""

    def __mod__(self, name):
        raise UndefinedTemplateVariableError(f"Variable de gabarit indéfinie : {name}")


TEMPLATES[0]["OPTIONS"]["string_if_invalid"] = UndefinedVariable("%s")  # noqa: F405
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
MEDIA_ROOT = tempfile.mkdtemp(prefix="remu-test-media-")
STORAGES["staticfiles"] = {  # noqa: F405
    "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
}
TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
AXES_FAILURE_LIMIT = 5
TWO_FACTOR_LOGIN = False  # tests/test_two_factor.py turns it on
LOGGING = {"version": 1, "disable_existing_loggers": False}

# Serve static files from the apps (no collectstatic needed outside production).
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True

# The OpenID Connect provider the trainees' login is tested against (tests/oidc_op): its
# models only; its URLs are served by tests/test_oidc.py alone.
INSTALLED_APPS = [*INSTALLED_APPS, "oidc_provider"]  # noqa: F405
OIDC_USERINFO = "tests.oidc_op.claims.userinfo"
OIDC_EXTRA_SCOPE_CLAIMS = "tests.oidc_op.claims.FranceConnectClaims"
OIDC_IDTOKEN_PROCESSING_HOOK = "tests.oidc_op.claims.idtoken_hook"
