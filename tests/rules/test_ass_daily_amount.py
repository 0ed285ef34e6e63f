"""BFC pays ASS beneficiaries on a part-time training by the daily ASS amount in force."""

import datetime as dt
from decimal import Decimal

from remu.rules.engine import compute

from .helpers import case


def test_bfc_ass_part_time_hourly_rate_from_the_daily_ass_amount():
    # May 2024: ASS 19.01 a day x 30 = 570.30 a month / 151.67 = 3.76 an hour; 80 h: 300.80.
    result = compute(
        case(
            region="bourgogne-franche-comte",
            category="ASS_PART_TIME",
            year=2024,
            month=5,
            entry_date=dt.date(2024, 3, 4),
            weekly_hours=Decimal(20),
            hours_present=Decimal(80),
        )
    )
    assert result.hourly_rate == Decimal("3.76")
    assert result.remuneration == Decimal("300.80")
    assert "montant journalier de l'ASS en vigueur 19,01 € × 30 = 570,30 €" in result.explanation[0]


def test_the_amount_in_force_is_dated():
    # March 2024: still 18.17 (from April 2023): 545.10 / 151.67 = 3.59.
    result = compute(
        case(
            region="bourgogne-franche-comte",
            category="ASS_PART_TIME",
            year=2024,
            month=3,
            entry_date=dt.date(2024, 3, 4),
            weekly_hours=Decimal(20),
            hours_present=Decimal(10),
        )
    )
    assert result.hourly_rate == Decimal("3.59")
