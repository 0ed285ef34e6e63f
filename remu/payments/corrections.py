"""Dated corrections of a dossier's facts (issue 13, « informations erronées »): when a trainee
gave wrong information (category, prior salary, birth date), an agent corrects the dossier from
a month on; the months before it keep the value the dossier had then.

The overpayments app (a layer above) records the corrections and registers here a reader of
the values in force before them; a run computes each month with the values in force that month
(`as_of`). Without a registered reader, the dossier's values hold for every month."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable

# Payable attributes a correction may change.
FIELDS = ("category", "prior_monthly_salary", "birth_date")

# dossier id -> [(effective month, field, value before it)], latest effective month first
Earlier = dict[int, list[tuple[dt.date, str, object]]]

_reader: Callable[[tuple[int, int]], Earlier] | None = None


def register(reader: Callable[[tuple[int, int]], Earlier]) -> None:
    global _reader
    _reader = reader


def earlier_values(bounds) -> Earlier:
    """The values in force before each correction of the chunk's dossiers (one query)."""
    return _reader(bounds) if _reader is not None else {}


def as_of(payable, month: dt.date, earlier: list | None):
    """The payable with the values in force in `month` (itself when nothing changed since)."""
    if not earlier:
        return payable
    changes = {}
    for effective, field, value in earlier:  # latest first: the earliest applicable wins
        if month < effective:
            changes[field] = value
    return dataclasses.replace(payable, **changes) if changes else payable
