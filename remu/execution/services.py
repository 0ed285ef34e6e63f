"""Writes of the execution module: each a small function in a transaction, state changes under
the row's lock (re-read after locking), every transition logged in `ExecutionEvent`."""

from __future__ import annotations

import datetime as dt

from dateutil.relativedelta import relativedelta
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import ProtectedError
from django.utils import timezone
from django.utils.formats import date_format

from remu.actions.models import ActionPeriod, TrainingAction
from remu.attendance.models import RECORDED, AttendanceLine, AttendanceStatement
from remu.dossiers.models import Dossier
from remu.dossiers.services import ensure_market_drafts
from remu.scales.selectors import engine
from remu.trainees.models import Enrollment, Trainee

from .models import (
    ActionExecution,
    ExecutionEvent,
    PathPeriod,
    RegistrationRecord,
    Survey,
    Trainer,
)

E = ExecutionEvent.Kind
# Seed 003 §3.4: a collective action opens on its planned start, or the provider calls the
# region first (§3.1, « demande de report »).
START_DIFFERS = (
    "La date d'ouverture diffère de la date de début prévue ({planned}) : pour une action "
    "collective, contactez la Région afin de reporter les dates de l'action (demande de report, "
    "voir « Gestion des dates de formation ») avant de l'ouvrir."
)
# Seed 003 §3.7.1: a real end other than the planned one needs an amendment.
AMENDMENT = (
    "La date de fin réelle ({real}) diffère de la date de fin prévue ({planned}) : prévenez la "
    "Région de ce décalage afin qu'elle procède à un avenant sur la date de fin de l'action."
)


def _day(day: dt.date) -> str:
    return date_format(day, "j F Y")


def log(action, kind, user, *, from_state="", to_state="", reason="") -> ExecutionEvent:
    return ExecutionEvent.objects.create(
        action=action,
        kind=kind,
        from_state=from_state,
        to_state=to_state,
        reason=reason,
        by=user if user is not None and user.is_authenticated else None,
    )


def execution_of(action) -> ActionExecution:
    """The action's execution row (created unlocked on first use)."""
    execution, _ = ActionExecution.objects.get_or_create(action=action)
    return execution


def _lock(action) -> tuple[TrainingAction, ActionExecution]:
    """Locks the action and its execution row, re-read from the database."""
    execution_of(action)
    locked = TrainingAction.objects.select_for_update().get(pk=action.pk)
    execution = ActionExecution.objects.select_for_update().get(action=locked)
    return locked, execution


def _last_event(action, kind) -> str:
    event = ExecutionEvent.objects.filter(action=action, kind=kind).select_related("by").first()
    if event is None:
        return ""
    who = event.by.get_full_name() or event.by.email if event.by else "un utilisateur"
    return f" par {who} le {_day(timezone.localtime(event.at).date())}"


# -- dates and periods (§3.1) -------------------------------------------------------------


def check_periods(action, periods: list[tuple[str, dt.date, dt.date]]) -> None:
    """Periods lie within the action's dates and two periods of one place never overlap."""
    errors = []
    start, end = action.start_date, action.end_date
    by_place: dict[str, list] = {}
    for place, first, last in periods:
        label = dict(ActionPeriod.Place.choices)[place].lower()
        if last < first:
            errors.append(f"Période {label} du {_day(first)} : la fin précède le début.")
        if first < start or last > end:
            errors.append(
                f"La période {label} du {_day(first)} au {_day(last)} sort des dates de l'action "
                f"({_day(start)} – {_day(end)})."
            )
        by_place.setdefault(place, []).append((first, last))
    for place, spans in by_place.items():
        spans.sort()
        for (a_start, a_end), (b_start, b_end) in zip(spans, spans[1:], strict=False):
            if b_start <= a_end:
                label = dict(ActionPeriod.Place.choices)[place].lower()
                errors.append(
                    f"Deux périodes {label} se chevauchent : du {_day(a_start)} au {_day(a_end)} "
                    f"et du {_day(b_start)} au {_day(b_end)}."
                )
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def confirm_dates(action, periods: list[tuple[str, dt.date, dt.date]], user) -> None:
    """The provider saves the action's periods once: then they are locked (§3.1)."""
    action, execution = _lock(action)
    if execution.dates_locked:
        raise ValidationError(
            "Les dates et périodes ont déjà été confirmées"
            + _last_event(action, E.DATES_LOCKED)
            + " : pour les modifier, adressez une demande de report à la Région."
        )
    if action.status == TrainingAction.Status.CLOSED:
        raise ValidationError("L'action est clôturée.")
    check_periods(action, periods)
    action.periods.all().delete()
    ActionPeriod.objects.bulk_create(
        ActionPeriod(action=action, place=place, start_date=first, end_date=last)
        for place, first, last in periods
    )
    execution.dates_locked = True
    execution.save(update_fields=["dates_locked"])
    log(action, E.DATES_LOCKED, user, from_state="open", to_state="locked")


@transaction.atomic
def reopen_dates(action, reason: str, user) -> None:
    """An agent reopens the dates after the provider's « demande de report »."""
    if not reason.strip():
        raise ValidationError({"reason": "Indiquez le motif de la réouverture."})
    action, execution = _lock(action)
    if not execution.dates_locked:
        raise ValidationError("Les dates de cette action ne sont pas verrouillées.")
    execution.dates_locked = False
    execution.save(update_fields=["dates_locked"])
    log(action, E.DATES_REOPENED, user, from_state="locked", to_state="open", reason=reason)


def realised_percent(action, today: dt.date) -> int:
    """The share of the action's planned period days already elapsed (whole percent)."""
    periods = list(action.periods.all())
    if not periods:
        periods = [ActionPeriod(start_date=action.start_date, end_date=action.end_date)]
    until = min(today, action.real_end) if action.real_end else today
    total = sum((p.end_date - p.start_date).days + 1 for p in periods)
    done = sum(
        max(0, (min(p.end_date, until) - p.start_date).days + 1)
        for p in periods
        if p.start_date <= until
    )
    return round(100 * done / total) if total else 0


# -- registration (§3.2) -------------------------------------------------------------------


def registrations_locked(execution: ActionExecution) -> bool:
    """After the opening, a trainee's record changes only once an agent reopened them."""
    return (
        execution.opening == ActionExecution.Opening.OPENED and not execution.registrations_reopened
    )


def record_editable(enrollment, execution, today: dt.date) -> bool:
    if enrollment.action.status == TrainingAction.Status.CLOSED:
        return False
    return not (registrations_locked(execution) and enrollment.entry_date <= today)


def _free_seat(taken: set[int], limit: int) -> int | None:
    return next((n for n in range(1, limit + 1) if n not in taken), None)


def _check_headcount(action, *, paid: bool, exclude=None) -> None:
    enrollments = action.enrollments.all()
    records = RegistrationRecord.objects.filter(action=action)
    if exclude is not None:
        enrollments = enrollments.exclude(pk=exclude.pk)
        records = records.exclude(enrollment=exclude)
    if exclude is None and enrollments.count() >= action.max_trainees:
        raise ValidationError(
            f"L'effectif prévu de l'action ({action.max_trainees} stagiaires) est atteint : "
            "aucun stagiaire de plus ne peut être inscrit."
        )
    if paid and records.filter(paying_body="region").count() >= action.max_paid_trainees:
        raise ValidationError(
            {
                "paying_body": f"L'effectif rémunéré de l'action ({action.max_paid_trainees} "
                "stagiaires rémunérés par la Région) est atteint."
            }
        )


def _check_entry(action, entry_date: dt.date) -> None:
    if not action.start_date <= entry_date <= action.end_date:
        raise ValidationError(
            {
                "entry_date": f"La date d'entrée doit être comprise entre le "
                f"{_day(action.start_date)} et le {_day(action.end_date)}."
            }
        )


@transaction.atomic
def register(
    action, trainee: Trainee, record: RegistrationRecord, entry_date, user, path_periods=None
) -> Enrollment:
    """Registers a new trainee on the action (headcounts checked under the action's lock);
    a market action's trainee gets the pre-filled draft RS1 at once (seed 000)."""
    action, execution = _lock(action)
    if action.status == TrainingAction.Status.CLOSED:
        raise ValidationError("L'action est clôturée : aucune inscription n'est possible.")
    _check_entry(action, entry_date)
    if path_periods:
        check_periods(action, path_periods)
    _check_headcount(action, paid=record.is_paid)
    trainee.region = action.region
    trainee.full_clean(exclude=["region", "nir"])
    trainee.save()
    enrollment = Enrollment.objects.create(trainee=trainee, action=action, entry_date=entry_date)
    taken = set(RegistrationRecord.objects.filter(action=action).values_list("seat", flat=True))
    paid_taken = set(
        RegistrationRecord.objects.filter(action=action, paid_seat__isnull=False).values_list(
            "paid_seat", flat=True
        )
    )
    record.enrollment, record.action = enrollment, action
    record.seats, record.paid_seats = action.max_trainees, action.max_paid_trainees
    record.seat = _free_seat(taken, action.max_trainees)
    record.paid_seat = _free_seat(paid_taken, action.max_paid_trainees) if record.is_paid else None
    try:
        with transaction.atomic():
            record.save()
    except IntegrityError:  # the database's own headcount check
        raise ValidationError("L'effectif de l'action est atteint.") from None
    _save_path_periods(record, path_periods)
    log(action, E.REGISTERED, user, to_state=str(enrollment.pk))
    ensure_market_drafts([action])
    return enrollment


@transaction.atomic
def update_registration(
    enrollment, trainee: Trainee, record, entry_date, user, path_periods=None
) -> None:
    """Saves a trainee's record; after the opening and the trainee's entry, only once an
    agent has reopened the records (§3.2)."""
    action, execution = _lock(enrollment.action)
    if not record_editable(enrollment, execution, timezone.localdate()):
        raise ValidationError(
            "L'action est ouverte et le stagiaire est entré en formation : sa fiche ne peut plus "
            "être modifiée sans une réouverture par la Région."
        )
    _check_entry(action, entry_date)
    if path_periods:
        check_periods(action, path_periods)
    was_paid = (
        RegistrationRecord.objects.filter(pk=record.pk, paying_body="region").exists()
        if record.pk
        else False
    )
    if record.is_paid and not was_paid:
        _check_headcount(action, paid=True, exclude=enrollment)
        paid_taken = set(
            RegistrationRecord.objects.filter(action=action, paid_seat__isnull=False).values_list(
                "paid_seat", flat=True
            )
        )
        record.paid_seat = _free_seat(paid_taken, action.max_paid_trainees)
    elif not record.is_paid:
        record.paid_seat = None
    trainee.full_clean(exclude=["region", "nir"])
    trainee.save()
    if enrollment.entry_date != entry_date:
        enrollment.entry_date = entry_date
        enrollment.save(update_fields=["entry_date", "updated_at"])
        enrollment.dossiers.filter(status=Dossier.Status.DRAFT).update(real_start=entry_date)
    if record.pk is None:
        taken = set(RegistrationRecord.objects.filter(action=action).values_list("seat", flat=True))
        record.enrollment, record.action = enrollment, action
        record.seats, record.paid_seats = action.max_trainees, action.max_paid_trainees
        record.seat = _free_seat(taken, max(action.max_trainees, len(taken) + 1))
        record.seats = max(record.seats, record.seat)
    try:
        with transaction.atomic():
            record.save()
    except IntegrityError:
        raise ValidationError("L'effectif rémunéré de l'action est atteint.") from None
    if path_periods is not None:
        _save_path_periods(record, path_periods)


def _save_path_periods(record, periods) -> None:
    """The individual path's own periods (individualised actions), replaced as a whole."""
    if periods is None:
        return
    record.periods.all().delete()
    PathPeriod.objects.bulk_create(
        PathPeriod(record=record, place=place, start_date=first, end_date=last)
        for place, first, last in periods
    )


@transaction.atomic
def unregister(enrollment, user) -> None:
    """Deletes a registration while no hour is recorded for the trainee (§3.2), with the
    draft dossiers it created."""
    action, _ = _lock(enrollment.action)
    enrollment = Enrollment.objects.select_for_update().get(pk=enrollment.pk)
    lines = AttendanceLine.objects.filter(enrollment=enrollment)
    if lines.filter(RECORDED).exists():
        raise ValidationError(
            "Des heures sont déjà enregistrées pour ce stagiaire : son inscription ne peut plus "
            "être supprimée."
        )
    if enrollment.dossiers.exclude(status=Dossier.Status.DRAFT).exists():
        raise ValidationError(
            "Un dossier de rémunération de ce stagiaire a déjà été transmis à la Région : "
            "son inscription ne peut plus être supprimée."
        )
    trainee = enrollment.trainee
    name = trainee.full_name
    try:
        with transaction.atomic():
            lines.delete()  # its empty draft lines (every registered trainee has one)
            enrollment.dossiers.all().delete()
            enrollment.delete()
    except ProtectedError:
        raise ValidationError(
            "Ce stagiaire a déjà des éléments de rémunération : son inscription ne peut plus "
            "être supprimée."
        ) from None
    if not trainee.enrollments.exists() and trainee.user_id is None:
        try:
            with transaction.atomic():
                trainee.delete()
        except ProtectedError:
            pass  # referenced elsewhere: the person stays
    log(action, E.UNREGISTERED, user, from_state=name[:40])


@transaction.atomic
def record_exit(enrollment, exit_date: dt.date, user) -> None:
    """The trainee's exit at the end of the training (a dropout is declared in attendance)."""
    action = enrollment.action
    enrollment = Enrollment.objects.select_for_update().get(pk=enrollment.pk)
    if enrollment.status != Enrollment.Status.ACTIVE:
        raise ValidationError(
            f"Ce stagiaire n'est plus en formation ({enrollment.get_status_display().lower()})."
        )
    if not enrollment.entry_date <= exit_date <= action.end_date:
        raise ValidationError(
            {
                "exit_date": f"La date de sortie doit être comprise entre le "
                f"{_day(enrollment.entry_date)} et le {_day(action.end_date)}."
            }
        )
    enrollment.exit_date, enrollment.status = exit_date, Enrollment.Status.COMPLETED
    enrollment.save(update_fields=["exit_date", "status", "updated_at"])
    log(action, E.EXITED, user, from_state="active", to_state="completed")


@transaction.atomic
def reopen_registrations(action, reason: str, user, *, reopen: bool = True) -> None:
    """An agent reopens (or locks again) the records of an opened action, with the reason."""
    if not reason.strip():
        raise ValidationError({"reason": "Indiquez le motif."})
    action, execution = _lock(action)
    if execution.registrations_reopened == reopen:
        raise ValidationError(
            "Les fiches d'entrée sont déjà rouvertes."
            if reopen
            else "Les fiches d'entrée ne sont pas rouvertes."
        )
    execution.registrations_reopened = reopen
    execution.save(update_fields=["registrations_reopened"])
    log(
        action,
        E.REGISTRATIONS_REOPENED,
        user,
        from_state="locked" if reopen else "reopened",
        to_state="reopened" if reopen else "locked",
        reason=reason,
    )


# -- trainers (§3.3) -----------------------------------------------------------------------


@transaction.atomic
def add_trainer(action, trainer: Trainer, user) -> Trainer:
    action, _ = _lock(action)
    if action.status == TrainingAction.Status.CLOSED:
        raise ValidationError("L'action est clôturée.")
    trainer.action, trainer.added_by = action, user
    trainer.save()
    log(action, E.TRAINER_ADDED, user, to_state=str(trainer)[:40])
    return trainer


@transaction.atomic
def remove_trainer(trainer: Trainer, user) -> None:
    trainer = Trainer.objects.select_for_update().get(pk=trainer.pk)
    if trainer.removed_at is not None:
        raise ValidationError(f"Ce formateur a déjà été retiré le {_day(trainer.removed_at)}.")
    trainer.removed_at, trainer.removed_by = timezone.now(), user
    trainer.save(update_fields=["removed_at", "removed_by"])
    log(trainer.action, E.TRAINER_REMOVED, user, from_state=str(trainer)[:40])


# -- opening (§3.4) ------------------------------------------------------------------------


def instalment_thresholds(action, day: dt.date) -> list[int]:
    """The region's dated option `instalment_thresholds` (national.yaml: 30 / 60 / 80 %)."""
    options = engine(action.region).options(action.region.parameter_set, day)
    return list(options["instalment_thresholds"])


@transaction.atomic
def open_action(action, *, opened: bool, opening_date, frequency: str, user) -> None:
    """Opening (or not) of the action, with its real start and payment frequency."""
    action, execution = _lock(action)
    if execution.opening:
        raise ValidationError(
            f"L'ouverture de l'action a déjà été renseignée ({execution.get_opening_display()})"
            + _last_event(action, E.OPENED if execution.opening == "opened" else E.NOT_OPENED)
            + "."
        )
    if not opened:
        execution.opening = ActionExecution.Opening.NOT_OPENED
        execution.save(update_fields=["opening"])
        log(action, E.NOT_OPENED, user, from_state="planned", to_state="not_opened")
        return
    errors = {}
    if opening_date is None:
        errors["opening_date"] = "Indiquez la date d'ouverture de l'action."
    elif action.organisation == TrainingAction.Organisation.COLLECTIVE and (
        opening_date != action.planned_start
    ):
        errors["opening_date"] = START_DIFFERS.format(planned=_day(action.planned_start))
    if frequency not in ActionExecution.Frequency.values:
        errors["frequency"] = "Choisissez la fréquence de paiement."
    if errors:
        raise ValidationError(errors)
    if not execution.dates_locked:
        raise ValidationError(
            "Confirmez d'abord les dates et les périodes de l'action (« Gestion des dates »)."
        )
    present = action.enrollments.filter(entry_date__lte=opening_date)
    if not present.exists():
        raise ValidationError(
            "Inscrivez d'abord les stagiaires présents à l'ouverture de l'action (date d'entrée "
            "au plus tard le jour de l'ouverture)."
        )
    early = action.enrollments.filter(entry_date__lt=opening_date).select_related("trainee")
    if early.exists():
        names = ", ".join(e.trainee.full_name for e in early[:5])
        raise ValidationError(
            f"Ces stagiaires ont une date d'entrée antérieure à l'ouverture : {names}. "
            "Corrigez leur fiche d'entrée."
        )
    execution.opening = ActionExecution.Opening.OPENED
    execution.payment_frequency = frequency
    execution.instalment_thresholds = (
        instalment_thresholds(action, opening_date)
        if frequency == ActionExecution.Frequency.THREE_INSTALMENTS
        else []
    )
    execution.opened_at = timezone.now()
    execution.save()
    action.status, action.real_start = TrainingAction.Status.OPEN, opening_date
    action.save(update_fields=["status", "real_start", "updated_at"])
    log(action, E.OPENED, user, from_state="planned", to_state="open")


# -- closure (§3.7.1) ----------------------------------------------------------------------

EXITED = (Enrollment.Status.EXITED, Enrollment.Status.COMPLETED)


def undeclared_months(action, real_end: dt.date) -> list[dt.date]:
    """When the action has attendance statements, the months from its real start to its end
    without a statement whose lines are all validated."""
    statements = AttendanceStatement.objects.filter(action=action)
    if not statements.exists():
        return []
    done = set(
        statements.exclude(lines__status=AttendanceLine.Status.DRAFT).values_list(
            "month", flat=True
        )
    )
    month, last = action.start_date.replace(day=1), real_end.replace(day=1)
    missing = []
    while month <= last:
        if month not in done:
            missing.append(month)
        month += relativedelta(months=1)
    return missing


@transaction.atomic
def close_action(action, real_end: dt.date, user) -> str:
    """Closes the action on its real end; returns the amendment message when the real end
    differs from the planned one (else "")."""
    action, execution = _lock(action)
    if action.status != TrainingAction.Status.OPEN:
        raise ValidationError(
            "L'action est déjà clôturée" + _last_event(action, E.CLOSED) + "."
            if action.status == TrainingAction.Status.CLOSED
            else "L'action n'est pas ouverte : elle ne peut pas être clôturée."
        )
    if real_end < action.real_start:
        raise ValidationError({"real_end": "La date de fin réelle précède l'ouverture."})
    active = action.enrollments.exclude(status__in=EXITED).select_related("trainee")
    if active.exists():
        names = ", ".join(e.trainee.full_name for e in active[:5])
        raise ValidationError(
            f"Tous les stagiaires doivent être sortis de formation avant la clôture : {names}."
        )
    late = action.enrollments.filter(exit_date__gt=real_end)
    if late.exists():
        raise ValidationError(
            {"real_end": "Un stagiaire sort après cette date : la fin réelle ne peut la précéder."}
        )
    missing = undeclared_months(action, real_end)
    if missing:
        months = ", ".join(date_format(m, "F Y") for m in missing)
        raise ValidationError(
            f"Toutes les déclarations mensuelles doivent être validées avant la clôture : {months}."
        )
    action.status, action.real_end = TrainingAction.Status.CLOSED, real_end
    action.save(update_fields=["status", "real_end", "updated_at"])
    execution.closed_at = timezone.now()
    execution.save(update_fields=["closed_at"])
    log(action, E.CLOSED, user, from_state="open", to_state="closed")
    if real_end != action.planned_end:
        return AMENDMENT.format(real=_day(real_end), planned=_day(action.planned_end))
    return ""


# -- surveys (§3.7.2) ----------------------------------------------------------------------

SURVEY_DELAYS = {
    Survey.Kind.EXIT: relativedelta(),
    Survey.Kind.SIX_MONTHS: relativedelta(months=6),
    Survey.Kind.ONE_YEAR: relativedelta(years=1),
}


def survey_due(enrollment, kind) -> dt.date | None:
    if enrollment.exit_date is None:
        return None
    return enrollment.exit_date + SURVEY_DELAYS[kind]


@transaction.atomic
def save_survey(enrollment, kind: str, outcome: str, contract: str, user) -> Survey:
    enrollment = Enrollment.objects.select_for_update().get(pk=enrollment.pk)
    due = survey_due(enrollment, kind)
    if due is None:
        raise ValidationError("Le stagiaire n'est pas encore sorti de formation.")
    if due > timezone.localdate():
        raise ValidationError(f"Cette enquête pourra être renseignée à partir du {_day(due)}.")
    if outcome not in Survey.Outcome.values:
        raise ValidationError({"outcome": "Choisissez la situation du stagiaire."})
    if outcome == Survey.Outcome.OTHER:
        contract = ""
    elif contract not in Survey.Contract.values or not contract:
        raise ValidationError({"contract": "Choisissez le type de contrat."})
    survey, _ = Survey.objects.update_or_create(
        enrollment=enrollment,
        kind=kind,
        defaults={
            "outcome": outcome,
            "contract": contract,
            "filled_by": user,
            "filled_at": timezone.now(),
        },
    )
    return survey
