"""The execution pages (seed 003 §3): thin views over services and selectors; every lookup
through the tenant's scoped querysets."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.utils import timezone
from django.views.decorators.http import require_POST

from remu.actions.models import TrainingAction
from remu.actions.selectors import actions_for
from remu.audit import services as access
from remu.core.forms import add_errors, id_or_none
from remu.core.tabular import read_rows
from remu.core.tenancy import require_agent, require_provider
from remu.core.views_generic import paginate
from remu.referential.models import Campaign
from remu.trainees.models import Enrollment

from . import forms, registrations, selectors, services
from .models import ExecutionEvent, Survey, Trainer


def _action(request, pk):
    return get_object_or_404(actions_for(request.tenant), pk=pk)


def _enrollment(request, pk):
    return get_object_or_404(
        Enrollment.objects.for_tenant(request.tenant).select_related(
            "trainee", "action__provider", "action__region"
        ),
        pk=pk,
    )


def _context(request, action, **extra):
    execution = services.execution_of(action)
    return {"action": action, "execution": execution, **extra}


# -- the provider's action table (§3) -------------------------------------------------------


def action_table(request):
    """The provider's actions by programming year, with each task's state."""
    require_provider(request)
    campaigns = list(
        Campaign.objects.filter(actions__provider=request.tenant.provider)
        .distinct()
        .order_by("-start_date")
    )
    chosen = id_or_none(request.GET.get("campaign", ""))
    campaign = next((c for c in campaigns if c.pk == chosen), campaigns[0] if campaigns else None)
    actions = selectors.actions_table(request.tenant).filter(campaign=campaign).order_by("number")
    page, query = paginate(request, actions)
    return render(
        request,
        "execution/action_table.html",
        {
            "campaigns": campaigns,
            "campaign": campaign,
            "page": page,
            "query": f"campaign={campaign.pk}" if campaign else "",
            "due_count": len(selectors.surveys_due(request.tenant, timezone.localdate())),
        },
    )


def action_detail(request, pk):
    """One action's execution: its summary, tasks and history."""
    action = _action(request, pk)
    events = ExecutionEvent.objects.filter(action=action).select_related("by")[:20]
    return render(
        request,
        "execution/action.html",
        _context(
            request,
            action,
            events=events,
            registered=action.enrollments.count(),
            paid=selectors.paid_registered(action),
            bilan_complete=selectors.bilan_complete(action),
        ),
    )


# -- dates and periods (§3.1) ----------------------------------------------------------------


def dates(request, pk):
    action = _action(request, pk)
    execution = services.execution_of(action)
    initial = [
        {"place": p.place, "start_date": p.start_date, "end_date": p.end_date}
        for p in action.periods.all()
    ]
    editable = request.tenant.is_provider and not execution.dates_locked
    formset = forms.PeriodFormSet(
        request.POST if request.method == "POST" else None, initial=initial, prefix="periods"
    )
    if request.method == "POST":
        require_provider(request)
        if formset.is_valid():
            periods = forms.periods_of(formset)
            try:
                services.confirm_dates(action, periods, request.user)
            except ValidationError as exc:
                for message in exc.messages:
                    messages.error(request, message)
            else:
                messages.success(
                    request, "Les dates et périodes sont enregistrées et verrouillées."
                )
                return redirect("execution:dates", pk=action.pk)
    periods = list(action.periods.all())
    return render(
        request,
        "execution/dates.html",
        _context(
            request,
            action,
            formset=formset,
            editable=editable,
            periods=periods,
            realised=services.realised_percent(action, timezone.localdate()),
        ),
    )


def report_request(request, pk):
    """The « demande de report » form to send to the region, pre-filled (PDF)."""
    action = _action(request, pk)
    return _pdf(request, "execution/pdf/report_request.html", action, "demande-de-report", {})


# -- registration (§3.2) ---------------------------------------------------------------------


def registration_list(request, pk):
    action = _action(request, pk)
    execution = services.execution_of(action)
    today = timezone.localdate()
    page, query = paginate(request, selectors.registrations_of(action))
    for enrollment in page:
        enrollment.action = action  # the row's action is this one: no query per row
        enrollment.editable = services.record_editable(enrollment, execution, today)
    return render(
        request,
        "execution/registrations.html",
        _context(
            request,
            action,
            page=page,
            query=query,
            registered=action.enrollments.count(),
            paid=selectors.paid_registered(action),
        ),
    )


def _registration_page(request, action, enrollment=None):
    record = getattr(enrollment, "registration", None) if enrollment else None
    data = request.POST if request.method == "POST" else None
    identity = forms.IdentityForm(
        data, instance=enrollment.trainee if enrollment else None, prefix="identity"
    )
    initial = {"entry_date": enrollment.entry_date} if enrollment else {}
    form = forms.RegistrationForm(
        data,
        instance=record,
        initial=initial,
        prefix="record",
        individualised=action.is_individualised,
    )
    path = None
    if action.is_individualised:
        initial_periods = [
            {"place": p.place, "start_date": p.start_date, "end_date": p.end_date}
            for p in (record.periods.all() if record else [])
        ]
        path = forms.PathPeriodFormSet(data, initial=initial_periods, prefix="path")
    valid = [identity.is_valid(), form.is_valid(), path is None or path.is_valid()]
    if data is not None and all(valid):
        trainee, record = identity.save(commit=False), form.save(commit=False)
        entry_date = form.cleaned_data["entry_date"]
        periods = forms.periods_of(path) if path is not None else None
        try:
            if enrollment is None:
                enrollment = services.register(
                    action, trainee, record, entry_date, request.user, path_periods=periods
                )
                messages.success(
                    request,
                    "Le stagiaire est inscrit."
                    + (
                        " Son dossier de rémunération (RS1) est pré-rempli en brouillon."
                        if action.kind == TrainingAction.Kind.MARKET
                        else ""
                    ),
                )
            else:
                services.update_registration(
                    enrollment, trainee, record, entry_date, request.user, path_periods=periods
                )
                messages.success(request, "La fiche d'entrée est enregistrée.")
        except ValidationError as exc:
            add_errors(form, exc)
        else:
            return redirect("execution:registrations", pk=action.pk)
    return render(
        request,
        "execution/registration_form.html",
        _context(request, action, identity=identity, form=form, enrollment=enrollment, path=path),
    )


def register(request, pk):
    require_provider(request)
    return _registration_page(request, _action(request, pk))


def registration_edit(request, pk):
    require_provider(request)
    enrollment = _enrollment(request, pk)
    access.record(
        request,
        "trainee",
        f"Fiche d'entrée de l'inscription {enrollment.pk}",
        trainee_id=enrollment.trainee_id,
    )
    return _registration_page(request, enrollment.action, enrollment)


@require_POST
def unregister(request, pk):
    require_provider(request)
    enrollment = _enrollment(request, pk)
    try:
        services.unregister(enrollment, request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, "L'inscription est supprimée.")
    return redirect("execution:registrations", pk=enrollment.action_id)


def exit_record(request, pk):
    require_provider(request)
    enrollment = _enrollment(request, pk)
    form = forms.ExitForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.record_exit(enrollment, form.cleaned_data["exit_date"], request.user)
        except ValidationError as exc:
            add_errors(form, exc)
        else:
            messages.success(request, "La sortie de formation est enregistrée.")
            return redirect("execution:registrations", pk=enrollment.action_id)
    return render(
        request,
        "execution/exit_form.html",
        _context(request, enrollment.action, form=form, enrollment=enrollment),
    )


def import_registrations(request, pk):
    require_provider(request)
    action = _action(request, pk)
    form = forms.ImportForm(request.POST or None, request.FILES or None)
    errors = []
    if request.method == "POST" and form.is_valid():
        try:
            rows = read_rows(form.cleaned_data["file"])
        except ValidationError as exc:
            form.add_error("file", exc)
        else:
            if not rows:
                form.add_error("file", "Le fichier ne contient aucune ligne.")
            else:
                done, errors = registrations.apply_rows(action, rows, request.user)
                if not errors:
                    messages.success(request, f"{done} stagiaire(s) inscrit(s).")
                    return redirect("execution:registrations", pk=action.pk)
    return render(
        request, "execution/import.html", _context(request, action, form=form, errors=errors)
    )


def import_template(request):
    require_provider(request)
    response = HttpResponse(
        registrations.template_workbook(),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    response["Content-Disposition"] = 'attachment; filename="modele-inscriptions.xlsx"'
    return response


# -- trainers (§3.3) -------------------------------------------------------------------------


def trainers(request, pk):
    action = _action(request, pk)
    form = forms.TrainerForm(request.POST or None)
    if request.method == "POST":
        require_provider(request)
        if form.is_valid():
            try:
                services.add_trainer(action, form.save(commit=False), request.user)
            except ValidationError as exc:
                add_errors(form, exc)
            else:
                messages.success(request, "Le formateur est ajouté.")
                return redirect("execution:trainers", pk=action.pk)
    rows = list(selectors.trainers_of(action))
    current = [t for t in rows if t.removed_at is None]
    return render(
        request,
        "execution/trainers.html",
        _context(
            request,
            action,
            form=form,
            current=current,
            removed=[t for t in rows if t.removed_at is not None],
            total_hours=sum(t.hours for t in current),
        ),
    )


@require_POST
def trainer_remove(request, pk):
    require_provider(request)
    trainer = get_object_or_404(Trainer.objects.for_tenant(request.tenant), pk=pk)
    try:
        services.remove_trainer(trainer, request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, "Le formateur est retiré (il reste dans l'historique).")
    return redirect("execution:trainers", pk=trainer.action_id)


# -- opening and closure (§3.4, §3.7.1) ------------------------------------------------------


def opening(request, pk):
    require_provider(request)
    action = _action(request, pk)
    execution = services.execution_of(action)
    form = forms.OpeningForm(
        request.POST or None, initial={"opening_date": action.planned_start, "opened": "yes"}
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.open_action(
                action,
                opened=form.cleaned_data["opened"],
                opening_date=form.cleaned_data["opening_date"],
                frequency=form.cleaned_data["frequency"],
                user=request.user,
            )
        except ValidationError as exc:
            add_errors(form, exc)
        else:
            messages.success(request, "L'ouverture de l'action est enregistrée.")
            return redirect("execution:opening", pk=action.pk)
    return render(
        request,
        "execution/opening.html",
        _context(
            request,
            action,
            form=form,
            execution=execution,
            thresholds=services.instalment_thresholds(action, action.start_date),
        ),
    )


def closure(request, pk):
    require_provider(request)
    action = _action(request, pk)
    form = forms.ClosureForm(request.POST or None, initial={"real_end": action.planned_end})
    if request.method == "POST" and form.is_valid():
        try:
            amendment = services.close_action(action, form.cleaned_data["real_end"], request.user)
        except ValidationError as exc:
            add_errors(form, exc)
        else:
            messages.success(request, "L'action est clôturée.")
            if amendment:
                messages.warning(request, amendment)
            return redirect("execution:surveys", pk=action.pk)
    return render(request, "execution/closure.html", _context(request, action, form=form))


# -- surveys and summary (§3.7.2) ------------------------------------------------------------


def surveys(request, pk):
    action = _action(request, pk)
    page, query = paginate(request, selectors.registrations_of(action))
    today = timezone.localdate()
    kinds = Survey.Kind.choices
    for enrollment in page:
        filled = {s.kind: s for s in enrollment.surveys.all()}
        enrollment.survey_cells = [
            {
                "kind": kind,
                "survey": filled.get(kind),
                "due": services.survey_due(enrollment, kind),
                "open": (d := services.survey_due(enrollment, kind)) is not None and d <= today,
            }
            for kind, _ in kinds
        ]
    return render(
        request,
        "execution/surveys.html",
        _context(
            request,
            action,
            page=page,
            query=query,
            kinds=kinds,
            bilan=selectors.bilan(action),
            bilan_complete=selectors.bilan_complete(action),
        ),
    )


def survey(request, pk):
    require_provider(request)
    enrollment = _enrollment(request, pk)
    kind = request.GET.get("enquete", Survey.Kind.EXIT)
    if kind not in Survey.Kind.values:
        raise Http404
    existing = enrollment.surveys.filter(kind=kind).first()
    initial = {"outcome": existing.outcome, "contract": existing.contract} if existing else {}
    form = forms.SurveyForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.save_survey(
                enrollment,
                kind,
                form.cleaned_data["outcome"],
                form.cleaned_data["contract"],
                request.user,
            )
        except ValidationError as exc:
            add_errors(form, exc)
        else:
            messages.success(request, "L'enquête est enregistrée.")
            return redirect("execution:surveys", pk=enrollment.action_id)
    return render(
        request,
        "execution/survey_form.html",
        _context(
            request,
            enrollment.action,
            form=form,
            enrollment=enrollment,
            kind=kind,
            kind_label=dict(Survey.Kind.choices)[kind],
            due=services.survey_due(enrollment, kind),
        ),
    )


def surveys_due(request):
    require_provider(request)
    rows = selectors.surveys_due(request.tenant, timezone.localdate())
    page, query = paginate(request, rows)
    return render(request, "execution/surveys_due.html", {"page": page, "query": query})


# -- editions (§3.8) -------------------------------------------------------------------------

EDITIONS = {
    "formateurs": "Liste des formateurs",
    "ouverture": "Liste des stagiaires à l'ouverture de l'action",
    "fermeture": "Liste des stagiaires à la fin de l'action",
    "enquete-sortie": "Enquête à la sortie",
    "enquete-6-mois": "Enquête 6 mois après la sortie",
    "enquete-1-an": "Enquête 1 an après la sortie",
}
SURVEY_EDITIONS = {"enquete-sortie": "exit", "enquete-6-mois": "6m", "enquete-1-an": "1y"}


def editions(request, pk):
    action = _action(request, pk)
    return render(request, "execution/editions.html", _context(request, action, editions=EDITIONS))


def edition(request, pk):
    action = _action(request, pk)
    slug = request.GET.get("etat", "formateurs")
    if slug not in EDITIONS:
        raise Http404
    enrollments = Enrollment.objects.filter(action=action).select_related("trainee", "registration")
    context = {"title": EDITIONS[slug], "slug": slug}
    if slug == "formateurs":
        context["trainers"] = selectors.trainers_of(action).filter(removed_at__isnull=True)
    elif slug == "ouverture":
        start = action.real_start or action.planned_start
        context["enrollments"] = enrollments.filter(entry_date__lte=start)
    elif slug == "fermeture":
        context["enrollments"] = enrollments
    else:
        kind = SURVEY_EDITIONS[slug]
        context["surveys"] = (
            Survey.objects.filter(enrollment__action=action, kind=kind)
            .select_related("enrollment__trainee")
            .order_by("enrollment__trainee__birth_name")
        )
        context["bilan"] = next(b for b in selectors.bilan(action)["surveys"] if b["kind"] == kind)
    if slug != "formateurs":
        access.record(request, "export", f"États de l'action {action.number} ({slug})")
    return _pdf(request, "execution/pdf/edition.html", action, slug, context)


def blank_document(request, pk):
    """The blank « certificat administratif d'ouverture / de non-ouverture » and « bordereau
    d'envoi » offered at the opening (§3.4)."""
    slug = request.GET.get("document", "certificat")
    titles = {
        "certificat": "Certificat administratif d'ouverture ou de non-ouverture de stage",
        "bordereau": "Bordereau d'envoi",
    }
    action = _action(request, pk)
    if slug not in titles:
        raise Http404
    html = render_to_string(
        "execution/pdf/blank.html",
        {"title": titles[slug], "slug": slug, "region": action.region},
        request=request,
    )
    return _pdf_response(html, f"{slug}.pdf")


def _pdf(request, template, action, slug, context):
    html = render_to_string(
        template,
        {"action": action, "now": timezone.localtime(), **context},
        request=request,
    )
    return _pdf_response(html, f"{slug}-{action.number}.pdf")


def _pdf_response(html, filename):
    from weasyprint import HTML

    response = HttpResponse(HTML(string=html).write_pdf(), content_type="application/pdf")
    safe = "".join(c if c.isalnum() or c in "-." else "-" for c in filename)
    response["Content-Disposition"] = f'inline; filename="{safe}"'
    return response


# -- agents (§7b) ----------------------------------------------------------------------------


def agent_list(request):
    require_agent(request)
    form = forms.AgentFilterForm(
        request.GET or None, tenant=request.tenant, states=selectors.STATES
    )
    actions = selectors.actions_table(request.tenant).order_by("provider__name", "number")
    if form.is_valid():
        data = form.cleaned_data
        for name in ("campaign", "programme", "provider"):
            if data.get(name):
                actions = actions.filter(**{name: data[name]})
        if data.get("state"):
            actions = selectors.filter_state(
                actions, data["state"], request.tenant, timezone.localdate()
            )
    page, query = paginate(request, actions)
    return render(
        request, "execution/agent_list.html", {"form": form, "page": page, "query": query}
    )


def reopen(request, pk):
    require_agent(request)
    action = _action(request, pk)
    form = forms.AgentReopenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        what, reason = form.cleaned_data["what"], form.cleaned_data["reason"]
        try:
            if what == "dates":
                services.reopen_dates(action, reason, request.user)
            else:
                services.reopen_registrations(
                    action, reason, request.user, reopen=what == "registrations"
                )
        except ValidationError as exc:
            add_errors(form, exc)
        else:
            messages.success(request, "C'est enregistré, avec son motif.")
            return redirect("execution:action", pk=action.pk)
    return render(request, "execution/reopen.html", _context(request, action, form=form))
