"""Every hourly column of the seed tables is the monthly amount / 151.67, half-up."""

import datetime as dt
from decimal import Decimal

import pytest

from remu.rules.engine import Engine
from remu.rules.money import cents
from remu.rules.parameters import HOURLY_DIVISOR

ENGINE = Engine()

SEED_HOURLY = [
    # seed 002, decree 2002-1551
    ("652.02", "4.30"),
    ("310.39", "2.05"),
    ("339.35", "2.24"),
    ("401.09", "2.64"),
    ("708.59", "4.67"),
    # seed 004, Bourgogne-Franche-Comté
    ("455.01", "3.00"),
    ("652.18", "4.30"),
    ("863.00", "5.69"),
    ("1001.02", "6.60"),
    ("910.02", "6.00"),
]


@pytest.mark.parametrize(("monthly", "hourly"), SEED_HOURLY)
def test_hourly_column(monthly, hourly):
    assert cents(Decimal(monthly) / HOURLY_DIVISOR) == Decimal(hourly)


def test_prior_salary_bounds_follow_the_same_rule():
    # Seed 002 prints "4.20 to 12.75" for this row, which no divisor reproduces from
    # 644.17 and 1,932.52 together; the product applies RULES.md's rule (monthly / 151.67).
    assert cents(Decimal("644.17") / HOURLY_DIVISOR) == Decimal("4.25")
    assert cents(Decimal("1932.52") / HOURLY_DIVISOR) == Decimal("12.74")


@pytest.mark.parametrize(
    ("region", "day", "category", "age", "monthly"),
    [
        ("national", "2020-06-01", "JOB_SEEKER", 19, "310.39"),
        ("national", "2020-06-01", "NON_SALARIED", 40, "708.59"),
        ("national", "2022-03-01", "JOB_SEEKER", 17, "200.00"),
        ("national", "2022-03-01", "PRIOR_ACTIVITY", 20, "685.00"),
        ("national", "2024-05-01", "JOB_SEEKER", 22, "552.29"),
        ("national", "2025-05-01", "JOB_SEEKER", 22, "561.68"),
        ("centre-val-de-loire", "2020-10-01", "JOB_SEEKER", 30, "500.00"),
        ("centre-val-de-loire", "2020-10-01", "RSA_GJ", 23, "339.35"),
        # from 2021-05-01 the national amount applies where it is more favourable
        ("centre-val-de-loire", "2022-03-01", "JOB_SEEKER", 30, "685.00"),
        ("centre-val-de-loire", "2022-03-01", "NON_SALARIED", 40, "708.59"),
        ("bourgogne-franche-comte", "2023-02-01", "JOB_SEEKER", 17, "455.01"),
        ("bourgogne-franche-comte", "2023-02-01", "DISABLED", 40, "1001.02"),
        ("mayotte", "2022-03-01", "JOB_SEEKER", 30, "609.00"),
        ("hauts-de-france", "2022-03-01", "JOB_SEEKER", 30, "685.00"),
    ],
)
def test_scales(region, day, category, age, monthly):
    first = dt.date.fromisoformat(day)
    pset = ENGINE.sets[region]
    scale = ENGINE._scale(pset, first, category, age, pset.options_at(first))
    assert scale.monthly == Decimal(monthly)


SEED_ROWS = [
    # (region, month, category, birth date, monthly, hourly): seed 002 (2002 table), seed 004
    ("guadeloupe", "2020-06", "JOB_SEEKER", "2001-01-01", "310.39", "2.05"),
    ("guadeloupe", "2020-06", "JOB_SEEKER", "1997-01-01", "339.35", "2.24"),
    ("guadeloupe", "2020-06", "JOB_SEEKER", "1980-01-01", "401.09", "2.64"),
    ("guadeloupe", "2020-06", "PRIOR_ACTIVITY", "1980-01-01", "652.02", "4.30"),
    ("guadeloupe", "2020-06", "NON_SALARIED", "1980-01-01", "708.59", "4.67"),
    ("bourgogne-franche-comte", "2023-02", "JOB_SEEKER", "2006-01-01", "455.01", "3.00"),
    ("bourgogne-franche-comte", "2023-02", "JOB_SEEKER", "2000-01-01", "652.18", "4.30"),
    ("bourgogne-franche-comte", "2023-02", "JOB_SEEKER", "1980-01-01", "863.00", "5.69"),
    ("bourgogne-franche-comte", "2023-02", "DISABLED", "1980-01-01", "1001.02", "6.60"),
    ("centre-val-de-loire", "2020-10", "RSA_GJ", "1980-01-01", "401.09", "2.64"),
]


def test_the_cli_reproduces_the_seed_tables():
    from remu.rules.cli import compute_all

    cases = [
        {
            "id": str(i),
            "region": region,
            "month": month,
            "category": category,
            "birth_date": birth,
            "entry_date": f"{month}-01",
            "weekly_hours": 35,
        }
        for i, (region, month, category, birth, _, _) in enumerate(SEED_ROWS)
    ]
    results = compute_all(cases, explain=False)
    assert [(r["monthly_amount"], r["hourly_rate"]) for r in results] == [
        (monthly, hourly) for *_, monthly, hourly in SEED_ROWS
    ]
