"""The trainees' OpenID Connect login (issue 15 §2), end to end against a real provider.

django-oidc-provider (tests/oidc_op) runs in the live server at http://localhost:PORT/openid,
Remu at http://127.0.0.1:PORT: two hosts, two cookie jars, as a browser would keep them. The
« browser » is `requests`, following each redirect by hand so a test can tamper with it.
"""

import datetime as dt
import re
from functools import cache
from urllib.parse import parse_qs, urlencode, urlparse

import pytest
import requests
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from django.test import Client
from django.urls import reverse
from oidc_provider.models import Client as OidcClient
from oidc_provider.models import ResponseType, RSAKey

from remu.accounts.models import OidcIdentity, User
from remu.communes.models import Commune
from remu.trainee_space import oidc
from remu.trainees.models import Trainee

from . import factories as f
from .admitted import admitted_dossier
from .browser import AXE, CHROMIUM, CHROMIUM_ARGS, assert_accessible, require_browser
from .oidc_op import claims as op_claims

PIVOT = {
    "given_name": "Léa Marie",
    "family_name": "MARTIN",
    "birthdate": "1990-01-01",
    "gender": "female",
    "birthplace": "45234",
    "birthcountry": "99100",
}


@cache
def private_key_pem() -> str:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.TraditionalOpenSSL,
        serialization.NoEncryption(),
    ).decode()


def admitted_trainee(region, provider, agent, **names) -> Trainee:
    dossier = admitted_dossier(region, provider, agent)
    trainee = dossier.enrollment.trainee
    orleans, _ = Commune.objects.get_or_create(
        insee_code="45234", defaults={"name": "Orléans", "department_code": "45"}
    )
    fields = {
        "birth_name": "Martin",
        "usage_name": "",
        "first_names": "Léa, Marie",
        "birth_date": dt.date(1990, 1, 1),
        "birth_commune": orleans,
        "email": "lea.martin@example.org",
    }
    fields.update(names)
    Trainee.objects.filter(pk=trainee.pk).update(**fields)
    trainee.refresh_from_db()
    return trainee


class Browser:
    """One cookie jar per host; redirects followed one at a time."""

    def __init__(self):
        self.jars: dict[str, requests.Session] = {}

    def session(self, url) -> requests.Session:
        return self.jars.setdefault(urlparse(url).hostname, requests.Session())

    def get(self, url, **kwargs):
        return self.session(url).get(url, allow_redirects=False, timeout=15, **kwargs)

    def close(self):
        for session in self.jars.values():
            session.close()

    def post(self, url, data):
        return self.session(url).post(url, data=data, allow_redirects=False, timeout=15)


@pytest.fixture
def op(live_server, settings, transactional_db):
    """The provider, Remu configured for it by its issuer alone, and a browser logged in at
    the provider as Léa Martin."""
    port = urlparse(live_server.url).port
    op_base, rp_base = f"http://localhost:{port}", f"http://127.0.0.1:{port}"
    settings.ROOT_URLCONF = "tests.oidc_op.urls"
    settings.SITE_URL = op_base  # the provider's issuer is built from it
    settings.OIDC_ENABLED = True
    settings.OIDC_ISSUER = f"{op_base}/openid"
    settings.OIDC_RP_CLIENT_ID = "remu-test"
    settings.OIDC_RP_CLIENT_SECRET = "secret-de-test-" + "x" * 20
    settings.OIDC_RP_SIGN_ALGO = "RS256"
    settings.OIDC_IDTOKEN_EXPIRE = 600
    oidc._discovery.clear()
    op_claims.ACR["value"] = "eidas1"

    RSAKey.objects.create(key=private_key_pem())
    code, _ = ResponseType.objects.get_or_create(
        value="code", defaults={"description": "code (Authorization Code Flow)"}
    )
    client = OidcClient.objects.create(
        name="Remu",
        client_type="confidential",
        client_id=settings.OIDC_RP_CLIENT_ID,
        client_secret=settings.OIDC_RP_CLIENT_SECRET,
        jwt_alg="RS256",
        require_consent=False,
    )
    client.redirect_uris = [rp_base + reverse("oidc:callback")]
    client.post_logout_redirect_uris = [rp_base + reverse("accounts:login")]
    client.save()
    client.response_types.add(code)

    person = User.objects.create_user("lea.martin@fc.example", password=None, role="trainee")
    op_claims.IDENTITIES[person.pk] = dict(PIVOT)
    django_client = Client()
    django_client.force_login(person)
    browser = Browser()
    browser.session(op_base).cookies.set("sessionid", django_client.cookies["sessionid"].value)

    region = f.RegionFactory()
    provider = f.ProviderFactory(region=region)
    agent = f.AgentFactory(region=region)
    yield {
        "rp": rp_base,
        "op": op_base,
        "browser": browser,
        "identity": op_claims.IDENTITIES[person.pk],
        "person": person,
        "op_session": django_client.cookies["sessionid"].value,
        "world": (region, provider, agent),
    }
    op_claims.IDENTITIES.clear()
    oidc._discovery.clear()
    browser.close()


def start(op) -> str:
    """Remu's login button: the authorization request it sends the browser to."""
    response = op["browser"].get(op["rp"] + reverse("oidc:authenticate"))
    assert response.status_code == 302
    return response.headers["Location"]


def authorize(op, url) -> str:
    """The provider authenticates the person and sends the browser back with a code."""
    response = op["browser"].get(url)
    assert response.status_code == 302, response.text[:500]
    location = response.headers["Location"]
    assert location.startswith(op["rp"] + reverse("oidc:callback")), location
    return location


def callback(op, url):
    return op["browser"].get(url)


def logged_in(op) -> bool:
    """Remu's own account page answers only in a session."""
    return op["browser"].get(op["rp"] + reverse("accounts:account")).status_code == 200


def login(op):
    return callback(op, authorize(op, start(op)))


def with_query(url, **changes) -> str:
    parts = urlparse(url)
    query = {k: v[0] for k, v in parse_qs(parts.query).items()} | changes
    return parts._replace(query=urlencode(query)).geturl()


def test_happy_path_links_the_trainee_then_logs_in_by_sub(op):
    trainee = admitted_trainee(*op["world"])
    request = parse_qs(urlparse(start(op)).query)
    assert request["acr_values"] == ["eidas1"]
    assert request["code_challenge_method"] == ["S256"] and request["code_challenge"][0]
    assert request["state"][0] and request["nonce"][0]
    assert request["scope"][0].split() == [
        "openid",
        "given_name",
        "family_name",
        "birthdate",
        "gender",
        "birthplace",
        "birthcountry",
    ]

    response = login(op)
    assert response.status_code == 302
    assert response.headers["Location"] == reverse("home:home")
    assert logged_in(op)
    trainee.refresh_from_db()
    user = trainee.user
    assert user.role == User.Role.TRAINEE and not user.has_usable_password()
    assert user.email == "lea.martin@example.org"
    identity = OidcIdentity.objects.get()
    assert (
        identity.user == user
        and identity.issuer == op["rp"].replace("127.0.0.1", "localhost") + "/openid"
    )

    # Logging out here sends the browser to the provider's end_session with id_token_hint.
    page = op["browser"].get(op["rp"] + reverse("accounts:account")).text
    # The header's « Se déconnecter » of such a session posts there, not to accounts:logout.
    assert f'action="{reverse("oidc:logout")}"' in page
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    out = op["browser"].post(op["rp"] + reverse("oidc:logout"), {"csrfmiddlewaretoken": token})
    assert out.status_code == 302
    end_session = urlparse(out.headers["Location"])
    assert end_session.path == "/openid/end-session"
    assert parse_qs(end_session.query)["id_token_hint"][0].count(".") == 2
    assert parse_qs(end_session.query)["post_logout_redirect_uri"] == [
        op["rp"] + reverse("accounts:login")
    ]
    assert not logged_in(op)

    # Later logins: the sub is the key; the claims are not compared again.
    op["identity"]["family_name"] = "DURAND"
    assert login(op).status_code == 302 and logged_in(op)
    assert User.objects.filter(role="trainee").count() == 2  # Léa and the provider's user
    assert OidcIdentity.objects.count() == 1


def test_the_prompt_the_provider_requires_is_sent(op, settings):
    assert "prompt" not in parse_qs(urlparse(start(op)).query)
    settings.OIDC_PROMPT = "login consent"
    assert parse_qs(urlparse(start(op)).query)["prompt"] == ["login consent"]


def test_an_existing_trainee_login_is_reused(op):
    trainee = admitted_trainee(*op["world"])
    own = User.objects.create_user("codes@remu.example", password="x" * 14, role="trainee")
    Trainee.objects.filter(pk=trainee.pk).update(user=own)
    assert login(op).status_code == 302 and logged_in(op)
    assert OidcIdentity.objects.get().user == own


def refused(op, response, message, status=403):
    assert response.status_code == status
    assert message.replace("'", "&#x27;") in response.text
    assert not logged_in(op)
    assert not OidcIdentity.objects.exists()
    assert not User.objects.filter(role="trainee").exclude(pk=op["person"].pk).exists()


def test_forged_state_is_refused(op):
    admitted_trainee(*op["world"])
    back = authorize(op, start(op))
    response = callback(op, with_query(back, state="forged-state-" + "x" * 20))
    refused(op, response, oidc.BAD_STATE, status=400)
    # The genuine answer cannot be replayed once the state is used or forgotten either.
    callback(op, back)
    refused(op, callback(op, back), oidc.BAD_STATE, status=400)


def test_wrong_nonce_is_refused(op):
    admitted_trainee(*op["world"])
    tampered = with_query(start(op), nonce="another-nonce-" + "y" * 20)
    refused(op, callback(op, authorize(op, tampered)), oidc.BAD_TOKEN)


def test_expired_id_token_is_refused(op, settings):
    admitted_trainee(*op["world"])
    settings.OIDC_IDTOKEN_EXPIRE = -120
    refused(op, login(op), oidc.BAD_TOKEN)


def test_insufficient_level_of_assurance_is_refused(op):
    admitted_trainee(*op["world"])
    op_claims.ACR["value"] = "eidas0"
    refused(op, login(op), oidc.LOW_ACR)


def test_non_matching_identity_is_refused(op):
    admitted_trainee(*op["world"])
    op["identity"]["birthdate"] = "1990-01-02"
    refused(op, login(op), oidc.NO_MATCH)


def test_two_matching_trainees_are_refused(op):
    admitted_trainee(*op["world"])
    admitted_trainee(*op["world"], email="")
    refused(op, login(op), oidc.SEVERAL)


def test_cancelled_at_the_provider(op):
    back = authorize(op, start(op))
    state = parse_qs(urlparse(back).query)["state"][0]
    url = op["rp"] + reverse("oidc:callback") + "?" + urlencode({"error": "access_denied"})
    refused(op, callback(op, url + "&state=" + state), oidc.CANCELLED)


# Matching rules, without the provider -------------------------------------------------------


@pytest.fixture
def world(db):
    region = f.RegionFactory()
    return region, f.ProviderFactory(region=region), f.AgentFactory(region=region)


@pytest.mark.parametrize(
    ("claims", "found"),
    [
        ({}, True),
        ({"family_name": "martin", "given_name": "LEA"}, True),  # case and accents
        ({"given_name": "Léa-Marie"}, False),  # a compound first name is another name
        ({"given_name": "Marie Léa"}, False),  # the first given names must agree
        ({"family_name": "Dupont"}, False),
        ({"family_name": "Dupont", "preferred_username": "Martin"}, True),  # usage name
        ({"birthplace": "75056"}, False),
        ({"birthplace": ""}, True),  # born abroad for the provider: not compared
        ({"birthdate": "1990-00-00"}, False),
        ({"birthdate": "not a date"}, False),
    ],
)
def test_matching_rules(world, claims, found):
    trainee = admitted_trainee(*world)
    assert oidc.matching_trainees(PIVOT | claims) == ([trainee] if found else [])


def test_matching_uses_usage_name_and_ignores_unadmitted_dossiers(world):
    region, provider, agent = world
    married = admitted_trainee(region, provider, agent, birth_name="Durand", usage_name="Martin")
    assert oidc.matching_trainees(PIVOT) == [married]
    Trainee.objects.filter(pk=married.pk).update(usage_name="")
    assert oidc.matching_trainees(PIVOT | {"family_name": "Durand"}) == [married]
    married.enrollments.get().dossiers.update(status="received")
    assert oidc.matching_trainees(PIVOT | {"family_name": "Durand"}) == []


def test_matching_is_limited_to_the_configured_region(world, settings):
    trainee = admitted_trainee(*world)
    settings.OIDC_REGION = "une-autre-region"
    assert oidc.matching_trainees(PIVOT) == []
    settings.OIDC_REGION = trainee.region.code
    assert oidc.matching_trainees(PIVOT) == [trainee]


# Off by default ------------------------------------------------------------------------------


def test_off_by_default_no_url_answers_and_no_button(client, db):
    from django.conf import settings

    assert settings.OIDC_ENABLED is False
    for name in ("oidc:authenticate", "oidc:callback"):
        assert client.get(reverse(name) + "?code=a&state=b").status_code == 404
    assert client.post(reverse("oidc:logout")).status_code == 404
    assert "FranceConnect" not in client.get(reverse("accounts:login")).content.decode()


def test_the_login_page_offers_the_button_when_configured(client, db, settings):
    settings.OIDC_ENABLED = True
    page = client.get(reverse("accounts:login")).content.decode()
    assert "Se connecter avec FranceConnect" in page
    assert f'href="{reverse("oidc:authenticate")}"' in page


def test_a_password_login_never_calls_the_provider(client, db, settings):
    settings.OIDC_ENABLED = True
    settings.OIDC_ISSUER = "http://127.0.0.1:9/nowhere"  # would fail if it were called
    User.objects.create_user("agent@x.example", password="mot-de-passe-solide", role="provider")
    response = client.post(
        reverse("accounts:login") + "?code=a&state=b",
        {"username": "agent@x.example", "password": "mot-de-passe-solide"},
    )
    assert response.status_code == 302


# Linking rules, without the provider ---------------------------------------------------------

ISSUER = "https://fc.example/api/v2"


def test_link_identity_refuses_a_record_already_linked_to_another_identity(world):
    trainee = admitted_trainee(*world)
    user = oidc.link_identity(trainee.pk, ISSUER, "sub-1")
    assert oidc.link_identity(trainee.pk, ISSUER, "sub-1") == user  # the same identity again
    with pytest.raises(oidc.OidcRefusal) as refusal:
        oidc.link_identity(trainee.pk, ISSUER, "sub-2")
    assert refusal.value.message == oidc.ALREADY_LINKED
    assert OidcIdentity.objects.count() == 1


def test_link_identity_refuses_a_record_whose_login_is_not_a_trainees(world):
    trainee = admitted_trainee(*world)
    Trainee.objects.filter(pk=trainee.pk).update(user=world[2])  # an agent's account
    with pytest.raises(oidc.OidcRefusal):
        oidc.link_identity(trainee.pk, ISSUER, "sub-1")
    assert not OidcIdentity.objects.exists()


def test_link_identity_does_not_take_an_email_another_user_has(world):
    trainee = admitted_trainee(*world, email="agent@x.example")
    User.objects.create_user("AGENT@x.example", password=None, role="provider")
    user = oidc.link_identity(trainee.pk, ISSUER, "sub-1")
    assert user.email == f"stagiaire-{trainee.pk}@franceconnect.invalid"
    assert (user.first_name, user.last_name) == ("Léa, Marie", "Martin")


def test_a_deactivated_trainee_cannot_log_in_any_more(op):
    trainee = admitted_trainee(*op["world"])
    assert login(op).status_code == 302
    User.objects.filter(pk=Trainee.objects.get(pk=trainee.pk).user_id).update(is_active=False)
    op["browser"].jars.pop("127.0.0.1")
    response = login(op)
    assert response.status_code == 403 and not logged_in(op)


# In a browser ------------------------------------------------------------------------------


@pytest.mark.browser
def test_in_a_browser_the_button_leads_through_the_provider_and_back(op, monkeypatch):
    """Chromium clicks « Se connecter avec FranceConnect », is sent through the provider (the
    person already logged in there) and comes back logged in; the pages are axe-clean, and a
    refusal page too; nothing breaks the Content-Security-Policy."""
    require_browser()
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    from playwright.sync_api import sync_playwright

    admitted_trainee(*op["world"])
    violations = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        context = browser.new_context(locale="fr-FR")
        context.add_cookies(
            [{"name": "sessionid", "value": op["op_session"], "url": op["op"] + "/"}]
        )
        page = context.new_page()
        page.set_default_timeout(10_000)
        page.add_init_script(path=str(AXE))
        page.on(
            "console",
            lambda m: "Content Security Policy" in m.text and violations.append(m.text),
        )
        page.goto(op["rp"] + reverse("accounts:login"))
        assert_accessible(page)
        page.get_by_role("link", name="Se connecter avec FranceConnect").click()
        # The home sends a trainee on to their own space.
        page.wait_for_url(op["rp"] + reverse("trainee_space:home"))
        assert_accessible(page)
        assert page.goto(op["rp"] + reverse("accounts:account")).status == 200

        page.goto(op["rp"] + reverse("oidc:callback") + "?code=x&state=forged")
        assert "Connexion avec FranceConnect impossible" in page.content()
        assert_accessible(page)
        browser.close()
    assert not violations, violations


def test_a_provider_that_does_not_answer_is_said_so(client, db, settings):
    settings.OIDC_ENABLED = True
    settings.OIDC_ISSUER = "http://127.0.0.1:9/nowhere"  # nothing listens on port 9
    oidc._discovery.clear()
    response = client.get(reverse("oidc:authenticate"))
    assert response.status_code == 502
    assert "Le fournisseur d&#x27;identité ne répond pas" in response.content.decode()
