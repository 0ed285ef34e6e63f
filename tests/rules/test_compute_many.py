"""The batch path (Engine.compute_many) gives, to the cent, what the per-case path gives."""

import dataclasses
import datetime as dt
import random
from decimal import Decimal

from remu.rules.bench import make_cases
from remu.rules.engine import Case, Engine

FIELDS = [f.name for f in dataclasses.fields(Case)]
COMPARED = (
    "monthly_amount",
    "hourly_rate",
    "paid_thirtieths",
    "paid_hours",
    "remuneration",
    "allowances",
    "gross",
    "withholding",
    "net",
    "version_label",
    "version_start",
    "entry_bonus",
    "social_contributions",
    "social_contribution_hours",
    "complement",
    "complement_days",
)


def repeated_population(rng: random.Random, count: int) -> list[Case]:
    """Trainee-months that repeat, as a real population's do: full months paid in thirtieths,
    a few entries and exits in the month, every age (so the age classes are exercised), prior
    salaries, an entry bonus now and then, and some absences, hours and distances."""
    cases = []
    for n in range(count):
        year, month = rng.choice([(2025, 1), (2025, 9), (2026, 2), (2026, 7)])
        first = dt.date(year, month, 1)
        region = rng.choice(["national", "centre-val-de-loire", "guadeloupe", "mayotte"])
        category = rng.choice(["JOB_SEEKER", "JOB_SEEKER", "PRIOR_ACTIVITY", "DISABLED"])
        entry = first - dt.timedelta(days=rng.choice([200, 40, 3, -5, -12]))
        case = Case(
            region=region,
            year=year,
            month=month,
            category=category,
            birth_date=dt.date(rng.randrange(1955, 2010), rng.randrange(1, 13), 15),
            entry_date=entry,
            exit_date=first + dt.timedelta(days=rng.choice([9, 20]))
            if rng.random() < 0.1
            else None,
            weekly_hours=Decimal(rng.choice([35, 35, 30])),
            prior_monthly_salary=Decimal(rng.choice([900, 1400, 2600]))
            if category == "PRIOR_ACTIVITY"
            else None,
            training_total_hours=Decimal(rng.choice([50, 400])) if rng.random() < 0.2 else None,
            entry_bonus_granted=rng.random() < 0.2,
            entry_bonus_paid=rng.random() < 0.3,
            tax_rate=Decimal("7.5") if rng.random() < 0.05 else None,
            id=str(n),
        )
        cases.append(case)
    # A share of the bench's varied cases too: absences, part time, distances, bonuses.
    return cases + make_cases(rng, count // 4)


def per_case(engine: Engine, cases):
    out = []
    for case in cases:
        try:
            out.append(engine.compute(case, False))
        except ValueError as error:
            out.append(str(error))
    return out


def test_compute_many_matches_compute_to_the_cent():
    rng = random.Random(18)
    cases = repeated_population(rng, 4000)
    expected = per_case(Engine(), cases)
    valid = [c for c, r in zip(cases, expected, strict=True) if not isinstance(r, str)]
    wanted = [r for r in expected if not isinstance(r, str)]
    engine = Engine()
    got = engine.compute_many(valid)
    assert len(got) == len(valid)
    for case, a, b in zip(valid, wanted, got, strict=True):
        for name in COMPARED:
            assert getattr(a, name) == getattr(b, name), (case, name)
    # A second pass, the month and scale caches warm, gives the same again.
    again = engine.compute_many(valid)
    assert [r.net for r in again] == [r.net for r in wanted]


def test_compute_many_raises_what_compute_raises():
    case = make_cases(random.Random(1), 1)[0]
    bad = dataclasses.replace(case, category="NOPE")
    engine = Engine()
    for path in (lambda: engine.compute(bad, False), lambda: engine.compute_many([bad])):
        try:
            path()
        except ValueError as error:
            assert "catégorie" in str(error)
        else:
            raise AssertionError("no error")


def test_the_explanation_on_demand_is_the_single_case_one():
    engine = Engine()
    population = repeated_population(random.Random(3), 60)
    results = per_case(engine, population)
    cases = [c for c, r in zip(population, results, strict=True) if not isinstance(r, str)]
    batch = engine.compute_many(cases)
    for case, result in zip(cases, batch, strict=True):
        explained = engine.compute(case)
        assert explained.net == result.net and explained.explanation
