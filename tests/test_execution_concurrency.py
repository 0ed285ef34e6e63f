"""Two registrations racing for the action's last place (PostgreSQL): one wins, the other gets
the headcount message; the action never holds more trainees than its planned headcount."""

import threading
import time

import pytest
from django.core.exceptions import ValidationError
from django.db import connection, connections, transaction

from remu.actions.models import TrainingAction
from remu.execution import services

from . import factories as f
from .test_concurrency import waiting_for_locks
from .test_execution import _people

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="needs PostgreSQL (set DATABASE_URL): the threads share the test database",
    ),
]


def test_two_registrations_for_the_last_place(region, provider, provider_user):
    action = f.TrainingActionFactory(
        region=region, provider=provider, max_trainees=1, max_paid_trainees=1
    )
    services.execution_of(action)
    people = list(_people(2))
    outcomes = [None, None]

    def run(i):
        trainee, record = people[i]
        try:
            services.register(action, trainee, record, action.planned_start, provider_user)
            outcomes[i] = "registered"
        except ValidationError as exc:
            outcomes[i] = " ".join(exc.messages)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(2)]
    with transaction.atomic():
        TrainingAction.objects.select_for_update().get(pk=action.pk)
        for thread in threads:
            thread.start()
        deadline = time.monotonic() + 15
        while waiting_for_locks() < 2 and time.monotonic() < deadline:
            time.sleep(0.05)
    for thread in threads:
        thread.join()
    assert sorted(o[:10] for o in outcomes) == sorted(["registered", "L'effectif"])
    assert action.enrollments.count() == 1
