"""The simulator passes further facts to the engine (issue 12)."""

import datetime as dt
from decimal import Decimal

from remu.rules.engine import default_engine
from remu.rules.simulation import simulate
from remu.rules.situation import Situation


def test_the_simulator_takes_a_permit_end():
    # Starts 1 March 2022, permit until 15 March: 15 thirtieths of 685.00 = 342.50.
    result = simulate(
        default_engine(),
        region="national",
        birth_date=dt.date(1990, 1, 1),
        start_date=dt.date(2022, 3, 1),
        weekly_hours=Decimal(35),
        situation=Situation(age=32),
        permit_end=dt.date(2022, 3, 15),
    )
    assert result.result.remuneration == Decimal("342.50")
