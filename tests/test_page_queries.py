"""Each main page reads a fixed number of queries, whatever the number of rows it lists: an
N+1 cannot come back unseen (issue 18). Bounds measured, with a small margin."""

import datetime as dt
import time
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from remu.attendance import services as attendance
from remu.attendance.models import AttendanceLine, LineEvent, SickLeave
from remu.dossiers.models import Dossier, TravelSituation, WeeklyHoursChange
from remu.payments import services
from remu.payments.models import PaymentRun

from . import factories as f
from .conftest import admitted_with_validated_march

MANY = 12


@pytest.fixture
def big(pay_world, provider, provider_user):
    """pay_world and a dozen more admitted trainees of the provider, each on its action with a
    validated March 2026, paid by a monthly run."""
    world = pay_world
    for number in range(2, MANY + 2):
        admitted_with_validated_march(
            world["region"], provider, provider_user, world["agent"], number=number
        )
    run = services.start_run(world["region"], "monthly", dt.date(2026, 3, 1), world["agent"])
    world["run"] = services.execute_run(run.pk)
    assert world["run"].payments.count() > MANY
    return world


def queries(client, url) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


PROVIDER_PAGES = [("home:provider_home", 22), ("home:statements", 14)]
AGENT_PAGES = [
    ("actions:list", 12),
    ("dossiers:list", 10),
    ("payments:runs", 10),
    ("home:agent_dashboard", 25),
    ("home:runs_todo", 10),
    ("attendance:late", 11),
    ("invoicing:late", 12),
]


@pytest.mark.parametrize(("name", "bound"), PROVIDER_PAGES)
def test_provider_pages(client, big, name, bound, django_assert_max_num_queries):
    client.force_login(big["provider_user"])
    with django_assert_max_num_queries(bound):
        assert client.get(reverse(name)).status_code == 200


@pytest.mark.parametrize(("name", "bound"), AGENT_PAGES)
def test_agent_pages(client, big, name, bound, django_assert_max_num_queries):
    client.force_login(big["agent"])
    with django_assert_max_num_queries(bound):
        assert client.get(reverse(name)).status_code == 200


def test_run_and_trainee_pages(client, big, django_assert_max_num_queries):
    client.force_login(big["agent"])
    with django_assert_max_num_queries(13):
        assert client.get(reverse("payments:run", args=[big["run"].pk])).status_code == 200
    trainee = big["enrollment"].trainee
    with django_assert_max_num_queries(25):
        assert client.get(reverse("home:trainee", args=[trainee.pk])).status_code == 200


def test_the_counts_do_not_grow_with_the_rows(client, big, provider, provider_user):
    """One more action, trainee, run and line: not one more query on any page (measured
    twice, after one and after two more, so that data-dependent blocks show both times)."""
    agent_urls = [reverse(n) for n, _ in AGENT_PAGES] + [
        reverse("payments:run", args=[big["run"].pk])
    ]
    provider_urls = [reverse(n) for n, _ in PROVIDER_PAGES]
    counts = []
    for number in (MANY + 5, MANY + 6):
        admitted_with_validated_march(
            big["region"], provider, provider_user, big["agent"], number=number
        )
        run = services.start_run(big["region"], "complementary", dt.date(2026, 3, 1), big["agent"])
        assert services.execute_run(run.pk).status == PaymentRun.Status.DONE
        client.force_login(provider_user)
        seen = [queries(client, url) for url in provider_urls]
        client.force_login(big["agent"])
        counts.append(seen + [queries(client, url) for url in agent_urls])
    assert counts[0] == counts[1]


def statement_of(region, provider, provider_user, count):
    action = f.TrainingActionFactory(
        region=region,
        provider=provider,
        planned_start=dt.date(2026, 3, 2),
        planned_end=dt.date(2026, 9, 30),
    )
    for n in range(count):
        enrollment = f.EnrollmentFactory(
            action=action, trainee__birth_date=dt.date(1990, 1, 1), entry_date=dt.date(2026, 3, 2)
        )
        Dossier.objects.create(
            region=region,
            action=action,
            enrollment=enrollment,
            kind="RS1",
            status="admitted",
            rate_category="JOB_SEEKER",
            weekly_hours=Decimal(35),
            number=f"V-{action.pk}-{n}",
        )
    statement = attendance.create_statement(action, provider_user, dt.date(2026, 4, 2))
    attendance.declare_presence(list(statement.lines.all()), "full_month")
    return statement


def validation_queries(client, statement) -> list[str]:
    ids = list(statement.lines.values_list("pk", flat=True))
    with CaptureQueriesContext(connection) as captured:
        client.post(
            reverse("attendance:validate", args=[statement.pk]),
            {"lines": ids},
            HTTP_HX_REQUEST="true",
        )
    assert set(statement.lines.values_list("status", flat=True)) == {"validated"}
    return [q["sql"] for q in captured]


def test_statement_validation_writes_its_lines_at_once(client, region, provider, provider_user):
    client.force_login(provider_user)
    small = validation_queries(client, statement_of(region, provider, provider_user, 2))
    large = validation_queries(client, statement_of(region, provider, provider_user, 6))
    line_table = AttendanceLine._meta.db_table
    event_table = LineEvent._meta.db_table
    for sql in (small, large):
        assert sum(q.startswith(f'UPDATE "{line_table}"') for q in sql) == 1
        assert sum(q.startswith(f'INSERT INTO "{event_table}"') for q in sql) == 1
    # the engine's inputs are read for the statement at once (attendance.services.CaseInputs)
    print(f"statement validation: {len(small)} queries for 2 lines, {len(large)} for 6")
    assert len(large) <= len(small)


def varied_statement(region, provider, provider_user, agent, count):
    """A statement whose trainees have travel situations and, one in two, a sick leave and a
    weekly-hours change: each a query per line if read line by line."""
    statement = statement_of(region, provider, provider_user, count)
    for n, line in enumerate(statement.lines.select_related("dossier", "enrollment")):
        TravelSituation.objects.create(
            dossier=line.dossier,
            valid_from=dt.date(2026, 3, 2),
            distance_km=Decimal(40),
            housing=bool(n % 2),
            recorded_by=agent,
        )
        if n % 2:
            SickLeave.objects.create(
                enrollment=line.enrollment,
                kind="SICKNESS",
                start=dt.date(2026, 3, 9),
                end=dt.date(2026, 3, 13),
                daily_allowance=Decimal("20.00"),
                created_by=agent,
            )
            WeeklyHoursChange.objects.create(
                dossier=line.dossier,
                valid_from=dt.date(2026, 3, 16),
                weekly_hours=Decimal(30),
                recorded_by=agent,
            )
    return statement


def test_statement_validation_costs_the_same_for_3_and_30_lines(
    client, region, provider, provider_user, agent, django_assert_max_num_queries
):
    """Validating a statement reads the engine's inputs in bulk: 30 lines cost the queries of
    3, and each line gets the amount the engine gives it alone."""
    client.force_login(provider_user)
    small = validation_queries(client, varied_statement(region, provider, provider_user, agent, 3))
    statement = varied_statement(region, provider, provider_user, agent, 30)
    with django_assert_max_num_queries(len(small)):
        started = time.perf_counter()
        large = validation_queries(client, statement)
        elapsed = time.perf_counter() - started
    assert len(large) <= len(small)  # the first request also warms caches
    print(f"statement validation: {len(small)} queries for 3 lines and 30; 30 in {elapsed:.3f} s")
    lines = list(statement.lines.all())
    assert len({line.amount for line in lines}) > 1  # the travel, leave and hours show
    for line in lines:
        alone = AttendanceLine.objects.get(pk=line.pk)
        assert attendance.compute(alone).remuneration == line.amount
