"""Centre-Val de Loire minors' housing allowance (seed 001 annex 1; issue 12 §1)."""

import datetime as dt
from decimal import Decimal

from remu.rules.engine import compute

from .helpers import absence, case

MINOR = dict(region="centre-val-de-loire", birth_date=dt.date(2005, 6, 2))  # 16 at entry


def test_minor_housing_by_distance_band():
    # Under 15 km 111.60; 15 to under 50 km 153.30; from 50 km 186.15 (a full March 2022).
    for km, amount in (("14.9", "111.60"), ("15", "153.30"), ("49", "153.30"), ("50", "186.15")):
        result = compute(case(**MINOR, distance_km=Decimal(km), housing=True))
        assert result.allowances == Decimal(amount), km
        assert result.remuneration == Decimal("500.00")


def test_minor_housing_replaces_transport_and_is_prorated():
    # 20 km with housing: 153.30 only (transport 98.79 is not added); two unpaid days of March:
    # 153.30 x 28/30 = 143.08.
    result = compute(
        case(
            **MINOR,
            distance_km=Decimal(20),
            housing=True,
            absences=(absence("2022-03-14", "2022-03-15"),),
        )
    )
    assert result.allowances == Decimal("143.08")
    assert "Indemnité d'hébergement (20 km) : 153,30 € × 93,33 % = 143,08 €" in result.explanation


def test_adults_keep_the_adult_bands():
    adult = compute(case(region="centre-val-de-loire", distance_km=Decimal(20), housing=True))
    assert adult.allowances == Decimal("98.79")  # no adult housing under 50 km: transport
