"""The ledger and the payment runs.

For each enrollment, month and component, the amount due comes from the rules engine (admitted
dossier + validated attendance, and the entry bonus); a run orders the difference between what
is due and what was already ordered (rejected lines excluded, amounts owed by the trainee
deducted). Positive: a payment line; negative: an overpayment claimed from the trainee, offset
on the trainee's later positive lines (`offsets.py`; the overpayments app keeps the claims).
Running the same run twice orders nothing the second time.

Exactly once: at most one active run per region (a partial unique constraint), each chunk of
enrollments in its own transaction (a crash loses nothing committed and orders nothing twice:
the next run computes the remaining differences), a heartbeat to recognise a dead worker. A
run's chunks are rows (`RunChunk`) that any number of workers claim with `SELECT … FOR UPDATE
SKIP LOCKED` in the transaction writing the chunk's orders: a chunk is done once, the chunk of
a worker that dies comes back, and the run is completed once, its row locked.
"""

from __future__ import annotations

import datetime as dt
import gc
import os
import socket
import threading
import time
from collections import defaultdict
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal
from functools import partial
from operator import attrgetter

from django.conf import settings
from django.db import IntegrityError, connection, connections, transaction
from django.db.models import Subquery, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone

from remu.attendance import closures
from remu.attendance.services import build_case
from remu.core.fields import Ciphertext
from remu.core.french import month_of, month_year
from remu.dossiers import special
from remu.dossiers.travel import in_force
from remu.rules.calendar import age_on, month_bounds
from remu.rules.engine import CaseError, default_tax_rate
from remu.rules.money import cents, euros
from remu.scales.selectors import engine as engine_for

from . import (
    adjustments,
    bulk,
    complements,
    contributions,
    corrections,
    forked,
    keys,
    offsets,
    selectors,
    slots,
    transport_costs,
)
from .incomplete import incomplete_at_exit, incomplete_text
from .memo import CaseMemo
from .models import (
    OWN_LINE,
    TAXABLE,
    Component,
    DueAmount,
    Payment,
    PaymentRun,
    PaymentTransition,
    RunChunk,
    SocialContribution,
)

YOUNG_OBJECTS = 500_000  # objects the collector's youngest generation may hold during a run
CHUNK = 2000  # enrollments per transaction: a crash loses at most one chunk's work
ZERO = Decimal("0.00")
LABELS = dict(Component.choices)
ANOMALIES_KEPT = 200  # a run's summary keeps the first ones (and their count)


class RunError(Exception):
    pass


def stale_after() -> dt.timedelta:
    return dt.timedelta(seconds=getattr(settings, "PAYMENT_RUN_STALE_SECONDS", 300))


# -- what every chunk of a run shares ---------------------------------------------------------


class Steps:
    """The seconds a worker spends in each step of its chunks, summed over the run: reading
    (the chunk's claim and every query before computing), computing (the engine and the
    ordering), writing (the COPYs and updates) and committing (deferred checks included)."""

    def __init__(self):
        self.seconds: dict[str, float] = dict.fromkeys(("read", "compute", "write", "commit"), 0.0)
        self._lock = threading.Lock()  # a worker's threads add to the same sums

    @contextmanager
    def __call__(self, step: str):
        start = time.perf_counter()
        try:
            yield
        finally:
            self.add(step, time.perf_counter() - start)

    def add(self, step: str, seconds: float) -> None:
        with self._lock:
            self.seconds[step] += seconds


class RunContext:
    """What every chunk of a run reads, read once: the region's engine, actions and personalised
    tax rates; and the time spent in each step of its chunks. A worker's threads share it: none
    changes it but to make the memo (the first wins; a second one made meanwhile is dropped)."""

    def __init__(self, region, month: dt.date, steps: Steps | None = None):
        self.steps = steps or Steps()
        self.region = region
        self.month = month
        self.today = timezone.localdate()
        self.rules = engine_for(region)
        self.territory = self.rules.sets[region.parameter_set].territory
        self.actions = selectors.region_actions(region)
        self.rates = selectors.tax_rates(region, self.today)
        self.memo = None  # the run's CaseMemo, shared by its chunks (made by the first one)


def chunks(ids: list[int], size: int):
    """(how many done after it, its range of enrollment ids) for each chunk of a run."""
    for start in range(0, len(ids), size):
        part = ids[start : start + size]
        yield start + len(part), (part[0], part[-1])


@contextmanager
def collector_held_off():
    """Python's cyclic garbage collector held off while a run's (or a preview's) chunks are
    worked: they make millions of short-lived rows and dicts that hold no cycle (refcounting
    frees them), and the automatic collections walked the survivors again and again (0.3 s of
    a 100,000-trainee run, threads or not). After each chunk the young generations are
    collected only if they hold many objects (`collect_young`): what cycles the chunks leave,
    if any, stays bounded, and a collection does not walk another thread's chunk at each
    chunk's end. A collector disabled by someone else stays so."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def collect_young() -> None:
    if gc.get_count()[0] > YOUNG_OBJECTS:
        gc.collect(1)


# -- anomalies -------------------------------------------------------------------------------


def anomaly(text: str, kind: str, *, dossier: int, line: int | None = None) -> dict:
    """An anomaly met by a run, with what causes it: the dossier, and the attendance line when
    the month's statement is at fault (a run's page links to them). Older summaries hold plain
    strings: the page shows those as text."""
    return {"text": text, "kind": kind, "dossier": dossier, "line": line}


def kept_anomalies(anomalies: list) -> list:
    """The first anomalies, for a run's summary, each line's statement added (one query)."""
    kept = anomalies[:ANOMALIES_KEPT]
    statements = selectors.statements_of_lines({a["line"] for a in kept if a["line"]})
    return [{**a, "statement": statements.get(a["line"])} for a in kept]


def shown_anomalies(summary: dict | None) -> list[dict]:
    """A run's anomalies for its page, all of one shape (an older summary's strings: text only)."""
    blank = {"text": "", "kind": "", "dossier": None, "line": None, "statement": None}
    return [
        {**blank, **a} if isinstance(a, dict) else {**blank, "text": str(a)}
        for a in (summary or {}).get("anomalies", [])
    ]


# -- dues ------------------------------------------------------------------------------------


@dataclass
class DueInputs:
    """What the dues of a range of enrollments are computed from, read before any computing
    (one query each)."""

    lines: list
    bonus_month: dict  # enrollment -> month of its entry bonus, in the ledger
    travels: dict
    leaves: dict
    hours_changes: dict
    earlier: dict  # dossier facts corrected from a month on
    periods: dict  # paid by France Travail: not by the run
    journeys: dict  # RS2 accepted journeys
    adjustments: list  # approved manual adjustments

    @classmethod
    def read(cls, bounds, month: dt.date, bonus_month: dict | None = None) -> DueInputs:
        """`bonus_month`: the entry bonus months, when the ledger was read (read here else)."""
        return cls(
            lines=selectors.validated_lines(bounds, month),
            bonus_month=selectors.entry_bonus_months(bounds)
            if bonus_month is None
            else bonus_month,
            travels=selectors.travel_situations(bounds),
            leaves=selectors.sick_leaves(bounds),
            hours_changes=selectors.hours_changes(bounds),
            earlier=corrections.earlier_values(bounds),
            periods=corrections.benefit_periods(bounds),
            journeys=selectors.accepted_journeys(bounds),
            adjustments=list(selectors.approved_adjustments(bounds)),
        )


def compute_dues(
    ctx: RunContext, payables, bounds, social: list | None = None, inputs: DueInputs | None = None
) -> tuple[list[dict], list[dict]]:
    """The dues of these dossiers' enrollments for every validated month of the run (the entry
    bonus with the enrollment's first validated month, or the month the ledger already holds
    it for), as rows for the ledger; plus the anomalies met. The months' social contributions
    are added to `social`. `inputs`: what was read for the range (read here when not given)."""
    region, rules = ctx.region, ctx.rules
    inputs = inputs or DueInputs.read(bounds, ctx.month)
    by_dossier = {p.dossier_id: p for p in payables}
    dues, anomalies = [], []
    lines = inputs.lines
    bonus_month = dict(inputs.bonus_month)  # enrollment -> month, in the ledger
    held = set(bonus_month)
    first_month = {}  # enrollment -> its first validated month
    for line in lines:
        payable = by_dossier.get(line.dossier_id)
        if payable is not None:
            known = first_month.get(payable.enrollment_id)
            if known is None or line.month < known:
                first_month[payable.enrollment_id] = line.month
    for enrollment_id, month in first_month.items():
        bonus_month.setdefault(enrollment_id, month)
    travels = inputs.travels
    leaves = inputs.leaves
    complement_days = defaultdict(int)  # dossier -> sickness complement days of earlier months
    lines.sort(key=attrgetter("dossier_id", "month", "id"))
    hours_changes = inputs.hours_changes
    earlier = inputs.earlier
    periods = inputs.periods
    # dossier -> (month, centre-closure days) of its validated lines with any (the months
    # without count for nothing in `closures.prior_days`)
    closed = defaultdict(list)
    for line in lines:
        if line.absences:
            days = closures.closure_days(line.month, line.absences)
            if days:
                closed[line.dossier_id].append((line.month, days))
    closing = set(closed)  # the dossiers with a closure day in a validated month
    # Each distinct case is computed once in the run (memo.py: most months repeat a few); a
    # case is built only for a month the memo has not met (its key is build_case's arguments).
    compute = ctx.memo
    if compute is None:
        compute = ctx.memo = CaseMemo(rules.compute)
    months = {}  # month -> (closure window, last day, social contribution base): read once
    social_rows = {}  # the social contribution row of each result (contributions.py)
    region_id, parameter_set = region.pk, region.parameter_set
    components = (
        Component.REMUNERATION.value,
        Component.ALLOWANCES.value,
        Component.ENTRY_BONUS.value,
        Component.COMPLEMENT.value,
    )
    actions = ctx.actions
    for line in lines:
        dossier_id = line.dossier_id
        payable = by_dossier.get(dossier_id)
        if payable is None:
            continue
        month = line.month
        corrected = earlier.get(dossier_id)
        if corrected:
            payable = corrections.as_of(payable, month, corrected)
        enrollment_id, entry_date = payable.enrollment_id, payable.entry_date
        action = actions[payable.action_id]
        situations = travels.get(dossier_id)
        travel = in_force(situations, max(month, entry_date)) if situations else None
        of_month = months.get(month)
        if of_month is None:
            options = rules.options(parameter_set, month)
            of_month = months[month] = (
                closures.window_months(options),
                month_bounds(month.year, month.month)[1],
                contributions.SocialBase(options),
            )
        window, last_day, social_base = of_month
        sick = leaves.get(enrollment_id)
        changes = hours_changes.get(dossier_id)
        # Every argument of build_case but the line id and the birth date: they are the memo's
        # key (with the age at entry), so a case is built only for a key not met yet.
        args = {
            "month": month,
            "full_time": line.full_time,
            "presence": line.presence,
            "period": line.period,
            "weekly_hours_present": line.weekly_hours_present,
            "declared_absences": tuple(line.absences) if line.absences else (),
            "parameter_set": parameter_set,
            "category": payable.category,
            "entry_date": entry_date,
            "exit_date": payable.exit_date,
            "weekly_hours": payable.weekly_hours or action.weekly_hours,
            "prior_monthly_salary": payable.prior_monthly_salary,
            "training_total_hours": action.total_hours,
            "pay_start": payable.pay_start,
            "distance_km": travel.distance_km if travel else None,
            "housing": travel.housing if travel else False,
            "prior_closure_days_paid": closures.prior_days(
                entry_date, month, window, closed[dossier_id]
            )
            if dossier_id in closing
            else 0,
            "sick_leaves": tuple(sick) if sick else (),
            "prior_complement_days": complement_days[dossier_id],
            "resigned_contract_end": special.resigned_contract_end(
                parameter_set, entry_date, payable.resignation, payable.contract_end
            )
            if payable.resignation
            else None,
            "permit_end": payable.permit_end,
            "hours_changes": tuple(changes) if changes else (),
            # never for a trainee admitted on ARE (seed 001 §3.5: « ni des aides connexes »)
            "entry_bonus_granted": action.entry_bonus and payable.pay_start is None,
            "entry_bonus_paid": bonus_month[enrollment_id] != month,
            "distance_learning": action.distance_learning,
        }

        try:
            result = compute.keyed(
                (age_on(payable.birth_date, entry_date), *args.values()),
                _case,
                args,
                line.id,
                payable.birth_date,
            )
            benefit_periods = periods.get(enrollment_id)
            if benefit_periods:
                # the days of a France Travail benefit period are not paid (issue 13)
                result = corrections.without_periods(
                    compute,
                    partial(_case_paid, args, line.id, payable.birth_date),
                    payable,
                    month,
                    last_day,
                    benefit_periods,
                    result,
                )
            complement_days[dossier_id] += result.complement_days
        except CaseError as exc:
            anomalies.append(
                anomaly(
                    f"{payable.name} ({month:%m/%Y}) : {exc.message}",
                    "attendance",
                    dossier=payable.dossier_id,
                    line=line.id,
                )
            )
            continue
        if social is not None:
            row = contributions.row_from_result(
                region, payable, month, result, rules, base=social_base, kept=social_rows
            )
            if row:
                social.append(row)
        # a bonus the ledger holds is recomputed here (to nothing, if no longer granted)
        bonus_held = bonus_month[enrollment_id] == month and enrollment_id in held
        remuneration, allowances, bonus, complement = components
        for component, amount in (
            (remuneration, result.remuneration),
            (allowances, result.allowances),
            (bonus, result.entry_bonus),
            (complement, result.complement),
        ):
            if amount or component is remuneration or (component is bonus and bonus_held):
                dues.append(
                    {
                        "region_id": region_id,
                        "enrollment_id": enrollment_id,
                        "dossier_id": payable.dossier_id,
                        "month": month,
                        "component": component,
                        "amount": amount,
                        "explanation": result.explanation,
                        "version_label": result.version_label,
                    }
                )
    anomalies += complements.add_after_exit(ctx, payables, leaves, complement_days, dues, anomaly)
    anomalies += transport_costs.add_dues(
        ctx, payables, bounds, dues, anomaly, found=inputs.journeys
    )
    return dues, anomalies


def _case(args: dict, line_id: int, birth_date: dt.date):
    """The engine's case of a line from build_case's other arguments."""
    return build_case(**args, line_id=line_id, birth_date=birth_date)


def _case_paid(args: dict, line_id: int, birth_date: dt.date, pay_start, exit_date):
    """The same case paid from `pay_start` to `exit_date` (corrections.without_periods)."""
    return _case({**args, "pay_start": pay_start, "exit_date": exit_date}, line_id, birth_date)


# -- the run ---------------------------------------------------------------------------------


def start_run(region, kind, month: dt.date, user, *, preview: bool = False) -> PaymentRun:
    """Queues a run (or a preview); refuses a run while another is at work in the region (a
    dead one is marked interrupted first, from its heartbeat). Previews order nothing and are
    never refused."""
    month = month.replace(day=1)
    with transaction.atomic():
        stale = timezone.now() - stale_after()
        PaymentRun.objects.filter(
            region=region, status=PaymentRun.Status.RUNNING, heartbeat_at__lt=stale
        ).update(status=PaymentRun.Status.INTERRUPTED, finished_at=timezone.now())
        try:
            with transaction.atomic():
                return PaymentRun.objects.create(
                    region=region, kind=kind, month=month, created_by=user, is_preview=preview
                )
        except IntegrityError as exc:
            raise RunError("Une série de paiement est déjà en cours pour la région.") from exc


def worker_id() -> str:
    """Who works a chunk, shown on the run's page: the machine and the process."""
    return f"{socket.gethostname()}:{os.getpid()}"[:100]


def execute_run(
    run_id: int,
    *,
    chunk: int = CHUNK,
    after_chunk=None,
    worker: str | None = None,
    steps: Steps | None = None,
) -> PaymentRun:
    """Works a queued run (or preview) through, chunk by chunk, each in its own transaction.

    A run's chunks are rows (`RunChunk`), written by the first worker that takes the run; any
    number of workers (`db_worker` processes, one task each) then share them, each claiming
    the next pending chunk with `SELECT … FOR UPDATE SKIP LOCKED` in the transaction that
    writes its orders: every chunk is ordered exactly once, and the chunk of a worker that dies
    is rolled back and claimable again. The run is completed (summary, status) once, by the
    worker that sees its last chunk done with the run's row locked. A preview orders nothing
    and keeps its figures in memory: one worker works it through. `steps`, if given, sums the
    seconds of each step of this worker's chunks (the bench prints them)."""
    with transaction.atomic():
        run = PaymentRun.objects.select_for_update().get(pk=run_id)
        if run.status == PaymentRun.Status.QUEUED:
            run.status = PaymentRun.Status.RUNNING
            run.started_at = run.heartbeat_at = timezone.now()
            ids = selectors.payable_enrollments(run.region)
            run.total = len(ids)
            run.save()
            if not run.is_preview:
                RunChunk.objects.bulk_create(
                    RunChunk(run=run, number=number, first_id=first, last_id=last, size=size)
                    for number, (size, (first, last)) in enumerate(chunk_sizes(ids, chunk))
                )
        elif (
            run.status != PaymentRun.Status.RUNNING
            or run.is_preview
            or not run.chunks.filter(status=RunChunk.Status.PENDING).exists()
        ):
            # over; or a preview another worker has; or nothing left to claim (a run started
            # before its chunks were rows: its own worker completes it)
            return run
    if run.is_preview:
        return _preview(run, ids, chunk, after_chunk)
    return work_chunks(run, worker or worker_id(), after_chunk=after_chunk, steps=steps)


def chunk_sizes(ids: list[int], size: int):
    """(its number of enrollments, its range of enrollment ids) for each chunk of a run."""
    previous = 0
    for done, bounds in chunks(ids, size):
        yield done - previous, bounds
        previous = done


def work_chunks(run: PaymentRun, worker: str, *, after_chunk=None, pause: float = 0.2, steps=None):
    """Claims and orders the run's pending chunks until none is left, then completes the run
    if its last chunk is done (or returns, the run being over). A chunk another worker holds
    is waited for (its worker may die: the chunk comes back), as long as the run's heartbeat
    is fresh.

    On PostgreSQL a worker orders chunks in `PAYMENT_RUN_PROCESSES` processes (itself and
    forked helpers, `forked`: each its own interpreter lock), each ordering
    `PAYMENT_RUN_THREADS` chunks at once (3 and 1 by default; the processes are those free of
    the machine's slots, `slots`), each chunk in a thread with its
    own connection and transaction, claimed as another worker's would be: while a chunk waits
    on PostgreSQL (its reads, COPYs, key checks and commit), the others compute. A thread or
    helper that fails stops the others at their next chunk and its error is raised here (its
    chunk rolled back and claimable again)."""
    ctx = RunContext(run.region, run.month, steps)
    with collector_held_off():
        return _work(ctx, run, worker, after_chunk, pause)


def _work(ctx: RunContext, run: PaymentRun, worker: str, after_chunk, pause: float):
    stop = threading.Event()
    failures: list[BaseException] = []

    def order(steps, stop):  # in a forked helper: its own steps, no progress callback
        ctx.steps = steps
        _order_in_threads(ctx, run, worker, None, stop)

    with (
        slots.taken(worker, helper_processes()) as processes,
        forked.helpers(processes - 1, order, ctx.steps, stop, failures),
    ):
        _order_in_threads(ctx, run, worker, after_chunk, stop)
    if failures:
        raise failures[0]
    while True:
        _claim_all(ctx, run, worker, after_chunk, stop)
        over = _complete(run, ctx)
        if over is not None:
            return over
        run.refresh_from_db(fields=["heartbeat_at", "status"])
        if run.status != PaymentRun.Status.RUNNING:
            return run
        if run.heartbeat_at and run.heartbeat_at < timezone.now() - stale_after():
            return run  # nobody is at work on it: the next run orders what it left
        time.sleep(pause)


def _order_in_threads(ctx: RunContext, run: PaymentRun, worker: str, after_chunk, stop) -> None:
    """Orders chunks in this thread and `helper_threads() - 1` others until none is left to
    claim; the first error (any thread's) is raised once all have stopped."""
    failures: list[BaseException] = []
    helpers = [
        threading.Thread(
            target=_helper,
            args=(ctx, run, worker, after_chunk, stop, failures),
            name=f"run-{run.pk}-{number}",
        )
        for number in range(1, helper_threads())
    ]
    for helper in helpers:
        helper.start()
    try:
        _claim_all(ctx, run, worker, after_chunk, stop)
    except BaseException:
        stop.set()
        raise
    finally:
        for helper in helpers:
            helper.join()
    if failures:
        raise failures[0]


def _alone() -> bool:
    """Whether a worker must order its chunks alone: where other connections could not see
    the caller's transaction (a test's), or on SQLite (a single writer)."""
    return connection.vendor != "postgresql" or connection.in_atomic_block


def helper_threads() -> int:
    """How many chunks each process of a worker orders at once (threads)."""
    return 1 if _alone() else max(1, getattr(settings, "PAYMENT_RUN_THREADS", 1))


def helper_processes() -> int:
    """How many processes a worker orders chunks in (itself and forked helpers)."""
    if _alone() or not forked.available():
        return 1
    return max(1, getattr(settings, "PAYMENT_RUN_PROCESSES", 1))


def _claim_all(ctx: RunContext, run: PaymentRun, worker: str, after_chunk, stop) -> None:
    while not stop.is_set() and claim_and_order(ctx, run, worker):
        collect_young()
        done = _progress(run)
        if after_chunk:
            after_chunk(done)


def _helper(ctx, run, worker, after_chunk, stop, failures) -> None:
    """A worker's second (third…) thread: orders chunks until none is left to claim, on its
    own connection (closed when it is done)."""
    try:
        _claim_all(ctx, run, worker, after_chunk, stop)
    except BaseException as error:  # raised again by the worker's first thread
        stop.set()
        failures.append(error)
    finally:
        connections.close_all()


def claim_and_order(ctx: RunContext, run: PaymentRun, worker: str) -> bool:
    """Claims the next pending chunk of a running run (one no other worker holds) and orders
    it, in one transaction; False when there is none to claim."""
    # Committed synchronously. `SET LOCAL synchronous_commit = off` here would keep the
    # guarantee (a crash loses whole chunks, the latest ones in commit order, each with its
    # DONE mark: they are pending again and ordered once on resume; `_complete` and the SEPA
    # export commit synchronously, which flushes every chunk before them) but saved nothing
    # measurable, also with the progress asynchronous: the flush is a few ms of a chunk's
    # commit, which is its foreign-key checks (docs/architecture.md « Scale (issue 18) »).
    steps = ctx.steps
    with transaction.atomic():
        with steps("read"):
            claimed = (
                RunChunk.objects.select_for_update(skip_locked=True, of=("self",))
                .filter(
                    run=run, status=RunChunk.Status.PENDING, run__status=PaymentRun.Status.RUNNING
                )
                .order_by("number")
                .first()
            )
            if claimed is None:
                return False
            claimed.claimed_at = timezone.now()
            bounds = (claimed.first_id, claimed.last_id)
            dossiers = selectors.payables(ctx.region, bounds)
        created, anomalies = _order_chunk(ctx, run, bounds, dossiers)
        totals = defaultdict(Decimal)
        for payment in created:
            totals[payment["component"]] += payment["amount"]
        claimed.totals = {k: str(v) for k, v in totals.items()}
        claimed.lines = len(created)
        claimed.anomalies = anomalies[:ANOMALIES_KEPT]
        claimed.anomaly_count = len(anomalies)
        claimed.status = RunChunk.Status.DONE
        claimed.worker = worker
        claimed.done_at = timezone.now()
        with steps("write"):
            claimed.save()
        committing = time.perf_counter()
    steps.add("commit", time.perf_counter() - committing)
    return True


def _progress(run: PaymentRun) -> int:
    """The run's count of enrollments done and its heartbeat, after a chunk (a short statement
    of its own: the chunks' transactions never wait for one another on the run's row)."""
    done = (
        RunChunk.objects.filter(run=run, status=RunChunk.Status.DONE)
        .values("run")
        .annotate(total=Sum("size"))
        .values("total")
    )
    PaymentRun.objects.filter(pk=run.pk).update(
        done=Coalesce(Subquery(done), 0), heartbeat_at=timezone.now()
    )
    return PaymentRun.objects.values_list("done", flat=True).get(pk=run.pk)


def _complete(run: PaymentRun, ctx: RunContext) -> PaymentRun | None:
    """Completes the run once its chunks are all done, exactly once (its row locked); the run
    when it is over, None while chunks remain."""
    with transaction.atomic():
        locked = PaymentRun.objects.select_for_update().get(pk=run.pk)
        if locked.status != PaymentRun.Status.RUNNING:
            return locked
        if locked.chunks.exclude(status=RunChunk.Status.DONE).exists():
            return None
        # P2S-only trainees have no attendance line: their schedule counts
        contributions.record_p2s_only(locked.region, ctx.rules, locked.month)
        locked.status = PaymentRun.Status.DONE
        locked.finished_at = timezone.now()
        locked.done = locked.total
        locked.summary = run_summary(locked)
        locked.save()
        return locked


def run_summary(run: PaymentRun) -> dict:
    """A run's summary, gathered from its chunks in their order: what it ordered, per
    component, its lines, the amounts owed it recorded and the first anomalies."""
    totals = defaultdict(Decimal)
    lines, anomalies, count = 0, [], 0
    for part in run.chunks.order_by("number"):
        for component, amount in part.totals.items():
            totals[component] += Decimal(amount)
        lines += part.lines
        count += part.anomaly_count
        if len(anomalies) < ANOMALIES_KEPT:
            anomalies.extend(part.anomalies)
    return {
        "totals": {k: str(v) for k, v in totals.items()},
        "lines": lines,
        "debts": offsets.claims().of_run(run).count(),
        "anomalies": kept_anomalies(anomalies),
        "anomaly_count": count,
        "workers": run.chunk_workers(),
    }


def _preview(run: PaymentRun, ids: list[int], chunk: int, after_chunk) -> PaymentRun:
    """A preview, by one worker: what each chunk would order, its figures kept in memory."""
    work = Preview(RunContext(run.region, run.month), run)
    with collector_held_off():
        for done, bounds in chunks(ids, chunk):
            with transaction.atomic():
                work.chunk(bounds)
                PaymentRun.objects.filter(pk=run.pk).update(done=done, heartbeat_at=timezone.now())
            collect_young()
            if after_chunk:
                after_chunk(done)
    run.refresh_from_db()
    run.status = PaymentRun.Status.DONE
    run.finished_at = timezone.now()
    run.done = run.total
    run.summary = work.summary()
    run.save()
    return run


class Preview:
    """A preview's work: what each chunk would order, written nowhere; totals, counts per
    programme and anomalies (admitted without validated attendance for the month too)."""

    def __init__(self, ctx: RunContext, run: PaymentRun):
        self.ctx, self.run = ctx, run
        self.totals = defaultdict(Decimal)
        self.per_programme = defaultdict(lambda: {"count": 0, "total": Decimal(0)})
        self.lines = 0
        self.missing, self.anomalies = [], []
        self.social = {"hours": Decimal(0), "amount": Decimal(0)}  # the month's, paid trainees

    def chunk(self, bounds) -> None:
        ctx, month = self.ctx, self.run.month
        month_end = month_bounds(month.year, month.month)[1]
        validated = selectors.validated_in_month(bounds, month)
        programme_of = {}
        dossiers = selectors.payables(ctx.region, bounds)
        for dossier in dossiers:
            programme_of[dossier.enrollment_id] = ctx.actions[dossier.action_id].programme
            if (
                dossier.dossier_id not in validated
                and dossier.entry_date <= month_end
                and (dossier.exit_date is None or dossier.exit_date >= month)
            ):
                self.missing.append(
                    anomaly(
                        f"{dossier.name} : admis, sans présence validée pour {month_year(month)}",
                        "no_attendance",
                        dossier=dossier.dossier_id,
                    )
                )
        social = []
        created, anomalies = _order_chunk(
            ctx, self.run, bounds, dossiers, write=False, social=social
        )
        for row in social:
            if row["month"] == month:
                self.social["hours"] += row["hours"]
                self.social["amount"] += row["amount"]
        for payment in created:
            row = self.per_programme[programme_of[payment["enrollment_id"]]]
            row["count"] += 1
            row["total"] += payment["amount"]
            self.totals[LABELS[payment["component"]]] += payment["amount"]
        self.lines += len(created)
        self.anomalies.extend(anomalies)

    def summary(self) -> dict:
        anomalies = self.missing + self.anomalies
        return {
            "lines": self.lines,
            "total": str(sum(self.totals.values(), Decimal(0))),
            "totals": {k: str(v) for k, v in self.totals.items()},
            "per_programme": {
                name: {"count": row["count"], "total": str(row["total"])}
                for name, row in self.per_programme.items()
            },
            "anomalies": kept_anomalies(anomalies),
            "anomaly_count": len(anomalies),
            "social_contributions": {k: str(v) for k, v in self.social.items()},
        }


@dataclass
class ChunkInputs:
    """Everything a chunk's ordering reads, read in one step before any computing."""

    dues: DueInputs
    due: dict  # the ledger: what is due per key, up to the run's month or today
    ordered: dict  # what was ordered per key (rejected lines excluded)
    deducted: tuple  # what the claims took back per key, and the forfeited keys
    open_claims: dict  # the open claims of the chunk's trainees (locked for a run)
    fresh: bool  # no due nor social contribution yet for the chunk's enrollments


def read_chunk(ctx: RunContext, bounds, *, lock: bool) -> ChunkInputs:
    """The reading step of a chunk: one query for each input (no computing); the ledger's
    dues give the entry bonus months and whether the ledger holds anything yet."""
    ledger = selectors.ledger(bounds, max(ctx.month, ctx.today))
    return ChunkInputs(
        dues=DueInputs.read(bounds, ctx.month, ledger.bonus_month),
        due=ledger.due,
        ordered=ledger.ordered,
        deducted=offsets.claims().deducted(bounds),
        open_claims=offsets.claims().open_claims(ctx.region, bounds, lock=lock),
        fresh=not ledger.holds,
    )


@dataclass
class ChunkOrders:
    """What the computing step of a chunk gives: the rows to write and the anomalies."""

    payments: list[dict]
    claims: list
    dues: list[dict]
    social: list[dict]
    taken: adjustments.Taken
    anomalies: list[dict]


def _order_chunk(ctx: RunContext, run, bounds, dossiers, *, write=True, social=None):
    """Orders, for the payable dossiers of a chunk, every difference between due and ordered;
    with `write=False` (a preview), only says what it would order. Returns the payment rows and
    the anomalies. Three steps, timed apart (`ctx.steps`): reading (`read_chunk`), computing
    (`compute_chunk`: the engine, the differences) and writing (`write_chunk`)."""
    with ctx.steps("read"):
        inputs = read_chunk(ctx, bounds, lock=write)
    with ctx.steps("compute"):
        orders = compute_chunk(ctx, run, bounds, dossiers, inputs, social=social)
    if write:
        with ctx.steps("write"):
            write_chunk(run, bounds, orders, inputs)
    return orders.payments, orders.anomalies


def references():
    """Payment references: « REMU », the time in milliseconds (11 hex digits), then 16 random
    hex digits (31 characters; SEPA's end-to-end id allows 35). Unique by their random part,
    and in time order, so that the unique index takes each new one at its right end: random
    references fell anywhere in it, a page read and written per line. The random bytes and
    the time are drawn a thousand references at a time."""
    while True:
        stamp = f"REMU{time.time_ns() // 1_000_000:011X}"
        block = os.urandom(8 * 1000).hex().upper()
        for start in range(0, len(block), 16):
            yield stamp + block[start : start + 16]


def compute_chunk(
    ctx: RunContext, run, bounds, dossiers, inputs: ChunkInputs, *, social=None
) -> ChunkOrders:
    """The computing step of a chunk: the dues (engine), then every difference between due and
    ordered as a payment row or an amount owed. Dues and social contributions are computed for
    every admitted dossier, bank details or not: only the ordering waits for them. Reads
    nothing."""
    region = ctx.region
    anomalies = []
    payable = {}
    for dossier in dossiers:
        if not dossier.iban or dossier.bank_details_rejected:
            why = (
                "coordonnées bancaires rejetées"
                if dossier.bank_details_rejected
                else "coordonnées bancaires manquantes"
            )
            anomalies.append(
                anomaly(f"{dossier.name} : {why}", "bank_details", dossier=dossier.dossier_id)
            )
        elif incomplete_at_exit(region.parameter_set, dossier.exit_date, dossier.complete_on):
            text = incomplete_text(dossier)
            anomalies.append(anomaly(text, "incomplete", dossier=dossier.dossier_id))
        else:
            payable[dossier.enrollment_id] = dossier
    social = [] if social is None else social
    dues, due_anomalies = compute_dues(ctx, dossiers, bounds, social, inputs.dues)
    anomalies.extend(due_anomalies)
    taken = adjustments.add_dues(region, payable, bounds, dues, approved=inputs.dues.adjustments)
    upto = max(ctx.month, ctx.today)
    due, ordered = inputs.due, inputs.ordered
    forfeited = offsets.deduct(bounds, ordered, read=inputs.deducted)
    open_claims = inputs.open_claims
    # What was just computed replaces what the ledger held (and is written there below).
    due.update(
        ((row["enrollment_id"], row["month"], row["component"]), row["amount"])
        for row in dues
        if row["month"] <= upto
    )
    new_payments, new_claims = [], []
    now = timezone.now()
    reference_of = references()
    region_id, run_id = region.pk, run.pk
    remuneration, entry_bonus = Component.REMUNERATION.value, Component.ENTRY_BONUS.value
    labels = {}  # (component, month, regularisation) -> the line's label
    default_rates = {}  # (month, monthly taxable amount) -> the default withholding rate
    month_rates = {}  # (enrollment, month) -> that rate for the trainee's month
    cap_percents = {}  # month -> the most of a line's net an offset may take, in percent
    tokens = {}  # enrollment -> its dossier's IBAN token, as the lines copy it
    monthly_taxable = {}  # (enrollment, month) -> its taxable dues (the engine's tax base)
    for (enrollment_id, month, component), amount in due.items():
        if component in TAXABLE:
            monthly_taxable[enrollment_id, month] = (
                monthly_taxable.get((enrollment_id, month), ZERO) + amount
            )
    # the loop's lookups bound once (a chunk has tens of thousands of keys)
    due_get, ordered_get, payable_get = due.get, ordered.get, payable.get
    rates_get, taken_labels = ctx.rates.get, taken.labels
    for key in sorted(due.keys() | ordered.keys()):
        enrollment_id, month, component = key
        dossier = payable_get(enrollment_id)
        if dossier is None:
            continue
        difference = due_get(key, ZERO) - ordered_get(key, ZERO)
        if difference == 0 or (difference > 0 and key in forfeited):
            continue
        # A month already paid: what it adds (an allowance left out, a correction) is a
        # regularisation, and the advice says so.
        regularisation = key in ordered or (
            component not in OWN_LINE and (enrollment_id, month, remuneration) in ordered
        )
        label = labels.get((component, month, regularisation))
        if label is None:
            # The entry bonus is paid once: its line names the month it is paid for.
            of = (", au titre " if component == entry_bonus else " ") + month_of(month)
            label = labels[component, month, regularisation] = (
                f"Régularisation : {LABELS[component].lower()}{of}"
                if regularisation
                else f"{LABELS[component]}{of}"
            )
        if taken_labels:
            label = taken_labels.get(key, label)  # « Ajustement manuel de mars 2026 : <reason> »
        if difference < 0:
            new_claims.append(
                offsets.NewClaim(
                    enrollment_id,
                    month,
                    component,
                    ordered[key],
                    due_get(key, ZERO),
                    label + " (trop-perçu)",
                )
            )
            continue
        if component in TAXABLE:
            rate = rates_get(dossier.nir_hash) if dossier.nir_hash else None
            if rate is None:
                rate = month_rates.get((enrollment_id, month))
            if rate is None:
                # the month's taxable amount, as the engine's base: remuneration + bonus
                taxed = monthly_taxable.get((enrollment_id, month), ZERO)
                rate = default_rates.get((month, taxed))
                if rate is None:
                    rate = default_rates[month, taxed] = default_tax_rate(
                        ctx.rules, ctx.territory, month, taxed
                    )
                month_rates[enrollment_id, month] = rate
        else:
            rate = ZERO
        withholding = cents(difference * rate / 100) if rate else ZERO
        reference = next(reference_of)
        claims = open_claims.get(enrollment_id)
        if claims:
            percent = cap_percents.get(month)
            if percent is None:
                percent = cap_percents[month] = offsets.cap_percent(
                    ctx.rules.options(region.parameter_set, month)
                )
            offset = offsets.take(
                claims, offsets.capped(percent, difference - withholding), reference
            )
        else:
            offset = ZERO  # nothing to take back (`offsets.take` of no claim)
        if offset:
            label += f" (dont {euros(offset)} retenus sur un trop-perçu)"
        token = tokens.get(enrollment_id)
        if token is None:
            token = tokens[enrollment_id] = Ciphertext(dossier.iban)  # copied as it is
        new_payments.append(
            {
                "region_id": region_id,
                "run_id": run_id,
                "enrollment_id": enrollment_id,
                "dossier_id": dossier.dossier_id,
                "month": month,
                "component": component,
                "amount": difference,
                "is_regularisation": regularisation,
                "label": label,
                "withholding": withholding,
                "offset": offset,
                "net": difference - withholding - offset,
                "tax_rate": rate,
                "iban": token,
                "bic": dossier.bic,
                "account_holder": dossier.account_holder or dossier.name,
                "reference": reference,
                "created_at": now,
            }
        )
    return ChunkOrders(new_payments, new_claims, dues, social, taken, anomalies)


def write_chunk(run, bounds, orders: ChunkOrders, inputs: ChunkInputs) -> None:
    """The writing step of a chunk: the ledger's dues and social contributions (COPYed straight
    into their tables on a first run), the payment lines, the returned lines reissued, the
    amounts owed and the adjustments taken."""
    written = {DueAmount: orders.dues, SocialContribution: orders.social, Payment: orders.payments}
    with keys.checked_by_chunk(written):
        bulk.upsert_dues(orders.dues, fresh=inputs.fresh)
        contributions.upsert(orders.social, fresh=inputs.fresh)
        bulk.insert_payments(orders.payments)
    mark_reissued(run, bounds, orders.payments)
    offsets.claims().record(run, orders.claims, inputs.open_claims)
    adjustments.mark_taken(orders.taken, run)


def mark_reissued(run, bounds, new_payments) -> None:
    """The returned lines (rejected by the paymaster) whose amount this run orders again on a
    new line become « reissued », each change logged."""
    if not new_payments:
        return
    returned = list(
        Payment.objects.filter(  # from the partial index `payment_returned`
            **selectors.enrollments_in(bounds),
            rejected_on__isnull=False,
            status=Payment.Status.REJECTED,
        )
        .order_by()
        .values_list("pk", "enrollment_id", "month", "component")
    )
    if not returned:
        return
    keys = {(p["enrollment_id"], p["month"], p["component"]) for p in new_payments}
    ids = [pk for pk, *key in returned if tuple(key) in keys]
    if not ids:
        return
    Payment.objects.filter(pk__in=ids).update(status=Payment.Status.REISSUED)
    PaymentTransition.objects.bulk_create(
        PaymentTransition(
            payment_id=pk,
            from_status=Payment.Status.REJECTED,
            to_status=Payment.Status.REISSUED,
            by_id=run.created_by_id,
            reason=f"réémis par la série n° {run.pk}",
        )
        for pk in ids
    )
