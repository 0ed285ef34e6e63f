from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from remu.actions.models import TrainingAction
from remu.referential.models import Campaign, CampaignDocument, Programme, Provider

from . import factories as f
from .utils import text


def action_data(region, **overrides):
    campaign = f.CampaignFactory(region=region)
    programme = f.ProgrammeFactory(region=region)
    provider = f.ProviderFactory(region=region)
    data = {
        "number": "2026-PM-042",
        "title": "Agent(e) de propreté",
        "campaign": campaign.pk,
        "programme": programme.pk,
        "provider": provider.pk,
        "kind": "market",
        "status": "planned",
        "planned_start": "2026-09-01",
        "planned_end": "2027-02-26",
        "weekly_hours": "35",
        "hours_in_centre": "600",
        "hours_in_company": "140",
        "training_place": "Centre Nord",
        "training_postal_code": "45000",
        "training_commune": f.commune("45234").pk,
        "max_trainees": "15",
        "max_paid_trainees": "12",
        "unit_cost_centre": "11.50",
        "unit_cost_company": "1.00",
        "approved_for_remuneration": "on",
        "entry_bonus": "on",
        "periods-TOTAL_FORMS": "2",
        "periods-INITIAL_FORMS": "0",
        "periods-0-place": "centre",
        "periods-0-start_date": "2026-09-01",
        "periods-0-end_date": "2026-12-18",
        "periods-1-place": "company",
        "periods-1-start_date": "2027-01-04",
        "periods-1-end_date": "2027-02-26",
    }
    data.update(overrides)
    return data


def test_agent_creates_an_action_with_its_periods(agent_client, region):
    response = agent_client.post(reverse("actions:create"), action_data(region))
    action = TrainingAction.objects.get(number="2026-PM-042")
    assert response.url == reverse("actions:detail", args=[action.pk])
    assert action.region == region and action.training_commune.name == "Orléans"
    assert [p.place for p in action.periods.all()] == ["centre", "company"]
    page = text(agent_client.get(response.url))
    assert "En entreprise du 04/01/2027 au 26/02/2027" in page


def test_action_errors_are_in_french_next_to_their_fields(agent_client, region):
    data = action_data(
        region,
        planned_end="2026-08-01",
        max_paid_trainees="20",
        weekly_hours="0",
        **{"periods-0-end_date": "2026-08-01"},
    )
    response = agent_client.post(reverse("actions:create"), data)
    page = text(response)
    assert response.status_code == 200
    assert "La fin prévue doit suivre le début prévu." in page
    assert "L'effectif rémunéré ne peut dépasser l'effectif maximum." in page
    assert "La durée hebdomadaire doit être comprise entre 0 et 60 h." in page
    assert "La fin de la période doit suivre son début." in page
    assert 'id="planned_end-errors"' in page and 'aria-invalid="true"' in page
    assert not TrainingAction.objects.exists()  # nothing half-written


def test_action_numbers_are_unique_within_a_region(agent_client, region):
    f.TrainingActionFactory(region=region, number="2026-PM-042")
    page = text(agent_client.post(reverse("actions:create"), action_data(region)))
    assert "existe déjà dans la région" in page
    assert TrainingAction.objects.filter(number="2026-PM-042").count() == 1


def test_another_region_may_reuse_a_number(agent_client, region, other_region):
    f.TrainingActionFactory(region=other_region, number="2026-PM-042")
    response = agent_client.post(reverse("actions:create"), action_data(region))
    assert response.status_code == 302


def test_agent_edits_an_action(agent_client, action):
    data = action_data(
        action.region, number=action.number, title="Nouveau titre", **{"periods-TOTAL_FORMS": "0"}
    )
    agent_client.post(reverse("actions:update", args=[action.pk]), data)
    action.refresh_from_db()
    assert action.title == "Nouveau titre"


def test_action_list_filters_searches_and_paginates(agent_client, region):
    campaign = f.CampaignFactory(region=region)
    for i in range(30):
        f.TrainingActionFactory(
            region=region,
            campaign=campaign,
            number=f"LOT-{i:02d}",
            kind="market" if i % 2 else "off_market",
        )
    f.TrainingActionFactory(region=region, number="SOUDURE-1", title="Soudeur")
    url = reverse("actions:list")
    first = text(agent_client.get(url))
    assert "31 résultats" in first and "Page 1 sur 2" in first
    page = text(agent_client.get(url, {"q": "soudeur"}))
    assert "SOUDURE-1" in page and "LOT-01" not in page
    page = text(agent_client.get(url, {"campaign": campaign.pk, "kind": "market"}))
    assert "15 résultats" in page and "SOUDURE-1" not in page
    page2 = text(agent_client.get(url, {"campaign": campaign.pk, "page": 2}))
    assert "Page 2 sur 2" in page2


def test_campaign_create_and_date_order(agent_client, region):
    url = reverse("referential:campaign_create")
    page = text(
        agent_client.post(
            url,
            {
                "code": "2027",
                "label": "Campagne 2027",
                "start_date": "2027-12-31",
                "end_date": "2027-01-01",
            },
        )
    )
    assert "La fin doit suivre le début." in page
    agent_client.post(
        url,
        {
            "code": "2027",
            "label": "Campagne 2027",
            "start_date": "2027-01-01",
            "end_date": "2027-12-31",
        },
    )
    assert Campaign.objects.get(code="2027").region == region
    page = text(
        agent_client.post(
            url,
            {
                "code": "2027",
                "label": "Doublon",
                "start_date": "2027-01-01",
                "end_date": "2027-12-31",
            },
        )
    )
    assert "existe déjà dans la région" in page


def test_campaign_documents_upload_and_removal(agent_client, region):
    campaign = f.CampaignFactory(region=region)
    url = reverse("referential:campaign_documents", args=[campaign.pk])
    bad = SimpleUploadedFile("outil.exe", b"MZ...", content_type="application/octet-stream")
    assert "Format non accepté" in text(agent_client.post(url, {"title": "X", "file": bad}))
    good = SimpleUploadedFile("guide.pdf", b"%PDF-1.4", content_type="application/pdf")
    agent_client.post(url, {"title": "Guide 2026", "file": good})
    document = CampaignDocument.objects.get()
    assert document.uploaded_by.region == region
    agent_client.post(reverse("referential:campaign_document_delete", args=[document.pk]))
    assert not CampaignDocument.objects.exists()


def test_programme_create_and_edit(agent_client, region):
    agent_client.post(
        reverse("referential:programme_create"),
        {"code": "PM", "name": "Parcours métiers", "approved_for_remuneration": "on"},
    )
    programme = Programme.objects.get(code="PM")
    agent_client.post(
        reverse("referential:programme_update", args=[programme.pk]),
        {"code": "PM", "name": "Parcours métiers"},
    )
    programme.refresh_from_db()
    assert not programme.approved_for_remuneration


def test_provider_create_checks_the_siret(agent_client, region):
    url = reverse("referential:provider_create")
    data = {
        "name": "Nouvel OF",
        "siret": "123 456 789 00012",
        "address_line1": "1 rue",
        "postal_code": "37000",
        "commune": f.commune("37261").pk,
    }
    assert "Numéro SIRET invalide" in text(agent_client.post(url, data))
    data["siret"] = "732 829 320 00017"
    response = agent_client.post(url, data)
    provider = Provider.objects.get(name="Nouvel OF")
    assert provider.siret == "73282932000017" and provider.commune.name == "Tours"
    assert response.url == reverse("referential:provider_detail", args=[provider.pk])


def test_provider_list_search(agent_client, region):
    f.ProviderFactory(region=region, name="GRETA Loiret")
    f.ProviderFactory(region=region, name="AFPA Centre")
    page = text(agent_client.get(reverse("referential:provider_list"), {"q": "greta"}))
    assert "GRETA Loiret" in page and "AFPA Centre" not in page


def test_rules_administrators_edit_the_regions_settings(client, region):
    client.force_login(f.AgentFactory(region=region))
    assert client.get(reverse("referential:region_settings")).status_code == 403
    client.force_login(f.AgentFactory(region=region, is_rules_admin=True))
    url = reverse("referential:region_settings")
    data = {
        "name": "Région CVL",
        "assistance_phone": "02 00 00 00 00",
        "assistance_email": "aide@cvl.example",
        "attendance_due_day": "5",
        "sepa_debtor_name": "Region CVL",
        "sepa_debtor_iban": "FR76 1234",
        "sepa_debtor_bic": "",
    }
    assert "IBAN invalide." in text(client.post(url, data))
    data["sepa_debtor_iban"] = "FR76 1001 1000 2012 3456 7890 188"
    client.post(url, data)
    region.refresh_from_db()
    assert region.sepa_debtor_iban == "FR7610011000201234567890188"
    assert region.name == "Région CVL"
