"""Who pays a trainee on France Travail's ARE (seed 001 §3.1.1, §3.5, §3.5.2), the pay start in
the engine, and the facts that decide a proposed category."""

import datetime as dt
from decimal import Decimal

import pytest

from remu.rules.engine import compute, default_engine
from remu.rules.proposal import propose, region_pay
from remu.rules.situation import Situation, prior_activity

from .helpers import absence, case

ENTRY, END = dt.date(2026, 3, 2), dt.date(2026, 9, 30)


def pay(**kw):
    base = dict(
        on_are=True,
        are_end=dt.date(2026, 5, 31),
        disabled_worker=False,
        disabled_chooses_regional_pay=False,
        entry=ENTRY,
        end=END,
    )
    return region_pay(**{**base, **kw})


def test_not_on_are_the_region_pays_from_entry_with_the_bonus():
    found = pay(on_are=False)
    assert found.pay_start is None and found.entry_bonus and found.text == ""


def test_are_ending_during_the_training_relays_the_day_after_without_bonus():
    found = pay()
    assert found.pay_start == dt.date(2026, 6, 1) and found.paid_by_region
    assert not found.entry_bonus
    assert found.text.startswith("Non rémunéré par la Région jusqu'au 31/05/2026")
    assert "Barème régional à partir du 01/06/2026 (relais, seed 001 §3.5.2)" in found.text


def test_are_covering_the_training_means_no_regional_pay():
    found = pay(are_end=dt.date(2026, 12, 31))
    assert not found.paid_by_region and found.pay_start == dt.date(2027, 1, 1)
    assert found.text.startswith("Non rémunéré par la Région : allocation France Travail")


def test_a_disabled_worker_may_choose_the_regional_pay():
    kept = pay(are_end=dt.date(2026, 12, 31), disabled_worker=True)
    assert not kept.paid_by_region and "droit d'option" in kept.text
    chosen = pay(
        are_end=dt.date(2026, 12, 31), disabled_worker=True, disabled_chooses_regional_pay=True
    )
    assert chosen.pay_start is None and chosen.paid_by_region and chosen.entry_bonus


def test_are_ended_before_entry_changes_nothing():
    found = pay(are_end=dt.date(2026, 2, 1))
    assert found.pay_start is None and found.entry_bonus


@pytest.mark.parametrize(
    ("pay_start", "thirtieths", "amount"),
    [
        (dt.date(2022, 3, 16), 15, Decimal("342.50")),  # 685 x 15/30
        (dt.date(2022, 3, 1), 30, Decimal("685.00")),  # from the first: the whole month
        (dt.date(2022, 1, 1), 30, Decimal("685.00")),  # before the month: no effect
        (dt.date(2022, 4, 1), 0, Decimal("0.00")),  # after the month: nothing
    ],
)
def test_the_engine_pays_nothing_before_the_pay_start(pay_start, thirtieths, amount):
    result = compute(case(pay_start=pay_start, pay_start_note="fin de l'ARE"))
    assert result.paid_thirtieths == thirtieths and result.remuneration == amount


def test_days_before_the_pay_start_are_not_counted_twice_with_an_absence():
    result = compute(
        case(pay_start=dt.date(2022, 3, 16), absences=(absence("2022-03-10", "2022-03-20"),))
    )
    assert result.paid_thirtieths == 10  # 16..30 minus the absent 16..20


def test_no_allowances_in_a_month_before_the_pay_start():
    result = compute(
        case(
            region="centre-val-de-loire",
            distance_km=Decimal(40),
            pay_start=dt.date(2022, 4, 1),
            pay_start_note="fin de l'ARE le 31/03/2022",
        )
    )
    assert result.remuneration == 0 and result.allowances == 0
    assert (
        "Rémunération par la Région à partir du 01/04/2022 (fin de l'ARE le 31/03/2022) : "
        "aucun jour rémunéré ce mois-ci"
    ) in result.explanation


def test_part_time_hours_before_the_pay_start_are_not_paid():
    result = compute(
        case(weekly_hours=Decimal(20), hours_present=Decimal(80), pay_start=dt.date(2022, 4, 1))
    )
    assert result.paid_hours == 0 and result.remuneration == 0


def test_prior_activity_says_which_threshold_was_met():
    thresholds = {"hours_in_12_months": 910, "months_in_12": 6, "months_in_24": 12}
    assert prior_activity(1200, None, None, thresholds) == (
        True,
        "1200 h salariées sur les 12 derniers mois (seuil : 910)",
    )
    assert prior_activity(100, 3, 12, thresholds) == (
        True,
        "12 mois salariés sur les 24 derniers mois (seuil : 12)",
    )
    assert prior_activity(100, 3, 5, thresholds) == (False, "")


def test_the_proposal_compares_the_national_amount_and_computes_a_full_month():
    found = propose(
        default_engine(),
        "centre-val-de-loire",
        Situation(age=22),
        birth_date=dt.date(2003, 6, 1),
        entry=dt.date(2025, 9, 15),
        weekly_hours=Decimal(35),
        pay=region_pay(
            on_are=False,
            are_end=None,
            disabled_worker=False,
            disabled_chooses_regional_pay=False,
            entry=dt.date(2025, 9, 15),
            end=dt.date(2026, 3, 31),
        ),
    )
    assert found.category == "JOB_SEEKER"
    assert found.region_amount.startswith("500,00 € par mois")
    # National 18-25 in force in October 2025: 561.68, more favourable than the region's 500.
    assert found.national_amount.startswith("561,68 € par mois")
    assert "le national est retenu" in found.national_amount
    assert found.facts == ("22 ans à l'entrée : tranche nationale « 18 à 25 ans »",)
    assert found.full_month == Decimal("561.68")
    assert found.full_month_text.startswith("Un mois complet (10/2025) : 561,68 € brut (30/30")


def test_a_part_time_full_month_is_the_capped_hours_at_the_hourly_rate():
    found = propose(
        default_engine(),
        "national",
        Situation(age=30, part_time=True),
        birth_date=dt.date(1995, 1, 1),
        entry=dt.date(2022, 3, 1),
        weekly_hours=Decimal(20),
        pay=region_pay(
            on_are=False,
            are_end=None,
            disabled_worker=False,
            disabled_chooses_regional_pay=False,
            entry=dt.date(2022, 3, 1),
            end=dt.date(2022, 6, 30),
        ),
    )
    # 685 / 151.67 = 4.52 an hour, 20 x 4.33 = 86.6 hours.
    assert found.full_month == Decimal("391.43")
    assert "86,60 h × 4,52 €" in found.full_month_text
