"""Properties that hold for every trainee-month (hypothesis)."""

import datetime as dt
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from remu.rules.cli import compute_all
from remu.rules.engine import Absence, Case, compute
from remu.rules.money import cents

REGIONS = [
    "national",
    "centre-val-de-loire",
    "bourgogne-franche-comte",
    "guadeloupe",
    "hauts-de-france",
]
CATEGORIES = ["JOB_SEEKER", "PRIOR_ACTIVITY", "FAMILY_SITUATION", "DISABLED"]
UNPAID = ["UNJUSTIFIED", "SICKNESS", "PARENTAL_LEAVE"]


@st.composite
def months(draw):
    year = draw(st.integers(2022, 2026))
    month = draw(st.integers(1, 12))
    return year, month


@st.composite
def full_time_cases(draw, absences=None):
    year, month = draw(months())
    first = dt.date(year, month, 1)
    last = (first + dt.timedelta(days=32)).replace(day=1) - dt.timedelta(days=1)
    entry = draw(st.dates(first - dt.timedelta(days=400), last))
    exit_date = draw(
        st.one_of(st.none(), st.dates(max(entry, first), last + dt.timedelta(days=90)))
    )
    if absences is None:
        absences = draw(
            st.lists(
                st.tuples(st.integers(1, last.day), st.integers(0, 6), st.sampled_from(UNPAID)),
                max_size=4,
            )
        )
    return Case(
        region=draw(st.sampled_from(REGIONS)),
        year=year,
        month=month,
        category=draw(st.sampled_from(CATEGORIES)),
        birth_date=draw(st.dates(dt.date(1955, 1, 1), dt.date(2008, 1, 1))),
        entry_date=entry,
        exit_date=exit_date,
        weekly_hours=Decimal(35),
        absences=tuple(
            Absence(
                dt.date(year, month, d),
                min(dt.date(year, month, d) + dt.timedelta(days=n), last),
                reason,
            )
            for d, n, reason in absences
        ),
    )


@settings(max_examples=300, deadline=None)
@given(full_time_cases())
def test_never_negative_never_above_the_monthly_amount(case):
    result = compute(case, explain=False)
    assert Decimal(0) <= result.remuneration <= result.monthly_amount
    assert 0 <= result.paid_thirtieths <= 30
    assert result.net == result.gross - result.withholding


@settings(max_examples=200, deadline=None)
@given(full_time_cases(absences=[]), st.integers(1, 28), st.integers(0, 10))
def test_monotone_in_unpaid_absences(case, day, length):
    without = compute(case, explain=False).remuneration
    start = dt.date(case.year, case.month, day)
    case.absences = (Absence(start, start + dt.timedelta(days=length), "UNJUSTIFIED"),)
    with_absence = compute(case, explain=False).remuneration
    assert with_absence <= without


@settings(max_examples=200, deadline=None)
@given(full_time_cases(absences=[]))
def test_a_full_month_without_absence_pays_the_monthly_amount(case):
    case.entry_date = min(case.entry_date, dt.date(case.year, case.month, 1))
    case.exit_date = None
    result = compute(case, explain=False)
    assert result.paid_thirtieths == 30 and result.remuneration == result.monthly_amount


@settings(max_examples=200, deadline=None)
@given(full_time_cases(absences=[]), st.integers(1, 29), st.decimals(0, 200, places=2))
def test_part_time_never_above_the_cap(case, weekly, present):
    case.weekly_hours = Decimal(weekly)
    case.hours_present = present
    result = compute(case, explain=False)
    cap = cents(Decimal(weekly) * Decimal("4.33"))
    assert result.paid_hours <= cap
    assert result.remuneration <= cents(cap * result.hourly_rate)


@settings(max_examples=100, deadline=None)
@given(full_time_cases())
def test_the_cli_and_the_engine_agree(case):
    raw = {
        "id": "h",
        "region": case.region,
        "month": f"{case.year}-{case.month:02d}",
        "category": case.category,
        "birth_date": case.birth_date.isoformat(),
        "entry_date": case.entry_date.isoformat(),
        "exit_date": case.exit_date.isoformat() if case.exit_date else None,
        "weekly_hours": 35,
        "absences": [
            {"start": a.start.isoformat(), "end": a.end.isoformat(), "reason": a.reason}
            for a in case.absences
        ],
    }
    [via_cli] = compute_all([raw])
    direct = compute(case)
    assert via_cli["remuneration"] == f"{direct.remuneration:.2f}"
    assert via_cli["net"] == f"{direct.net:.2f}"
    assert via_cli["explanation"] == direct.explanation


FAVOURABLE_CATEGORIES = CATEGORIES + ["RSA_GJ", "DETAINEE", "DISABLED_PRIOR_SALARY"]
NATIONAL_EQUIVALENT = {"RSA_GJ": "JOB_SEEKER"}


@settings(max_examples=300, deadline=None)
@given(
    full_time_cases(absences=[]),
    st.sampled_from(["centre-val-de-loire", "bourgogne-franche-comte"]),
    st.sampled_from(FAVOURABLE_CATEGORIES),
    st.decimals(0, 4000, places=2),
    st.integers(1, 35),
)
def test_never_below_national_where_more_favourable_applies(case, region, category, salary, weekly):
    # From the day the region says the national scale applies when more favourable, the
    # trainee never gets less than the national scale gives the same person.
    if region == "centre-val-de-loire" and (case.year, case.month) < (2021, 5):
        return
    if category == "RSA_GJ" and region != "centre-val-de-loire":
        return
    case.region, case.category = region, category
    case.prior_monthly_salary = salary
    case.weekly_hours = Decimal(weekly)
    case.hours_present = cents(Decimal(weekly) * Decimal("4.33"))
    regional = compute(case, explain=False).remuneration
    case.region, case.category = "national", NATIONAL_EQUIVALENT.get(category, category)
    national = compute(case, explain=False).remuneration
    assert regional >= national


@settings(max_examples=200, deadline=None)
@given(full_time_cases(), st.integers(1, 35), st.one_of(st.none(), st.decimals(0, 200, places=2)))
def test_social_contributions_are_the_base_times_the_hours(case, weekly, present):
    case.weekly_hours = Decimal(weekly)
    case.hours_present = present if present is not None or weekly >= 30 else Decimal(10)
    result = compute(case, explain=False)
    if case.year < 2026:
        assert result.social_contributions is None
    else:
        assert result.social_contributions == cents(
            result.social_contribution_hours * Decimal("2.03")
        )
        assert result.net == result.gross - result.withholding  # not paid to the trainee
