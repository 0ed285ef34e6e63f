"""The batch path (Engine.compute_many) against the per-case path (`compute(case, False)`, the
reference): every field of every Result equal, value and written form, and an invalid case
raising what compute raises. The contract any faster batch path (a fast path for the common
shapes, integer cents, columns) must keep: issue 18 §4."""

import dataclasses
import datetime as dt
import random
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from remu.rules.bench import make_cases
from remu.rules.engine import Absence, Case, Engine, Result

FIELDS = [f.name for f in dataclasses.fields(Result)]
REGIONS = [
    "national",
    "centre-val-de-loire",
    "bourgogne-franche-comte",
    "guadeloupe",
    "hauts-de-france",
    "mayotte",
]
CATEGORIES = [
    "JOB_SEEKER",
    "PRIOR_ACTIVITY",
    "FAMILY_SITUATION",
    "DISABLED",
    "NON_SALARIED",
    "RSA_GJ",
    "DETAINEE",
    "ASS_PART_TIME",
    "DISABLED_PRIOR_SALARY",
]
REASONS = [
    "UNJUSTIFIED",
    "SICKNESS",
    "JUSTIFIED_PAID",
    "LEGAL_LEAVE",
    "WEATHER",
    "CENTRE_CLOSURE",
    "PARENTAL_LEAVE",
    "PUBLIC_HOLIDAY",
    "LOCAL_DAY",
]


def reference(engine: Engine, case: Case):
    try:
        return engine.compute(case, False)
    except ValueError as error:
        return f"{type(error).__name__}: {error}"


def batch(engine: Engine, case: Case):
    try:
        return engine.compute_many([case])[0]
    except ValueError as error:
        return f"{type(error).__name__}: {error}"


def assert_same(case, expected, got):
    if isinstance(expected, str) or isinstance(got, str):
        assert expected == got, case
        return
    for name in FIELDS:
        a, b = getattr(expected, name), getattr(got, name)
        assert a == b and str(a) == str(b), (case, name, a, b)


def test_the_bench_population_to_the_cent_field_by_field():
    """Tens of thousands of the bench's trainee-months, in one batch (warm caches included)."""
    cases = make_cases(random.Random(20261122), 30_000)
    engine, batch_engine = Engine(), Engine()
    expected = [engine.compute(case, False) for case in cases]
    got = batch_engine.compute_many(cases)
    assert len(got) == len(cases)
    for case, a, b in zip(cases, expected, got, strict=True):
        assert_same(case, a, b)
    # Another population through the same (warm) engine.
    more = make_cases(random.Random(7), 10_000)
    for case, a, b in zip(
        more, [engine.compute(c, False) for c in more], batch_engine.compute_many(more), strict=True
    ):
        assert_same(case, a, b)


@st.composite
def cases(draw):
    year, month = draw(st.integers(2022, 2026)), draw(st.integers(1, 12))
    first = dt.date(year, month, 1)
    entry = first + dt.timedelta(days=draw(st.integers(-400, 35)))
    exit_date = draw(
        st.one_of(st.none(), st.just(first + dt.timedelta(days=draw(st.integers(-40, 70)))))
    )
    absences = []
    for _ in range(draw(st.integers(0, 2))):
        start = first + dt.timedelta(days=draw(st.integers(-10, 32)))
        absences.append(
            Absence(
                start,
                start + dt.timedelta(days=draw(st.integers(-1, 12))),
                draw(st.sampled_from(REASONS)),
                hours=draw(st.sampled_from([None, Decimal(7), Decimal("3.5"), Decimal(0)])),
                kind=draw(st.sampled_from([None, "BIRTH", "OWN_MARRIAGE"])),
            )
        )
    weekly = draw(st.sampled_from(["35", "30", "29.5", "20", "15", "0", "35.00"]))
    return Case(
        region=draw(st.sampled_from(REGIONS + ["nowhere"])),
        year=year,
        month=month,
        category=draw(st.sampled_from(CATEGORIES + ["NOPE"])),
        birth_date=entry - dt.timedelta(days=draw(st.integers(-10, 70 * 366))),
        entry_date=entry,
        exit_date=exit_date,
        weekly_hours=Decimal(weekly),
        absences=tuple(absences),
        hours_present=draw(
            st.one_of(
                st.none(),
                st.decimals(-1, 200, places=2),
                st.sampled_from([Decimal("20"), Decimal("20.0"), Decimal("20.125")]),
            )
        ),
        prior_monthly_salary=draw(st.sampled_from([None, Decimal("1500"), Decimal("900.50")])),
        distance_km=draw(st.one_of(st.none(), st.decimals(0, 120, places=1))),
        training_total_hours=draw(
            st.sampled_from([None, Decimal(50), Decimal(150), Decimal(300), Decimal(1200)])
        ),
        tax_rate=draw(st.sampled_from([None, None, Decimal(0), Decimal("7.5"), Decimal(120)])),
        housing=draw(st.booleans()),
        prior_closure_days_paid=draw(st.integers(0, 10)),
        entry_bonus_granted=draw(st.booleans()),
        entry_bonus_paid=draw(st.booleans()),
        distance_learning=draw(st.booleans()),
        pay_from=draw(st.sampled_from([None, None, None, first + dt.timedelta(days=9)])),
        id="h",
    )


ENGINE, BATCH_ENGINE = Engine(), Engine()


@settings(max_examples=1500, deadline=None)
@given(cases())
def test_any_case_same_result_or_same_error(case):
    assert_same(case, reference(ENGINE, case), batch(BATCH_ENGINE, case))


def test_the_explanation_stays_on_demand():
    case = make_cases(random.Random(5), 1)[0]
    engine = Engine()
    (result,) = engine.compute_many([case])
    assert result.explanation == []
    explained = engine.compute(case)
    assert explained.net == result.net and explained.explanation


def test_the_bench_prints_cpu_time_and_load_beside_the_wall_time(capsys):
    from remu.rules.bench import main

    assert main(["300"]) == 0
    out = capsys.readouterr().out
    assert "300 trainee-months in " in out
    assert "CPU time " in out and "load average " in out
    assert "checksum of net pay: " in out
