"""What a month's declaration may pay: hours and days inside the trainee's enrolled period, a
week within the legal maximum (dated option `max_weekly_hours`), and a week above the
enrollment's weekly hours only once the provider confirms it.

A week wholly before the entry or after the exit: no hour at all. A week partly inside the
enrolled period: hours allowed up to the legal maximum, but the confirmation threshold is the
enrollment's weekly hours pro rata of the working days (Monday to Friday) of that civil week
spent in training. Weeks clipped by the month's first or last day keep the whole threshold
(the civil week goes on in the other month)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.utils.formats import date_format

from remu.core.french import day_number, long_date
from remu.rules.calendar import month_bounds
from remu.scales.selectors import engine

WORKING_DAYS = 5


class NeedsConfirmation(ValidationError):
    """Hours above the enrollment's weekly hours (but within the legal maximum): saved only
    when the provider confirms them. Its message dict names the weeks (week_0, week_1...)."""


@dataclass
class PartTimeCheck:
    errors: dict[str, list[str]] = field(default_factory=dict)  # refused, by field
    over: dict[str, list[str]] = field(default_factory=dict)  # to confirm, by field

    def refuse(self, name: str, message: str) -> None:
        self.errors.setdefault(name, []).append(message)


def fr_day(day: dt.date) -> str:
    """« 10 mars 2026 », « 1er mars 2026 »."""
    return long_date(day)


def hours_text(hours: Decimal) -> str:
    """« 20 », « 20,5 »."""
    return f"{hours.normalize():f}".replace(".", ",")


def week_label(start: dt.date, end: dt.date) -> str:
    """« Semaine du 2 au 8 mars » (weeks never cross a month: they are clipped to it)."""
    first = day_number(start)
    if start == end:
        return f"Semaine du {first} {date_format(start, 'F')}"
    return f"Semaine du {first} au {end.day} {date_format(end, 'F')}"


def outside_period(start: dt.date, end: dt.date, entry: dt.date, exit_: dt.date | None) -> str:
    """Why days from `start` to `end` are outside the enrolled period, or "" when some are in."""
    if end < entry:
        return f"le stagiaire n'est pas encore entré en formation (entrée le {fr_day(entry)})"
    if exit_ is not None and start > exit_:
        return f"le stagiaire est sorti de formation (sortie le {fr_day(exit_)})"
    return ""


def _enrolled_share(week_start: dt.date, entry: dt.date, exit_: dt.date | None) -> Decimal:
    """The share of the civil week's working days spent in training (1 when wholly inside)."""
    monday = week_start - dt.timedelta(days=week_start.weekday())
    sunday = monday + dt.timedelta(days=6)
    if entry <= monday and (exit_ is None or exit_ >= sunday):
        return Decimal(1)
    days = [monday + dt.timedelta(days=i) for i in range(WORKING_DAYS)]
    inside = [d for d in days if d >= entry and (exit_ is None or d <= exit_)]
    return Decimal(len(inside)) / WORKING_DAYS


def enrolled_days(month: dt.date, entry: dt.date, exit_: dt.date | None) -> int:
    first, last = month_bounds(month.year, month.month)
    start, end = max(entry, first), min(exit_ or last, last)
    return max((end - start).days + 1, 0)


def check_part_time(
    line, weeks, weekly_hours: list[Decimal], days_present: int, rules=None
) -> PartTimeCheck:
    """Every problem of a part-time declaration, by form field (week_<i>, days_present);
    `rules` is the region's engine when the caller has it already (a statement's validation)."""
    enrollment, region = line.enrollment, line.statement.action.region
    entry, exit_ = enrollment.entry_date, enrollment.exit_date
    enrolled_weekly = (
        line.dossier.weekly_hours if line.dossier_id else None
    ) or line.statement.action.weekly_hours
    rules = rules or engine(region)
    check = PartTimeCheck()
    if len(weekly_hours) != len(weeks):
        check.refuse("__all__", f"Le mois compte {len(weeks)} semaines : une valeur par semaine.")
        return check
    for i, ((start, end), hours) in enumerate(zip(weeks, weekly_hours, strict=True)):
        name, label = f"week_{i}", week_label(start, end)
        if not hours:
            continue
        why = outside_period(start, end, entry, exit_)
        if why:
            check.refuse(name, f"{label} : {why}.")
            continue
        maximum = Decimal(str(rules.options(region.parameter_set, start)["max_weekly_hours"]))
        if hours > maximum:
            check.refuse(
                name,
                f"{label} : {hours_text(hours)} h dépassent la durée maximale légale "
                f"de {hours_text(maximum)} h par semaine.",
            )
            continue
        share = _enrolled_share(start, entry, exit_)
        threshold = (enrolled_weekly * share).quantize(Decimal("0.01"))
        if hours > threshold:
            prorata = " au prorata des jours en formation" if share < 1 else ""
            check.over.setdefault(name, []).append(
                f"{label} : {hours_text(hours)} h dépassent la durée hebdomadaire du "
                f"stagiaire ({hours_text(threshold)} h{prorata})."
            )
    most = enrolled_days(line.statement.month, entry, exit_)
    if days_present > most:
        check.refuse(
            "days_present",
            f"Le stagiaire n'est en formation que {most} jour{'s' if most > 1 else ''} "
            f"ce mois-ci : {days_present} jours de présence ne peuvent pas être payés.",
        )
    return check
