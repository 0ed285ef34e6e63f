"""The public simulator's arithmetic: an estimate of a full month's pay from a few answers."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from .engine import Case, Engine, Result, entry_bonus
from .money import cents
from .parameters import PART_TIME_WEEKS_PER_MONTH
from .situation import Situation, propose_category


@dataclass
class Simulation:
    category: str
    category_text: str
    month: dt.date  # the full month the estimate is for
    result: Result
    entry_bonus: Decimal | None
    entry_bonus_text: str


def simulate(
    engine: Engine,
    *,
    region: str,
    birth_date: dt.date,
    start_date: dt.date,
    weekly_hours: Decimal,
    situation: Situation,
    distance_km: Decimal | None = None,
    housing: bool = False,
    distance_learning: bool = False,
    training_total_hours: Decimal | None = None,
    **facts,
) -> Simulation:
    """`facts`: further Case fields the estimate should take into account (special publics'
    dates, sick leaves, weekly hours periods, ...), passed to the engine as they are."""
    # The first month spent wholly in training: the start month if it starts on the 1st.
    month = start_date.replace(day=1)
    if start_date.day != 1:
        month = (month + dt.timedelta(days=32)).replace(day=1)
    pset = engine.sets[region]
    category, category_text = propose_category(situation, pset.categories_at(month))
    full_hours = cents(weekly_hours * PART_TIME_WEEKS_PER_MONTH)
    result = engine.compute(
        Case(
            id="simulation",
            region=region,
            year=month.year,
            month=month.month,
            category=category,
            birth_date=birth_date,
            entry_date=start_date,
            weekly_hours=weekly_hours,
            hours_present=full_hours,
            prior_monthly_salary=situation.prior_salary,
            distance_km=distance_km,
            housing=housing,
            training_total_hours=training_total_hours,
            distance_learning=distance_learning,
            **facts,
        )
    )
    bonus = entry_bonus(region, start_date, category, distance_learning=distance_learning)
    return Simulation(
        category=category,
        category_text=category_text,
        month=month,
        result=result,
        entry_bonus=bonus[0] if bonus else None,
        entry_bonus_text=bonus[1] if bonus else "",
    )
