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
