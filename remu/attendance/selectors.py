import datetime as dt
import functools
from collections import defaultdict

from django.db.models import Count, Exists, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone

from remu.actions.models import TrainingAction
from remu.dossiers.models import Dossier
from remu.rules.engine import default_engine

from .models import AttendanceLine, AttendanceStatement
from .services import first_month, next_month


def statements_for(tenant):
    return AttendanceStatement.objects.for_tenant(tenant).select_related(
        "action__provider", "action__region"
    )


def statements_with_completion(action) -> list[tuple]:
    """The action's statements, newest first, each with what is left to validate (one query)."""
    statements = action.statements.order_by("-month").annotate(
        drafts_full=Count("lines", filter=Q(lines__status="draft", lines__full_time=True)),
        drafts_part=Count("lines", filter=Q(lines__status="draft", lines__full_time=False)),
        line_count=Count("lines"),
    )
    return [
        (
            s,
            {
                "full_time": s.drafts_full,
                "part_time": s.drafts_part,
                "complete": s.line_count > 0 and not (s.drafts_full or s.drafts_part),
            },
        )
        for s in statements
    ]


def due_date(region, month: dt.date) -> dt.date:
    """Attendance for month M is due before the region's day of M+1 (RULES.md §9), a dated
    option of its parameter set (options come from the files: no query)."""
    day = default_engine().options(region.parameter_set, month)["attendance_due_day"]
    return next_month(month).replace(day=day)


def late_statements(tenant, today: dt.date | None = None) -> list[dict]:
    """Months whose statement is missing or not fully validated once its due date has come,
    per action (agents: their region's; providers: their own)."""
    today = today or timezone.localdate()
    return _unfinished_months(tenant, today, lambda due: due <= today)


def statements_to_enter(tenant, today: dt.date | None = None) -> list[dict]:
    """Months already begun whose statement is missing or not fully validated and whose due
    date has not come yet: what to enter before the deadline (same rows as late_statements)."""
    today = today or timezone.localdate()
    return _unfinished_months(tenant, today, lambda due: due > today)


def statements_to_enter_and_late(tenant, today: dt.date | None = None):
    """Both lists at once (the provider's home and statements page): one reading."""
    today = today or timezone.localdate()
    rows = _unfinished_months(tenant, today, lambda due: True)
    return [r for r in rows if r["due"] > today], [r for r in rows if r["due"] <= today]


def _unfinished_months(tenant, today: dt.date, keep) -> list[dict]:
    """Begun months of actions with admitted trainees whose statement is missing or has lines
    to validate, among those whose due date `keep` accepts."""
    # A semi-join (EXISTS) on the dossiers' (action, status) index, never a DISTINCT over
    # every admitted dossier of the region.
    admitted = Dossier.objects.filter(action=OuterRef("pk"), status="admitted", kind="RS1")
    actions = (
        TrainingAction.objects.for_tenant(tenant)
        .filter(Exists(admitted))
        .select_related("provider", "region")
    )
    due_date_of = functools.cache(due_date)  # per region and month, not per action
    # each statement's draft lines counted through a partial index: never every line
    drafts = (
        AttendanceLine.objects.filter(statement=OuterRef("pk"), status="draft")
        .order_by()
        .values("statement")
        .annotate(n=Count("pk"))
        .values("n")
    )
    state = {
        (action_id, month): n
        for action_id, month, n in AttendanceStatement.objects.filter(action__in=actions)
        .annotate(drafts=Coalesce(Subquery(drafts), 0))
        .values_list("action_id", "month", "drafts")
    }
    rows = []
    for action in actions:
        month = first_month(action)
        while month <= action.end_date and month <= today:
            drafts = state.get((action.pk, month))
            if (drafts is None or drafts) and keep(due := due_date_of(action.region, month)):
                rows.append(
                    {
                        "action": action,
                        "provider": action.provider,
                        "month": month,
                        "due": due,
                        "missing": drafts is None,
                        "drafts": drafts or 0,
                    }
                )
            month = next_month(month)
    rows.sort(key=lambda row: (row["provider"].name, row["action"].number, row["month"]))
    return rows


def late_by_provider(tenant, today=None) -> list[tuple]:
    grouped = defaultdict(list)
    for row in late_statements(tenant, today):
        grouped[row["provider"]].append(row)
    return sorted(grouped.items(), key=lambda item: item[0].name)
