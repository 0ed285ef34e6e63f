"""Issue 14 §1.7: a NIR already known in the region joins the dossier to that person when the
identity matches, and answers a neutral message otherwise; never a 500."""

import datetime as dt

import pytest
from django.urls import reverse

from remu.trainees.models import Trainee

from . import factories as f
from .test_dossiers import complete_data, create, off_market  # noqa: F401 (fixture)
from .utils import text

MISMATCH = "Ce numéro de sécurité sociale ne correspond pas à l&#x27;identité saisie."


@pytest.fixture
def known(region, off_market):  # noqa: F811
    """Léa Martin, trainee of another provider of the region, with her NIR, address and phone."""
    other = f.ProviderFactory(region=region, name="Organisme Bêta")
    action = f.TrainingActionFactory(region=region, provider=other)
    nir_value = complete_data(None)["civil-nir"]
    enrollment = f.EnrollmentFactory(
        action=action,
        trainee__birth_name="MARTIN",
        trainee__first_names="Léa Anne",
        trainee__birth_date=dt.date(1996, 4, 12),
        trainee__nir=nir_value,
        trainee__phone="06 99 99 99 99",
        trainee__address_line1="12 rue secrète",
    )
    return enrollment.trainee


def test_matching_identity_joins_the_known_person(provider_client, off_market, known):  # noqa: F811
    dossier = create(provider_client, off_market)
    url = reverse("dossiers:detail", args=[dossier.pk])
    response = provider_client.post(url, {**complete_data(dossier), "save": "1"})
    assert response.status_code == 302
    dossier.refresh_from_db()
    assert dossier.trainee == known
    assert Trainee.objects.filter(nir_hash=known.nir_hash).count() == 1
    assert Trainee.objects.count() == 1  # the placeholder of the new dossier is gone
    page = text(provider_client.get(url))
    assert "06 99 99 99 99" not in page and "12 rue secrète" not in page
    assert "Organisme Bêta" not in page


@pytest.mark.parametrize(
    "change",
    [
        {"civil-birth_name": "DURAND"},
        {"civil-birth_date": "1996-04-13"},
        {"civil-first_names": "Zoé"},
    ],
)
def test_another_identity_gets_a_neutral_message(provider_client, off_market, known, change):  # noqa: F811
    dossier = create(provider_client, off_market)
    url = reverse("dossiers:detail", args=[dossier.pk])
    response = provider_client.post(url, {**complete_data(dossier, **change), "save": "1"})
    assert response.status_code == 200
    assert MISMATCH in response.content.decode()
    page = text(response)
    assert "Organisme Bêta" not in page and "06 99 99 99 99" not in page
    known.refresh_from_db()
    assert known.phone == "06 99 99 99 99"  # untouched
    dossier.refresh_from_db()
    assert dossier.trainee != known


def test_same_provider_returning_trainee(provider_client, off_market):  # noqa: F811
    first = create(provider_client, off_market)
    url = reverse("dossiers:detail", args=[first.pk])
    assert provider_client.post(url, {**complete_data(first), "save": "1"}).status_code == 302
    again = create(provider_client, f.TrainingActionFactory(
        region=off_market.region, provider=off_market.provider, kind="off_market",
        planned_start=dt.date(2027, 4, 5), planned_end=dt.date(2027, 9, 30),
    ))  # fmt: skip
    url = reverse("dossiers:detail", args=[again.pk])
    assert provider_client.post(url, {**complete_data(again), "save": "1"}).status_code == 302
    again.refresh_from_db()
    first.refresh_from_db()
    assert again.trainee == first.trainee
