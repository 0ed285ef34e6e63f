"""The entry bonus goes through the rules engine: the statement line, the preview and the run
give it with the enrollment's first validated month, once per enrollment."""

import datetime as dt
from decimal import Decimal

from remu.attendance import services as attendance
from remu.payments import services
from remu.payments.models import DueAmount, Payment

MARCH, APRIL = dt.date(2026, 3, 1), dt.date(2026, 4, 1)


def run(world, month=MARCH, preview=False):
    created = services.start_run(world["region"], "monthly", month, world["agent"], preview=preview)
    return services.execute_run(created.pk)


def validate_april(world):
    action = world["line"].statement.action
    statement = attendance.create_statement(action, world["provider_user"], dt.date(2026, 5, 2))
    april = statement.lines.get()
    attendance.declare_presence([april], "full_month")
    attendance.validate_lines([april], world["provider_user"])
    return april


def test_the_statement_line_and_the_run_give_the_bonus_with_the_first_month(pay_world):
    line = pay_world["line"]
    line.refresh_from_db()
    bonus_text = "Aide forfaitaire à l'entrée en formation : 200,00 € (imposable)"
    assert bonus_text in line.explanation  # the statement shows it with March
    assert "Brut : 743,84 € + 200,00 € d'aide à l'entrée = 943,84 €" in line.explanation
    assert run(pay_world, preview=True).summary["totals"]["Aide forfaitaire à l'entrée"] == (
        "200.00"
    )
    run(pay_world)
    bonus = Payment.objects.get(component="entry_bonus")
    # the first validated month (March 2026), not the day of the admission
    assert bonus.month == MARCH and bonus.amount == Decimal("200.00")
    assert bonus.label == "Aide forfaitaire à l'entrée, au titre de mars 2026"
    due = DueAmount.objects.get(component="entry_bonus")
    assert bonus_text in due.explanation
    april = validate_april(pay_world)
    assert not any("Aide forfaitaire" in step for step in april.explanation)
    run(pay_world, APRIL)
    assert Payment.objects.filter(component="entry_bonus").count() == 1
    assert Payment.objects.filter(component="remuneration").count() == 2


def test_no_bonus_where_the_action_does_not_grant_it(pay_world):
    action = pay_world["line"].statement.action
    action.entry_bonus = False
    action.save()
    run(pay_world)
    assert not Payment.objects.filter(component="entry_bonus").exists()
    assert Payment.objects.filter(component="remuneration").count() == 1


def test_a_bonus_the_ledger_holds_for_another_month_stays_there(pay_world):
    """A bonus recorded with the month of the admission (before it went through the engine)
    is not due a second time with the first validated month."""
    DueAmount.objects.create(
        region=pay_world["region"],
        enrollment=pay_world["enrollment"],
        dossier=pay_world["dossier"],
        month=APRIL,
        component="entry_bonus",
        amount=Decimal("200.00"),
        explanation=["Aide forfaitaire à l'entrée en formation : 200,00 €"],
    )
    run(pay_world, APRIL)
    bonus = Payment.objects.get(component="entry_bonus")
    assert bonus.month == APRIL and bonus.amount == Decimal("200.00")
    validate_april(pay_world)
    run(pay_world, APRIL)
    assert Payment.objects.filter(component="entry_bonus").count() == 1


def test_a_bonus_no_longer_granted_is_owed_back(pay_world):
    run(pay_world)
    action = pay_world["line"].statement.action
    action.entry_bonus = False
    action.save()
    summary = run(pay_world).summary
    assert summary["debts"] == 1
    assert DueAmount.objects.get(component="entry_bonus").amount == 0
