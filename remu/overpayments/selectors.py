"""Reads of overpayments: the lists, totals per status, ageing."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.db.models import Count, F, Q, Sum

from .models import Instalment, Overpayment, WaiverRequest

S = Overpayment.Status
FOLLOWED = (S.DETECTED, S.NOTIFIED, S.RECOVERING)
# Ageing buckets (months since detection), for the list's totals.
AGES = (("0-3", 0, 3), ("3-6", 3, 6), ("6-12", 6, 12), ("12+", 12, None))
AGE_LABELS = {
    "0-3": "0 à 3 mois",
    "3-6": "3 à 6 mois",
    "6-12": "6 à 12 mois",
    "12+": "Plus de 12 mois",
}


def to_follow(queryset):
    """Claims an agent still has to follow: detected, notified or being recovered."""
    return queryset.filter(status__in=FOLLOWED, remaining__gt=0)


def months_ago(today: dt.date, months: int) -> dt.date:
    year, month = divmod(today.year * 12 + today.month - 1 - months, 12)
    return dt.date(year, month + 1, min(today.day, 28))


def age_filter(code: str, today: dt.date) -> Q:
    for key, low, high in AGES:
        if key == code:
            q = Q(detected_at__date__lte=months_ago(today, low))
            if high is not None:
                q &= Q(detected_at__date__gt=months_ago(today, high))
            return q
    return Q()


def totals_per_status(queryset) -> list[dict]:
    rows = {
        r["status"]: r
        for r in queryset.order_by()
        .values("status")
        .annotate(count=Count("pk"), amount=Sum("amount"), remaining=Sum("remaining"))
    }
    return [
        {
            "status": status,
            "label": label,
            "count": rows.get(status, {}).get("count", 0),
            "amount": rows.get(status, {}).get("amount") or Decimal(0),
            "remaining": rows.get(status, {}).get("remaining") or Decimal(0),
        }
        for status, label in S.choices
    ]


def ageing(queryset, today: dt.date) -> list[dict]:
    """What is still owed, by the age of the claim."""
    open_ = to_follow(queryset)
    return [
        {
            "code": code,
            "label": AGE_LABELS[code],
            **open_.filter(age_filter(code, today)).aggregate(
                count=Count("pk"), remaining=Sum("remaining")
            ),
        }
        for code, _, _ in AGES
    ]


def late_instalments(queryset, today: dt.date):
    """Instalments past their date and not fully received, of these overpayments."""
    return (
        Instalment.objects.filter(overpayment__in=queryset, due_on__lt=today)
        .annotate(received_sum=Sum("recoveries__amount"))
        .filter(Q(received_sum__isnull=True) | Q(received_sum__lt=F("amount")))
        .select_related("overpayment__trainee")
        .order_by("due_on")
    )


def agenda(queryset):
    """Waiver requests pending, by commission date (those without one first)."""
    return (
        WaiverRequest.objects.filter(overpayment__in=queryset, decision="pending")
        .select_related("overpayment__trainee", "overpayment__enrollment__action")
        .order_by("commission_on", "received_on", "pk")
    )
