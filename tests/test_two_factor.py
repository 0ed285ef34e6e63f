"""Two-factor login (issue 14 §2): required for agents, optional for providers; codes computed
here as an authenticator application would (django_otp.oath.totp)."""

import base64
import re

import pytest
from django.core.management import call_command
from django.urls import reverse
from django_otp.oath import totp
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from remu.demo.seed import DEMO_PASSWORD

from . import factories as f
from .utils import text


@pytest.fixture(autouse=True)
def two_factor_on(settings):
    settings.TWO_FACTOR_LOGIN = True


def password_login(client, user):
    return client.post(reverse("accounts:login"), {"username": user.email, "password": f.PASSWORD})


def code(device) -> str:
    return f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits):06d}"


def unthrottle():
    """A failure makes the next try wait (1 s, doubling): the tests do not wait."""
    for model in (TOTPDevice, StaticDevice):
        model.objects.update(throttling_failure_count=0, throttling_failure_timestamp=None)


def test_an_agent_enrols_then_needs_a_code_at_each_login(client, agent):
    password_login(client, agent)
    home = reverse("home:home")
    response = client.get(home)
    assert response.status_code == 302
    assert response.url.startswith(reverse("accounts:two_factor_setup"))
    page = text(client.get(response.url))
    assert "Activer la double authentification" in page
    device = TOTPDevice.objects.get(user=agent, confirmed=False)
    assert "otpauth://totp/Remu" in page and "secret=" in page
    # the payments stay out of reach until a code is checked
    assert client.get(reverse("payments:runs")).status_code == 302
    setup = reverse("accounts:two_factor_setup")
    page = text(client.post(setup, {"token": "000000" if code(device) != "000000" else "1"}))
    assert "Code incorrect" in page
    unthrottle()
    response = client.post(setup, {"token": code(device), "next": home}, follow=True)
    page = text(response)
    assert "Codes de secours" in page
    codes = list(StaticToken.objects.filter(device__user=agent).values_list("token", flat=True))
    assert len(codes) == 10 and all(c in page for c in codes)
    assert client.get(reverse("accounts:account")).status_code == 200
    assert client.get(reverse("payments:runs")).status_code == 200

    # the next login: the password, then a code (a recovery code works once)
    client.logout()
    password_login(client, agent)
    response = client.get(home)
    assert response.url.startswith(reverse("accounts:two_factor_verify"))
    verify = reverse("accounts:two_factor_verify")
    assert "Code incorrect ou expiré." in text(client.post(verify, {"token": "12345"}))
    unthrottle()
    response = client.post(verify, {"token": codes[0], "next": home}, follow=True)
    assert "Code de secours utilisé : il vous en reste 9." in text(response)
    client.logout()
    password_login(client, agent)
    assert "Code incorrect ou expiré." in text(client.post(verify, {"token": codes[0]}))


def test_a_totp_code_lets_an_enrolled_agent_in(client, agent):
    device = TOTPDevice.objects.create(user=agent, name="Téléphone", confirmed=True)
    password_login(client, agent)
    assert client.get(reverse("dossiers:list")).status_code == 302
    verify = reverse("accounts:two_factor_verify")
    response = client.post(verify, {"token": code(device), "next": reverse("dossiers:list")})
    assert response.status_code == 302 and response.url == reverse("dossiers:list")
    assert client.get(reverse("dossiers:list")).status_code == 200


def test_a_provider_chooses_to_enrol(client, provider_user):
    password_login(client, provider_user)
    assert client.get(reverse("accounts:account")).status_code == 200  # optional for providers
    page = text(client.get(reverse("accounts:account")))
    assert "Activer la double authentification" in page
    client.get(reverse("accounts:two_factor_setup"))
    device = TOTPDevice.objects.get(user=provider_user)
    client.post(reverse("accounts:two_factor_setup"), {"token": code(device)})
    device.refresh_from_db()
    assert device.confirmed
    client.logout()
    password_login(client, provider_user)
    response = client.get(reverse("home:home"))
    assert response.url.startswith(reverse("accounts:two_factor_verify"))


def test_a_next_address_elsewhere_is_ignored(client, agent):
    device = TOTPDevice.objects.create(user=agent, name="Téléphone", confirmed=True)
    password_login(client, agent)
    response = client.post(
        reverse("accounts:two_factor_verify"),
        {"token": code(device), "next": "https://ailleurs.example/"},
    )
    assert response.url == reverse("home:home")


def test_the_demo_agents_key_is_printed_and_works(client, db, capsys):
    call_command("seed_demo")
    key = re.search(r"clé TOTP de démonstration (\w+)", capsys.readouterr().out).group(1)
    client.post(
        reverse("accounts:login"),
        {"username": "agent@cvl.remu.local", "password": DEMO_PASSWORD},
    )
    assert client.get(reverse("payments:runs")).status_code == 302
    token = f"{totp(base64.b32decode(key)):06d}"
    response = client.post(reverse("accounts:two_factor_verify"), {"token": token})
    assert response.status_code == 302
    assert client.get(reverse("payments:runs")).status_code == 200
