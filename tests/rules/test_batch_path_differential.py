"""The batch path (Engine.compute_many) against the per-case path (`compute(case, False)`, the
reference): every field of every Result equal, value and written form, and an invalid case
raising what compute raises. The contract any faster batch path (a fast path for the common
shapes, integer cents, columns) must keep: issue 18 §4."""

import dataclasses
import datetime as dt
import random
from decimal import Decimal
from unittest import mock

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from remu.rules import columns as columns_module
from remu.rules.bench import make_cases, make_rows
from remu.rules.columns import case_of_row, row_of_case
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


# -- the columnar path (remu/rules/columns.py) ------------------------------------------------


def assert_columns_match(cases, engine=None, reference_engine=None):
    """compute_columns over `cases` in one batch, and compute_rows over the same cases as rows
    of plain values, against compute(case, False) one by one."""
    engine, reference_engine = engine or Engine(), reference_engine or Engine()
    expected = [reference(reference_engine, case) for case in cases]
    rows = [row_of_case(case) for case in cases]
    assert [case_of_row(row) for row in rows] == cases
    if any(isinstance(e, str) for e in expected):  # the batch raises the first error in order
        first = next(e for e in expected if isinstance(e, str))
        for path in (lambda: engine.compute_columns(cases), lambda: engine.compute_rows(rows)):
            try:
                path()
            except ValueError as error:
                assert f"{type(error).__name__}: {error}" == first
            else:
                raise AssertionError(f"no error, expected {first}")
        cases = [c for c, e in zip(cases, expected, strict=True) if not isinstance(e, str)]
        rows = [r for r, e in zip(rows, expected, strict=True) if not isinstance(e, str)]
        expected = [e for e in expected if not isinstance(e, str)]
    columns = engine.compute_columns(cases)
    from_rows = engine.compute_rows(rows)
    for batch in (columns, from_rows):
        got = batch.results()
        assert len(got) == len(cases)
        for case, a, b in zip(cases, expected, got, strict=True):
            assert_same(case, a, b)
        assert batch.net_total() == sum((r.net for r in expected), Decimal(0))
    assert from_rows.fallback.keys() == columns.fallback.keys()
    return columns


def test_the_bench_generator_200_000_cases_through_the_columns():
    """200,000 of the bench's trainee-months (its seed), field by field, value and written
    form; nearly all of them through the columns, not the per-case fallback."""
    cases = make_cases(random.Random(20261122), 200_000)
    engine, reference_engine = Engine(), Engine()
    for chunk in range(0, len(cases), 100_000):
        part = cases[chunk : chunk + 100_000]
        columns = assert_columns_match(part, engine, reference_engine)
        assert len(columns.fallback) < len(part) // 100


@st.composite
def column_cases(draw):
    """The shapes the columnar path computes itself (and their near misses)."""
    year, month = draw(st.integers(2022, 2026)), draw(st.integers(1, 12))
    first = dt.date(year, month, 1)
    entry = first + dt.timedelta(days=draw(st.integers(-400, 31)))
    exit_date = draw(st.one_of(st.none(), st.just(first + dt.timedelta(draw(st.integers(-3, 40))))))
    absences = ()
    if draw(st.booleans()):
        start = first + dt.timedelta(days=draw(st.integers(-5, 31)))
        reason = draw(st.sampled_from(REASONS[:7]))
        absences = (
            Absence(
                start,
                start + dt.timedelta(days=draw(st.integers(-1, 10))),
                reason,
                hours=draw(st.sampled_from([None, Decimal(7), Decimal("3.5"), Decimal("2.25")])),
                kind=draw(st.sampled_from(["BIRTH", "OWN_MARRIAGE", "DEATH_PARENT", None])),
            ),
        )
    weekly = draw(st.sampled_from(["35", "34.99", "30", "29.99", "24", "20", "15", "1"]))
    present = draw(
        st.one_of(
            st.none(),
            st.integers(0, 20000).map(lambda c: Decimal(c) / 100),
            st.sampled_from([Decimal("151.55"), Decimal("200"), Decimal("20.10")]),
        )
    )
    return Case(
        region=draw(st.sampled_from(REGIONS)),
        year=year,
        month=month,
        category=draw(st.sampled_from(CATEGORIES[:8])),
        birth_date=entry - dt.timedelta(days=draw(st.integers(5000, 70 * 366))),
        entry_date=entry,
        exit_date=exit_date,
        weekly_hours=Decimal(weekly),
        absences=absences,
        hours_present=present,
        distance_km=draw(
            st.one_of(st.none(), st.integers(0, 30000).map(lambda c: Decimal(c) / 100))
        ),
        entry_bonus_granted=draw(st.booleans()),
        id=str(draw(st.integers(0, 10**6))),
    )


@settings(max_examples=300, deadline=None)
@given(st.lists(column_cases(), min_size=1, max_size=40))
def test_columns_on_any_batch_of_common_shapes(cases):
    assert_columns_match(cases, BATCH_ENGINE, ENGINE)


@settings(max_examples=300, deadline=None)
@given(st.lists(cases(), min_size=1, max_size=10))
def test_columns_on_any_batch_of_any_case(batch):
    assert_columns_match(batch, BATCH_ENGINE, ENGINE)


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.one_of(column_cases(), column_cases(), cases()), min_size=2, max_size=30),
    st.integers(1, 7),
)
def test_columns_read_a_block_of_rows_at_a_time(batch, block):
    """The rows are read a block at a time (4,096 in use): batches across blocks of a few
    rows, absences, exits, unusual and invalid cases in any block, give what compute gives
    (and raise what it raises for the first invalid case)."""
    with mock.patch.object(columns_module, "BLOCK", block):
        assert_columns_match(batch, BATCH_ENGINE, ENGINE)


def test_a_row_of_another_length_in_a_later_block_is_refused():
    rows = make_rows(random.Random(3), 5)
    with (
        mock.patch.object(columns_module, "BLOCK", 2),
        pytest.raises(ValueError, match="14 values"),
    ):
        Engine().compute_rows(rows[:4] + [rows[4][:-1]])


def edge_cases():
    """Entry and exit on the first and last day, February (leap and not), 35 h against
    34.99 h, part-time caps, every region, every category, each absence reason at the
    month's edges."""
    out = []
    n = 0
    for region in REGIONS:
        for year, month in ((2024, 2), (2025, 2), (2025, 12), (2026, 1), (2025, 7)):
            first = dt.date(year, month, 1)
            last = dt.date(year + month // 12, month % 12 + 1, 1) - dt.timedelta(days=1)
            for category in CATEGORIES:
                for weekly, present in (
                    ("35", None),
                    ("34.99", "151.50"),
                    ("34.99", "160"),
                    ("30", None),
                    ("29.99", "129.86"),
                    ("20", "86.60"),
                    ("20", "86.61"),
                ):
                    for entry, exit_date in (
                        (first, None),
                        (last, None),
                        (first - dt.timedelta(days=40), first),
                        (first - dt.timedelta(days=40), last),
                        (first + dt.timedelta(days=14), last - dt.timedelta(days=1)),
                    ):
                        n += 1
                        reason = REASONS[n % 7]
                        start = (first, last, first + dt.timedelta(days=27))[n % 3]
                        absences = (
                            (
                                Absence(
                                    start,
                                    start + dt.timedelta(days=n % 5),
                                    reason,
                                    hours=Decimal(7),
                                    kind="BIRTH",
                                ),
                            )
                            if n % 2
                            else ()
                        )
                        out.append(
                            Case(
                                region=region,
                                year=year,
                                month=month,
                                category=category,
                                birth_date=dt.date(1990 + n % 20, 1 + n % 12, 1 + n % 28),
                                entry_date=entry,
                                exit_date=exit_date,
                                weekly_hours=Decimal(weekly),
                                absences=absences,
                                hours_present=None if present is None else Decimal(present),
                                prior_monthly_salary=Decimal("1500"),
                                distance_km=Decimal(n % 90) if n % 3 else None,
                                entry_bonus_granted=bool(n % 4 == 0),
                                id=str(n),
                            )
                        )
    return out


def test_columns_on_the_edge_cases():
    cases = edge_cases()
    engine = Engine()
    expected = [reference(engine, case) for case in cases]
    valid = [c for c, e in zip(cases, expected, strict=True) if not isinstance(e, str)]
    assert len(valid) > len(cases) // 2
    columns = assert_columns_match(valid)
    assert len(columns.fallback) < len(valid)  # most of them through the columns


def test_the_explanation_on_demand_gives_the_columns_figures():
    cases = make_cases(random.Random(11), 500)
    columns = Engine().compute_columns(cases)
    assert len(columns.fallback) < 10
    engine = Engine()
    for i, case in enumerate(cases):
        batch_result, explained = columns.result(i), engine.compute(case, True)
        assert explained.explanation and batch_result.explanation == []
        for name in FIELDS:
            if name != "explanation":
                assert getattr(explained, name) == getattr(batch_result, name), (case, name)


def test_an_invalid_case_in_a_batch_raises_what_compute_raises():
    cases = make_cases(random.Random(3), 50)
    bad = dataclasses.replace(cases[20], weekly_hours=Decimal(0))
    worse = dataclasses.replace(cases[30], region="nowhere")
    with pytest.raises(ValueError) as raised:
        Engine().compute_columns(cases[:20] + [bad] + cases[20:30] + [worse])
    assert "weekly_hours" in str(raised.value)
    skipped = Engine().compute_columns([bad, *cases[:5], worse], errors="skip")
    results = skipped.results()
    assert results[0] is None and results[-1] is None
    assert [r.net for r in results[1:6]] == [Engine().compute(c, False).net for c in cases[:5]]


def test_columns_withholding_at_a_grid_bound():
    """A taxable amount equal to a bound, a cent below, a cent above: the grid's own rule."""
    from remu.rules.parameters import WithholdingGrid

    cases = [
        c
        for c in make_cases(random.Random(8), 3000)
        if not c.entry_bonus_granted and c.region == "national"
    ]
    remunerations = sorted({Engine().compute(c, False).remuneration for c in cases})
    for taxable in remunerations[len(remunerations) // 2 :][:5]:
        for bound in (taxable - Decimal("0.01"), taxable, taxable + Decimal("0.01")):
            grid = WithholdingGrid(
                dt.date(2000, 1, 1),
                (bound, bound + 100),
                (Decimal(0), Decimal("1.5"), Decimal("7.3")),
            )
            withholding = {t: [grid] for t in Engine().withholding}
            engine = Engine(withholding=withholding)
            columns = assert_columns_match(cases, engine, Engine(withholding=withholding))
            assert len(columns.fallback) < len(cases) // 10
    # No grid at all: no withholding, in both paths.
    columns = assert_columns_match(cases[:300], Engine(withholding={}), Engine(withholding={}))
    assert not columns.withholding.any()


def test_rows_of_the_bench_through_the_columns():
    """The bench's own rows (absences as plain tuples) give what its Case objects give."""
    rows = make_rows(random.Random(20261122), 20_000)
    cases = make_cases(random.Random(20261122), 20_000)
    from_rows, from_cases = Engine().compute_rows(rows), Engine().compute_columns(cases)
    assert from_rows.net_total() == from_cases.net_total()
    assert from_rows.results() == from_cases.results()
    assert len(from_rows.fallback) < len(rows) // 100


def test_a_row_with_other_fields_goes_the_per_case_way():
    """`extra` holds the Case's other fields: one that changes the pay is computed by the
    per-case path; an unknown one or a row of the wrong length is refused."""
    engine = Engine()
    case = next(c for c in make_cases(random.Random(9), 200) if c.weekly_hours >= 30)
    taxed = dataclasses.replace(case, tax_rate=Decimal("7.5"), prior_closure_days_paid=2)
    row = row_of_case(taxed)
    assert row[-1] == {"tax_rate": Decimal("7.5"), "prior_closure_days_paid": 2}
    columns = engine.compute_rows([row_of_case(case), row])
    assert list(columns.fallback) == [1]
    assert columns.results() == [engine.compute(case, False), engine.compute(taxed, False)]
    plain = engine.compute_rows([row[:-1] + ({"prior_closure_days_paid": 2},)])
    assert not plain.fallback and plain.results() == [engine.compute(case, False)]
    with pytest.raises(TypeError):
        engine.compute_rows([row[:-1] + ({"nickname": "x"},)])
    with pytest.raises(ValueError, match="14 values"):
        engine.compute_rows([row[:-1]])


def test_a_row_of_odd_values_raises_what_compute_raises():
    """A date that is not a date, a datetime: the per-case path decides, as for a Case."""
    case = make_cases(random.Random(12), 1)[0]
    for odd in (
        dataclasses.replace(case, entry_date=dt.datetime(2025, 1, 3)),
        dataclasses.replace(case, exit_date="2025-01-03"),
        dataclasses.replace(case, birth_date=None),
    ):
        row = row_of_case(odd)
        expected = _error_or_result(lambda c=odd: Engine().compute(c, False))
        got = _error_or_result(lambda r=row: Engine().compute_rows([r]).results()[0])
        assert_same(odd, expected, got)
        assert isinstance(expected, str)


def _error_or_result(compute):
    try:
        return compute()
    except (ValueError, TypeError, AttributeError) as error:
        return f"{type(error).__name__}: {error}"
