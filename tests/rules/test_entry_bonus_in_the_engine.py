"""The entry bonus goes through the engine: taxable, in gross (issue 12 §2)."""

from decimal import Decimal

from remu.rules.cli import compute_all
from remu.rules.engine import compute

from .helpers import case


def test_granted_and_not_yet_paid_bonus_is_in_gross_and_in_the_withholding_base():
    # CVL, March 2022, full month 685.00 (national more favourable), bonus 200.00, personal
    # rate 7.5 %: taxable 885.00, withholding 66.375 -> 66.38; gross 885.00; net 818.62.
    result = compute(
        case(region="centre-val-de-loire", entry_bonus_granted=True, tax_rate=Decimal("7.5"))
    )
    assert result.entry_bonus == Decimal("200.00")
    assert result.gross == Decimal("885.00")
    assert result.withholding == Decimal("66.38")
    assert result.net == Decimal("818.62")
    assert "Aide forfaitaire à l'entrée en formation : 200,00 € (imposable)" in result.explanation
    assert "Brut : 685,00 € + 200,00 € d'aide à l'entrée = 885,00 €" in result.explanation


def test_no_bonus_when_already_paid_not_granted_or_excluded():
    already = compute(
        case(region="centre-val-de-loire", entry_bonus_granted=True, entry_bonus_paid=True)
    )
    assert already.entry_bonus == Decimal("0.00") and already.gross == Decimal("685.00")
    assert compute(case(region="centre-val-de-loire")).entry_bonus == 0
    detainee = compute(
        case(
            region="centre-val-de-loire",
            category="DETAINEE",
            weekly_hours=Decimal(20),
            hours_present=Decimal(10),
            entry_bonus_granted=True,
        )
    )
    assert detainee.entry_bonus == 0  # not for prison trainings (CVL)
    distance = compute(
        case(
            region="bourgogne-franche-comte",
            year=2023,
            entry_date=case().entry_date.replace(year=2023),
            entry_bonus_granted=True,
            distance_learning=True,
        )
    )
    assert distance.entry_bonus == 0  # not for distance learning (BFC)


def test_the_cli_takes_and_returns_the_bonus():
    [result] = compute_all(
        [
            {
                "id": "b",
                "region": "bourgogne-franche-comte",
                "month": "2023-03",
                "category": "JOB_SEEKER",
                "birth_date": "1990-01-01",
                "entry_date": "2023-03-01",
                "weekly_hours": 35,
                "entry_bonus_granted": True,
            }
        ]
    )
    assert result["entry_bonus"] == "200.00"
    assert result["gross"] == "1063.00"  # 863.00 + 200.00
