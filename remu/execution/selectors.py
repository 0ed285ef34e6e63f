"""Reads of the execution module: the providers' action table, the agents' state list, the
surveys due and the pedagogical summary (« bilan »)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Count, Exists, OuterRef, Q, Subquery
from django.db.models.expressions import RawSQL

from remu.actions.models import TrainingAction
from remu.attendance.models import RECORDED, AttendanceLine
from remu.attendance.selectors import late_statements
from remu.trainees.models import Enrollment

from .models import ActionExecution, RegistrationRecord, Survey, Trainer
from .services import EXITED, SURVEY_DELAYS

# The agents' filter on the execution state.
STATES = [
    ("not_opened", "Non ouverte"),
    ("open", "Ouverte"),
    ("late", "Déclaration en retard"),
    ("closed", "Clôturée"),
]


def actions_table(tenant):
    """The actions with what their table row shows, counted in the query."""
    execution = ActionExecution.objects.filter(action=OuterRef("pk"))
    return (
        TrainingAction.objects.for_tenant(tenant)
        .select_related("campaign", "programme", "provider")
        .annotate(
            registered=Count("enrollments", distinct=True),
            trainer_count=Count(
                "trainers", filter=Q(trainers__removed_at__isnull=True), distinct=True
            ),
            exited=Count("enrollments", filter=Q(enrollments__status__in=EXITED), distinct=True),
            exit_surveys=Count(
                "enrollments__surveys",
                filter=Q(enrollments__surveys__kind=Survey.Kind.EXIT),
                distinct=True,
            ),
            dates_locked=Subquery(execution.values("dates_locked")[:1]),
            opening=Subquery(execution.values("opening")[:1]),
        )
    )


def filter_state(actions, state: str, tenant, today: dt.date):
    if state == "not_opened":
        return actions.filter(status=TrainingAction.Status.PLANNED)
    if state == "open":
        return actions.filter(status=TrainingAction.Status.OPEN)
    if state == "closed":
        return actions.filter(status=TrainingAction.Status.CLOSED)
    if state == "late":
        return actions.filter(pk__in=RawSQL(*late_statements(tenant, today).action_ids()))
    return actions


def trainers_of(action):
    return Trainer.objects.filter(action=action).select_related("added_by", "removed_by")


def registrations_of(action):
    """The action's enrollments with their record and surveys, in name order."""
    return (
        Enrollment.objects.filter(action=action)
        .select_related("trainee", "registration")
        .prefetch_related("surveys")
        .annotate(
            hours_recorded=Exists(
                AttendanceLine.objects.filter(RECORDED, enrollment=OuterRef("pk"))
            )
        )
        .order_by("trainee__birth_name", "trainee__first_names", "pk")
    )


@dataclass
class DueSurvey:
    enrollment: Enrollment
    kind: str
    label: str
    due: dt.date


def surveys_due(tenant, today: dt.date) -> list[DueSurvey]:
    """The exit / 6-month / 1-year surveys due today or before and not yet filled."""
    enrollments = (
        Enrollment.objects.for_tenant(tenant)
        .filter(status__in=EXITED, exit_date__isnull=False, exit_date__lte=today)
        .select_related("trainee", "action")
        .prefetch_related("surveys")
        .order_by("exit_date", "pk")
    )
    due = []
    labels = dict(Survey.Kind.choices)
    for enrollment in enrollments:
        filled = {s.kind for s in enrollment.surveys.all()}
        for kind, delay in SURVEY_DELAYS.items():
            day = enrollment.exit_date + delay
            if kind not in filled and day <= today:
                due.append(DueSurvey(enrollment, kind, labels[kind], day))
    return due


def bilan(action) -> dict:
    """The pedagogical summary: per survey, the count and rate of each outcome and contract."""
    exited = Enrollment.objects.filter(action=action, status__in=EXITED).count()
    surveys = Survey.objects.filter(enrollment__action=action)
    rows = {
        (row["kind"], row["outcome"], row["contract"]): row["n"]
        for row in surveys.values("kind", "outcome", "contract").annotate(n=Count("pk"))
    }
    result = []
    for kind, kind_label in Survey.Kind.choices:
        answered = sum(n for (k, _, _), n in rows.items() if k == kind)
        outcomes = []
        for outcome, label in Survey.Outcome.choices:
            n = sum(v for (k, o, _), v in rows.items() if k == kind and o == outcome)
            outcomes.append(
                {"label": label, "count": n, "rate": round(100 * n / answered) if answered else 0}
            )
        contracts = []
        for contract, label in Survey.Contract.choices:
            if not contract:
                continue
            n = sum(v for (k, _, c), v in rows.items() if k == kind and c == contract)
            contracts.append(
                {"label": label, "count": n, "rate": round(100 * n / answered) if answered else 0}
            )
        result.append(
            {
                "kind": kind,
                "label": kind_label,
                "answered": answered,
                "outcomes": outcomes,
                "contracts": contracts,
            }
        )
    return {"exited": exited, "surveys": result}


def bilan_complete(action) -> bool:
    """The pedagogical summary is complete (it conditions the balance invoice, seed 003
    §3.7.2): the action is closed and every trainee who exited has their exit survey."""
    if action.status != TrainingAction.Status.CLOSED:
        return False
    return not (
        Enrollment.objects.filter(action=action, status__in=EXITED)
        .exclude(surveys__kind=Survey.Kind.EXIT)
        .exists()
    )


def paid_registered(action) -> int:
    return RegistrationRecord.objects.filter(action=action, paying_body="region").count()
