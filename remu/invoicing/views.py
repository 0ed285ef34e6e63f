"""Invoicing pages: the « réalisé horaire » of an action per month and its confirmation, the
« Saisie horaire », the action's invoicing (declarations to invoice, invoices, subcontracting,
balance), an invoice with the evidence behind it and its Factur-X PDF, and the agents' pages
(waiting invoices, late declarations, dashboard and its export, invoicing terms)."""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from remu.actions.selectors import actions_for
from remu.attendance.selectors import by_provider
from remu.core.forms import add_errors, id_or_none
from remu.core.tenancy import require_agent, require_provider
from remu.core.views_generic import paginate
from remu.trainees.models import Enrollment

from . import dashboard, facturx, forms, selectors, services
from .models import Invoice, InvoicingTerms, ProviderTaxProfile, SubcontractInvoice


def today() -> dt.date:
    """The day a provider confirms on (the invoices' confirmation window, seed 003 §3.6.1.1):
    the journey tests set it, the rest of the request keeps the real date."""
    return timezone.localdate()


def _errors(request, exc: ValidationError) -> None:
    for message in exc.messages:
        messages.error(request, message)


def _month(request, action, months) -> dt.date:
    """The month asked (`?mois=2026-03`), else the latest ended month of the action."""
    text = (request.GET.get("mois") or request.POST.get("mois") or "")[:7]
    try:
        asked = dt.date(int(text[:4]), int(text[5:7]), 1) if len(text) == 7 else None
    except ValueError:
        asked = None
    if asked in months:
        return asked
    today = timezone.localdate()
    ended = [m for m in months if services.next_month(m) <= today]
    return ended[-1] if ended else months[0]


# -- declarations --------------------------------------------------------------------------


def declarations(request, pk):
    """Seed 003 §3.5 « Réalisé horaire de l'action » for a month, and its confirmation."""
    action = get_object_or_404(actions_for(request.tenant).select_related("region"), pk=pk)
    months = selectors.months_of(action)
    month = _month(request, action, months)
    if request.method == "POST":
        require_provider(request)
        try:
            services.confirm_declaration(action, month, request.user)
        except ValidationError as exc:
            _errors(request, exc)
        else:
            messages.success(request, f"Déclaration de {services.month_label(month)} confirmée.")
        return redirect(f"{request.path}?mois={month:%Y-%m}")
    data = selectors.ActionHours(action)
    declaration = data.declarations.get(month)
    confirmed = declaration is not None and declaration.status == "confirmed"
    errors = (
        [] if confirmed else services.confirmation_errors(action, month, timezone.localdate(), data)
    )
    return render(
        request,
        "invoicing/declarations.html",
        {
            "action": action,
            "months": months,
            "month": month,
            "table": data.table(month),
            "declaration": declaration,
            "confirmed": confirmed,
            "blocking": errors,
            "due": selectors.declaration_due(action, month),
        },
    )


def correction(request, pk):
    """« Saisie horaire » of a trainee for a month: the computed value beside the correction."""
    require_provider(request)
    enrollment = get_object_or_404(
        Enrollment.objects.for_tenant(request.tenant).select_related("action__region", "trainee"),
        pk=pk,
    )
    action = enrollment.action
    months = selectors.months_of(action)
    month = _month(request, action, months)
    data = selectors.ActionHours(action)
    row = data.row(enrollment, month)
    if request.method == "POST":
        form = forms.CorrectionForm(request.POST)
        if form.is_valid():
            try:
                services.save_correction(
                    enrollment, month, form.values(), form.cleaned_data["reason"], request.user
                )
            except ValidationError as exc:
                add_errors(form, exc)
            else:
                messages.success(request, "Saisie horaire enregistrée.")
                return redirect(
                    reverse("invoicing:declarations", args=[action.pk]) + f"?mois={month:%Y-%m}"
                )
    else:
        form = forms.CorrectionForm(initial=row.hours.as_dict())
    return render(
        request,
        "invoicing/correction.html",
        {"enrollment": enrollment, "action": action, "month": month, "row": row, "form": form},
    )


# -- invoicing of an action ------------------------------------------------------------------


def billing(request, pk):
    """Seed 003 §3.6: the confirmed declarations not yet invoiced (to select), the invoices by
    state, the subcontractors' invoices and the balance."""
    action = get_object_or_404(actions_for(request.tenant).select_related("region"), pk=pk)
    if request.method == "POST":
        require_provider(request)
        ids = [i for i in map(id_or_none, request.POST.getlist("declaration")[:50]) if i]
        try:
            invoice = services.generate_invoice(action, ids, request.user)
        except ValidationError as exc:
            _errors(request, exc)
            return redirect("invoicing:billing", pk=action.pk)
        messages.success(request, "Facture générée : vérifiez-la puis confirmez-la.")
        return redirect("invoicing:invoice", pk=invoice.pk)
    return _billing_page(request, action)


def _billing_page(request, action, subcontract_form=None, status=200):
    invoices = list(action.invoices.select_related("provider").prefetch_related("transitions"))
    closed, why = services.action_closed_for_balance(action)
    return render(
        request,
        "invoicing/billing.html",
        {
            "action": action,
            "terms": selectors.terms_of(action),
            "costs": selectors.unit_costs(action),
            "pending": list(selectors.uninvoiced(action)),
            "invoices": invoices,
            "subcontracts": SubcontractInvoice.objects.filter(
                subcontractor__action=action
            ).select_related("subcontractor", "deducted_in"),
            "subcontract_form": subcontract_form or forms.SubcontractForm(),
            "closed": closed,
            "closed_why": why,
        },
        status=status,
    )


@require_POST
def subcontract_add(request, pk):
    require_provider(request)
    action = get_object_or_404(actions_for(request.tenant), pk=pk)
    form = forms.SubcontractForm(request.POST)
    if form.is_valid():
        try:
            subcontract = services.add_subcontract(
                action,
                form.cleaned_data["subcontractor"],
                form.cleaned_data["amount_ht"],
                request.user,
            )
        except ValidationError as exc:
            add_errors(form, exc)
        else:
            messages.success(
                request,
                f"Facture de {subcontract.subcontractor.name} enregistrée : confirmez-la.",
            )
            return redirect("invoicing:billing", pk=action.pk)
    return _billing_page(request, action, subcontract_form=form, status=400)


@require_POST
def subcontract_confirm(request, pk):
    require_provider(request)
    subcontract = get_object_or_404(SubcontractInvoice.objects.for_tenant(request.tenant), pk=pk)
    try:
        services.confirm_subcontract(subcontract)
    except ValidationError as exc:
        _errors(request, exc)
    else:
        messages.success(request, "Facture du sous-traitant confirmée.")
    return redirect("invoicing:billing", pk=subcontract.subcontractor.action_id)


@require_POST
def balance(request, pk):
    require_provider(request)
    action = get_object_or_404(actions_for(request.tenant), pk=pk)
    try:
        invoice = services.generate_balance(action, request.user)
    except ValidationError as exc:
        _errors(request, exc)
        return redirect("invoicing:billing", pk=action.pk)
    return redirect("invoicing:invoice", pk=invoice.pk)


# -- one invoice ---------------------------------------------------------------------------


def _invoice(request, pk) -> Invoice:
    return get_object_or_404(
        selectors.invoices_for(request.tenant).select_related("action__region"), pk=pk
    )


def invoice_detail(request, pk):
    """The invoice, with the declarations, the attendance and the absences behind each figure."""
    invoice = _invoice(request, pk)
    evidence = []
    data = selectors.ActionHours(invoice.action)
    for declaration in invoice.declarations.order_by("month"):
        rows = data.rows(declaration.month)
        lines = {
            (line.enrollment_id): line
            for line in data.lines.values()
            if line.statement.month == declaration.month
        }
        evidence.append(
            {
                "declaration": declaration,
                "rows": [
                    (
                        r,
                        lines.get(r.enrollment.pk),
                        data.absences.get(getattr(lines.get(r.enrollment.pk), "pk", None), []),
                    )
                    for r in rows
                ],
            }
        )
    return render(
        request,
        "invoicing/invoice.html",
        {
            "invoice": invoice,
            "lines": invoice.lines.all(),
            "subcontracts": invoice.subcontracts.select_related("subcontractor"),
            "transitions": invoice.transitions.select_related("by"),
            "evidence": evidence,
            "confirmation_errors": selectors.invoice_confirmation_errors(invoice, today())
            if invoice.status == Invoice.Status.DRAFT
            else [],
            "decision_form": forms.DecisionForm(),
            "paid_form": forms.PaidForm(initial={"paid_on": timezone.localdate()}),
        },
    )


@require_POST
def invoice_confirm(request, pk):
    require_provider(request)
    invoice = _invoice(request, pk)
    try:
        invoice = services.confirm_invoice(invoice, request.user, today())
    except ValidationError as exc:
        _errors(request, exc)
    else:
        messages.success(request, f"{invoice} confirmée et émise à la Région.")
    return redirect("invoicing:invoice", pk=pk)


@require_POST
def invoice_delete(request, pk):
    require_provider(request)
    invoice = _invoice(request, pk)
    action_pk = invoice.action_id
    try:
        services.delete_draft(invoice)
    except ValidationError as exc:
        _errors(request, exc)
        return redirect("invoicing:invoice", pk=pk)
    messages.success(request, "Brouillon supprimé.")
    return redirect("invoicing:billing", pk=action_pk)


def invoice_pdf(request, pk):
    invoice = _invoice(request, pk)
    if invoice.status == Invoice.Status.DRAFT:
        raise Http404("Une facture en brouillon n'a pas de PDF.")
    response = HttpResponse(facturx.facturx_pdf(invoice), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="facture-{invoice.number}.pdf"'
    return response


@require_POST
def invoice_decide(request, pk):
    require_agent(request)
    invoice = _invoice(request, pk)
    form = forms.DecisionForm(request.POST)
    if form.is_valid():
        try:
            services.decide(
                invoice,
                request.user,
                accept=form.cleaned_data["decision"] == "validate",
                reason=form.cleaned_data["reason"],
            )
        except ValidationError as exc:
            _errors(request, exc)
        else:
            messages.success(request, "Décision enregistrée.")
    else:
        messages.error(request, "Choisissez de valider ou de rejeter la facture.")
    return redirect("invoicing:invoice", pk=pk)


@require_POST
def invoice_paid(request, pk):
    require_agent(request)
    invoice = _invoice(request, pk)
    form = forms.PaidForm(request.POST)
    if form.is_valid():
        try:
            services.mark_paid(invoice, request.user, form.cleaned_data["paid_on"])
        except ValidationError as exc:
            _errors(request, exc)
        else:
            messages.success(request, "Paiement enregistré.")
    else:
        messages.error(request, "Date de paiement invalide.")
    return redirect("invoicing:invoice", pk=pk)


# -- lists ---------------------------------------------------------------------------------

STATUS_FILTERS = {
    "attente": [Invoice.Status.CONFIRMED],
    "validees": [Invoice.Status.VALIDATED, Invoice.Status.PAID],
    "rejetees": [Invoice.Status.REJECTED],
}


def invoice_list(request):
    """Agents: the invoices waiting for the region (default), validated or rejected; providers:
    their own, in the same three groups."""
    state = request.GET.get("etat") if request.GET.get("etat") in STATUS_FILTERS else "attente"
    invoices = (
        selectors.invoices_for(request.tenant)
        .filter(status__in=STATUS_FILTERS[state])
        .order_by("created_at", "pk")
    )
    page, query = paginate(request, invoices)
    counts = {
        key: selectors.invoices_for(request.tenant).filter(status__in=statuses).count()
        for key, statuses in STATUS_FILTERS.items()
    }
    return render(
        request,
        "invoicing/invoice_list.html",
        {"page": page, "query": query, "state": state, "counts": counts},
    )


def late(request):
    """Agents: the providers' late declarations, per provider, 100 months a page (counted and
    built in SQL for the page only)."""
    require_agent(request)
    late = selectors.late_declaration_months(request.tenant)
    page, query = paginate(request, late, 100)
    return render(
        request,
        "invoicing/late.html",
        {
            "groups": by_provider(page, late.per_provider() if late else {}),
            "page": page,
            "query": query,
        },
    )


def terms(request, pk):
    """Agents: the action's invoicing terms and its provider's VAT."""
    require_agent(request)
    action = get_object_or_404(actions_for(request.tenant).select_related("provider"), pk=pk)
    instance = InvoicingTerms.objects.filter(action=action).first() or InvoicingTerms(action=action)
    tax = ProviderTaxProfile.objects.filter(provider=action.provider).first()
    tax = tax or ProviderTaxProfile(provider=action.provider)
    data = request.POST if request.method == "POST" else None
    form = forms.TermsForm(data, instance=instance)
    tax_form = forms.TaxProfileForm(data, instance=tax, prefix="tva")
    if request.method == "POST" and form.is_valid() and tax_form.is_valid():
        with transaction.atomic():
            form.save()
            tax_form.save()
        messages.success(request, "Modalités de facturation enregistrées.")
        return redirect("invoicing:billing", pk=action.pk)
    return render(
        request, "invoicing/terms.html", {"action": action, "form": form, "tax_form": tax_form}
    )


def dashboard_page(request):
    require_agent(request)
    year = dashboard.year_of(request)
    return render(
        request,
        "invoicing/dashboard.html",
        {
            "year": year,
            "years": dashboard.years(),
            **dashboard.figures(request.tenant, year),
        },
    )


def dashboard_xlsx(request):
    require_agent(request)
    year = dashboard.year_of(request)
    response = HttpResponse(
        dashboard.workbook(request.tenant, year),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    response["Content-Disposition"] = f'attachment; filename="facturation-{year}.xlsx"'
    return response
