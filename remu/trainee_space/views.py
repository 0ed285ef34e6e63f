"""« Mon espace »: the trainee follows their pay from a phone. Every view starts from the
logged-in trainee (`selectors.trainee_of`: other roles 403); another trainee's object is not
among theirs (404)."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone

from remu.core.forms import add_errors
from remu.core.views_generic import paginate
from remu.dossiers import decisions
from remu.dossiers.models import AdmissionDecision
from remu.overpayments.models import Overpayment, WaiverRequest
from remu.payments.models import Payment
from remu.payments.views import advice_response
from remu.scales.selectors import engine

from . import forms, rights, selectors, services


def _render(request, template, trainee, context):
    # The trainee has no tenant: the page's header and footer show their region explicitly.
    return render(request, template, {"trainee": trainee, "region": trainee.region, **context})


def home(request):
    """What the trainee wants to know first: the next payment, the last ones, the dossier and
    what is missing."""
    trainee = selectors.trainee_of(request)
    today = timezone.localdate()
    last_payments = list(selectors.payments(trainee)[: selectors.LAST_PAYMENTS])
    open_requests = list(selectors.open_requests(trainee))
    return _render(
        request,
        "trainee_space/home.html",
        trainee,
        {
            "next": selectors.next_payment(trainee, today),
            "last_paid": selectors.last_paid(trainee),
            "last_payments": last_payments,
            "dossiers": list(selectors.dossiers(trainee)),
            "requests": open_requests,
            "upload_form": forms.UploadForm(),
            "lines": list(selectors.lines(trainee)[:12]),
            "overpayments": [o for o in selectors.overpayments(trainee) if o.remaining > 0],
            "pending_change": selectors.bank_changes(trainee).filter(status="pending").first(),
            "decision": decisions.latest_for_trainee(trainee),
        },
    )


def payments(request):
    """Every payment line, newest first (paginated)."""
    trainee = selectors.trainee_of(request)
    page, query = paginate(request, selectors.payments(trainee))
    return _render(request, "trainee_space/payments.html", trainee, {"page": page, "query": query})


def month(request, pk):
    """One month: days or hours paid, absences (paid or not, and why), the amount with the
    engine's explanation, tax withheld, net, the advices."""
    trainee = selectors.trainee_of(request)
    line = selectors.line(trainee, pk)
    if line is None:
        raise Http404("Mois introuvable.")
    return _render(
        request,
        "trainee_space/month.html",
        trainee,
        {"line": line, **selectors.month_detail(trainee, line)},
    )


def advice(request, pk):
    """The payment advice (PDF) of one of the trainee's paid lines."""
    trainee = selectors.trainee_of(request)
    payment = (
        Payment.objects.filter(enrollment__trainee=trainee)
        .select_related("enrollment__trainee", "enrollment__action", "region")
        .filter(pk=pk)
        .first()
    )
    if payment is None:
        raise Http404("Paiement introuvable.")
    response = advice_response(request, payment)
    # On a phone the advice is kept as a file (a viewer in the page would hide the space).
    response["Content-Disposition"] = f'attachment; filename="avis-{payment.reference}.pdf"'
    return response


def decision(request, pk):
    """The trainee's copy of one of their « décisions de prise en charge » (PDF): never the
    one-time password (`decisions.trainee_copy`)."""
    trainee = selectors.trainee_of(request)
    found = (
        AdmissionDecision.objects.filter(dossier__enrollment__trainee=trainee, pk=pk)
        .select_related("dossier__region", "dossier__action__provider", "dossier__enrollment")
        .first()
    )
    if found is None:
        raise Http404("Décision introuvable.")
    pdf = decisions.trainee_copy(found, request.build_absolute_uri("/"))
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="decision-{found.number}.pdf"'
    response["Cache-Control"] = "no-store"
    return response


def upload(request, pk):
    """Sends a document the region asked for (from the phone: camera or file)."""
    trainee = selectors.trainee_of(request)
    asked = selectors.open_requests(trainee).filter(pk=pk).first()
    if asked is None:
        raise Http404("Cette pièce n'est plus demandée.")
    form = forms.UploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.upload_requested(asked, form.cleaned_data["file"], request.user)
        except ValidationError as exc:
            # The file's own refusals (size, content) go next to the field; the others (the
            # dossier no longer takes this piece) on top of the form.
            add_errors(form, exc)
        else:
            messages.success(
                request, f"Pièce « {asked.doc_label} » envoyée : la Région va la vérifier."
            )
            return redirect("trainee_space:home")
    return _render(request, "trainee_space/upload.html", trainee, {"asked": asked, "form": form})


def overpayment(request, pk):
    """A claim: what is claimed and why, the plan, what remains; the waiver request form."""
    trainee = selectors.trainee_of(request)
    claim = selectors.overpayment(trainee, pk)
    if claim is None:
        raise Http404("Indu introuvable.")
    can_ask = claim.status in (
        Overpayment.Status.NOTIFIED,
        Overpayment.Status.RECOVERING,
    ) and not any(w.decision == WaiverRequest.Decision.PENDING for w in claim.waivers.all())
    form = forms.WaiverForm(request.POST or None, initial={"requested_amount": claim.remaining})
    if request.method == "POST":
        if not can_ask:
            form.add_error(None, "Une demande de remise n'est pas possible pour cet indu.")
        elif form.is_valid():
            try:
                services.request_waiver(
                    claim,
                    requested_amount=form.cleaned_data["requested_amount"],
                    reasons=form.cleaned_data["reasons"],
                    situation=form.cleaned_data["situation"],
                    user=request.user,
                )
            except ValidationError as exc:
                add_errors(form, exc)
            else:
                messages.success(
                    request,
                    "Demande de remise envoyée : la commission de la Région l'examinera. Le "
                    "recouvrement est suspendu en attendant sa décision.",
                )
                return redirect("trainee_space:overpayment", pk=claim.pk)
    return _render(
        request,
        "trainee_space/overpayment.html",
        trainee,
        {"claim": claim, "form": form, "can_ask": can_ask, "today": timezone.localdate()},
    )


def bank_details(request):
    """The bank details in use (masked) and the form to send a new RIB, which an agent of the
    Region validates before any payment uses it."""
    trainee = selectors.trainee_of(request)
    changes = list(selectors.bank_changes(trainee)[:10])
    pending = next((c for c in changes if c.status == "pending"), None)
    form = forms.BankChangeForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.submit_bank_change(
                trainee,
                request.user,
                holder=data["account_holder"],
                iban=data["iban"],
                bic=data["bic"],
                document=data["document"],
            )
        except ValidationError as exc:
            add_errors(form, exc)
        else:
            messages.success(
                request,
                "Nouveau RIB envoyé : il sera utilisé pour vos paiements une fois validé par la "
                "Région.",
            )
            return redirect("trainee_space:bank_details")
    current = selectors.current_bank_details(trainee)
    return _render(
        request,
        "trainee_space/bank_details.html",
        trainee,
        {
            "form": form,
            "pending": pending,
            "changes": changes,
            "current_iban": selectors.masked(current.iban) if current else "",
            "current_holder": current.account_holder if current else "",
        },
    )


def rights_page(request):
    """« Mes droits et obligations », from the region's parameters in force today."""
    trainee = selectors.trainee_of(request)
    today = timezone.localdate()
    options = engine(trainee.region).options(trainee.region.parameter_set, today)
    return _render(
        request,
        "trainee_space/rights.html",
        trainee,
        {"sections": rights.sections(options), "today": today},
    )


def notifications(request):
    """The e-mails the trainee wants (each may be turned off)."""
    trainee = selectors.trainee_of(request)
    form = forms.PreferencesForm(request.POST or None, instance=selectors.preferences(trainee))
    if request.method == "POST" and form.is_valid():
        services.save_preferences(trainee, **form.cleaned_data)
        messages.success(request, "Vos préférences sont enregistrées.")
        return redirect("trainee_space:notifications")
    return _render(
        request,
        "trainee_space/notifications.html",
        trainee,
        {"form": form, "email": trainee.email or request.user.email},
    )
