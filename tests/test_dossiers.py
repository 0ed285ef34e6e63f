import datetime as dt
import io
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from pypdf import PdfReader

from remu.attendance import services as attendance
from remu.dossiers import nir
from remu.dossiers.models import DocumentRequest, Dossier, SupportingDocument
from remu.dossiers.services import delete_draft, ensure_market_drafts, upload

from . import factories as f
from .utils import text

PDF = b"%PDF-1.4\n% test\n"


@pytest.fixture
def off_market(region, provider):
    region.number_prefix = "CVL"
    region.save()
    return f.TrainingActionFactory(
        region=region,
        provider=provider,
        kind="off_market",
        planned_start=dt.date(2026, 9, 7),
        planned_end=dt.date(2027, 3, 26),
    )


def create(client, action, kind="RS1", birth_date="1996-04-12"):
    response = client.post(
        reverse("dossiers:create"),
        {
            "campaign": action.campaign.pk,
            "action": action.pk,
            "birth_name": "Martin",
            "first_names": "Léa",
            "birth_date": birth_date,
            "kind": kind,
        },
    )
    return Dossier.objects.get(pk=int(response.url.rstrip("/").rsplit("/", 1)[1]))


def complete_data(dossier, **overrides):
    orleans = f.commune("45234")
    tours = f.commune("37261")
    data = {
        "banner-real_start": "2026-09-07",
        "banner-real_end": "2027-03-26",
        "banner-weekly_hours": "35",
        "civil-civility": "MME",
        "civil-birth_name": "MARTIN",
        "civil-first_names": "Léa",
        "civil-birth_date": "1996-04-12",
        "civil-birth_postal_code": "37000",
        "civil-birth_commune": tours.pk,
        "civil-birth_country": "FR",
        "civil-nationality": "FR",
        "civil-nir": nir.prefix("MME", dt.date(1996, 4, 12), "37261")
        + "123"
        + nir.key_for(nir.prefix("MME", dt.date(1996, 4, 12), "37261") + "123"),
        "civil-address_line1": "3 rue Jeanne d'Arc",
        "civil-postal_code": "45000",
        "civil-commune": orleans.pk,
        "situation-job_seeker": "on",
        "situation-children": "0",
        "protection-regime": "general",
        "protection-affiliation_centre": "CPAM du Loiret",
    }
    data.update(overrides)
    return data


def test_nir_helpers():
    assert nir.prefix("MME", dt.date(1996, 4, 12), "37261") == "2960437261"
    number = "2960437261000"
    provisional = number + nir.key_for(number)
    assert nir.is_provisional(provisional)
    assert nir.coherence_errors(provisional, "MME", dt.date(1996, 4, 12), "37261") == []
    corsica = "180052A004123"
    assert (
        nir.coherence_errors(corsica + nir.key_for(corsica), "M", dt.date(1980, 5, 1), "2A004")
        == []
    )
    corsica_b = "180052B033123"
    assert nir.key_for(corsica_b) == f"{97 - int('1800518033123') % 97:02d}"
    errors = nir.coherence_errors(provisional, "M", dt.date(1995, 4, 12), "45234")
    assert len(errors) == 3  # sex, year, department
    assert "clé" in nir.coherence_errors(number + "00", "MME", None, None)[0]


def test_blank_dossier_gets_a_number_and_a_history(provider_client, off_market):
    first = create(provider_client, off_market)
    second = create(provider_client, off_market)
    year = dt.date.today().year
    assert first.number == f"CVL-{year}-000001" and second.number == f"CVL-{year}-000002"
    assert first.status == "draft" and first.trainee.birth_name == "MARTIN"
    assert first.enrollment.action == off_market
    assert list(first.transitions.values_list("to_status", flat=True)) == ["draft"]


def test_campaign_filters_the_actions(provider_client, off_market, region, provider):
    other = f.TrainingActionFactory(region=region, provider=provider, kind="off_market")
    page = text(
        provider_client.get(
            reverse("dossiers:action_options"), {"campaign": off_market.campaign.pk}
        )
    )
    assert off_market.number in page and other.number not in page


def test_draft_saves_incomplete_then_validation_lists_errors_in_french(provider_client, off_market):
    dossier = create(provider_client, off_market)
    url = reverse("dossiers:detail", args=[dossier.pk])
    data = complete_data(
        dossier, **{"civil-nir": "", "civil-address_line1": "", "banner-real_end": "2027-06-30"}
    )
    response = provider_client.post(url, {**data, "save": "1"})
    assert response.status_code == 302  # an incomplete draft is kept
    page = text(provider_client.post(url, {**data, "validate": "1"}))
    assert "Le numéro de sécurité sociale est obligatoire" in page
    assert "L'adresse est obligatoire." in page
    assert "La date doit être comprise dans les dates de l'action" in page
    dossier.refresh_from_db()
    assert dossier.status == "draft"


def test_valid_dossier_is_confirmed_then_locked(provider_client, off_market, provider_user):
    dossier = create(provider_client, off_market)
    url = reverse("dossiers:detail", args=[dossier.pk])
    response = provider_client.post(url, {**complete_data(dossier), "validate": "1"})
    assert response.url == reverse("dossiers:confirm", args=[dossier.pk])
    assert "Confirmer la validation" in text(provider_client.get(response.url))
    provider_client.post(response.url)
    dossier.refresh_from_db()
    assert dossier.status == "submitted"
    # read-only now: a post changes nothing
    provider_client.post(
        url, {**complete_data(dossier, **{"civil-first_names": "Autre"}), "save": "1"}
    )
    dossier.trainee.refresh_from_db()
    assert dossier.trainee.first_names == "Léa"
    page = text(provider_client.get(url))
    assert "Pré-saisi" in page and provider_user.get_full_name() in page


def test_minor_needs_parental_documents_and_nir_must_match(provider_client, off_market):
    dossier = create(provider_client, off_market, birth_date="2009-05-01")
    url = reverse("dossiers:detail", args=[dossier.pk])
    data = complete_data(
        dossier, **{"civil-birth_date": "2009-05-01", "situation-disabled_worker": "on"}
    )
    page = text(provider_client.post(url, {**data, "validate": "1"}))
    assert "Autorisation parentale (stagiaire mineur)" in page
    assert "Reconnaissance de la qualité de travailleur handicapé" in page
    assert "L'année de naissance du numéro ne correspond pas" in page
    assert "Indiquez la date de fin de validité de la RQTH." in page


def test_under_16_is_refused(provider_client, off_market):
    # the creation refuses it (tests/test_hours_bounds.py); a birth date corrected later too
    dossier = create(provider_client, off_market)
    data = complete_data(dossier, **{"civil-birth_date": "2011-01-01"})
    page = text(
        provider_client.post(
            reverse("dossiers:detail", args=[dossier.pk]), {**data, "validate": "1"}
        )
    )
    assert "au moins 16 ans à l'entrée en formation" in page


def test_uploads_are_checked_by_content(provider_client, off_market):
    dossier = create(provider_client, off_market)
    url = reverse("dossiers:upload", args=[dossier.pk])
    exe = SimpleUploadedFile("rib.pdf", b"MZ\x90\x00" + b"\x00" * 100, "application/pdf")
    response = provider_client.post(url, {"doc_type": "RIB", "file": exe}, follow=True)
    assert "Seuls les fichiers PDF, JPEG ou PNG sont acceptés" in text(response)
    assert not SupportingDocument.objects.exists()
    png = SimpleUploadedFile("photo.txt", b"\x89PNG\r\n\x1a\n" + b"0" * 50, "text/plain")
    provider_client.post(url, {"doc_type": "ID", "file": png})
    document = SupportingDocument.objects.get()
    assert document.content_type == "image/png" and "photo" not in document.file.name
    response = provider_client.get(reverse("dossiers:document", args=[document.pk]))
    assert b"".join(response.streaming_content).startswith(b"\x89PNG")
    big = SimpleUploadedFile("gros.pdf", PDF + b"0" * (10 * 1024 * 1024), "application/pdf")
    response = provider_client.post(url, {"doc_type": "RIB", "file": big}, follow=True)
    assert "Le fichier dépasse 10 Mo." in text(response)


def test_market_actions_have_drafts_and_need_documents(provider_client, region, provider):
    action = f.TrainingActionFactory(
        region=region,
        provider=provider,
        kind="market",
        planned_start=dt.date(2026, 9, 7),
        planned_end=dt.date(2027, 3, 26),
    )
    enrollment = f.EnrollmentFactory(action=action, trainee__birth_name="Durand")
    assert ensure_market_drafts([action]) == 1 and ensure_market_drafts([action]) == 0
    dossier = Dossier.objects.get(enrollment=enrollment)
    assert dossier.number == "" and dossier.real_start == enrollment.entry_date
    page = text(provider_client.post(reverse("dossiers:list"), {"name": "durand"}, follow=True))
    assert "Brouillon" in page
    data = complete_data(dossier, **{"civil-birth_name": "DURAND"})
    page = text(
        provider_client.post(
            reverse("dossiers:detail", args=[dossier.pk]), {**data, "validate": "1"}
        )
    )
    assert "Pièces obligatoires manquantes pour une action « marché »" in page
    dossier.refresh_from_db()
    assert dossier.number.endswith("-000001")  # numbered at the first save


def test_drafts_can_be_deleted_not_submitted_ones(provider_client, off_market):
    dossier = create(provider_client, off_market)
    provider_client.post(reverse("dossiers:delete", args=[dossier.pk]))
    assert not Dossier.objects.filter(pk=dossier.pk).exists()
    assert not off_market.enrollments.exists()  # the off-market trainee went with it


def test_a_deleted_draft_takes_its_pieces_files_once_committed(
    provider_client, provider_user, off_market, django_capture_on_commit_callbacks
):
    dossier = create(provider_client, off_market)
    piece = upload(dossier, "ID", SimpleUploadedFile("id.pdf", PDF), provider_user)
    storage, name = piece.file.storage, piece.file.name
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        delete_draft(dossier)
    assert storage.exists(name)  # not before the commit: a rollback would still need it
    for callback in callbacks:
        callback()
    assert not storage.exists(name)


def test_a_draft_is_deleted_but_a_trainee_with_months_declared_stays(
    provider_client, provider_user, off_market
):
    """The provider declared the trainee's month (every registered trainee has a line): the
    trainee stays on the action, for the invoice, and the page says so (no server error)."""
    dossier = create(provider_client, off_market)
    statement = attendance.create_statement(off_market, provider_user, dt.date(2026, 9, 20))
    assert statement.lines.filter(enrollment=dossier.enrollment).exists()
    response = provider_client.post(reverse("dossiers:delete", args=[dossier.pk]), follow=True)
    assert response.status_code == 200
    assert "reste inscrit à l'action : des présences sont déclarées pour lui" in text(response)
    assert not Dossier.objects.filter(pk=dossier.pk).exists()
    assert off_market.enrollments.filter(pk=dossier.enrollment_id).exists()
    assert statement.lines.filter(enrollment=dossier.enrollment).exists()


def submitted_dossier(client, action):
    dossier = create(client, action)
    client.post(
        reverse("dossiers:detail", args=[dossier.pk]), {**complete_data(dossier), "validate": "1"}
    )
    client.post(reverse("dossiers:confirm", args=[dossier.pk]))
    dossier.refresh_from_db()
    return dossier


def test_printed_form_shows_the_number_on_every_page(provider_client, off_market):
    dossier = submitted_dossier(provider_client, off_market)
    response = provider_client.get(reverse("dossiers:print", args=[dossier.pk]))
    assert response["Content-Type"] == "application/pdf"
    reader = PdfReader(io.BytesIO(response.content))
    assert len(reader.pages) >= 2
    for page in reader.pages:
        assert f"Dossier n° {dossier.number}" in page.extract_text()
    assert "RIB ou RIP au nom du stagiaire" in "".join(p.extract_text() for p in reader.pages)


def test_agent_receives_requests_a_document_and_admits(client, provider_user, off_market, region):
    client.force_login(provider_user)
    dossier = submitted_dossier(client, off_market)
    client.post(
        reverse("dossiers:upload", args=[dossier.pk]),
        {"doc_type": "ID", "file": SimpleUploadedFile("id.pdf", PDF)},
        follow=True,
    )
    assert not dossier.documents.exists()  # submitted: only requested pieces
    agent = f.AgentFactory(region=region, first_name="Camille", last_name="Agent")
    client.force_login(agent)
    inbox = text(client.get(reverse("dossiers:list")))
    assert dossier.number in inbox
    url = reverse("dossiers:reception", args=[dossier.pk])
    client.post(
        url,
        {
            "reception_date": "2026-09-10",
            "requested": ["RIB"],
            "request_message": "RIB au nom de la stagiaire",
        },
    )
    dossier.refresh_from_db()
    assert dossier.status == "received" and dossier.reception_date == dt.date(2026, 9, 10)
    client.force_login(provider_user)
    assert "RIB au nom de la stagiaire" in text(
        client.get(reverse("dossiers:detail", args=[dossier.pk]))
    )
    client.post(
        reverse("dossiers:upload", args=[dossier.pk]),
        {"doc_type": "RIB", "file": SimpleUploadedFile("rib.pdf", PDF)},
    )
    assert DocumentRequest.objects.get().fulfilled_at is not None
    client.force_login(agent)
    f.accept_required_documents(dossier, agent)
    decision = reverse("dossiers:decision", args=[dossier.pk])
    page = text(client.get(decision))
    assert "Catégorie proposée : demandeur d'emploi" in page
    page = text(
        client.post(
            decision,
            {
                "decision": "admit",
                "category": "DISABLED",
                "account_holder": "Léa Martin",
                "iban": "FR76 3000 6000 0112 3456 7890 188",
            },
        )
    )
    assert "IBAN invalide" in page
    page = text(
        client.post(
            decision,
            {
                "decision": "admit",
                "category": "DISABLED",
                "account_holder": "Léa Martin",
                "iban": "FR76 3000 6000 0112 3456 7890 189",
            },
        )
    )
    assert "Expliquez pourquoi la catégorie proposée n'est pas retenue." in page
    client.post(
        decision,
        {
            "decision": "admit",
            "category": "JOB_SEEKER",
            "account_holder": "Léa Martin",
            "bic": "BNPAFRPP",
            "iban": "FR76 3000 6000 0112 3456 7890 189",
        },
    )
    dossier.refresh_from_db()
    assert dossier.status == "admitted" and dossier.rate_category == "JOB_SEEKER"
    assert dossier.iban == "FR7630006000011234567890189"
    history = text(client.get(reverse("dossiers:detail", args=[dossier.pk])))
    for label in ("Brouillon", "Pré-saisi", "Reçu", "Admis"):
        assert label in history
    assert "Camille Agent" in history


def test_agent_rejects_with_a_reason(client, provider_user, off_market, region):
    client.force_login(provider_user)
    dossier = submitted_dossier(client, off_market)
    client.force_login(f.AgentFactory(region=region))
    client.post(reverse("dossiers:reception", args=[dossier.pk]), {"reception_date": "2026-09-10"})
    decision = reverse("dossiers:decision", args=[dossier.pk])
    assert "Le motif du rejet est obligatoire." in text(
        client.post(decision, {"decision": "reject"})
    )
    client.post(decision, {"decision": "reject", "decision_reason": "Hors public éligible"})
    dossier.refresh_from_db()
    assert dossier.status == "rejected"


def test_refusing_a_document_needs_a_reason(client, provider_user, off_market, region):
    client.force_login(provider_user)
    dossier = create(client, off_market)
    client.post(
        reverse("dossiers:upload", args=[dossier.pk]),
        {"doc_type": "ID", "file": SimpleUploadedFile("id.pdf", PDF)},
    )
    client.post(
        reverse("dossiers:detail", args=[dossier.pk]), {**complete_data(dossier), "validate": "1"}
    )
    client.post(reverse("dossiers:confirm", args=[dossier.pk]))
    document = dossier.documents.get()
    client.force_login(f.AgentFactory(region=region))
    url = reverse("dossiers:reception", args=[dossier.pk])
    page = text(
        client.post(url, {"reception_date": "2026-09-10", f"review_{document.pk}": "refused"})
    )
    assert "Le motif du refus est obligatoire." in page
    client.post(
        url,
        {
            "reception_date": "2026-09-10",
            f"review_{document.pk}": "refused",
            f"reason_{document.pk}": "Illisible",
        },
    )
    document.refresh_from_db()
    assert document.review == "refused" and document.refusal_reason == "Illisible"


def create_page(client, action, **overrides):
    data = {
        "campaign": action.campaign.pk,
        "action": action.pk,
        "birth_name": "Martin",
        "first_names": "Léa",
        "birth_date": "1996-04-12",
        "kind": "RS1",
    }
    return client.post(reverse("dossiers:create"), data | overrides)


def field_errors(page, name):
    found = re.search(rf'id="{name}-errors">(.*?)</ul>', page, re.S)
    return found.group(1) if found else ""


def test_creation_refuses_a_closed_action_and_closed_registrations(
    provider_client, off_market, region, provider
):
    off_market.status = "closed"
    off_market.save()
    page = text(create_page(provider_client, off_market))
    assert "Cette action est clôturée" in field_errors(page, "action")
    ended = f.TrainingActionFactory(
        region=region,
        provider=provider,
        kind="off_market",
        planned_start=dt.date(2025, 1, 6),
        planned_end=dt.date(2025, 6, 27),
    )
    page = text(create_page(provider_client, ended, campaign=ended.campaign.pk))
    assert "Cette action est terminée depuis le 27 juin 2025" in field_errors(page, "action")
    ended.campaign.is_open = False
    ended.campaign.save()
    page = text(create_page(provider_client, ended, campaign=ended.campaign.pk))
    assert "La campagne de cette action est close" in field_errors(page, "action")
    assert not Dossier.objects.exists()


def test_creation_checks_the_birth_date_and_the_entry_date(provider_client, off_market):
    tomorrow = dt.date.today() + dt.timedelta(days=1)
    page = text(create_page(provider_client, off_market, birth_date=tomorrow.isoformat()))
    assert "La date de naissance est dans le futur." in field_errors(page, "birth_date")
    assert 'aria-invalid="true"' in page
    # 16 on 8 September 2026: one day too young on the action's first day (7 September)
    page = text(create_page(provider_client, off_market, birth_date="2010-09-08"))
    assert (
        "Il faut avoir au moins 16 ans à l'entrée en formation : le stagiaire aurait 15 ans "
        "le 7 septembre 2026." in field_errors(page, "birth_date")
    )
    page = text(create_page(provider_client, off_market, entry_date="2027-04-01"))
    assert (
        "La date d'entrée doit être comprise entre le début (7 septembre 2026) et la fin "
        "(26 mars 2027) de l'action." in field_errors(page, "entry_date")
    )
    assert not Dossier.objects.exists()
    # entering a day later, the trainee is 16: created, enrolled on that day
    response = create_page(
        provider_client, off_market, birth_date="2010-09-08", entry_date="2026-09-08"
    )
    dossier = Dossier.objects.get()
    assert response.url == reverse("dossiers:detail", args=[dossier.pk])
    assert dossier.enrollment.entry_date == dt.date(2026, 9, 8)
    assert dossier.real_start == dt.date(2026, 9, 8)


def test_the_action_is_searched_as_you_type(provider_client, off_market, region, provider):
    """A big provider's campaign has thousands of actions: the form's search offers the
    first matching ones (number or title), never the whole list."""
    from remu.dossiers.forms import ACTION_OPTIONS

    campaign = off_market.campaign
    for n in range(ACTION_OPTIONS + 3):
        f.TrainingActionFactory(
            region=region,
            provider=provider,
            kind="off_market",
            campaign=campaign,
            number=f"ZZ-{n:03d}",
            title="Soudure" if n == 7 else "Bureautique",
        )
    url = reverse("dossiers:action_options")
    page = provider_client.get(url, {"campaign": campaign.pk}).content.decode()
    assert page.count('<option value="') == ACTION_OPTIONS + 2  # the blank and « more »
    assert "précisez la recherche" in page
    page = text(provider_client.get(url, {"campaign": campaign.pk, "action_search": "soud"}))
    assert "ZZ-007 – Soudure" in page and "ZZ-008" not in page
    page = text(provider_client.get(url, {"campaign": campaign.pk, "action_search": "xyz"}))
    assert "Aucune action hors marché ne correspond à « xyz »" in page
    odd = provider_client.get(url, {"campaign": campaign.pk, "action_search": "x\x00" * 200})
    assert odd.status_code == 400
    form = text(provider_client.get(reverse("dossiers:create")))
    assert "Rechercher l'action (numéro ou intitulé)" in form
