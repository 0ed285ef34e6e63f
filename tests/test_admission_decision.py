"""The « décision de prise en charge » (issue 15 §1, seed 002): issued when an RS1 dossier is
admitted, with the amount and its explanation, the calendar, the duties and absences of the
region, how to contest, and the trainee's access codes; the one-time password printed once."""

import io
import threading
import time

import pytest
from django.db import connection, connections, transaction
from django.urls import reverse
from pypdf import PdfReader

from remu.audit.models import AccessEvent
from remu.dossiers import decisions, services
from remu.dossiers.models import AdmissionDecision, Dossier, DossierTransition

from .factories import AgentFactory
from .test_admission import admit_data, received
from .utils import text


@pytest.fixture
def cvl(region):
    region.parameter_set, region.number_prefix = "centre-val-de-loire", "CVL"
    region.assistance_phone = "02 38 70 30 30"
    region.save()
    return region


def pdf_text(response) -> str:
    assert response["Content-Type"] == "application/pdf"
    reader = PdfReader(io.BytesIO(response.content))
    return "\n".join(page.extract_text() for page in reader.pages)


def flat(value: str) -> str:
    """PDF text with its line breaks and no-break spaces as plain spaces."""
    return " ".join(value.replace("\u202f", " ").replace("\xa0", " ").split())


def admit(agent_client, dossier) -> AdmissionDecision:
    response = agent_client.post(
        reverse("dossiers:decision", args=[dossier.pk]),
        admit_data(exception_reason="Pièces vérifiées au guichet"),
    )
    assert response.status_code == 302, text(response)
    dossier.refresh_from_db()
    assert dossier.status == "admitted"
    return dossier.decisions.get()


def test_admitting_issues_the_decision_with_amount_dates_and_codes(agent_client, cvl, agent):
    dossier = received(cvl, agent)
    decision = admit(agent_client, dossier)
    assert decision.version == 1 and decision.number == f"{dossier.number}-D1"
    trainee = dossier.trainee
    trainee.refresh_from_db()
    assert trainee.user.role == "trainee" and trainee.user.must_change_password
    assert decision.login.startswith("cvl-") and trainee.nir not in decision.login
    # Never stored in clear: neither on the decision nor as the account's password.
    assert decision.sealed_password and "-" not in decision.sealed_password[:8]

    body = flat(
        pdf_text(agent_client.get(reverse("dossiers:admission_decision", args=[decision.pk])))
    )
    assert "Décision de prise en charge" in body
    assert trainee.full_name in body and dossier.action.number in body
    assert "du 2 mars 2026 au 30 septembre 2026" in body  # dates in French
    assert "Demandeur d'emploi" in body
    assert "776,42 € par mois" in body  # national more favourable than CVL 500 €, in French
    assert "500,00 €" in body  # the explanation compares
    assert "Un mois complet (avril 2026)" in body
    assert "200,00 €" in body  # CVL's entry bonus
    assert "entre le 15 et le 20 du mois suivant" in body  # the region's calendar
    assert "avant le 5 du mois suivant" in body
    assert "assiduité" in body  # the duties
    assert "Fermeture du centre (dans la limite de 15 jours par période de six mois)" in body
    assert "Maladie" in body  # unpaid absence
    assert "deux mois" in body and "tribunal administratif" in body
    assert "02 38 70 30 30" in body
    # The codes: the identifier and, on this first download, the one-time password, which
    # logs in.
    assert f"Identifiant : {decision.login}" in body
    password = body.split("Mot de passe provisoire : ")[1].split(" ")[0]
    assert len(password) == 14
    assert trainee.user.check_password(password)
    decision.refresh_from_db()
    assert decision.sealed_password == "" and decision.codes_delivered_at is not None
    assert decision.codes_delivered_to == agent
    assert AccessEvent.objects.filter(
        label__startswith=f"Décision de prise en charge {decision.number} (codes d'accès remis)"
    ).exists()

    # Later downloads never print it again.
    again = flat(
        pdf_text(agent_client.get(reverse("dossiers:admission_decision", args=[decision.pk])))
    )
    assert password not in again
    assert "Code déjà remis" in again and "réédition" in again


def test_the_provider_downloads_it_and_sees_it_on_the_dossier(
    agent_client, client, cvl, agent, provider_user
):
    dossier = received(cvl, agent)
    dossier.action.provider = provider_user.memberships.get().provider
    dossier.action.save()
    decision = admit(agent_client, dossier)
    client.force_login(provider_user)
    page = text(client.get(reverse("dossiers:detail", args=[dossier.pk])))
    assert f"Décision n° {decision.number}" in page
    assert "Rééditer les codes" not in page  # agents only
    body = flat(pdf_text(client.get(reverse("dossiers:admission_decision", args=[decision.pk]))))
    assert "Mot de passe provisoire : " in body and decision.login in body


def test_reissue_replaces_the_codes_and_is_in_the_history(agent_client, client, cvl, agent):
    dossier = received(cvl, agent)
    first = admit(agent_client, dossier)
    old = flat(pdf_text(agent_client.get(reverse("dossiers:admission_decision", args=[first.pk]))))
    old_password = old.split("Mot de passe provisoire : ")[1].split(" ")[0]
    login = first.login

    response = agent_client.post(reverse("dossiers:reissue_codes", args=[dossier.pk]))
    assert response.status_code == 302
    second = dossier.decisions.get(version=2)
    assert second.login == login  # the same identifier, a new password
    history = DossierTransition.objects.filter(dossier=dossier).last()
    assert history.from_status == history.to_status == "admitted"
    assert f"décision de prise en charge n° {second.number}" in history.reason
    assert "ne fonctionnent plus" in history.reason
    page = text(agent_client.get(reverse("dossiers:detail", args=[dossier.pk])))
    assert "Codes d'accès du stagiaire réédités" in page and "codes remplacés" in page

    new = flat(pdf_text(agent_client.get(reverse("dossiers:admission_decision", args=[second.pk]))))
    new_password = new.split("Mot de passe provisoire : ")[1].split(" ")[0]
    assert new_password != old_password
    # The old password stops working; the new one logs in.
    client.logout()
    login_url = reverse("accounts:login")
    refused = client.post(login_url, {"username": login, "password": old_password})
    assert refused.status_code == 200 and "Identifiant ou mot de passe incorrect" in text(refused)
    accepted = client.post(login_url, {"username": login, "password": new_password})
    assert accepted.status_code == 302
    # The first version now says its codes were replaced.
    agent_client.force_login(agent)  # the same test client
    replaced = flat(
        pdf_text(agent_client.get(reverse("dossiers:admission_decision", args=[first.pk])))
    )
    assert "remplacés par une décision plus récente" in replaced


def test_only_agents_reissue_and_only_admitted_rs1(agent_client, client, cvl, agent, provider_user):
    dossier = received(cvl, agent)
    response = agent_client.post(reverse("dossiers:reissue_codes", args=[dossier.pk]))
    assert response.status_code == 302
    assert not dossier.decisions.exists()
    assert "Seul un dossier RS1 admis" in text(agent_client.get(response["Location"]))
    client.force_login(provider_user)
    assert client.post(reverse("dossiers:reissue_codes", args=[dossier.pk])).status_code in (
        403,
        404,
    )


def test_no_decision_for_a_p2s(agent, cvl):
    dossier = received(cvl, agent)
    dossier.kind = Dossier.Kind.P2S
    assert decisions.issue_on_admission(dossier, agent) is None


def test_password_already_chosen_is_never_printed(agent_client, cvl, agent):
    dossier = received(cvl, agent)
    decision = admit(agent_client, dossier)
    user = dossier.trainee.user
    user.set_password("un-mot-de-passe-choisi")
    user.must_change_password = False
    user.save()
    body = flat(
        pdf_text(agent_client.get(reverse("dossiers:admission_decision", args=[decision.pk])))
    )
    assert "déjà choisi son mot de passe" in body
    decision.refresh_from_db()
    assert decision.sealed_password == ""


def test_an_unsealed_password_needs_the_secret_key(settings):
    sealed = decisions.seal("Abcd-Efgh-Jkmn")
    assert "Abcd" not in sealed and decisions.unseal(sealed) == "Abcd-Efgh-Jkmn"
    settings.SECRET_KEY = "another-secret-key-" + "x" * 40
    from cryptography.fernet import InvalidToken

    with pytest.raises(InvalidToken):
        decisions.unseal(sealed)


def test_decision_on_dossier_page_query_count(
    agent_client, cvl, agent, django_assert_max_num_queries
):
    dossier = received(cvl, agent)
    admit(agent_client, dossier)
    for _ in range(3):
        agent_client.post(reverse("dossiers:reissue_codes", args=[dossier.pk]))
    with django_assert_max_num_queries(40):
        response = agent_client.get(reverse("dossiers:detail", args=[dossier.pk]))
    assert response.status_code == 200
    assert text(response).count("codes remplacés") == 3


def test_an_hourly_category_prints_the_hourly_rate(agent_client, cvl, agent):
    dossier = received(cvl, agent, detainee=True)
    response = agent_client.post(
        reverse("dossiers:decision", args=[dossier.pk]),
        admit_data(category="DETAINEE", exception_reason="Pièces vérifiées"),
    )
    assert response.status_code == 302
    decision = dossier.decisions.get()
    body = flat(
        pdf_text(agent_client.get(reverse("dossiers:admission_decision", args=[decision.pk])))
    )
    assert "2,83 € de l'heure (temps plein, 35 h par semaine)" in body  # national, revalued
    assert "taux horaire 2,49 €" in body  # the explanation: CVL's own rate
    assert "Personne détenue" in body


@pytest.mark.django_db
def test_decision_numbers_are_unique_per_dossier(cvl, agent):
    dossier = received(cvl, agent)
    dossier.status = "admitted"
    dossier.rate_category = "JOB_SEEKER"
    dossier.save()
    decisions.issue_on_admission(dossier, agent)
    decisions.issue_on_admission(dossier, agent)
    assert list(dossier.decisions.values_list("version", flat=True)) == [2, 1]


def test_the_trainees_copy_never_prints_the_password(agent_client, cvl, agent):
    dossier = received(cvl, agent)
    decision = admit(agent_client, dossier)
    assert decisions.latest_for_trainee(dossier.trainee) == decision
    body = flat(pdf_text_of(decisions.trainee_copy(decision, "http://testserver/")))
    assert decision.login in body and "ne figure pas sur cette copie" in body
    decision.refresh_from_db()
    assert decision.sealed_password  # still to be printed on the agents' first download


def pdf_text_of(content: bytes) -> str:
    return "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(content)).pages)


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="needs PostgreSQL (set DATABASE_URL): the requests' threads share the test database",
)
def test_two_downloads_at_once_print_the_password_once(cvl, agent):
    """Two agents download the new decision at the same moment: one PDF has the password, the
    other says it was already handed over (the decision's row is locked while delivering)."""
    from .test_concurrency import logged_in, waiting_for_locks

    dossier = received(cvl, agent)
    services.admit(
        dossier,
        agent,
        category="JOB_SEEKER",
        proposed="JOB_SEEKER",
        reason="",
        holder="Léa Martin",
        iban="FR7630006000011234567890189",
        bic="BNPAFRPP",
        exception_reason="Pièces vérifiées",
    )
    decision = dossier.decisions.get()
    url = reverse("dossiers:admission_decision", args=[decision.pk])
    clients = [logged_in(agent), logged_in(AgentFactory(region=cvl))]
    responses = [None, None]

    def run(i):
        try:
            responses[i] = clients[i].get(url)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(2)]
    with transaction.atomic():
        AdmissionDecision.objects.select_for_update().get(pk=decision.pk)
        for thread in threads:
            thread.start()
        deadline = time.monotonic() + 15
        while waiting_for_locks() < 2 and time.monotonic() < deadline:
            time.sleep(0.05)
    for thread in threads:
        thread.join()
    bodies = [flat(pdf_text(r)) for r in responses]
    assert sorted("Ce mot de passe ne sert qu'une fois" in b for b in bodies) == [False, True]
    assert sum("Code déjà remis" in b for b in bodies) == 1


def test_confirming_a_provisional_admission_issues_the_final_decision(agent_client, cvl, agent):
    dossier = received(cvl, agent, disabled_worker=True)
    response = agent_client.post(
        reverse("dossiers:decision", args=[dossier.pk]),
        admit_data(
            provisional="on",
            category_reason="RQTH attendue",
            exception_reason="Pièces vérifiées",
        ),
    )
    assert response.status_code == 302
    first = dossier.decisions.get()
    body = flat(pdf_text(agent_client.get(reverse("dossiers:admission_decision", args=[first.pk]))))
    assert "à titre provisoire au taux minimum" in body

    response = agent_client.post(
        reverse("dossiers:confirm_admission", args=[dossier.pk]),
        {"category": "DISABLED", "reason": "RQTH reçue"},
    )
    assert response.status_code == 302
    final = dossier.decisions.get(version=2)
    history = DossierTransition.objects.filter(dossier=dossier).last()
    assert f"décision de prise en charge définitive n° {final.number}" in history.reason
    body = flat(pdf_text(agent_client.get(reverse("dossiers:admission_decision", args=[final.pk]))))
    assert "Travailleur handicapé" in body and "à titre provisoire" not in body
    # The trainee had not chosen a password yet: the final decision carries new codes.
    assert "Mot de passe provisoire : " in body and final.login == first.login
