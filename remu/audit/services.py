"""Writes of the access log: one row per sensitive read, called explicitly by the views."""

from __future__ import annotations

import datetime as dt

from dateutil.relativedelta import relativedelta
from django.utils import timezone

from remu.scales.selectors import engine

from .models import AccessEvent

Kind = AccessEvent.Kind


def record(request, kind: str, label: str, *, trainee_id: int | None = None) -> None:
    """Logs that the request's user saw `label` (a dossier number, a file name…), about the
    trainee `trainee_id` where it is a trainee's data (their page lists it)."""
    region = request.tenant.region
    if region is None or not request.user.is_authenticated:
        return
    AccessEvent.objects.create(
        region=region, user=request.user, kind=kind, label=label[:200], about_trainee=trainee_id
    )


def kept_months(region, day: dt.date) -> int:
    """The region's dated option `access_log_months`."""
    options = engine(region).options(region.parameter_set, day)
    return options["access_log_months"]  # a dated option of every set (national.yaml)


def purge(region, today: dt.date | None = None) -> int:
    """Deletes the region's events older than its period; returns how many."""
    today = today or timezone.localdate()
    limit = today - relativedelta(months=kept_months(region, today))
    start = timezone.make_aware(dt.datetime.combine(limit, dt.time.min))
    deleted, _ = AccessEvent.objects.filter(region=region, at__lt=start).delete()
    return deleted
