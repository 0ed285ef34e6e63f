"""Agents run the payments: dry run then run (a background task with its progress), SEPA
file, paymaster's returns, personalised tax rates; everyone with access sees the advices."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.views.decorators.http import require_POST

from remu.audit import services as access
from remu.core.tenancy import require_agent
from remu.core.views_generic import paginate
from remu.dossiers.selectors import dossiers_for
from remu.rules.money import euros

from . import forms, offsets, operations, selectors, sepa, services
from .models import DueAmount, Payment, PaymentRun, SepaFile
from .tasks import enqueue_run


def runs(request):
    """The runs of the region. « Aperçu » queues a preview (what a run would order, ordering
    nothing), « Lancer la série » a run: both background tasks with their progress."""
    require_agent(request)
    region = request.tenant.region
    form = forms.RunForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        kind, month = form.cleaned_data["kind"], form.cleaned_data["month"]
        preview = "start" not in request.POST
        try:
            run = services.start_run(region, kind, month, request.user, preview=preview)
        except services.RunError as exc:
            messages.error(request, str(exc))
        else:
            enqueue_run(run)
            if not preview:
                messages.success(request, "La série est lancée.")
            return redirect("payments:run", pk=run.pk)
    runs = PaymentRun.objects.for_tenant(request.tenant).filter(is_preview=False)
    page, query = paginate(request, runs.select_related("created_by"))
    return render(request, "payments/runs.html", {"form": form, "page": page, "query": query})


def _run(request, pk) -> PaymentRun:
    require_agent(request)
    return get_object_or_404(PaymentRun.objects.for_tenant(request.tenant), pk=pk)


def run_detail(request, pk):
    """A run, its lines 50 a page in the order of the run (an index: never a sort of the whole
    run), counted from its summary once it is over; the amounts owed it recorded, paginated."""
    run = _run(request, pk)
    payments = run.payments.select_related("enrollment__trainee").order_by(
        "enrollment_id", "month", "component", "pk"
    )
    known = run.summary.get("lines") if run.status == PaymentRun.Status.DONE else None
    # The page's ids first, from the (run, enrollment, month, component, id) index alone
    # (an index-only scan, whatever the page), then those 50 lines with their trainees.
    page, query = paginate(request, payments.values_list("pk", flat=True), per_page=50, count=known)
    rows = payments.in_bulk(list(page.object_list))
    page.object_list = [rows[pk] for pk in page.object_list]
    debts, debts_query = paginate(
        request,
        offsets.claims().of_run(run).select_related("enrollment__trainee").order_by("pk"),
        per_page=50,
        param="dettes",
    )
    sepa_files = list(run.sepa_files.defer("content"))
    # A run's lines are created pending and leave that state only through a SEPA export, which
    # moves every pending line of its run (`sepa._move`; a returned line is reissued by a later
    # run, on a new line): until the first, the summary's count is the pending one, after it
    # none is left (never a count of 150,000 index entries).
    if known is not None:
        pending = 0 if sepa_files else known
    else:
        pending = run.payments.filter(status=Payment.Status.PENDING).count()
    return render(
        request,
        "payments/run.html",
        {
            "run": run,
            "page": page,
            "query": query,
            "debts": debts,
            "debts_query": debts_query,
            "sepa_files": sepa_files,
            "pending": pending,
            "anomalies": services.shown_anomalies(run.summary),
        },
    )


def run_progress(request, pk):
    """htmx: the progress bar, polled while the run works; once it is over, the whole page
    reloads to show the lines (or the preview)."""
    run = _run(request, pk)
    response = render(request, "payments/_progress.html", {"run": run})
    if not run.at_work:
        response["HX-Refresh"] = "true"
    return response


@require_POST
def sepa_export(request, pk):
    run = _run(request, pk)
    try:
        files = sepa.export_run(run, request.user)
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
        return redirect("payments:run", pk=run.pk)
    count, total = sum(f.count for f in files), sum(f.total for f in files)
    created = "Fichier SEPA créé" if len(files) == 1 else f"{len(files)} fichiers SEPA créés"
    messages.success(request, f"{created} : {count} virement(s), {euros(total)}.")
    return redirect("payments:run", pk=run.pk)


def sepa_download(request, pk):
    require_agent(request)
    file = get_object_or_404(SepaFile.objects.for_tenant(request.tenant), pk=pk)
    access.record(request, access.Kind.SEPA, f"Fichier SEPA {file.message_id} ({file.count} IBAN)")
    response = HttpResponse(bytes(file.content), content_type="application/xml")
    response["Content-Disposition"] = f'attachment; filename="sepa-{file.message_id}.xml"'
    return response


def _upload_page(request, template, importer, success):
    require_agent(request)
    form = forms.UploadForm(request.POST or None, request.FILES or None)
    errors = []
    if request.method == "POST" and form.is_valid():
        try:
            count, errors = importer(request.tenant.region, form.cleaned_data["file"])
        except ValidationError as exc:
            form.add_error("file", exc)
        else:
            if not errors:
                messages.success(request, success.format(count=count))
                return redirect(request.path)
    return render(request, template, {"form": form, "errors": errors})


def returns(request):
    return _upload_page(
        request,
        "payments/returns.html",
        lambda region, upload: operations.import_returns(region, upload, request.user),
        "{count} ligne(s) mise(s) à jour.",
    )


def tax_rates(request):
    return _upload_page(
        request, "payments/tax_rates.html", operations.import_tax_rates, "{count} taux importé(s)."
    )


def bank_details(request, pk):
    require_agent(request)
    dossier = get_object_or_404(dossiers_for(request.tenant), pk=pk)
    form = forms.BankDetailsForm(
        request.POST or None,
        initial={
            "account_holder": dossier.account_holder,
            "iban": dossier.iban,
            "bic": dossier.bic,
        },
    )
    if request.method == "POST" and form.is_valid():
        operations.set_bank_details(
            dossier,
            holder=form.cleaned_data["account_holder"],
            iban=form.cleaned_data["iban"],
            bic=form.cleaned_data["bic"],
        )
        messages.success(request, "Coordonnées bancaires enregistrées.")
        return redirect("dossiers:detail", pk=dossier.pk)
    return render(request, "payments/bank_details.html", {"form": form, "dossier": dossier})


def advice(request, pk):
    """« Avis de paiement » (PDF), only once the line is paid."""
    payment = get_object_or_404(
        Payment.objects.for_tenant(request.tenant).select_related(
            "enrollment__trainee", "enrollment__action", "region"
        ),
        pk=pk,
    )
    return advice_response(request, payment)


def advice_response(request, payment: Payment) -> HttpResponse:
    """The advice of a paid line as a PDF response (agents, providers and the trainee's own
    space use it); 404 before the line is paid."""
    if payment.status != Payment.Status.PAID:
        raise Http404("Avis disponible une fois le paiement effectué.")
    from weasyprint import HTML

    # a line paid on its own has its details; the month's pay and the entry bonus, the month's
    # explanation as the ledger holds it (scale, components, social contributions)
    details = selectors.advice_details(payment)
    explanation = (
        []
        if details
        else DueAmount.objects.filter(
            enrollment_id=payment.enrollment_id, month=payment.month, component=payment.component
        )
        .values_list("explanation", flat=True)
        .first()
    )
    html = render_to_string(
        "payments/advice_pdf.html",
        {"payment": payment, "details": details, "explanation": explanation or []},
        request=request,
    )
    response = HttpResponse(HTML(string=html).write_pdf(), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="avis-{payment.reference}.pdf"'
    return response
