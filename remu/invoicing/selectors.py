"""Reads of invoicing: the hours realised of an action's months (from the attendance, with the
provider's corrections and the confirmed declarations' frozen lines), the invoices' lists, and
the agents' dashboard."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Prefetch, Sum
from django.utils import timezone

from remu.actions.models import TrainingAction
from remu.attendance.models import AttendanceLine, Withdrawal
from remu.attendance.services import first_month, next_month, weeks_of_month
from remu.rules.calendar import month_bounds
from remu.rules.engine import default_engine

from . import hours as h
from .models import (
    COLUMNS,
    Declaration,
    DeclarationLine,
    HoursCorrection,
    Invoice,
    InvoicingTerms,
    ProviderTaxProfile,
)

DEFAULT_EXEMPTION = "Exonération de TVA, article 261-4-4° a du code général des impôts"


def options(action, day: dt.date | None = None) -> dict:
    day = day or action.start_date
    return default_engine().options(action.region.parameter_set, day)


def terms_of(action) -> InvoicingTerms:
    """The action's invoicing terms (monthly at the action's unit costs when none are set)."""
    try:
        return action.invoicing_terms
    except InvoicingTerms.DoesNotExist:
        return InvoicingTerms(action=action)


def unit_costs(action, terms=None) -> tuple[Decimal, Decimal]:
    terms = terms or terms_of(action)
    centre = terms.unit_cost_centre if terms.unit_cost_centre is not None else None
    company = terms.unit_cost_company if terms.unit_cost_company is not None else None
    return (
        centre if centre is not None else action.unit_cost_centre,
        company if company is not None else action.unit_cost_company,
    )


def planned_hours(action, terms=None) -> Decimal:
    terms = terms or terms_of(action)
    if terms.planned_hours:
        return terms.planned_hours
    return Decimal(action.max_trainees * action.total_hours)


def committed(action, terms=None) -> Decimal:
    """The action's price (the market's commitment)."""
    terms = terms or terms_of(action)
    if terms.price is not None:
        return terms.price
    centre, company = unit_costs(action, terms)
    return h.q(
        Decimal(action.max_trainees)
        * (action.hours_in_centre * centre + action.hours_in_company * company)
    )


def tax_of(provider) -> tuple[Decimal | None, str]:
    """(VAT rate, exemption reference): a provider without a profile is exempt (training)."""
    try:
        profile = provider.tax_profile
    except ProviderTaxProfile.DoesNotExist:
        return None, DEFAULT_EXEMPTION
    return profile.vat_rate, profile.exemption_reference


def months_of(action) -> list[dt.date]:
    months, month = [], first_month(action)
    while month <= action.end_date:
        months.append(month)
        month = next_month(month)
    return months


@dataclass
class Row:
    """One trainee in one month of the « réalisé horaire » table."""

    enrollment: object
    month: dt.date
    computed: h.Hours
    hours: h.Hours  # what applies: the correction, else the computed value
    source: str
    line_status: str  # "validated", "draft", "" (no attendance line)
    correction: HoursCorrection | None = None
    early_exit: str = ""  # the withdrawal's reason label


class ActionHours:
    """Every month of one action, loaded in a fixed number of queries."""

    def __init__(self, action):
        self.action = action
        self.periods = [(p.place, p.start_date, p.end_date) for p in action.periods.all()]
        self.enrollments = list(
            action.enrollments.select_related("trainee__birth_commune").order_by(
                "trainee__birth_name", "trainee__first_names", "pk"
            )
        )
        lines = (
            AttendanceLine.objects.filter(statement__action=action)
            .select_related("statement", "dossier")
            .prefetch_related("absences")
        )
        self.lines = {(ln.enrollment_id, ln.statement.month): ln for ln in lines}
        reasons = set(options(action).get("invoicing_admissible_exit_reasons") or [])
        self.withdrawals = {}
        for w in Withdrawal.objects.filter(
            enrollment__action=action, status=Withdrawal.Status.VALIDATED
        ):
            self.withdrawals[w.enrollment_id] = (w, w.reason in reasons)
        self.corrections = {}
        for c in HoursCorrection.objects.filter(enrollment__action=action).select_related("by"):
            self.corrections.setdefault((c.enrollment_id, c.month), c)  # latest first
        self.declarations = {d.month: d for d in action.declarations.all()}
        self.frozen = defaultdict(dict)
        for line in DeclarationLine.objects.filter(declaration__action=action).select_related(
            "correction__by"
        ):
            self.frozen[line.declaration_id][line.enrollment_id] = line

    def _present(self, enrollment, month) -> bool:
        first, last = month_bounds(month.year, month.month)
        if enrollment.entry_date > last:
            return False
        if enrollment.exit_date is None or enrollment.exit_date >= first:
            return True
        withdrawal = self.withdrawals.get(enrollment.pk)
        return bool(withdrawal and withdrawal[1]) and month <= self.action.end_date

    def rows(self, month: dt.date) -> list[Row]:
        declaration = self.declarations.get(month)
        if declaration is not None and declaration.status == Declaration.Status.CONFIRMED:
            return self._frozen_rows(declaration)
        return [self.row(e, month) for e in self.enrollments if self._present(e, month)]

    def _frozen_rows(self, declaration) -> list[Row]:
        frozen = self.frozen.get(declaration.pk, {})
        rows = []
        for enrollment in self.enrollments:
            line = frozen.get(enrollment.pk)
            if line is None:
                continue
            computed = h.Hours(**{k: Decimal(v) for k, v in line.computed.items()})
            applied = h.Hours(**{k: getattr(line, k) for k in COLUMNS})
            withdrawal = self.withdrawals.get(enrollment.pk)
            rows.append(
                Row(
                    enrollment,
                    declaration.month,
                    computed,
                    applied,
                    line.source,
                    "validated",
                    line.correction,
                    withdrawal[0].get_reason_display() if withdrawal else "",
                )
            )
        return rows

    def trainee_month(self, enrollment, month) -> tuple[h.TraineeMonth, str, str]:
        line = self.lines.get((enrollment.pk, month))
        withdrawal = self.withdrawals.get(enrollment.pk)
        action = self.action
        weekly = action.weekly_hours
        if line is not None and line.dossier.weekly_hours:
            weekly = line.dossier.weekly_hours
        tm = h.TraineeMonth(
            month=month,
            entry=enrollment.entry_date,
            exit=enrollment.exit_date,
            weekly_hours=weekly,
            action_start=action.start_date,
            action_end=action.end_date,
            periods=self.periods,
            paid_after_exit=bool(withdrawal and withdrawal[1]),
        )
        first, _ = month_bounds(month.year, month.month)
        if enrollment.exit_date is not None and enrollment.exit_date < first:
            source = "early_exit"
        elif line is not None:
            source = "attendance"
            tm.has_line = True
            tm.full_time = line.full_time
            tm.presence = line.presence
            tm.period_start, tm.period_end = line.period_start, line.period_end
            tm.weekly_hours_present = line.weekly_hours_present
            tm.weeks = weeks_of_month(month) if not line.full_time else []
            tm.absences = [
                h.AbsenceFact(a.start, a.end, a.reason, a.place, a.hours)
                for a in line.absences.all()
            ]
        else:
            source = "schedule"
        return tm, source, (line.status if line is not None else "")

    def row(self, enrollment, month) -> Row:
        tm, source, status = self.trainee_month(enrollment, month)
        computed = h.compute(tm)
        correction = self.corrections.get((enrollment.pk, month))
        applied = (
            h.Hours(**{k: getattr(correction, k) for k in COLUMNS}) if correction else computed
        )
        withdrawal = self.withdrawals.get(enrollment.pk)
        return Row(
            enrollment,
            month,
            computed,
            applied,
            source,
            status,
            correction,
            withdrawal[0].get_reason_display() if withdrawal else "",
        )

    def table(self, month: dt.date) -> dict:
        """The seed's « Réalisé horaire de l'action » for a month: rows with the month's and
        the cumulated hours, totals per month, cumulated, and for the action."""
        rows = self.rows(month)
        cumulated: dict[int, h.Hours] = defaultdict(h.Hours)
        for m in months_of(self.action):
            if m > month:
                break
            for row in rows if m == month else self.rows(m):
                cumulated[row.enrollment.pk] = cumulated[row.enrollment.pk] + row.hours
        month_total = sum((r.hours for r in rows), h.Hours())
        cumulated_total = sum(cumulated.values(), h.Hours())
        return {
            "rows": [(r, cumulated[r.enrollment.pk]) for r in rows],
            "month_total": month_total,
            "cumulated_total": cumulated_total,
        }


def declaration_due(action, month: dt.date) -> dt.date:
    """The last day to confirm month M's declaration: the region's day of M+1 (15)."""
    day = options(action, month).get("declaration_due_day") or 15
    return next_month(month).replace(day=day)


def late_declarations(tenant, today: dt.date | None = None) -> list[dict]:
    """Ended months whose declaration is not confirmed once its deadline has passed, per
    action with enrollments (agents: their region's; providers: their own)."""
    today = today or timezone.localdate()
    actions = (
        TrainingAction.objects.for_tenant(tenant)
        .filter(enrollments__isnull=False, planned_start__lte=today)
        .distinct()
        .select_related("provider", "region")
        .prefetch_related(
            Prefetch(
                "declarations",
                queryset=Declaration.objects.filter(status=Declaration.Status.CONFIRMED),
                to_attr="confirmed",
            )
        )
    )
    rows = []
    for action in actions:
        done = {d.month for d in action.confirmed}
        for month in months_of(action):
            due = declaration_due(action, month)
            if due >= today:
                break
            if month not in done:
                rows.append(
                    {"action": action, "provider": action.provider, "month": month, "due": due}
                )
    rows.sort(key=lambda r: (r["provider"].name, r["action"].number, r["month"]))
    return rows


def invoices_for(tenant):
    return Invoice.objects.for_tenant(tenant).select_related("action", "provider")


def uninvoiced(action):
    return action.declarations.filter(
        status=Declaration.Status.CONFIRMED, invoice__isnull=True
    ).order_by("month")


def invoiced_total(action, statuses) -> Decimal:
    return action.invoices.filter(status__in=statuses, kind=Invoice.Kind.INSTALMENT).aggregate(
        s=Sum("lines_total")
    )["s"] or Decimal("0.00")
