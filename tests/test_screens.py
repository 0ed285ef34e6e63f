"""Screens that must not lose or hide the user's work (issue 11 §4): RS2 journeys errors, the
signed form after validation, document requests, and the links of a preview's anomalies."""

import datetime as dt
import re

from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from remu.core.tenancy import Tenant
from remu.dossiers.selectors import open_document_requests
from remu.payments.models import PaymentRun

from . import factories as f
from . import test_dossiers
from .conftest import admitted_with_validated_march
from .test_dossiers import PDF, complete_data, create, submitted_dossier
from .utils import text

off_market = test_dossiers.off_market  # the fixture: an off-market action of the provider


def words(response) -> str:
    """The page's text without its tags."""
    return re.sub(r"<[^>]+>", "", text(response))


def journey(index, **values):
    row = {
        "date": "2026-09-07",
        "purpose": "start_end",
        "origin": "Orléans",
        "destination": "Tours",
        "distance_km": "115",
        "amount": "23.40",
    }
    row.update(values)
    return {f"journeys-{index}-{k}": v for k, v in row.items()}


def rs2_data(dossier, *rows):
    data = complete_data(dossier)
    data.update(
        {
            "journeys-TOTAL_FORMS": str(len(rows)),
            "journeys-INITIAL_FORMS": "0",
            "journeys-MIN_NUM_FORMS": "0",
            "journeys-MAX_NUM_FORMS": "1000",
        }
    )
    for index, values in enumerate(rows):
        data.update(journey(index, **values))
    return data


def test_rs2_journey_errors_are_shown_and_nothing_is_saved(provider_client, off_market):
    dossier = create(provider_client, off_market, kind="RS2")
    url = reverse("dossiers:detail", args=[dossier.pk])
    response = provider_client.post(
        url, {**rs2_data(dossier, {}, {"distance_km": "12"}, {"amount": "-5"}), "save": "1"}
    )
    assert response.status_code == 200  # not redirected as if saved
    page = text(response)
    # A summary at the top says nothing was saved and lists every fault, by journey.
    assert "Le brouillon n'est pas enregistré" in page
    assert "Trajet 2 – Distance (km, aller) : Seuls les trajets de plus de 25 km" in words(response)
    assert "Trajet 3 – Montant du justificatif (€) : Le montant ne peut pas être négatif." in (
        words(response)
    )
    # The « Trajets » tab is the one shown, flagged, with each error next to its field.
    assert 'id="tab-journeys" data-bs-toggle="tab" data-bs-target="#pane-journeys"' in page
    assert 'class="nav-link active" id="tab-journeys"' in page
    assert page.count("Seuls les trajets de plus de 25 km sont remboursés.") == 2
    assert "journeys-2-amount-errors" in page
    assert not dossier.journeys.exists()
    provider_client.post(url, {**rs2_data(dossier, {}, {"distance_km": "40"}), "save": "1"})
    assert dossier.journeys.count() == 2


def test_rs2_without_journey_flags_the_journeys_tab(provider_client, off_market):
    dossier = create(provider_client, off_market, kind="RS2")
    page = text(
        provider_client.post(
            reverse("dossiers:detail", args=[dossier.pk]),
            {**rs2_data(dossier), "validate": "1"},
        )
    )
    assert "Déclarez au moins un trajet." in page
    assert 'class="nav-link active" id="tab-journeys"' in page


def test_rs2_incomplete_validation_keeps_saved_journeys_once(provider_client, off_market):
    dossier = create(provider_client, off_market, kind="RS2")
    response = provider_client.post(
        reverse("dossiers:detail", args=[dossier.pk]),
        {**rs2_data(dossier, {}), "civil-nir": "", "validate": "1"},
    )
    assert "Le brouillon est enregistré, mais le dossier n'est pas complet" in text(response)
    assert dossier.journeys.count() == 1
    # The form shows the saved journey as such: saving the page again edits it, adds nothing.
    assert response.context["journeys"].initial_form_count() == 1


def upload(client, dossier, doc_type, name="piece.pdf"):
    return client.post(
        reverse("dossiers:upload", args=[dossier.pk]),
        {"doc_type": doc_type, "file": SimpleUploadedFile(name, PDF)},
        follow=True,
    )


def test_signed_form_is_uploaded_after_validation_and_seen_by_the_agent(
    client, provider_user, off_market, region
):
    client.force_login(provider_user)
    dossier = submitted_dossier(client, off_market)
    page = text(client.get(reverse("dossiers:detail", args=[dossier.pk])))
    assert "Formulaire RS1 signé à déposer" in page
    refused = text(upload(client, dossier, "ID"))
    assert "seuls le formulaire signé et les pièces demandées par la Région" in refused
    page = text(upload(client, dossier, "SIGNED_FORM", "rs1-signe.pdf"))
    assert "Pièce ajoutée : Formulaire pré-rempli, daté et signé" in page
    assert "Formulaire RS1 signé à déposer" not in page
    assert list(dossier.documents.values_list("doc_type", flat=True)) == ["SIGNED_FORM"]
    agent = f.AgentFactory(region=region)
    client.force_login(agent)
    assert "rs1-signe.pdf" in text(client.get(reverse("dossiers:detail", args=[dossier.pk])))
    signed = dossier.documents.get()
    client.post(
        reverse("dossiers:reception", args=[dossier.pk]),
        {"reception_date": "2026-09-10", f"review_{signed.pk}": "accepted"},
    )
    client.post(
        reverse("dossiers:decision", args=[dossier.pk]),
        {"decision": "reject", "decision_reason": "Hors public éligible"},
    )
    client.force_login(provider_user)
    dossier.refresh_from_db()
    assert dossier.status == "rejected"
    refused = text(upload(client, dossier, "SIGNED_FORM"))
    assert "Ce dossier est rejeté : seules les pièces demandées" in refused
    assert dossier.documents.count() == 1  # a rejected dossier takes no more pieces


def test_document_request_mails_the_provider_and_shows_on_the_dossier(
    client,
    provider_user,
    provider,
    off_market,
    region,
    mailoutbox,
    django_capture_on_commit_callbacks,
):
    colleague = f.ProviderUserFactory(email="compta@alpha.example", providers=[provider])
    f.ProviderUserFactory(email="autre@beta.example")  # another provider's user
    client.force_login(provider_user)
    dossier = submitted_dossier(client, off_market)
    client.force_login(f.AgentFactory(region=region))
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            reverse("dossiers:reception", args=[dossier.pk]),
            {
                "reception_date": "2026-09-10",
                "requested": ["RIB", "VITALE"],
                "request_message": "Au nom de la stagiaire",
            },
        )
    assert len(mailoutbox) == 1
    mail = mailoutbox[0]
    assert sorted(mail.to) == sorted([provider_user.email, colleague.email])
    assert dossier.number in mail.subject
    assert "RIB ou RIP au nom du stagiaire : Au nom de la stagiaire" in mail.body
    assert "Attestation de carte Vitale" in mail.body
    assert f"http://testserver/dossiers/{dossier.pk}/" in mail.body or (
        reverse("dossiers:detail", args=[dossier.pk]) in mail.body
    )
    client.force_login(provider_user)
    page = text(client.get(reverse("dossiers:detail", args=[dossier.pk])))
    assert "La Région demande 2 pièces pour ce dossier" in page
    assert page.count("Déposer la pièce") == 2
    upload(client, dossier, "RIB")
    page = text(client.get(reverse("dossiers:detail", args=[dossier.pk])))
    assert "La Région demande 1 pièce pour ce dossier" in page
    # Reception recorded again without new request: no new mail.
    client.force_login(f.AgentFactory(region=region))
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            reverse("dossiers:reception", args=[dossier.pk]), {"reception_date": "2026-09-11"}
        )
    assert len(mailoutbox) == 1


def test_open_document_requests_are_scoped_and_drop_answered_ones(
    client, provider_user, provider, off_market, region, other_region
):
    client.force_login(provider_user)
    dossier = submitted_dossier(client, off_market)
    agent = f.AgentFactory(region=region)
    client.force_login(agent)
    client.post(
        reverse("dossiers:reception", args=[dossier.pk]),
        {"reception_date": "2026-09-10", "requested": ["RIB", "VITALE"]},
    )
    mine = Tenant(region=region, provider=provider)
    assert [r.doc_type for r in open_document_requests(mine)] == ["RIB", "VITALE"]
    other = f.ProviderFactory(region=region)
    assert not open_document_requests(Tenant(region=region, provider=other)).exists()
    assert open_document_requests(Tenant(region=region, is_agent=True)).count() == 2
    assert not open_document_requests(Tenant(region=other_region, is_agent=True)).exists()
    client.force_login(provider_user)
    upload(client, dossier, "RIB")
    assert [r.doc_type for r in open_document_requests(mine)] == ["VITALE"]


def test_preview_anomalies_link_to_the_line_or_dossier_at_fault(client, pay_world, provider):
    world = pay_world
    region, agent = world["region"], world["agent"]
    # The engine refuses March: the enrollment now starts in April (statement line at fault).
    world["enrollment"].entry_date = dt.date(2026, 4, 1)
    world["enrollment"].save()
    no_iban = admitted_with_validated_march(region, provider, world["provider_user"], agent, 2)
    no_iban["dossier"].iban = ""
    no_iban["dossier"].save()
    no_line = admitted_with_validated_march(region, provider, world["provider_user"], agent, 3)
    no_line["line"].delete()
    client.force_login(agent)
    response = client.post(
        reverse("payments:runs"),
        {"kind": "monthly", "month": "2026-03", "preview": "1"},
        follow=True,
    )
    page = text(response)
    assert "Anomalies (3)" in page
    line = world["line"]
    statement = reverse("attendance:statement", args=[line.statement_id]) + f"#line-{line.pk}"
    assert f'<a href="{statement}">voir la ligne de l\'état de présence</a>' in page
    for dossier in (world["dossier"], no_iban["dossier"], no_line["dossier"]):
        assert f'<a href="{reverse("dossiers:detail", args=[dossier.pk])}">voir le dossier</a>' in (
            page
        )
    assert reverse("payments:bank_details", args=[no_iban["dossier"].pk]) in page
    assert "hors de la période d'inscription" in page
    assert "sans présence validée pour mars 2026" in page
    # The links lead to pages the agent may open.
    assert client.get(statement.split("#")[0]).status_code == 200
    assert client.get(reverse("dossiers:detail", args=[no_line["dossier"].pk])).status_code == 200


def test_an_older_summary_with_plain_text_anomalies_still_shows(client, pay_world):
    run = PaymentRun.objects.create(
        region=pay_world["region"],
        kind="monthly",
        month=dt.date(2026, 3, 1),
        created_by=pay_world["agent"],
        is_preview=True,
        status="done",
        summary={
            "lines": 0,
            "total": "0",
            "totals": {},
            "per_programme": {},
            "anomalies": ["NOM Prénom : coordonnées bancaires manquantes"],
            "anomaly_count": 1,
        },
    )
    client.force_login(pay_world["agent"])
    page = text(client.get(reverse("payments:run", args=[run.pk])))
    assert "<li>NOM Prénom : coordonnées bancaires manquantes</li>" in page


def test_rs1_travel_error_shows_the_situation_tab_in_the_summary(provider_client, off_market):
    dossier = create(provider_client, off_market)
    response = provider_client.post(
        reverse("dossiers:detail", args=[dossier.pk]),
        {**complete_data(dossier), "travel-distance_km": "32,5", "save": "1"},
    )
    assert (
        "Situation à l'entrée – Justification de la distance : Indiquez comment la distance "
        "est établie." in words(response)
    )
    assert 'class="nav-link active" id="tab-situation"' in text(response)


def test_an_anomaly_links_to_a_line_whose_id_has_thousands():
    # Ids are never localised: « #line-1 052 » would point nowhere.
    from django.template.loader import render_to_string

    html = render_to_string(
        "payments/_anomalies.html",
        {
            "anomalies": [
                {"text": "x", "dossier": 1234, "line": 1052, "statement": 4160, "kind": ""}
            ]
        },
    )
    assert 'href="/etats/4160/#line-1052"' in html
