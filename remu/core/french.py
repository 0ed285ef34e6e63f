"""French wording of dates that Django's formats lack: month names with elision (« d'août »)."""

import datetime as dt

MONTHS = [
    "janvier",
    "février",
    "mars",
    "avril",
    "mai",
    "juin",
    "juillet",
    "août",
    "septembre",
    "octobre",
    "novembre",
    "décembre",
]


def month_year(day: dt.date) -> str:
    """« août 2026 »."""
    return f"{MONTHS[day.month - 1]} {day.year}"


def month_of(day: dt.date) -> str:
    """« d'août 2026 », « de mars 2026 »: « de » elided before a vowel (avril, août, octobre)."""
    name = month_year(day)
    return f"d'{name}" if name[0] in "aeiou" else f"de {name}"


def day_number(day: dt.date) -> str:
    """« 1er », « 16 »: the first of a month is written as an ordinal."""
    return "1er" if day.day == 1 else str(day.day)


def long_date(day: dt.date) -> str:
    """« 1er mars 2026 », « 16 mars 2026 »."""
    return f"{day_number(day)} {month_year(day)}"


def period_text(start: dt.date, end: dt.date) -> str:
    """« du 16 au 31 mars 2026 », « du 1er février 2026 au 5 mars 2026 »."""
    if (start.year, start.month) == (end.year, end.month):
        return f"du {day_number(start)} au {day_number(end)} {month_year(end)}"
    return f"du {long_date(start)} au {long_date(end)}"
