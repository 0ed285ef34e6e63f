"""Special publics restrict the paid span (issue 12 §2; seed 001 §3.5-3.6, seed 004)."""

import datetime as dt
from decimal import Decimal

from remu.rules.cli import compute_all
from remu.rules.engine import compute

from .helpers import case

BFC_RESIGNED = dict(
    region="bourgogne-franche-comte",
    entry_date=dt.date(2023, 1, 16),
    resigned_contract_end=dt.date(2023, 1, 10),
)


def test_bfc_resigned_from_a_permanent_job_is_paid_60_days_after_the_contract_end():
    # Contract ended 10/01/2023: paid from 10/01 + 60 days = 11/03/2023. February: nothing.
    # March: indices 11 to 30 = 20 thirtieths of 863.00 = 575.33.
    february = compute(case(**BFC_RESIGNED, year=2023, month=2))
    assert february.remuneration == Decimal("0.00") and february.paid_thirtieths == 0
    march = compute(case(**BFC_RESIGNED, year=2023, month=3))
    assert march.paid_thirtieths == 20
    assert march.remuneration == Decimal("575.33")
    assert (
        "Démission (fin réelle du contrat le 10/01/2023) : rémunération 60 jours calendaires "
        "après, à partir du 11/03/2023"
    ) in march.explanation


def test_cvl_resigned_is_paid_four_months_at_most():
    # Entered 10/01/2022: paid until 09/05/2022. May: 9 thirtieths of 685.00 = 205.50.
    may = compute(
        case(region="centre-val-de-loire", month=5, resigned_contract_end=dt.date(2021, 12, 31))
    )
    assert may.paid_thirtieths == 9
    assert may.remuneration == Decimal("205.50")
    june = compute(
        case(region="centre-val-de-loire", month=6, resigned_contract_end=dt.date(2021, 12, 31))
    )
    assert june.remuneration == Decimal("0.00")


def test_relay_after_the_france_travail_benefit_and_permit_end():
    # Benefit ends 15/03/2022: paid from 16/03, 15 thirtieths of 685.00 = 342.50.
    relay = compute(case(benefit_end=dt.date(2022, 3, 15)))
    assert relay.remuneration == Decimal("342.50")
    assert "Période rémunérée du 16/03/2022 au 31/03/2022" in relay.explanation
    # Permit valid until 15/03/2022: paid until then, 15 thirtieths = 342.50.
    permit = compute(case(permit_end=dt.date(2022, 3, 15)))
    assert permit.remuneration == Decimal("342.50")
    explicit = compute(case(pay_from=dt.date(2022, 3, 16)))
    assert explicit.remuneration == Decimal("342.50")


def test_part_time_hours_are_prorated_by_the_paid_days():
    # 80 h declared for March 2022, paid 15 of 31 days: 80 x 15/31 = 38.71 h x 3.30 = 127.74.
    result = compute(
        case(
            weekly_hours=Decimal(20),
            hours_present=Decimal(80),
            birth_date=dt.date(2000, 1, 1),
            permit_end=dt.date(2022, 3, 15),
        )
    )
    assert result.paid_hours == Decimal("38.71")
    assert result.remuneration == Decimal("127.74")


def test_the_cli_takes_the_facts():
    [result] = compute_all(
        [
            {
                "id": "p",
                "region": "national",
                "month": "2022-03",
                "category": "JOB_SEEKER",
                "birth_date": "1990-01-01",
                "entry_date": "2022-01-10",
                "weekly_hours": 35,
                "permit_end": "2022-03-15",
            }
        ]
    )
    assert result["remuneration"] == "342.50"
