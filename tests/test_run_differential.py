"""A run's reading and computing shortcuts (issue 18) give what the plain path gives: each
chunk query compiled once gives the rows Django's queryset gives, and the memo (a case built
and computed once per distinct key) gives every due, social contribution, payment line, amount
owed and anomaly that building and computing every case gives, on trainees that differ in
every way the engine looks at."""

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from remu.attendance import services as attendance
from remu.attendance.models import SickLeave
from remu.dossiers import travel
from remu.dossiers.models import WeeklyHoursChange
from remu.overpayments import claims, overlap, wrong_information
from remu.payments import memo, selectors, services
from remu.payments.models import Adjustment, TaxRate

from . import factories as f
from .admitted import admitted_dossier, run

MARCH, APRIL, MAY = dt.date(2026, 3, 1), dt.date(2026, 4, 1), dt.date(2026, 5, 1)
TODAY = {MARCH: dt.date(2026, 4, 10), APRIL: dt.date(2026, 5, 10), MAY: dt.date(2026, 6, 10)}


PART_TIME = ("20", "18", "20", "15", "20")  # hours a week, in turn


def validate(dossier, provider_user, month, *, absences=()):
    statement = attendance.create_statement(dossier.action, provider_user, TODAY[month])
    line = statement.lines.get()
    if line.full_time:
        attendance.declare_presence([line], "full_month")
    else:  # the hours given, one a week in training, for as many weeks as the month has
        entry = dossier.enrollment.entry_date
        hours = [
            Decimal(PART_TIME[i % len(PART_TIME)]) if end >= entry else Decimal(0)
            for i, (_start, end) in enumerate(attendance.weeks_of_month(month))
        ]
        attendance.save_part_time(line, hours, days_present=15)
    for reason, start, end in absences:
        attendance.add_absence(line, reason=reason, start=start, end=end, place="centre")
    attendance.validate_lines([line], provider_user)
    return line


@pytest.fixture
def varied(pay_world):
    """Twelve trainees of the CVL set: twins that differ by their birth date only (same band:
    one result; another band: another), categories, part time, an exit, closure days and
    sickness, a sick leave, a move, changing weekly hours, an entry bonus, an approved
    adjustment, and a negative one that leaves an amount owed."""
    world = pay_world
    region, agent, provider_user = world["region"], world["agent"], world["provider_user"]
    provider = world["dossier"].action.provider
    second = f.AgentFactory(region=region)
    people = [
        # (birth date, category, weekly hours, exit date, entry bonus)
        (dt.date(1990, 1, 1), "JOB_SEEKER", Decimal(35), None, True),
        (dt.date(1991, 6, 5), "JOB_SEEKER", Decimal(35), None, True),  # twin, same band
        (dt.date(2006, 6, 5), "JOB_SEEKER", Decimal(35), None, True),  # twin, another band
        (dt.date(2004, 2, 2), "RSA_GJ", Decimal(35), None, False),
        (dt.date(2005, 2, 2), "RSA_GJ", Decimal(35), None, False),
        (dt.date(1985, 3, 3), "JOB_SEEKER", Decimal(20), None, False),  # part time
        (dt.date(1986, 3, 3), "JOB_SEEKER", Decimal(20), None, False),  # part time twin
        (dt.date(1980, 4, 4), "JOB_SEEKER", Decimal(35), dt.date(2026, 4, 17), True),  # exits
        (dt.date(1992, 5, 5), "JOB_SEEKER", Decimal(35), None, False),  # closure, sickness
        (dt.date(1993, 7, 7), "JOB_SEEKER", Decimal(35), None, False),  # sick leave
        (dt.date(1994, 8, 8), "JOB_SEEKER", Decimal(35), None, False),  # move, hours change
        (dt.date(1995, 9, 9), "JOB_SEEKER", Decimal(35), None, True),  # adjustments
    ]
    dossiers = []
    for birth, category, weekly, exit_date, bonus in people:
        dossier = admitted_dossier(
            region, provider, agent, category=category, weekly=weekly, exit_date=exit_date
        )
        dossier.action.entry_bonus = bonus
        dossier.action.save()
        trainee = dossier.enrollment.trainee
        trainee.birth_date = birth
        trainee.save()
        dossiers.append(dossier)
    closing, sick, moving, adjusted = dossiers[8], dossiers[9], dossiers[10], dossiers[11]
    travel.save_first(
        moving, distance_km=Decimal("30"), justification="", housing=False, user=agent
    )
    travel.add_move(
        moving,
        valid_from=dt.date(2026, 4, 15),
        distance_km=Decimal("60"),
        justification="déménagement",
        housing=True,
        user=agent,
    )
    WeeklyHoursChange.objects.create(
        dossier=moving, valid_from=dt.date(2026, 4, 20), weekly_hours=20, recorded_by=agent
    )
    SickLeave.objects.create(
        enrollment=sick.enrollment,
        kind="SICKNESS",
        start=dt.date(2026, 4, 6),
        end=dt.date(2026, 4, 15),
        daily_allowance=Decimal("15.00"),
        created_by=agent,
    )
    for month in (MARCH, APRIL):
        for dossier in dossiers:
            absences = ()
            if dossier is closing:
                absences = [
                    ("CENTRE_CLOSURE", month.replace(day=16), month.replace(day=25)),
                    ("SICKNESS", month.replace(day=27), month.replace(day=28)),
                ]
            elif dossier is sick and month == APRIL:
                absences = [("SICKNESS", dt.date(2026, 4, 6), dt.date(2026, 4, 15))]
            validate(dossier, provider_user, month, absences=absences)
        if month == MARCH:
            run(region, agent, MARCH)
    for amount, corrects in ((Decimal("45.50"), "adjustment"), (Decimal("-3000.00"), "adjustment")):
        Adjustment.objects.create(
            region=region,
            enrollment=adjusted.enrollment,
            month=MARCH if amount < 0 else APRIL,
            corrects=corrects,
            amount=amount,
            reason="Correction",
            status=Adjustment.Status.APPROVED,
            created_by=agent,
            decided_by=second,
            decided_at=timezone.now(),
        )
    TaxRate.objects.create(  # a personalised rate for one twin, the default grid for the other
        region=region,
        nir=dossiers[0].enrollment.trainee.nir,
        rate=Decimal("7.50"),
        valid_from=dt.date(2026, 1, 1),
    )
    return {**world, "dossiers": dossiers}


def chunk_orders(world, month, memo_class, monkeypatch):
    """What the run of `month` computes for every enrollment, in chunks of five sharing the
    run's context (and its memo), with this memo."""
    monkeypatch.setattr(services, "CaseMemo", memo_class)
    region = world["region"]
    run_ = services.start_run(region, "monthly", month, world["agent"], preview=True)
    ctx = services.RunContext(region, month)
    dues, social, payments, claims, anomalies, labels = [], [], [], [], [], {}
    for _done, bounds in services.chunks(selectors.payable_enrollments(region), 5):
        dossiers = selectors.payables(region, bounds)
        inputs = services.read_chunk(ctx, bounds, lock=False)
        orders = services.compute_chunk(ctx, run_, bounds, dossiers, inputs, social=social)
        dues += orders.dues
        payments += [
            {k: v for k, v in row.items() if k not in ("reference", "created_at", "run_id")}
            for row in orders.payments
        ]
        claims += orders.claims
        anomalies += orders.anomalies
        labels.update(orders.taken.labels)
    run_.delete()
    return dues, social, payments, claims, anomalies, labels


def same_orders(world, month, monkeypatch):
    memos = []

    class Counted(memo.CaseMemo):
        def __init__(self, compute):
            super().__init__(compute)
            memos.append(self)

    shared = chunk_orders(world, month, Counted, monkeypatch)
    alone = chunk_orders(world, month, memo.NoMemo, monkeypatch)
    for name, mine, plain in zip(
        ("dues", "social", "payments", "claims", "anomalies", "labels"), shared, alone, strict=True
    ):
        assert mine == plain, name
    assert len(memos) == 1  # one memo for the run's chunks
    return memos[0], shared


def test_the_memo_gives_every_row_the_plain_path_gives(varied, monkeypatch):
    found, (dues, social, payments, claims, _anomalies, _labels) = same_orders(
        varied, APRIL, monkeypatch
    )
    lines = 2 * len(varied["dossiers"]) + 2  # March and April, the pay_world trainee's too
    assert 0 < found.computed < lines  # the twins share a result; the others do not
    components = {row["component"] for row in dues}
    assert {"remuneration", "allowances", "entry_bonus", "complement", "adjustment"} <= components
    assert claims  # the negative adjustment is owed
    assert social
    assert any(p["withholding"] for p in payments)


def test_the_memo_gives_the_offsets_of_a_later_run(varied, monkeypatch):
    region, agent = varied["region"], varied["agent"]
    run(region, agent, APRIL)  # records the amount owed
    for dossier in varied["dossiers"]:
        if dossier.enrollment.exit_date is None:
            validate(dossier, varied["provider_user"], MAY)
    _found, orders = same_orders(varied, MAY, monkeypatch)
    assert any(p["offset"] for p in orders[2])  # the amount owed taken on May's line


def test_each_compiled_query_gives_the_rows_of_its_queryset(varied):
    region = varied["region"]
    ids = selectors.payable_enrollments(region)
    first, last = ids[0], ids[-1]
    queries = {
        f"{module.__name__}.{name}": value
        for module in (selectors, claims, overlap, wrong_information)
        for name, value in vars(module).items()
        if isinstance(value, selectors.Compiled)
    }
    assert len(queries) >= 15
    for name, query in queries.items():
        places = query._placeholders
        values = {selectors.FIRST: first, selectors.LAST: last, selectors.UPTO: APRIL}
        args = [region.pk if place == selectors.REGION else values[place] for place in places]
        expected = list(query._build(*args))
        assert query(*args) == expected, name
        assert query(*args) == expected, name  # the compiled SQL run again
