"""Hours realised in centre and in company, from the attendance statements (seed 003 §3.5;
docs/architecture.md « One declaration for two uses »). Plain functions over plain data:
`TraineeMonth` in, six columns out, so that the declaration page, the invoice and the
benchmark share one computation.

- Full time: the scheduled hours of the days enrolled (weekly hours spread over Monday to
  Friday), each day in centre or in company by the action's periods (a day no company period
  covers is in centre), minus the absence hours
  of each place (the absence's hours, else its scheduled days); absences with reason
  `UNJUSTIFIED` are « non réalisées non justifiées », the others « justifiées ». A month
  declared absent (or present on a period only) counts the other days as unjustified.
- Part time: the hours entered per week are the hours realised, in the place of the week's
  first scheduled day; absences with hours are added as not realised.
- Early exit with a reason the region admits (`invoicing_admissible_exit_reasons`): the
  scheduled days after the exit, up to the action's end, count as « non réalisées
  justifiées » (paid to the provider, seed §3.5).
- Every registered trainee has a line on the month's statement, paid by the region or not
  (P2S only, France Travail: a line without a dossier, declared for the invoice alone), and is
  computed from it like any line. A trainee without a line (the month's statement not created
  or not refreshed yet): the schedule, the fallback, which the provider corrects through
  « Saisie horaire » where it differs.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from functools import lru_cache

from remu.rules.calendar import month_bounds
from remu.rules.parameters import ABSENCE_REASONS

ZERO = Decimal("0.00")
CENT = Decimal("0.01")
UNJUSTIFIED = "UNJUSTIFIED"


def q(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


@dataclass
class Hours:
    centre_realised: Decimal = ZERO
    centre_justified: Decimal = ZERO
    centre_unjustified: Decimal = ZERO
    company_realised: Decimal = ZERO
    company_justified: Decimal = ZERO
    company_unjustified: Decimal = ZERO

    def add(self, place: str, kind: str, hours: Decimal) -> None:
        name = f"{place}_{kind}"
        setattr(self, name, getattr(self, name) + hours)

    def rounded(self) -> Hours:
        return Hours(**{k: q(v) for k, v in self.as_dict().items()})

    def as_dict(self) -> dict[str, Decimal]:
        return dict(self.__dict__)

    def __add__(self, other: Hours) -> Hours:
        return Hours(**{k: v + getattr(other, k) for k, v in self.as_dict().items()})

    @property
    def centre(self) -> Decimal:
        return self.centre_realised + self.centre_justified + self.centre_unjustified

    @property
    def company(self) -> Decimal:
        return self.company_realised + self.company_justified + self.company_unjustified

    @property
    def total(self) -> Decimal:
        return self.centre + self.company

    @property
    def justified(self) -> Decimal:
        return self.centre_justified + self.company_justified

    @property
    def unjustified(self) -> Decimal:
        return self.centre_unjustified + self.company_unjustified

    @property
    def payable_centre(self) -> Decimal:
        return self.centre_realised + self.centre_justified

    @property
    def payable_company(self) -> Decimal:
        return self.company_realised + self.company_justified


@dataclass
class AbsenceFact:
    start: dt.date
    end: dt.date
    reason: str
    place: str  # centre | company
    hours: Decimal | None = None

    @property
    def label(self) -> str:
        place = "en entreprise" if self.place == "company" else "en centre"
        return f"{ABSENCE_REASONS.get(self.reason, self.reason).capitalize()} {place}"


@dataclass
class TraineeMonth:
    """What the computation needs of one trainee and month."""

    month: dt.date
    entry: dt.date
    exit: dt.date | None
    weekly_hours: Decimal
    action_start: dt.date
    action_end: dt.date
    periods: list[tuple[str, dt.date, dt.date]] = field(default_factory=list)  # place, from, to
    has_line: bool = False
    full_time: bool = True
    presence: str = ""  # full_month | absent_month | period | ""
    period_start: dt.date | None = None
    period_end: dt.date | None = None
    weekly_hours_present: list = field(default_factory=list)
    weeks: list[tuple[dt.date, dt.date]] = field(default_factory=list)
    absences: list[AbsenceFact] = field(default_factory=list)
    paid_after_exit: bool = False  # early exit with an admissible reason


def place_of(day: dt.date, periods) -> str:
    """The day's place by the action's periods: in company when a company period covers it,
    else in centre (the action's default place)."""
    for place, start, end in periods:
        if place == "company" and start <= day <= end:
            return "company"
    return "centre"


def _days(start: dt.date, end: dt.date):
    day = start
    while day <= end:
        yield day
        day += dt.timedelta(days=1)


def schedule(tm: TraineeMonth, start: dt.date, end: dt.date) -> dict[dt.date, tuple[str, Decimal]]:
    """The scheduled working days from `start` to `end` within the month and the action:
    day -> (place, hours)."""
    first, last = month_bounds(tm.month.year, tm.month.month)
    start, end = max(start, first, tm.action_start), min(end, last, tm.action_end)
    return dict(_schedule(start, end, tm.weekly_hours, tuple(tm.periods)))


@lru_cache(maxsize=4096)
def _schedule(start, end, weekly_hours, periods) -> tuple:
    """`schedule`'s days, shared by the trainees of an action with the same dates (a batch
    computes 240,000 trainee-months over a few hundred distinct schedules)."""
    daily = weekly_hours / 5
    return tuple(
        (day, (place_of(day, periods), daily)) for day in _days(start, end) if day.weekday() < 5
    )


def compute(tm: TraineeMonth) -> Hours:
    hours = Hours()
    _, last = month_bounds(tm.month.year, tm.month.month)
    enrolled_end = tm.exit or last
    if tm.has_line and not tm.full_time:
        _part_time(tm, hours)
    else:
        _full_time(tm, hours, tm.entry, enrolled_end)
    if tm.paid_after_exit and tm.exit is not None:
        for place, daily in schedule(tm, tm.exit + dt.timedelta(days=1), tm.action_end).values():
            hours.add(place, "justified", daily)
    return hours.rounded()


def _full_time(tm: TraineeMonth, hours: Hours, start: dt.date, end: dt.date) -> None:
    days = schedule(tm, start, end)
    if not days:
        return
    not_realised = {"centre": ZERO, "company": ZERO}
    scheduled = {"centre": ZERO, "company": ZERO}
    for place, daily in days.values():
        scheduled[place] += daily
    absent_days: set[dt.date] = set()
    for absence in tm.absences:
        covered = [d for d in days if absence.start <= d <= absence.end]
        absent_days.update(covered)
        amount = (
            absence.hours if absence.hours is not None else sum((days[d][1] for d in covered), ZERO)
        )
        place = absence.place if absence.place in scheduled else "centre"
        room = scheduled[place] - not_realised[place]
        amount = min(amount, room)
        kind = "unjustified" if absence.reason == UNJUSTIFIED else "justified"
        hours.add(place, kind, amount)
        not_realised[place] += amount
    if tm.has_line and tm.presence in ("absent_month", "period"):
        for day, (place, daily) in days.items():
            inside = (
                tm.presence == "period"
                and tm.period_start is not None
                and tm.period_end is not None
                and tm.period_start <= day <= tm.period_end
            )
            if day in absent_days or inside:
                continue
            room = min(daily, scheduled[place] - not_realised[place])
            hours.add(place, "unjustified", room)
            not_realised[place] += room
    for place in ("centre", "company"):
        hours.add(place, "realised", max(scheduled[place] - not_realised[place], ZERO))


def _part_time(tm: TraineeMonth, hours: Hours) -> None:
    for (start, end), entered in zip(tm.weeks, tm.weekly_hours_present, strict=False):
        amount = Decimal(str(entered or 0))
        if not amount:
            continue
        days = schedule(tm, start, end)
        place = next(iter(days.values()))[0] if days else "centre"
        hours.add(place, "realised", amount)
    for absence in tm.absences:
        if absence.hours:
            kind = "unjustified" if absence.reason == UNJUSTIFIED else "justified"
            place = absence.place if absence.place in ("centre", "company") else "centre"
            hours.add(place, kind, absence.hours)


def line_total(hours: Hours, unit_cost_centre: Decimal, unit_cost_company: Decimal) -> Decimal:
    """(realised + justified not realised) × unit cost, in centre and in company (RULES.md
    §8), half-up to the cent."""
    return q(hours.payable_centre * unit_cost_centre) + q(hours.payable_company * unit_cost_company)
