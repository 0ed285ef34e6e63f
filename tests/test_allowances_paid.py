"""A payment run pays what the engine explains: the simulator, the statement line, the preview
and the run give the same amount with the same explanation for the same inputs, allowances
included (issue 11 §1)."""

import datetime as dt
from decimal import Decimal

import pytest
from django.template.loader import render_to_string
from django.urls import reverse

from remu.attendance import services as attendance
from remu.dossiers import travel
from remu.dossiers.models import Dossier, DossierTransition, TravelSituation
from remu.payments import services as payments
from remu.payments.models import DueAmount, Payment

from . import factories as f
from .test_dossiers import complete_data, create
from .utils import text

ENTRY = dt.date(2026, 3, 2)
MARCH, APRIL = dt.date(2026, 3, 1), dt.date(2026, 4, 1)


def admitted(region, provider, agent, *, birth_date, total_hours, number):
    action = f.TrainingActionFactory(
        region=region,
        provider=provider,
        planned_start=ENTRY,
        planned_end=dt.date(2026, 9, 30),
        hours_in_centre=total_hours,
    )
    enrollment = f.EnrollmentFactory(
        action=action, entry_date=ENTRY, trainee__birth_date=birth_date
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
        account_holder="Léa Martin",
    )
    DossierTransition.objects.create(
        dossier=dossier, from_status="received", to_status="admitted", by=agent
    )
    return dossier


def validate_month(dossier, provider_user, today, absences=()):
    statement = attendance.create_statement(dossier.action, provider_user, today)
    line = statement.lines.get()
    attendance.declare_presence([line], "full_month")
    for start, end in absences:
        attendance.add_absence(line, reason="CENTRE_CLOSURE", start=start, end=end, place="")
    attendance.validate_lines([line], provider_user)
    return line


def world_for(parameter_set, code):
    region = f.RegionFactory(code=code, parameter_set=parameter_set, number_prefix=code[:3].upper())
    provider = f.ProviderFactory(region=region)
    provider_user = f.ProviderUserFactory(providers=[provider])
    agent = f.AgentFactory(region=region)
    return region, provider, provider_user, agent


PERSONS = {
    # a CVL trainee 30 km from the training: the transport allowance
    "cvl-30-km": ("centre-val-de-loire", dt.date(1990, 1, 1), Decimal("30"), False, 600),
    # a CVL minor lodged away from home, 60 km: the housing allowance (the engine pays the
    # adults' housing amount to minors until the minors' amounts are in the parameter set)
    "cvl-minor-lodged": ("centre-val-de-loire", dt.date(2009, 6, 1), Decimal("60"), True, 600),
    # a Guadeloupe trainee on a training over 351 h, 20 km away: the long-training transport
    "guadeloupe-400-h": ("guadeloupe", dt.date(1995, 1, 1), Decimal("20"), False, 400),
}


@pytest.mark.parametrize("person", PERSONS)
def test_simulator_statement_preview_and_run_pay_the_same_allowances(client, db, person):
    parameter_set, birth, distance, housing, hours = PERSONS[person]
    region, provider, provider_user, agent = world_for(parameter_set, person)
    dossier = admitted(region, provider, agent, birth_date=birth, total_hours=hours, number=1)
    travel.save_first(
        dossier,
        distance_km=distance,
        justification="itinéraire routier",
        housing=housing,
        user=agent,
    )
    validate_month(dossier, provider_user, dt.date(2026, 4, 10))
    april = validate_month(dossier, provider_user, dt.date(2026, 5, 10))

    # 1. The simulator, with the same answers (a full month: April).
    page = client.get(
        reverse("simulator:simulate"),
        {
            "region": parameter_set,
            "birth_date": birth.isoformat(),
            "start_date": ENTRY.isoformat(),
            "weekly_hours": "35",
            "training_total_hours": str(hours),
            "distance_km": str(distance),
            "housing": "on" if housing else "",
            "unemployment_benefit": "non",
        },
    )
    simulated = page.context["simulation"]
    assert simulated.month == APRIL and simulated.category == "JOB_SEEKER"
    result = simulated.result
    assert result.allowances > 0  # before the fix: the run and the statement paid none

    # 2. The statement line, validated through the engine.
    april.refresh_from_db()
    assert april.amount == result.remuneration
    assert april.explanation == result.explanation

    # 3. The preview then the run for April.
    preview = payments.execute_run(
        payments.start_run(region, "monthly", APRIL, agent, preview=True).pk
    )
    run = payments.execute_run(payments.start_run(region, "monthly", APRIL, agent).pk)
    due = {d.component: d for d in DueAmount.objects.filter(month=APRIL)}
    assert due["remuneration"].amount == result.remuneration
    assert due["allowances"].amount == result.allowances
    assert due["remuneration"].explanation == result.explanation
    paid = {p.component: p.amount for p in Payment.objects.filter(run=run, month=APRIL)}
    assert paid == {"remuneration": result.remuneration, "allowances": result.allowances}
    ordered_allowances = sum(
        p.amount for p in Payment.objects.filter(run=run, component="allowances")
    )
    assert preview.summary["totals"]["Indemnités de transport et d'hébergement"] == str(
        ordered_allowances
    )
    if person == "cvl-30-km":
        assert result.allowances == Decimal("98.79")
        assert "Indemnité de transport (30 km)" in " ".join(result.explanation)
    if person == "cvl-minor-lodged":
        assert any("hébergement" in line and "60 km" in line for line in result.explanation)
    if person == "guadeloupe-400-h":
        assert result.allowances == Decimal("32.93")


@pytest.fixture
def cvl(db):
    region, provider, provider_user, agent = world_for("centre-val-de-loire", "centre-val-de-loire")
    dossier = admitted(
        region, provider, agent, birth_date=dt.date(1990, 1, 1), total_hours=600, number=1
    )
    return {"region": region, "provider_user": provider_user, "agent": agent, "dossier": dossier}


def test_a_month_paid_without_allowances_is_regularised_and_the_advice_says_why(client, cvl):
    dossier, agent = cvl["dossier"], cvl["agent"]
    validate_month(dossier, cvl["provider_user"], dt.date(2026, 4, 10))
    payments.execute_run(payments.start_run(cvl["region"], "monthly", MARCH, agent).pk)
    assert not Payment.objects.filter(component="allowances").exists()
    # The agent records the distance afterwards, from the admitted dossier's page: the next
    # run pays March's transport allowance.
    client.force_login(agent)
    page = text(client.get(reverse("dossiers:detail", args=[dossier.pk])))
    assert "Non renseignées : aucune indemnité de transport ni d'hébergement" in page
    response = client.post(
        reverse("dossiers:travel_move", args=[dossier.pk]),
        {"move-distance_km": "30", "move-distance_justification": "itinéraire routier"},
    )
    assert response.status_code == 302
    assert TravelSituation.objects.get().valid_from == ENTRY
    run = payments.execute_run(payments.start_run(cvl["region"], "monthly", MARCH, agent).pk)
    payment = Payment.objects.get(run=run)
    assert payment.component == "allowances" and payment.is_regularisation
    assert payment.amount == Decimal("95.50")  # 98.79 x 29/30
    assert payment.label == (
        "Régularisation : indemnités de transport et d'hébergement de mars 2026"
    )
    advice = render_to_string("payments/advice_pdf.html", {"payment": payment})
    assert "Régularisation : indemnités de transport et d&#x27;hébergement de mars 2026" in advice


def test_a_move_changes_the_allowance_from_its_month(cvl):
    dossier, agent = cvl["dossier"], cvl["agent"]
    travel.save_first(
        dossier, distance_km=Decimal("30"), justification="", housing=False, user=agent
    )
    travel.add_move(
        dossier,
        valid_from=dt.date(2026, 4, 1),
        distance_km=Decimal("10"),
        justification="déménagement",
        housing=False,
        user=agent,
    )
    march = validate_month(dossier, cvl["provider_user"], dt.date(2026, 4, 10))
    april = validate_month(dossier, cvl["provider_user"], dt.date(2026, 5, 10))
    assert "Indemnité de transport (30 km)" in " ".join(march.explanation)
    assert "Indemnité de transport" not in " ".join(april.explanation)  # 10 km: none
    payments.execute_run(payments.start_run(cvl["region"], "monthly", APRIL, agent).pk)
    allowances = DueAmount.objects.filter(component="allowances")
    assert [d.month for d in allowances] == [MARCH]


def test_closure_days_count_across_the_months_of_the_six_month_period(cvl):
    """CVL keeps pay for 15 closure days per 6 months in training: 10 days in March and 10 in
    April pay 15, not 20, on the statement and in the run."""
    dossier = cvl["dossier"]
    validate_month(
        dossier,
        cvl["provider_user"],
        dt.date(2026, 4, 10),
        absences=[(dt.date(2026, 3, 16), dt.date(2026, 3, 25))],
    )
    april = validate_month(
        dossier,
        cvl["provider_user"],
        dt.date(2026, 5, 10),
        absences=[(dt.date(2026, 4, 6), dt.date(2026, 4, 15))],
    )
    assert april.paid_thirtieths == 25  # 5 of April's 10 closure days beyond the limit
    payments.execute_run(payments.start_run(cvl["region"], "monthly", APRIL, cvl["agent"]).pk)
    due = DueAmount.objects.get(month=APRIL, component="remuneration")
    assert due.amount == april.amount and due.explanation == april.explanation


def test_a_travel_situation_is_bounded_by_the_database(cvl):
    from django.db import DataError, IntegrityError, transaction

    # Over 999.9: the CHECK on SQLite, the numeric(4, 1) column itself on PostgreSQL.
    for distance in (Decimal("-1"), Decimal("1000")):
        with pytest.raises((IntegrityError, DataError)), transaction.atomic():
            TravelSituation.objects.create(
                dossier=cvl["dossier"],
                valid_from=ENTRY,
                distance_km=distance,
                recorded_by=cvl["agent"],
            )


def test_the_rs1_form_records_the_situation_at_entry(provider_client, region, provider):
    region.number_prefix = "CVL"
    region.save()
    # the dates of complete_data(); a dossier is not created on an action already ended
    action = f.TrainingActionFactory(
        region=region,
        provider=provider,
        planned_start=dt.date(2026, 9, 7),
        planned_end=dt.date(2027, 3, 26),
    )
    dossier = create(provider_client, action)
    url = reverse("dossiers:detail", args=[dossier.pk])
    bad = {"travel-distance_km": "-3", "travel-distance_justification": "x", "save": "1"}
    page = text(provider_client.post(url, {**complete_data(dossier), **bad}))
    assert "La distance ne peut pas être négative." in page
    for value in ("1000", "12\x00", "9" * 400):
        page = text(
            provider_client.post(
                url, {**complete_data(dossier), **bad, "travel-distance_km": value}
            )
        )
        assert "erreurs" in page and not TravelSituation.objects.exists()
    page = text(
        provider_client.post(
            url, {**complete_data(dossier), "travel-distance_km": "32,5", "save": "1"}
        )
    )
    assert "Indiquez comment la distance est établie." in page
    response = provider_client.post(
        url,
        {
            **complete_data(dossier),
            "travel-distance_km": "32,5",
            "travel-distance_justification": "itinéraire Orléans – Tours",
            "travel-housing": "on",
            "save": "1",
        },
    )
    assert response.status_code == 302
    situation = TravelSituation.objects.get(dossier=dossier)
    assert situation.valid_from == dossier.enrollment.entry_date
    assert situation.distance_km == Decimal("32.5") and situation.housing
    assert 'value="32,5"' in text(provider_client.get(url))


def test_an_agent_records_a_move_from_the_dossier_page(client, cvl):
    dossier, agent = cvl["dossier"], cvl["agent"]
    travel.save_first(
        dossier, distance_km=Decimal("30"), justification="", housing=False, user=agent
    )
    client.force_login(agent)
    page = text(client.get(reverse("dossiers:detail", args=[dossier.pk])))
    assert "À l'entrée : 30 km" in page and "Déclarer un déménagement" in page
    url = reverse("dossiers:travel_move", args=[dossier.pk])
    data = {
        "move-valid_from": "2026-03-01",
        "move-distance_km": "80",
        "move-distance_justification": "bail du nouveau logement",
        "move-housing": "on",
    }
    assert "La date doit suivre celle de l'entrée (02/03/2026)." in text(client.post(url, data))
    response = client.post(url, {**data, "move-valid_from": "2026-05-01"})
    assert response.status_code == 302
    page = text(client.get(reverse("dossiers:detail", args=[dossier.pk])))
    assert "À partir du 1 mai 2026 : 80 km, hébergé hors du domicile" in page
    assert "Une situation est déjà enregistrée à cette date." in text(
        client.post(url, {**data, "move-valid_from": "2026-05-01"})
    )


def test_providers_cannot_change_the_situation_of_a_submitted_dossier(client, cvl):
    client.force_login(cvl["provider_user"])
    url = reverse("dossiers:travel_move", args=[cvl["dossier"].pk])
    assert client.get(url).status_code == 403
