"""Dossier pages: providers create, fill, validate and print; agents receive and decide."""

from urllib.parse import urlencode

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Exists, OuterRef, Q
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from remu.actions.models import TrainingAction
from remu.audit import services as access
from remu.core.forms import add_errors, id_or_none
from remu.core.tenancy import require_agent, require_provider
from remu.core.views_generic import paginate
from remu.referential.models import Campaign

from . import (
    deadlines,
    decisions,
    form_errors,
    forms,
    hours,
    nir,
    provisional,
    selectors,
    services,
    special,
    travel,
)
from .documents import DOCUMENT_TYPES
from .models import AdmissionDecision, Dossier, SupportingDocument

STATUS_CHOICES = [("", "Tous"), *Dossier.Status.choices]


def _dossier(request, pk) -> Dossier:
    return get_object_or_404(selectors.dossiers_for(request.tenant), pk=pk)


SEARCH_NAME_KEY = "dossier_search_name"


def dossier_list(request):
    """Search by status, campaign, action and name, with or without criteria. The name is
    posted and kept in the session (post, redirect, get): a person's name never goes into a
    URL, where access logs and browser histories would keep it."""
    tenant = request.tenant
    if not (tenant.is_agent or tenant.is_provider):
        raise PermissionDenied
    if request.method == "POST":
        name = request.POST.get("name", "").replace("\x00", "").strip()[:100]
        request.session[SEARCH_NAME_KEY] = name
        keep = ("status", "campaign", "action_number", "todo")
        query = urlencode({k: request.POST[k] for k in keep if k in request.POST})
        return redirect(f"{reverse('dossiers:list')}?{query}")
    dossiers = selectors.dossiers_for(tenant)
    actions = TrainingAction.objects.for_tenant(tenant)
    campaigns = Campaign.objects.filter(Exists(actions.filter(campaign=OuterRef("pk"))))
    campaigns = campaigns.order_by("-start_date")
    status = request.GET.get("status", "submitted" if tenant.is_agent and not request.GET else "")
    campaign = next((c for c in campaigns if str(c.pk) == request.GET.get("campaign")), None)
    # The action by its number, typed (a big provider has thousands: no dropdown of them all;
    # `action_numbers` suggests them), or by its id from a link.
    action_id = id_or_none(request.GET.get("action", ""))
    action_number = request.GET.get("action_number", "").replace("\x00", "").strip()[:30]
    action = None
    if action_id:
        action = actions.filter(pk=action_id).first()
    elif action_number:
        action = actions.filter(number__iexact=action_number).first()
    name = request.session.get(SEARCH_NAME_KEY, "")
    dossiers = selectors.search(
        dossiers,
        status=status if status in Dossier.Status.values else "",
        campaign=campaign,
        action=action,
        name=name,
    ).order_by("-created_at")
    if action_number and action is None:  # no such action of this tenant: nothing found
        dossiers = dossiers.none()
    late = request.GET.get("late") == "1"
    if late:  # the region's dossier deadline passed (CVL: 72 h after entry)
        dossiers = dossiers.filter(deadlines.late_filter(tenant.region))
    todo = request.GET.get("todo", "")
    if todo in selectors.TODO:  # a home page's to-do item: its own filter and order
        dossiers = selectors.TODO[todo][1](dossiers)
    # The page's ids first, from the dossier table alone (no join to the trainees: 25 ids
    # sorted out of a big provider's 100,000 dossiers), then those 25 dossiers with their joins.
    page, query = paginate(request, dossiers.values_list("pk", flat=True), capped=True)
    rows = dossiers.in_bulk(list(page.object_list))
    page.object_list = [rows[pk] for pk in page.object_list]
    for dossier in page:
        dossier.late = deadlines.is_late(dossier)
    if todo == "instruct":
        today = timezone.localdate()
        for dossier in page:
            dossier.waiting_days = (today - timezone.localdate(dossier.submitted_at)).days
    return render(
        request,
        "dossiers/dossier_list.html",
        {
            "page": page,
            "query": query,
            "statuses": STATUS_CHOICES,
            "status": status,
            "campaigns": campaigns,
            "campaign": campaign,
            "action": action,
            "action_number": action.number if action else action_number,
            "name": name,
            "todo": todo,
            "late": late,
            "todo_label": selectors.TODO[todo][0] if todo in selectors.TODO else "",
        },
    )


def action_numbers(request):
    """htmx: the numbers of the tenant's actions starting with what was typed, the first
    `ACTION_OPTIONS` of them, as the options of the dossier search's datalist."""
    tenant = request.tenant
    if not (tenant.is_agent or tenant.is_provider):
        raise PermissionDenied
    typed = request.GET.get("action_number", "").replace("\x00", "").strip()[:30]
    numbers = []
    if typed:
        numbers = list(
            TrainingAction.objects.for_tenant(tenant)
            .filter(number__istartswith=typed)
            .order_by("number")
            .values_list("number", flat=True)[: forms.ACTION_OPTIONS]
        )
    return render(request, "dossiers/action_numbers.html", {"numbers": numbers})


def dossier_create(request):
    require_provider(request)
    form = forms.BlankDossierForm(request.POST or None, provider=request.tenant.provider)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            dossier = services.create_blank(
                action=data["action"],
                kind=data["kind"],
                birth_name=data["birth_name"],
                first_names=data["first_names"],
                birth_date=data["birth_date"],
                entry_date=data["entry_date"],
                user=request.user,
            )
        except ValidationError as exc:
            form.add_service_errors(exc)
        else:
            messages.success(request, f"Le dossier {dossier.number} est créé en brouillon.")
            return redirect("dossiers:detail", pk=dossier.pk)
    return render(request, "dossiers/dossier_create.html", {"form": form})


def action_options(request):
    """htmx: the off-market actions of the chosen campaign matching the search (number or
    title), the first `ACTION_OPTIONS` of them."""
    require_provider(request)
    search = request.GET.get("action_search", "").replace("\x00", "").strip()[:100]
    actions = TrainingAction.objects.filter(
        provider=request.tenant.provider,
        kind=TrainingAction.Kind.OFF_MARKET,
        campaign_id=id_or_none(request.GET.get("campaign", "")),
    ).order_by("number")
    if search:
        actions = actions.filter(Q(number__icontains=search) | Q(title__icontains=search))
    shown = list(actions[: forms.ACTION_OPTIONS + 1])
    return render(
        request,
        "dossiers/action_options.html",
        {
            "actions": shown[: forms.ACTION_OPTIONS],
            "more": len(shown) > forms.ACTION_OPTIONS,
            "search": search,
        },
    )


def _forms(dossier, data=None):
    """The forms the dossier's kind shows (the situation tab is RS1's, journeys RS2's)."""
    trainee = dossier.trainee
    page_forms = {
        "banner": forms.BannerForm(data, instance=dossier, prefix="banner"),
        "civil": forms.CivilStatusForm(data, instance=trainee, prefix="civil"),
        "protection": forms.SocialProtectionForm(data, instance=dossier, prefix="protection"),
    }
    if dossier.kind == Dossier.Kind.RS1:
        page_forms["situation"] = forms.SituationForm(data, instance=dossier, prefix="situation")
        page_forms["travel"] = forms.TravelSituationForm(
            data, instance=dossier.travel_situations.order_by("valid_from").first(), prefix="travel"
        )
    if dossier.kind == Dossier.Kind.RS2:
        page_forms["journeys"] = forms.JourneyFormSet(data, instance=dossier, prefix="journeys")
    return page_forms


FIELD_FORM = {  # which form shows a consistency error for a field
    **dict.fromkeys(("real_start", "real_end", "weekly_hours"), "banner"),
    **dict.fromkeys(forms.CivilStatusForm.Meta.fields, "civil"),
    **dict.fromkeys(forms.SituationForm.Meta.fields, "situation"),
    **dict.fromkeys(("regime", "affiliation_centre"), "protection"),
    "journeys": "journeys",
}


def dossier_detail(request, pk):
    dossier = _dossier(request, pk)
    if request.method == "GET":
        access.record(
            request, access.Kind.DOSSIER_VIEWED, _label(dossier), trainee_id=_trainee(dossier)
        )
    if request.tenant.is_provider and dossier.is_editable_by_provider:
        return _edit(request, dossier)
    return _show(request, dossier)


def _save_draft(request, dossier, page_forms) -> bool:
    """Saves the dossier and its trainee; False, with the error on the NIR, when the NIR is
    another person's (nothing saved)."""
    for name in ("banner", "situation", "protection"):
        if name in page_forms:
            page_forms[name].save(commit=False)
    trainee = page_forms["civil"].save(commit=False)
    try:
        services.save_draft(dossier, trainee, request.user)
    except ValidationError as exc:
        page_forms["civil"].add_error(None, exc)
        return False
    return True


def _edit(request, dossier):
    """The form: banner and four tabs in one <form>, so switching tabs loses nothing. Any error
    keeps the page (nothing saved when a form is invalid) with a summary of every error on top
    and the first tab at fault shown."""
    data = request.POST if request.method == "POST" else None
    page_forms = _forms(dossier, data)
    consistency, saved = {}, False
    tab_errors: dict[str, list[str]] = {}
    valid = data is not None and all(f.is_valid() for f in page_forms.values())
    if valid and _save_draft(request, dossier, page_forms):
        if "travel" in page_forms and page_forms["travel"].cleaned_data["distance_km"] is not None:
            entry = page_forms["travel"].cleaned_data
            travel.save_first(
                dossier,
                distance_km=entry["distance_km"],
                justification=entry["distance_justification"],
                housing=entry["housing"],
                user=request.user,
            )
        if "journeys" in page_forms:
            page_forms["journeys"].save()
            # Bound again on what was saved: the rows now have their ids.
            page_forms["journeys"] = forms.JourneyFormSet(instance=dossier, prefix="journeys")
        saved = True
        if "validate" in request.POST:
            consistency = services.consistency_errors(dossier)
            if not consistency:
                return redirect("dossiers:confirm", pk=dossier.pk)
            for field, errors in consistency.items():
                target = FIELD_FORM.get(field)
                for error in errors:
                    if target == "journeys" and target in page_forms:
                        tab_errors.setdefault("journeys", []).append(error)
                    elif target in page_forms:
                        page_forms[target].add_error(field, error)
        else:
            messages.success(request, f"Brouillon {dossier.number} enregistré.")
            return redirect("dossiers:detail", pk=dossier.pk)
    other_errors = {k: v for k, v in consistency.items() if FIELD_FORM.get(k) not in page_forms}
    summary = form_errors.error_summary(page_forms, tab_errors, other_errors)
    return render(
        request,
        "dossiers/dossier_form.html",
        {
            "dossier": dossier,
            **page_forms,
            "error_summary": summary,
            "saved": saved,
            "active_tab": form_errors.active_tab(summary),
            "tabs_with_errors": {item.tab for item in summary},
            "journey_errors": tab_errors.get("journeys", []),
            "required": [(d, DOCUMENT_TYPES[d]) for d in services.required_documents(dossier)],
            "missing": set(services.missing_documents(dossier)),
            "documents": dossier.documents.all(),
            "upload_form": forms.UploadForm(doc_types=services.uploadable_types(dossier)),
            "requests": dossier.requests.filter(fulfilled_at__isnull=True),
            "signed_form_due": False,  # a draft is not signed yet
        },
    )


def _show(request, dossier):
    return render(
        request,
        "dossiers/dossier_show.html",
        {
            "dossier": dossier,
            "trainee": dossier.trainee,
            "transitions": dossier.transitions.select_related("by"),
            "documents": dossier.documents.all(),
            "required": [(d, DOCUMENT_TYPES[d]) for d in services.required_documents(dossier)],
            "missing": set(services.missing_documents(dossier)),
            "requests": dossier.requests.filter(fulfilled_at__isnull=True),
            "upload_form": forms.UploadForm(doc_types=services.uploadable_types(dossier))
            if request.tenant.is_provider
            else None,
            "signed_form_due": services.signed_form_due(dossier),
            "journeys": dossier.journeys.all(),
            "travel_situations": dossier.travel_situations.all(),
            "may_move": travel.may_record(dossier, request.user),
            "journey_review_statuses": services.JOURNEY_REVIEW_STATUSES,
            "decisions": dossier.decisions.select_related("issued_by", "codes_delivered_to"),
            **_special_context(request, dossier),
        },
    )


def _special_context(request, dossier) -> dict:
    """What the dossier page shows of special publics, deadlines, hours and admission."""
    return {
        "permit_warning": special.permit_warning(dossier),
        "late": deadlines.is_late(dossier),
        "hours_changes": dossier.hours_changes.all(),
        "may_change_hours": hours.may_record(dossier, request.user),
        "may_confirm": request.tenant.is_agent and dossier.provisional,
    }


def travel_move(request, pk):
    """A later travel situation (a move during the training), or the situation at entry when
    none was recorded (a dossier admitted without it): agents of the region, providers while
    the dossier is editable."""
    dossier = _dossier(request, pk)
    if not travel.may_record(dossier, request.user):
        raise PermissionDenied
    first = not dossier.travel_situations.exists()
    form = (forms.TravelSituationForm if first else forms.TravelMoveForm)(
        request.POST or None, prefix="move"
    )
    if first:
        form.fields["distance_km"].required = True
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        values = {
            "distance_km": data["distance_km"],
            "justification": data["distance_justification"],
            "housing": data["housing"],
            "user": request.user,
        }
        try:
            if first:
                travel.save_first(dossier, **values)
            else:
                travel.add_move(dossier, valid_from=data["valid_from"], **values)
        except ValidationError as exc:
            add_errors(form, exc)
        else:
            messages.success(request, "La nouvelle situation de transport est enregistrée.")
            return redirect("dossiers:detail", pk=pk)
    return render(
        request,
        "dossiers/travel_move.html",
        {
            "dossier": dossier,
            "form": form,
            "first": first,
            "travel_situations": dossier.travel_situations.all(),
        },
    )


def dossier_confirm(request, pk):
    """« Valider »: every check passed; the provider confirms before the dossier locks."""
    require_provider(request)
    dossier = _dossier(request, pk)
    if dossier.status != Dossier.Status.DRAFT:
        return redirect("dossiers:detail", pk=dossier.pk)
    if request.method == "POST":
        try:
            services.submit(dossier, request.user)
        except services.TransitionError as exc:  # validated by someone else meanwhile
            messages.error(request, exc.messages[0])
            return redirect("dossiers:detail", pk=dossier.pk)
        except ValidationError:
            messages.error(request, "Le dossier n'est pas complet.")
            return redirect("dossiers:detail", pk=dossier.pk)
        messages.success(
            request,
            f"Le dossier {dossier.number} est validé (pré-saisi). "
            "Imprimez-le pour le faire signer.",
        )
        return redirect("dossiers:detail", pk=dossier.pk)
    return render(request, "dossiers/dossier_confirm.html", {"dossier": dossier})


@require_POST
def dossier_delete(request, pk):
    require_provider(request)
    dossier = _dossier(request, pk)
    number = dossier.number or "en brouillon"
    try:
        stayed = services.delete_draft(dossier)
    except PermissionDenied:
        messages.error(request, "Seul un brouillon peut être supprimé.")
        return redirect("dossiers:detail", pk=pk)
    done = f"Le dossier {number} a été supprimé."
    if stayed:
        done += " Le stagiaire reste inscrit à l'action : des présences sont déclarées pour lui."
    messages.success(request, done)
    return redirect("dossiers:list")


@require_POST
def document_upload(request, pk):
    """Providers upload while the dossier is a draft; once validated, the signed form and the
    pieces the region asks for (the service re-checks under lock)."""
    require_provider(request)
    dossier = _dossier(request, pk)
    form = forms.UploadForm(
        request.POST,
        request.FILES,
        doc_types=services.uploadable_types(dossier),
        invalid_choice=services.upload_refusal(dossier),
    )
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, error)
        return redirect("dossiers:detail", pk=pk)
    doc_type = form.cleaned_data["doc_type"]
    try:
        services.upload(dossier, doc_type, form.cleaned_data["file"], request.user)
    except ValidationError as exc:
        for error in exc.messages:
            messages.error(request, error)
    else:
        messages.success(request, f"Pièce ajoutée : {DOCUMENT_TYPES[doc_type]}.")
    return redirect("dossiers:detail", pk=pk)


def _label(dossier) -> str:
    """A dossier in the access log: its number (never the trainee's name)."""
    return f"Dossier {dossier.number or f'n° {dossier.pk} (brouillon)'}"


def _trainee(dossier) -> int:
    """Whose data a dossier is, for the access log (the trainee's page lists it)."""
    return dossier.enrollment.trainee_id


def document_download(request, pk):
    """Only people who may see the dossier may download its documents."""
    document = get_object_or_404(
        SupportingDocument.objects.for_tenant(request.tenant).select_related("dossier__enrollment"),
        pk=pk,
    )
    access.record(
        request,
        access.Kind.DOCUMENT,
        f"{document.doc_label} – {_label(document.dossier)}",
        trainee_id=_trainee(document.dossier),
    )
    try:
        handle = document.file.open("rb")
    except FileNotFoundError as exc:
        raise Http404 from exc
    extension = {"application/pdf": "pdf", "image/jpeg": "jpg", "image/png": "png"}
    name = f"{document.doc_type.lower()}-{document.pk}.{extension[document.content_type]}"
    response = FileResponse(
        handle, as_attachment=True, filename=name, content_type=document.content_type
    )
    response["X-Content-Type-Options"] = "nosniff"
    return response


def dossier_print(request, pk):
    """The pre-filled form as a PDF, its number at the bottom of every page."""
    dossier = _dossier(request, pk)
    if dossier.status == Dossier.Status.DRAFT and not dossier.number:
        messages.error(request, "Enregistrez le dossier avant de l'imprimer.")
        return redirect("dossiers:detail", pk=pk)
    access.record(
        request, access.Kind.DOSSIER_PRINTED, _label(dossier), trainee_id=_trainee(dossier)
    )
    from weasyprint import HTML  # imported here: only this view needs the system libraries

    html = render_to_string(
        "dossiers/dossier_pdf.html",
        {
            "dossier": dossier,
            "trainee": dossier.trainee,
            "required": [DOCUMENT_TYPES[d] for d in services.required_documents(dossier)],
            "journeys": dossier.journeys.all(),
        },
        request=request,
    )
    pdf = HTML(string=html, base_url=request.build_absolute_uri("/")).write_pdf()
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="dossier-{dossier.number}.pdf"'
    return response


def admission_decision_download(request, pk):
    """The « décision de prise en charge » as a PDF, for the dossier's agents and provider.
    The first download of the latest version prints the trainee's one-time password (then
    erased: `decisions.deliver`); the access log says when it did."""
    decision = get_object_or_404(
        AdmissionDecision.objects.for_tenant(request.tenant).select_related(
            "dossier__region", "dossier__action__provider", "dossier__enrollment__trainee"
        ),
        pk=pk,
    )
    delivery = decisions.deliver(decision, request.user)
    codes = " (codes d'accès remis)" if delivery.password else ""
    access.record(
        request,
        access.Kind.DOSSIER_PRINTED,
        f"Décision de prise en charge {decision.number}{codes} – {_label(decision.dossier)}",
        trainee_id=_trainee(decision.dossier),
    )
    pdf = decisions.render_pdf(decision, delivery, request.build_absolute_uri("/"))
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="decision-{decision.number}.pdf"'
    response["Cache-Control"] = "no-store"  # it may hold a password
    return response


@require_POST
def reissue_codes(request, pk):
    """An agent issues new access codes for the trainee (a new version of the decision)."""
    require_agent(request)
    dossier = _dossier(request, pk)
    try:
        decision = decisions.reissue(dossier, request.user)
    except ValidationError as exc:
        messages.error(request, exc.messages[0])
    else:
        messages.success(
            request,
            f"Nouveaux codes d'accès émis : décision n° {decision.number}. Les anciens codes ne "
            "fonctionnent plus. Le mot de passe provisoire n'est imprimé qu'au premier "
            "téléchargement de la décision.",
        )
    return redirect("dossiers:detail", pk=pk)


@require_POST
def nir_prefill(request, pk):
    """htmx: the NIR field pre-filled from the civil status being typed. Posted, with only the
    fields it needs: a GET would write them (and the NIR) into the access logs."""
    require_provider(request)
    dossier = _dossier(request, pk)
    from remu.communes.models import Commune

    birth = forms.CivilStatusForm(request.POST, instance=dossier.trainee, prefix="civil")
    birth.is_valid()
    data = birth.cleaned_data
    commune = data.get("birth_commune")
    commune_id = id_or_none(request.POST.get("civil-birth_commune", ""))
    if commune is None and commune_id:
        commune = Commune.objects.filter(pk=commune_id).first()
    value = nir.prefix(
        data.get("civility", ""), data.get("birth_date"), commune.insee_code if commune else None
    )
    current = request.POST.get("civil-nir", "")
    if len(nir.compact(current)) == 15:
        value = current  # never overwrite a complete number
    return render(request, "dossiers/nir_input.html", {"value": value})


def dossier_reception(request, pk):
    require_agent(request)
    dossier = _dossier(request, pk)
    if dossier.status not in (Dossier.Status.SUBMITTED, Dossier.Status.RECEIVED):
        messages.error(request, "Seul un dossier pré-saisi ou reçu peut être réceptionné.")
        return redirect("dossiers:detail", pk=pk)
    documents = dossier.documents.all()
    form = forms.ReceptionForm(
        request.POST or None,
        documents=documents,
        initial={"reception_date": dossier.reception_date},
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.receive(
                dossier,
                request.user,
                reception_date=form.cleaned_data["reception_date"],
                reviews=form.reviews(),
                requests=[
                    (d, form.cleaned_data["request_message"])
                    for d in form.cleaned_data["requested"]
                ],
            )
        except services.TransitionError as exc:  # changed by someone else meanwhile
            messages.error(request, exc.messages[0])
        else:
            messages.success(request, "Réception enregistrée.")
        return redirect("dossiers:detail", pk=pk)
    return render(
        request,
        "dossiers/dossier_reception.html",
        {
            "dossier": dossier,
            "form": form,
            "missing": [DOCUMENT_TYPES[d] for d in services.missing_documents(dossier)],
        },
    )


def journey_review(request, pk):
    """Agents accept or refuse the receipts of an RS2 dossier's journeys."""
    require_agent(request)
    dossier = _dossier(request, pk)
    if dossier.kind != Dossier.Kind.RS2 or dossier.status not in services.JOURNEY_REVIEW_STATUSES:
        messages.error(request, "Seuls les trajets d'un dossier RS2 transmis se vérifient.")
        return redirect("dossiers:detail", pk=pk)
    form = forms.JourneyReviewForm(request.POST or None, journeys=dossier.journeys.all())
    if request.method == "POST" and form.is_valid():
        try:
            changed = services.review_journeys(dossier, request.user, form.reviews())
        except ValidationError as exc:
            for error in exc.messages:
                form.add_error(None, error)
        else:
            messages.success(
                request, f"Justificatifs des trajets enregistrés ({changed} modifié(s))."
            )
            return redirect("dossiers:detail", pk=pk)
    return render(request, "dossiers/journey_review.html", {"dossier": dossier, "form": form})


def dossier_decision(request, pk):
    require_agent(request)
    dossier = _dossier(request, pk)
    if dossier.status != Dossier.Status.RECEIVED:
        messages.error(request, "Seul un dossier reçu peut être admis ou rejeté.")
        return redirect("dossiers:detail", pk=pk)
    proposal = services.proposal(dossier)
    gaps = services.admission_gaps(dossier)
    policy = services.admission_policy(dossier)
    minimum = provisional.minimum_category(dossier)
    form = forms.DecisionForm(
        request.POST or None,
        initial={
            "category": proposal.category,
            "account_holder": dossier.trainee.full_name,
        },
        exception_allowed=bool(gaps) and policy == "allowed_with_reason",
        minimum_category=minimum,
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            if data["decision"] == "admit":
                services.admit(
                    dossier,
                    request.user,
                    category=data["category"],
                    proposed=proposal.category,
                    reason=data["category_reason"],
                    holder=data["account_holder"],
                    iban=data["iban"],
                    bic=data["bic"],
                    exception_reason=data.get("exception_reason", ""),
                    provisional=data.get("provisional", False),
                )
                messages.success(request, f"Le dossier {dossier.number} est admis.")
            else:
                services.reject(dossier, request.user, reason=data["decision_reason"])
                messages.success(request, f"Le dossier {dossier.number} est rejeté.")
        except services.TransitionError as exc:  # decided by someone else meanwhile
            messages.error(request, exc.messages[0])
            return redirect("dossiers:detail", pk=pk)
        except ValidationError as exc:
            errors = exc.message_dict if hasattr(exc, "error_dict") else {None: exc.messages}
            for field, field_errors in errors.items():
                for error in field_errors:
                    form.add_error(field if field in form.fields else None, error)
        else:
            return redirect("dossiers:detail", pk=pk)
    return render(
        request,
        "dossiers/dossier_decision.html",
        {
            "dossier": dossier,
            "form": form,
            "proposal": proposal,
            "gaps": gaps,
            "policy": policy,
            "permit_warning": special.permit_warning(dossier),
        },
    )


def hours_change(request, pk):
    """Weekly hours from a date (mixed full-time / part-time paths): agents of the region,
    providers while the dossier is editable."""
    dossier = _dossier(request, pk)
    if not hours.may_record(dossier, request.user):
        raise PermissionDenied
    form = forms.HoursChangeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            hours.add_change(dossier, **form.cleaned_data, user=request.user)
        except ValidationError as exc:
            add_errors(form, exc)
        else:
            messages.success(request, "Le changement de durée hebdomadaire est enregistré.")
            return redirect("dossiers:detail", pk=pk)
    return render(
        request,
        "dossiers/hours_change.html",
        {"dossier": dossier, "form": form, "hours_changes": dossier.hours_changes.all()},
    )


def confirm_admission(request, pk):
    """« Confirmer l'admission »: the final category of a provisionally admitted dossier."""
    require_agent(request)
    dossier = _dossier(request, pk)
    if not dossier.provisional:
        messages.error(request, "Ce dossier n'est pas admis à titre provisoire.")
        return redirect("dossiers:detail", pk=pk)
    proposal = services.proposal(dossier)
    form = forms.ConfirmAdmissionForm(request.POST or None, initial={"category": proposal.category})
    if request.method == "POST" and form.is_valid():
        try:
            provisional.confirm_admission(dossier, request.user, **form.cleaned_data)
        except ValidationError as exc:
            errors = exc.message_dict if hasattr(exc, "error_dict") else {None: exc.messages}
            for field, field_errors in errors.items():
                for error in field_errors:
                    form.add_error(field if field in form.fields else None, error)
        else:
            messages.success(request, f"L'admission du dossier {dossier.number} est confirmée.")
            return redirect("dossiers:detail", pk=pk)
    return render(
        request,
        "dossiers/confirm_admission.html",
        {"dossier": dossier, "form": form, "proposal": proposal},
    )
