"""Sick leaves and maternity / paternity leaves (issue 12 §2, seed 001 §2.8-2.9).

An agent enters each leave with the daily allowance the health insurance pays (from the CPAM
statement); the rules engine (`Case.sick_leaves`) computes the waiting days (paid by no one)
and the region's complement. The statement line and the runs pass the enrollment's leaves to
the engine, with the sickness complement days of the earlier months (the region's maximum
counts over the whole training)."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction

from remu.rules.engine import CaseError
from remu.rules.engine import SickLeave as EngineSickLeave

from .models import AttendanceLine, SickLeave


def engine_leaves(enrollment_id: int) -> tuple[EngineSickLeave, ...]:
    return tuple(
        EngineSickLeave(start, end, allowance, kind)
        for start, end, allowance, kind in SickLeave.objects.filter(
            enrollment_id=enrollment_id
        ).values_list("start", "end", "daily_allowance", "kind")
    )


def prior_complement_days(line: AttendanceLine, leaves, case_of, compute, earlier=None) -> int:
    """The sickness complement days of the enrollment's earlier validated months, each computed
    in month order with the days of the months before it (as a run does). `earlier`: the
    enrollment's validated lines before the line's month in month order, when already read."""
    month = line.statement.month
    sickness = [leave for leave in leaves if leave.kind == "SICKNESS" and leave.start < month]
    if not sickness:
        return 0
    since = min(leave.start for leave in sickness).replace(day=1)
    if earlier is not None:
        earlier = [before for before in earlier if before.statement.month >= since]
    else:
        earlier = (
            AttendanceLine.objects.filter(
                enrollment_id=line.enrollment_id,
                status=AttendanceLine.Status.VALIDATED,
                dossier__isnull=False,
                statement__month__lt=month,
                statement__month__gte=since,
            )
            .select_related("statement__action", "dossier__region", "enrollment__trainee")
            .order_by("statement__month")
        )
    used = 0
    for before in earlier:
        try:
            used += compute(case_of(before, prior_complement_days=used)).complement_days
        except CaseError:
            continue
    return used


@transaction.atomic
def add(enrollment, user, *, kind: str, start, end, daily_allowance) -> SickLeave:
    """An agent records a leave of the trainee."""
    if end < start:
        raise ValidationError({"end": "La fin de l'arrêt précède son début."})
    if end < enrollment.entry_date:
        raise ValidationError({"start": "L'arrêt se termine avant l'entrée en formation."})
    leave = SickLeave(
        enrollment=enrollment,
        kind=kind,
        start=start,
        end=end,
        daily_allowance=daily_allowance,
        created_by=user,
    )
    leave.full_clean()
    leave.save()
    return leave
