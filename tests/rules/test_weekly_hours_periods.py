"""Weekly hours that change during a training: each part of the month by its own rule."""

import datetime as dt
from decimal import Decimal

from remu.rules.cli import compute_all
from remu.rules.engine import HoursPeriod, compute

from .helpers import case

D = dt.date
PERIODS = (
    HoursPeriod(D(2022, 1, 10), D(2022, 3, 15), Decimal(35)),
    HoursPeriod(D(2022, 3, 16), D(2022, 6, 30), Decimal(20), hours_present=Decimal(40)),
)


def test_a_month_mixing_full_and_part_time_pays_each_part_by_its_rule():
    # National, March 2022, 685.00 a month (hourly 685.00 / 151.67 = 4.52). Full time from
    # 1 to 15 March: 15 thirtieths = 342.50. Part time from 16 March: 40 h x 4.52 = 180.80.
    # The month: 523.30.
    result = compute(case(weekly_hours_periods=PERIODS))
    assert result.remuneration == Decimal("523.30")
    assert result.paid_thirtieths == 15 and result.paid_hours == Decimal("40.00")
    assert "Période du 01/03/2022 au 15/03/2022, 35 h par semaine : 342,50 €" in (
        result.explanation
    )
    assert "Rémunération du mois : 523,30 €" in result.explanation
    assert result.net == result.gross == Decimal("523.30")


def test_a_month_wholly_in_one_period_is_paid_as_before():
    april = compute(case(month=4, weekly_hours_periods=PERIODS))
    assert april.remuneration == Decimal("180.80")
    february = compute(case(month=2, weekly_hours_periods=PERIODS))
    assert february.remuneration == Decimal("685.00")


def test_the_cli_takes_periods():
    [result] = compute_all(
        [
            {
                "id": "w",
                "region": "national",
                "month": "2022-03",
                "category": "JOB_SEEKER",
                "birth_date": "1991-06-02",
                "entry_date": "2022-01-10",
                "weekly_hours": 35,
                "weekly_hours_periods": [
                    {"start": "2022-01-10", "end": "2022-03-15", "weekly_hours": 35},
                    {
                        "start": "2022-03-16",
                        "end": "2022-06-30",
                        "weekly_hours": 20,
                        "hours_present": 40,
                    },
                ],
            }
        ]
    )
    assert result["remuneration"] == "523.30"
