import pytest

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
