"""The processes of payment runs per machine: a worker orders its chunks in as many processes as
it finds free of the machine's `PAYMENT_RUN_PROCESSES` slots, so that two workers on one
machine (of one run, or of two regions' runs) share its cores instead of multiplying the
processes on them (measured on 2 cores: two workers of three processes each ordered a run
0.75× as fast as one).

A slot is a PostgreSQL advisory lock of the worker's session, keyed by the machine (the host
part of the worker's name) and the slot's number: taken without waiting, released when the
worker is done with its run, or by PostgreSQL when its connection ends (a worker killed frees
its slots). A worker that finds none free still orders chunks itself: a queued task never
idles while chunks are pending. A worker of another machine has slots of its own."""

from __future__ import annotations

from contextlib import contextmanager

from django.db import DatabaseError, connection


def _key(host: str, number: int) -> str:
    return f"remu-run-slot:{host}:{number}"


@contextmanager
def taken(worker: str, wanted: int):
    """How many processes the worker may order in (at least 1, at most `wanted`), the slots
    held meanwhile. `worker` is « host:pid »."""
    if wanted <= 1:  # nothing to share (and never on SQLite: `services.helper_processes`)
        yield 1
        return
    host = worker.rsplit(":", 1)[0]
    held = []
    try:
        with connection.cursor() as cursor:
            for number in range(wanted):
                key = _key(host, number)
                cursor.execute("SELECT pg_try_advisory_lock(hashtext(%s))", [key])
                if cursor.fetchone()[0]:
                    held.append(key)
        yield max(1, len(held))
    finally:
        if held:
            try:
                with connection.cursor() as cursor:
                    for key in held:
                        cursor.execute("SELECT pg_advisory_unlock(hashtext(%s))", [key])
            except DatabaseError:
                # the connection is gone, and its session's locks with it: the worker's own
                # error, if any, is the one to raise
                connection.close()
