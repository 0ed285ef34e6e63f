"""Trainees' login by OpenID Connect, FranceConnect-ready (issue 15 §2).

mozilla-django-oidc runs the authorization-code flow (state, nonce and PKCE kept in the session,
token exchange, signature check); this module adds what FranceConnect and Remu need:

- the configuration from the environment, the endpoints read from the issuer's discovery
  document when only OIDC_ISSUER is given; everything answers 404 while OIDC_ENABLED is off;
- `acr_values` in the request and the ID token's `acr`, `aud`, `iss` and `exp` checked;
- the first login links the identity (issuer, sub) to the one trainee whose admitted dossier
  matches the identity claims; afterwards the `sub` alone is the key (`OidcIdentity`);
- every failure ends on a page that says what happened in French, with no session.

Matching rules (`matching_trainees`): same birth date; the family name (FranceConnect's
`family_name` is the birth name, `preferred_username` the usage name) equal to the record's
birth or usage name; the first given name of `given_name` equal to the record's first given
name; the birthplace (INSEE code of the birth commune) equal to the record's birth commune when
both are known. Names compare without case, accents, hyphens or apostrophes. Only trainees with
an admitted dossier (of OIDC_REGION's region when set) and not anonymised are candidates.
"""

import logging
import time
import unicodedata
from datetime import date
from urllib.parse import urlencode

import jwt
import requests
from django.conf import settings
from django.contrib import auth
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import SuspiciousOperation
from django.db import IntegrityError, transaction
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.crypto import get_random_string
from django.views.decorators.http import require_POST
from mozilla_django_oidc.auth import OIDCAuthenticationBackend
from mozilla_django_oidc.utils import import_from_settings
from mozilla_django_oidc.views import (
    OIDCAuthenticationCallbackView,
    OIDCAuthenticationRequestView,
)

from remu.accounts.models import OidcIdentity, User
from remu.dossiers.models import Dossier
from remu.trainees.models import Trainee

logger = logging.getLogger(__name__)

# Setting -> key of the provider's discovery document.
ENDPOINTS = {
    "OIDC_OP_AUTHORIZATION_ENDPOINT": "authorization_endpoint",
    "OIDC_OP_TOKEN_ENDPOINT": "token_endpoint",
    "OIDC_OP_USER_ENDPOINT": "userinfo_endpoint",
    "OIDC_OP_JWKS_ENDPOINT": "jwks_uri",
    "OIDC_OP_LOGOUT_ENDPOINT": "end_session_endpoint",
}
DISCOVERY_TTL = 3600
_discovery: dict[str, tuple[float, dict]] = {}

MAX_CANDIDATES = 200  # trainees born the same day: more is not a real population

CANCELLED = "La connexion avec FranceConnect a été annulée ou refusée : vous n'êtes pas connecté."
BAD_STATE = (
    "Cette demande de connexion est inconnue ou a déjà servi (jeton de sécurité « state » "
    "invalide) : vous n'êtes pas connecté. Recommencez depuis la page de connexion."
)
BAD_TOKEN = (
    "La réponse du fournisseur d'identité n'a pas pu être vérifiée (jeton invalide, expiré ou "
    "ne correspondant pas à votre demande) : vous n'êtes pas connecté. Recommencez depuis la "
    "page de connexion."
)
LOW_ACR = (
    "Le niveau de garantie de votre identification est insuffisant pour accéder à votre "
    "dossier : vous n'êtes pas connecté."
)
UNREACHABLE = (
    "Le fournisseur d'identité ne répond pas. Réessayez plus tard, ou connectez-vous avec "
    "l'identifiant et le mot de passe de votre décision de prise en charge."
)
NO_MATCH = (
    "Aucun dossier de rémunération admis ne correspond à l'identité transmise par FranceConnect "
    "(nom, prénom, date et lieu de naissance) : vous n'êtes pas connecté. Vérifiez auprès de "
    "votre organisme de formation que votre dossier porte bien votre état civil, ou "
    "connectez-vous avec l'identifiant et le mot de passe de votre décision de prise en charge."
)
SEVERAL = (
    "Plusieurs dossiers correspondent à l'identité transmise par FranceConnect : nous ne pouvons "
    "pas choisir à votre place et vous n'êtes pas connecté. Connectez-vous avec l'identifiant "
    "et le mot de passe de votre décision de prise en charge, ou contactez votre Région."
)
NOT_A_TRAINEE = (
    "Le compte lié à cette identité n'est pas (ou plus) un compte de stagiaire actif : vous "
    "n'êtes pas connecté. Contactez votre Région."
)
ALREADY_LINKED = (
    "Votre dossier est déjà lié à une autre identité FranceConnect : vous n'êtes pas connecté. "
    "Contactez votre Région."
)
CROSSED = (
    "Votre connexion a croisé une autre connexion à votre dossier : vous n'êtes pas connecté. "
    "Recommencez depuis la page de connexion."
)


class OidcRefusal(Exception):
    """A login refused for a reason the person must read (the message is in French)."""

    def __init__(self, message: str, status: int = 403):
        super().__init__(message)
        self.message = message
        self.status = status


# Configuration ---------------------------------------------------------------------------


def enabled() -> bool:
    return bool(getattr(settings, "OIDC_ENABLED", False))


def discovery_document(issuer: str) -> dict:
    """The provider's metadata (cached an hour); its issuer must be the configured one."""
    cached = _discovery.get(issuer)
    if cached and time.monotonic() - cached[0] < DISCOVERY_TTL:
        return cached[1]
    response = requests.get(
        f"{issuer}/.well-known/openid-configuration",
        timeout=import_from_settings("OIDC_TIMEOUT", 10),
    )
    response.raise_for_status()
    document = response.json()
    if document.get("issuer", "").rstrip("/") != issuer:
        raise OidcRefusal(UNREACHABLE, status=502)
    _discovery[issuer] = (time.monotonic(), document)
    return document


def oidc_setting(name, *default):
    """mozilla-django-oidc's settings, the endpoints falling back on the discovery document."""
    if name in ENDPOINTS:
        value = getattr(settings, name, None)
        if not value and enabled() and settings.OIDC_ISSUER:
            value = discovery_document(settings.OIDC_ISSUER).get(ENDPOINTS[name])
        return value or (default[0] if default else value)
    return import_from_settings(name, *default)


# Matching --------------------------------------------------------------------------------


def _plain(text) -> str:
    """Lower case, no accents, apostrophes and hyphens as spaces, single spaces."""
    text = unicodedata.normalize("NFKD", str(text or ""))
    text = "".join(c for c in text if not unicodedata.combining(c)).casefold()
    for sign in "'’‘`-‐–_.,":
        text = text.replace(sign, " ")
    return " ".join(text.split())


def family_names(*names) -> set[str]:
    return {_plain(name) for name in names} - {""}


def first_given_name(names) -> str:
    """The first given name: « Jean-Pierre Marie » → « jean pierre » (a compound name stays
    whole: FranceConnect separates given names with spaces, records with spaces or commas)."""
    text = unicodedata.normalize("NFKC", str(names or "")).replace(",", " ").split()
    return _plain(text[0]) if text else ""


def birth_date(claims) -> date | None:
    try:
        return date.fromisoformat(str(claims.get("birthdate") or ""))
    except ValueError:  # FranceConnect gives « 1980-00-00 » for an unknown day and month
        return None


def matching_trainees(claims) -> list[Trainee]:
    """The trainees with an admitted dossier whose civil status matches the identity claims."""
    born = birth_date(claims)
    families = family_names(claims.get("family_name"), claims.get("preferred_username"))
    given = first_given_name(claims.get("given_name"))
    if not (born and families and given):
        return []
    birthplace = str(claims.get("birthplace") or "").strip()
    candidates = (
        Trainee.objects.filter(
            birth_date=born,
            anonymised_at__isnull=True,
            enrollments__dossiers__status=Dossier.Status.ADMITTED,
        )
        .select_related("birth_commune")
        .distinct()
        .order_by("pk")
    )
    if settings.OIDC_REGION:
        candidates = candidates.filter(region__code=settings.OIDC_REGION)
    found = []
    for trainee in candidates[:MAX_CANDIDATES]:
        if not families & family_names(trainee.birth_name, trainee.usage_name):
            continue
        if first_given_name(trainee.first_names) != given:
            continue
        if birthplace and trainee.birth_commune and trainee.birth_commune.insee_code != birthplace:
            continue
        found.append(trainee)
    return found


# Linking ---------------------------------------------------------------------------------


def _new_trainee_user(trainee: Trainee) -> User:
    email = trainee.email.strip().lower()
    if not email or User.objects.filter(email__iexact=email).exists():
        email = f"stagiaire-{trainee.pk}@franceconnect.invalid"
    return User.objects.create_user(  # no password: set_password(None) makes it unusable
        email,
        password=None,
        role=User.Role.TRAINEE,
        first_name=trainee.first_names[:150],
        last_name=trainee.last_name[:150],
    )


@transaction.atomic
def link_identity(trainee_id: int, issuer: str, subject: str) -> User:
    """Links the identity to the trainee's login (created with role trainee and no usable
    password when the trainee has none yet). A concurrent first login of the same identity
    finds the link already made and uses it."""
    trainee = Trainee.objects.select_for_update().get(pk=trainee_id)
    identity = OidcIdentity.objects.filter(issuer=issuer, subject=subject).first()
    if identity:
        return identity.user
    user = trainee.user
    if user is None:
        user = _new_trainee_user(trainee)
        trainee.user = user
        trainee.save(update_fields=["user", "updated_at"])
    elif user.role != User.Role.TRAINEE or not user.is_active:
        raise OidcRefusal(NOT_A_TRAINEE)
    elif OidcIdentity.objects.filter(user=user, issuer=issuer).exists():
        raise OidcRefusal(ALREADY_LINKED)
    OidcIdentity.objects.create(issuer=issuer, subject=subject, user=user)
    logger.info("OIDC identity linked to trainee %s (user %s)", trainee.pk, user.pk)
    return user


# Backend ---------------------------------------------------------------------------------


class TraineeOIDCBackend(OIDCAuthenticationBackend):
    """Authenticates the callback of the OpenID Connect flow, and nothing else.

    The configuration is read when a callback arrives (not at start-up), so the backend sits in
    AUTHENTICATION_BACKENDS even while OIDC is off, where it answers None."""

    get_settings = staticmethod(oidc_setting)

    def __init__(self, *args, **kwargs):
        from django.contrib.auth import get_user_model

        self.UserModel = get_user_model()

    def _configure(self):
        for name in (
            "OIDC_OP_TOKEN_ENDPOINT",
            "OIDC_OP_USER_ENDPOINT",
            "OIDC_OP_JWKS_ENDPOINT",
            "OIDC_RP_CLIENT_ID",
            "OIDC_RP_CLIENT_SECRET",
            "OIDC_RP_SIGN_ALGO",
        ):
            setattr(self, name, oidc_setting(name, None))
        self.OIDC_RP_IDP_SIGN_KEY = oidc_setting("OIDC_RP_IDP_SIGN_KEY", None)

    def authenticate(self, request, **kwargs):
        # Only the callback view passes a nonce: a password login never reaches the provider.
        if request is None or not enabled() or "nonce" not in kwargs:
            return None
        self._configure()
        return super().authenticate(request, **kwargs)

    def get_user(self, user_id):
        if not enabled():
            return None
        user = super().get_user(user_id)
        return user if user and self.user_can_authenticate(user) else None

    def check_id_token(self, payload: dict) -> None:
        """What PyJWT (signature, exp when present) and the library (nonce) leave unchecked."""
        audience = payload.get("aud")
        audiences = audience if isinstance(audience, list) else [audience]
        if (
            "exp" not in payload
            or not payload.get("sub")
            or self.OIDC_RP_CLIENT_ID not in audiences
        ):
            raise SuspiciousOperation("ID token without exp, sub or this client as audience")
        if len(str(payload.get("sub"))) > 255 or len(str(payload.get("iss") or "")) > 255:
            raise SuspiciousOperation("ID token's sub or iss too long")
        if (
            settings.OIDC_ISSUER
            and str(payload.get("iss") or "").rstrip("/") != settings.OIDC_ISSUER
        ):
            raise SuspiciousOperation("ID token from another issuer")
        if payload.get("acr") not in settings.OIDC_ACR_VALUES:
            raise OidcRefusal(LOW_ACR)

    def get_or_create_user(self, access_token, id_token, payload):
        self.check_id_token(payload)
        issuer = str(payload.get("iss") or settings.OIDC_ISSUER or self.OIDC_OP_TOKEN_ENDPOINT)
        subject = str(payload["sub"])
        identity = (
            OidcIdentity.objects.filter(issuer=issuer, subject=subject)
            .select_related("user")
            .first()
        )
        if identity is None:
            claims = self.get_userinfo(access_token, id_token, payload)
            if not isinstance(claims, dict) or str(claims.get("sub")) != subject:
                raise SuspiciousOperation("userinfo sub differs from the ID token's")
            trainees = matching_trainees(claims)
            if not trainees:
                logger.info("OIDC login refused: no admitted trainee matches")
                raise OidcRefusal(NO_MATCH)
            if len(trainees) > 1:
                logger.info("OIDC login refused: %s trainees match", len(trainees))
                raise OidcRefusal(SEVERAL)
            try:
                user = link_identity(trainees[0].pk, issuer, subject)
            except IntegrityError:  # linked concurrently: use that link if it is this one
                identity = OidcIdentity.objects.filter(issuer=issuer, subject=subject).first()
                if identity is None:
                    raise OidcRefusal(CROSSED) from None
                user = identity.user
        else:
            user = identity.user
        if user.role != User.Role.TRAINEE or not user.is_active:
            raise OidcRefusal(NOT_A_TRAINEE)
        OidcIdentity.objects.filter(issuer=issuer, subject=subject).update(
            last_login_at=timezone.now()
        )
        return user


# Views -----------------------------------------------------------------------------------


def _failure(request, message: str, status: int = 403):
    """The failure page: the reason in French; no session is left behind."""
    if request.user.is_authenticated:
        auth.logout(request)
    else:
        request.session.pop("oidc_states", None)
    return render(request, "trainee_space/oidc_failure.html", {"message": message}, status=status)


class OidcEnabledMixin:
    def dispatch(self, request, *args, **kwargs):
        if not enabled():
            raise Http404
        return super().dispatch(request, *args, **kwargs)


class AuthenticateView(OidcEnabledMixin, OIDCAuthenticationRequestView):
    """Sends the browser to the provider with state, nonce, PKCE challenge and acr_values."""

    get_settings = staticmethod(oidc_setting)

    def __init__(self, *args, **kwargs):
        super(OIDCAuthenticationRequestView, self).__init__(*args, **kwargs)

    def get(self, request):
        try:
            self.OIDC_OP_AUTH_ENDPOINT = oidc_setting("OIDC_OP_AUTHORIZATION_ENDPOINT")
        except (requests.RequestException, ValueError, OidcRefusal):
            return _failure(request, UNREACHABLE, status=502)
        self.OIDC_RP_CLIENT_ID = oidc_setting("OIDC_RP_CLIENT_ID")
        return super().get(request)

    def get_extra_params(self, request):
        params = {"acr_values": settings.OIDC_ACR_VALUES[0]}
        if settings.OIDC_PROMPT:
            params["prompt"] = settings.OIDC_PROMPT
        return params


class CallbackView(OidcEnabledMixin, OIDCAuthenticationCallbackView):
    """The provider's answer. Served outside ATOMIC_REQUESTS (oidc_urls): no transaction stays
    open while the provider is called; the link is written in its own (`link_identity`)."""

    get_settings = staticmethod(oidc_setting)

    def get(self, request):
        if request.GET.get("error"):
            super().get(request)  # forgets the state
            return _failure(request, CANCELLED)
        state, code = request.GET.get("state"), request.GET.get("code")
        if not state or not code or len(state) > 200 or len(code) > 2000:
            return _failure(request, BAD_STATE, status=400)
        if state not in (request.session.get("oidc_states") or {}):
            return _failure(request, BAD_STATE, status=400)
        try:
            return super().get(request)
        except OidcRefusal as refusal:
            return _failure(request, refusal.message, status=refusal.status)
        except (SuspiciousOperation, jwt.InvalidTokenError, KeyError, ValueError) as exc:
            logger.warning("OIDC login refused: %s", exc)
            return _failure(request, BAD_TOKEN)
        except requests.RequestException as exc:
            logger.warning("OIDC provider unreachable: %s", exc)
            return _failure(request, UNREACHABLE, status=502)

    def login_failure(self):
        return _failure(self.request, BAD_TOKEN)

    @property
    def success_url(self):
        return reverse(settings.LOGIN_REDIRECT_URL)


@login_not_required
@require_POST
def logout(request):
    """Ends the session here, then at the provider (end_session with id_token_hint, as
    FranceConnect requires) when the session came from it."""
    if not enabled():
        raise Http404
    id_token = request.session.get("oidc_id_token")
    auth.logout(request)
    back = request.build_absolute_uri(reverse("accounts:login"))
    try:
        endpoint = oidc_setting("OIDC_OP_LOGOUT_ENDPOINT", "")
    except (requests.RequestException, ValueError, OidcRefusal):
        endpoint = ""
    if not (id_token and endpoint):
        return HttpResponseRedirect(back)
    query = urlencode(
        {
            "id_token_hint": id_token,
            "state": get_random_string(32),
            "post_logout_redirect_uri": back,
        }
    )
    return HttpResponseRedirect(f"{endpoint}?{query}")
