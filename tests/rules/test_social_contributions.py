"""Social contributions paid by the region: the year's flat hourly base x hours (issue 12 §2)."""

import datetime as dt
from decimal import Decimal

from remu.rules.cli import compute_all
from remu.rules.engine import compute, default_engine

from .helpers import absence, case


def test_full_time_without_declared_hours_uses_the_monthly_hours():
    # March 2026, 35 h a week, full month: 35 x 4.33 = 151.55 h x 2.03 = 307.6465 -> 307.65.
    result = compute(case(year=2026, month=3, entry_date=dt.date(2026, 1, 5)))
    assert result.social_contribution_hours == Decimal("151.55")
    assert result.social_contributions == Decimal("307.65")
    assert result.net == Decimal("769.49")  # not paid to the trainee: the net is unchanged
    assert (
        "Cotisations sociales (à la charge de la Région, non versées au stagiaire) : "
        "151,55 h × 2,03 € = 307,65 €"
    ) in result.explanation


def test_declared_hours_and_paid_absence_hours():
    # May 2026: 140 h present + 7 h on the paid 1 May holiday = 147 h x 2.03 = 298.41.
    result = compute(
        case(
            year=2026,
            month=5,
            entry_date=dt.date(2026, 1, 5),
            hours_present=Decimal(140),
            absences=(absence("2026-05-01", "2026-05-01", "PUBLIC_HOLIDAY", hours=Decimal(7)),),
        )
    )
    assert result.social_contribution_hours == Decimal("147.00")
    assert result.social_contributions == Decimal("298.41")


def test_part_time_uses_the_paid_hours():
    # 20 h a week, 80 h present in March 2026: 80 x 2.03 = 162.40.
    result = compute(
        case(
            year=2026,
            month=3,
            entry_date=dt.date(2026, 1, 5),
            weekly_hours=Decimal(20),
            hours_present=Decimal(80),
        )
    )
    assert result.social_contributions == Decimal("162.40")


def test_unknown_year_gives_none():
    assert compute(case()).social_contributions is None  # March 2022: no base in the files


def test_p2s_only_trainees_hours_in_amount_out():
    amount, text = default_engine().social_contributions(
        "centre-val-de-loire", dt.date(2026, 2, 1), Decimal(35)
    )
    assert amount == Decimal("71.05")  # 35 x 2.03
    assert "35 h × 2,03 € = 71,05 €" in text


def test_the_cli_returns_them():
    [result] = compute_all(
        [
            {
                "id": "s",
                "region": "national",
                "month": "2026-03",
                "category": "JOB_SEEKER",
                "birth_date": "1990-01-01",
                "entry_date": "2026-01-05",
                "weekly_hours": 20,
                "hours_present": 80,
            }
        ]
    )
    assert result["social_contributions"] == "162.40"
    assert result["social_contribution_hours"] == "80.00"
