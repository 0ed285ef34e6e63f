"""Content-Security-Policy (issue 14 §2): every page says it, and no page relies on what it
forbids (inline scripts, event-handler attributes, inline styles)."""

import re

import pytest
from django.urls import reverse

INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)(?![^>]*application/json)[^>]*>", re.I)
HANDLER = re.compile(r"<[^>]+\son[a-z]+\s*=", re.I)
STYLE = re.compile(r"<[^>]+\sstyle\s*=|<style", re.I)


def assert_protected(response, name):
    policy = response["Content-Security-Policy"]
    for directive in ("default-src 'self'", "script-src 'self'", "style-src 'self'"):
        assert directive in policy, (name, policy)
    assert "unsafe-inline" not in policy and "unsafe-eval" not in policy
    body = response.content.decode()
    assert not INLINE_SCRIPT.search(body), name
    assert not HANDLER.search(body), (name, HANDLER.search(body))
    assert not STYLE.search(body), (name, STYLE.search(body))


def test_public_pages(client, db):
    for name in ("accounts:login", "accounts:password_reset"):
        assert_protected(client.get(reverse(name)), name)
    assert_protected(client.get(reverse("simulator:simulate")), "simulator")


AGENT_PAGES = [
    "home:agent_dashboard",
    "dossiers:list",
    "actions:list",
    "payments:runs",
    "payments:returns",
    "attendance:withdrawals",
    "attendance:late",
    "accounts:account",
]
PROVIDER_PAGES = ["home:provider_home", "accounts:account"]


@pytest.mark.parametrize("name", AGENT_PAGES)
def test_agent_pages(agent_client, name):
    response = agent_client.get(reverse(name))
    assert response.status_code == 200
    assert_protected(response, name)


@pytest.mark.parametrize("name", PROVIDER_PAGES)
def test_provider_pages(provider_client, name):
    response = provider_client.get(reverse(name))
    assert response.status_code == 200
    assert_protected(response, name)


def test_the_statement_and_the_run_pages(client, pay_world):
    from remu.payments import services

    client.force_login(pay_world["provider_user"])
    statement = pay_world["line"].statement
    assert_protected(client.get(reverse("attendance:statement", args=[statement.pk])), "statement")
    client.force_login(pay_world["agent"])
    run = services.start_run(pay_world["region"], "monthly", statement.month, pay_world["agent"])
    assert_protected(client.get(reverse("payments:run", args=[run.pk])), "run")
    assert_protected(client.get(reverse("payments:progress", args=[run.pk])), "progress")
    dossier = pay_world["dossier"]
    assert_protected(client.get(reverse("dossiers:detail", args=[dossier.pk])), "dossier")
