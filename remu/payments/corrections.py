"""Dated corrections of a dossier's facts (issue 13, « informations erronées »): when a trainee
gave wrong information (category, prior salary, birth date), an agent corrects the dossier from
a month on; the months before it keep the value the dossier had then.

The overpayments app (a layer above) records the corrections and registers here (`register`,
one registry) a reader of the values in force before them and one of the France Travail
benefit periods; a run computes each month with the values in force that month (`as_of`).
Without a registered reader, the dossier's values hold for every month and no day is excluded."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable

from remu.core.french import period_text

# Payable attributes a correction may change.
FIELDS = ("category", "prior_monthly_salary", "birth_date")

# dossier id -> [(effective month, field, value before it)], latest effective month first
Earlier = dict[int, list[tuple[dt.date, str, object]]]
# enrollment id -> [(start, end)] of the trainee's recorded benefit periods (double pay, issue
# 13): the run pays none of their days.
Periods = dict[int, list[tuple[dt.date, dt.date]]]


@dataclasses.dataclass
class Readers:
    """What the overpayments app (a layer above) registers in its `AppConfig.ready()`: the
    readers of a chunk's corrections, which the run calls without importing that app. One
    registry for both, like `attendance.services.exit_hooks`."""

    earlier_values: Callable[[tuple[int, int]], Earlier] | None = None
    benefit_periods: Callable[[tuple[int, int]], Periods] | None = None


readers = Readers()


def register(
    *,
    earlier_values: Callable[[tuple[int, int]], Earlier] | None = None,
    benefit_periods: Callable[[tuple[int, int]], Periods] | None = None,
) -> None:
    """Registers the readers given (a reader not given keeps the one registered)."""
    readers.earlier_values = earlier_values or readers.earlier_values
    readers.benefit_periods = benefit_periods or readers.benefit_periods


def earlier_values(bounds) -> Earlier:
    """The values in force before each correction of the chunk's dossiers (one query)."""
    return readers.earlier_values(bounds) if readers.earlier_values is not None else {}


def benefit_periods(bounds) -> Periods:
    """The France Travail benefit periods of the chunk's enrollments (one query)."""
    return readers.benefit_periods(bounds) if readers.benefit_periods is not None else {}


def as_of(payable, month: dt.date, earlier: list | None):
    """The payable with the values in force in `month` (itself when nothing changed since)."""
    if not earlier:
        return payable
    changes = {}
    for effective, field, value in earlier:  # latest first: the earliest applicable wins
        if month < effective:
            changes[field] = value
    return dataclasses.replace(payable, **changes) if changes else payable


# -- periods paid by France Travail ----------------------------------------------------------


def free_spans(first: dt.date, last: dt.date, periods) -> list[tuple[dt.date, dt.date]] | None:
    """The spans of [first, last] outside the periods; None when no period touches it."""
    touching = sorted((s, e) for s, e in periods or () if s <= last and e >= first)
    if not touching:
        return None
    spans, day = [], first
    for start, end in touching:
        if start > day:
            spans.append((day, start - dt.timedelta(days=1)))
        day = max(day, end + dt.timedelta(days=1))
    if day <= last:
        spans.append((day, last))
    return spans


def without_periods(compute, case_for, payable, month: dt.date, last: dt.date, periods, full):
    """The month's result with the benefit days unpaid: the remuneration, allowances, sickness
    complement and social contributions of the days outside the periods (each span computed as
    if the trainee were paid from its first day to its last), the entry bonus of the full month.
    `full` is the result for the whole month; `case_for(pay_start, exit_date)` builds a case."""
    spans = free_spans(month, last, periods)
    if spans is None:
        return full
    start = max(filter(None, (payable.entry_date, payable.pay_start)))
    end = payable.exit_date or last
    parts = []
    for a, b in spans:
        a, b = max(a, start), min(b, end)
        if a <= b:
            parts.append(
                compute(
                    case_for(
                        a if a > start else payable.pay_start,
                        b if b < end else payable.exit_date,
                    )
                )
            )
    total = {
        name: sum((getattr(p, name) for p in parts), type(full.remuneration)(0))
        for name in ("remuneration", "allowances", "complement")
    }
    social = [p.social_contributions for p in parts if p.social_contributions is not None]
    hours = [p.social_contribution_hours for p in parts if p.social_contribution_hours is not None]
    covered = ", ".join(period_text(s, e) for s, e in sorted(periods))
    explanation = [
        f"Période indemnisée par France Travail ({covered}) : ses jours ne sont pas payés par "
        "la Région."
    ]
    for p in parts:
        explanation += p.explanation
    if not parts:
        explanation.append("Aucun jour de ce mois n'est à payer par la Région.")
    return dataclasses.replace(
        full,
        **total,
        complement_days=sum(p.complement_days for p in parts),
        social_contributions=sum(social) if social else None,
        social_contribution_hours=sum(hours) if hours else None,
        explanation=explanation,
    )
