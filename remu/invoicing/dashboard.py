"""The agents' invoicing dashboard: per programme and per provider for a year (the actions
starting that year), committed (the actions' prices), invoiced, validated, paid and what
remains to pay; invoiced against planned per month (a Chart.js chart drawn in the browser from
the page's json_script data, with the same data as a table); the Excel export."""

from __future__ import annotations

import io
from collections import defaultdict
from decimal import Decimal

from django.db.models import Sum
from django.utils import timezone

from remu.actions.models import TrainingAction
from remu.core.tabular import safe_append

from . import hours as h
from . import selectors
from .models import Invoice, InvoiceLine

ZERO = Decimal("0.00")
ISSUED = [Invoice.Status.CONFIRMED, Invoice.Status.VALIDATED, Invoice.Status.PAID]
VALIDATED = [Invoice.Status.VALIDATED, Invoice.Status.PAID]
MONTHS = ["janv.", "févr.", "mars", "avr.", "mai", "juin", "juil.", "août", "sept.", "oct.",
          "nov.", "déc."]  # fmt: skip


def years() -> list[int]:
    this = timezone.localdate().year
    return list(range(this - 3, this + 2))


def year_of(request) -> int:
    text = request.GET.get("annee") or ""
    if text.isascii() and text.isdigit() and int(text) in years():
        return int(text)
    return timezone.localdate().year


def figures(tenant, year: int) -> dict:
    actions = list(
        TrainingAction.objects.for_tenant(tenant)
        .filter(planned_start__year=year)
        .select_related("programme", "provider", "invoicing_terms")
    )
    amounts = defaultdict(lambda: defaultdict(lambda: ZERO))
    for row in (
        Invoice.objects.filter(action__in=actions, status__in=ISSUED)
        .values("action_id", "status", "kind")
        .annotate(total=Sum("total_ht"))
    ):
        sign = -1 if row["kind"] == Invoice.Kind.CREDIT_NOTE else 1
        value = sign * row["total"]
        bucket = amounts[row["action_id"]]
        bucket["invoiced"] += value
        if row["status"] in VALIDATED:
            bucket["validated"] += value
        if row["status"] == Invoice.Status.PAID:
            bucket["paid"] += value
    by_programme = defaultdict(lambda: defaultdict(lambda: ZERO))
    by_provider = defaultdict(lambda: defaultdict(lambda: ZERO))
    total = defaultdict(lambda: ZERO)
    planned_by_month = defaultdict(lambda: ZERO)
    for action in actions:
        committed = selectors.committed(action, selectors.terms_of(action))
        values = {"committed": committed, **amounts[action.pk]}
        values["remaining"] = committed - values.get("paid", ZERO)
        for target in (
            by_programme[action.programme.name],
            by_provider[action.provider.name],
            total,
        ):
            for key in ("committed", "invoiced", "validated", "paid", "remaining"):
                target[key] += values.get(key, ZERO)
        months = selectors.months_of(action)
        for month in months:
            planned_by_month[month] += committed / len(months)
    invoiced_by_month = defaultdict(lambda: ZERO)
    for row in (
        InvoiceLine.objects.filter(
            invoice__action__in=actions,
            invoice__status__in=ISSUED,
            invoice__kind=Invoice.Kind.INSTALMENT,
        )
        .values("month")
        .annotate(total=Sum("total"))
    ):
        invoiced_by_month[row["month"]] += row["total"]
    chart = _chart(year, planned_by_month, invoiced_by_month)
    return {
        "by_programme": sorted((k, dict(v)) for k, v in by_programme.items()),
        "by_provider": sorted((k, dict(v)) for k, v in by_provider.items()),
        "total": dict(total),
        "chart": chart,
    }


def _chart(year, planned, invoiced) -> dict:
    """Planned and invoiced amounts per month of the year: `rows` for the table (the accessible
    alternative, exact amounts) and `data` for the chart the page draws with Chart.js (through
    `json_script`; amounts as strings, never floats)."""
    months = sorted({m for m in list(planned) + list(invoiced) if m.year == year})
    rows = [(m, h.q(planned.get(m, ZERO)), h.q(invoiced.get(m, ZERO))) for m in months]
    data = {
        "labels": [f"{MONTHS[m.month - 1]} {m.year}" for m, _, _ in rows],
        "series": [
            {"label": "Prévu", "color": "#9aa5b1", "values": [str(p) for _, p, _ in rows]},
            {"label": "Facturé", "color": "#1d4f91", "values": [str(i) for _, _, i in rows]},
        ],
    }
    return {"rows": rows, "data": data}


def workbook(tenant, year: int) -> bytes:
    from openpyxl import Workbook

    data = figures(tenant, year)
    book = Workbook()
    header = ["", "Engagé", "Facturé", "Validé", "Payé", "Reste à payer"]
    keys = ("committed", "invoiced", "validated", "paid", "remaining")
    for title, rows in (("Dispositifs", data["by_programme"]), ("Organismes", data["by_provider"])):
        sheet = book.active if title == "Dispositifs" else book.create_sheet()
        sheet.title = title
        safe_append(sheet, [title[:-1]] + header[1:])
        for name, values in rows:
            safe_append(sheet, [name] + [values.get(k, ZERO) for k in keys])
        safe_append(sheet, ["Total"] + [data["total"].get(k, ZERO) for k in keys])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
