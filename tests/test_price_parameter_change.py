"""manage.py price_parameter_change: a parameter change priced over the stored population."""

import datetime as dt
import io
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command

from remu.rules.engine import Engine
from remu.rules.money import euros
from remu.rules.parameters import PARAMETERS_DIR

from .conftest import admitted_with_validated_march


def price(*args):
    out, err = io.StringIO(), io.StringIO()
    call_command("price_parameter_change", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


@pytest.fixture
def population(pay_world):
    """Two trainees of the CVL set with a validated March 2026."""
    second = admitted_with_validated_march(
        pay_world["region"],
        pay_world["line"].statement.action.provider,
        pay_world["provider_user"],
        pay_world["agent"],
        number=2,
    )
    return [pay_world["line"], second["line"]]


def test_a_revaluation_is_priced_by_category(population):
    out, err = price("--revalue", "1.02", "--until", "2026-06")
    # Current: the month's pay as validated (line.amount) plus the entry bonus, for each.
    bonus = Engine().entry_bonus("centre-val-de-loire", dt.date(2026, 3, 2), "JOB_SEEKER")[0]
    now = sum((line.amount + bonus for line in population), Decimal(0))
    row = next(line for line in out.splitlines() if line.startswith("demandeur d'emploi"))
    assert " 2 " in row and euros(now) in row
    assert "revalorisation × 1.02, mois de 07/2025 à 06/2026" in out
    # Each full month's pay rises by 2 %, half-up to the cent (the scale amount is revalued);
    # the entry bonus, a flat amount, does not move.
    rise = sum((line.amount * Decimal("0.02")).quantize(Decimal("0.01")) for line in population)
    assert euros(now + rise) in row and euros(rise) in row
    assert "100%" in err and "(2/2 mois-stagiaires)" in err


def test_no_change_costs_nothing_and_months_outside_are_left_aside(population, tmp_path):
    same = tmp_path / "centre-val-de-loire.yaml"
    same.write_text((PARAMETERS_DIR / "centre-val-de-loire.yaml").read_text())
    out, _ = price("--parameters", str(same), "--until", "2026-06")
    assert out.splitlines()[-1].split()[-2:] == ["0,00", "€"]
    out, err = price("--revalue", "1.02", "--until", "2027-06")  # March 2026 is too old
    assert "Total" in out and " 0 " in out.splitlines()[-1]
    assert "(0/0 mois-stagiaires)" in err


def test_the_revalued_amounts_are_the_engine_s(population):
    """The new total is what an engine with every amount x 1.02 computes for the same cases."""
    from remu.attendance.services import case_for
    from remu.payments.management.commands.price_parameter_change import revalued_sets

    cases = [case_for(line) for line in population]
    expected = sum(
        (r.gross for r in Engine(revalued_sets(Decimal("1.02"))).compute_many(cases)), Decimal(0)
    )
    out, _ = price("--revalue", "1.02", "--until", "2026-06")
    assert euros(expected) in out.splitlines()[-1]


@pytest.mark.parametrize(
    "args",
    [
        ("--revalue", "abc"),
        ("--revalue", "-1"),
        ("--revalue", "NaN"),
        ("--parameters", "/nope.yaml"),
    ],
)
def test_bad_input_is_a_clear_message(db, args):
    with pytest.raises(CommandError):
        price(*args)


def test_a_bad_parameter_file_is_a_clear_message(db, tmp_path):
    bad = tmp_path / "national.yaml"
    bad.write_text("code: autre\n")
    with pytest.raises(CommandError, match="national.yaml"):
        price("--parameters", str(bad))


def test_the_month_bounds(db):
    with pytest.raises(CommandError, match="AAAA-MM"):
        price("--revalue", "1.02", "--until", "2026-13")
    assert dt.date(2026, 6, 1)
