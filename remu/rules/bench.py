"""`make bench-rules`: seeded random trainee-months through the batch path (no explanation).

The timed part goes from the list of `Case` objects to the net pay of each case: the columnar
path (`Engine.compute_columns`: converting the cases to columns included, and the cases it sends
to the per-case path) and the sum of the nets. `--per-case` times `compute(case, False)` one by
one instead (the reference the columnar path is tested against: same checksum).
Prints trainee-months per second (compute time only; generating the cases is not timed), the
process's CPU time beside the wall time and the load average (the machines are shared: a loaded
machine shows a wall time well above the CPU time), and the process's peak memory.
Usage: python -m remu.rules.bench [N] [--per-case]
"""

from __future__ import annotations

import datetime as dt
import os
import random
import resource
import sys
import time
from decimal import Decimal

from . import columns  # noqa: F401 - NumPy loaded before the timing, like the engine
from .engine import Absence, Case, Engine

REGIONS = [
    "national",
    "centre-val-de-loire",
    "bourgogne-franche-comte",
    "guadeloupe",
    "hauts-de-france",
    "mayotte",
]
CATEGORIES = ["JOB_SEEKER"] * 6 + ["PRIOR_ACTIVITY", "FAMILY_SITUATION", "DISABLED", "NON_SALARIED"]
# A holiday absence on a day that is not one is refused (CaseError): the day-by-day path is
# exercised by legal leave instead.
REASONS = ["UNJUSTIFIED", "SICKNESS", "JUSTIFIED_PAID", "LEGAL_LEAVE", "WEATHER"]
CHUNK = 100_000


def make_cases(rng: random.Random, count: int) -> list[Case]:
    cases = []
    hours = [Decimal(h) for h in (35, 35, 35, 30, 20, 15, 24)]
    for n in range(count):
        year, month = rng.randrange(2022, 2027), rng.randrange(1, 13)
        first = dt.date(year, month, 1)
        entry = first - dt.timedelta(days=rng.randrange(-20, 300))
        exit_date = first + dt.timedelta(days=rng.randrange(10, 40)) if rng.random() < 0.1 else None
        if exit_date is not None and exit_date < entry:
            exit_date = None
        weekly = rng.choice(hours)
        absences = ()
        if rng.random() < 0.3:
            start = first + dt.timedelta(days=rng.randrange(0, 25))
            absences = (
                Absence(
                    start,
                    start + dt.timedelta(days=rng.randrange(0, 4)),
                    reason := rng.choice(REASONS),
                    hours=Decimal(7),
                    kind="BIRTH" if reason == "LEGAL_LEAVE" else None,
                ),
            )
        cases.append(
            Case(
                region=rng.choice(REGIONS),
                year=year,
                month=month,
                category=rng.choice(CATEGORIES),
                birth_date=dt.date(
                    rng.randrange(1960, 2006), rng.randrange(1, 13), rng.randrange(1, 29)
                ),
                entry_date=entry,
                exit_date=exit_date,
                weekly_hours=weekly,
                absences=absences,
                hours_present=None if weekly >= 30 else Decimal(rng.randrange(20, 90)),
                distance_km=Decimal(rng.randrange(0, 80)) if rng.random() < 0.3 else None,
                entry_bonus_granted=rng.random() < 0.1,
                id=str(n),
            )
        )
    return cases


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    per_case = "--per-case" in argv
    argv = [a for a in argv if a != "--per-case"]
    total = int(argv[0]) if argv else 1_000_000
    rng = random.Random(20261122)
    engine = Engine()
    compute = engine.compute
    elapsed = cpu = 0.0
    done = 0
    checksum = Decimal(0)
    while done < total:
        cases = make_cases(rng, min(CHUNK, total - done))
        start, start_cpu = time.perf_counter(), time.process_time()
        if per_case:
            for case in cases:
                checksum += compute(case, False).net
        else:
            checksum += engine.compute_columns(cases).net_total()
        elapsed += time.perf_counter() - start
        cpu += time.process_time() - start_cpu
        done += len(cases)
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        f"{done} trainee-months in {elapsed:.2f} s of computation: "
        f"{done / elapsed:,.0f} trainee-months per second on one core "
        f"({'per-case path' if per_case else 'columnar path'}) "
        f"(machine: {os.cpu_count()} cores)"
    )
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    print(f"CPU time {cpu:.2f} s; load average {load}")
    print(f"peak memory: {peak_mib:.0f} MiB; checksum of net pay: {checksum}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
