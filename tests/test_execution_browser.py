"""Issue 16 §8 in a real browser: a provider registers three trainees (one by the form, two
by import), confirms the dates and periods, records two trainers, opens the action and gets
the PDFs; later closes it after the trainees' exits and fills the exit surveys."""

import datetime as dt
import re

import pytest
from django.utils import timezone

from remu.actions.models import TrainingAction
from remu.referential.models import Campaign, Programme, Provider

from .browser import assert_accessible
from .test_browser import browser_page, field, log_in, orm  # noqa: F401

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _action(start, end):
    provider = Provider.objects.get(email="of1@demo.remu.local")
    return TrainingAction.objects.create(
        region=provider.region,
        number="CVL-EXEC-001",
        title="Costumier(ère)",
        provider=provider,
        campaign=Campaign.objects.get(region=provider.region, code=str(start.year)),
        programme=Programme.objects.get(region=provider.region, code="PM"),
        kind="market",
        planned_start=start,
        planned_end=end,
        weekly_hours=35,
        hours_in_centre=300,
        max_trainees=5,
        max_paid_trainees=5,
    ).pk


def test_provider_runs_an_action_from_registration_to_surveys(browser_page, tmp_path):  # noqa: F811
    page = browser_page
    page.on("dialog", lambda dialog: dialog.accept())
    today = timezone.localdate()
    start, end = today - dt.timedelta(days=40), today - dt.timedelta(days=3)
    if start.year != today.year:  # the demo has campaigns 2025 and 2026 only
        start = dt.date(today.year, 1, 2)
    pk = orm(lambda: _action(start, end))
    base = f"{page.base_url}/execution/actions/{pk}"
    log_in(page, "of1@demo.remu.local")
    page.wait_for_url("**/organisme/")
    page.get_by_role("link", name=re.compile("^Exécution des actions :")).click()
    page.wait_for_url("**/execution/*")
    page.get_by_role("link", name="CVL-EXEC-001").click()
    page.wait_for_url(f"**/execution/actions/{pk}/")
    assert_accessible(page)

    # Dates and periods, saved once.
    page.goto(base + "/dates/")
    page.get_by_label("Lieu de la période 1").select_option("centre")
    page.get_by_label("Début de la période 1").fill(start.isoformat())
    page.get_by_label("Fin de la période 1").fill(end.isoformat())
    assert_accessible(page)
    page.get_by_role("button", name="Enregistrer les dates et les périodes").click()
    expect_text(page, "sont enregistrées et verrouillées")
    assert_accessible(page)

    # One trainee by the form.
    page.goto(base + "/stagiaires/inscrire/")
    field(page, "Civilité").select_option("M")
    field(page, "Nom de naissance").fill("Nadal")
    field(page, "Prénoms").fill("Rafael")
    field(page, "Date de naissance").fill("1986-06-03")
    field(page, "Nationalité (code ISO, ex. FR)").fill("ES")
    field(page, "Adresse où le stagiaire reçoit son courrier").fill("3 rue du Court")
    field(page, "Code postal").fill("45000")
    option = page.locator("#id_identity-commune option", has_text="Orléans")
    option.wait_for(state="attached")
    field(page, "Commune").select_option(option.get_attribute("value"))
    field(page, "Date d'entrée").fill(start.isoformat())
    field(page, "Sexe").select_option("M")
    field(page, "Organisme chargé de la rémunération").select_option("region")
    field(page, "Niveau à l'entrée").select_option("4")
    field(page, "Durée de chômage").select_option("none")
    field(page, "Prescripteur").select_option("self")
    assert_accessible(page)
    page.get_by_role("button", name="Enregistrer").click()
    expect_text(page, "Son dossier de rémunération (RS1) est pré-rempli")

    # Two by import.
    header = "civilite;sexe;nom_naissance;prenoms;date_naissance;adresse;code_postal;"
    header += "date_entree;remuneration;niveau;duree_chomage;prescripteur\n"
    day = start.strftime("%d/%m/%Y")
    rows = "".join(
        f"MME;F;{name};{first};07/06/1981;1 allée;45000;{day};region;4;none;self\n"
        for name, first in (("Kournikova", "Anna"), ("Borg", "Bjorn"))
    )
    upload = tmp_path / "stagiaires.csv"
    upload.write_text(header + rows, encoding="utf-8")
    page.goto(base + "/stagiaires/importer/")
    assert_accessible(page)
    field(page, "Fichier CSV ou Excel").set_input_files(str(upload))
    page.get_by_role("button", name="Importer").click()
    expect_text(page, "2 stagiaire(s) inscrit(s)")
    assert page.locator("table tbody tr").count() == 3
    assert_accessible(page)

    # Two trainers.
    page.goto(base + "/formateurs/")
    for last, first in (("Rocher", "Yves"), ("Meunier", "Jacques")):
        field(page, "Nom").fill(last)
        field(page, "Prénom").fill(first)
        field(page, "Domaine d'intervention").fill("couture")
        field(page, "Heures assurées").fill("12")
        field(page, "Statut").select_option("cdd")
        field(page, "Formation et expérience professionnelle").fill("4 ans")
        page.get_by_role("button", name="Ajouter le formateur").click()
        expect_text(page, "Le formateur est ajouté")
    expect_text(page, "Nombre total de formateurs : 2")
    assert_accessible(page)

    # Opening, and its PDFs.
    page.goto(base + "/ouverture/")
    page.get_by_label("Oui").check()
    field(page, "Date d'ouverture de l'action").fill(start.isoformat())
    page.get_by_label("Mensuel").check()
    assert_accessible(page)
    page.get_by_role("button", name="Enregistrer").click()
    expect_text(page, "L'ouverture de l'action est enregistrée")
    assert_accessible(page)
    for name in ("Liste des stagiaires (PDF)", "Liste des formateurs (PDF)", "Bordereau d'envoi"):
        href = page.get_by_role("link", name=re.compile(re.escape(name))).get_attribute("href")
        response = page.request.get(page.base_url + href)
        assert response.headers["content-type"] == "application/pdf", name
        assert response.body().startswith(b"%PDF")

    # Exits, closure, exit surveys.
    page.goto(base + "/stagiaires/")
    for _ in range(3):
        page.get_by_role("link", name="Saisir la sortie").first.click()
        field(page, "Date de sortie").fill(end.isoformat())
        page.get_by_role("button", name="Enregistrer la sortie").click()
        expect_text(page, "La sortie de formation est enregistrée")
    page.goto(base + "/cloture/")
    field(page, "Date de fermeture de l'action").fill(end.isoformat())
    page.get_by_role("button", name="Clôturer l'action").click()
    expect_text(page, "L'action est clôturée")
    assert_accessible(page)
    for _ in range(3):
        page.get_by_role("link", name="Renseigner").first.click()
        page.get_by_label("Emploi dans le secteur d'activité de la formation suivie").check()
        page.get_by_label("CDI").check()
        assert_accessible(page)
        page.get_by_role("button", name="Enregistrer").click()
        expect_text(page, "L'enquête est enregistrée")
    expect_text(page, "complet")
    assert_accessible(page)
    page.goto(base + "/etats/")
    assert_accessible(page)


def expect_text(page, text):
    from playwright.sync_api import expect

    expect(page.locator("main, body").first).to_contain_text(text)
