"""Journeys in a real browser, with an accessibility check of every page built so far."""

import datetime as dt
import io
import re

import pytest
from django.core.management import call_command
from playwright.sync_api import expect

from remu.communes.loader import load_communes
from remu.communes.models import Commune, PostalCode
from remu.demo.seed import DEMO_PASSWORD

from .browser import AXE, CHROMIUM, CHROMIUM_ARGS, assert_accessible, require_browser

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def browser_page(live_server, monkeypatch):
    require_browser()
    # Playwright's sync API runs an event loop in this thread; the ORM calls of the test
    # (fixtures, assertions) are still synchronous and safe. monkeypatch unsets it whatever
    # happens, so no later test (the deploy check) inherits it.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    from playwright.sync_api import sync_playwright

    if not Commune.objects.exists():  # a previous transactional test flushed the tables
        load_communes(Commune, PostalCode)
    call_command("seed_demo", stdout=io.StringIO())
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page(locale="fr-FR")
        page.set_default_timeout(10_000)
        page.base_url = live_server.url
        # axe-core comes in through the browser's own channel, which the page's
        # Content-Security-Policy does not restrict (a <script> added to the page would be).
        page.add_init_script(path=str(AXE))
        violations = []
        page.on(
            "console",
            lambda m: "Content Security Policy" in m.text and violations.append(m.text),
        )
        yield page
        browser.close()
    # Every page of every journey runs under the policy: nothing it forbids was needed.
    assert not violations, violations


def orm(query):
    """Runs database code from inside a Playwright test and closes the connection it opened:
    Playwright's sync API runs the test in a context of its own, whose connection Django
    would otherwise leave open (PostgreSQL then refuses to drop the test database)."""
    from django.db import connections

    try:
        return query()
    finally:
        connections.close_all()


def field(page, label):
    """The form control labelled `label` (required fields add an asterisk to the label)."""
    return page.get_by_label(re.compile(rf"^{re.escape(label)}\s*\*?$"))


def log_in(page, email):
    page.goto(page.base_url + "/connexion/")
    assert_accessible(page)
    field(page, "Adresse électronique ou identifiant").fill(email)
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


def test_dossier_journey_from_provider_entry_to_agent_admission(browser_page, tmp_path):
    import datetime as dt
    import io as _io

    from pypdf import PdfReader

    from remu.dossiers import nir

    page = browser_page
    # of2's CVL-2026-008 runs until April 2027: a dossier cannot be created on an ended action
    log_in(page, "of2@demo.remu.local")
    page.wait_for_url("**/organisme/")
    page.get_by_role("link", name="Nouveau dossier").first.click()
    assert_accessible(page)
    field(page, "Campagne").select_option(label="Campagne 2026")
    action = field(page, "Action de formation (hors marché)")
    action.locator("option", has_text="CVL-2026-008").wait_for(state="attached")  # htmx
    action.select_option(label=action.locator("option", has_text="CVL-2026-008").inner_text())
    field(page, "Nom").fill("Lefèvre")
    field(page, "Prénom").fill("Inès")
    field(page, "Date de naissance").fill("1994-02-20")
    field(page, "Type de dossier").select_option(value="RS1")
    page.get_by_role("button", name="Ouvrir le nouveau formulaire").click()
    page.wait_for_url(re.compile(r".*/dossiers/\d+/$"))
    assert_accessible(page)

    # Tab 1: civil status (switching tabs keeps what was typed)
    field(page, "Civilité").select_option(label="Madame")
    field(page, "Code postal de la commune de naissance").fill("37000")
    birth = field(page, "Commune de naissance")
    birth.locator("option", has_text="Tours").wait_for(state="attached")
    birth.select_option(label="Tours (37261)")
    page.get_by_role("button", name="Pré-remplir depuis l'état civil").click()
    # A web-first assertion: no string evaluated in the page, which the CSP forbids.
    expect(page.locator("#id_civil-nir")).to_have_value(re.compile(r"^2940237261"))
    head = nir.prefix("MME", dt.date(1994, 2, 20), "37261") + "045"
    field(page, "Numéro de sécurité sociale").fill(head + nir.key_for(head))
    field(page, "Adresse").fill("8 rue de la République")
    field(page, "Code postal").fill("45000")
    home = field(page, "Commune")
    home.locator("option", has_text="Orléans").wait_for(state="attached")
    home.select_option(label="Orléans (45234)")
    # Tabs 2 to 4
    page.get_by_role("tab", name="Mode de paiement").click()
    assert page.get_by_text("RIB à joindre").is_visible()
    page.get_by_role("tab", name="Situation à l'entrée").click()
    field(page, "Inscrit à France Travail").check()
    field(page, "Identifiant France Travail").fill("1234567A")
    page.get_by_role("tab", name="Régime de protection sociale").click()
    page.get_by_role("combobox", name="Régime de protection sociale").select_option(
        label="Régime général"
    )
    field(page, "Centre d'affiliation").select_option(label="CPAM du Loiret")
    page.get_by_role("tab", name="État civil").click()
    assert field(page, "Adresse").input_value() == "8 rue de la République"
    page.get_by_role("button", name="Enregistrer", exact=True).click()
    assert page.get_by_text("Brouillon CVL-").is_visible()
    assert_accessible(page)

    # Documents: a PDF is accepted, a renamed executable is refused
    exe = tmp_path / "rib.pdf"
    exe.write_bytes(b"MZ\x90\x00" + b"\x00" * 64)
    page.get_by_label("Pièce", exact=True).select_option(value="RIB")
    page.get_by_label("Fichier (PDF, JPEG ou PNG, 10 Mo au plus)").set_input_files(str(exe))
    page.get_by_role("button", name="Ajouter la pièce").click()
    assert page.get_by_text("Seuls les fichiers PDF, JPEG ou PNG sont acceptés").is_visible()
    identity = tmp_path / "identite.pdf"
    identity.write_bytes(b"%PDF-1.4\n% identite\n")
    page.get_by_label("Pièce", exact=True).select_option(value="ID")
    page.get_by_label("Fichier (PDF, JPEG ou PNG, 10 Mo au plus)").set_input_files(str(identity))
    page.get_by_role("button", name="Ajouter la pièce").click()
    assert page.get_by_role("link", name="identite.pdf").is_visible()

    # Validate, confirm, print
    page.get_by_role("button", name="Valider").click()
    page.wait_for_url("**/valider/")
    assert_accessible(page)
    page.get_by_role("button", name="Confirmer la validation").click()
    assert page.get_by_text("Pré-saisi").first.is_visible()
    number = re.search(r"CVL-\d{4}-\d{6}", page.locator("h1").inner_text()).group(0)
    assert_accessible(page)
    pdf = page.request.get(page.url + "imprimer/")
    reader = PdfReader(_io.BytesIO(pdf.body()))
    assert all(f"Dossier n° {number}" in p.extract_text() for p in reader.pages)
    page.get_by_role("button", name="Se déconnecter").click()

    # The agent receives it, enters the bank details and admits it
    log_in(page, "agent@cvl.remu.local")
    page.wait_for_url("**/region/")
    page.get_by_role("navigation", name="Navigation principale").get_by_role(
        "link", name="Dossiers"
    ).click()
    assert_accessible(page)
    page.get_by_role("link", name=re.compile(number)).click()
    page.get_by_role("link", name="Réception").click()
    assert_accessible(page)
    field(page, "Date de réception").fill("2026-11-20")
    page.get_by_role("button", name="Enregistrer la réception").click()
    assert page.get_by_text("Réception enregistrée.").is_visible()
    page.get_by_role("link", name="Décision").click()
    assert page.get_by_text("Catégorie proposée").is_visible()
    assert_accessible(page)
    page.get_by_label("Admettre").check()
    field(page, "IBAN").fill("FR76 3000 6000 0112 3456 7890 189")
    field(page, "BIC").fill("BNPAFRPP")
    # Documents are not all accepted: Centre-Val de Loire admits on a written reason.
    field(page, "Motif de l'admission malgré les pièces manquantes").fill("Pièces à suivre")
    page.get_by_role("button", name="Enregistrer la décision").click()
    assert page.get_by_text(f"Le dossier {number} est admis.").is_visible()
    assert page.get_by_text("Admis", exact=True).first.is_visible()
    assert_accessible(page)


def test_agent_admits_a_dossier_with_a_missing_document_on_a_written_reason(browser_page):
    """Issue 11 §3: admission with a required document missing is refused, the message next
    to the field; where the region allows it (Centre-Val de Loire), a written reason admits it
    and the history shows it."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    from remu.actions.models import TrainingAction
    from remu.dossiers import services
    from remu.dossiers.models import Dossier
    from remu.trainees.models import Enrollment, Trainee

    def received_dossier():
        action = TrainingAction.objects.get(number="CVL-2026-010")
        agent = action.region.agents.get(email="agent@cvl.remu.local")
        trainee = Trainee.objects.create(
            region=action.region,
            civility="MME",
            birth_name="MOREAU",
            first_names="Jeanne",
            birth_date=action.start_date.replace(year=action.start_date.year - 30),
        )
        enrollment = Enrollment.objects.create(
            trainee=trainee, action=action, entry_date=action.start_date
        )
        dossier = Dossier.objects.create(
            region=action.region,
            action=action,
            enrollment=enrollment,
            kind="RS1",
            real_start=action.start_date,
            real_end=action.end_date,
            weekly_hours=action.weekly_hours,
        )
        services.assign_number(dossier)
        dossier.save()
        for doc_type in services.required_documents(dossier):
            if doc_type != "VITALE":  # the missing one
                pdf = SimpleUploadedFile(f"{doc_type}.pdf", b"%PDF-1.4\n")
                services.upload(dossier, doc_type, pdf, agent)
        dossier.documents.update(review="accepted")
        for status in ("submitted", "received"):
            services.transition(dossier, status, agent, "Préparé pour le test")
        return dossier.pk, dossier.number

    pk, number = orm(received_dossier)
    page = browser_page
    log_in(page, "agent@cvl.remu.local")
    page.wait_for_url("**/region/")
    page.goto(f"{page.base_url}/dossiers/{pk}/")
    page.get_by_role("link", name="Décision").click()
    assert page.get_by_text("Ce qui décide").is_visible()
    assert page.locator("#full-month").inner_text().startswith("Un mois complet")
    page.get_by_label("Admettre").check()
    field(page, "IBAN").fill("FR76 3000 6000 0112 3456 7890 189")
    field(page, "BIC").fill("BNPAFRPP")
    page.get_by_role("button", name="Enregistrer la décision").click()
    # Refused: the message sits next to the reason to write.
    errors = page.locator("#exception_reason-errors")
    assert "Attestation de carte Vitale au nom du stagiaire" in errors.inner_text()
    assert "Pour admettre malgré tout, écrivez le motif" in errors.inner_text()
    assert_accessible(page)
    assert orm(lambda: Dossier.objects.get(pk=pk).status) == "received"
    field(page, "Motif de l'admission malgré les pièces manquantes").fill(
        "Carte Vitale en cours de délivrance, attestation à suivre"
    )
    page.get_by_role("button", name="Enregistrer la décision").click()
    assert page.get_by_text(f"Le dossier {number} est admis.").is_visible()
    history = page.locator("#history-title + ol").inner_text()
    assert "Motif : Carte Vitale en cours de délivrance, attestation à suivre" in history
    assert page.get_by_text("Admis malgré les pièces manquantes, motif").is_visible()
    assert_accessible(page)


def test_monthly_statement_everyone_present_one_absence_validated(browser_page):
    import io as _io

    from pypdf import PdfReader

    from remu.attendance.models import AttendanceLine
    from remu.attendance.services import case_for
    from remu.scales.selectors import engine

    page = browser_page
    page.on("dialog", lambda dialog: dialog.accept())  # hx-confirm
    log_in(page, "of1@demo.remu.local")
    page.wait_for_url("**/organisme/")
    page.get_by_role("table").get_by_role("link", name="CVL-2026-007").click()
    page.get_by_role("link", name="États de présence").click()
    page.get_by_role("button", name=re.compile("Créer l'état de présence de juillet 2026")).click()
    page.wait_for_url(re.compile(r".*/etats/\d+/$"))
    assert_accessible(page)
    page.get_by_label("Cocher tous les stagiaires à temps plein").check()
    page.get_by_label("Présent tout le mois").check()
    page.get_by_role("button", name="Enregistrer la présence").click()
    page.get_by_text(re.compile(r"Présence enregistrée pour \d+ stagiaire")).first.wait_for()
    first_row = page.locator("#pane-full tbody tr").first
    name = first_row.locator("td").nth(1).inner_text().strip()
    line_id = int(first_row.get_attribute("id").removeprefix("line-"))
    first_row.get_by_role("link", name=re.compile("Ajouter une absence")).click()
    slot = first_row.locator("form")
    slot.get_by_text("Absence non enregistrée").wait_for()  # the unsaved state is shown
    field(slot, "Motif").select_option(value="UNJUSTIFIED")
    field(slot, "Du").fill("2026-07-15")
    field(slot, "Au").fill("2026-07-16")
    slot.get_by_role("button", name="Enregistrer l'absence").click()
    page.get_by_text(f"Absence enregistrée pour {name}").first.wait_for()
    assert_accessible(page)
    page.get_by_label("Cocher tous les stagiaires à temps plein").check()
    page.get_by_role("button", name="Valider les stagiaires cochés").click()
    page.get_by_text(re.compile(r"\d+ stagiaire\(s\) validé\(s\)")).first.wait_for()

    def engine_amount():
        line = AttendanceLine.objects.get(pk=line_id)
        assert line.status == "validated"
        assert any("2 trentièmes retenus" in step for step in line.explanation)
        expected = engine(line.dossier.region).compute(case_for(line)).remuneration
        assert line.amount == expected
        return expected

    expected = orm(engine_amount)
    row = page.locator("#pane-full tbody tr", has_text=name)
    assert f"{expected}".replace(".", ",") + " €" in row.inner_text()
    assert_accessible(page)
    pdf = page.request.get(page.url + "certificat.pdf")
    content = "".join(p.extract_text() for p in PdfReader(_io.BytesIO(pdf.body())).pages)
    assert name in content and "Absence non justifiée du 15/07/2026" in content


def test_agent_pays_the_month_sepa_out_returns_in(browser_page, tmp_path):
    from remu.payments.models import Payment

    page = browser_page
    log_in(page, "agent@cvl.remu.local")
    page.wait_for_url("**/region/")
    page.get_by_role("navigation", name="Navigation principale").get_by_role(
        "link", name="Paiements"
    ).click()
    assert_accessible(page)
    field(page, "Type de série").select_option(label="Série mensuelle")
    # Last month: the demo has paid the month before it (its history), never this one.
    last_month = (dt.date.today().replace(day=1) - dt.timedelta(days=1)).strftime("%Y-%m")
    field(page, "Mois payé").fill(last_month)
    page.get_by_role("button", name="Aperçu (sans rien ordonner)").click()
    page.get_by_text(re.compile(r"Aperçu : \d+ ligne")).wait_for()
    assert_accessible(page)
    page.get_by_role("button", name="Lancer la série").click()
    page.wait_for_url(re.compile(r".*/series/\d+/$"))
    page.get_by_text("Terminée").first.wait_for()
    assert_accessible(page)
    # separation of duties: another agent confirms the transfer file
    run_url = page.url
    page.get_by_role("button", name=re.compile("Créer le fichier SEPA")).click()
    page.get_by_text("doit être confirmé par un autre agent").wait_for()
    page.get_by_role("button", name="Se déconnecter").click()
    log_in(page, "regles@cvl.remu.local")
    page.wait_for_url("**/region/")
    page.goto(run_url)
    page.get_by_role("button", name=re.compile("Créer le fichier SEPA")).click()
    page.get_by_text(re.compile(r"Fichier SEPA créé : \d+ virement")).wait_for()
    with page.expect_download() as download:
        page.get_by_role("link", name=re.compile("Fichier SEPA du")).click()
    with open(download.value.path(), "rb") as sepa_file:
        assert b"pain.001.001.03" in sepa_file.read()

    def sent():
        payments = list(Payment.objects.filter(status="sent").select_related("enrollment__trainee"))
        return [(p.reference, p.enrollment.trainee_id) for p in payments]

    references = orm(sent)
    assert references
    returns = tmp_path / "retour.csv"
    returns.write_text(
        "reference;statut;date;mandat\n"
        + "".join(
            f"{ref};PAYE;18/11/2026;M-2026-{i:05d}\n" for i, (ref, _) in enumerate(references)
        )
    )
    page.get_by_role("link", name="Paiements").first.click()
    page.get_by_role("link", name="Importer un fichier de retour").click()
    assert_accessible(page)
    field(page, "Fichier CSV").set_input_files(str(returns))
    page.get_by_role("button", name="Importer").click()
    page.get_by_text(f"{len(references)} ligne(s) mise(s) à jour.").wait_for()
    page.goto(page.base_url + f"/stagiaires/{references[0][1]}/")
    assert page.locator(".badge.payment-paid").first.is_visible()
    assert page.get_by_text(re.compile(r"mandat n° M-2026-\d{5}")).first.count() >= 1
    assert page.get_by_role("link", name=re.compile("Avis de paiement")).first.is_visible()
    assert_accessible(page)


def test_to_do_lists_of_both_homes_are_accessible(browser_page):
    """Every count of each home's to-do list leads to an accessible list."""
    page = browser_page
    homes = (("agent@cvl.remu.local", "/region/"), ("of1@demo.remu.local", "/organisme/"))
    for email, home in homes:
        log_in(page, email)
        page.wait_for_url("**" + home)
        assert_accessible(page)
        todo = page.get_by_role("region", name="À faire")
        links = [a.get_attribute("href") for a in todo.get_by_role("link").all()]
        assert len(links) >= 4
        for href in links:
            page.goto(page.base_url + href)
            assert_accessible(page)
        page.goto(page.base_url + home)
        page.get_by_role("button", name="Se déconnecter").click()


def _part_time_statement():
    """An action of of1's provider with one 20 h/week trainee who entered on Tuesday 10 March
    2026, admitted, and the statement of March 2026."""
    import datetime as dt
    from decimal import Decimal

    from remu.accounts.models import User
    from remu.attendance import services
    from remu.dossiers.models import Dossier

    from . import factories as f

    user = User.objects.get(email="of1@demo.remu.local")
    provider = user.memberships.first().provider
    campaign = provider.region.campaigns.order_by("-start_date").first()
    action = f.TrainingActionFactory(
        region=provider.region,
        provider=provider,
        campaign=campaign,
        programme=provider.region.programmes.first(),
        number="CVL-TP-001",
        weekly_hours=Decimal("20"),
        planned_start=dt.date(2026, 3, 2),
        planned_end=dt.date(2026, 9, 30),
    )
    enrollment = f.EnrollmentFactory(
        action=action,
        entry_date=dt.date(2026, 3, 10),
        trainee__birth_name="PARTIEL",
        trainee__first_names="Camille",
    )
    Dossier.objects.create(
        region=action.region,
        action=action,
        enrollment=enrollment,
        kind="RS1",
        status="admitted",
        rate_category="JOB_SEEKER",
        weekly_hours=Decimal("20"),
        number="CVL-2026-900001",
    )
    statement = services.create_statement(action, user, dt.date(2026, 4, 2))
    line = statement.lines.get()
    return statement.pk, line.pk, enrollment.trainee.full_name


def test_part_time_statement_refuses_a_week_before_entry_and_confirms_extra_hours(
    browser_page,
):
    page = browser_page
    statement, line, name = orm(_part_time_statement)
    log_in(page, "of1@demo.remu.local")
    page.wait_for_url("**/organisme/")
    page.goto(f"{page.base_url}/etats/{statement}/")
    page.get_by_role("tab", name=re.compile("Temps partiel")).click()
    pane = page.locator("#pane-part")
    weeks = ["01/03 au 01/03", "02/03 au 08/03", "09/03 au 15/03", "16/03 au 22/03"]
    weeks += ["23/03 au 29/03", "30/03 au 31/03"]
    for week, hours in zip(weeks, ["0", "5", "16", "20", "20", "8"], strict=True):
        field(pane, f"Semaine du {week}").fill(hours)
    field(pane, "Jours de présence dans le mois").fill("15")
    save = pane.get_by_role("button", name=f"Enregistrer les heures de {name}")
    save.click()
    # the refusal sits on the cell of the week before the entry; the tab stays part time
    cell = page.locator(f"#pt{line}-week_1-errors")
    cell.wait_for()
    assert cell.inner_text() == (
        "Semaine du 2 au 8 mars : le stagiaire n'est pas encore entré en formation "
        "(entrée le 10 mars 2026)."
    )
    assert field(pane, "Semaine du 02/03 au 08/03").get_attribute("aria-invalid") == "true"
    assert (
        page.get_by_role("tab", name=re.compile("Temps partiel")).get_attribute("aria-selected")
        == "true"
    )
    assert pane.is_visible()
    assert_accessible(page)
    # corrected, with a week above the trainee's 20 h: a confirmation is asked
    field(pane, "Semaine du 02/03 au 08/03").fill("0")
    field(pane, "Semaine du 16/03 au 22/03").fill("25")
    save.click()
    confirm = pane.get_by_label(re.compile("Je confirme les heures au-delà"))
    confirm.wait_for()
    assert pane.locator(f"#pt{line}-week_3-errors").inner_text() == (
        "Semaine du 16 au 22 mars : 25 h dépassent la durée hebdomadaire du stagiaire (20 h)."
    )
    label = pane.get_by_text(re.compile("Je confirme")).inner_text()
    assert label.endswith("(semaine du 16 au 22 mars)")
    assert_accessible(page)
    confirm.check()
    save.click()
    saved = page.get_by_text(f"Heures enregistrées pour {name}.")
    saved.wait_for()
    assert saved.count() == 1  # once, not in the page and again in its body
    assert pane.is_visible() and not page.locator("#pane-full").is_visible()
    assert field(pane, "Semaine du 16/03 au 22/03").input_value() == "25"
    assert not page.get_by_text("Je confirme les heures au-delà").count()
    assert_accessible(page)

    def saved_hours():
        from remu.attendance.models import AttendanceLine

        return AttendanceLine.objects.get(pk=line).hours_present

    assert str(orm(saved_hours)) == "69"
