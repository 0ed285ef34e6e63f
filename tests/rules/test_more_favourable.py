"""« National if more favourable » compares everything a region pays (issue 12 §1)."""

import datetime as dt
from decimal import Decimal

from remu.rules.engine import compute

from .helpers import case


def test_cvl_rsa_gj_is_compared_with_a_national_job_seeker_of_the_same_age():
    # CVL, March 2022, RSA_GJ aged 30 at entry: the region pays 401.09 (26 and over); the
    # national scale pays a job seeker of 26 and over 685.00 (decree 2021-672): 685.00.
    result = compute(case(region="centre-val-de-loire", category="RSA_GJ"))
    assert result.remuneration == Decimal("685.00")
    assert "catégorie demandeur d'emploi est plus favorable : 685,00 €" in result.explanation[0]


def test_cvl_detainee_hourly_rate_follows_the_revalued_national_rate():
    # CVL detainees: 2.49 an hour, never revalued. National: 2.49 x 1.056 = 2.63 (2023-04),
    # x 1.046 = 2.75 (2024-04). May 2024, 10 h: 10 x 2.75 = 27.50 (not 24.90).
    result = compute(
        case(
            region="centre-val-de-loire",
            category="DETAINEE",
            year=2024,
            month=5,
            weekly_hours=Decimal(10),
            hours_present=Decimal(10),
        )
    )
    assert result.hourly_rate == Decimal("2.75")
    assert result.remuneration == Decimal("27.50")


def test_cvl_prior_salary_floor_follows_the_revalued_national_floor():
    # Prior salary 500: CVL floor 644.17. National floor 644.17 x 1.056 = 680.24, x 1.046 =
    # 711.53 in May 2024: the trainee gets 711.53.
    result = compute(
        case(
            region="centre-val-de-loire",
            category="DISABLED_PRIOR_SALARY",
            year=2024,
            month=5,
            prior_monthly_salary=Decimal(500),
        )
    )
    assert result.remuneration == Decimal("711.53")
    assert any("plus favorable" in line for line in result.explanation)


def test_bfc_prior_salary_above_the_regional_ceiling_but_below_the_national_one():
    # Prior salary 2,100: BFC ceiling 2,009.82; national ceiling 1,932.52 x 1.056 = 2,040.74,
    # x 1.046 = 2,134.61 in May 2024: the salary itself, 2,100.00, is paid.
    result = compute(
        case(
            region="bourgogne-franche-comte",
            category="DISABLED_PRIOR_SALARY",
            year=2024,
            month=5,
            entry_date=dt.date(2024, 1, 8),
            prior_monthly_salary=Decimal(2100),
        )
    )
    assert result.remuneration == Decimal("2100.00")


def test_bfc_prior_salary_below_the_national_floor_keeps_the_regional_floor():
    result = compute(
        case(
            region="bourgogne-franche-comte",
            category="DISABLED_PRIOR_SALARY",
            year=2024,
            month=5,
            entry_date=dt.date(2024, 1, 8),
            prior_monthly_salary=Decimal(100),
        )
    )
    assert result.remuneration == Decimal("910.02")  # the regional floor is higher
