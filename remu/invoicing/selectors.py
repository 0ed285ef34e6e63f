"""Reads of invoicing: the hours realised of an action's months (from the attendance, with the
provider's corrections and the confirmed declarations' frozen lines), the invoices' lists, and
the agents' dashboard."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Exists, OuterRef, Prefetch, Sum
from django.utils import timezone
from django.utils.formats import date_format

from remu.actions.models import ActionPeriod, TrainingAction
from remu.attendance.models import Absence, AttendanceLine, Withdrawal
from remu.attendance.selectors import MonthCalendar, UnfinishedMonths
from remu.attendance.services import first_month, next_month, weeks_of_month
from remu.dossiers.models import Dossier
from remu.rules.calendar import month_bounds
from remu.scales.selectors import engine
from remu.trainees.models import Enrollment

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


# What the hours computation reads of an attendance line (model and plain-value paths).
LINE_FIELDS = (
    "enrollment_id",
    "status",
    "full_time",
    "presence",
    "period_start",
    "period_end",
    "weekly_hours_present",
    "statement__month",
)


def region_engine(engines: dict, region):
    """The region's engine, read once per region for a whole listing (`engines`: its cache)."""
    if region.pk not in engines:
        engines[region.pk] = engine(region)
    return engines[region.pk]


def rules_of(action):
    """The region's engine (its stored scale versions included), read once per action
    instance (`ActionHours.many` reads it once per region for a batch)."""
    rules = getattr(action, "_region_engine", None)
    if rules is None:
        rules = action._region_engine = engine(action.region)
    return rules


def options(action, day: dt.date | None = None) -> dict:
    """The region's dated options in force on `day` (the action's start by default)."""
    day = day or action.start_date
    return rules_of(action).options(action.region.parameter_set, day)


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
    """Every month of one action, loaded in a fixed number of queries (`many`: of many
    actions at once, for batches)."""

    def __init__(self, action, _loaded: bool = False):
        self.action = action
        self._rows: dict = {}
        if not _loaded:
            self._fill(self.many_data([action]), action.pk)

    @classmethod
    def many(cls, actions) -> dict[int, ActionHours]:
        actions = list(actions)
        engines: dict = {}
        for action in actions:  # one engine per region, not per action
            if getattr(action, "_region_engine", None) is None:
                action._region_engine = region_engine(engines, action.region)
        data = cls.many_data(actions)
        result = {}
        for action in actions:
            hours = cls(action, _loaded=True)
            hours._fill(data, action.pk)
            result[action.pk] = hours
        return result

    @classmethod
    def many_data(cls, actions) -> dict:
        ids = [a.pk for a in actions]
        data = defaultdict(lambda: defaultdict(list))
        for p in ActionPeriod.objects.filter(action__in=ids):
            data["periods"][p.action_id].append((p.place, p.start_date, p.end_date))
        for e in (
            Enrollment.objects.filter(action__in=ids)
            .select_related("trainee__birth_commune")
            .order_by("trainee__birth_name", "trainee__first_names", "pk")
        ):
            data["enrollments"][e.action_id].append(e)
        for action_id, line in cls.attendance_lines(ids):
            data["lines"][action_id].append(line)
        for a in Absence.objects.filter(line__statement__action__in=ids).values_list(
            "line_id", "start", "end", "reason", "place", "hours"
        ):
            data["absences"][a[0]].append(h.AbsenceFact(*a[1:]))
        for w in Withdrawal.objects.filter(
            enrollment__action__in=ids, status=Withdrawal.Status.VALIDATED
        ).select_related("enrollment"):
            data["withdrawals"][w.enrollment.action_id].append(w)
        for c in HoursCorrection.objects.filter(enrollment__action__in=ids).select_related(
            "by", "enrollment"
        ):
            data["corrections"][c.enrollment.action_id].append(c)
        for d in Declaration.objects.filter(action__in=ids):
            data["declarations"][d.action_id].append(d)
        for line in DeclarationLine.objects.filter(declaration__action__in=ids).select_related(
            "correction__by", "declaration"
        ):
            data["frozen"][line.declaration.action_id].append(line)
        for action_id, enrollment_id in Dossier.objects.filter(
            action__in=ids, kind=Dossier.Kind.RS1, status=Dossier.Status.ADMITTED
        ).values_list("action_id", "enrollment_id"):
            data["paid"][action_id].append(enrollment_id)
        return data

    @staticmethod
    def attendance_lines(ids):
        """(action id, attendance line) of the actions' statements (model instances: the
        invoice page shows their presence)."""
        for line in (
            AttendanceLine.objects.filter(statement__action__in=ids)
            .select_related("statement", "dossier")
            .only(*LINE_FIELDS, "statement__action_id", "dossier__weekly_hours")
        ):
            yield line.statement.action_id, line

    def _fill(self, data, pk) -> None:
        action = self.action
        self.periods = data["periods"][pk]
        self.enrollments = data["enrollments"][pk]
        self.lines = {(ln.enrollment_id, ln.statement.month): ln for ln in data["lines"][pk]}
        reasons = set(options(action).get("invoicing_admissible_exit_reasons") or [])
        self.withdrawals = {
            w.enrollment_id: (w, w.reason in reasons) for w in data["withdrawals"][pk]
        }
        self.corrections = {}
        for c in data["corrections"][pk]:
            self.corrections.setdefault((c.enrollment_id, c.month), c)  # latest first
        self.declarations = {d.month: d for d in data["declarations"][pk]}
        self.frozen = defaultdict(dict)
        for line in data["frozen"][pk]:
            self.frozen[line.declaration_id][line.enrollment_id] = line
        self.paid = set(data["paid"][pk])
        self.absences = data["absences"]

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
        if month not in self._rows:
            self._rows[month] = [
                self.row(e, month) for e in self.enrollments if self._present(e, month)
            ]
        return self._rows[month]

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
        if line is not None and line.dossier_id and line.dossier.weekly_hours:
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
            tm.absences = self.absences.get(line.pk, [])
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
    """The last day to confirm month M's declaration: the region's dated option of M+1."""
    day = options(action, month)["declaration_due_day"]
    return next_month(month).replace(day=day)


def _declaring_actions(tenant, today: dt.date):
    # a semi-join (EXISTS) on the enrollments' action index, never a DISTINCT over every
    # enrollment of the region (13 s on the bench data's 100,000 enrollments)
    enrolled = Enrollment.objects.filter(action=OuterRef("pk"))
    return TrainingAction.objects.for_tenant(tenant).filter(
        Exists(enrolled), planned_start__lte=today
    )


def late_declarations(tenant, today: dt.date | None = None) -> list[dict]:
    """Ended months whose declaration is not confirmed once its deadline has passed, per
    action with enrollments (agents: their region's; providers: their own)."""
    today = today or timezone.localdate()
    actions = (
        _declaring_actions(tenant, today)
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
    engines: dict = {}
    for action in actions:
        action._region_engine = region_engine(engines, action.region)
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


def late_declaration_months(tenant, today: dt.date | None = None) -> UnfinishedMonths:
    """The months late_declarations lists, as a lazy sequence computed in SQL: counted, and
    built a page at a time (the agents' list; a big region has tens of thousands of them,
    never built in Python). Rows: action, provider, month, due (same order)."""
    today = today or timezone.localdate()

    engines: dict = {}  # the region's engine (its stored scale versions), read once

    def due(region, month):
        day = region_engine(engines, region).options(region.parameter_set, month)[
            "declaration_due_day"
        ]
        return next_month(month).replace(day=day)

    confirmed = f"""
        SELECT s.action_id, s.month FROM {Declaration._meta.db_table} s
        WHERE s.status = '{Declaration.Status.CONFIRMED.value}'"""
    calendar = MonthCalendar(
        tenant,
        today,
        actions=_declaring_actions(tenant, today),
        due=due,
        is_late=lambda day: day < today,
        done=confirmed,
    )
    return UnfinishedMonths(calendar, late=True)


def late_declarations_count(tenant, today: dt.date | None = None) -> int:
    """How many months late_declarations lists, counted in SQL (the agents' home)."""
    return late_declaration_months(tenant, today).count()


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


def invoice_confirmation_window(invoice, today: dt.date) -> tuple[dt.date, dt.date] | None:
    """The days an instalment invoice may be confirmed in (seed 003 §3.6.1.1): the first
    days of a month (the region's `invoice_confirmation_day`, dated option, 15) after its last
    declared month — monthly and three instalments, any such month; quarterly (and the three
    instalments' quarterly fallback), the first month of a quarter counted from the action's
    start. Returns the window that contains `today`, else the next one; None when no window
    applies (the balance and credit notes, §3.7.3; an invoice re-issued after a rejection,
    whose declarations were reopened: no deadline, as for the declarations)."""
    if invoice.kind != Invoice.Kind.INSTALMENT:
        return None
    return confirmation_window_of(
        invoice.action, _is_quarterly(invoice), list(invoice.declarations.all()), today
    )


def confirmation_window_of(
    action, quarterly: bool, declarations, today: dt.date
) -> tuple[dt.date, dt.date] | None:
    """`invoice_confirmation_window` for an instalment invoicing these declarations (the batch
    path builds its invoices unsaved)."""
    if not declarations or any(d.reopened for d in declarations):
        return None
    start = first_month(action)
    month = next_month(max(d.month for d in declarations))
    while True:
        offset = (month.year - start.year) * 12 + month.month - start.month
        if not quarterly or offset % 3 == 0:
            day = options(action, month)["invoice_confirmation_day"]
            last = month.replace(day=day)
            if today <= last:
                return month, last
        month = next_month(month)


def invoice_confirmation_errors(invoice, today: dt.date) -> list[str]:
    """Why the invoice cannot be confirmed today: outside its window (French, for the page)."""
    window = invoice_confirmation_window(invoice, today)
    if window is None or window[0] <= today:
        return []
    first, last = window
    return [
        "Une facture d'acompte se confirme dans les "
        f"{last.day} premiers jours du mois"
        + (" qui commence un trimestre de l'action" if _is_quarterly(invoice) else "")
        + f" : celle-ci pourra l'être du {date_format(first, 'j F Y')} au "
        f"{date_format(last, 'j F Y')}."
    ]


def _is_quarterly(invoice) -> bool:
    return invoice.frequency == InvoicingTerms.Frequency.QUARTERLY


@dataclass(slots=True)
class _Month:
    month: dt.date


@dataclass(slots=True)
class _Dossier:
    weekly_hours: Decimal | None


@dataclass(slots=True)
class LineFacts:
    """What the hours computation reads of an attendance line, without the model instances
    (`BatchHours`)."""

    pk: int
    enrollment_id: int
    status: str
    full_time: bool
    presence: str
    period_start: dt.date | None
    period_end: dt.date | None
    weekly_hours_present: list
    statement: _Month
    dossier_id: int | None
    dossier: _Dossier | None


class BatchHours(ActionHours):
    """`ActionHours` for batches (`services.batch_confirm_and_invoice`): the same rows, the
    attendance lines read as plain values (a batch of 50 actions reads 12,000 of them)."""

    @staticmethod
    def attendance_lines(ids):
        months: dict = {}
        for row in AttendanceLine.objects.filter(statement__action__in=ids).values_list(
            "pk", *LINE_FIELDS, "dossier_id", "dossier__weekly_hours", "statement__action_id"
        ):
            month = months.get(row[8]) or months.setdefault(row[8], _Month(row[8]))
            dossier = _Dossier(row[10]) if row[9] is not None else None
            yield row[11], LineFacts(*row[:8], month, row[9], dossier)
