"""Waiting days and the region's complement to the health insurance (seed 001 §2.8, §2.9)."""

import datetime as dt
from decimal import Decimal

import pytest

from remu.rules.cli import compute_all
from remu.rules.engine import CaseError, SickLeave, compute

from .helpers import absence, case

D = dt.date


def sick(start, end, allowance="15.00", kind="SICKNESS"):
    return SickLeave(D.fromisoformat(start), D.fromisoformat(end), Decimal(allowance), kind)


def test_cvl_complements_sickness_after_the_three_waiting_days():
    # CVL, March 2022, 685.00 a month. Sick 7 to 16 March (10 days), CPAM 15.00 a day.
    # Pay: 20 thirtieths = 456.67. Days 7-9: waiting, paid by no one. Days 10-16: 7 days x
    # (685.00 / 30 − 15.00) = 7 x 7.8333 = 54.83. Gross 511.50.
    result = compute(
        case(
            region="centre-val-de-loire",
            absences=(absence("2022-03-07", "2022-03-16", "SICKNESS"),),
            sick_leaves=(sick("2022-03-07", "2022-03-16"),),
        )
    )
    assert result.remuneration == Decimal("456.67")
    assert result.complement == Decimal("54.83") and result.complement_days == 7
    assert result.gross == Decimal("511.50")
    assert (
        "Arrêt maladie du 07/03/2022 au 16/03/2022 : délai de carence de 3 jours, jusqu'au "
        "09/03/2022, indemnisé par personne"
    ) in result.explanation


def test_cvl_sickness_complement_is_90_days_at_most():
    # 88 days already complemented: 2 more, 2 x 7.8333 = 15.67.
    result = compute(
        case(
            region="centre-val-de-loire",
            sick_leaves=(sick("2022-03-07", "2022-03-16"),),
            prior_complement_days=88,
        )
    )
    assert result.complement == Decimal("15.67") and result.complement_days == 2


def test_cvl_sickness_complement_stops_90_days_after_the_training():
    # Exit 15/02/2022, sick from 10/02 to 30/06: complement until 15/02 + 90 days = 16/05.
    # May 2022: 16 days x 7.8333 = 125.33, no pay; June: nothing.
    leave = sick("2022-02-10", "2022-06-30")
    common = dict(
        region="centre-val-de-loire",
        entry_date=D(2021, 11, 2),
        exit_date=D(2022, 2, 15),
        sick_leaves=(leave,),
    )
    may = compute(case(**common, month=5))
    assert may.remuneration == Decimal("0.00")
    assert may.complement == Decimal("125.33") and may.complement_days == 16
    june = compute(case(**common, month=6))
    assert june.complement == Decimal("0.00")


def test_cvl_maternity_is_complemented_to_90_percent():
    # March 2022, 31 days at 20.00 a day: 90 % x 685.00 / 30 = 20.55; 0.55 x 31 = 17.05.
    result = compute(
        case(
            region="centre-val-de-loire",
            sick_leaves=(sick("2022-03-01", "2022-03-31", "20.00", "MATERNITY_PATERNITY"),),
        )
    )
    assert result.complement == Decimal("17.05")


def test_no_complement_where_the_region_pays_none():
    result = compute(case(sick_leaves=(sick("2022-03-07", "2022-03-16"),)))
    assert result.complement == 0
    assert "Arrêt maladie du 07/03/2022 au 16/03/2022 : pas de complément de la Région" in (
        result.explanation
    )
    with pytest.raises(CaseError) as error:
        compute(case(sick_leaves=(sick("2022-03-07", "2022-03-16", kind="FLU"),)))
    assert error.value.field == "sick_leaves[0].kind"


def test_the_cli_takes_sick_leaves():
    [result] = compute_all(
        [
            {
                "id": "m",
                "region": "centre-val-de-loire",
                "month": "2022-03",
                "category": "JOB_SEEKER",
                "birth_date": "1990-01-01",
                "entry_date": "2022-01-10",
                "weekly_hours": 35,
                "sick_leaves": [
                    {"start": "2022-03-07", "end": "2022-03-16", "daily_allowance": "15.00"}
                ],
                "prior_complement_days": 88,
            }
        ]
    )
    assert result["complement"] == "15.67" and result["complement_days"] == 2
