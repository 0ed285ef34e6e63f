"""Issue 14 §1.1: the login lockout holds whatever the case of the address or the client's
address, and the client's address is read from the trusted proxy's header when configured."""

from django.test import RequestFactory
from django.urls import reverse

from remu.accounts.lockout import client_ip

from . import factories as f
from .factories import PASSWORD
from .utils import text


def login(client, email, password=PASSWORD, address="10.0.0.1"):
    return client.post(
        reverse("accounts:login"),
        {"username": email, "password": password},
        REMOTE_ADDR=address,
    )


def lock(client, email):
    for _ in range(5):
        login(client, email, "mauvais")


def test_another_case_of_the_locked_address_is_locked_too(client, region):
    f.ProviderUserFactory(email="of3@demo.example")
    lock(client, "of3@demo.example")
    response = login(client, "OF3@DEMO.example")
    assert response.status_code == 429
    assert "Connexion temporairement bloquée" in text(response)
    assert login(client, "  Of3@Demo.Example ").status_code == 429


def test_failures_under_several_cases_add_up(client, region):
    f.ProviderUserFactory(email="of3@demo.example")
    for email in ["of3@demo.example", "OF3@demo.example", "Of3@Demo.example"] * 2:
        login(client, email, "mauvais")
    assert login(client, "of3@demo.example").status_code == 429


def test_another_client_address_does_not_unlock_the_account(client, region):
    f.ProviderUserFactory(email="of3@demo.example")
    lock(client, "of3@demo.example")
    response = login(client, "of3@demo.example", address="192.0.2.77")
    assert response.status_code == 429


def test_a_locked_account_does_not_lock_the_others(client, region):
    f.ProviderUserFactory(email="of3@demo.example")
    f.ProviderUserFactory(email="of4@demo.example")
    lock(client, "of3@demo.example")
    assert login(client, "of4@demo.example").status_code == 302


def test_client_address_from_the_trusted_proxy_header(settings):
    request = RequestFactory().get(
        "/", REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR="6.6.6.6, 203.0.113.9"
    )
    assert client_ip(request) == "10.0.0.1"  # no proxy configured: the socket's address
    settings.TRUSTED_PROXY_COUNT = 1
    # One proxy: the address it saw, not the forgeable left part.
    assert client_ip(request) == "203.0.113.9"
    settings.TRUSTED_PROXY_COUNT = 2
    assert client_ip(request) == "6.6.6.6"
    settings.TRUSTED_PROXY_COUNT = 3  # fewer hops than proxies: not through them
    assert client_ip(request) == "10.0.0.1"
