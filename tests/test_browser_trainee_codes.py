"""From the admission to the trainee's phone (issue 15 §1, §2 and §5): an agent admits an RS1
dossier, downloads its « décision de prise en charge », whose identifier and one-time password
the trainee types on a phone; they must choose their own password, see their space and
download their decision (without the password)."""

import io
import re

import pytest
from pypdf import PdfReader

from .browser import assert_accessible
from .test_browser import browser_page, field, log_in, orm  # noqa: F401 (browser_page: a fixture)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}
CHOSEN = "Mon-secret-a-moi-2026"


def pdf_text(path) -> str:
    with open(path, "rb") as handle:
        reader = PdfReader(io.BytesIO(handle.read()))
    text = "\n".join(page.extract_text() for page in reader.pages)
    return " ".join(text.replace("\u202f", " ").replace("\xa0", " ").split())


def _received_rs1():
    """A received RS1 dossier of a new trainee of a demo action, every document accepted."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    from remu.actions.models import TrainingAction
    from remu.dossiers import services
    from remu.dossiers.models import Dossier
    from remu.trainees.models import Enrollment, Trainee

    action = TrainingAction.objects.get(number="CVL-2026-010")
    agent = action.region.agents.get(email="agent@cvl.remu.local")
    trainee = Trainee.objects.create(
        region=action.region,
        civility="MME",
        birth_name="LEROY",
        first_names="Camille",
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
        services.upload(
            dossier, doc_type, SimpleUploadedFile(f"{doc_type}.pdf", b"%PDF-1.4\n"), agent
        )
    dossier.documents.update(review="accepted")
    for status in ("submitted", "received"):
        services.transition(dossier, status, agent, "Préparé pour le test")
    return dossier.pk


def _admit(pk):
    """The agent's admission, through the service (the form is tested in test_browser)."""
    from remu.dossiers import services
    from remu.dossiers.models import Dossier

    dossier = Dossier.objects.get(pk=pk)
    agent = dossier.region.agents.get(email="agent@cvl.remu.local")
    services.admit(
        dossier,
        agent,
        category="JOB_SEEKER",
        proposed="JOB_SEEKER",
        reason="Demandeur d'emploi inscrit",
        holder="Camille Leroy",
        iban="FR7630006000011234567890189",
        bic="BNPAFRPP",
    )
    return dossier.decisions.get().number


def test_the_trainee_logs_in_on_a_phone_with_the_decisions_codes(browser_page):  # noqa: F811
    page = browser_page
    pk = orm(_received_rs1)
    number = orm(lambda: _admit(pk))
    # The agent downloads the decision: the only copy with the one-time password.
    log_in(page, "agent@cvl.remu.local")
    page.wait_for_url("**/region/")
    page.goto(f"{page.base_url}/dossiers/{pk}/")
    assert_accessible(page)
    with page.expect_download() as download:
        page.get_by_role("link", name=f"Décision n° {number}").click()
    decision = pdf_text(download.value.path())
    assert "Décision de prise en charge" in decision and "Camille" in decision
    login = re.search(r"Identifiant : (\S+)", decision).group(1)
    password = re.search(r"Mot de passe provisoire : (\S+)", decision).group(1)
    assert login.startswith("cvl-") and len(password) == 14
    page.get_by_role("button", name="Se déconnecter").click()
    page.wait_for_url("**/")

    # The trainee, on their phone, types what the paper says.
    page.set_viewport_size(PHONE)
    page.goto(page.base_url + "/connexion/")
    assert_accessible(page)
    field(page, "Adresse électronique ou identifiant").fill(login)
    field(page, "Mot de passe").fill(password)
    page.get_by_role("button", name="Se connecter").click()
    page.wait_for_url("**/mot-de-passe/changer/")
    assert_accessible(page)
    field(page, "Ancien mot de passe").fill(password)
    field(page, "Nouveau mot de passe").fill(CHOSEN)
    field(page, "Confirmation du nouveau mot de passe").fill(CHOSEN)
    page.get_by_role("button", name=re.compile("Changer|Enregistrer|Modifier")).click()
    page.get_by_text("Votre mot de passe a été modifié.").wait_for()
    page.goto(page.base_url + "/")
    page.wait_for_url("**/mon-espace/")
    page.get_by_role("heading", name="Bonjour Camille").wait_for()
    assert_accessible(page)
    with page.expect_download() as download:
        page.get_by_role("link", name="Télécharger ma décision de prise en charge").click()
    copy = pdf_text(download.value.path())
    assert f"Identifiant : {login}" in copy and number in copy
    assert password not in copy and "ne figure pas sur cette copie" in copy
    page.get_by_role("button", name="Se déconnecter").click()

    # The one-time password no longer works; the chosen one does.
    page.goto(page.base_url + "/connexion/")
    field(page, "Adresse électronique ou identifiant").fill(login)
    field(page, "Mot de passe").fill(password)
    page.get_by_role("button", name="Se connecter").click()
    assert page.url.endswith("/connexion/")
    assert_accessible(page)
