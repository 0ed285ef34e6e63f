"""Dossier deadlines, dated options of the region's set: the dossier due some hours after the
entry (CVL: 72 h, `dossier_due_hours_after_entry`), flagged late on the agents' dossier list;
and the dossier that must be complete at the exit (BFC, `unpaid_if_incomplete_at_exit`):
complete = every required document accepted by an agent (`complete_on`), the consistency
checks having passed at submission."""

from __future__ import annotations

import datetime as dt

from django.db.models import Q
from django.utils import timezone

from remu.rules.engine import default_engine

from .models import Dossier


def due_hours(parameter_set: str, day: dt.date) -> int | None:
    return default_engine().options(parameter_set, day).get("dossier_due_hours_after_entry")


def due_at(dossier) -> dt.datetime | None:
    """When the dossier is due: the entry day's start plus the region's hours; None: no
    deadline."""
    entry = dossier.real_start or dossier.enrollment.entry_date
    hours = due_hours(dossier.region.parameter_set, entry) if entry else None
    if hours is None:
        return None
    start = timezone.make_aware(dt.datetime.combine(entry, dt.time()))
    return start + dt.timedelta(hours=int(hours))


def is_late(dossier, now: dt.datetime | None = None) -> bool:
    """Handed over after its deadline, or still a draft past it."""
    if dossier.submitted_late:
        return True
    due = due_at(dossier)
    now = now or timezone.now()
    return dossier.status == Dossier.Status.DRAFT and due is not None and now >= due


def late_filter(region, now: dt.datetime | None = None) -> Q:
    """The late dossiers of a region, as a filter: submitted late, or drafts past the
    deadline in force today (an entry on day D is due D + hours)."""
    now = now or timezone.now()
    hours = due_hours(region.parameter_set, timezone.localdate(now))
    late = Q(submitted_late=True)
    if hours is not None:
        # Entered on or before this day: the deadline has passed.
        last_entry = timezone.localtime(now - dt.timedelta(hours=int(hours))).date()
        late |= Q(status=Dossier.Status.DRAFT, real_start__lte=last_entry)
    return late


def incomplete_at_exit(parameter_set: str, exit_date, complete_on) -> bool:
    """The region does not pay a dossier incomplete at the trainee's exit (BFC)."""
    if exit_date is None:
        return False
    if not default_engine().options(parameter_set, exit_date).get("unpaid_if_incomplete_at_exit"):
        return False
    return complete_on is None or complete_on > exit_date
