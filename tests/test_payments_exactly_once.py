"""Exactly once under concurrency and crashes (PostgreSQL: CI runs them; SQLite's in-memory
test database cannot be shared with threads or another process)."""

import datetime as dt
import os
import signal
import subprocess
import sys
import threading
import time
from decimal import Decimal
from pathlib import Path

import pytest
from django.db import connection, connections

from remu.attendance import services as attendance
from remu.dossiers.models import Dossier, DossierTransition
from remu.payments import services
from remu.payments.models import DueAmount, Payment, PaymentRun

from . import factories as f

ROOT = Path(__file__).resolve().parent.parent

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="needs PostgreSQL (set DATABASE_URL): threads and a second "
        "process share the test database",
    ),
]


def build(count=3):
    region = f.RegionFactory(code="cvl-x", parameter_set="centre-val-de-loire")
    agent = f.AgentFactory(region=region)
    action = f.TrainingActionFactory(
        region=region,
        provider__region=region,
        planned_start=dt.date(2026, 3, 2),
        planned_end=dt.date(2026, 9, 30),
    )
    user = f.ProviderUserFactory(providers=[action.provider])
    for i in range(count):
        enrollment = f.EnrollmentFactory(action=action, entry_date=dt.date(2026, 3, 2))
        dossier = Dossier.objects.create(
            region=region,
            action=action,
            enrollment=enrollment,
            kind="RS1",
            status="admitted",
            rate_category="JOB_SEEKER",
            weekly_hours=Decimal(35),
            number=f"X-{i}",
            iban="FR7630006000011234567890189",
            account_holder="X",
        )
        DossierTransition.objects.create(dossier=dossier, to_status="admitted", by=agent)
    statement = attendance.create_statement(action, user, dt.date(2026, 4, 10))
    lines = list(statement.lines.all())
    attendance.declare_presence(lines, "full_month")
    attendance.validate_lines(lines, user)
    return region, agent


def assert_exactly_once():
    for due in DueAmount.objects.all():
        ordered = sum(
            (
                p.amount
                for p in Payment.objects.ordered().filter(
                    enrollment=due.enrollment, month=due.month, component=due.component
                )
            ),
            Decimal(0),
        )
        assert ordered == due.amount, (due, ordered)


def test_two_runs_started_at_the_same_moment(db):
    region, agent = build()
    barrier = threading.Barrier(2)
    outcomes = []

    def attempt(kind):
        try:
            barrier.wait()
            run = services.start_run(region, kind, dt.date(2026, 3, 1), agent)
            services.execute_run(run.pk)
            outcomes.append("ran")
        except services.RunError:
            outcomes.append("refused")
        finally:
            connections.close_all()

    threads = [threading.Thread(target=attempt, args=(k,)) for k in ("monthly", "complementary")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == ["ran", "refused"]
    assert Payment.objects.filter(component="remuneration").count() == 3
    assert_exactly_once()


def test_two_workers_on_the_same_run(db):
    region, agent = build()
    run = services.start_run(region, "monthly", dt.date(2026, 3, 1), agent)
    barrier = threading.Barrier(2)

    def work():
        barrier.wait()
        services.execute_run(run.pk)
        connections.close_all()

    threads = [threading.Thread(target=work) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert Payment.objects.filter(component="remuneration").count() == 3
    assert_exactly_once()


def test_a_worker_killed_mid_run_then_a_new_run(db, settings):
    region, agent = build(count=3)
    run = services.start_run(region, "monthly", dt.date(2026, 3, 1), agent)
    db_settings = connection.settings_dict
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "remu.settings.test",
        "DATABASE_URL": f"postgres://{db_settings['USER']}@{db_settings['HOST']}:"
        f"{db_settings['PORT']}/{db_settings['NAME']}",
        "PAYMENT_RUN_PROCESSES": "1",  # the worker alone: killing it stops the run
    }
    worker = subprocess.Popen(
        [
            sys.executable,
            "manage.py",
            "execute_payment_run",
            str(run.pk),
            "--chunk",
            "1",
            "--pause",
            "30",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            run.refresh_from_db()
            if run.done >= 1:
                break
            time.sleep(0.2)
        assert run.done >= 1, worker.stderr.read1().decode() if worker.poll() else "no progress"
        worker.send_signal(signal.SIGKILL)  # the worker dies in the middle of the run
        worker.wait(timeout=10)
    finally:
        if worker.poll() is None:
            worker.kill()
        worker.stdout.close()
        worker.stderr.close()
    partial = Payment.objects.filter(component="remuneration").count()
    assert 1 <= partial < 3
    settings.PAYMENT_RUN_STALE_SECONDS = 0  # its heartbeat is now old enough
    again = services.start_run(region, "complementary", dt.date(2026, 3, 1), agent)
    services.execute_run(again.pk)
    run.refresh_from_db()
    assert run.status == PaymentRun.Status.INTERRUPTED
    assert Payment.objects.filter(component="remuneration").count() == 3
    assert_exactly_once()
