"""The agents' overpayment pages: the « Indus » list (filters, totals, ageing, Excel export),
the overpayment page (explanation, history, actions), the order to repay (PDF), the waiver
commission's agenda. Every lookup through `Overpayment.objects.for_tenant`; agents only."""

from __future__ import annotations

import io

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.utils import timezone
from django.views.decorators.http import require_POST

from remu.core.forms import add_errors
from remu.core.tabular import french_dates, safe_append
from remu.core.tenancy import require_agent
from remu.core.views_generic import paginate
from remu.dossiers.models import Dossier
from remu.payments.forms import UploadForm
from remu.rules.money import euros
from remu.trainees.models import Enrollment

from . import forms, overlap, selectors, services, wrong_information
from . import receipts as receipts_file
from .models import Instalment, Overpayment, WaiverRequest


def _overpayments(request):
    require_agent(request)
    return Overpayment.objects.for_tenant(request.tenant)


def _filtered(request):
    """The region's overpayments under the list's filters (an invalid filter is ignored and
    shown in error next to its field)."""
    form = forms.ListFilterForm(request.GET or None)
    queryset = _overpayments(request)
    if form.is_bound and form.is_valid():
        data = form.cleaned_data
        if data["statut"]:
            queryset = queryset.filter(status=data["statut"])
        if data["origine"]:
            queryset = queryset.filter(source=data["origine"])
        if data["organisme"]:
            queryset = queryset.filter(
                enrollment__action__provider__name__icontains=data["organisme"]
            )
        if data["action"]:
            queryset = queryset.filter(enrollment__action__number__icontains=data["action"])
        if data["montant_min"] is not None:
            queryset = queryset.filter(amount__gte=data["montant_min"])
        if data["montant_max"] is not None:
            queryset = queryset.filter(amount__lte=data["montant_max"])
        if data["anciennete"]:
            queryset = queryset.filter(
                selectors.age_filter(data["anciennete"], timezone.localdate())
            )
        if data["suivi"]:
            queryset = selectors.to_follow(queryset)
    return form, queryset


def overpayment_list(request):
    form, queryset = _filtered(request)
    today = timezone.localdate()
    page, query = paginate(
        request,
        queryset.select_related("trainee", "enrollment__action__provider").order_by(
            "detected_at", "pk"
        ),
    )
    return render(
        request,
        "overpayments/list.html",
        {
            "form": form,
            "page": page,
            "query": query,
            "totals": selectors.totals_per_status(queryset),
            "ageing": selectors.ageing(queryset, today),
        },
    )


def overpayment_export(request):
    """Excel export of the filtered list, for the accountant."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    _, queryset = _filtered(request)
    book = Workbook()
    sheet = book.active
    sheet.title = "Indus"
    sheet.append(
        [
            "N° d'ordre",
            "Stagiaire",
            "Action",
            "Organisme",
            "Origine",
            "Statut",
            "Objet",
            "Montant",
            "Reste dû",
            "Non-valeur",
            "Détecté le",
        ]
    )
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for o in queryset.select_related("trainee", "enrollment__action__provider").order_by(
        "detected_at", "pk"
    ):
        safe_append(
            sheet,
            [
                o.notice_number,
                o.trainee.full_name,
                o.enrollment.action.number,
                o.enrollment.action.provider.name,
                o.get_source_display(),
                o.get_status_display(),
                o.label,
                o.amount,
                o.remaining,
                o.written_off,
                timezone.localtime(o.detected_at).date(),
            ],
        )
    french_dates(sheet)
    for row in sheet.iter_rows(min_row=2, min_col=8, max_col=10):
        for cell in row:
            cell.number_format = "#,##0.00"
    buffer = io.BytesIO()
    book.save(buffer)
    response = HttpResponse(
        buffer.getvalue(),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    response["Content-Disposition"] = 'attachment; filename="indus.xlsx"'
    return response


def _get(request, pk) -> Overpayment:
    return get_object_or_404(
        _overpayments(request).select_related(
            "trainee", "enrollment__action__provider", "region", "withdrawal"
        ),
        pk=pk,
    )


def overpayment_detail(request, pk, forms_in_error=None):
    overpayment = _get(request, pk)
    today = timezone.localdate()
    instalments = list(overpayment.instalments.prefetch_related("recoveries"))
    context = {
        "overpayment": overpayment,
        "items": overpayment.items.all(),
        "transitions": overpayment.transitions.select_related("by"),
        "recoveries": overpayment.recoveries.select_related("payment", "by"),
        "instalments": [(i, i.received, i.is_late(today)) for i in instalments],
        "waivers": overpayment.waivers.all(),
        "pending_waiver": overpayment.waivers.filter(decision="pending").first(),
        "plan_form": forms.PlanForm(),
        "receipt_form": forms.ReceiptForm(instalments=instalments),
        "waiver_form": forms.WaiverRequestForm(),
        "schedule_form": forms.ScheduleForm(),
        "decision_form": forms.WaiverDecisionForm(),
        **(forms_in_error or {}),
    }
    return render(request, "overpayments/detail.html", context)


def _act(request, pk, form_name, form, action):
    """Runs a posted action: its form's errors, or the service's, shown next to the field."""
    if form.is_valid():
        try:
            action(form.cleaned_data)
        except ValidationError as exc:
            for field, errors in getattr(exc, "message_dict", {None: exc.messages}).items():
                for error in errors:
                    form.add_error(field if field in form.fields else None, error)
        else:
            return redirect("overpayments:detail", pk=pk)
    response = overpayment_detail(request, pk, {form_name: form})
    response.status_code = 400
    return response


@require_POST
def notify(request, pk):
    overpayment = _get(request, pk)
    try:
        services.notify(overpayment, user=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, "L'ordre de reversement est émis.")
    return redirect("overpayments:detail", pk=pk)


def notice(request, pk):
    """The order to repay (« ordre de reversement »), a PDF letter to the trainee."""
    overpayment = _get(request, pk)
    if not overpayment.notice_number:
        messages.error(request, "L'ordre de reversement n'a pas encore été émis.")
        return redirect("overpayments:detail", pk=pk)
    from weasyprint import HTML  # only this view needs the system libraries

    html = render_to_string(
        "overpayments/notice_pdf.html",
        {"overpayment": overpayment, "items": overpayment.items.all()},
        request=request,
    )
    response = HttpResponse(HTML(string=html).write_pdf(), content_type="application/pdf")
    response["Content-Disposition"] = (
        f'inline; filename="ordre-de-reversement-{overpayment.notice_number}.pdf"'
    )
    return response


@require_POST
def plan(request, pk):
    overpayment = _get(request, pk)
    form = forms.PlanForm(request.POST)
    return _act(
        request,
        pk,
        "plan_form",
        form,
        lambda d: services.set_plan(
            overpayment,
            services.equal_instalments(overpayment.remaining, d["count"], d["first_due_on"]),
            user=request.user,
        ),
    )


@require_POST
def receipt(request, pk):
    overpayment = _get(request, pk)
    instalments = list(overpayment.instalments.all())
    form = forms.ReceiptForm(request.POST, instalments=instalments)

    def record(d):
        if d["instalment"]:
            instalment = get_object_or_404(Instalment, pk=d["instalment"], overpayment=overpayment)
            services.receive_instalment(
                instalment, amount=d["amount"], on=d["on"], user=request.user
            )
        else:
            services.receive(
                overpayment, amount=d["amount"], on=d["on"], user=request.user, note=d["note"]
            )

    return _act(request, pk, "receipt_form", form, record)


@require_POST
def waiver_request(request, pk):
    overpayment = _get(request, pk)
    form = forms.WaiverRequestForm(request.POST)
    return _act(
        request,
        pk,
        "waiver_form",
        form,
        lambda d: services.request_waiver(
            overpayment,
            received_on=d["received_on"],
            requested_amount=d["requested_amount"],
            reasons=d["reasons"],
            situation=d["situation"],
            user=request.user,
        ),
    )


def _waiver(request, pk) -> WaiverRequest:
    return get_object_or_404(
        WaiverRequest.objects.filter(overpayment__in=_overpayments(request)), pk=pk
    )


@require_POST
def waiver_schedule(request, pk):
    waiver = _waiver(request, pk)
    form = forms.ScheduleForm(request.POST)
    return _act(
        request,
        waiver.overpayment_id,
        "schedule_form",
        form,
        lambda d: services.schedule_waiver(waiver, d["commission_on"]),
    )


@require_POST
def waiver_decide(request, pk):
    waiver = _waiver(request, pk)
    form = forms.WaiverDecisionForm(request.POST)
    return _act(
        request,
        waiver.overpayment_id,
        "decision_form",
        form,
        lambda d: services.decide_waiver(
            waiver,
            decision=d["decision"],
            granted_amount=d["granted_amount"],
            decided_on=d["decided_on"],
            reference=d["reference"],
            user=request.user,
        ),
    )


def agenda(request):
    """The waiver commission's agenda: pending requests by commission date (printable)."""
    queryset = _overpayments(request)
    return render(
        request,
        "overpayments/agenda.html",
        {
            "waivers": selectors.agenda(queryset),
            "late": selectors.late_instalments(queryset, timezone.localdate()),
        },
    )


def for_trainee(tenant, trainee):
    """The trainee page's block: agents see the claims in full; providers only that a claim
    exists for their trainee (`Q()` keeps the scoping of `for_tenant`)."""
    return (
        Overpayment.objects.for_tenant(tenant)
        .filter(Q(trainee=trainee))
        .prefetch_related("recoveries__payment", "instalments", "transitions__by")
        .order_by("detected_at", "pk")
    )


def benefit_period(request, pk):
    """Records a period France Travail paid the trainee of this enrollment (issue 13) and the
    claim of its overlap with the Region's pay."""
    require_agent(request)
    enrollment = get_object_or_404(
        Enrollment.objects.for_tenant(request.tenant).select_related("trainee", "action__region"),
        pk=pk,
    )
    form = forms.BenefitPeriodForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            _, claim = overlap.record_benefit_period(
                enrollment, user=request.user, **form.cleaned_data
            )
        except ValidationError as exc:
            add_errors(form, exc)
        else:
            if claim is None:
                messages.info(
                    request,
                    "Période enregistrée. La Région n'a rien payé pour ces jours : aucun indu.",
                )
                return redirect("home:trainee", pk=enrollment.trainee_id)
            messages.success(request, f"Période enregistrée : indu de {euros(claim.amount)}.")
            return redirect("overpayments:detail", pk=claim.pk)
    return render(
        request,
        "overpayments/benefit_period.html",
        {"form": form, "enrollment": enrollment},
        status=400 if form.errors else 200,
    )


def correction(request, pk):
    """Corrects the dossier after wrong information from the trainee (issue 13 §1): the form,
    then the preview of what it claims and pays (nothing written), then the confirmation."""
    require_agent(request)
    dossier = get_object_or_404(
        Dossier.objects.for_tenant(request.tenant).select_related(
            "enrollment__trainee", "enrollment__action", "region"
        ),
        pk=pk,
    )
    form = forms.CorrectionForm(request.POST or None)
    outcome = None
    if request.method == "POST" and form.is_valid():
        args = {
            "field_name": form.cleaned_data["field"],
            "value": form.value,
            "effective_from": form.cleaned_data["effective_from"],
            "why": form.cleaned_data["why"],
            "user": request.user,
        }
        try:
            if "confirm" in request.POST:
                done, outcome = wrong_information.record(dossier, **args)
            else:
                outcome = wrong_information.preview(dossier, **args)
        except ValidationError as exc:
            add_errors(form, exc)
        else:
            if "confirm" in request.POST:
                if done.overpayment_id:
                    messages.success(
                        request, f"Correction enregistrée : indu de {euros(outcome.amount)}."
                    )
                    return redirect("overpayments:detail", pk=done.overpayment_id)
                messages.success(request, "Correction enregistrée.")
                return redirect("home:trainee", pk=dossier.enrollment.trainee_id)
    return render(
        request,
        "overpayments/correction.html",
        {"form": form, "dossier": dossier, "outcome": outcome},
        status=400 if form.errors else 200,
    )


def receipts(request):
    """Imports the paymaster's return file of sums cashed from trainees (all or nothing)."""
    require_agent(request)
    form = UploadForm(request.POST or None, request.FILES or None)
    errors = []
    if request.method == "POST" and form.is_valid():
        try:
            count, errors = receipts_file.import_receipts(
                request.tenant.region, form.cleaned_data["file"], request.user
            )
        except ValidationError as exc:
            form.add_error("file", exc)
        else:
            if not errors:
                messages.success(request, f"{count} encaissement(s) enregistré(s).")
                return redirect("overpayments:list")
    return render(
        request,
        "overpayments/receipts.html",
        {"form": form, "errors": errors},
        status=400 if errors or form.errors else 200,
    )
