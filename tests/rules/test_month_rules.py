"""Thirtieths, absences, hourly pay, allowances and withholding (RULES.md §4, §6)."""

import datetime as dt
from decimal import Decimal

import pytest

from remu.rules.engine import CaseError, compute, default_engine, entry_bonus

from .helpers import absence, case


@pytest.mark.parametrize(
    ("kwargs", "thirtieths"),
    [
        ({"entry_date": dt.date(2022, 3, 15)}, 16),
        ({"entry_date": dt.date(2022, 3, 31)}, 1),
        ({"year": 2022, "month": 2, "exit_date": dt.date(2022, 2, 28)}, 30),
        ({"year": 2022, "month": 2, "absences": (absence("2022-02-21", "2022-02-28"),)}, 20),
        ({"absences": (absence("2022-03-31", "2022-03-31"),)}, 29),
        ({"absences": (absence("2022-03-30", "2022-03-31"),)}, 29),
        # overlapping absences never count an index twice
        (
            {
                "absences": (
                    absence("2022-03-10", "2022-03-12"),
                    absence("2022-03-11", "2022-03-14"),
                )
            },
            25,
        ),
        # an absence before the entry date is clipped to the paid span
        (
            {
                "entry_date": dt.date(2022, 3, 15),
                "absences": (absence("2022-03-10", "2022-03-16"),),
            },
            14,
        ),
    ],
)
def test_thirtieths(kwargs, thirtieths):
    assert compute(case(**kwargs)).paid_thirtieths == thirtieths


def test_public_holiday_is_paid_and_a_non_holiday_is_refused():
    result = compute(
        case(year=2022, month=7, absences=(absence("2022-07-14", "2022-07-14", "PUBLIC_HOLIDAY"),))
    )
    assert result.paid_thirtieths == 30
    # 18 July 2022 is not a holiday: the absence cannot be what it claims (issue 12 §1).
    with pytest.raises(CaseError) as error:
        compute(
            case(
                year=2022,
                month=7,
                absences=(
                    absence("2022-07-14", "2022-07-14", "PUBLIC_HOLIDAY"),
                    absence("2022-07-18", "2022-07-18", "PUBLIC_HOLIDAY"),
                ),
            )
        )
    assert error.value.field == "absences[1].start"
    assert error.value.message == (
        "le 18/07/2022 n'est pas un jour férié du calendrier « Barème national »"
    )


def test_guadeloupe_local_and_overseas_holidays_are_paid():
    # 27 May (abolition of slavery) and Mardi gras 2026 (17 February) in Guadeloupe.
    may = compute(
        case(
            region="guadeloupe",
            year=2026,
            month=5,
            entry_date=dt.date(2026, 1, 5),
            absences=(absence("2026-05-27", "2026-05-27", "PUBLIC_HOLIDAY"),),
        )
    )
    feb = compute(
        case(
            region="guadeloupe",
            year=2026,
            month=2,
            entry_date=dt.date(2026, 1, 5),
            absences=(absence("2026-02-17", "2026-02-17", "LOCAL_DAY"),),
        )
    )
    assert may.paid_thirtieths == 30 and feb.paid_thirtieths == 30
    with pytest.raises(CaseError, match="le 27/05/2026 n'est pas un jour férié"):
        compute(
            case(
                year=2026,
                month=5,
                entry_date=dt.date(2026, 1, 5),
                absences=(absence("2026-05-27", "2026-05-27", "PUBLIC_HOLIDAY"),),
            )
        )


def test_holiday_errors_names_the_days_that_are_not_holidays():
    engine = default_engine()
    day = dt.date
    # Mainland: 1 May 2026 is a holiday, 2 and 3 May are not.
    assert engine.holiday_errors(
        "national", day(2026, 5, 1), day(2026, 5, 3), "PUBLIC_HOLIDAY"
    ) == [
        "le 02/05/2026 n'est pas un jour férié du calendrier « Barème national »",
        "le 03/05/2026 n'est pas un jour férié du calendrier « Barème national »",
    ]
    assert (
        engine.holiday_errors("guadeloupe", day(2026, 5, 27), day(2026, 5, 27), "PUBLIC_HOLIDAY")
        == []
    )
    # Mardi gras in Guadeloupe is a local day, not a legal holiday: the message says which.
    assert engine.holiday_errors(
        "guadeloupe", day(2026, 2, 17), day(2026, 2, 17), "PUBLIC_HOLIDAY"
    ) == [
        "le 17/02/2026 n'est pas un jour férié du calendrier « Guadeloupe » (c'est un jour "
        "férié local : motif « jour férié local »)"
    ]
    assert engine.holiday_errors("national", day(2026, 2, 17), day(2026, 2, 17), "LOCAL_DAY") == [
        "le 17/02/2026 n'est pas un jour férié local du calendrier « Barème national »"
    ]
    assert engine.holiday_errors("national", day(2026, 2, 17), day(2026, 2, 17), "SICKNESS") == []
    assert (
        len(engine.holiday_errors("national", day(2026, 1, 1), day(2026, 12, 31), "LOCAL_DAY")) == 1
    )


def test_legal_leave_is_paid_within_its_days():
    result = compute(
        case(absences=(absence("2022-03-07", "2022-03-12", "LEGAL_LEAVE", kind="OWN_MARRIAGE"),))
    )
    assert result.paid_thirtieths == 28  # 4 days paid, 2 retained
    with pytest.raises(CaseError) as error:
        compute(case(absences=(absence("2022-03-07", "2022-03-08", "LEGAL_LEAVE"),)))
    assert error.value.field == "absences[0].kind"


def test_centre_closure_limits_per_region():
    closure = (absence("2022-03-01", "2022-03-20", "CENTRE_CLOSURE"),)
    assert compute(case(absences=closure)).paid_thirtieths == 10  # national: unpaid
    gp = compute(case(region="guadeloupe", entry_date=dt.date(2022, 1, 3), absences=closure))
    assert gp.paid_thirtieths == 18  # 8 days kept
    cvl = compute(case(region="centre-val-de-loire", absences=closure))
    assert cvl.paid_thirtieths == 25  # 15 days per 6 months
    cvl_used = compute(
        case(region="centre-val-de-loire", absences=closure, prior_closure_days_paid=10)
    )
    assert cvl_used.paid_thirtieths == 15


def test_weather_is_paid_where_the_region_allows_it():
    weather = (absence("2022-03-14", "2022-03-15", "WEATHER"),)
    assert compute(case(absences=weather)).paid_thirtieths == 28
    assert compute(case(region="centre-val-de-loire", absences=weather)).paid_thirtieths == 30


def test_part_time_cap_and_paid_absence_hours():
    capped = compute(case(weekly_hours=Decimal(15), hours_present=Decimal(70)))
    assert capped.paid_hours == Decimal("64.95")
    with_absence = compute(
        case(
            weekly_hours=Decimal(20),
            hours_present=Decimal(60),
            absences=(
                absence("2022-03-14", "2022-03-15", "JUSTIFIED_PAID", hours=Decimal(8)),
                absence("2022-03-16", "2022-03-16", "UNJUSTIFIED", hours=Decimal(4)),
            ),
        )
    )
    assert with_absence.paid_hours == Decimal("68.00")


def test_hourly_only_categories_and_prior_salary():
    detainee = compute(case(category="DETAINEE", hours_present=Decimal(100)))
    assert detainee.monthly_amount is None and detainee.remuneration == Decimal("249.00")
    ass = compute(
        case(
            region="centre-val-de-loire",
            category="ASS_PART_TIME",
            weekly_hours=Decimal(20),
            hours_present=Decimal(50),
        )
    )
    assert ass.hourly_rate == Decimal("3.35") and ass.remuneration == Decimal("167.50")
    low = compute(case(category="DISABLED_PRIOR_SALARY", prior_monthly_salary=Decimal(500)))
    high = compute(case(category="DISABLED_PRIOR_SALARY", prior_monthly_salary=Decimal(5000)))
    mid = compute(case(category="DISABLED_PRIOR_SALARY", prior_monthly_salary=Decimal(1200)))
    assert (low.monthly_amount, high.monthly_amount, mid.monthly_amount) == (
        Decimal("644.17"),
        Decimal("1932.52"),
        Decimal(1200),
    )
    with pytest.raises(CaseError) as error:
        compute(case(category="DISABLED_PRIOR_SALARY"))
    assert error.value.field == "prior_monthly_salary"


def test_transport_allowance_prorated_like_the_pay():
    result = compute(
        case(
            region="centre-val-de-loire",
            distance_km=Decimal(30),
            absences=(absence("2022-03-14", "2022-03-15"),),
        )
    )
    assert result.allowances == Decimal("92.20")  # 98.79 x 28/30
    assert result.gross == result.remuneration + result.allowances
    assert result.withholding == Decimal("0.00")
    housing = compute(case(region="centre-val-de-loire", distance_km=Decimal(60), housing=True))
    assert housing.allowances == Decimal("244.23")  # not cumulative in CVL
    disabled = compute(
        case(region="centre-val-de-loire", category="DISABLED", distance_km=Decimal(30))
    )
    assert disabled.allowances == Decimal("0.00")


def test_guadeloupe_allowances_and_defraiements():
    long = compute(
        case(
            region="guadeloupe",
            entry_date=dt.date(2022, 1, 3),
            training_total_hours=Decimal(600),
            distance_km=Decimal(20),
        )
    )
    assert long.allowances == Decimal("32.93")
    short = compute(
        case(
            region="guadeloupe",
            entry_date=dt.date(2022, 1, 3),
            training_total_hours=Decimal(200),
            distance_km=Decimal(10),
        )
    )
    assert short.remuneration == Decimal("0.00")  # pay only for trainings over 351 h
    assert short.allowances == Decimal("129.58")  # meals 76.22 + transport 53.36


def test_withholding_personalised_rate_on_taxable_pay_only():
    result = compute(
        case(region="centre-val-de-loire", tax_rate=Decimal("7.5"), distance_km=Decimal(30))
    )
    assert result.withholding == Decimal("51.38")  # 7.5 % of 685.00, allowances not taxable
    assert result.net == result.gross - result.withholding


def test_entry_bonus():
    assert entry_bonus("centre-val-de-loire", dt.date(2022, 3, 1), "JOB_SEEKER")[0] == 200
    assert entry_bonus("centre-val-de-loire", dt.date(2022, 3, 1), "DETAINEE") is None
    assert (
        entry_bonus(
            "bourgogne-franche-comte", dt.date(2023, 3, 1), "JOB_SEEKER", distance_learning=True
        )
        is None
    )
    assert entry_bonus("national", dt.date(2023, 3, 1), "JOB_SEEKER") is None


def test_default_withholding_grid_by_territory():
    from remu.rules.engine import default_engine

    engine = default_engine()
    assert engine._grid("mainland", dt.date(2026, 6, 1)).rate_for(Decimal("1700")) == Decimal("1.3")
    assert engine._grid("gp-mq-re", dt.date(2026, 6, 1)).rate_for(Decimal("1700")) == 0
    assert engine._grid("mainland", dt.date(2025, 6, 1)).rate_for(Decimal("60000")) == 43


def test_month_outside_enrollment_is_refused():
    with pytest.raises(CaseError) as error:
        compute(case(entry_date=dt.date(2022, 4, 1)))
    assert error.value.field == "month"


def test_guadeloupe_350_and_351_hours_get_the_defraiements():
    # The guide: allowances above 351 h, défraiements below 350 h. The product's reading: one
    # boundary; 350 h and 351 h are not paid and get the défraiements: meals 76.22 + transport
    # 53.36 (5 to 15 km) = 129.58 for a full month. 351.5 h is paid and gets the allowance
    # (10 km: none, as it is under 15 km).
    for hours in ("350", "351"):
        result = compute(
            case(
                region="guadeloupe",
                entry_date=dt.date(2022, 1, 3),
                training_total_hours=Decimal(hours),
                distance_km=Decimal(10),
            )
        )
        assert result.remuneration == Decimal("0.00"), hours
        assert result.allowances == Decimal("129.58"), hours
    longer = compute(
        case(
            region="guadeloupe",
            entry_date=dt.date(2022, 1, 3),
            training_total_hours=Decimal("351.5"),
            distance_km=Decimal(10),
        )
    )
    assert longer.remuneration == Decimal("685.00")
    assert longer.allowances == Decimal("0.00")
