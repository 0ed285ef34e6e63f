"""Attendance operations that write: statements, presence, absences, part-time hours,
validation through the rules engine, reopening, and dropouts. All-or-nothing."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import prefetch_related_objects
from django.utils import timezone

from remu.dossiers import hours as dated_hours
from remu.dossiers import special
from remu.dossiers.models import Dossier, TravelSituation
from remu.dossiers.models import WeeklyHoursChange as HoursChange
from remu.dossiers.travel import Travel, in_force
from remu.rules.calendar import fr, month_bounds
from remu.rules.engine import Absence as EngineAbsence
from remu.rules.engine import Case, CaseError, HoursPeriod, default_engine
from remu.rules.engine import SickLeave as EngineSickLeave
from remu.rules.money import cents
from remu.scales.selectors import engine
from remu.trainees.models import Enrollment

from . import closures, hours_bounds, sick_leaves
from .models import (
    Absence,
    AttendanceLine,
    AttendanceStatement,
    LineEvent,
    SickLeave,
    Withdrawal,
    hours_sum,
)


def first_month(action) -> dt.date:
    return action.start_date.replace(day=1)


def next_month(day: dt.date) -> dt.date:
    return (day.replace(day=1) + dt.timedelta(days=32)).replace(day=1)


def next_statement_month(action, today: dt.date | None = None) -> dt.date | None:
    """The month the provider may create next: the action's first month, then one per month,
    never a month that has not begun nor one after the action's end."""
    today = today or timezone.localdate()
    last = action.statements.order_by("-month").values_list("month", flat=True).first()
    month = next_month(last) if last else first_month(action)
    if month > today or month > action.end_date:
        return None
    return month


def _admitted_in_month(action, month: dt.date):
    first, last = month_bounds(month.year, month.month)
    return (
        Dossier.objects.filter(action=action, kind=Dossier.Kind.RS1, status=Dossier.Status.ADMITTED)
        .filter(enrollment__entry_date__lte=last)
        .exclude(enrollment__exit_date__lt=first)
        .select_related("enrollment")
    )


def _registered_in_month(action, month: dt.date):
    """Every trainee registered on the action and enrolled during the month (the statement
    declares them all, seed 003 §3.5; the region pays only the admitted RS1 ones)."""
    first, last = month_bounds(month.year, month.month)
    return action.enrollments.filter(entry_date__lte=last).exclude(exit_date__lt=first)


@transaction.atomic
def create_statement(action, user, today: dt.date | None = None) -> AttendanceStatement:
    month = next_statement_month(action, today)
    if month is None:
        raise ValidationError(
            "Aucun état de présence à créer : le mois suivant n'a pas commencé "
            "ou l'action est terminée."
        )
    statement = AttendanceStatement.objects.create(action=action, month=month, created_by=user)
    refresh_lines(statement, user)
    return statement


@transaction.atomic
def refresh_lines(statement: AttendanceStatement, user=None) -> int:
    """A line for every trainee registered and enrolled in the month (idempotent): with the
    admitted RS1 dossier that pays it, else without (declared for invoicing only). A line
    without a dossier takes the trainee's dossier once admitted: a draft one at once; a
    validated one (it computed no pay: nothing is undone) goes back to draft, with the
    refreshing `user` in its history, for the month to be validated with its pay."""
    # The statement's row locked: two refreshes at once create each line once.
    AttendanceStatement.objects.select_for_update().filter(pk=statement.pk).first()
    lines = {
        line.enrollment_id: line
        for line in statement.lines.select_for_update().only(
            "pk", "enrollment_id", "dossier_id", "status"
        )
    }
    region = statement.action.region
    rules = engine(region)
    admitted = {d.enrollment_id: d for d in _admitted_in_month(statement.action, statement.month)}
    created = 0
    for enrollment_id, dossier in admitted.items():
        line = lines.get(enrollment_id)
        if line is not None:
            validated = line.status == AttendanceLine.Status.VALIDATED
            if line.dossier_id is None and (not validated or user is not None):
                line.dossier = dossier
                line.full_time = _full_time(rules, region, dossier, statement.month)
                line.status = AttendanceLine.Status.DRAFT
                line.validated_by = line.validated_at = None
                line.save(
                    update_fields=[
                        "dossier",
                        "full_time",
                        "status",
                        "validated_by",
                        "validated_at",
                        "updated_at",
                    ]
                )
                if validated:
                    LineEvent.objects.create(
                        line=line,
                        action="reopened",
                        by=user,
                        reason="Stagiaire admis par la Région : mois à valider avec sa "
                        "rémunération.",
                    )
            continue
        AttendanceLine.objects.create(
            statement=statement,
            enrollment=dossier.enrollment,
            dossier=dossier,
            full_time=_full_time(rules, region, dossier, statement.month),
        )
        created += 1
    weekly = statement.action.weekly_hours or Decimal(0)
    unpaid_full_time = rules.is_full_time(region.parameter_set, statement.month, weekly)
    for enrollment in _registered_in_month(statement.action, statement.month):
        if enrollment.pk in lines or enrollment.pk in admitted:
            continue
        AttendanceLine.objects.create(
            statement=statement, enrollment=enrollment, dossier=None, full_time=unpaid_full_time
        )
        created += 1
    return created


def _full_time(rules, region, dossier, month: dt.date) -> bool:
    """A month that meets a part-time period of the dossier: its hours are entered."""
    return all(
        rules.is_full_time(region.parameter_set, month, weekly)
        for weekly in _weekly_hours_in(dossier, month)
    )


def _weekly_hours_in(dossier, month: dt.date) -> list[Decimal]:
    """The weekly hours in force during the month (dated changes: remu.dossiers.hours)."""
    weekly = dossier.weekly_hours or Decimal(0)
    changes = dated_hours.changes_of(dossier)
    if not changes:
        return [weekly]
    first, last = month_bounds(month.year, month.month)
    entry = dossier.enrollment.entry_date
    found = dated_hours.in_force(entry, weekly, changes, max(first, entry), last)
    return [p[2] for p in found] or [weekly]


def _editable(line: AttendanceLine) -> None:
    if line.status != AttendanceLine.Status.DRAFT:
        raise PermissionDenied("Cette ligne est validée : seule la Région peut la rouvrir.")
    if line.enrollment.status == Enrollment.Status.WITHDRAWAL_DECLARED:
        raise PermissionDenied(
            "Un abandon est déclaré pour ce stagiaire : la saisie reprendra "
            "après la décision de la Région."
        )


@transaction.atomic
def declare_presence(lines, presence: str, period_start=None, period_end=None) -> None:
    for line in lines:
        _editable(line)
        if not line.full_time:
            raise ValidationError(
                f"{line.enrollment.trainee} est à temps partiel : saisissez ses heures."
            )
        if presence == AttendanceLine.Presence.PERIOD:
            first, last = month_bounds(line.statement.month.year, line.statement.month.month)
            if not (period_start and period_end) or period_end < period_start:
                raise ValidationError("Indiquez les dates de présence (la fin après le début).")
            if period_start < first or period_end > last:
                raise ValidationError("La période de présence doit être dans le mois.")
            _check_enrolled_period(line, period_start, period_end)
        else:
            period_start = period_end = None
        line.presence = presence
        line.period_start, line.period_end = period_start, period_end
        line.save(update_fields=["presence", "period_start", "period_end", "updated_at"])


def _check_enrolled_period(line: AttendanceLine, start, end) -> None:
    """A presence period outside the trainee's enrollment would be paid: refused."""
    enrollment = line.enrollment
    entry, exit_ = enrollment.entry_date, enrollment.exit_date
    if start < entry:
        raise ValidationError(
            f"{enrollment.trainee} : la période de présence commence avant son entrée en "
            f"formation (entrée le {hours_bounds.fr_day(entry)})."
        )
    if exit_ is not None and end > exit_:
        raise ValidationError(
            f"{enrollment.trainee} : la période de présence finit après sa sortie de "
            f"formation (sortie le {hours_bounds.fr_day(exit_)})."
        )


def absence_errors(line: AttendanceLine, start, end) -> list[str]:
    first, last = month_bounds(line.statement.month.year, line.statement.month.month)
    errors = []
    if end < start:
        errors.append("La fin de l'absence précède son début.")
    if start < first or end > last:
        errors.append("L'absence doit être comprise dans le mois de l'état de présence.")
    entry, exit_ = line.enrollment.entry_date, line.enrollment.exit_date
    if start < entry:
        errors.append(
            "L'absence doit être comprise entre l'entrée et la sortie du stagiaire : elle "
            f"commence avant son entrée en formation (entrée le {hours_bounds.fr_day(entry)})."
        )
    if exit_ and end > exit_:
        errors.append(
            "L'absence doit être comprise entre l'entrée et la sortie du stagiaire : elle "
            f"finit après sa sortie de formation (sortie le {hours_bounds.fr_day(exit_)})."
        )
    if line.absences.filter(start__lte=end, end__gte=start).exists():
        errors.append("Cette absence chevauche une absence déjà déclarée.")
    return errors


def holiday_errors(line: AttendanceLine, reason: str, start, end) -> list[str]:
    """A public-holiday or local-day absence on a day that is not one in the region's calendar
    cannot be what it claims (the engine would refuse the month): one message per such day.
    The calendar comes from the parameter files: no query."""
    found = default_engine().holiday_errors(
        line.statement.action.region.parameter_set, start, end, reason
    )
    return [message[0].upper() + message[1:] + "." for message in found]


@transaction.atomic
def add_absence(line, *, reason, start, end, place, hours=None, legal_leave_kind="") -> Absence:
    """Adds an absence; a holiday that is none is refused next to the start date (`start`)."""
    _editable(line)
    errors = absence_errors(line, start, end)
    if errors:
        raise ValidationError(errors)
    holidays = holiday_errors(line, reason, start, end)
    if holidays:
        raise ValidationError({"start": holidays})
    if not line.full_time and hours is None:
        raise ValidationError("Indiquez le nombre d'heures d'absence (temps partiel).")
    if reason == "LEGAL_LEAVE" and not legal_leave_kind:
        raise ValidationError("Précisez le motif du congé légal.")
    if line.full_time and not line.presence:
        line.presence = AttendanceLine.Presence.FULL_MONTH  # general case, then the particular
        line.save(update_fields=["presence", "updated_at"])
    return Absence.objects.create(
        line=line,
        reason=reason,
        start=start,
        end=end,
        place=place,
        hours=hours,
        legal_leave_kind=legal_leave_kind,
    )


@transaction.atomic
def delete_absence(absence: Absence) -> None:
    _editable(absence.line)
    absence.delete()


@transaction.atomic
def save_part_time(
    line, weekly_hours: list[Decimal], days_present: int, confirm_over: bool | set = False
):
    """Saves a month's hours week by week. Refused (ValidationError by field: week_<i>,
    days_present) outside the enrolled period or above the legal weekly maximum; above the
    enrollment's weekly hours, `NeedsConfirmation` unless `confirm_over` (True: every week;
    a set of week fields: those weeks, the ones the provider was shown)."""
    _editable(line)
    if line.full_time:
        raise ValidationError("Ce stagiaire est à temps plein.")
    first, last = month_bounds(line.statement.month.year, line.statement.month.month)
    if not 0 <= days_present <= last.day:
        raise ValidationError(
            {"days_present": f"Le nombre de jours doit être compris entre 0 et {last.day}."}
        )
    if any(hours < 0 for hours in weekly_hours):
        raise ValidationError("Les heures d'une semaine ne peuvent pas être négatives.")
    check = hours_bounds.check_part_time(
        line, weeks_of_month(line.statement.month), weekly_hours, days_present
    )
    if check.errors:
        raise ValidationError(check.errors)
    if check.over and confirm_over is not True and set(check.over) - set(confirm_over or ()):
        raise hours_bounds.NeedsConfirmation(check.over)
    line.weekly_hours_present = [str(h) for h in weekly_hours]
    line.days_present = days_present
    line.save(update_fields=["weekly_hours_present", "days_present", "updated_at"])


def saved_hours_errors(line: AttendanceLine, rules=None) -> list[str]:
    """What the line's saved hours hold that cannot be paid (e.g. the entry date moved since)."""
    hours = [Decimal(h or 0) for h in line.weekly_hours_present]
    weeks = weeks_of_month(line.statement.month)
    if len(hours) != len(weeks):
        return []
    check = hours_bounds.check_part_time(line, weeks, hours, line.days_present or 0, rules=rules)
    return [m for messages in check.errors.values() for m in messages]


def weeks_of_month(month: dt.date) -> list[tuple[dt.date, dt.date]]:
    """The calendar weeks (Monday to Sunday) of a month, clipped to the month."""
    first, last = month_bounds(month.year, month.month)
    weeks, start = [], first
    while start <= last:
        end = min(start + dt.timedelta(days=6 - start.weekday()), last)
        weeks.append((start, end))
        start = end + dt.timedelta(days=1)
    return weeks


class CaseInputs:
    """What `case_for` reads beyond the line, read at once for many lines (a statement's):
    the lines' objects, the enrollments' sick leaves and validated lines (with their
    absences: the entry bonus, the closure days and the earlier sickness complement days),
    the dossiers' travel situations and dated weekly hours, and one engine per region. A
    fixed number of queries, whatever the number of lines."""

    def __init__(self, lines):
        lines = list(lines)
        prefetch_related_objects(
            lines,
            "statement__action__region",
            "enrollment__trainee",
            "dossier__region",
            "dossier__enrollment",  # special.case_facts reads the dossier's entry date
            "absences",
        )
        enrollment_ids = {line.enrollment_id for line in lines}
        self.leaves: dict[int, list] = defaultdict(list)
        for row in SickLeave.objects.filter(enrollment_id__in=enrollment_ids).values_list(
            "enrollment_id", "start", "end", "daily_allowance", "kind"
        ):
            self.leaves[row[0]].append(EngineSickLeave(*row[1:]))
        self.validated: dict[int, list[AttendanceLine]] = defaultdict(list)
        for line in (
            AttendanceLine.objects.filter(
                enrollment_id__in=enrollment_ids,
                status=AttendanceLine.Status.VALIDATED,
                dossier__isnull=False,  # a month the region did not pay is no earlier pay
            )
            .select_related(
                "statement__action", "dossier__region", "dossier__enrollment", "enrollment__trainee"
            )
            .prefetch_related("absences")
            .order_by("statement__month", "pk")
        ):
            self.validated[line.enrollment_id].append(line)
        dossier_ids = {line.dossier_id for line in lines} | {
            line.dossier_id for earlier in self.validated.values() for line in earlier
        }
        self.travel: dict[int, list] = defaultdict(list)
        for dossier_id, *row in (
            TravelSituation.objects.filter(dossier_id__in=dossier_ids)
            .order_by("valid_from", "pk")
            .values_list("dossier_id", "valid_from", "distance_km", "housing")
        ):
            self.travel[dossier_id].append(Travel(*row))
        self.hours: dict[int, list] = defaultdict(list)
        for dossier_id, *row in (
            HoursChange.objects.filter(dossier_id__in=dossier_ids)
            .order_by("valid_from", "pk")
            .values_list("dossier_id", "valid_from", "weekly_hours")
        ):
            self.hours[dossier_id].append(tuple(row))
        self._engines: dict[int, object] = {}

    def engine(self, region):
        if region.pk not in self._engines:
            self._engines[region.pk] = engine(region)
        return self._engines[region.pk]

    def earlier(self, line: AttendanceLine) -> list[AttendanceLine]:
        """The enrollment's validated lines before the line's month, in month order."""
        month = line.statement.month
        return [e for e in self.validated[line.enrollment_id] if e.statement.month < month]


def case_for(
    line: AttendanceLine, prior_complement_days: int | None = None, inputs: CaseInputs | None = None
) -> Case:
    """The rules engine's input for one line: the declaration, the dossier (with its travel
    situation), the enrollment, its sick leaves, and the closure days of its earlier months.
    `inputs` holds what is read for many lines at once (validation of a statement)."""
    if inputs is None:
        inputs = CaseInputs([line])
    dossier, enrollment, action = line.dossier, line.enrollment, line.statement.action
    month = line.statement.month
    leaves = tuple(inputs.leaves[enrollment.pk])
    earlier = inputs.earlier(line)
    if prior_complement_days is None:
        prior_complement_days = sick_leaves.prior_complement_days(
            line,
            leaves,
            lambda before, prior_complement_days: case_for(before, prior_complement_days, inputs),
            inputs.engine(dossier.region).compute,
            earlier=earlier,
        )
    travel = in_force(inputs.travel[dossier.pk], max(month, enrollment.entry_date))
    return build_case(
        line_id=line.pk,
        month=line.statement.month,
        full_time=line.full_time,
        presence=line.presence,
        period=(line.period_start, line.period_end),
        weekly_hours_present=line.weekly_hours_present,
        declared_absences=[
            engine_absence(a.start, a.end, a.reason, a.hours, a.legal_leave_kind)
            for a in line.absences.all()
        ],
        parameter_set=dossier.region.parameter_set,
        category=dossier.rate_category,
        birth_date=enrollment.trainee.birth_date,
        entry_date=enrollment.entry_date,
        exit_date=enrollment.exit_date,
        weekly_hours=dossier.weekly_hours or action.weekly_hours,
        prior_monthly_salary=dossier.last_monthly_salary,
        training_total_hours=action.total_hours,
        pay_start=dossier.pay_start,
        distance_km=travel.distance_km if travel else None,
        housing=travel.housing if travel else False,
        prior_closure_days_paid=_prior_closure_days(line, dossier.region.parameter_set, earlier),
        sick_leaves=leaves,
        prior_complement_days=prior_complement_days,
        hours_changes=list(inputs.hours[dossier.pk]),
        **special.case_facts(dossier),
        # never for a trainee admitted on ARE (seed 001 §3.5: « ni des aides connexes »)
        entry_bonus_granted=action.entry_bonus and dossier.pay_start is None,
        # The entry bonus is due with the enrollment's first validated month (the runs apply
        # the same rule, docs « Payments »): a line after a validated one does not carry it.
        entry_bonus_paid=bool(earlier),
        distance_learning=action.distance_learning,
    )


def _prior_closure_days(line: AttendanceLine, parameter_set: str, earlier) -> int:
    """The closure days of the trainee's earlier validated months in the closure period."""
    month, entry = line.statement.month, line.enrollment.entry_date
    # Options come from the parameter files alone (stored versions add amounts): no query.
    months = closures.window_months(default_engine().options(parameter_set, month))
    if months is None:
        return 0
    start = closures.window_start(entry, month, months)
    return closures.prior_days(
        entry,
        month,
        months,
        [
            (
                before.statement.month,
                closures.closure_days(
                    before.statement.month, [EngineAbsence(a.start, a.end, a.reason)]
                ),
            )
            for before in earlier
            if before.statement.month >= start
            for a in before.absences.all()
            if a.reason == "CENTRE_CLOSURE"
        ],
    )


def engine_absence(start, end, reason, hours, legal_leave_kind) -> EngineAbsence:
    """A declared absence as the engine reads it (no legal-leave kind: None)."""
    return EngineAbsence(start, end, reason, hours=hours, kind=legal_leave_kind or None)


def build_case(
    *,
    line_id,
    month: dt.date,
    full_time: bool,
    presence: str,
    period: tuple[dt.date | None, dt.date | None],
    weekly_hours_present: list,
    declared_absences: list[EngineAbsence],
    parameter_set: str,
    category: str,
    birth_date: dt.date,
    entry_date: dt.date,
    exit_date: dt.date | None,
    weekly_hours: Decimal,
    prior_monthly_salary: Decimal | None,
    training_total_hours: int,
    distance_km: Decimal | None = None,
    housing: bool = False,
    prior_closure_days_paid: int = 0,
    sick_leaves=(),
    prior_complement_days: int = 0,
    resigned_contract_end: dt.date | None = None,
    permit_end: dt.date | None = None,
    hours_changes: list[tuple[dt.date, Decimal]] | tuple = (),
    pay_start: dt.date | None = None,
    entry_bonus_granted: bool = False,
    entry_bonus_paid: bool = False,
    distance_learning: bool = False,
) -> Case:
    """The engine's case from plain values: `case_for` gives them from one line's objects, a
    payment run from the rows of thousands of lines read at once. The distance and housing
    are the travel situation in force on the month's first paid day (remu.dossiers.travel);
    the closure days are those of the earlier months of the closure period
    (remu.attendance.closures). Special publics' facts (remu.dossiers.special) and the dated
    weekly hours (remu.dossiers.hours) go to the engine as they are."""
    first, last = month_bounds(month.year, month.month)
    start = max(entry_date, first)
    end = min(exit_date or last, last)
    absences = list(declared_absences)
    if full_time:
        if presence == AttendanceLine.Presence.ABSENT_MONTH:
            absences = [EngineAbsence(start, end, "UNJUSTIFIED")]
        elif presence == AttendanceLine.Presence.PERIOD:
            period_start, period_end = period
            if period_start > start:
                absences.append(
                    EngineAbsence(start, period_start - dt.timedelta(days=1), "UNJUSTIFIED")
                )
            if period_end < end:
                absences.append(
                    EngineAbsence(period_end + dt.timedelta(days=1), end, "UNJUSTIFIED")
                )
    periods = _hours_periods(
        parameter_set,
        month,
        entry_date,
        exit_date,
        weekly_hours,
        hours_changes,
        weekly_hours_present,
    )
    weekly_hours = periods.pop("weekly_hours", weekly_hours)
    return Case(
        id=str(line_id),
        region=parameter_set,
        year=month.year,
        month=month.month,
        category=category,
        birth_date=birth_date,
        entry_date=entry_date,
        exit_date=exit_date,
        weekly_hours=weekly_hours,
        absences=tuple(absences),
        hours_present=None
        if full_time
        else hours_from(weekly_hours_present, month, pay_start)
        if pay_start and pay_start > first
        else hours_sum(weekly_hours_present),
        prior_monthly_salary=prior_monthly_salary,
        training_total_hours=Decimal(training_total_hours) if training_total_hours else None,
        distance_km=distance_km,
        housing=housing,
        prior_closure_days_paid=prior_closure_days_paid,
        sick_leaves=tuple(sick_leaves),
        prior_complement_days=prior_complement_days,
        resigned_contract_end=resigned_contract_end,
        permit_end=permit_end,
        pay_start=pay_start,
        # Only a relay after France Travail's ARE sets a pay start (dossiers.services.admit).
        pay_start_note=f"fin de l'ARE le {fr(pay_start - dt.timedelta(days=1))}"
        if pay_start
        else "",
        entry_bonus_granted=entry_bonus_granted,
        entry_bonus_paid=entry_bonus_paid,
        distance_learning=distance_learning,
        **periods,
    )


def _hours_periods(
    parameter_set, month, entry_date, exit_date, weekly_hours, changes, weekly_hours_present
) -> dict:
    """The Case fields for weekly hours that change: none without changes; the hours in force
    for a month within one period; the dated periods for a month that meets several, a
    part-time period with the hours entered for its weeks (a week across two periods counts
    for its days in each)."""
    if not changes:
        return {}
    first, last = month_bounds(month.year, month.month)
    first, last = max(first, entry_date), min(exit_date or last, last)
    found = dated_hours.in_force(entry_date, weekly_hours, changes, first, last)
    if len(found) == 1:
        return {"weekly_hours": found[0][2]}
    rules = default_engine()
    return {
        "weekly_hours_periods": tuple(
            HoursPeriod(
                start,
                end,
                weekly,
                None
                if rules.is_full_time(parameter_set, month, weekly)
                else _hours_within(weekly_hours_present, month, start, end),
            )
            for start, end, weekly in found
        )
    }


def _hours_within(weekly_hours_present: list, month: dt.date, start: dt.date, end: dt.date):
    """The part-time hours entered for the month's weeks, for their days from start to end."""
    total = Decimal(0)
    for (a, b), entered in zip(weeks_of_month(month), weekly_hours_present, strict=False):
        days = (min(b, end) - max(a, start)).days + 1
        if days > 0:
            total += Decimal(str(entered)) * days / ((b - a).days + 1)
    return cents(total)


def hours_from(weekly_hours_present: list, month: dt.date, day: dt.date) -> Decimal:
    """The part-time hours of the month from `day` on: weeks before it do not count, the week
    it falls in counts for its days from `day` (hours are entered per week, not per day)."""
    total = Decimal(0)
    for (start, end), hours in zip(weeks_of_month(month), weekly_hours_present, strict=False):
        if end < day:
            continue
        hours = Decimal(str(hours))
        if start < day:
            hours = hours * ((end - day).days + 1) / ((end - start).days + 1)
        total += hours
    return cents(total)


def compute(line: AttendanceLine, explain: bool = True, inputs: CaseInputs | None = None):
    inputs = inputs or CaseInputs([line])
    return inputs.engine(line.dossier.region).compute(
        case_for(line, inputs=inputs), explain=explain
    )


def line_problems(line: AttendanceLine) -> list[str]:
    """What is left to enter before the line can be validated."""
    if line.enrollment.status == Enrollment.Status.WITHDRAWAL_DECLARED:
        return ["abandon en attente de décision de la Région"]
    if line.full_time and not line.presence:
        return ["présence non déclarée"]
    if not line.full_time and (line.days_present is None or not line.weekly_hours_present):
        return ["heures non saisies"]
    return []


@transaction.atomic
def validate_lines(lines, user) -> list[AttendanceLine]:
    """Validates the lines that are complete; the amount comes from the rules engine."""
    done = []
    lines = list(lines)
    locked = dict(
        AttendanceLine.objects.select_for_update()
        .filter(pk__in=[line.pk for line in lines])
        .values_list("pk", "status")
    )
    meanwhile = [
        line
        for line in lines
        if line.status == AttendanceLine.Status.DRAFT and locked[line.pk] != line.status
    ]
    if meanwhile:  # validated by someone else since the page was read: nothing is written
        raise ValidationError([_line_done_meanwhile(line, "validated") for line in meanwhile])
    inputs = CaseInputs(
        [line for line in lines if line.status == AttendanceLine.Status.DRAFT and line.paid]
    )
    for line in lines:
        if line.status != AttendanceLine.Status.DRAFT:
            continue
        problems = line_problems(line)
        if not problems and not line.full_time:
            unpaid = saved_hours_errors(line, rules=inputs.engine(line.statement.action.region))
            if unpaid:
                raise ValidationError([f"{line.enrollment.trainee} : {e}" for e in unpaid])
        if problems:
            raise ValidationError(f"{line.enrollment.trainee} : {', '.join(problems)}.")
        if not line.paid:  # declared for the provider's invoice only: no pay, no engine
            line.status = AttendanceLine.Status.VALIDATED
            line.validated_by, line.validated_at = user, timezone.now()
            done.append(line)
            continue
        try:
            result = compute(line, inputs=inputs)
        except CaseError as exc:
            raise ValidationError(f"{line.enrollment.trainee} : {exc.message}") from exc
        line.paid_thirtieths = result.paid_thirtieths
        line.paid_hours = result.paid_hours
        line.amount = result.remuneration
        line.explanation = result.explanation
        line.status = AttendanceLine.Status.VALIDATED
        line.validated_by, line.validated_at = user, timezone.now()
        done.append(line)
    # written at once: one UPDATE and one INSERT for the statement, not two queries a line
    now = timezone.now()
    for line in done:
        line.updated_at = now
    AttendanceLine.objects.bulk_update(done, VALIDATED_FIELDS, batch_size=500)
    LineEvent.objects.bulk_create(
        [LineEvent(line=line, action="validated", by=user) for line in done]
    )
    return done


VALIDATED_FIELDS = [
    "paid_thirtieths",
    "paid_hours",
    "amount",
    "explanation",
    "status",
    "validated_by",
    "validated_at",
    "updated_at",
]


@transaction.atomic
def reopen_line(line: AttendanceLine, user, reason: str) -> None:
    if not user.is_agent:
        raise PermissionDenied("Seul un agent de la Région peut rouvrir une ligne validée.")
    locked = AttendanceLine.objects.select_for_update().values_list("status", flat=True)
    current = locked.get(pk=line.pk)
    if line.status == AttendanceLine.Status.VALIDATED and current != line.status:
        raise ValidationError(_line_done_meanwhile(line, "reopened"))
    if line.status != AttendanceLine.Status.VALIDATED:
        raise ValidationError("Cette ligne n'est pas validée.")
    if not reason.strip():
        raise ValidationError("Le motif de la réouverture est obligatoire.")
    line.status = AttendanceLine.Status.DRAFT
    line.paid_thirtieths = line.paid_hours = line.amount = None
    line.explanation = []
    line.validated_by = line.validated_at = None
    line.save()
    LineEvent.objects.create(line=line, action="reopened", by=user, reason=reason)


def _line_done_meanwhile(line: AttendanceLine, action: str) -> str:
    """The loser of two simultaneous requests is told who did it first, and when."""
    event = LineEvent.objects.filter(line=line, action=action).select_related("by").last()
    done = "validée" if action == "validated" else "rouverte"
    if event is None:
        return f"{line.enrollment.trainee} : la ligne a été modifiée entre-temps."
    return (
        f"{line.enrollment.trainee} : la ligne a déjà été {done} par {event.by} "
        f"le {timezone.localtime(event.at):%d/%m/%Y à %H:%M}. Rechargez la page."
    )


def completion(lines) -> dict:
    """What is left before the month is complete, per tab, from the statement's lines."""
    left = {"full_time": 0, "part_time": 0}
    for line in lines:
        if line.status == AttendanceLine.Status.DRAFT:
            left["full_time" if line.full_time else "part_time"] += 1
    left["complete"] = bool(lines) and not (left["full_time"] or left["part_time"])
    return left


# -- dropouts ----------------------------------------------------------------------------


@transaction.atomic
def declare_withdrawal(enrollment, *, reason, exit_date, comment, user) -> Withdrawal:
    # The enrollment's row is locked: of two simultaneous declarations, the second reads the
    # status the first wrote.
    current = Enrollment.objects.select_for_update().values_list("status", flat=True)
    enrollment.status = current.get(pk=enrollment.pk)
    if enrollment.status == Enrollment.Status.WITHDRAWAL_DECLARED:
        pending = enrollment.withdrawals.filter(status=Withdrawal.Status.DECLARED)
        first = pending.select_related("declared_by").first()
        if first is not None:
            raise ValidationError(
                f"Un abandon a déjà été déclaré par {first.declared_by} le "
                f"{timezone.localtime(first.declared_at):%d/%m/%Y à %H:%M}."
            )
    if enrollment.status != Enrollment.Status.ACTIVE:
        raise ValidationError("Seul un stagiaire en formation peut être déclaré en abandon.")
    if exit_date < enrollment.entry_date:
        raise ValidationError({"exit_date": "La date de sortie précède l'entrée en formation."})
    withdrawal = Withdrawal.objects.create(
        enrollment=enrollment, reason=reason, exit_date=exit_date, comment=comment, declared_by=user
    )
    enrollment.status = Enrollment.Status.WITHDRAWAL_DECLARED
    enrollment.save(update_fields=["status", "updated_at"])
    return withdrawal


class ExitHooks:
    """What a higher layer does when a dropout is validated (the overpayments app registers the
    claim's computation in its `AppConfig.ready()`): this app calls it without importing it."""

    def __init__(self):
        self.validated, self.preview, self.validated_many = [], None, None

    def register(self, *, validated, preview=None, validated_many=None) -> None:
        if validated not in self.validated:
            self.validated.append(validated)
        self.preview = preview or self.preview
        # many dropouts validated together: one call, claims computed by batches
        self.validated_many = validated_many or self.validated_many


exit_hooks = ExitHooks()


def on_exit_validated(withdrawal: Withdrawal, user=None) -> None:
    """Inside the decision's transaction: the registered hooks (the overpayment claim)."""
    for hook in exit_hooks.validated:
        hook(withdrawal, user)


def exit_preview(withdrawal: Withdrawal) -> dict | None:
    """What validating would create (the claim), computed without writing, for the page."""
    return exit_hooks.preview(withdrawal) if exit_hooks.preview else None


@transaction.atomic
def decide_withdrawal(withdrawal: Withdrawal, *, accept: bool, comment: str, user) -> None:
    if not user.is_agent:
        raise PermissionDenied
    # Locked and re-checked: two agents deciding at once create one claim, not two; the
    # second is told who decided, and when.
    withdrawal = Withdrawal.objects.select_for_update().get(pk=withdrawal.pk)
    if withdrawal.status != Withdrawal.Status.DECLARED:
        done = "validée" if withdrawal.status == Withdrawal.Status.VALIDATED else "refusée"
        raise ValidationError(
            f"Cette déclaration d'abandon a déjà été {done} par {withdrawal.decided_by} "
            f"le {timezone.localtime(withdrawal.decided_at):%d/%m/%Y à %H:%M}."
        )
    enrollment = withdrawal.enrollment
    withdrawal.decided_by, withdrawal.decided_at = user, timezone.now()
    withdrawal.decision_comment = comment
    if accept:
        withdrawal.status = Withdrawal.Status.VALIDATED
        enrollment.status = Enrollment.Status.EXITED
        enrollment.exit_date = withdrawal.exit_date
    else:
        if not comment.strip():
            raise ValidationError({"decision_comment": "Expliquez le refus à l'organisme."})
        withdrawal.status = Withdrawal.Status.REFUSED
        enrollment.status = Enrollment.Status.ACTIVE
    withdrawal.save()
    enrollment.save(update_fields=["status", "exit_date", "updated_at"])
    if accept:
        on_exit_validated(withdrawal, user)


@transaction.atomic
def validate_withdrawals(withdrawals, *, user, comment: str = "") -> int:
    """Validates many declared dropouts at once (locked and re-checked, as one by one): the
    enrollments exit on their dates and the registered hook computes the claims together, with
    a fixed number of queries per batch. Refused whole if one was decided meanwhile."""
    if not user.is_agent:
        raise PermissionDenied
    locked = list(
        Withdrawal.objects.select_for_update()
        .filter(pk__in=[w.pk for w in withdrawals])
        .order_by("pk")
    )
    decided = [w for w in locked if w.status != Withdrawal.Status.DECLARED]
    if decided:
        raise ValidationError(
            f"{len(decided)} déclaration(s) d'abandon déjà décidée(s) entre-temps : rien n'a été "
            "validé."
        )
    now = timezone.now()
    for w in locked:
        w.status, w.decided_by, w.decided_at = Withdrawal.Status.VALIDATED, user, now
        w.decision_comment = comment
    Withdrawal.objects.bulk_update(
        locked, ["status", "decided_by", "decided_at", "decision_comment"], batch_size=1000
    )
    exits = {w.enrollment_id: w.exit_date for w in locked}
    enrollments = list(Enrollment.objects.filter(pk__in=list(exits)))
    for e in enrollments:
        e.status, e.exit_date, e.updated_at = Enrollment.Status.EXITED, exits[e.pk], now
    Enrollment.objects.bulk_update(
        enrollments, ["status", "exit_date", "updated_at"], batch_size=1000
    )
    if exit_hooks.validated_many is not None:
        exit_hooks.validated_many(locked, user)
    else:
        for w in locked:
            on_exit_validated(w, user)
    return len(locked)
