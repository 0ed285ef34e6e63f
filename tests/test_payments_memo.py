"""A run computes each distinct case of a chunk once (remu/payments/memo.py): the memo gives
what the engine gives, case by case, explanation included."""

import dataclasses
import datetime as dt
import inspect
import re

import pytest

from remu.payments import memo, selectors, services
from remu.rules import engine as engine_module
from remu.rules.engine import compute as engine_compute

from .conftest import admitted_with_validated_march
from .rules.helpers import case

MARCH = dt.date(2026, 3, 1)


def test_the_engine_reads_the_birth_date_only_for_the_age_at_entry():
    # The memo's key holds the age at entry instead of the birth date: should the engine read
    # the birth date anywhere else, the key must change with it (memo.py).
    source = inspect.getsource(engine_module)
    assert len(re.findall(r"\.birth_date\b", source)) == 1
    assert (
        "birth = case.birth_date\n        age = entry.year - birth.year - "
        "((entry.month, entry.day) < (birth.month, birth.day))" in source
    )
    assert len(re.findall(r"\bbirth\b", source)) == 4  # those two lines only


@pytest.mark.parametrize(
    "region, categories",
    [
        ("centre-val-de-loire", ("RSA_GJ", "JOB_SEEKER")),
        ("mayotte", ("JOB_SEEKER", "NON_SALARIED")),
        ("national", ("JOB_SEEKER", "NON_SALARIED")),
    ],
)
def test_the_memo_gives_the_engine_result_of_each_case(region, categories):
    entry = dt.date(2022, 1, 10)
    cases = [
        case(region=region, category=category, id=str(i), birth_date=birth, entry_date=entry)
        for i, (category, birth) in enumerate(
            (category, dt.date(year, month, day))
            for category in categories
            for year in (2001, 2004, 2005, 1996, 1997)
            for month, day in ((1, 9), (1, 10), (1, 11), (6, 2))
        )
    ]
    found = memo.CaseMemo(engine_compute)
    for one in cases:
        got, expected = found(one), engine_compute(one)
        assert dataclasses.replace(got, id=one.id) == expected
    # the same age at entry shares a result; another age is computed on its own
    assert found.computed == len({(c.category, found_age(c)) for c in cases})


def found_age(one):
    birth, entry = one.birth_date, one.entry_date
    return entry.year - birth.year - ((entry.month, entry.day) < (birth.month, birth.day))


def test_a_case_differing_by_anything_else_is_computed_again():
    found = memo.CaseMemo(engine_compute)
    base = case(region="centre-val-de-loire", category="RSA_GJ", id="1")
    found(base)
    found(dataclasses.replace(base, id="2", birth_date=dt.date(1991, 7, 1)))  # same age
    assert found.computed == 1
    for change in (
        {"weekly_hours": base.weekly_hours - 1},
        {"entry_date": dt.date(2022, 1, 11)},
        {"prior_closure_days_paid": 1},
        {"entry_bonus_granted": True},
        {"birth_date": dt.date(2005, 1, 11)},  # 16 at entry, another band
    ):
        other = dataclasses.replace(base, id="3", **change)
        before = found.computed
        assert dataclasses.replace(found(other), id="3") == engine_compute(other)
        assert found.computed == before + 1, change


def test_a_run_chunk_shares_a_result_between_identical_trainees_only(pay_world, monkeypatch):
    # Three RSA_GJ trainees entering on 2 March 2026 (CVL bands: 20 and under, 21-25, 26 and
    # over): two 25 at entry, born on different days; one 26 at entry, a day older.
    world = pay_world
    region, agent = world["region"], world["agent"]
    provider = world["dossier"].action.provider
    births = [dt.date(2000, 5, 3), dt.date(2000, 3, 3), dt.date(2000, 3, 2)]
    trainees = [world] + [
        admitted_with_validated_march(region, provider, world["provider_user"], agent, number=n)
        for n in (2, 3)
    ]
    for trainee, birth in zip(trainees, births, strict=True):
        trainee["dossier"].rate_category = "RSA_GJ"
        trainee["dossier"].save()
        trainee["enrollment"].trainee.birth_date = birth
        trainee["enrollment"].trainee.save()
    ids = [t["enrollment"].pk for t in trainees]
    bounds = (min(ids), max(ids))

    memos = []

    class Counted(memo.CaseMemo):
        def __init__(self, compute):
            super().__init__(compute)
            memos.append(self)

    def dues_of(memo_class):
        monkeypatch.setattr(services, "CaseMemo", memo_class)
        ctx = services.RunContext(region, MARCH)
        social = []
        dues, anomalies = services.compute_dues(
            ctx, selectors.payables(region, bounds), bounds, social
        )
        assert anomalies == []
        return dues, social

    shared, shared_social = dues_of(Counted)
    alone, alone_social = dues_of(memo.NoMemo)  # every case built and computed
    assert memos[0].computed == 2
    assert shared == alone and shared_social == alone_social
    remuneration = {
        row["enrollment_id"]: row for row in shared if row["component"] == "remuneration"
    }
    first, second, third = (remuneration[pk] for pk in ids)
    assert first["explanation"] == second["explanation"]
    assert first["amount"] == second["amount"]
    assert third["explanation"] != first["explanation"]


def test_a_memo_past_its_limit_starts_again_with_the_same_results():
    # A run's memo lives as long as the run: a varied population must not grow it unbounded.
    found = memo.CaseMemo(engine_compute, limit=2)
    base = case(region="centre-val-de-loire", category="RSA_GJ", id="0")
    cases = [dataclasses.replace(base, id=str(n), prior_closure_days_paid=n) for n in range(3)]
    first = [found(one) for one in cases]
    assert found.computed == 3
    again = found(cases[0])  # emptied when the third came: computed again
    assert found.computed == 4
    assert again == first[0] == engine_compute(cases[0])
    assert len(found._results) <= 2
