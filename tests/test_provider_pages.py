from datetime import date

from django.core.files.base import ContentFile
from django.urls import reverse

from remu.referential.models import CampaignDocument

from . import factories as f
from .utils import text


def test_home_lists_the_campaigns_actions_with_counts_and_fse(provider_client, region, provider):
    older = f.CampaignFactory(
        region=region,
        label="Campagne 2025",
        start_date=date(2025, 1, 1),
        end_date=date(2025, 12, 31),
    )
    newer = f.CampaignFactory(region=region, label="Campagne 2026")
    fse = f.TrainingActionFactory(
        region=region,
        provider=provider,
        campaign=newer,
        number="N-FSE",
        fse_cofunded=True,
        fse_information="Cofinancée par le FSE+ à 50 %",
    )
    f.EnrollmentFactory.create_batch(3, action=fse)
    f.TrainingActionFactory(region=region, provider=provider, campaign=older, number="OLD-1")

    page = text(provider_client.get(reverse("home:provider_home")))
    assert "N-FSE" in page and "OLD-1" not in page  # the newest campaign by default
    assert "3 en formation" in page and "Cofinancée par le FSE+ à 50 %" in page

    page = text(provider_client.get(reverse("home:provider_home"), {"campaign": older.pk}))
    assert "OLD-1" in page and "N-FSE" not in page


def test_programme_filter(provider_client, region, provider):
    campaign = f.CampaignFactory(region=region)
    pm, vs = (
        f.ProgrammeFactory(region=region, name="Parcours métiers"),
        f.ProgrammeFactory(region=region, name="Visa compétences"),
    )
    f.TrainingActionFactory(
        region=region, provider=provider, campaign=campaign, programme=pm, number="PM-1"
    )
    f.TrainingActionFactory(
        region=region, provider=provider, campaign=campaign, programme=vs, number="VS-1"
    )
    page = text(
        provider_client.get(
            reverse("home:provider_home"), {"campaign": campaign.pk, "programme": vs.pk}
        )
    )
    assert "VS-1" in page and "PM-1" not in page


def test_home_offers_the_campaigns_documents(provider_client, region, provider):
    campaign = f.CampaignFactory(region=region)
    f.TrainingActionFactory(region=region, provider=provider, campaign=campaign)
    document = CampaignDocument(campaign=campaign, title="Guide de saisie 2026")
    document.file.save("guide.pdf", ContentFile(b"%PDF-1.4 guide"), save=False)
    document.save()
    page = text(provider_client.get(reverse("home:provider_home")))
    assert "Guide de saisie 2026" in page
    response = provider_client.get(
        reverse("referential:campaign_document_download", args=[document.pk])
    )
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == b"%PDF-1.4 guide"
    assert "attachment" in response["Content-Disposition"]


def test_action_page_shows_the_summary_and_enrolled_trainees(provider_client, action):
    enrollment = f.EnrollmentFactory(
        action=action, trainee__birth_name="Dupond", trainee__first_names="Marie"
    )
    page = text(provider_client.get(reverse("actions:detail", args=[action.pk])))
    assert "Résumé de l'action" in page
    assert "35 h – temps plein" in page
    assert "DUPOND" in page and "Marie" in page
    assert enrollment.entry_date.strftime("%d/%m/%Y") in page
    assert "Modifier l'action" not in page  # agents only


def test_part_time_is_shown_below_the_regions_threshold(provider_client, region, provider):
    action = f.TrainingActionFactory(region=region, provider=provider, weekly_hours=29)
    page = text(provider_client.get(reverse("actions:detail", args=[action.pk])))
    assert "29 h – temps partiel" in page


def test_provider_users_may_not_enter_the_agents_area(provider_client):
    assert provider_client.get(reverse("actions:list")).status_code == 403
    assert provider_client.get(reverse("home:agent_dashboard")).status_code == 403
