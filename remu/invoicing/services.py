"""Invoicing operations that write: confirming a month's declaration, « Saisie horaire »
corrections, generating and confirming invoices (numbered without gaps), subcontractors'
invoices, the region's decision, the balance and credit notes. All-or-nothing; state changes
lock their row and re-check the state under the lock."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, F, Sum
from django.utils import timezone
from django.utils.formats import date_format

from remu.actions.models import TrainingAction
from remu.attendance.services import next_month
from remu.execution import selectors as execution

from . import bulk, selectors
from . import hours as h
from .models import (
    COLUMNS,
    Declaration,
    DeclarationLine,
    HoursCorrection,
    Invoice,
    InvoiceLine,
    InvoiceSequence,
    InvoiceTransition,
    InvoicingTerms,
    SubcontractInvoice,
    Subcontractor,
)

ZERO = Decimal("0.00")
MAX_HOURS = Decimal("9999")


def month_label(month: dt.date) -> str:
    return date_format(month, "F Y")


def _when(moment) -> str:
    return date_format(timezone.localtime(moment), "j F Y à H:i")


# -- closure (until remu.execution offers it) ----------------------------------------------


def action_closed_for_balance(action, today: dt.date | None = None) -> tuple[bool, str]:
    """Whether the balance may be invoiced (seed 003 §3.7.1–§3.7.3): the action is closed in
    its execution and its pedagogical summary is complete (every exited trainee's exit
    survey), as `execution.selectors.bilan_complete` says."""
    if action.status != TrainingAction.Status.CLOSED:
        return False, "L'action doit d'abord être clôturée (Exécution, « Clôture »)."
    if not execution.bilan_complete(action):
        return False, "Les enquêtes de sortie de tous les stagiaires doivent être renseignées."
    return True, ""


# -- declarations --------------------------------------------------------------------------


def _lock_declaration(action, month: dt.date) -> Declaration:
    declaration, _ = Declaration.objects.get_or_create(action=action, month=month)
    return Declaration.objects.select_for_update().get(pk=declaration.pk)


def confirmation_errors(action, month: dt.date, today: dt.date, data=None) -> list[str]:
    """Why month M's declaration cannot be confirmed today (seed 003 §3.5.1)."""
    data = data or selectors.ActionHours(action)
    months = selectors.months_of(action)
    if month not in months:
        return ["Ce mois n'appartient pas à la période de l'action."]
    if today < next_month(month):
        return [f"Le mois {month_label(month)} n'est pas terminé."]
    errors = []
    index = months.index(month)
    if index:
        previous = data.declarations.get(months[index - 1])
        if previous is None or previous.status != Declaration.Status.CONFIRMED:
            errors.append(f"Confirmez d'abord la déclaration de {month_label(months[index - 1])}.")
    declaration = data.declarations.get(month)
    reopened = declaration is not None and declaration.reopened
    due = selectors.declaration_due(action, month)
    if not reopened and today > due and today < next_month(next_month(month)):
        errors.append(
            f"La déclaration de {month_label(month)} n'a pas été confirmée avant le "
            f"{date_format(due, 'j F Y')} : elle pourra l'être à la fin de la période suivante."
        )
    rows = data.rows(month)
    drafts = [r for r in rows if r.line_status == "draft"]
    if drafts:
        errors.append(
            f"{len(drafts)} ligne(s) de l'état de présence de {month_label(month)} ne sont pas "
            "validées."
        )
    missing = [r for r in rows if r.source == "schedule" and r.enrollment.pk in data.paid]
    if missing:
        errors.append(
            f"L'état de présence de {month_label(month)} ne compte pas encore "
            f"{len(missing)} stagiaire(s) admis : créez-le ou actualisez-le."
        )
    return errors


def confirm_declaration(action, month: dt.date, user, today: dt.date | None = None):
    """Confirms month M: its lines are frozen (computed and applied values) and it may be
    invoiced; the next month may then be declared."""
    return confirm_months(action, [month], user, today)[0]


@transaction.atomic
def confirm_months(action, months, user, today: dt.date | None = None) -> list[Declaration]:
    """Confirms several months in order (one loading of the action's hours; the benchmark and
    the API use it): each as `confirm_declaration`, all or nothing."""
    today = today or timezone.localdate()
    data = selectors.ActionHours(action)
    done = []
    for month in months:
        declaration = _lock_declaration(action, month)
        if declaration.status == Declaration.Status.CONFIRMED:
            raise ValidationError(
                f"La déclaration de {month_label(month)} a déjà été confirmée par "
                f"{declaration.confirmed_by} le {_when(declaration.confirmed_at)}."
            )
        data.declarations[month] = declaration
        errors = confirmation_errors(action, month, today, data)
        if errors:
            raise ValidationError(errors)
        DeclarationLine.objects.filter(declaration=declaration).delete()
        DeclarationLine.objects.bulk_create(
            DeclarationLine(
                declaration=declaration,
                enrollment=row.enrollment,
                computed={k: str(v) for k, v in row.computed.as_dict().items()},
                source=row.source,
                correction=row.correction,
                **row.hours.as_dict(),
            )
            for row in data.rows(month)
        )
        declaration.status = Declaration.Status.CONFIRMED
        declaration.confirmed_by, declaration.confirmed_at = user, timezone.now()
        declaration.confirmed_late = today > selectors.declaration_due(action, month)
        declaration.save()
        done.append(declaration)
    return done


@transaction.atomic
def save_correction(enrollment, month: dt.date, values: dict, reason: str, user):
    """« Saisie horaire »: the provider's six figures for a trainee's month, with why."""
    reason = (reason or "").strip()
    errors = {}
    if not reason:
        errors["reason"] = ["Indiquez le motif de la correction."]
    for name in COLUMNS:
        value = values.get(name)
        if value is None or value < 0 or value > MAX_HOURS:
            errors[name] = ["Un nombre d'heures entre 0 et 9 999 est attendu."]
    if month not in selectors.months_of(enrollment.action):
        errors["__all__"] = ["Ce mois n'appartient pas à la période de l'action."]
    if errors:
        raise ValidationError(errors)
    declaration = _lock_declaration(enrollment.action, month)
    if declaration.status == Declaration.Status.CONFIRMED:
        raise ValidationError(
            f"La déclaration de {month_label(month)} est confirmée : elle ne change plus."
        )
    return HoursCorrection.objects.create(
        enrollment=enrollment,
        month=month,
        reason=reason,
        by=user,
        **{k: h.q(values[k]) for k in COLUMNS},
    )


# -- invoices ------------------------------------------------------------------------------


def _declaration_sums(declarations) -> dict[int, dict]:
    sums = {}
    for row in (
        DeclarationLine.objects.filter(declaration__in=declarations)
        .values("declaration_id")
        .annotate(
            **{k: Sum(k) for k in COLUMNS},
        )
    ):
        sums[row["declaration_id"]] = row
    counts = {}
    for line in DeclarationLine.objects.filter(declaration__in=declarations).only(
        "declaration_id", *COLUMNS
    ):
        total = sum((getattr(line, k) for k in COLUMNS), ZERO)
        if total:
            counts[line.declaration_id] = counts.get(line.declaration_id, 0) + 1
    for pk, row in sums.items():
        row["trainees"] = counts.get(pk, 0)
    return sums


def payable_hours(action, until: dt.date | None = None) -> Decimal:
    lines = DeclarationLine.objects.filter(
        declaration__action=action, declaration__status=Declaration.Status.CONFIRMED
    )
    if until is not None:
        lines = lines.filter(declaration__month__lte=until)
    total = lines.aggregate(
        s=Sum(
            F("centre_realised")
            + F("centre_justified")
            + F("company_realised")
            + F("company_justified")
        )
    )["s"]
    return total or ZERO


def _quarter(action, month: dt.date) -> int:
    start = action.start_date.replace(day=1)
    return ((month.year - start.year) * 12 + month.month - start.month) // 3


def frequency_errors(action, declarations: list[Declaration]) -> tuple[list[str], dict]:
    """Whether these declarations make one instalment under the action's terms (seed 003
    §3.6.1.1); returns the errors and, when none, the invoice's `frequency` and `rank`."""
    terms = selectors.terms_of(action)
    pending = list(selectors.uninvoiced(action))
    if not declarations:
        return ["Sélectionnez au moins une déclaration confirmée."], {}
    months = sorted(d.month for d in declarations)
    prefix = [d.month for d in pending[: len(months)]]
    if months != prefix:
        return [
            "Facturez les déclarations dans l'ordre, en commençant par "
            f"{month_label(pending[0].month)}."
        ], {}
    freq = terms.frequency
    if freq == terms.Frequency.MONTHLY:
        if len(months) != 1:
            return ["En facturation mensuelle, une facture porte sur un seul mois."], {}
        return [], {"frequency": freq}
    all_months = selectors.months_of(action)
    quarter = [m for m in all_months if _quarter(action, m) == _quarter(action, months[0])]
    if freq == terms.Frequency.QUARTERLY:
        if months != quarter:
            return [
                "En facturation trimestrielle, une facture porte sur les trois mois du "
                "trimestre compté depuis le début de l'action : "
                f"{', '.join(month_label(m) for m in quarter)}."
            ], {}
        return [], {"frequency": freq}
    # Three instalments at thresholds of planned hours realised; the seed's fallback to a
    # quarterly payment when three months pass without reaching the next threshold.
    planned = selectors.planned_hours(action, terms)
    return instalment_rule(
        thresholds_of(action),
        _issued_instalments(action),
        payable_hours(action, months[-1]) * 100 / planned,
        len(months),
    )


def thresholds_of(action) -> list[Decimal]:
    return [Decimal(str(t)) for t in selectors.options(action).get("instalment_thresholds")]


ISSUED = (Invoice.Status.CONFIRMED, Invoice.Status.VALIDATED, Invoice.Status.PAID)


def _issued_instalments(action) -> int:
    return action.invoices.filter(instalment_rank__isnull=False, status__in=ISSUED).count()


def instalment_rule(thresholds, issued: int, rate: Decimal, count: int) -> tuple[list[str], dict]:
    """Three instalments (seed 003 §3.6.1.1): instalment n° `issued + 1` once the rate of
    planned hours realised (confirmed declarations up to the last month invoiced) reaches its
    threshold, the last one under the final threshold (from it, it is the balance); three
    months without reaching the threshold are paid as a quarter (no rank), and the next
    invoice tries the threshold again."""
    freq = InvoicingTerms.Frequency.THREE_INSTALMENTS
    rate_text = f"{h.q(rate)} %".replace(".", ",")
    if issued >= len(thresholds):
        return ["Les trois acomptes sont facturés : le reste sera facturé au solde."], {}
    final = thresholds[-1]
    if issued < len(thresholds) - 1:
        if rate >= thresholds[issued]:
            return [], {"frequency": freq, "rank": issued + 1}
        if count == 3:
            return [], {"frequency": InvoicingTerms.Frequency.QUARTERLY}
        return [
            f"Taux de réalisation de {rate_text} : l'acompte n° {issued + 1} demande "
            f"{thresholds[issued]} % des heures prévues (ou trois mois, facturés comme un "
            "trimestre)."
        ], {}
    if rate < final:
        return [], {"frequency": freq, "rank": issued + 1}
    return [
        f"Taux de réalisation de {rate_text} : à partir de {final} % des heures prévues, "
        "c'est le solde."
    ], {}


def _totals(invoice: Invoice, base: Decimal) -> None:
    """HT after deductions, VAT or its exemption, TTC; a negative base is a credit note."""
    if base < 0:
        invoice.kind = Invoice.Kind.CREDIT_NOTE
        base = -base
    rate, exemption = selectors.tax_of(invoice.provider)
    invoice.total_ht = h.q(base)
    invoice.vat_rate, invoice.vat_exemption = rate, ("" if rate is not None else exemption)
    invoice.vat = h.q(base * rate / 100) if rate is not None else ZERO
    invoice.total_ttc = invoice.total_ht + invoice.vat


def _lines_for(invoice, declarations, action) -> Decimal:
    centre_cost, company_cost = selectors.unit_costs(action)
    sums = _declaration_sums(declarations)
    total = ZERO
    lines = []
    for declaration in declarations:
        s = sums.get(declaration.pk) or dict.fromkeys(COLUMNS, ZERO) | {"trainees": 0}
        hours = h.Hours(**{k: s[k] or ZERO for k in COLUMNS})
        amount = h.line_total(hours, centre_cost, company_cost)
        total += amount
        lines.append(
            InvoiceLine(
                invoice=invoice,
                declaration=declaration,
                month=declaration.month,
                trainees=s["trainees"],
                centre_realised=hours.centre_realised,
                centre_justified=hours.centre_justified,
                unit_cost_centre=centre_cost,
                company_realised=hours.company_realised,
                company_justified=hours.company_justified,
                unit_cost_company=company_cost,
                total=amount,
            )
        )
    InvoiceLine.objects.bulk_create(lines)
    return total


@transaction.atomic
def generate_invoice(action, declaration_ids, user) -> Invoice:
    """A draft instalment from confirmed declarations not yet invoiced, with the confirmed
    subcontractors' invoices not yet deducted (« Dont x € pour … »)."""
    declarations = list(
        Declaration.objects.select_for_update()
        .filter(
            action=action,
            pk__in=declaration_ids,
            status=Declaration.Status.CONFIRMED,
            invoice__isnull=True,
        )
        .order_by("month")
    )
    if len(declarations) != len(set(declaration_ids)):
        raise ValidationError(
            "Une déclaration choisie n'est plus à facturer (déjà facturée entre-temps)."
        )
    errors, rule = frequency_errors(action, declarations)
    if errors:
        raise ValidationError(errors)
    if action.invoices.filter(status=Invoice.Status.DRAFT).exists():
        raise ValidationError("Une facture en brouillon existe : confirmez-la ou supprimez-la.")
    invoice = Invoice.objects.create(
        provider=action.provider,
        action=action,
        kind=Invoice.Kind.INSTALMENT,
        frequency=rule["frequency"],
        instalment_rank=rule.get("rank"),
        created_by=user,
    )
    lines_total = _lines_for(invoice, declarations, action)
    subcontracts = list(
        SubcontractInvoice.objects.select_for_update().filter(
            subcontractor__action=action,
            status=SubcontractInvoice.Status.CONFIRMED,
            deducted_in__isnull=True,
        )
    )
    subcontracted = sum((s.amount_ht for s in subcontracts), ZERO)
    if subcontracted > lines_total:
        raise ValidationError(
            "Les factures des sous-traitants dépassent le montant de la facture : "
            "facturez plus de déclarations."
        )
    SubcontractInvoice.objects.filter(pk__in=[s.pk for s in subcontracts]).update(
        deducted_in=invoice
    )
    Declaration.objects.filter(pk__in=[d.pk for d in declarations]).update(invoice=invoice)
    invoice.lines_total, invoice.subcontracted = lines_total, subcontracted
    _totals(invoice, lines_total - subcontracted)
    invoice.save()
    return invoice


@transaction.atomic
def generate_balance(action, user, today: dt.date | None = None) -> Invoice:
    """The balance (seed 003 §3.7.3): the value realised over the whole action minus the
    instalments already validated; negative, a credit note (« avoir »)."""
    closed, why = action_closed_for_balance(action, today)
    if not closed:
        raise ValidationError(f"Le solde ne peut pas encore être facturé : {why}")
    months = selectors.months_of(action)
    declarations = {
        d.month: d for d in Declaration.objects.select_for_update().filter(action=action)
    }
    missing = [m for m in months if getattr(declarations.get(m), "status", "") != "confirmed"]
    if missing:
        raise ValidationError(
            f"Confirmez d'abord les déclarations de : {', '.join(month_label(m) for m in missing)}."
        )
    if action.invoices.filter(status__in=[Invoice.Status.DRAFT, Invoice.Status.CONFIRMED]).exists():
        raise ValidationError(
            "Une facture est en brouillon ou attend la décision de la Région : le solde "
            "suivra sa décision."
        )
    if action.invoices.filter(
        kind__in=[Invoice.Kind.BALANCE, Invoice.Kind.CREDIT_NOTE],
        status__in=[Invoice.Status.VALIDATED, Invoice.Status.PAID],
    ).exists():
        raise ValidationError("Le solde de cette action est déjà validé.")
    remaining = [d for d in declarations.values() if d.invoice_id is None]
    remaining.sort(key=lambda d: d.month)
    invoice = Invoice.objects.create(
        provider=action.provider, action=action, kind=Invoice.Kind.BALANCE, created_by=user
    )
    _lines_for(invoice, remaining, action)
    centre_cost, company_cost = selectors.unit_costs(action)
    sums = _declaration_sums(list(declarations.values()))
    realised_value = sum(
        (
            h.line_total(h.Hours(**{k: s[k] or ZERO for k in COLUMNS}), centre_cost, company_cost)
            for s in sums.values()
        ),
        ZERO,
    )
    validated = selectors.invoiced_total(action, [Invoice.Status.VALIDATED, Invoice.Status.PAID])
    Declaration.objects.filter(pk__in=[d.pk for d in remaining]).update(invoice=invoice)
    invoice.lines_total, invoice.deducted = realised_value, validated
    _totals(invoice, realised_value - validated)
    invoice.save()
    return invoice


# -- batches -------------------------------------------------------------------------------


@transaction.atomic
def batch_confirm_and_invoice(actions, user, today: dt.date) -> tuple[int, int]:
    """The same operations as the pages, for many actions in a few queries (the benchmark; a
    provider's software could use it): every ended month not yet declared is confirmed in
    order while `confirmation_errors` accepts it, then the confirmed months not yet invoiced
    are invoiced, in order, by the smallest run of months the action's terms accept (as
    `frequency_errors`: one month; the quarter; three instalments at their thresholds, or
    three months as a quarter), deducting the subcontractors' confirmed invoices in the first
    one, and the invoices confirmed, numbered from the providers' locked counters. An action
    with a draft invoice, or whose subcontractors' invoices exceed its next invoice, is left to
    the pages. Returns (declarations, invoices)."""
    actions = list(actions)
    ids = [a.pk for a in actions]
    data = selectors.BatchHours.many(actions)
    subcontracts: dict[int, list] = {}
    for sub in (
        SubcontractInvoice.objects.select_for_update()
        .filter(
            subcontractor__action__in=ids,
            status=SubcontractInvoice.Status.CONFIRMED,
            deducted_in__isnull=True,
        )
        .select_related("subcontractor")
        .order_by("pk")
    ):
        subcontracts.setdefault(sub.subcontractor.action_id, []).append(sub)
    with_draft = set(
        Invoice.objects.filter(action__in=ids, status=Invoice.Status.DRAFT).values_list(
            "action_id", flat=True
        )
    )
    issued = dict(
        Invoice.objects.filter(action__in=ids, instalment_rank__isnull=False, status__in=ISSUED)
        .values("action_id")
        .annotate(n=Count("pk"))
        .values_list("action_id", "n")
    )
    now = timezone.now()
    new_declarations, to_invoice = [], []
    for action in actions:
        hours = data[action.pk]
        months = selectors.months_of(action)
        fresh = {}
        for month in months:
            if month in hours.declarations:
                continue
            if confirmation_errors(action, month, today, hours):
                break
            declaration = Declaration(
                action=action,
                month=month,
                status=Declaration.Status.CONFIRMED,
                confirmed_by=user,
                confirmed_at=now,
                confirmed_late=today > selectors.declaration_due(action, month),
            )
            fresh[month] = hours.rows(month)
            new_declarations.append((declaration, fresh[month]))
            hours.declarations[month] = declaration
        if action.pk in with_draft:
            continue
        for rule, group, deducted in _batch_groups(
            action, hours, fresh, issued.get(action.pk, 0), subcontracts.get(action.pk, [])
        ):
            # seed 003 §3.6.1.1: outside its confirmation window an invoice waits (and the
            # ones after it, invoiced in order), as on the pages
            window = selectors.confirmation_window_of(
                action,
                rule["frequency"] == InvoicingTerms.Frequency.QUARTERLY,
                [declaration for declaration, _, _ in group],
                today,
            )
            if window is not None and window[0] > today:
                break
            to_invoice.append((action, rule, group, deducted))
    # The declarations and their lines first; the providers' counters are locked last, for the
    # shortest time (the batches of other processes number the same providers' invoices).
    Declaration.objects.bulk_create([d for d, _ in new_declarations], batch_size=2000)
    bulk.insert_rows(
        DeclarationLine,
        [
            {
                "declaration_id": declaration.pk,
                "enrollment_id": row.enrollment.pk,
                "computed": {k: str(v) for k, v in row.computed.as_dict().items()},
                "source": row.source,
                "correction_id": row.correction.pk if row.correction else None,
                **row.hours.as_dict(),
            }
            for declaration, rows in new_declarations
            for row in rows
        ],
    )
    providers = {action.provider_id for action, *_ in to_invoice}
    missing = providers - set(
        InvoiceSequence.objects.filter(provider_id__in=providers).values_list(
            "provider_id", flat=True
        )
    )
    InvoiceSequence.objects.bulk_create(
        [InvoiceSequence(provider_id=p) for p in missing], ignore_conflicts=True
    )
    sequences = {
        s.provider_id: s
        for s in InvoiceSequence.objects.select_for_update().filter(provider_id__in=providers)
    }
    invoices, lines, deductions = [], [], []
    for action, rule, group, deducted in to_invoice:
        sequence = sequences[action.provider_id]
        sequence.last += 1
        invoice = Invoice(
            provider=action.provider,
            action=action,
            kind=Invoice.Kind.INSTALMENT,
            frequency=rule["frequency"],
            instalment_rank=rule.get("rank"),
            status=Invoice.Status.CONFIRMED,
            sequence=sequence.last,
            number=f"F-{sequence.last:06d}",
            issued_on=today,
            created_by=user,
        )
        centre_cost, company_cost = selectors.unit_costs(action)
        total = ZERO
        for declaration, summed, trainees in group:
            amount = h.line_total(summed, centre_cost, company_cost)
            total += amount
            lines.append(
                InvoiceLine(
                    invoice=invoice,
                    declaration=declaration,
                    month=declaration.month,
                    trainees=trainees,
                    centre_realised=summed.centre_realised,
                    centre_justified=summed.centre_justified,
                    unit_cost_centre=centre_cost,
                    company_realised=summed.company_realised,
                    company_justified=summed.company_justified,
                    unit_cost_company=company_cost,
                    total=amount,
                )
            )
            declaration.invoice = invoice
        subcontracted = sum((s.amount_ht for s in deducted), ZERO)
        invoice.lines_total, invoice.subcontracted = total, subcontracted
        _totals(invoice, total - subcontracted)
        invoices.append(invoice)
        deductions.append((invoice, deducted))
    Invoice.objects.bulk_create(invoices, batch_size=2000)
    InvoiceLine.objects.bulk_create(lines, batch_size=5000)
    bulk.set_foreign_key(
        Declaration, "invoice", [(line.declaration.pk, line.invoice.pk) for line in lines]
    )
    for invoice, deducted in deductions:
        if deducted:
            SubcontractInvoice.objects.filter(pk__in=[s.pk for s in deducted]).update(
                deducted_in=invoice
            )
    InvoiceTransition.objects.bulk_create(
        [
            InvoiceTransition(invoice=i, from_status="draft", to_status="confirmed", by=user)
            for i in invoices
        ],
        batch_size=5000,
    )
    InvoiceSequence.objects.bulk_update(list(sequences.values()), ["last"])
    return len(new_declarations), len(invoices)


def _batch_groups(action, hours, fresh, issued: int, subcontracts):
    """The invoices of one action in a batch: (rule, [(declaration, summed hours, trainees)],
    subcontractors' invoices deducted), from its confirmed declarations not yet invoiced
    (`fresh`: the rows of the months this batch confirms)."""
    months = selectors.months_of(action)
    terms = selectors.terms_of(action)
    freq = terms.frequency
    pending, payable, running = [], {}, ZERO
    for month in months:
        declaration = hours.declarations.get(month)
        if declaration is None or declaration.status != Declaration.Status.CONFIRMED:
            break
        rows = fresh[month] if month in fresh else hours.rows(month)
        summed = _sum_hours(rows)
        running += summed.payable_centre + summed.payable_company
        payable[month] = running
        if declaration.invoice_id is None:
            pending.append((declaration, summed, sum(1 for r in rows if r.hours.total)))
    if freq == terms.Frequency.THREE_INSTALMENTS:
        thresholds = thresholds_of(action)
        planned = selectors.planned_hours(action, terms)
    groups = []
    while pending:
        group, rule = None, None
        if freq == terms.Frequency.MONTHLY:
            group, rule = pending[:1], {"frequency": freq}
        elif freq == terms.Frequency.QUARTERLY:
            quarter = [
                m for m in months if _quarter(action, m) == _quarter(action, pending[0][0].month)
            ]
            if [d.month for d, *_ in pending[: len(quarter)]] == quarter:
                group, rule = pending[: len(quarter)], {"frequency": freq}
        else:
            for count in range(1, min(3, len(pending)) + 1):
                rate = payable[pending[count - 1][0].month] * 100 / planned
                errors, found = instalment_rule(thresholds, issued, rate, count)
                if not errors:
                    group, rule = pending[:count], found
                    break
        if group is None:
            break
        deducted = subcontracts if not groups else []
        lines_total = sum(
            (h.line_total(s, *selectors.unit_costs(action, terms)) for _, s, _ in group), ZERO
        )
        if sum((s.amount_ht for s in deducted), ZERO) > lines_total:
            break
        groups.append((rule, group, deducted))
        if rule.get("rank"):
            issued += 1
        pending = pending[len(group) :]
    return groups


def _sum_hours(rows) -> h.Hours:
    totals = dict.fromkeys(COLUMNS, ZERO)
    for row in rows:
        values = row.hours.__dict__
        for name in COLUMNS:
            totals[name] += values[name]
    return h.Hours(**totals)


def _lock_invoice(invoice: Invoice, expected: str) -> Invoice:
    locked = Invoice.objects.select_for_update().get(pk=invoice.pk)
    if locked.status != expected:
        last = locked.transitions.select_related("by").last()
        who = (
            f" par {last.by} le {date_format(timezone.localtime(last.at), 'j F Y à H:i')}"
            if last
            else ""
        )
        raise ValidationError(
            f"Cette facture est déjà « {locked.get_status_display().lower()} »{who}."
        )
    return locked


def _log(invoice, from_status, user, reason=""):
    InvoiceTransition.objects.create(
        invoice=invoice, from_status=from_status, to_status=invoice.status, by=user, reason=reason
    )


@transaction.atomic
def delete_draft(invoice: Invoice) -> None:
    invoice = _lock_invoice(invoice, Invoice.Status.DRAFT)
    invoice.declarations.update(invoice=None)
    invoice.subcontracts.update(deducted_in=None)
    invoice.delete()


@transaction.atomic
def confirm_invoice(invoice: Invoice, user, today: dt.date | None = None) -> Invoice:
    """Numbers the invoice from the provider's counter (locked: no gap) and issues it; it never
    changes afterwards."""
    invoice = _lock_invoice(invoice, Invoice.Status.DRAFT)
    today = today or timezone.localdate()
    window = selectors.invoice_confirmation_errors(invoice, today)  # seed 003 §3.6.1.1
    if window:
        raise ValidationError(window)
    sequence, _ = InvoiceSequence.objects.get_or_create(provider=invoice.provider)
    sequence = InvoiceSequence.objects.select_for_update().get(pk=sequence.pk)
    sequence.last += 1
    sequence.save()
    invoice.sequence = sequence.last
    prefix = "AV" if invoice.kind == Invoice.Kind.CREDIT_NOTE else "F"
    invoice.number = f"{prefix}-{sequence.last:06d}"
    invoice.issued_on = today
    invoice.status = Invoice.Status.CONFIRMED
    invoice.save()
    _log(invoice, Invoice.Status.DRAFT, user)
    return invoice


@transaction.atomic
def decide(invoice: Invoice, user, *, accept: bool, reason: str = "") -> Invoice:
    """The region validates or rejects (with a reason) a confirmed invoice. A rejection frees
    its declarations: the provider corrects them (« Saisie horaire ») and invoices again."""
    reason = (reason or "").strip()
    if not accept and not reason:
        raise ValidationError({"reason": ["Indiquez le motif du rejet."]})
    invoice = _lock_invoice(invoice, Invoice.Status.CONFIRMED)
    invoice.decided_at = timezone.now()
    if accept:
        invoice.status = Invoice.Status.VALIDATED
    else:
        invoice.status = Invoice.Status.REJECTED
        invoice.rejection_reason = reason
        declarations = list(invoice.declarations.select_for_update())
        DeclarationLine.objects.filter(declaration__in=declarations).delete()
        Declaration.objects.filter(pk__in=[d.pk for d in declarations]).update(
            invoice=None, status=Declaration.Status.DRAFT, reopened=True, confirmed_at=None
        )
        invoice.subcontracts.update(deducted_in=None)
    invoice.save()
    _log(invoice, Invoice.Status.CONFIRMED, user, reason)
    return invoice


@transaction.atomic
def mark_paid(invoice: Invoice, user, paid_on: dt.date) -> Invoice:
    invoice = _lock_invoice(invoice, Invoice.Status.VALIDATED)
    invoice.status, invoice.paid_on = Invoice.Status.PAID, paid_on
    invoice.save()
    _log(invoice, Invoice.Status.VALIDATED, user, f"Payée le {paid_on:%d/%m/%Y}")
    return invoice


# -- subcontracting ------------------------------------------------------------------------


@transaction.atomic
def add_subcontract(action, subcontractor: str, amount_ht: Decimal | None, user):
    """A subcontractor's invoice entered by the main provider (seed 003 §3.6.1.2): the
    subcontractor is the action's one of that name (added to the action's list the first
    time). Errors by field (`subcontractor`, `amount_ht`), as the form shows them."""
    name = " ".join((subcontractor or "").split())
    errors = {}
    if not name:
        errors["subcontractor"] = ["Indiquez le sous-traitant."]
    elif len(name) > Subcontractor._meta.get_field("name").max_length:
        errors["subcontractor"] = ["Le nom du sous-traitant est trop long (200 caractères)."]
    if amount_ht is None or amount_ht <= 0 or amount_ht > Decimal("10000000"):
        errors["amount_ht"] = ["Un montant HT positif est attendu."]
    if errors:
        raise ValidationError(errors)
    found, _ = Subcontractor.objects.get_or_create(action=action, name=name)
    return SubcontractInvoice.objects.create(
        subcontractor=found, amount_ht=h.q(amount_ht), created_by=user
    )


@transaction.atomic
def confirm_subcontract(subcontract: SubcontractInvoice) -> SubcontractInvoice:
    locked = SubcontractInvoice.objects.select_for_update().get(pk=subcontract.pk)
    if locked.status != SubcontractInvoice.Status.DRAFT:
        raise ValidationError("Cette facture de sous-traitant est déjà confirmée.")
    locked.status, locked.confirmed_at = SubcontractInvoice.Status.CONFIRMED, timezone.now()
    locked.save()
    return locked
