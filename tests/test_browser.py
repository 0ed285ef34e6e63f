"""Journeys in a real browser, with an accessibility check of every page built so far."""

import io
import os
import re

import pytest
from django.core.management import call_command

from remu.communes.loader import load_communes
from remu.communes.models import Commune, PostalCode
from remu.core.demo import DEMO_PASSWORD

from .browser import CHROMIUM, CHROMIUM_ARGS, assert_accessible, require_browser

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def browser_page(live_server):
    require_browser()
    # Playwright's sync API runs an event loop in this thread; the ORM calls of the test
    # (fixtures, assertions) are still synchronous and safe.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    from playwright.sync_api import sync_playwright

    if not Commune.objects.exists():  # a previous transactional test flushed the tables
        load_communes(Commune, PostalCode)
    call_command("seed_demo", stdout=io.StringIO())
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page(locale="fr-FR")
        page.set_default_timeout(10_000)
        page.base_url = live_server.url
        yield page
        browser.close()
    os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)


def field(page, label):
    """The form control labelled `label` (required fields add an asterisk to the label)."""
    return page.get_by_label(re.compile(rf"^{re.escape(label)}\s*\*?$"))


def log_in(page, email):
    page.goto(page.base_url + "/connexion/")
    assert_accessible(page)
    field(page, "Adresse électronique").fill(email)
    field(page, "Mot de passe").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Se connecter").click()


def test_provider_chooses_a_campaign_filters_and_opens_an_action(browser_page):
    page = browser_page
    log_in(page, "of1@demo.remu.local")
    page.wait_for_url("**/organisme/")
    assert_accessible(page)
    field(page, "Campagne").select_option(label="Campagne 2025")
    page.get_by_role("button", name="Afficher").click()
    page.wait_for_url("**/organisme/?campaign=*")
    rows = page.locator("table tbody tr")
    assert "CVL-2025-001" in rows.first.inner_text()
    field(page, "Dispositif").select_option(label="Parcours métiers")
    page.get_by_role("button", name="Afficher").click()
    page.wait_for_url("**programme=*")
    assert page.get_by_role("link", name="CVL-2025-001").is_visible()
    assert page.get_by_role("link", name="Guide de l'organisme 2025").is_visible()
    assert_accessible(page)
    page.get_by_role("link", name="CVL-2025-001").click()
    page.wait_for_url(re.compile(r".*/actions/\d+/$"))
    assert page.get_by_text("Résumé de l'action").is_visible()
    assert page.locator("#trainees-title").inner_text().startswith("Stagiaires inscrits (")
    assert_accessible(page)
    page.get_by_role("link", name="Mon compte").click()
    assert_accessible(page)


def test_agent_creates_an_action(browser_page):
    page = browser_page
    log_in(page, "agent@cvl.remu.local")
    page.wait_for_url("**/region/")
    assert_accessible(page)
    for link in ("Organismes", "Campagnes", "Dispositifs", "Actions"):
        page.get_by_role("navigation", name="Navigation principale").get_by_role(
            "link", name=link
        ).click()
        page.wait_for_load_state()
        assert_accessible(page)
    page.get_by_role("link", name="Nouvelle action").click()
    assert_accessible(page)
    field(page, "Numéro").fill("CVL-2026-900")
    field(page, "Intitulé").fill("Assistant(e) de vie aux familles")
    field(page, "Campagne").select_option(label="Campagne 2026")
    field(page, "Dispositif").select_option(label="Parcours métiers")
    field(page, "Organisme de formation").select_option(label="GRETA Loiret Formation")
    field(page, "Type").select_option(label="Hors marché")
    field(page, "Début prévu").fill("2026-12-07")
    field(page, "Fin prévue").fill("2027-05-28")
    field(page, "Durée hebdomadaire (heures)").fill("24")
    field(page, "Durée en centre (heures)").fill("450")
    field(page, "Code postal du lieu de formation").fill("41000")
    commune = field(page, "Commune du lieu de formation")
    commune.locator("option", has_text="Blois").wait_for(state="attached")  # htmx lookup
    commune.select_option(label="Blois (41018)")
    field(page, "Effectif maximum").fill("12")
    field(page, "Effectif rémunéré maximum").fill("14")
    page.get_by_role("button", name="Enregistrer l'action").click()
    # The error is said next to its field, and nothing typed is lost.
    assert page.get_by_text("L'effectif rémunéré ne peut dépasser l'effectif maximum.").is_visible()
    assert field(page, "Intitulé").input_value() == "Assistant(e) de vie aux familles"
    assert_accessible(page)
    field(page, "Effectif rémunéré maximum").fill("10")
    page.get_by_role("button", name="Enregistrer l'action").click()

    page.wait_for_url(re.compile(r".*/actions/\d+/$"))
    assert page.get_by_text("L'action a été créée.").is_visible()
    assert page.get_by_text("24 h – temps partiel").is_visible()
    assert page.get_by_text("Blois").first.is_visible()
    assert_accessible(page)


def test_public_pages_are_accessible(browser_page):
    page = browser_page
    for path in ("/connexion/", "/mot-de-passe/oublie/"):
        page.goto(page.base_url + path)
        assert_accessible(page)


def test_public_simulator_without_javascript_and_accessible(browser_page):
    page = browser_page
    page.goto(page.base_url + "/simulateur/")
    assert_accessible(page)
    field(page, "Région de la formation").select_option(label="Région Centre-Val de Loire")
    field(page, "Date de naissance").fill("1990-05-04")
    field(page, "Date de début de la formation").fill("2026-09-14")
    field(page, "Durée de la formation (heures par semaine)").fill("35")
    field(page, "Distance entre le domicile et le lieu de formation (km)").fill("30")
    page.get_by_role("button", name="Simuler").click()
    page.wait_for_url("**/simulateur/?*")
    assert page.get_by_text("Net mensuel estimé").is_visible()
    assert page.get_by_text("Seule la décision de la Région").is_visible()
    assert_accessible(page)


def test_rules_administrator_previews_a_revaluation(browser_page):
    page = browser_page
    log_in(page, "regles@cvl.remu.local")
    page.wait_for_url("**/region/")
    page.get_by_role("navigation", name="Navigation principale").get_by_role(
        "link", name="Barèmes"
    ).click()
    assert page.get_by_text("En vigueur au 01/09/2020").first.is_visible()
    assert_accessible(page)
    page.get_by_role("link", name="Revaloriser par coefficient").click()
    field(page, "Libellé (décret, délibération)").fill("Revalorisation 2027")
    field(page, "Coefficient de revalorisation").fill("1.02")
    page.get_by_role("button", name="Voir l'aperçu").click()
    assert page.get_by_text("Aperçu des nouveaux montants").is_visible()
    assert_accessible(page)
    page.get_by_role("button", name="Confirmer et enregistrer").click()
    page.wait_for_url("**/region/baremes/")
    assert page.get_by_text("saisie dans l'application").first.is_visible()
