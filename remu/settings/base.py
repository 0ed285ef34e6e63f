"""Settings shared by every environment; values come from the environment (12-factor).

Variables: DATABASE_URL (default: SQLite under var/), SECRET_KEY, DEBUG, ALLOWED_HOSTS,
CSRF_TRUSTED_ORIGINS, EMAIL_URL (default: console), DEFAULT_FROM_EMAIL, MEDIA_ROOT,
SITE_URL (absolute links in e-mails), AXES_FAILURE_LIMIT, TRUSTED_PROXY_COUNT and
TRUSTED_PROXY_HEADER (how many reverse proxies stand in front, and the request.META key of the
header they fill with the client's address, e.g. HTTP_X_FORWARDED_FOR or HTTP_X_REAL_IP),
TWO_FACTOR_LOGIN, and the trainees' OpenID Connect login (FranceConnect-ready, off unless
OIDC_RP_CLIENT_ID is set): OIDC_ISSUER (endpoints read from its discovery document) or
OIDC_OP_AUTHORIZATION_ENDPOINT, OIDC_OP_TOKEN_ENDPOINT, OIDC_OP_USER_ENDPOINT,
OIDC_OP_JWKS_ENDPOINT, OIDC_OP_LOGOUT_ENDPOINT; OIDC_RP_CLIENT_ID, OIDC_RP_CLIENT_SECRET,
OIDC_RP_SIGN_ALGO, OIDC_RP_SCOPES, OIDC_ACR_VALUES, OIDC_PROMPT, OIDC_REGION.
"""

from pathlib import Path

import environ
from csp.constants import NONE, SELF

BASE_DIR = Path(__file__).resolve().parent.parent.parent
VAR_DIR = BASE_DIR / "var"

env = environ.Env()

DEBUG = env.bool("DEBUG", default=False)
SECRET_KEY = env.str("SECRET_KEY", default="")
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
SITE_URL = env.str("SITE_URL", default="http://127.0.0.1:8000")

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "django_tasks",
    "django_tasks_db",
    "simple_history",
    "remu.core",
    "remu.communes",
    "remu.referential",
    "remu.accounts",
    "remu.actions",
    "remu.trainees",
    "remu.scales",
    "remu.audit",
    "remu.dossiers",
    "remu.attendance",
    "remu.api",
    "remu.payments",
    "remu.execution",
    "remu.overpayments",
    "remu.invoicing",
    "remu.simulator",
    "remu.trainee_space",
    "remu.home",
    "remu.demo",
    # Last: its templates are overridden by remu.api's; its static files serve Swagger UI
    # at /api/docs (ninja falls back to a CDN when it is not installed).
    "ninja",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "remu.core.middleware.RejectNulBytesMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "axes.middleware.AxesMiddleware",
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    "remu.accounts.middleware.TenantMiddleware",
    "remu.accounts.middleware.ForcePasswordChangeMiddleware",
    "remu.accounts.middleware.TraineeAreaMiddleware",
    "remu.accounts.middleware.TwoFactorMiddleware",
]

ROOT_URLCONF = "remu.urls"
WSGI_APPLICATION = "remu.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "remu" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "remu.core.context_processors.tenant",
            ],
        },
    },
]

DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'remu.sqlite3'}"),
}
DATABASES["default"]["ATOMIC_REQUESTS"] = True
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL and a busy timeout let the web process and the task worker share the file.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {"timeout": 20, "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"}
    )
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
    # Authenticates only an OpenID Connect callback (and nothing while OIDC_ENABLED is off).
    "remu.trainee_space.oidc.TraineeOIDCBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# Trainees' login by OpenID Connect (remu.trainee_space.oidc, mozilla-django-oidc): the
# authorization-code flow with PKCE, state and nonce, as FranceConnect expects. Off (no URL
# answers, no button) unless a client id is set together with an issuer or the endpoints.
OIDC_ISSUER = env.str("OIDC_ISSUER", default="").rstrip("/")
OIDC_OP_AUTHORIZATION_ENDPOINT = env.str("OIDC_OP_AUTHORIZATION_ENDPOINT", default="")
OIDC_OP_TOKEN_ENDPOINT = env.str("OIDC_OP_TOKEN_ENDPOINT", default="")
OIDC_OP_USER_ENDPOINT = env.str("OIDC_OP_USER_ENDPOINT", default="")
OIDC_OP_JWKS_ENDPOINT = env.str("OIDC_OP_JWKS_ENDPOINT", default="") or None
OIDC_OP_LOGOUT_ENDPOINT = env.str("OIDC_OP_LOGOUT_ENDPOINT", default="")
OIDC_RP_CLIENT_ID = env.str("OIDC_RP_CLIENT_ID", default="")
OIDC_RP_CLIENT_SECRET = env.str("OIDC_RP_CLIENT_SECRET", default="")
OIDC_RP_SIGN_ALGO = env.str("OIDC_RP_SIGN_ALGO", default="RS256")
# FranceConnect's claims: one scope per claim of the « identité pivot ».
OIDC_RP_SCOPES = env.str(
    "OIDC_RP_SCOPES",
    default="openid given_name family_name birthdate gender birthplace birthcountry",
)
# The eIDAS levels accepted in the ID token's acr (the first is asked for in acr_values).
OIDC_ACR_VALUES = env.list("OIDC_ACR_VALUES", default=["eidas1"])
# Added to the authorization request when the provider asks for it (e.g. « login consent »).
OIDC_PROMPT = env.str("OIDC_PROMPT", default="")
# Only the trainees of this region (its code) are linked; empty: any region's.
OIDC_REGION = env.str("OIDC_REGION", default="")
OIDC_USE_PKCE = True
OIDC_USE_NONCE = True
OIDC_STORE_ID_TOKEN = True  # the id_token_hint of the logout at the provider
OIDC_TIMEOUT = 10
OIDC_AUTHENTICATION_CALLBACK_URL = "oidc:callback"
OIDC_CREATE_USER = False  # users are created only by linking to a trainee's record
OIDC_ENABLED = bool(
    OIDC_RP_CLIENT_ID
    and (OIDC_ISSUER or (OIDC_OP_AUTHORIZATION_ENDPOINT and OIDC_OP_TOKEN_ENDPOINT))
)

LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "home:home"
LOGOUT_REDIRECT_URL = "accounts:login"
PASSWORD_RESET_TIMEOUT = 3 * 24 * 3600  # an invitation link stays valid three days
# Trainees log in with a generated identifier (« cvl-7k3m9qxa », printed on their admission
# decision); their account's login is that identifier at this domain, which the login form
# adds when the identifier is typed alone (remu.trainee_space.access).
TRAINEE_LOGIN_DOMAIN = "stagiaires.remu.local"

# Failed logins: locked for an hour after 5 failures on the same login (whatever the address:
# changing address must not unlock an account) or on the same login and address. The login is
# counted lower-case, as logins ignore case; the address is the client's, read from the trusted
# proxy's header when TRUSTED_PROXY_COUNT proxies stand in front (remu.accounts.lockout).
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = 1
AXES_LOCKOUT_PARAMETERS = ["username", ["ip_address", "username"]]
AXES_USERNAME_FORM_FIELD = "username"
AXES_USERNAME_CALLABLE = "remu.accounts.lockout.normalised_username"
AXES_CLIENT_IP_CALLABLE = "remu.accounts.lockout.client_ip"
TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=0)
TRUSTED_PROXY_HEADER = env.str("TRUSTED_PROXY_HEADER", default="HTTP_X_FORWARDED_FOR")
AXES_LOCKOUT_CALLABLE = "remu.accounts.views.locked_out"
AXES_RESET_ON_SUCCESS = True
AXES_VERBOSE = False

# Two-factor login (TOTP, django-otp): required for agents, who order payments; optional for
# providers (required once they have enrolled a device). Off (TWO_FACTOR_LOGIN=false) only in
# the test settings, whose two-factor tests turn it on; production refuses it off.
TWO_FACTOR_LOGIN = env.bool("TWO_FACTOR_LOGIN", default=True)
OTP_TOTP_ISSUER = "Remu"
OTP_TOTP_THROTTLE_FACTOR = 1  # each failure doubles the wait before the next try

# Field-level encryption of NIRs, IBANs and SEPA files (remu.core.crypto; docs/architecture.md
# « Data protection »): Fernet keys, comma-separated, the first encrypts, all decrypt (rotation:
# `manage.py rotate_encryption_key`); NIR_HASH_KEY keys the hash NIRs are looked up by. The
# development and test settings set fixed keys; production refuses to start without them.
FIELD_ENCRYPTION_KEYS = env.list("FIELD_ENCRYPTION_KEYS", default=[])
NIR_HASH_KEY = env.str("NIR_HASH_KEY", default="")

LANGUAGE_CODE = "fr-fr"
LANGUAGES = [("fr", "Français")]
TIME_ZONE = "Europe/Paris"
USE_I18N = True
# Numbers in templates as French readers expect them: 1 234,56 (ids in attributes: |unlocalize).
USE_THOUSAND_SEPARATOR = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = env.str("STATIC_ROOT", default=str(VAR_DIR / "static"))
STATICFILES_DIRS = [BASE_DIR / "remu" / "static"]
# Uploaded files live outside the web root and are only served through views that check access.
MEDIA_ROOT = env.str("MEDIA_ROOT", default=str(VAR_DIR / "media"))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
FILE_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024
# Identity documents and RIBs: readable by the application's own system user only.
FILE_UPLOAD_PERMISSIONS = 0o600
FILE_UPLOAD_DIRECTORY_PERMISSIONS = 0o700
DATA_UPLOAD_MAX_MEMORY_SIZE = 12 * 1024 * 1024

vars().update(env.email_url("EMAIL_URL", default="consolemail://"))
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="Remu <ne-pas-repondre@remu.local>")

TASKS = {
    "default": {
        "BACKEND": "django_tasks_db.DatabaseBackend",
        "QUEUES": ["default"],
    }
}

# A payment run is queued as this many tasks: as many `db_worker` processes share its chunks.
PAYMENT_RUN_WORKERS = env.int("PAYMENT_RUN_WORKERS", default=1)
# On PostgreSQL a worker orders chunks in PAYMENT_RUN_PROCESSES processes (itself and forked
# helpers: each its own interpreter lock), each ordering PAYMENT_RUN_THREADS chunks at once, in
# threads with their own connections: while a chunk waits on the database, others compute
# (`payments.services.work_chunks`, `payments.forked`). Three processes of one thread were the
# fastest on 2 cores (docs/architecture.md « Scale »). The processes are a machine's: a second
# worker of the same machine (of this run or another region's) takes what is left of them
# (`payments.slots`).
PAYMENT_RUN_PROCESSES = env.int("PAYMENT_RUN_PROCESSES", default=3)
PAYMENT_RUN_THREADS = env.int("PAYMENT_RUN_THREADS", default=1)

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_AGE = 8 * 3600
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

# Content-Security-Policy (django-csp): only this site's own scripts, styles and images; no
# inline script, handler or style (behaviours are bound in remu/static/remu/reveal.js).
# data: images are Bootstrap's SVG icons in its stylesheet.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    },
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
}
