"""Months, thirtieths and holidays.

A month counts 30 thirtieths whatever its length: day d maps to min(d, 30), and the last day of
the month to 30 (RULES.md §4), so the 30th and 31st share index 30 and the end of February
reaches 30.
"""

import calendar
import datetime as dt
from functools import lru_cache

import holidays
from dateutil.easter import easter

LOCAL_DAYS_FROM_EASTER = {  # Guadeloupe Formation's carnival days, relative to Easter Sunday
    "LUNDI_GRAS": (-48, "Lundi gras"),
    "MARDI_GRAS": (-47, "Mardi gras"),
    "MERCREDI_DES_CENDRES": (-46, "Mercredi des Cendres"),
}


@lru_cache(maxsize=4096)
def month_bounds(year: int, month: int) -> tuple[dt.date, dt.date]:
    return dt.date(year, month, 1), dt.date(year, month, calendar.monthrange(year, month)[1])


def thirtieth(day: dt.date, last_day: int) -> int:
    return 30 if day.day == last_day else min(day.day, 30)


@lru_cache(maxsize=256)
def public_holidays(year: int, subdivision: str | None) -> dict[dt.date, str]:
    return dict(holidays.France(years=year, subdiv=subdivision, language="fr"))


@lru_cache(maxsize=256)
def local_days(year: int, codes: tuple[str, ...]) -> dict[dt.date, str]:
    """The region's own paid days: Easter-relative codes, or fixed "MM-DD" dates."""
    days = {}
    for code in codes:
        if code in LOCAL_DAYS_FROM_EASTER:
            offset, label = LOCAL_DAYS_FROM_EASTER[code]
            days[easter(year) + dt.timedelta(days=offset)] = label
        else:
            month, day = (int(x) for x in code.split("-"))
            days[dt.date(year, month, day)] = f"jour local du {day:02d}/{month:02d}"
    return days


def age_on(birth: dt.date, day: dt.date) -> int:
    return day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))


def fr(day: dt.date) -> str:
    return day.strftime("%d/%m/%Y")
