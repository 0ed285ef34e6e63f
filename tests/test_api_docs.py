"""/api/docs works without internet: Swagger UI comes from our static files, not a CDN."""

import re

import pytest
from django.contrib.staticfiles import finders
from django.urls import reverse

from remu.api.models import ApiToken

from .browser import CHROMIUM, CHROMIUM_ARGS, require_browser


def test_api_docs_use_only_local_static_files(client, db):
    page = client.get("/api/docs")
    assert page.status_code == 200
    content = page.content.decode()
    assert '<html lang="fr">' in content and 'id="swagger-ui"' in content
    assert "http://" not in content and "https://" not in content and "//cdn" not in content
    urls = re.findall(r'(?:src|href)="([^"]+)"', content)
    assert any(url.endswith("swagger-ui-bundle.js") for url in urls)
    assert any(url.endswith("swagger-ui.css") for url in urls)
    for url in urls:
        assert url.startswith("/static/"), url
        assert finders.find(url.removeprefix("/static/")), url


def test_pages_and_docs_carry_remus_icon(client, db):
    for url in ("/api/docs", reverse("accounts:login")):
        assert (
            '<link rel="icon" href="/static/remu/favicon.svg"' in client.get(url).content.decode()
        )
    assert finders.find("remu/favicon.svg")


def test_api_errors_speak_french(client, provider, provider_user):
    assert client.get("/api/actions").json() == {"detail": "Jeton d'accès manquant ou invalide."}
    bad_token = client.get("/api/actions", HTTP_AUTHORIZATION="Bearer remu_nope")
    assert bad_token.status_code == 401
    assert bad_token.json()["detail"] == "Jeton d'accès manquant ou invalide."
    _, raw = ApiToken.issue(provider=provider, name="Logiciel OF", user=provider_user)
    auth = {"HTTP_AUTHORIZATION": f"Bearer {raw}"}
    missing = client.get("/api/statements/999999", **auth)
    assert missing.status_code == 404
    assert missing.json() == {"detail": "Introuvable (ou d'un autre organisme)."}
    bad = client.post(
        "/api/statements/abc/declarations",
        data=[{"dossier": "X"}],
        content_type="application/json",
        **auth,
    )
    assert bad.status_code == 422
    assert {(e["champ"], e["msg"]) for e in bad.json()["detail"]} == {
        ("chemin → statement_id", "nombre entier attendu"),
        ("corps → rows[0].type", "champ obligatoire"),
    }


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_swagger_ui_renders_with_no_internet(live_server):
    """Every request leaving the server is refused: the page still shows the API."""
    require_browser()
    from playwright.sync_api import sync_playwright

    outside = []

    def local_only(route):
        if route.request.url.startswith(live_server.url):
            return route.continue_()
        outside.append(route.request.url)
        return route.abort()

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page()
            page.route("**/*", local_only)
            page.goto(f"{live_server.url}/api/docs")
            title = page.locator(".swagger-ui .info .title")
            title.wait_for(timeout=15_000)
            assert "API des organismes de formation" in title.inner_text()
            assert page.get_by_text("Les actions de l'organisme").count() == 1
        finally:
            browser.close()
    assert outside == []
