"""Simultaneous requests on one object (issue 14 §1.2): exactly one wins, the other is told who
won and when, never a server error nor a second history entry.

Real requests, each in its own thread with its own database connection (PostgreSQL: CI runs
them; SQLite's in-memory test database cannot be shared with threads). The test holds the
object's row lock while the requests start, so that each has read the page's state before any
can change it; it lets go once they all wait for that lock. Without the services' own locks,
both requests then write."""

import datetime as dt
import threading
import time

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection, connections, transaction
from django.test import Client
from django.urls import reverse

from remu.attendance.models import AttendanceLine, LineEvent, Withdrawal
from remu.communes.loader import load_communes
from remu.communes.models import Commune, PostalCode
from remu.dossiers.models import DossierTransition
from remu.payments import services as payments
from remu.payments.models import Payment, PaymentRun, SepaFile

from . import factories as f
from .test_admission import admit_data, received
from .test_dossiers import complete_data, create
from .utils import text

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="needs PostgreSQL (set DATABASE_URL): the requests' threads share the test database",
    ),
]


def waiting_for_locks() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_stat_clear_snapshot()")  # the view is cached per transaction
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity "
            "WHERE datname = current_database() AND wait_event_type = 'Lock'"
        )
        return cursor.fetchone()[0]


def race(row, *requests) -> list:
    """Runs the requests (callables) at once; returns their responses, in order."""
    responses = [None] * len(requests)

    def run(i, request):
        try:
            responses[i] = request()
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i, r)) for i, r in enumerate(requests)]
    with transaction.atomic():
        type(row).objects.select_for_update().get(pk=row.pk)
        for thread in threads:
            thread.start()
        deadline = time.monotonic() + 15
        while waiting_for_locks() < len(requests) and time.monotonic() < deadline:
            time.sleep(0.05)
    for thread in threads:
        thread.join()
    assert all(r is not None and r.status_code == 200 for r in responses), [
        r and r.status_code for r in responses
    ]
    return [text(r) for r in responses]


def logged_in(user) -> Client:
    client = Client(raise_request_exception=False)
    client.force_login(user)
    return client


def post(client, url, data=None):
    return lambda: client.post(url, data or {}, follow=True)


@pytest.fixture
def cvl(region):
    region.parameter_set, region.number_prefix = "centre-val-de-loire", "CVL"
    region.save()
    return region


# -- dossiers --------------------------------------------------------------------------------


def test_admit_and_reject_at_once(cvl, agent):
    dossier = received(cvl, agent)
    f.accept_required_documents(dossier, agent)
    other = f.AgentFactory(region=cvl, first_name="Camille", last_name="Durand")
    url = reverse("dossiers:decision", args=[dossier.pk])
    pages = race(
        dossier,
        post(logged_in(agent), url, admit_data()),
        post(logged_in(other), url, {"decision": "reject", "decision_reason": "Hors critères"}),
    )
    dossier.refresh_from_db()
    decided = ["admitted", "rejected"]
    decisions = DossierTransition.objects.filter(dossier=dossier, to_status__in=decided)
    assert decisions.count() == 1
    winner = decisions.get()
    assert winner.to_status == dossier.status
    done = "admis" if dossier.status == "admitted" else "rejeté"
    loser = pages[1] if winner.by == agent else pages[0]
    assert f"Le dossier a déjà été {done} par {winner.by} le " in loser


def test_two_receptions_at_once(cvl, agent, provider, provider_user):
    action = f.TrainingActionFactory(
        region=cvl,
        provider=provider,
        planned_start=dt.date(2026, 9, 7),
        planned_end=dt.date(2027, 3, 26),
    )
    load_communes(Commune, PostalCode)  # emptied by the previous transactional test's flush
    client = logged_in(provider_user)
    dossier = create(client, action)
    client.post(
        reverse("dossiers:detail", args=[dossier.pk]), {**complete_data(dossier), "validate": "1"}
    )
    url = reverse("dossiers:confirm", args=[dossier.pk])
    pages = race(dossier, post(client, url), post(logged_in(provider_user), url))
    assert DossierTransition.objects.filter(dossier=dossier, to_status="submitted").count() == 1
    assert sum("Le dossier a déjà été validé (pré-saisi) par " in page for page in pages) == 1
    other = f.AgentFactory(region=cvl)
    url = reverse("dossiers:reception", args=[dossier.pk])
    data = {"reception_date": "2026-09-10"}
    pages = race(dossier, post(logged_in(agent), url, data), post(logged_in(other), url, data))
    assert DossierTransition.objects.filter(dossier=dossier, to_status="received").count() == 1
    assert sum("Le dossier a déjà été reçu par " in page for page in pages) == 1


# -- attendance ------------------------------------------------------------------------------


def test_validation_and_reopening_at_once(pay_world, provider):
    line = pay_world["line"]
    agent = pay_world["agent"]
    statement = line.statement
    LineEvent.objects.all().delete()
    AttendanceLine.objects.filter(pk=line.pk).update(status="draft")
    line.refresh_from_db()
    colleague = f.ProviderUserFactory(providers=[provider])
    url = reverse("attendance:validate", args=[statement.pk])
    data = {"lines": [line.pk]}
    pages = race(
        line,
        post(logged_in(pay_world["provider_user"]), url, data),
        post(logged_in(colleague), url, data),
    )
    assert LineEvent.objects.filter(line=line, action="validated").count() == 1
    assert sum("la ligne a déjà été validée par " in page for page in pages) == 1
    url = reverse("attendance:reopen", args=[line.pk])
    data = {"reason": "Erreur de saisie"}
    other = f.AgentFactory(region=pay_world["region"])
    pages = race(line, post(logged_in(agent), url, data), post(logged_in(other), url, data))
    assert LineEvent.objects.filter(line=line, action="reopened").count() == 1
    assert sum("la ligne a déjà été rouverte par " in page for page in pages) == 1


def test_withdrawal_declared_twice_then_decided_twice_at_once(pay_world, provider):
    enrollment = pay_world["enrollment"]
    url = reverse("attendance:withdrawal", args=[enrollment.pk])
    data = {"reason": "job", "exit_date": "2026-04-15", "comment": ""}
    colleague = f.ProviderUserFactory(providers=[provider])
    pages = race(
        enrollment,
        post(logged_in(pay_world["provider_user"]), url, data),
        post(logged_in(colleague), url, data),
    )
    assert Withdrawal.objects.filter(enrollment=enrollment).count() == 1
    assert sum("Un abandon a déjà été déclaré par " in page for page in pages) == 1
    withdrawal = Withdrawal.objects.get()
    url = reverse("attendance:withdrawal_decide", args=[withdrawal.pk])
    other = f.AgentFactory(region=pay_world["region"])
    pages = race(
        withdrawal,
        post(logged_in(pay_world["agent"]), url, {"decision": "accept"}),
        post(logged_in(other), url, {"decision": "refuse", "decision_comment": "Non"}),
    )
    withdrawal.refresh_from_db()
    enrollment.refresh_from_db()
    assert withdrawal.status in ("validated", "refused")
    assert (enrollment.status == "exited") == (withdrawal.status == "validated")
    done = "validée" if withdrawal.status == "validated" else "refusée"
    expected = f"Cette déclaration d'abandon a déjà été {done} par {withdrawal.decided_by} le "
    assert sum(expected in page for page in pages) == 1


# -- payments --------------------------------------------------------------------------------


def test_sepa_export_and_returns_at_once(pay_world):
    region = pay_world["region"]
    region.sepa_debtor_name = "Region Centre-Val de Loire"
    region.sepa_debtor_iban = "FR7610011000201234567890188"
    region.save()
    run = payments.start_run(region, "monthly", dt.date(2026, 3, 1), pay_world["agent"])
    payments.execute_run(run.pk)
    run = PaymentRun.objects.get(pk=run.pk)
    url = reverse("payments:sepa_export", args=[run.pk])
    one, two = f.AgentFactory(region=region), f.AgentFactory(region=region)
    pages = race(run, post(logged_in(one), url), post(logged_in(two), url))
    assert SepaFile.objects.count() == 1
    assert sum("Le fichier SEPA de cette série a déjà été créé par " in p for p in pages) == 1
    refs = list(Payment.objects.values_list("reference", flat=True))
    content = "reference;statut;date;mandat\n" + "".join(
        f"{ref};PAYE;18/04/2026;M-{i}\n" for i, ref in enumerate(refs)
    )
    url = reverse("payments:returns")

    def upload(client):
        return lambda: client.post(
            url, {"file": SimpleUploadedFile("retour.csv", content.encode())}, follow=True
        )

    first = Payment.objects.get(reference=refs[0])
    pages = race(first, upload(logged_in(one)), upload(logged_in(two)))
    assert set(Payment.objects.values_list("status", flat=True)) == {"paid"}
    assert sum("seule une ligne transmise change" in page for page in pages) == 1
