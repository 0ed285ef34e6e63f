"""What a payment run reads. A run reads every admitted dossier of the region with its
enrollment, trainee, validated lines and ledger: it reads columns (`values_list`), not model
instances, chunk by chunk over a range of enrollment ids, so that no query carries a list of
thousands of ids and no row costs a model instance."""

from __future__ import annotations

import datetime as dt
import json
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Sum, TextField
from django.db.models.functions import Cast
from django.utils import timezone

from remu.actions.models import TrainingAction
from remu.attendance.models import Absence, AttendanceLine, SickLeave
from remu.attendance.services import engine_absence
from remu.core.compiled import FIRST, LAST, REGION, UPTO, Compiled
from remu.core.fields import raw
from remu.dossiers.models import (
    Dossier,
    DossierTransition,
    Journey,
    TravelSituation,
    WeeklyHoursChange,
)
from remu.dossiers.travel import Travel
from remu.rules.engine import Absence as EngineAbsence
from remu.rules.engine import Journey as EngineJourney
from remu.rules.engine import SickLeave as EngineSickLeave
from remu.trainees.models import Enrollment, Trainee

from .models import Adjustment, Component, DueAmount, Payment, SocialContribution, TaxRate

EXPLAINED = {  # components whose advice carries the ledger's explanation
    Component.COMPLEMENT,
    Component.TRANSPORT_COSTS,
    Component.ADJUSTMENT,
    Component.ADJUSTMENT_ALLOWANCES,
}

Bounds = tuple[int, int]  # first and last enrollment id of a chunk


@dataclass(slots=True)
class ActionFacts:
    weekly_hours: Decimal
    total_hours: int
    entry_bonus: bool
    distance_learning: bool
    programme: str


@dataclass(slots=True)
class Payable:
    """An admitted RS1 dossier with its enrollment and trainee, as a run reads it."""

    dossier_id: int
    enrollment_id: int
    action_id: int
    category: str
    weekly_hours: Decimal | None
    prior_monthly_salary: Decimal | None
    iban: str
    bic: str
    account_holder: str
    bank_details_rejected: bool
    entry_date: dt.date
    exit_date: dt.date | None
    birth_date: dt.date
    nir_hash: str  # the NIR is encrypted; its keyed hash finds the personalised tax rate
    name: str
    pay_start: dt.date | None = None  # a relay after France Travail's ARE: paid from this day
    # Special publics and the dossier deadline at the exit (remu.dossiers.special, deadlines)
    resignation: str = ""
    contract_end: dt.date | None = None
    permit_end: dt.date | None = None
    complete_on: dt.date | None = None


@dataclass(slots=True)
class ValidatedLine:
    id: int
    dossier_id: int
    month: dt.date
    full_time: bool
    presence: str
    period: tuple[dt.date | None, dt.date | None]
    weekly_hours_present: tuple  # decoded once per distinct value: shared, never changed
    absences: list[EngineAbsence] = field(default_factory=list)


def enrollments_in(bounds: Bounds, path: str = "enrollment_id") -> dict:
    """The lookups of a chunk's range (`__range` is not offered on foreign keys)."""
    return {f"{path}__gte": bounds[0], f"{path}__lte": bounds[1]}


def payable_dossiers(region):
    """Admitted RS1 dossiers of the region: the enrollments a run looks at."""
    return Dossier.objects.filter(
        region=region, status=Dossier.Status.ADMITTED, kind=Dossier.Kind.RS1
    )


def payable_enrollments(region) -> list[int]:
    """The enrollment ids a run works through, in order; its chunks are ranges of them."""
    return list(
        payable_dossiers(region).order_by("enrollment_id").values_list("enrollment_id", flat=True)
    )


def region_actions(region) -> dict[int, ActionFacts]:
    """The region's actions, read once a run (a region has thousands, not hundreds of
    thousands)."""
    return {
        pk: ActionFacts(weekly_hours, centre + company, bonus, distance, programme)
        for pk, weekly_hours, centre, company, bonus, distance, programme in (
            TrainingAction.objects.filter(region=region).values_list(
                "pk",
                "weekly_hours",
                "hours_in_centre",
                "hours_in_company",
                "entry_bonus",
                "distance_learning",
                "programme__name",
            )
        )
    }


def _payable_rows(region_id: int, first: int, last: int):
    return (
        Enrollment.objects.filter(
            **enrollments_in((first, last), "pk"),
            **enrollments_in((first, last), "dossiers__enrollment_id"),
            dossiers__region_id=region_id,
            dossiers__status=Dossier.Status.ADMITTED,
            dossiers__kind=Dossier.Kind.RS1,
        )
        .order_by("pk", "dossiers__pk")
        .values_list(
            "dossiers__pk",
            "pk",
            "action_id",
            "dossiers__rate_category",
            "dossiers__weekly_hours",
            "dossiers__last_monthly_salary",
            # The IBAN's token, undecrypted: the run only tests it is there and copies it to
            # the payment lines (fields.Ciphertext); the SEPA export decrypts it.
            raw("dossiers__iban"),
            "dossiers__bic",
            "dossiers__account_holder",
            "dossiers__bank_details_rejected",
            "entry_date",
            "exit_date",
            "trainee__birth_date",
            "trainee__nir_hash",
            "trainee__birth_name",
            "trainee__usage_name",
            "trainee__first_names",
            "dossiers__pay_start",
            "dossiers__resignation",
            "dossiers__contract_end_date",
            "dossiers__residence_permit_until",
            "dossiers__complete_on",
        )
    )


_payables = Compiled(_payable_rows, REGION, FIRST, LAST)


def payables(region, bounds: Bounds) -> list[Payable]:
    """The payable dossiers of a chunk's range, with their enrollment and trainee, in
    enrollment order. Read from the enrollments with the range on both tables: PostgreSQL
    does not carry a range over a join, and with it on the dossiers only it scanned every
    enrollment and trainee of the table for each chunk (a run's reading grew with the square
    of its size)."""
    rows = _payables(region.pk, *bounds)
    return [Payable(*row[:14], Trainee.name_of(*row[14:17]), *row[17:]) for row in rows]


def _validated(first: int, last: int, upto: dt.date):
    return AttendanceLine.objects.filter(
        **enrollments_in((first, last)),
        status=AttendanceLine.Status.VALIDATED,
        statement__month__lte=upto,
        dossier__isnull=False,  # lines not paid by the region are declared for invoicing only
    ).order_by("pk")


_lines = Compiled(
    lambda first, last, upto: _validated(first, last, upto).values_list(
        "pk",
        "dossier_id",
        "statement__month",
        "full_time",
        "presence",
        "period_start",
        "period_end",
        json_text("weekly_hours_present"),
    ),
    FIRST,
    LAST,
    UPTO,
)
_absences = Compiled(
    lambda first, last, upto: (
        Absence.objects.filter(line__in=_validated(first, last, upto))
        .order_by("start", "pk")
        .values_list("line_id", "start", "end", "reason", "hours", "legal_leave_kind")
    ),
    FIRST,
    LAST,
    UPTO,
)


def validated_lines(bounds: Bounds, upto: dt.date) -> list[ValidatedLine]:
    """The validated attendance lines of the chunk's enrollments up to a month, with their
    declared absences (one query for the lines, one for the absences), in id order (not the
    model's order by trainee name, which joins the enrollment and the trainee to sort). The
    weekly hours present are read as their JSON text and decoded once per distinct text (most
    lines are full time, `[]`), as a tuple: a line's case is a memo key (payments/memo.py)."""
    decoded: dict = {}
    by_id = {}
    for pk, dossier_id, month, full_time, presence, start, end, hours in _lines(*bounds, upto):
        weekly = decoded.get(hours)
        if weekly is None:
            weekly = decoded[hours] = tuple(json.loads(hours))
        by_id[pk] = ValidatedLine(pk, dossier_id, month, full_time, presence, (start, end), weekly)
    for line_id, start, end, reason, hours, kind in _absences(*bounds, upto):
        by_id[line_id].absences.append(engine_absence(start, end, reason, hours, kind))
    return list(by_id.values())


def json_text(name: str) -> Cast:
    """A JSON column as its text: Django's converter would decode every row's value."""
    return Cast(name, TextField())


_travels = Compiled(
    lambda first, last: (
        TravelSituation.objects.filter(**enrollments_in((first, last), "dossier__enrollment_id"))
        .order_by("dossier_id", "valid_from")
        .values_list("dossier_id", "valid_from", "distance_km", "housing")
    ),
    FIRST,
    LAST,
)


def travel_situations(bounds: Bounds) -> dict[int, list[Travel]]:
    """The travel situations of the chunk's dossiers, by dossier, in date order (one query)."""
    found: dict[int, list[Travel]] = defaultdict(list)
    for dossier_id, valid_from, distance, housing in _travels(*bounds):
        found[dossier_id].append(Travel(valid_from, distance, housing))
    return found


_hours_changes = Compiled(
    lambda first, last: (
        WeeklyHoursChange.objects.filter(**enrollments_in((first, last), "dossier__enrollment_id"))
        .order_by("dossier_id", "valid_from")
        .values_list("dossier_id", "valid_from", "weekly_hours")
    ),
    FIRST,
    LAST,
)


def hours_changes(bounds: Bounds) -> dict[int, list[tuple[dt.date, Decimal]]]:
    """The dated weekly hours of the chunk's dossiers, by dossier, in date order (one query)."""
    found: dict[int, list] = defaultdict(list)
    for dossier_id, valid_from, weekly_hours in _hours_changes(*bounds):
        found[dossier_id].append((valid_from, weekly_hours))
    return found


def validated_in_month(bounds: Bounds, month: dt.date) -> set[int]:
    """The dossiers of the chunk with a validated line for the month."""
    return set(
        AttendanceLine.objects.filter(
            **enrollments_in(bounds),
            statement__month=month,
            status=AttendanceLine.Status.VALIDATED,
            dossier__isnull=False,
        ).values_list("dossier_id", flat=True)
    )


def admission_days(bounds: Bounds) -> dict[int, dt.date]:
    """The day each dossier of the chunk was first admitted (from its history)."""
    days = {}
    for dossier_id, at in (
        DossierTransition.objects.filter(
            **enrollments_in(bounds, "dossier__enrollment_id"), to_status=Dossier.Status.ADMITTED
        )
        .order_by("at", "pk")
        .values_list("dossier_id", "at")
    ):
        days.setdefault(dossier_id, timezone.localdate(at))
    return days


def statements_of_lines(line_ids) -> dict[int, int]:
    """The attendance statement of each of these lines (an anomaly links to its line)."""
    if not line_ids:
        return {}
    return dict(AttendanceLine.objects.filter(pk__in=line_ids).values_list("pk", "statement_id"))


Key = tuple[int, dt.date, str]  # enrollment, month, component


@dataclass(slots=True)
class Ledger:
    """A chunk's ledger, as a run reads it."""

    due: dict  # what is due per key, up to a month
    ordered: dict  # what was ordered per key (rejected lines excluded)
    bonus_month: dict  # enrollment -> the month of its entry bonus (any month)
    holds: bool  # any due or social contribution for the range's enrollments


_dues = Compiled(
    lambda first, last: (
        DueAmount.objects.filter(**enrollments_in((first, last)))
        # no order: the model's (by enrollment, hence by trainee name) joins two tables to sort
        .order_by()
        .values_list("enrollment_id", "month", "component", "amount")
    ),
    FIRST,
    LAST,
)
_ordered = Compiled(
    lambda first, last: (
        Payment.objects.ordered()
        .filter(**enrollments_in((first, last)))
        .values_list("enrollment_id", "month", "component")
        .annotate(total=Sum("amount"))
        .order_by()
    ),
    FIRST,
    LAST,
)
_contributions = Compiled(  # whether the range has any (as `exists()`: one row at most)
    lambda first, last: (
        SocialContribution.objects.filter(**enrollments_in((first, last)))
        .order_by()
        .values_list("enrollment_id")[:1]
    ),
    FIRST,
    LAST,
)


def ledger(bounds: Bounds, upto: dt.date) -> Ledger:
    """The chunk's ledger: what is due and what was ordered (rejected lines excluded) per
    enrollment, month and component; `offsets.deduct` then takes off what was claimed back.
    The dues are read in one query that also gives the entry bonus months and whether the
    ledger holds anything for the range (a first run writes straight into the tables).
    Enrollment ids belong to one region: the range alone selects (and uses the ledger's unique
    index)."""
    due: dict[Key, Decimal] = {}
    bonus_month: dict[int, dt.date] = {}
    entry_bonus = Component.ENTRY_BONUS.value
    holds = False
    for enrollment, month, component, amount in _dues(*bounds):
        holds = True
        if month <= upto:
            due[enrollment, month, component] = amount
        if component == entry_bonus:
            bonus_month[enrollment] = month
    ordered: dict[Key, Decimal] = defaultdict(Decimal)
    for enrollment, month, component, total in _ordered(*bounds):
        ordered[(enrollment, month, component)] += total
    holds = holds or bool(_contributions(*bounds))
    return Ledger(due, ordered, bonus_month, holds)


def tax_rates(region, day: dt.date) -> dict[str, Decimal]:
    """The personalised withholding rate of each NIR on a day (the latest valid), read once a
    run; keyed by the NIR's hash (nothing decrypted)."""
    rates = {}
    for nir_hash, rate in (
        TaxRate.objects.filter(region=region, valid_from__lte=day)
        .order_by("nir_hash", "-valid_from")
        .values_list("nir_hash", "rate")
    ):
        rates.setdefault(nir_hash, rate)
    return rates


def entry_bonus_months(bounds: Bounds) -> dict[int, dt.date]:
    """The month the ledger holds each enrollment's entry bonus for (one query): it stays
    there, so a bonus is never due twice (one per enrollment, a database constraint)."""
    return dict(
        DueAmount.objects.filter(**enrollments_in(bounds), component="entry_bonus")
        .order_by()  # see `ledger`
        .values_list("enrollment_id", "month")
    )


# -- issue 12: adjustments, RS2 journeys, sick leaves ----------------------------------------


def approved_adjustments(bounds: Bounds) -> list[tuple]:
    """The chunk's approved adjustments: (id, enrollment, month, component, amount, reason,
    approval time, run that took it)."""
    return _adjustments(*bounds)


_adjustments = Compiled(
    lambda first, last: (
        Adjustment.objects.filter(
            **enrollments_in((first, last)), status=Adjustment.Status.APPROVED
        )
        .order_by("enrollment_id", "month", "decided_at", "pk")
        .values_list(
            "pk", "enrollment_id", "month", "corrects", "amount", "reason", "decided_at", "run_id"
        )
    ),
    FIRST,
    LAST,
)


@dataclass(slots=True)
class Rs2Facts:
    """An RS2 dossier's accepted journeys with what their limits depend on."""

    training_end: dt.date
    family: bool
    journeys: list[EngineJourney] = field(default_factory=list)


_journeys = Compiled(
    lambda first, last: (
        Journey.objects.filter(
            **enrollments_in((first, last), "dossier__enrollment_id"),
            dossier__kind=Dossier.Kind.RS2,
            review="accepted",
        )
        .exclude(dossier__status__in=[Dossier.Status.DRAFT, Dossier.Status.REJECTED])
        .order_by("dossier__enrollment_id", "date", "pk")
        .values_list(
            "dossier__enrollment_id",
            "dossier__enrollment__action__real_end",
            "dossier__enrollment__action__planned_end",
            "dossier__children",
            "dossier__single_parent",
            "dossier__pregnant",
            "purpose",
            "date",
            "distance_km",
            "amount",
        )
    ),
    FIRST,
    LAST,
)


def accepted_journeys(bounds: Bounds) -> dict[int, Rs2Facts]:
    """The accepted journeys of the chunk's RS2 dossiers (neither draft nor rejected), by
    enrollment, in date order (one query)."""
    found: dict[int, Rs2Facts] = {}
    for row in _journeys(*bounds):
        enrollment_id, real_end, planned_end, children, single_parent, pregnant = row[:6]
        facts = found.get(enrollment_id)
        if facts is None:
            facts = found[enrollment_id] = Rs2Facts(
                real_end or planned_end, bool(children or single_parent or pregnant)
            )
        purpose, day, distance, amount = row[6:]
        facts.journeys.append(EngineJourney(purpose.upper(), day, distance, amount))
    return found


_sick_leaves = Compiled(
    lambda first, last: (
        SickLeave.objects.filter(**enrollments_in((first, last)))
        .order_by("enrollment_id", "start", "pk")
        .values_list("enrollment_id", "start", "end", "daily_allowance", "kind")
    ),
    FIRST,
    LAST,
)


def sick_leaves(bounds: Bounds) -> dict[int, list[EngineSickLeave]]:
    """The chunk's sick / maternity leaves, by enrollment (one query)."""
    found: dict[int, list[EngineSickLeave]] = defaultdict(list)
    for enrollment_id, start, end, allowance, kind in _sick_leaves(*bounds):
        found[enrollment_id].append(EngineSickLeave(start, end, allowance, kind))
    return found


def advice_details(payment: Payment) -> list[str]:
    """The ledger's explanation of a line paid on its own (transport costs, complement,
    adjustments), for its advice; the month's pay keeps its label alone."""
    if payment.component not in EXPLAINED:
        return []
    due = DueAmount.objects.filter(
        enrollment_id=payment.enrollment_id, month=payment.month, component=payment.component
    ).first()
    return list(due.explanation) if due else []
