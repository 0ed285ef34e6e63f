import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse

from remu.rules.engine import Case
from remu.scales.models import ScaleVersion
from remu.scales.selectors import engine

from . import factories as f
from .utils import text


@pytest.fixture
def cvl(db):
    return f.RegionFactory(code="centre-val-de-loire", parameter_set="centre-val-de-loire")


@pytest.fixture
def rules_admin(cvl):
    return f.AgentFactory(region=cvl, is_rules_admin=True)


def test_agents_read_every_version_of_their_scales(client, cvl):
    client.force_login(f.AgentFactory(region=cvl))
    page = text(client.get(reverse("scales:list")))
    assert "En vigueur au 01/09/2020" in page  # the region's own table
    assert "Bénéficiaire du RSA ou de la Garantie jeunes (20 ans et moins)" in page
    assert "revalorisation × 1.056 de la version du 01/06/2021" in page.replace(",", ".")
    assert "Nouvelle version datée" not in page  # only rules administrators add versions
    assert client.get(reverse("scales:create")).status_code == 403
    assert client.get(reverse("scales:revaluation")).status_code == 403


def test_revaluation_previews_then_stores_and_takes_precedence(client, cvl, rules_admin):
    client.force_login(rules_admin)
    data = {"start": "2027-01", "label": "Délibération du 12/12/2026", "coefficient": "1.02"}
    preview = text(client.post(reverse("scales:revaluation"), {**data, "preview": "1"}))
    assert "Aperçu des nouveaux montants" in preview
    assert "500,00 €" in preview and "510,00 €" in preview  # JOB_SEEKER 500 x 1.02
    assert not ScaleVersion.objects.exists()  # nothing saved before confirmation
    response = client.post(reverse("scales:revaluation"), {**data, "confirm": "1"})
    assert response.url == reverse("scales:list")
    stored = ScaleVersion.objects.get()
    assert stored.start == dt.date(2027, 1, 1) and stored.coefficient == Decimal("1.02")
    assert stored.amounts["JOB_SEEKER"] == "510.00"
    # The engine now pays the stored amounts from that date (national still more favourable
    # for a job seeker: 776.42 from 2026-04-01 beats 510).
    rules = engine(cvl)
    case = Case(
        region="centre-val-de-loire",
        year=2027,
        month=2,
        category="PRIOR_ACTIVITY",
        birth_date=dt.date(1980, 1, 1),
        entry_date=dt.date(2027, 1, 4),
        weekly_hours=Decimal(35),
    )
    assert rules.compute(case).monthly_amount == Decimal("776.42")
    # RSA_GJ: the stored regional amount (401.09 x 1.02 = 409.11), compared with the national
    # job seeker of the same age (issue 12), who gets more.
    case.category = "RSA_GJ"
    result = rules.compute(case)
    assert "409,11 €" in result.explanation[0]
    assert result.monthly_amount == Decimal("776.42")
    page = text(client.get(reverse("scales:list")))
    assert "saisie dans l'application" in page


def test_new_dated_version_with_typed_amounts(client, cvl, rules_admin):
    client.force_login(rules_admin)
    url = reverse("scales:create")
    form_page = text(client.get(url))
    assert "Demandeur d'emploi" in form_page or "demandeur d'emploi" in form_page
    data = {"start": "2027-03", "label": "Délibération test"}
    for field in (
        "JOB_SEEKER__all",
        "PRIOR_ACTIVITY__all",
        "NON_SALARIED__all",
        "FAMILY_SITUATION__all",
        "DISABLED__all",
        "RSA_GJ__up_to_20",
        "RSA_GJ__21_25",
        "RSA_GJ__26_plus",
        "DISABLED_PRIOR_SALARY__floor",
        "DISABLED_PRIOR_SALARY__ceiling",
        "DETAINEE__hourly",
        "ASS_PART_TIME__hourly_from_monthly",
    ):
        data[field] = "900.00"
    data["DISABLED_PRIOR_SALARY__ceiling"] = "800.00"  # below the floor: refused
    page = text(client.post(url, {**data, "confirm": "1"}))
    assert "le plafond est inférieur au plancher" in page
    data["DISABLED_PRIOR_SALARY__ceiling"] = "2000.00"
    client.post(url, {**data, "confirm": "1"})
    assert ScaleVersion.objects.get().amounts["NON_SALARIED"] == "900.00"


def test_a_version_date_is_unique_per_region(client, cvl, rules_admin):
    client.force_login(rules_admin)
    data = {"start": "2027-01", "label": "Première", "coefficient": "1.01", "confirm": "1"}
    client.post(reverse("scales:revaluation"), data)
    response = client.post(reverse("scales:revaluation"), {**data, "label": "Seconde"}, follow=True)
    assert "Une version existe déjà à cette date pour la région." in text(response)
    assert ScaleVersion.objects.count() == 1
