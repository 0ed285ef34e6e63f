"""Sick leaves and the region's complement (issue 12 §2, seed 001 §2.8-2.9): the agent enters
the leave with the CPAM daily allowance; the statement line and the run pass it to the engine,
which computes the waiting days and Centre-Val de Loire's complement."""

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse

from remu.attendance import services as attendance
from remu.attendance.models import SickLeave
from remu.payments import services
from remu.payments.models import DueAmount, Payment

from .utils import text

APRIL = dt.date(2026, 4, 1)


@pytest.fixture
def world(pay_world):
    return pay_world


def run(world, month=APRIL):
    created = services.start_run(world["region"], "monthly", month, world["agent"])
    return services.execute_run(created.pk)


def april_with_sickness(world):
    """April 2026 validated with a sick leave from 6 to 15 April declared by the provider."""
    statement = attendance.create_statement(
        world["line"].statement.action, world["provider_user"], dt.date(2026, 5, 2)
    )
    line = statement.lines.get()
    attendance.declare_presence([line], "full_month")
    attendance.add_absence(
        line, reason="SICKNESS", start=dt.date(2026, 4, 6), end=dt.date(2026, 4, 15), place="centre"
    )
    attendance.validate_lines([line], world["provider_user"])
    line.refresh_from_db()
    return line


def enter_leave(client, world, **data):
    client.force_login(world["agent"])
    return client.post(
        reverse("attendance:sick_leaves", args=[world["enrollment"].pk]),
        {
            "kind": "SICKNESS",
            "start": "2026-04-06",
            "end": "2026-04-15",
            "daily_allowance": "15,00",
            **data,
        },
    )


def test_cvl_complement_through_the_statement_and_a_run(client, world):
    # CVL, job seeker of 36, April 2026 (30 days): 776.42 a month (the national amount
    # revalued on 1 April 2026, more favourable than the region's 500.00). Sick 6 to 15 April
    # (10 days), CPAM 15.00 a day. Pay: 20 thirtieths = 776.42 x 20 / 30 = 517.61. Days 6-8:
    # waiting, paid by no one. Days 9-15: 7 days x (776.42 / 30 − 15.00) = 7 x 10.8807 =
    # 76.16 of complement, taxable.
    response = enter_leave(client, world)
    assert response.status_code == 302
    page = text(client.get(response["Location"]))
    assert "Arrêt maladie" in page and "15,00 €" in page
    line = april_with_sickness(world)
    assert line.amount == Decimal("517.61")
    explanation = " ".join(line.explanation)
    assert "délai de carence de 3 jours, jusqu'au 08/04/2026, indemnisé par personne" in (
        explanation
    )
    assert "complément de la Région sur 7 jours" in explanation
    run(world)
    complement = Payment.objects.get(component="complement")
    assert complement.amount == Decimal("76.16") and complement.month == APRIL
    assert complement.label == "Complément de la Région aux indemnités journalières d'avril 2026"
    remuneration = Payment.objects.get(component="remuneration", month=APRIL)
    assert remuneration.amount == Decimal("517.61")
    due = DueAmount.objects.get(component="complement")
    assert "76,16 €" in " ".join(due.explanation)
    # Once.
    assert run(world).summary["lines"] == 0


def test_the_sickness_complement_counts_90_days_over_the_months(client, world):
    # The run computes the months in order, each with the complement days of the earlier
    # ones. March (769.49 a month): sick 2 to 31 March, days 2-4 waiting, 5-31 = 27 days x
    # (769.49 / 30 − 15.00) = 27 x 10.6497 = 287.54. April (776.42): a new leave, 6 to 15
    # April, days 9-15 = 7 days x 10.8807 = 76.16. 27 + 7 = 34 days, under the 90 of CVL.
    client.force_login(world["agent"])
    SickLeave.objects.create(
        enrollment=world["enrollment"],
        kind="SICKNESS",
        start=dt.date(2026, 3, 2),
        end=dt.date(2026, 3, 31),
        daily_allowance=Decimal("15.00"),
        created_by=world["agent"],
    )
    enter_leave(client, world)
    april_with_sickness(world)
    run(world)
    complements = {p.month: p.amount for p in Payment.objects.filter(component="complement")}
    assert complements == {dt.date(2026, 3, 1): Decimal("287.54"), APRIL: Decimal("76.16")}


def test_the_form_refuses_bad_input_in_french(client, world):
    response = enter_leave(client, world, end="2026-04-01", daily_allowance="-3")
    page = text(response)
    assert "La fin de l'arrêt précède son début." in page
    assert "supérieure ou égale à 0" in page
    assert not SickLeave.objects.exists()


def test_providers_never_see_sick_leaves(client, world):
    enter_leave(client, world)
    client.force_login(world["provider_user"])
    url = reverse("home:trainee", args=[world["enrollment"].trainee_id])
    assert "Arrêt maladie" not in text(client.get(url))
    response = client.get(reverse("attendance:sick_leaves", args=[world["enrollment"].pk]))
    assert response.status_code == 403


def test_the_90_days_are_counted_over_the_months_by_the_line_and_the_run(client, world):
    # A long sick leave from 5 March to 30 June 2026, CPAM 15.00 a day. Days 5-7 March:
    # waiting. Complement days: March 8-31 = 24, April 30, May 31 (85 in all), so June gets
    # the last 5 of CVL's 90: 5 x (776.42 / 30 − 15.00) = 5 x 10.8807 = 54.40.
    SickLeave.objects.create(
        enrollment=world["enrollment"],
        kind="SICKNESS",
        start=dt.date(2026, 3, 5),
        end=dt.date(2026, 6, 30),
        daily_allowance=Decimal("15.00"),
        created_by=world["agent"],
    )
    march = world["line"]
    attendance.reopen_line(march, world["agent"], "Arrêt maladie")
    attendance.add_absence(
        march,
        reason="SICKNESS",
        start=dt.date(2026, 3, 5),
        end=dt.date(2026, 3, 31),
        place="centre",
    )
    attendance.validate_lines([march], world["provider_user"])
    june = None
    for month, last in ((4, 30), (5, 31), (6, 30)):
        statement = attendance.create_statement(
            march.statement.action, world["provider_user"], dt.date(2026, month + 1, 2)
        )
        line = statement.lines.get()
        attendance.declare_presence([line], "full_month")
        attendance.add_absence(
            line,
            reason="SICKNESS",
            start=dt.date(2026, month, 1),
            end=dt.date(2026, month, last),
            place="centre",
        )
        attendance.validate_lines([line], world["provider_user"])
        june = line
    june.refresh_from_db()
    assert "complément de la Région sur 5 jours" in " ".join(june.explanation)
    run(world, dt.date(2026, 6, 1))
    complements = {p.month.month: p.amount for p in Payment.objects.filter(component="complement")}
    assert complements[6] == Decimal("54.40")
    # April: 30 x (776.42 / 30 − 15.00) = 776.42 − 450.00 = 326.42.
    assert complements[4] == Decimal("326.42")


def test_the_complement_goes_on_after_the_exit(client, world):
    # Exit on 30 April 2026, sick from 20 April to 30 June, CPAM 15.00 a day (776.42 a month
    # from April). April: days 20-22 waiting, 23-30 = 8 days x 10.8807 = 87.05. May has no
    # statement: 31 days x 10.8807 = 337.30, no pay. June: 30 days = 326.42 (69 days in all,
    # and no later than 90 days after the exit: 29 July).
    enrollment = world["enrollment"]
    enrollment.exit_date = dt.date(2026, 4, 30)
    enrollment.save()
    SickLeave.objects.create(
        enrollment=enrollment,
        kind="SICKNESS",
        start=dt.date(2026, 4, 20),
        end=dt.date(2026, 6, 30),
        daily_allowance=Decimal("15.00"),
        created_by=world["agent"],
    )
    statement = attendance.create_statement(
        world["line"].statement.action, world["provider_user"], dt.date(2026, 5, 2)
    )
    line = statement.lines.get()
    attendance.declare_presence([line], "full_month")
    attendance.add_absence(
        line,
        reason="SICKNESS",
        start=dt.date(2026, 4, 20),
        end=dt.date(2026, 4, 30),
        place="centre",
    )
    attendance.validate_lines([line], world["provider_user"])
    run(world, dt.date(2026, 6, 1))
    complements = {p.month.month: p.amount for p in Payment.objects.filter(component="complement")}
    assert complements == {4: Decimal("87.05"), 5: Decimal("337.30"), 6: Decimal("326.42")}
    assert not Payment.objects.filter(component="remuneration", month__gte=dt.date(2026, 5, 1))
    june = Payment.objects.get(component="complement", month=dt.date(2026, 6, 1))
    assert june.label == "Complément de la Région aux indemnités journalières de juin 2026"
