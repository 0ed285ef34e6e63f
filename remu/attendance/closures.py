"""Centre-closure days already paid in a region's closure window (RULES.md §6).

Where a region limits paid closure days per period of training (Centre-Val de Loire: 15
calendar days per 6 months in training, seed 001), the engine needs the closure days of the
trainee's earlier months in the same period. The periods are counted from the entry month:
months 1 to 6 of the training, then 7 to 12, and so on. Days beyond the limit were not paid
but still count: the engine stops paying once the count reaches the limit either way.
"""

from __future__ import annotations

import datetime as dt

from remu.rules.calendar import month_bounds

WINDOW_MONTHS = {"six_months": 6}  # the parameter set's `per` -> the period's length in months


def window_months(options: dict) -> int | None:
    """The length of the closure period of a region's options, or None when its limit does
    not span months (none, or per closure)."""
    rule = (options.get("absences") or {}).get("CENTRE_CLOSURE") or {}
    if "limit_days" not in rule:
        return None
    return WINDOW_MONTHS.get(rule.get("per"))


def window_start(entry_date: dt.date, month: dt.date, months: int) -> dt.date:
    """The first month of the closure period of the training that holds `month`."""
    elapsed = (month.year - entry_date.year) * 12 + month.month - entry_date.month
    start = (elapsed // months) * months if elapsed > 0 else 0
    index = entry_date.year * 12 + entry_date.month - 1 + start
    return dt.date(index // 12, index % 12 + 1, 1)


def closure_days(month: dt.date, absences) -> int:
    """The centre-closure days of a month's engine absences (clipped to the month)."""
    first, last = month_bounds(month.year, month.month)
    days = 0
    for absence in absences:
        if absence.reason == "CENTRE_CLOSURE":
            start, end = max(absence.start, first), min(absence.end, last)
            if end >= start:
                days += (end - start).days + 1
    return days


def prior_days(entry_date: dt.date, month: dt.date, months: int | None, earlier) -> int:
    """The closure days of the earlier months of `month`'s period; `earlier` gives (month,
    closure days) of the trainee's validated months."""
    if months is None:
        return 0
    start = window_start(entry_date, month, months)
    return sum(days for other, days in earlier if start <= other < month)
