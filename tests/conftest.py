import datetime as dt
from decimal import Decimal

import pytest

from remu.attendance import services as attendance
from remu.dossiers.models import Dossier, DossierTransition

from . import factories as f


@pytest.fixture
def region(db):
    return f.RegionFactory(code="centre-val-de-loire", name="Région Centre-Val de Loire")


@pytest.fixture
def other_region(db):
    return f.RegionFactory(code="bourgogne-franche-comte", name="Région Bourgogne-Franche-Comté")


@pytest.fixture
def agent(region):
    return f.AgentFactory(region=region, email="agent@region.example")


@pytest.fixture
def provider(region):
    return f.ProviderFactory(region=region, name="Organisme Alpha")


@pytest.fixture
def provider_user(provider):
    return f.ProviderUserFactory(email="of@alpha.example", providers=[provider])


@pytest.fixture
def action(region, provider):
    return f.TrainingActionFactory(region=region, provider=provider)


@pytest.fixture
def agent_client(client, agent):
    client.force_login(agent)
    return client


@pytest.fixture
def provider_client(client, provider_user):
    client.force_login(provider_user)
    return client


@pytest.fixture
def pay_world(db, region, provider, provider_user):
    """An admitted trainee (CVL scale, entry bonus) with a validated March 2026."""
    region.parameter_set, region.number_prefix = "centre-val-de-loire", "CVL"
    region.save()
    agent = f.AgentFactory(region=region, is_rules_admin=True)
    world = admitted_with_validated_march(region, provider, provider_user, agent)
    return {
        "region": region,
        "agent": agent,
        "provider_user": provider_user,
        **world,
    }


def admitted_with_validated_march(region, provider, provider_user, agent, number=1) -> dict:
    """A trainee of a new action of the provider, admitted (entry bonus granted) with a
    validated March 2026."""
    action = f.TrainingActionFactory(
        region=region,
        provider=provider,
        entry_bonus=True,
        planned_start=dt.date(2026, 3, 2),
        planned_end=dt.date(2026, 9, 30),
    )
    enrollment = f.EnrollmentFactory(
        action=action, entry_date=dt.date(2026, 3, 2), trainee__birth_date=dt.date(1990, 1, 1)
    )
    dossier = Dossier.objects.create(
        region=region,
        action=action,
        enrollment=enrollment,
        kind="RS1",
        status="admitted",
        rate_category="JOB_SEEKER",
        weekly_hours=Decimal(35),
        number=f"{region.number_prefix}-2026-{number:06d}",
        iban="FR7630006000011234567890189",
        bic="BNPAFRPP",
        account_holder="Léa Martin",
    )
    DossierTransition.objects.create(
        dossier=dossier, from_status="received", to_status="admitted", by=agent
    )
    statement = attendance.create_statement(action, provider_user, dt.date(2026, 4, 10))
    line = statement.lines.get()
    attendance.declare_presence([line], "full_month")
    attendance.validate_lines([line], provider_user)
    return {"line": line, "enrollment": enrollment, "dossier": dossier}
