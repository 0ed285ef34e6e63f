"""Wrong information from the trainee (issue 13 §1): an agent corrects the dossier from a month
on; the months already paid are recomputed through the engine; what was paid beyond what is due
is claimed (« informations erronées »), what is due beyond what was paid is paid by the next run;
the months before the correction keep the declared value."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from remu.overpayments import wrong_information
from remu.overpayments.models import InformationCorrection, Overpayment
from remu.payments.models import DueAmount, Payment

from . import factories as f
from .test_overpayments import APRIL, MARCH, march_and_april_paid, paid, run
from .utils import text


@pytest.fixture
def world(pay_world):
    """Declared a disabled worker with a prior salary of 1 800 € (paid 1 740 € a month)."""
    pay_world["dossier"].rate_category = "DISABLED_PRIOR_SALARY"
    pay_world["dossier"].last_monthly_salary = Decimal("1800.00")
    pay_world["dossier"].save()
    return pay_world


def due(world, month, component="remuneration"):
    return DueAmount.objects.get(
        enrollment=world["enrollment"], month=month, component=component
    ).amount


def correct(world, name, value, effective_from, **kwargs):
    return wrong_information.record(
        world["dossier"],
        field_name=name,
        value=value,
        effective_from=effective_from,
        why="Attestation France Travail reçue",
        user=world["agent"],
        **kwargs,
    )


def test_a_lower_category_claims_what_was_paid_beyond_the_new_due(world):
    run(world, MARCH)
    before = paid(world, MARCH)
    correction, outcome = correct(world, "category", "DISABLED", MARCH)
    claim = correction.overpayment
    assert claim.source == "wrong_information" and claim.status == "detected"
    assert claim.get_source_display() == "Informations erronées du stagiaire"
    assert correction.old_value == "DISABLED_PRIOR_SALARY" and correction.by == world["agent"]
    world["dossier"].refresh_from_db()
    assert world["dossier"].rate_category == "DISABLED"
    # What the engine now gives for March (the next run writes it to the ledger).
    again = run(world, MARCH)
    assert again.summary["lines"] == 0, "claimed exactly: nothing more to pay or claim"
    assert Overpayment.objects.count() == 1
    assert claim.amount == before - due(world, MARCH) > 0
    text_ = " ".join(claim.explanation)
    assert "Correction (catégorie de rémunération) à compter de mars 2026" in text_
    assert "Motif : Attestation France Travail reçue" in text_
    assert "trop-perçu" in text_ and "Total réclamé" in text_


def test_a_higher_salary_is_paid_by_the_next_run_as_a_regularisation(world):
    run(world, MARCH)
    before = paid(world, MARCH)
    correction, outcome = correct(world, "prior_monthly_salary", Decimal("1900.00"), MARCH)
    assert correction.overpayment is None and outcome.to_pay > 0
    assert "seront versés par la prochaine paie" in " ".join(outcome.explanation)
    nxt = run(world, MARCH)
    assert nxt.summary["lines"] >= 1
    line = Payment.objects.filter(run=nxt, component="remuneration").get()
    assert line.is_regularisation and line.amount == outcome.to_pay
    assert paid(world, MARCH) == before + outcome.to_pay == due(world, MARCH)


def test_months_before_the_effective_month_keep_the_declared_value(world):
    march_and_april_paid(world)
    march, april = paid(world, MARCH), paid(world, APRIL)
    correction, outcome = correct(world, "category", "DISABLED", dt.date(2026, 4, 17))
    assert correction.effective_from == APRIL  # the month of the date
    assert [(i.month, i.component) for i in correction.overpayment.items.all()] == [
        (APRIL, "remuneration")
    ]
    again = run(world, APRIL)
    assert again.summary["lines"] == 0 and Overpayment.objects.count() == 1
    assert due(world, MARCH) == march  # still the declared category
    assert due(world, APRIL) == april - correction.overpayment.amount


def test_a_younger_birth_date_is_recomputed_through_the_engine(world):
    run(world, MARCH)
    correction, outcome = correct(world, "birth_date", dt.date(2009, 1, 1), MARCH)
    world["enrollment"].trainee.refresh_from_db()
    assert world["enrollment"].trainee.birth_date == dt.date(2009, 1, 1)
    assert "Correction (date de naissance)" in outcome.explanation[0]
    assert "01/01/1990" in outcome.explanation[0] and "01/01/2009" in outcome.explanation[0]
    again = run(world, MARCH)
    assert again.summary["lines"] == 0


def test_preview_writes_nothing(world):
    run(world, MARCH)
    outcome = wrong_information.preview(
        world["dossier"],
        field_name="category",
        value="DISABLED",
        effective_from=MARCH,
        why="x",
        user=world["agent"],
    )
    assert outcome.amount > 0
    assert not InformationCorrection.objects.exists() and not Overpayment.objects.exists()
    world["dossier"].refresh_from_db()
    assert world["dossier"].rate_category == "DISABLED_PRIOR_SALARY"


def test_refusals(world):
    run(world, MARCH)
    with pytest.raises(ValidationError, match="déjà cette valeur"):
        correct(world, "category", "DISABLED_PRIOR_SALARY", MARCH)
    correct(world, "category", "DISABLED", APRIL)
    with pytest.raises(ValidationError) as exc:
        correct(world, "category", "PRIOR_ACTIVITY", MARCH)
    assert "prend déjà effet en avril 2026" in str(exc.value)
    world["dossier"].status = "closed"
    world["dossier"].save()
    with pytest.raises(ValidationError, match="RS1 admis"):
        correct(world, "category", "PRIOR_ACTIVITY", dt.date(2026, 5, 1))


def test_the_page_previews_then_confirms(client, world):
    run(world, MARCH)
    client.force_login(world["agent"])
    url = reverse("overpayments:correction", args=[world["dossier"].pk])
    assert "Corriger une information erronée" in text(client.get(url))
    data = {
        "field": "category",
        "new_category": "DISABLED",
        "effective_from": "2026-03-01",
        "why": "Aucune activité salariée antérieure",
    }
    preview = client.post(url, data)
    assert preview.status_code == 200
    assert "Aperçu (rien n'est encore enregistré)" in text(preview)
    assert not Overpayment.objects.exists()
    done = client.post(url, {**data, "confirm": "1"})
    claim = Overpayment.objects.get()
    assert done.status_code == 302 and done["Location"] == reverse(
        "overpayments:detail", args=[claim.pk]
    )
    trainee = client.get(reverse("home:trainee", args=[world["enrollment"].trainee_id]))
    assert "Informations erronées : catégorie de rémunération" in text(trainee)
    assert url in trainee.content.decode()  # « Corriger une information erronée du stagiaire »
    assert "catégorie de rémunération à compter de mars 2026 – Aucune activité" in text(trainee)


def test_the_page_reports_bad_input_next_to_the_field(client, world):
    client.force_login(world["agent"])
    url = reverse("overpayments:correction", args=[world["dossier"].pk])
    response = client.post(
        url, {"field": "category", "new_category": "", "effective_from": "x", "why": ""}
    )
    assert response.status_code == 400
    assert "Choisissez la catégorie exacte" in text(response)
    response = client.post(
        url,
        {
            "field": "category",
            "new_category": "DISABLED_PRIOR_SALARY",
            "effective_from": "2026-03-01",
            "why": "x",
            "confirm": "1",
        },
    )
    assert response.status_code == 400 and "déjà cette valeur" in text(response)
    assert not InformationCorrection.objects.exists()


def test_the_page_is_for_the_region_s_agents_only(client, world, provider_user):
    other = f.AgentFactory()
    url = reverse("overpayments:correction", args=[world["dossier"].pk])
    client.force_login(other)
    assert client.get(url).status_code == 404
    client.force_login(provider_user)
    assert client.get(url).status_code == 403
