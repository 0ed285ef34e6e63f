"""RS2 actual transport costs (seed 001 §2.4, seed 004; issue 12 §2)."""

import datetime as dt
from decimal import Decimal

from remu.rules.engine import Journey, default_engine

D = dt.date


def journey(kind, day, km, receipt):
    return Journey(kind, D.fromisoformat(day), Decimal(km), Decimal(receipt))


def costs(region, journeys, **person):
    return default_engine().transport_costs(region, D(2022, 1, 10), journeys, **person)


def test_cvl_start_in_full_one_family_journey_at_75_percent_beyond_8_months_single():
    # Single, 30, 10 months: start 40.00 in full; first family journey 50.00 x 75 % = 37.50;
    # the second is beyond the limit (one); a 20 km journey is under 25 km. Total 77.50.
    journeys = [
        journey("START_END", "2022-01-10", 80, "40.00"),
        journey("FAMILY", "2022-05-05", 80, "50.00"),
        journey("FAMILY", "2022-03-05", 80, "50.00"),
        journey("TRAINING", "2022-04-01", 20, "10.00"),
    ]
    total, amounts, lines = costs(
        "centre-val-de-loire", journeys, age=30, training_months=Decimal(10)
    )
    assert total == Decimal("77.50")
    assert amounts == [Decimal("40.00"), Decimal("0.00"), Decimal("37.50"), Decimal("0.00")]
    assert (
        "Voyage pour raison familiale du 05/03/2022 (80 km, justificatif 50,00 €) : 37,50 € "
        "(75 %, 1 voyage sur la formation)"
    ) in lines
    assert lines[-1] == "Frais de transport au réel (non imposables) : 77,50 €"


def test_family_limits_by_situation_and_length():
    two = [journey("FAMILY", "2022-02-05", 80, "40"), journey("FAMILY", "2022-06-05", 80, "40")]
    # Married / with family: one for 3-8 months (30.00), two beyond 8 months (60.00).
    assert costs("national", two, age=30, training_months=6, family=True)[0] == Decimal("30.00")
    assert costs("national", two, age=30, training_months=9, family=True)[0] == Decimal("60.00")
    # Single, 8 months: none.
    assert costs("national", two, age=30, training_months=8)[0] == Decimal("0.00")
    # Under 18: one a month (two months: 60.00; a second one in February would not count).
    assert costs("national", two, age=16, training_months=4)[0] == Decimal("60.00")
    same_month = [
        journey("FAMILY", "2022-02-05", 80, "40"),
        journey("FAMILY", "2022-02-20", 80, "40"),
    ]
    assert costs("national", same_month, age=16, training_months=4)[0] == Decimal("30.00")


def test_bfc_one_journey_a_quarter_in_full_beyond_three_months():
    # Adult, 6 months: Q1 first journey 30.00 in full, the second in Q1 nothing, Q2 30.00.
    journeys = [
        journey("START_END", "2023-01-09", 60, "30.00"),
        journey("FAMILY", "2023-02-10", 60, "30.00"),
        journey("FAMILY", "2023-04-10", 60, "30.00"),
    ]
    engine = default_engine()
    day = D(2023, 1, 9)
    total, amounts, _ = engine.transport_costs(
        "bourgogne-franche-comte", day, journeys, age=30, training_months=Decimal(6)
    )
    assert total == Decimal("60.00")
    assert amounts == [Decimal("30.00"), Decimal("0.00"), Decimal("30.00")]
    # A training of three months: nothing; a minor: three quarters of one journey a month.
    assert engine.transport_costs(
        "bourgogne-franche-comte", day, journeys, age=30, training_months=Decimal(3)
    )[0] == Decimal("0.00")
    assert engine.transport_costs(
        "bourgogne-franche-comte", day, journeys, age=17, training_months=Decimal(3)
    )[0] == Decimal("67.50")
