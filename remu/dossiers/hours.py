"""Weekly hours that change during a training (mixed full-time / part-time paths, seed 001
§1.6): the dossier's weekly hours apply from the entry, each `WeeklyHoursChange` from its
date. The provider records changes while the dossier is editable, agents of the region at any
time; `periods()` gives the engine's dated periods (remu.attendance.services.build_case)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction

from .models import Dossier, WeeklyHoursChange

FAR = dt.date(9999, 12, 31)


def may_record(dossier, user) -> bool:
    """Agents of the region (any time but a rejection), providers while the dossier is a draft."""
    if dossier.kind != Dossier.Kind.RS1:
        return False
    if user.is_agent:
        return dossier.status != Dossier.Status.REJECTED
    return dossier.is_editable_by_provider


@transaction.atomic
def add_change(dossier, *, valid_from: dt.date, weekly_hours: Decimal, user) -> WeeklyHoursChange:
    if not may_record(dossier, user):
        raise PermissionDenied("Vous ne pouvez pas modifier la durée hebdomadaire de ce dossier.")
    Dossier.objects.select_for_update().get(pk=dossier.pk)
    entry = dossier.real_start or dossier.enrollment.entry_date
    end = dossier.enrollment.exit_date or dossier.real_end or dossier.action.end_date
    if not entry < valid_from <= end:
        raise ValidationError(
            {
                "valid_from": f"La date doit suivre l'entrée ({entry:%d/%m/%Y}) et ne pas "
                f"dépasser la fin de la formation ({end:%d/%m/%Y})."
            }
        )
    if dossier.hours_changes.filter(valid_from=valid_from).exists():
        raise ValidationError({"valid_from": "Un changement est déjà enregistré à cette date."})
    return WeeklyHoursChange.objects.create(
        dossier=dossier, valid_from=valid_from, weekly_hours=weekly_hours, recorded_by=user
    )


def changes_of(dossier) -> list[tuple[dt.date, Decimal]]:
    rows = dossier.hours_changes.order_by("valid_from")
    return list(rows.values_list("valid_from", "weekly_hours"))


def periods(
    entry: dt.date, weekly_hours: Decimal, changes: list[tuple[dt.date, Decimal]]
) -> list[tuple[dt.date, dt.date, Decimal]]:
    """(start, end, weekly hours) from the entry, one per change, the last one open."""
    starts = [(entry, weekly_hours), *sorted(c for c in changes if c[0] > entry)]
    return [
        (start, starts[i + 1][0] - dt.timedelta(days=1) if i + 1 < len(starts) else FAR, hours)
        for i, (start, hours) in enumerate(starts)
    ]


def in_force(entry: dt.date, weekly_hours: Decimal, changes, first: dt.date, last: dt.date):
    """The periods that meet the days `first` to `last`."""
    return [p for p in periods(entry, weekly_hours, changes) if p[0] <= last and p[1] >= first]
