import datetime as dt
from decimal import Decimal

from remu.rules.engine import Absence, Case


def case(**overrides) -> Case:
    base = dict(
        region="national",
        year=2022,
        month=3,
        category="JOB_SEEKER",
        birth_date=dt.date(1991, 6, 2),
        entry_date=dt.date(2022, 1, 10),
        weekly_hours=Decimal(35),
    )
    base.update(overrides)
    return Case(**base)


def absence(start, end, reason="UNJUSTIFIED", **kw) -> Absence:
    return Absence(dt.date.fromisoformat(start), dt.date.fromisoformat(end), reason, **kw)
