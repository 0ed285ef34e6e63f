"""The Python CPU of a run's reading and computing steps on the kept bench data (issue 18).

    manage.py bench_payments 20000 --keep --no-export   # once: the bench region kept
    .venv/bin/python scripts/time_run_steps.py [--profile] [--digest]

Works every chunk of the bench region's month as a first run would (the ledger emptied in a
transaction rolled back at the end) (`selectors.payables` and
`read_chunk`, then `compute_chunk`), writing nothing, and prints the CPU seconds (os.times,
user + system of this process) of each step, the wall seconds and the load average. `--digest`
prints a hash of everything computed (dues, social contributions, payment lines without their
random reference and time, amounts owed, anomalies): equal before and after a change;
`--repeat N`: every chunk N times over (the noise of a shared machine)."""

from __future__ import annotations

import hashlib
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "remu.settings.dev")

import django  # noqa: E402

django.setup()

from django.db import transaction  # noqa: E402

from remu.payments import selectors, services  # noqa: E402
from remu.payments.models import DueAmount, Payment, PaymentRun, SocialContribution  # noqa: E402
from remu.referential.models import Region  # noqa: E402


def cpu() -> float:
    times = os.times()
    return times.user + times.system


def digest_of(orders, hashed) -> None:
    for row in orders.dues:
        hashed.update(repr(sorted(row.items())).encode())
    for row in orders.social:
        hashed.update(repr(sorted(row.items())).encode())
    for row in orders.payments:
        kept = {k: v for k, v in row.items() if k not in ("reference", "created_at")}
        hashed.update(repr(sorted(kept.items())).encode())
    hashed.update(repr(orders.claims).encode())
    hashed.update(repr(orders.anomalies).encode())


def main(profile: bool, digest: bool, repeat: int) -> None:
    with transaction.atomic():
        region = Region.objects.get(code="bench-payments")
        run = PaymentRun.objects.filter(region=region).order_by("-pk").first()
        for model in (Payment, SocialContribution, DueAmount):
            model.objects.filter(region=region).delete()
        for _ in range(repeat):
            steps(region, run, profile, digest)
        transaction.set_rollback(True)


def steps(region, run, profile: bool, digest: bool) -> None:
    ctx = services.RunContext(region, run.month)
    ids = selectors.payable_enrollments(region)
    seconds = {"read": 0.0, "compute": 0.0}
    wall = {"read": 0.0, "compute": 0.0}
    hashed = hashlib.sha256()
    profiler = None
    if profile:
        import cProfile

        profiler = cProfile.Profile(time.process_time)  # CPU, not the waits on the database
    # as a run works its chunks: the garbage collector held off
    with services.collector_held_off():
        for _done, bounds in services.chunks(ids, services.CHUNK):
            with transaction.atomic(savepoint=False):
                c0, w0 = cpu(), time.perf_counter()
                if profiler:
                    profiler.enable()
                dossiers = selectors.payables(region, bounds)
                inputs = services.read_chunk(ctx, bounds, lock=False)
                c1, w1 = cpu(), time.perf_counter()
                orders = services.compute_chunk(ctx, run, bounds, dossiers, inputs)
                if profiler:
                    profiler.disable()
                c2, w2 = cpu(), time.perf_counter()
            seconds["read"] += c1 - c0
            seconds["compute"] += c2 - c1
            wall["read"] += w1 - w0
            wall["compute"] += w2 - w1
            if digest:
                digest_of(orders, hashed)
    load = " ".join(f"{x:.2f}" for x in os.getloadavg())
    print(
        f"{len(ids)} enrollments: read CPU {seconds['read']:.2f} s (wall {wall['read']:.2f}), "
        f"compute CPU {seconds['compute']:.2f} s (wall {wall['compute']:.2f}); load {load}"
    )
    if digest:
        print("digest", hashed.hexdigest())
    if profiler:
        import pstats

        stats = pstats.Stats(profiler).sort_stats("tottime")
        stats.print_stats(35)
        for name in sys.argv[sys.argv.index("--callers") + 1 :] if "--callers" in sys.argv else ():
            stats.print_callers(name)


if __name__ == "__main__":
    repeat = int(sys.argv[sys.argv.index("--repeat") + 1]) if "--repeat" in sys.argv else 1
    main("--profile" in sys.argv, "--digest" in sys.argv, repeat)
