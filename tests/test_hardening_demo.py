"""Issue 14 §1.9: the demo runs with DEBUG off; errors show the French pages, never the
environment."""

import shutil
import subprocess
from pathlib import Path

import pytest
from django.test import Client
from django.urls import reverse

from .utils import text


@pytest.fixture
def failing_site(settings):
    settings.DEBUG = False
    settings.ROOT_URLCONF = "tests.hardening_urls"
    return Client(raise_request_exception=False)


def test_a_server_error_shows_the_french_page_not_the_environment(failing_site, db):
    response = failing_site.get("/boom/")
    assert response.status_code == 500
    page = response.content.decode()
    assert "Une erreur est survenue" in page and 'lang="fr"' in page
    assert "theme.css" in page  # in the theme
    for leak in ("DATABASE_URL", "secret", "Traceback", "RuntimeError", "SECRET_KEY"):
        assert leak not in page


def test_not_found_and_forbidden_pages_are_french(agent_client, settings, provider):
    settings.DEBUG = False
    response = agent_client.get("/nulle-part/")
    assert response.status_code == 404 and "Page introuvable" in text(response)
    response = agent_client.get(reverse("tokens:provider"))  # a provider's page
    assert response.status_code == 403 and "Accès refusé" in text(response)


@pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")
def test_make_run_runs_the_servers_with_debug_off():
    root = Path(__file__).resolve().parent.parent
    plan = subprocess.run(
        ["make", "-n", "run", "HOST=0.0.0.0"], cwd=root, capture_output=True, text=True, check=True
    ).stdout
    servers = plan[plan.index("export DEBUG=false") :]
    assert "ALLOWED_HOSTS='127.0.0.1,localhost,0.0.0.0'" in servers
    assert "db_worker" in servers and "runserver 0.0.0.0" in servers


def test_static_files_are_served_with_debug_off(client, settings, db):
    settings.DEBUG = False
    response = client.get("/static/remu/theme.css")
    assert response.status_code == 200
    assert b"".join(response.streaming_content)
    response.close()  # WhiteNoise streams the file: close it
