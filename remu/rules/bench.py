"""`make bench-rules`: seeded random trainee-months, net pay only (no explanation), five ways.

The population is N trainee-months in chunks of `CHUNK`: chunk i is
`make_rows(random.Random(SEED + i), size)`, rows of plain values (columns.ROW_FIELDS, as a
database cursor gives them), and the same rows as `Case` objects for the modes that read them
(`make_cases`), so any process makes any chunk by itself and every mode computes the very same
trainee-months:

1. per-case: `compute(case, False)` one by one over `Case` objects (the reference);
2. columnar: `Engine.compute_columns(cases).net_total()`;
3. rows: `Engine.compute_rows(rows).net_total()` (the columnar path from rows);
4. and 5. parallel, parallel-rows: modes 2 and 3 on every core (`--processes P`, default
   os.cpu_count()): P worker processes forked (multiprocessing, "fork" context) after the
   imports; worker w makes chunks w, w + P, w + 2P, ... and computes each in both modes, each
   mode with its own cold `Engine`, and sends back per mode (count, sum of the nets in cents as
   an int, compute wall, compute CPU). No row and no `Case` crosses a process.

Modes 1 to 3 run in this process one after the other on each chunk, each with its own cold
`Engine`. Timed ("compute"): from a chunk's rows or cases to its sum of net pay (the conversion
to columns, the cases sent to the per-case path and the sum); making the rows and the cases is
not timed, in any mode (its wall is printed apart). In modes 4 and 5 each worker adds up its own
compute times and the mode's compute wall is the slowest worker's sum (its CPU: the largest
worker CPU). The ratios are against the per-case mode, in compute wall and in compute CPU. The
checksums (the sum of every net, in euros) must be equal: exit 1 otherwise.
Prints the core count, the load average, and the peak memory.
Usage: python -m remu.rules.bench [N] [--processes P] [--chunk C] [--skip-per-case]
       [--per-case | --columnar | --rows] (that single-process mode alone)
"""

from __future__ import annotations

import datetime as dt
import multiprocessing
import os
import random
import resource
import sys
import time
from decimal import Decimal

from .columns import case_of_row  # NumPy loaded before the timing, like the engine
from .engine import Case, Engine

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
SEED = 20261122


def make_rows(rng: random.Random, count: int) -> list[tuple]:
    """`count` trainee-months as rows of plain values (columns.ROW_FIELDS), as a database
    cursor gives them; absences as (start, end, reason, hours, kind) tuples."""
    rows = []
    hours = [Decimal(h) for h in (35, 35, 35, 30, 20, 15, 24)]
    seven = Decimal(7)
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
            end = start + dt.timedelta(days=rng.randrange(0, 4))
            reason = rng.choice(REASONS)
            absences = ((start, end, reason, seven, "BIRTH" if reason == "LEGAL_LEAVE" else None),)
        region = rng.choice(REGIONS)
        category = rng.choice(CATEGORIES)
        birth_date = dt.date(rng.randrange(1960, 2006), rng.randrange(1, 13), rng.randrange(1, 29))
        present = None if weekly >= 30 else Decimal(rng.randrange(20, 90))
        distance = Decimal(rng.randrange(0, 80)) if rng.random() < 0.3 else None
        bonus = rng.random() < 0.1
        rows.append(
            (
                str(n),
                region,
                year,
                month,
                category,
                birth_date,
                entry,
                exit_date,
                weekly,
                present,
                distance,
                bonus,
                absences,
                None,
            )
        )
    return rows


def make_cases(rng: random.Random, count: int) -> list[Case]:
    """The same trainee-months as `make_rows` (same draws) as Case objects."""
    return list(map(case_of_row, make_rows(rng, count)))


def chunk_sizes(total: int, chunk: int) -> list[int]:
    """The sizes of the population's chunks: chunk i is made from random.Random(SEED + i)."""
    return [min(chunk, total - start) for start in range(0, total, chunk)]


def make_chunk(i: int, size: int) -> list[tuple]:
    return make_rows(random.Random(SEED + i), size)


def cents(amount: Decimal) -> int:
    value = amount * 100
    assert value == value.to_integral_value(), amount  # nets are whole cents
    return int(value)


def _net(mode: str, engine: Engine, rows: list, cases: list) -> Decimal:
    """The sum of the chunk's net pay, the mode's way."""
    if mode == "per-case":
        compute = engine.compute
        net = Decimal(0)
        for case in cases:
            net += compute(case, False).net
        return net
    if mode == "columnar":
        return engine.compute_columns(cases).net_total()
    return engine.compute_rows(rows).net_total()


def run_chunks(indices, sizes, modes) -> dict:
    """Make and compute the chunks `indices` in this process, each mode with its own cold
    engine, the modes one after the other on each chunk; only the computation (the rows or
    the cases to the sum of their nets) is timed. {mode: figures, "generation": wall}."""
    engines = {mode: Engine() for mode in modes}
    figures = {mode: {"count": 0, "cents": 0, "wall": 0.0, "cpu": 0.0} for mode in modes}
    generation = 0.0
    for i in indices:
        start = time.perf_counter()
        rows = make_chunk(i, sizes[i])
        cases = list(map(case_of_row, rows)) if set(modes) & {"per-case", "columnar"} else None
        generation += time.perf_counter() - start
        for mode in modes:
            start, start_cpu = time.perf_counter(), time.process_time()
            net = _net(mode, engines[mode], rows, cases)
            f = figures[mode]
            f["wall"] += time.perf_counter() - start
            f["cpu"] += time.process_time() - start_cpu
            f["count"] += len(rows)
            f["cents"] += cents(net)
    return {**figures, "generation": generation}


def _worker(connection, indices, sizes, modes) -> None:
    try:
        connection.send(run_chunks(indices, sizes, modes))
    except BaseException as error:  # reported by the parent, which exits non-zero
        connection.send({"error": f"{type(error).__name__}: {error}"})
    finally:
        connection.close()


def run_parallel(sizes: list[int], processes: int, modes=("columnar", "rows")) -> dict:
    """Chunks dealt round-robin to `processes` forked workers, each computing every mode;
    per mode the wall of the slowest worker's computing and the largest worker CPU; the
    end-to-end wall (generation too)."""
    context = multiprocessing.get_context("fork")
    start = time.perf_counter()
    workers = []
    for w in range(processes):
        receive, send = context.Pipe(duplex=False)
        indices = list(range(w, len(sizes), processes))
        process = context.Process(target=_worker, args=(send, indices, sizes, modes), daemon=True)
        process.start()
        send.close()
        workers.append((process, receive))
    results = []
    for process, receive in workers:
        try:
            results.append(receive.recv())
        except EOFError:
            results.append({"error": f"worker {process.pid} died"})
        receive.close()
    end_to_end = time.perf_counter() - start
    for process, _ in workers:
        process.join()
    errors = [r["error"] for r in results if "error" in r]
    if errors:
        raise RuntimeError("; ".join(errors))
    return {
        mode: {
            "count": sum(r[mode]["count"] for r in results),
            "cents": sum(r[mode]["cents"] for r in results),
            "wall": max(r[mode]["wall"] for r in results),
            "cpu": max(r[mode]["cpu"] for r in results),
            "workers": [r[mode] for r in results],
        }
        for mode in modes
    } | {"end_to_end": end_to_end, "generation": [r["generation"] for r in results]}


def load() -> str:
    return ", ".join(f"{x:.2f}" for x in os.getloadavg())


LABELS = {
    "per-case": "per-case path (Case objects), 1 process",
    "columnar": "columnar path from Case objects, 1 process",
    "rows": "columnar path from rows, 1 process",
    "parallel": "columnar path from Case objects, {P} processes",
    "parallel-rows": "columnar path from rows, {P} processes",
}


def main(argv=None) -> int:  # noqa: C901 - option parsing and the report
    argv = sys.argv[1:] if argv is None else list(argv)
    options = {"--processes": os.cpu_count() or 1, "--chunk": CHUNK}
    flags = {"--skip-per-case", "--per-case", "--columnar", "--rows"}
    chosen, positional = set(), []
    args = iter(argv)
    for arg in args:
        if arg in flags:
            chosen.add(arg)
        elif arg in options:
            options[arg] = int(next(args))
        elif arg.split("=")[0] in options:
            name, value = arg.split("=", 1)
            options[name] = int(value)
        else:
            positional.append(arg)
    total = int(positional[0]) if positional else 1_000_000
    processes, chunk = options["--processes"], options["--chunk"]
    if total < 1 or processes < 1 or chunk < 1:
        print("N, --processes and --chunk must be at least 1", file=sys.stderr)
        return 2
    alone = [mode for mode in ("per-case", "columnar", "rows") if f"--{mode}" in chosen]
    single = alone or ["columnar", "rows"]
    if not alone and "--skip-per-case" not in chosen:
        single.insert(0, "per-case")
    sizes = chunk_sizes(total, chunk)
    print(
        f"{total} trainee-months in {len(sizes)} chunks of at most {chunk} (chunk i seeded "
        f"{SEED} + i); machine: {os.cpu_count()} cores; load average {load()}"
    )
    start = time.perf_counter()
    figures = run_chunks(range(len(sizes)), sizes, single)
    print(
        f"1 process, the modes one after the other on each chunk: {time.perf_counter() - start:.2f}"
        f" s wall, of which generation (untimed) {figures.pop('generation'):.2f} s; "
        f"load average {load()}"
    )
    if not alone:
        parallel = run_parallel(sizes, processes)
        figures["parallel"] = parallel["columnar"]
        figures["parallel-rows"] = parallel["rows"]
        print(
            f"{processes} processes, each making its chunks and computing both columnar modes: "
            f"{parallel['end_to_end']:.2f} s wall end to end, of which generation (untimed) "
            + ", ".join(f"{g:.2f}" for g in parallel["generation"])
            + f" s per worker; load average {load()}"
        )
    for mode, f in figures.items():
        print(
            f"{LABELS[mode].format(P=processes)}: {f['count']} trainee-months in "
            f"{f['wall']:.2f} s of computation: {f['count'] / f['wall']:,.0f} trainee-months "
            f"per second; CPU time {f['cpu']:.2f} s"
            + (" (largest worker)" if "workers" in f else "")
        )
        for w, r in enumerate(f.get("workers", ())):
            print(
                f"  worker {w}: {r['count']} trainee-months, computation {r['wall']:.2f} s "
                f"wall, {r['cpu']:.2f} s CPU"
            )
    if "per-case" in figures:
        base = figures["per-case"]
        for mode, f in figures.items():
            if mode != "per-case":
                print(
                    f"{mode} vs per-case: {base['wall'] / f['wall']:.2f}x in computation wall "
                    f"time, {base['cpu'] / f['cpu']:.2f}x in CPU time"
                    + (" (largest worker)" if "workers" in f else "")
                )
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(
        f"peak memory: {peak:.0f} MiB (largest worker: {children:.0f} MiB); load average {load()}"
    )
    checksums = {mode: Decimal(f["cents"]).scaleb(-2) for mode, f in figures.items()}
    for mode, checksum in checksums.items():
        print(f"{mode}: checksum of net pay: {checksum}")
    if len(set(checksums.values())) != 1:
        print("the checksums differ", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
