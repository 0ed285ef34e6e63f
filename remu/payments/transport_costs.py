"""RS2 actual transport costs in the runs (seed 001 §2.4, seed 004; issue 12 §2).

The journeys a provider entered on an RS2 dossier become amounts due once an agent accepted
their receipts (`dossiers.services.review_journeys`). The engine's pure function
`Engine.transport_costs` gives each journey's amount under the region's rules in force at the
entry (over 25 km; start / end and training journeys in full; family journeys within their
limits), computed over every accepted journey of the training so the limits count right. The
ledger keeps them per month of the journey, as their own component (not taxable), with the
engine's explanation; the runs pay them to the bank account of the trainee's RS1 dossier.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from decimal import Decimal

from remu.core.french import month_of
from remu.rules.calendar import age_on
from remu.rules.engine import CaseError
from remu.rules.money import euros

from . import selectors
from .models import Component

DAYS_PER_MONTH = Decimal("30.4375")  # the mean Gregorian month: a training's length in months


def training_months(start: dt.date, end: dt.date) -> Decimal:
    """The training's length in months (3-8 months, beyond 8, beyond 3: the limits' bounds)."""
    return (Decimal((end - start).days + 1) / DAYS_PER_MONTH).quantize(Decimal("0.01"))


def add_dues(ctx, payables, bounds, dues: list[dict], anomaly, found=None) -> list[dict]:
    """Adds to a chunk's dues the actual transport costs of each payable enrollment's accepted
    journeys, one row per month of journey; returns the anomalies (a journey the engine
    refuses). `found`: the range's accepted journeys, when already read."""
    code = ctx.region.parameter_set
    if found is None:
        found = selectors.accepted_journeys(bounds)
    anomalies = []
    for payable in payables:
        facts = found.get(payable.enrollment_id)
        if facts is None:
            continue
        end = payable.exit_date or facts.training_end
        try:
            _, amounts, lines = ctx.rules.transport_costs(
                code,
                payable.entry_date,
                facts.journeys,
                age=age_on(payable.birth_date, payable.entry_date),
                training_months=training_months(payable.entry_date, end),
                family=facts.family,
            )
        except CaseError as exc:
            anomalies.append(
                anomaly(
                    f"{payable.name} (frais de transport) : {exc.message}",
                    "transport_costs",
                    dossier=payable.dossier_id,
                )
            )
            continue
        # The journeys come in date order, so the engine's lines are in the same order.
        by_month: dict = defaultdict(lambda: (Decimal(0), []))
        for journey, amount, line in zip(facts.journeys, amounts, lines, strict=False):
            month = journey.date.replace(day=1)
            total, explanation = by_month[month]
            by_month[month] = (total + amount, [*explanation, line])
        for month, (total, explanation) in by_month.items():
            dues.append(
                {
                    "region_id": ctx.region.pk,
                    "enrollment_id": payable.enrollment_id,
                    "dossier_id": payable.dossier_id,
                    "month": month,
                    "component": Component.TRANSPORT_COSTS.value,
                    "amount": total,
                    "explanation": [
                        *explanation,
                        f"Frais de transport au réel {month_of(month)} (non imposables) : "
                        f"{euros(total)}",
                    ],
                    "version_label": "",
                }
            )
    return anomalies
