"""{% load french %}: amounts and month names as French readers expect them.

{{ amount|euros }} -> « 47 489,56 € » (no-break space between thousands, like Django's French
number format); {{ month|month_of }} -> « d'août 2026 » / « de mars 2026 ».
"""

from decimal import Decimal

from django import template

from remu.core import french
from remu.rules import money

register = template.Library()


@register.filter
def euros(value) -> str:
    if value is None or value == "":
        return ""
    return money.euros(value if isinstance(value, Decimal) else Decimal(str(value)))


@register.filter
def month_of(day) -> str:
    return french.month_of(day) if day else ""
