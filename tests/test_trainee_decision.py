"""The trainee's own « décision de prise en charge » in their space, and who saw the trainee's
data on the agents' trainee page (issue 15 §1 and §4)."""

import io

import pytest
from django.test import Client
from django.urls import reverse
from pypdf import PdfReader

from remu.accounts.models import User
from remu.dossiers.models import SupportingDocument
from remu.trainees.models import Trainee

from . import factories as f
from .test_admission import received
from .test_admission_decision import admit, flat
from .utils import text


@pytest.fixture
def cvl(region):
    region.parameter_set, region.number_prefix = "centre-val-de-loire", "CVL"
    region.save()
    return region


def pdf_body(response) -> str:
    assert response.status_code == 200, response.status_code
    assert response["Content-Type"] == "application/pdf"
    reader = PdfReader(io.BytesIO(response.content))
    return flat("\n".join(page.extract_text() for page in reader.pages))


def trainee_client(trainee) -> Client:
    """The trainee logged in, their own password chosen (the first login's forced change is
    tested in test_trainee_access and the browser test)."""
    trainee.user.must_change_password = False
    trainee.user.save(update_fields=["must_change_password"])
    client = Client()
    client.force_login(trainee.user)
    return client


def test_the_trainee_downloads_their_decision_without_the_password(agent_client, cvl, agent):
    dossier = received(cvl, agent)
    decision = admit(agent_client, dossier)
    printed = pdf_body(agent_client.get(reverse("dossiers:admission_decision", args=[decision.pk])))
    password = printed.split("Mot de passe provisoire : ")[1].split(" ")[0]
    trainee = Trainee.objects.get(pk=dossier.trainee.pk)
    client = trainee_client(trainee)

    home = text(client.get(reverse("trainee_space:home")))
    assert "Télécharger ma décision de prise en charge" in home
    assert decision.number in home
    response = client.get(reverse("trainee_space:decision", args=[decision.pk]))
    assert response["Cache-Control"] == "no-store"
    assert f'filename="decision-{decision.number}.pdf"' in response["Content-Disposition"]
    body = pdf_body(response)
    assert "Décision de prise en charge" in body and trainee.full_name in body
    assert f"Identifiant : {decision.login}" in body
    assert password not in body and "ne figure pas sur cette copie" in body
    # The trainee's copy does not touch the codes (the agent's copy said « déjà remis »).
    decision.refresh_from_db()
    assert decision.codes_delivered_to == agent


def test_another_trainees_decision_is_not_found_and_agents_are_refused(agent_client, cvl, agent):
    dossier = received(cvl, agent)
    decision = admit(agent_client, dossier)
    other = f.EnrollmentFactory(action=dossier.action).trainee
    other.user = User.objects.create_user("voisin@example.org", "x", role=User.Role.TRAINEE)
    other.save(update_fields=["user"])
    client = trainee_client(other)
    assert client.get(reverse("trainee_space:decision", args=[decision.pk])).status_code == 404
    assert client.get(reverse("trainee_space:decision", args=[999999])).status_code == 404
    home = text(client.get(reverse("trainee_space:home")))
    assert "Télécharger ma décision" not in home  # no decision of their own
    url = reverse("trainee_space:decision", args=[decision.pk])
    assert agent_client.get(url).status_code == 403


def test_the_agents_trainee_page_lists_every_access_to_the_trainees_data(
    agent_client, cvl, agent, provider_user
):
    dossier = received(cvl, agent)
    dossier.action.provider = provider_user.memberships.get().provider
    dossier.action.save()
    decision = admit(agent_client, dossier)
    trainee = dossier.trainee
    document = SupportingDocument(
        dossier=dossier,
        doc_type="ID",
        content_type="application/pdf",
        original_name="id.pdf",
        size=11,
        uploaded_by=agent,
    )
    document.file.save("id.pdf", io.BytesIO(b"%PDF-1.4 id"), save=False)
    document.save()
    # Someone else's dossier whose number starts like this one's: never listed.
    neighbour = received(cvl, agent)
    agent_client.get(reverse("dossiers:detail", args=[neighbour.pk]))

    agent_client.get(reverse("dossiers:admission_decision", args=[decision.pk]))  # the codes
    streamed = agent_client.get(reverse("dossiers:document", args=[document.pk]))
    assert b"".join(streamed.streaming_content) == b"%PDF-1.4 id"
    provider = Client()
    provider.force_login(provider_user)
    provider.get(reverse("dossiers:detail", args=[dossier.pk]))
    provider.get(reverse("dossiers:admission_decision", args=[decision.pk]))

    page = text(agent_client.get(reverse("home:trainee", args=[trainee.pk])))
    section = page.split("Accès aux données du stagiaire")[1].split("Ajustements manuels")[0]
    assert (
        f"Dossier imprimé (PDF) (Décision de prise en charge {decision.number} "
        f"(codes d'accès remis) – Dossier {dossier.number})" in section
    )
    assert "Pièce téléchargée (" in section and f"– Dossier {dossier.number})" in section
    assert f"Dossier consulté (Dossier {dossier.number})" in section
    assert str(provider_user) in section and str(agent) in section
    assert f"Fiche stagiaire consultée (Stagiaire n° {trainee.pk})" in section
    assert neighbour.number not in section


def test_the_demo_trainees_have_their_decision_and_keep_the_demo_password(db):
    from django.core.management import call_command

    from remu.demo.seed import DEMO_PASSWORD, DEMO_TRAINEES
    from remu.dossiers import decisions

    call_command("seed_demo", stdout=io.StringIO())
    for email, _what in DEMO_TRAINEES:
        user = User.objects.get(email=email)
        decision = decisions.latest_for_trainee(user.trainee)
        assert decision is not None and decision.login == email
        assert decision.sealed_password == ""  # nothing to print: the account is in use
        assert user.check_password(DEMO_PASSWORD) and not user.must_change_password
        client = Client()
        client.force_login(user)
        assert "Télécharger ma décision" in text(client.get(reverse("trainee_space:home")))
