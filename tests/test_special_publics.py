"""Special publics through the app (issue 12 §2, seed 001 §3.5.3 and §3.6, seed 004): a
resigned trainee's pay starts late (BFC) or stops after 4 months (CVL); a residence permit
ending before the training stops the pay at its end, and the agent is warned."""

import datetime as dt

import pytest
from django.urls import reverse

from remu.dossiers.models import Dossier
from remu.dossiers.services import consistency_errors, required_documents
from remu.payments.models import Payment

from . import factories as f
from .admitted import admitted_dossier, run, use_set, validate_next_month
from .utils import text


@pytest.fixture
def agent_of(region):
    return f.AgentFactory(region=region, email="instructeur@region.example")


def test_bfc_resigned_from_a_full_time_permanent_contract_is_paid_60_days_after_its_end(
    region, provider, provider_user, agent_of
):
    use_set(region, "bourgogne-franche-comte", "BFC")
    # The contract really ended on 31 January 2026: 60 calendar days later is 1 April
    # (28 days of February + 31 of March + 1), so March (entry on the 2nd) is not paid at all
    # and April is paid in full.
    dossier = admitted_dossier(
        region,
        provider,
        agent_of,
        resignation=Dossier.Resignation.PERMANENT_FULL_TIME,
        contract_end_date=dt.date(2026, 1, 31),
    )
    march = validate_next_month(dossier, provider_user)
    april = validate_next_month(dossier, provider_user)
    assert march.paid_thirtieths == 0 and march.amount == 0
    assert any("60 jours calendaires" in line for line in march.explanation)
    assert april.paid_thirtieths == 30 and april.amount > 0
    # The run pays the same: nothing for March, April in full.
    run(region, agent_of, dt.date(2026, 4, 1))
    paid = {p.month: p.amount for p in Payment.objects.filter(component="remuneration")}
    assert paid == {dt.date(2026, 4, 1): april.amount}


def test_bfc_latency_is_for_permanent_full_time_contracts_only(
    region, provider, provider_user, agent_of
):
    use_set(region, "bourgogne-franche-comte", "BFC")
    dossier = admitted_dossier(
        region,
        provider,
        agent_of,
        resignation=Dossier.Resignation.OTHER,
        contract_end_date=dt.date(2026, 1, 31),
    )
    assert validate_next_month(dossier, provider_user).paid_thirtieths == 29  # from the 2nd


def test_cvl_resigned_trainee_is_paid_4_months_at_most(region, provider, provider_user, agent_of):
    use_set(region, "centre-val-de-loire", "CVL")
    # Paid from the entry (2 March) for 4 months: until 1 July; the 5th month (August) and
    # the rest of July are not paid.
    dossier = admitted_dossier(
        region,
        provider,
        agent_of,
        resignation=Dossier.Resignation.OTHER,
        contract_end_date=dt.date(2026, 2, 27),
    )
    lines = [validate_next_month(dossier, provider_user) for _ in range(6)]  # March to August
    assert [line.paid_thirtieths for line in lines] == [29, 30, 30, 30, 1, 0]
    assert any("4 mois au plus" in line for line in lines[-1].explanation)
    run(region, agent_of, dt.date(2026, 8, 1))
    august = Payment.objects.filter(component="remuneration", month=dt.date(2026, 8, 1))
    assert not august.exists()


def test_residence_permit_ending_before_the_training_stops_the_pay_and_warns_the_agent(
    client, region, provider, provider_user, agent_of
):
    use_set(region, "centre-val-de-loire", "CVL")
    dossier = admitted_dossier(
        region, provider, agent_of, residence_permit_until=dt.date(2026, 4, 15)
    )
    client.force_login(agent_of)
    page = text(client.get(reverse("dossiers:detail", args=[dossier.pk])))
    assert "titre de séjour est valable jusqu'au 15/04/2026" in page
    march = validate_next_month(dossier, provider_user)
    april = validate_next_month(dossier, provider_user)
    may = validate_next_month(dossier, provider_user)
    assert (march.paid_thirtieths, april.paid_thirtieths, may.paid_thirtieths) == (29, 15, 0)
    assert any("Titre de séjour valable jusqu'au" in line for line in april.explanation)


def test_the_decision_page_warns_of_a_permit_ending_before_the_training(
    client, region, provider, agent_of
):
    use_set(region, "centre-val-de-loire", "CVL")
    dossier = admitted_dossier(
        region,
        provider,
        agent_of,
        status="received",
        residence_permit_until=dt.date(2026, 6, 30),
    )
    client.force_login(agent_of)
    page = text(client.get(reverse("dossiers:decision", args=[dossier.pk])))
    assert "la rémunération s'arrête à cette date" in page
    later = admitted_dossier(
        region,
        provider,
        agent_of,
        status="received",
        residence_permit_until=dt.date(2027, 6, 30),
    )
    page = text(client.get(reverse("dossiers:decision", args=[later.pk])))
    assert "la rémunération s'arrête" not in page


def test_resignation_needs_the_contract_end_and_its_documents(region, provider, agent_of):
    dossier = admitted_dossier(
        region,
        provider,
        agent_of,
        status="draft",
        resignation=Dossier.Resignation.OTHER,
        residence_permit_until=dt.date(2026, 1, 31),
    )
    errors = consistency_errors(dossier)
    assert errors["contract_end_date"] == ["Indiquez la date réelle de fin du contrat."]
    assert "expiré avant l'entrée" in errors["residence_permit_until"][0]
    assert {"RESIGNATION", "RESIDENCE_PERMIT"} <= set(required_documents(dossier))


def test_the_provider_enters_the_special_facts_in_situation_at_entry(
    provider_client, region, provider, agent_of
):
    dossier = admitted_dossier(region, provider, agent_of, status="draft")
    url = reverse("dossiers:detail", args=[dossier.pk])
    page = text(provider_client.get(url))
    assert "Démission et titre de séjour" in page
    from .test_dossiers import complete_data

    data = complete_data(
        dossier,
        **{
            "banner-real_start": "2026-03-02",
            "banner-real_end": "2026-09-30",
            "situation-resignation": "permanent_full_time",
            "situation-contract_end_date": "2026-01-31",
            "situation-residence_permit_until": "2026-08-31",
        },
    )
    response = provider_client.post(url, {**data, "save": "1"})
    assert response.status_code == 302
    dossier.refresh_from_db()
    assert dossier.resignation == "permanent_full_time"
    assert dossier.contract_end_date == dt.date(2026, 1, 31)
    assert dossier.residence_permit_until == dt.date(2026, 8, 31)
