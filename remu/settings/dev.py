"""Development and demo settings: `make run`."""

import os

os.environ.setdefault("DEBUG", "true")
# Fixed keys for the demo's data only: production sets its own (remu/settings/production.py).
os.environ.setdefault("FIELD_ENCRYPTION_KEYS", "M8Bk961dHksp13ZWEgS902jZfaRrZqkkRhfP_Kt9Xlw=")
os.environ.setdefault("NIR_HASH_KEY", "dev-only-nir-hash-key-never-use-in-production")

from .base import *  # noqa: E402,F403
from .base import env  # noqa: E402

SECRET_KEY = env.str("SECRET_KEY", default="dev-only-insecure-key-never-use-in-production")
STORAGES["staticfiles"] = {  # noqa: F405
    "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
}

# Serve static files from the apps (no collectstatic needed outside production).
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True
