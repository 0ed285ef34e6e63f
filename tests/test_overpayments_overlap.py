"""Double pay with France Travail (issue 13): a recorded benefit period claims every day of it
the Region also paid, through the engine; the agents' form on the trainee page."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from remu.overpayments.models import BenefitPeriod, Overpayment
from remu.overpayments.overlap import record_benefit_period
from remu.payments import services
from remu.payments.models import Payment

from . import factories as f
from .utils import text

MARCH = dt.date(2026, 3, 1)


@pytest.fixture
def world(pay_world):
    return pay_world


def march_paid(world):
    created = services.start_run(world["region"], "monthly", MARCH, world["agent"])
    services.execute_run(created.pk)


def paid(world, component):
    return sum(
        (
            p.amount
            for p in Payment.objects.ordered().filter(
                enrollment=world["enrollment"], month=MARCH, component=component
            )
        ),
        Decimal(0),
    )


def record(world, start, end, **kwargs):
    return record_benefit_period(
        world["enrollment"],
        start=start,
        end=end,
        source=kwargs.pop("source", "are"),
        reference=kwargs.pop("reference", "FT-123"),
        user=world["agent"],
    )


def test_the_days_paid_during_the_are_are_claimed_month_by_month(world):
    march_paid(world)
    # Worked example (RULES.md §4, thirtieths). The trainee entered on 2 March: March's span is
    # indices 2..30, 29 thirtieths; the run ordered M × 29/30 = 743.84 €, so M = 769.49 € (no
    # other amount to the cent gives 743.84). The ARE from 16 to 31 March covers indices 16..30
    # (the 31st shares index 30): 15 thirtieths unpaid, 14 left. Due for the days outside the
    # period: 769.49 × 14/30 = 359.0953 → 359.10 €. Claimed: 743.84 − 359.10 = 384.74 €
    # (= 15/30 of the month, to the cent). The entry bonus (200 €) is not claimed.
    assert paid(world, "remuneration") == Decimal("743.84")
    assert paid(world, "entry_bonus") == Decimal("200.00")
    period, claim = record(world, dt.date(2026, 3, 16), dt.date(2026, 3, 31))
    assert claim.amount == Decimal("384.74") and claim.status == "detected"
    assert claim.source == Overpayment.Source.FRANCE_TRAVAIL_OVERLAP
    assert period.overpayment == claim and period.recorded_by == world["agent"]
    assert [(i.month, i.component, i.paid, i.due) for i in claim.items.all()] == [
        (MARCH, "remuneration", Decimal("743.84"), Decimal("359.10"))
    ]
    assert claim.explanation[0].startswith(
        "Du 16 au 31 mars 2026, ARE versée par France Travail (réf. FT-123) : "
    )
    assert "réclamé 384,74 €" in claim.explanation[0]
    # No grace period (a dropout in the first 5 weeks claims nothing; this always does), and the
    # next run does not pay those days again.
    created = services.start_run(world["region"], "monthly", MARCH, world["agent"])
    services.execute_run(created.pk)
    assert paid(world, "remuneration") == Decimal("743.84")
    assert Overpayment.objects.count() == 1


def test_a_period_inside_the_month_claims_only_its_days(world):
    march_paid(world)
    # ARE from 3 to 20 March: indices 3..20, 18 thirtieths; outside: 2 and 21..30, 11.
    # 769.49 × 11/30 = 282.146 → 282.15 due; claimed 743.84 − 282.15 = 461.69.
    _, claim = record(world, dt.date(2026, 3, 3), dt.date(2026, 3, 20), source="ass")
    assert claim.amount == Decimal("461.69")
    assert claim.explanation[0].startswith("Du 3 au 20 mars 2026, ASS versée par France Travail")


def test_a_period_nothing_was_paid_for_records_no_claim(client, world):
    march_paid(world)
    client.force_login(world["agent"])
    url = reverse("overpayments:benefit_period", args=[world["enrollment"].pk])
    response = client.post(
        url,
        {"start": "2026-06-01", "end": "2026-06-30", "source": "are", "reference": ""},
        follow=True,
    )
    assert "aucun indu" in text(response)
    assert BenefitPeriod.objects.get().overpayment is None
    assert not Overpayment.objects.exists()


def test_bad_dates_are_refused_with_a_french_message(client, world):
    with pytest.raises(ValidationError):
        record(world, dt.date(2026, 3, 20), dt.date(2026, 3, 3))
    client.force_login(world["agent"])
    url = reverse("overpayments:benefit_period", args=[world["enrollment"].pk])
    response = client.post(url, {"start": "2026-03-20", "end": "2026-03-03", "source": "are"})
    assert response.status_code == 400
    assert "La fin de la période ne peut pas précéder son début." in text(response)
    response = client.post(url, {"start": "32/13/2026", "end": "x\x00", "source": "are"})
    assert response.status_code == 400 and "Saisissez une date valide" in text(response)
    assert not BenefitPeriod.objects.exists()


def test_the_form_is_linked_from_the_trainee_page_and_scoped(client, world, other_region):
    march_paid(world)
    client.force_login(world["agent"])
    url = reverse("overpayments:benefit_period", args=[world["enrollment"].pk])
    page = client.get(reverse("home:trainee", args=[world["enrollment"].trainee_id]))
    assert "Déclarer une période indemnisée par France Travail" in text(page)
    assert url in page.content.decode()
    response = client.post(
        url,
        {"start": "2026-03-16", "end": "2026-03-31", "source": "are", "reference": "A1"},
        follow=True,
    )
    assert "384,74" in text(response) and "Du 16 au 31 mars 2026" in text(response)
    client.force_login(f.AgentFactory(region=other_region))
    assert client.get(url).status_code == 404
    client.force_login(world["provider_user"])
    assert client.get(url).status_code == 403


def test_a_period_covering_the_whole_pay_claims_all_of_it_but_the_entry_bonus(world):
    march_paid(world)
    # From before the entry to after the paid months: nothing is due outside the period.
    _, claim = record(world, dt.date(2026, 2, 1), dt.date(2026, 6, 30))
    assert claim.amount == Decimal("743.84")
    assert claim.explanation[0].startswith("Du 1er février 2026 au 30 juin 2026, ARE")


def test_a_run_does_not_pay_the_days_of_a_period_recorded_before_it(world):
    # Recorded before March is paid: nothing to claim, and the run pays only the days outside
    # the period (the same 359.10 € as the worked example above): nothing is claimed back.
    period, claim = record(world, dt.date(2026, 3, 16), dt.date(2026, 3, 31))
    assert claim is None and period.overpayment is None
    march_paid(world)
    assert paid(world, "remuneration") == Decimal("359.10")
    assert paid(world, "entry_bonus") == Decimal("200.00")
    assert not Overpayment.objects.exists()
    due = world["enrollment"].dues.get(month=MARCH, component="remuneration")
    assert due.explanation[0] == (
        "Période indemnisée par France Travail (du 16 au 31 mars 2026) : ses jours ne "
        "sont pas payés par la Région."
    )
    again = services.execute_run(
        services.start_run(world["region"], "monthly", MARCH, world["agent"]).pk
    )
    assert again.summary["lines"] == 0


def test_a_month_wholly_covered_is_not_paid(world):
    record(world, dt.date(2026, 2, 15), dt.date(2026, 4, 10))
    march_paid(world)
    assert paid(world, "remuneration") == 0
    assert paid(world, "entry_bonus") == Decimal("200.00")  # never claimed, still paid


def test_overlapping_periods_of_the_same_trainee_are_refused(client, world, provider, region):
    record(world, dt.date(2026, 3, 16), dt.date(2026, 3, 31))
    with pytest.raises(ValidationError) as exc:
        record(world, dt.date(2026, 3, 31), dt.date(2026, 4, 15))
    assert "chevauche celle déjà enregistrée du 16 au 31 mars 2026 (ARE)" in str(exc.value)
    # Also across two enrollments of the same trainee.
    action = f.TrainingActionFactory(region=region, provider=provider)
    second = f.EnrollmentFactory(action=action, trainee=world["enrollment"].trainee)
    with pytest.raises(ValidationError, match="chevauche"):
        record_benefit_period(second, start=MARCH, end=dt.date(2026, 3, 20), source="ass")
    # Next to the field on the form, and nothing written.
    client.force_login(world["agent"])
    url = reverse("overpayments:benefit_period", args=[world["enrollment"].pk])
    response = client.post(url, {"start": "2026-03-01", "end": "2026-03-16", "source": "are"})
    assert response.status_code == 400 and "chevauche" in text(response)
    # Adjacent periods are fine.
    record(world, dt.date(2026, 4, 1), dt.date(2026, 4, 15))
    assert BenefitPeriod.objects.count() == 2
