"""Social contributions the region pays for its trainees (code du travail L6342-3; RULES.md
§4): the year's flat hourly base x the hours, per trainee and month. Never paid to the trainee
(no payment line, no SEPA file): the region declares them, from the monthly summary.

- A paid trainee (admitted RS1): the engine's `Result.social_contributions` of each validated
  month, recorded by the runs (`row_from_result`, written with the month's dues).
- A P2S-only trainee (social protection only, no attendance statement line): the enrollment's
  scheduled hours of the month (`scheduled_hours`), through `Engine.social_contributions`,
  recorded at the end of each run (`record_p2s_only`).
A month whose year has no base in the parameter set gives no row (the explanation says so).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.db.models import Count, Q, Sum
from django.utils import timezone

from remu.dossiers.models import Dossier
from remu.rules.calendar import month_bounds, thirtieth
from remu.rules.engine import CaseError
from remu.rules.money import cents
from remu.rules.parameters import PART_TIME_WEEKS_PER_MONTH

from . import bulk
from .models import SocialContribution

SOCIAL_LINE = "Cotisations sociales"
# the dossier too: a P2S-only trainee's month becomes a paid one once an RS1 is admitted
UPDATED = ("dossier_id", "kind", "hours", "base", "amount", "explanation", "computed_at")


class SocialBase:
    """A month's hourly base as the rows carry it, from the month's options, converted once
    (on first use: a month without contributions never reads it)."""

    __slots__ = ("options", "value")

    def __init__(self, options: dict):
        self.options = options
        self.value = None

    def __call__(self) -> Decimal:
        if self.value is None:
            self.value = Decimal(str(self.options.get("social_contributions_hourly_base")))
        return self.value


def row_from_result(
    region,
    payable,
    month: dt.date,
    result,
    rules,
    base: SocialBase | None = None,
    kept: dict | None = None,
) -> dict | None:
    """The ledger row of a paid trainee's month from the engine's result (None: no base).
    `payable`: the dossier paid (its enrollment and dossier ids); `base`: the month's base,
    when the caller holds it (else read from the rules); `kept`: a dict where the row of each
    result is kept (a run's memo shares one result between many trainee-months of a month:
    their rows differ only by the enrollment and the dossier)."""
    if result.social_contributions is None:
        return None
    found = kept.get(id(result)) if kept is not None else None
    if found is not None and found[1]["month"] == month:
        return {
            **found[1],
            "enrollment_id": payable.enrollment_id,
            "dossier_id": payable.dossier_id,
        }
    if base is None:
        base = SocialBase(rules.options(region.parameter_set, month))
    text = next((line for line in result.explanation if line.startswith(SOCIAL_LINE)), "")
    row = {
        "region_id": region.pk,
        "enrollment_id": payable.enrollment_id,
        "dossier_id": payable.dossier_id,
        "month": month,
        "kind": SocialContribution.Kind.PAID.value,
        "hours": result.social_contribution_hours,
        "base": base(),
        "amount": result.social_contributions,
        "explanation": text[:250],
    }
    if kept is not None:
        # the result is kept with its row: its id is not reused while the dict lives
        kept[id(result)] = (result, row)
        return {**row}  # the kept row is never handed out (a caller may change its own)
    return row


def upsert(rows: list[dict], *, fresh: bool = False) -> None:
    """Writes the rows, replacing the month's row of the enrollment where there is one (COPYed
    straight into the table when `fresh`: none of the rows' enrollments has a row yet)."""
    if not rows:
        return
    now = timezone.now()
    bulk.upsert_social([{**row, "computed_at": now} for row in rows], UPDATED, fresh=fresh)


# -- P2S-only trainees ----------------------------------------------------------------------


def scheduled_hours(
    weekly_hours: Decimal, month: dt.date, entry: dt.date, exit_: dt.date | None
) -> Decimal:
    """A P2S-only trainee's hours of a month: no attendance is declared for them, so the
    enrollment's schedule gives them, the way the engine counts a full-time month without
    declared hours: the monthly hours (weekly x 4.33) x the thirtieths enrolled / 30."""
    first, last = month_bounds(month.year, month.month)
    start, end = max(entry, first), min(exit_ or last, last)
    if start > end:
        return Decimal("0.00")
    span = thirtieth(end, last.day) - thirtieth(start, last.day) + 1
    return cents(weekly_hours * PART_TIME_WEEKS_PER_MONTH * span / 30)


def p2s_only_dossiers(region):
    """Admitted P2S dossiers whose enrollment has no admitted RS1 (a paid trainee's
    contributions come from the runs' computation)."""
    paid = Dossier.objects.filter(
        region=region, kind=Dossier.Kind.RS1, status=Dossier.Status.ADMITTED
    ).values("enrollment_id")
    return Dossier.objects.filter(
        region=region, kind=Dossier.Kind.P2S, status=Dossier.Status.ADMITTED
    ).exclude(enrollment_id__in=paid)


def record_p2s_only(region, rules, upto: dt.date) -> int:
    """Records every month, up to `upto`'s, of the region's P2S-only trainees (idempotent:
    each run recomputes them). Returns how many rows were written."""
    rows = []
    for dossier_id, enrollment_id, entry, exit_, dossier_hours, action_hours in p2s_only_dossiers(
        region
    ).values_list(
        "pk",
        "enrollment_id",
        "enrollment__entry_date",
        "enrollment__exit_date",
        "weekly_hours",
        "enrollment__action__weekly_hours",
    ):
        weekly = dossier_hours or action_hours
        month = entry.replace(day=1)
        last = min((exit_ or upto), upto).replace(day=1)
        while month <= last:
            hours = scheduled_hours(weekly, month, entry, exit_)
            try:
                amount, text = rules.social_contributions(region.parameter_set, month, hours)
            except CaseError:  # negative hours cannot come from a schedule; kept safe
                amount = None
            if amount is not None:
                base = rules.options(region.parameter_set, month)[
                    "social_contributions_hourly_base"
                ]
                rows.append(
                    {
                        "region_id": region.pk,
                        "enrollment_id": enrollment_id,
                        "dossier_id": dossier_id,
                        "month": month,
                        "kind": SocialContribution.Kind.P2S.value,
                        "hours": hours,
                        "base": Decimal(str(base)),
                        "amount": amount,
                        "explanation": f"{text} (heures prévues de la formation)"[:250],
                    }
                )
            month = (month + dt.timedelta(days=32)).replace(day=1)
    upsert(rows)
    return len(rows)


# -- the monthly summary ----------------------------------------------------------------------


def monthly_summary(contributions, month: dt.date):
    """Per programme, the month's trainees, hours and amount (one grouped query), for the
    region's declaration; `contributions` is a scoped queryset."""
    return (
        contributions.filter(month=month)
        .values("enrollment__action__programme__name", "base")
        .annotate(
            trainees=Count("enrollment_id", distinct=True),
            p2s=Count("enrollment_id", filter=Q(kind=SocialContribution.Kind.P2S), distinct=True),
            hours=Sum("hours"),
            amount=Sum("amount"),
        )
        .order_by("enrollment__action__programme__name", "base")
    )


def month_totals(contributions, month: dt.date) -> dict:
    return contributions.filter(month=month).aggregate(
        trainees=Count("enrollment_id", distinct=True), hours=Sum("hours"), amount=Sum("amount")
    )
