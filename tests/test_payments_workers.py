"""Several workers share a run's chunks (issue 18 §2): each chunk ordered exactly once, the
chunk of a worker that dies claimable again, the run completed once, its page showing the
chunks of each worker."""

import datetime as dt
import gc
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import psycopg
import pytest
from django.db import connection, transaction
from django.urls import reverse

from remu.payments import services, slots, tasks
from remu.payments.models import Payment, PaymentRun, RunChunk

from .test_payments_exactly_once import assert_exactly_once, build
from .test_payments_ledger import second_trainee
from .utils import text

ROOT = Path(__file__).resolve().parent.parent
MARCH = dt.date(2026, 3, 1)

postgresql_only = pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="needs PostgreSQL (set DATABASE_URL): worker processes share the test database",
)


def test_a_chunk_rolled_back_is_claimed_again_and_ordered_once(pay_world, monkeypatch):
    world = pay_world
    second_trainee(world)
    run = services.start_run(world["region"], "monthly", MARCH, world["agent"])
    real = services._order_chunk
    calls = []

    def dies_on_the_second_chunk(*args, **kwargs):
        calls.append(1)
        if len(calls) == 2:
            raise RuntimeError("the worker dies")
        return real(*args, **kwargs)

    monkeypatch.setattr(services, "_order_chunk", dies_on_the_second_chunk)
    with pytest.raises(RuntimeError):
        services.execute_run(run.pk, chunk=1, worker="first")
    run.refresh_from_db()
    assert run.status == PaymentRun.Status.RUNNING
    assert list(run.chunks.values_list("status", "worker")) == [("done", "first"), ("pending", "")]
    # another worker joins the running run and orders the chunk left
    run = services.execute_run(run.pk, worker="second")
    assert run.status == PaymentRun.Status.DONE
    assert list(run.chunks.values_list("worker", flat=True)) == ["first", "second"]
    assert run.summary["lines"] == Payment.objects.filter(run=run).count() == 4
    assert run.done == run.total == 2
    assert_exactly_once()
    # a third worker, late, finds the run over and orders nothing
    assert services.execute_run(run.pk, worker="third").summary == run.summary
    assert Payment.objects.count() == 4


def test_the_summary_gathered_from_chunks_is_the_one_of_a_single_chunk(pay_world):
    world = pay_world
    second_trainee(world)
    run = services.start_run(world["region"], "monthly", MARCH, world["agent"])
    run = services.execute_run(run.pk, chunk=1)
    assert run.chunks.count() == 2
    totals = {}
    for p in Payment.objects.filter(run=run):
        totals[p.component] = totals.get(p.component, 0) + p.amount
    assert run.summary["totals"] == {k: str(v) for k, v in totals.items()}
    assert run.summary["lines"] == 4


def test_a_run_is_queued_as_one_task_per_worker(pay_world, settings):
    settings.PAYMENT_RUN_WORKERS = 3
    world = pay_world
    run = services.start_run(world["region"], "monthly", MARCH, world["agent"])
    tasks.enqueue_run(run)  # the test backend runs each task at once: the first does it all
    run.refresh_from_db()
    assert run.status == PaymentRun.Status.DONE
    assert Payment.objects.filter(run=run, component="remuneration").count() == 1


def test_the_progress_shows_the_chunks_of_each_worker(pay_world, client):
    world = pay_world
    second_trainee(world)
    run = services.start_run(world["region"], "monthly", MARCH, world["agent"])
    services.execute_run(run.pk, chunk=1, worker="machine-a:101")
    client.force_login(world["agent"])
    page = text(client.get(reverse("payments:progress", args=[run.pk])))
    assert "Tranches de la série par processus de traitement" in page
    assert "machine-a:101" in page


def _env():
    db = connection.settings_dict
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "remu.settings.test",
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
        "PAYMENT_RUN_PROCESSES": "1",  # each worker alone in its process: one can be killed
    }


def _worker(run, pause):
    return subprocess.Popen(
        [
            sys.executable,
            "manage.py",
            "execute_payment_run",
            str(run.pk),
            "--chunk",
            "1",
            "--pause",
            str(pause),
        ],
        cwd=ROOT,
        env=_env(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


@postgresql_only
@pytest.mark.django_db(transaction=True)
def test_two_worker_processes_one_killed_mid_run():
    count = 24
    region, agent = build(count=count)
    run = services.start_run(region, "monthly", MARCH, agent)
    first = _worker(run, 0.05)
    time.sleep(0.5)  # the first one creates the chunks; the second joins the running run
    second = _worker(run, 0.05)
    try:
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            run.refresh_from_db()
            workers = RunChunk.objects.filter(run=run).exclude(worker="")
            if run.done >= 4 and workers.values("worker").distinct().count() == 2:
                break
            time.sleep(0.02)
        assert run.done >= 4, first.stderr.read1().decode() if first.poll() else "no progress"
        assert run.status == PaymentRun.Status.RUNNING
        first.send_signal(signal.SIGKILL)  # one worker dies in the middle of the run
        first.wait(timeout=10)
        assert second.wait(timeout=120) == 0, second.stderr.read().decode()
    finally:
        for worker in (first, second):
            if worker.poll() is None:
                worker.kill()
                worker.wait()
            worker.stderr.close()
    run.refresh_from_db()
    assert run.status == PaymentRun.Status.DONE
    assert not run.chunks.exclude(status=RunChunk.Status.DONE).exists()
    assert run.chunks.count() == count
    assert len(set(run.chunks.values_list("worker", flat=True))) == 2  # both did some
    # no duplicate, no missing order
    assert Payment.objects.filter(component="remuneration").count() == count
    assert (
        Payment.objects.filter(component="remuneration").values("enrollment").distinct().count()
        == count
    )
    assert run.summary["lines"] == Payment.objects.filter(run=run).count()
    assert run.done == run.total == count
    assert_exactly_once()


def _run_of_two_threads(settings, count):
    """A started run of `count` trainees, its worker set to order two chunks at once."""
    settings.PAYMENT_RUN_THREADS = 2
    settings.PAYMENT_RUN_PROCESSES = 1
    region, agent = build(count=count)
    return services.start_run(region, "monthly", MARCH, agent)


def _failing_order(monkeypatch, fail, pause=0.01):
    """`_order_chunk` made to call `fail()` first (it raises, or exits, where the test wants
    a failure), then to pause (the others' turn) and order as before."""
    real = services._order_chunk

    def order(*args, **kwargs):
        fail()
        time.sleep(pause)
        return real(*args, **kwargs)

    monkeypatch.setattr(services, "_order_chunk", order)


def _ordered_once_by(run, count, worker):
    """Every chunk ordered once, all under one worker's name, the summary and the count right."""
    assert run.status == PaymentRun.Status.DONE
    assert set(run.chunks.values_list("worker", flat=True)) == {worker}  # one worker
    lines = Payment.objects.filter(run=run, component="remuneration")
    assert lines.count() == lines.values("enrollment").distinct().count() == count
    assert run.summary["lines"] == Payment.objects.filter(run=run).count()
    assert run.done == run.total == count
    assert_exactly_once()


@postgresql_only
@pytest.mark.django_db(transaction=True)
def test_a_worker_orders_its_chunks_in_two_threads_each_once(settings, monkeypatch):
    count = 12
    run = _run_of_two_threads(settings, count)
    real = services.claim_and_order
    threads = []

    def recorded(ctx, run, worker):
        claimed = real(ctx, run, worker)
        if claimed:
            threads.append(threading.current_thread().name)
        time.sleep(0.01)  # the other thread's turn
        return claimed

    monkeypatch.setattr(services, "claim_and_order", recorded)
    run = services.execute_run(run.pk, chunk=1, worker="machine-a:101")
    assert len(threads) == count and len(set(threads)) == 2  # both threads ordered chunks
    _ordered_once_by(run, count, "machine-a:101")
    assert not [t for t in threading.enumerate() if t.name.startswith(f"run-{run.pk}-")]


@postgresql_only
@pytest.mark.django_db(transaction=True)
def test_a_thread_that_fails_stops_its_worker_and_its_chunk_is_ordered_later(settings, monkeypatch):
    count = 8
    run = _run_of_two_threads(settings, count)

    def in_the_second_thread():
        if threading.current_thread() is not threading.main_thread():
            raise RuntimeError("the second thread fails")

    _failing_order(monkeypatch, in_the_second_thread)
    with pytest.raises(RuntimeError, match="the second thread fails"):
        services.execute_run(run.pk, chunk=1, worker="first")
    _stopped_then_ordered_by_another(run, count, monkeypatch)


def _stopped_then_ordered_by_another(run, count, monkeypatch):
    """The run left running with chunks pending, nothing half-written (the lines are those of
    the chunks done); another worker, the failure gone, orders the rest exactly once."""
    run.refresh_from_db()
    assert run.status == PaymentRun.Status.RUNNING
    done = run.chunks.filter(status=RunChunk.Status.DONE)
    assert run.chunks.filter(status=RunChunk.Status.PENDING).exists()
    assert Payment.objects.filter(run=run, component="remuneration").count() == done.count()
    monkeypatch.undo()
    run = services.execute_run(run.pk, chunk=1, worker="second")
    assert run.status == PaymentRun.Status.DONE
    assert Payment.objects.filter(run=run, component="remuneration").count() == count
    assert_exactly_once()


def test_a_worker_in_its_callers_transaction_works_alone(pay_world, settings):
    # other connections would not see what the caller has not committed
    settings.PAYMENT_RUN_THREADS = 2
    settings.PAYMENT_RUN_PROCESSES = 3
    with transaction.atomic():
        assert services.helper_threads() == services.helper_processes() == 1


def _run_of_two_processes(settings, count):
    """A started run of `count` trainees, its worker set to order chunks in two processes."""
    settings.PAYMENT_RUN_THREADS = 1
    settings.PAYMENT_RUN_PROCESSES = 2
    region, agent = build(count=count)
    return services.start_run(region, "monthly", MARCH, agent)


def _backend() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        return cursor.fetchone()[0]


def _gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    return False


def _claims_recorded(monkeypatch, tmp_path) -> Path:
    """The file where each process that orders a chunk writes its pid, a line per chunk."""
    real = services.claim_and_order
    log = tmp_path / "claims"
    log.touch()

    def recorded(ctx, run, worker):
        claimed = real(ctx, run, worker)
        if claimed:
            with open(log, "a") as out:  # appended whole, from either process
                out.write(f"{os.getpid()}\n")
        time.sleep(0.01)  # the other process's turn
        return claimed

    monkeypatch.setattr(services, "claim_and_order", recorded)
    return log


@postgresql_only
@pytest.mark.django_db(transaction=True)
def test_a_worker_orders_its_chunks_in_two_processes_each_once(settings, monkeypatch, tmp_path):
    count = 12
    run = _run_of_two_processes(settings, count)
    backend = _backend()
    log = _claims_recorded(monkeypatch, tmp_path)
    steps = services.Steps()
    run = services.execute_run(run.pk, chunk=1, worker="machine-a:101", steps=steps)
    pids = log.read_text().split()
    assert len(pids) == count and len(set(pids)) == 2 and str(os.getpid()) in pids
    _ordered_once_by(run, count, "machine-a:101")
    helper = next(int(pid) for pid in pids if pid != str(os.getpid()))
    assert _gone(helper)  # reaped
    assert _backend() == backend  # the helper left the worker's connection open, unused
    assert steps.seconds["compute"] > 0


@postgresql_only
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("how", ["raises", "dies"])
def test_a_helper_that_fails_stops_its_worker_and_its_chunk_is_ordered_later(
    settings, monkeypatch, how
):
    count = 8
    run = _run_of_two_processes(settings, count)
    worker_pid = os.getpid()

    def in_the_helper():
        if os.getpid() != worker_pid:
            if how == "dies":
                os._exit(3)  # killed in the middle of its chunk
            raise ValueError("the helper fails")

    _failing_order(monkeypatch, in_the_helper)
    message = "the helper fails" if how == "raises" else "un processus auxiliaire s'est arrêté"
    with pytest.raises((ValueError, RuntimeError), match=message):
        services.execute_run(run.pk, chunk=1, worker="first")
    _stopped_then_ordered_by_another(run, count, monkeypatch)


@postgresql_only
@pytest.mark.django_db(transaction=True)
def test_a_worker_that_fails_stops_its_helpers(settings, monkeypatch):
    count = 8
    run = _run_of_two_processes(settings, count)
    worker_pid = os.getpid()

    def in_the_worker():
        if os.getpid() == worker_pid:
            raise ValueError("the worker fails")

    _failing_order(monkeypatch, in_the_worker, pause=0.05)
    with pytest.raises(ValueError, match="the worker fails"):
        services.execute_run(run.pk, chunk=1, worker="first")
    run.refresh_from_db()
    # the helper stopped at its next chunk: not every chunk was ordered
    assert run.chunks.filter(status=RunChunk.Status.PENDING).exists()
    done = run.chunks.filter(status=RunChunk.Status.DONE).count()
    assert Payment.objects.filter(run=run, component="remuneration").count() == done


def test_the_garbage_collector_is_on_again_after_a_run(pay_world):
    world = pay_world
    run = services.start_run(world["region"], "monthly", MARCH, world["agent"])
    assert services.execute_run(run.pk).status == PaymentRun.Status.DONE
    assert gc.isenabled()
    preview = services.start_run(
        world["region"], "monthly", dt.date(2026, 4, 1), world["agent"], preview=True
    )
    assert services.execute_run(preview.pk).status == PaymentRun.Status.DONE
    assert gc.isenabled()
    gc.disable()  # a process that runs without it keeps it off
    try:
        run = services.start_run(world["region"], "monthly", dt.date(2026, 4, 1), world["agent"])
        services.execute_run(run.pk)
        assert not gc.isenabled()
    finally:
        gc.enable()


@postgresql_only
@pytest.mark.django_db(transaction=True)
def test_a_worker_that_cannot_fork_orders_its_chunks_itself(settings, monkeypatch):
    count = 4
    run = _run_of_two_processes(settings, count)

    def no_fork():
        raise OSError("Resource temporarily unavailable")

    monkeypatch.setattr(os, "fork", no_fork)
    run = services.execute_run(run.pk, chunk=1, worker="alone")
    _ordered_once_by(run, count, "alone")


@postgresql_only
@pytest.mark.django_db(transaction=True)
def test_a_worker_process_with_its_helpers_orders_a_run_once():
    """As a db_worker runs the run's task: a process of its own, its helpers forked from it."""
    count = 10
    region, agent = build(count=count)
    run = services.start_run(region, "monthly", MARCH, agent)
    env = {**_env(), "PAYMENT_RUN_PROCESSES": "3"}
    done = subprocess.run(
        [sys.executable, "manage.py", "execute_payment_run", str(run.pk), "--chunk", "1"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr.decode()
    run.refresh_from_db()
    assert run.status == PaymentRun.Status.DONE
    assert run.chunks.count() == count
    assert Payment.objects.filter(run=run, component="remuneration").count() == count
    assert run.summary["lines"] == Payment.objects.filter(run=run).count()
    assert_exactly_once()


def _slots_held_elsewhere(host: str, numbers):
    """Another session (another worker of `host`, of this run or another) holding those
    slots."""
    other = psycopg.connect(**connection.get_connection_params(), autocommit=True)
    for number in numbers:
        key = slots._key(host, number)
        other.execute("SELECT pg_advisory_lock(hashtext(%s))", [key])
    return other


def _advisory_locks_of_this_session() -> int:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND pid = pg_backend_pid()"
        )
        return cursor.fetchone()[0]


def _beside_machine_a(settings, monkeypatch, tmp_path, count, worker, processes=2):
    """A run of `count` trainees ordered by `worker` while another worker of machine-a holds
    two of its slots: (the run, the pid of the process that ordered each chunk)."""
    run = _run_of_two_processes(settings, count)
    settings.PAYMENT_RUN_PROCESSES = processes
    other = _slots_held_elsewhere("machine-a", [0, 1])
    try:
        log = _claims_recorded(monkeypatch, tmp_path)
        run = services.execute_run(run.pk, chunk=1, worker=worker)
    finally:
        other.close()
    return run, log.read_text().split()


@postgresql_only
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("processes", [3, 2])
def test_a_second_worker_of_a_machine_takes_only_its_free_slots(
    settings, monkeypatch, tmp_path, processes
):
    # two of the machine's slots held by another worker of the same machine: this one forks
    # no helper (its one free slot is its own, or none is free: it still orders the run),
    # orders every chunk itself, and frees its slot afterwards
    run, pids = _beside_machine_a(settings, monkeypatch, tmp_path, 6, "machine-a:102", processes)
    assert pids == [str(os.getpid())] * 6
    _ordered_once_by(run, 6, "machine-a:102")
    assert _advisory_locks_of_this_session() == 0


@postgresql_only
@pytest.mark.django_db(transaction=True)
def test_another_machines_slots_are_its_own(settings, monkeypatch, tmp_path):
    run, pids = _beside_machine_a(settings, monkeypatch, tmp_path, 12, "machine-b:101")
    assert len(set(pids)) == 2  # itself and its helper
    _ordered_once_by(run, 12, "machine-b:101")
    assert _advisory_locks_of_this_session() == 0


@postgresql_only
@pytest.mark.django_db(transaction=True)
def test_a_worker_whose_connection_breaks_raises_its_own_error(settings, monkeypatch):
    # its slots go with its session: releasing them must not hide what went wrong
    run = _run_of_two_processes(settings, 4)

    def broken(*args, **kwargs):
        connection.connection.close()  # the server's side of the session is gone
        raise RuntimeError("the database went away")

    monkeypatch.setattr(services, "_order_in_threads", broken)
    with pytest.raises(RuntimeError, match="the database went away"):
        services.execute_run(run.pk, chunk=1, worker="machine-a:104")
    monkeypatch.undo()
    run = services.execute_run(run.pk, chunk=1, worker="machine-a:105")
    assert run.status == PaymentRun.Status.DONE
    assert_exactly_once()
