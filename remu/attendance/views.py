"""Attendance: trainee list, monthly statements (full time and part time), validation,
certificate, late statements, and dropouts. htmx partial updates, plain forms without JS."""

import io

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from remu.actions.selectors import actions_for
from remu.audit import services as access
from remu.core.forms import add_errors, id_or_none
from remu.core.tabular import french_dates, read_rows, safe_append
from remu.core.tenancy import require_agent, require_provider
from remu.core.views_generic import paginate
from remu.trainees.models import Enrollment

from . import declarations, forms, selectors, services
from .hours_bounds import NeedsConfirmation
from .models import Absence, AttendanceLine, Withdrawal


def _is_htmx(request) -> bool:
    return request.headers.get("HX-Request") == "true"


def _messages_from(request, exc: ValidationError) -> None:
    for message in exc.messages:
        messages.error(request, message)


# -- trainee list ------------------------------------------------------------------------


def _enrollments(action):
    return (
        action.enrollments.select_related("trainee__commune")
        .prefetch_related("dossiers", "withdrawals")
        .order_by("trainee__birth_name", "trainee__first_names")
    )


def trainee_list(request, pk):
    """Seed 000 « Liste des stagiaires »: trainees with their dossier status, links to the
    statements, the Excel export, the provider's details and « Suspendre »."""
    action = get_object_or_404(actions_for(request.tenant), pk=pk)
    rows = []
    for enrollment in _enrollments(action):
        dossier = max(enrollment.dossiers.all(), key=lambda d: d.created_at, default=None)
        pending = next((w for w in enrollment.withdrawals.all() if w.status == "declared"), None)
        rows.append({"enrollment": enrollment, "dossier": dossier, "pending": pending})
    return render(
        request,
        "attendance/trainee_list.html",
        {
            "action": action,
            "rows": rows,
            "provider": action.provider,
            "statements": action.statements.order_by("-month"),
        },
    )


def trainee_export(request, pk):
    """Excel export of the action's trainees and their addresses."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    action = get_object_or_404(actions_for(request.tenant), pk=pk)
    access.record(request, access.Kind.EXPORT, f"Stagiaires de l'action {action.number} (tableur)")
    book = Workbook()
    sheet = book.active
    sheet.title = "Stagiaires"
    header = [
        "Nom",
        "Prénoms",
        "Date de naissance",
        "Adresse",
        "Complément",
        "Code postal",
        "Commune",
        "Courriel",
        "Téléphone",
        "Entrée",
        "Sortie",
        "Statut",
    ]
    safe_append(sheet, header)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for enrollment in _enrollments(action):
        t = enrollment.trainee
        safe_append(
            sheet,
            [
                t.last_name,
                t.first_names,
                t.birth_date,
                t.address_line1,
                t.address_line2,
                t.postal_code,
                t.commune.name if t.commune_id else "",
                t.email,
                t.phone,
                enrollment.entry_date,
                enrollment.exit_date,
                enrollment.get_status_display(),
            ],
        )
    french_dates(sheet)
    for column, width in zip(
        "ABCDEFGHIJKL", (18, 18, 14, 30, 20, 10, 22, 28, 16, 12, 12, 18), strict=True
    ):
        sheet.column_dimensions[column].width = width
    buffer = io.BytesIO()
    book.save(buffer)
    response = HttpResponse(
        buffer.getvalue(),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    response["Content-Disposition"] = f'attachment; filename="stagiaires-{action.number}.xlsx"'
    return response


# -- statements ----------------------------------------------------------------------------


def statement_list(request, pk):
    action = get_object_or_404(actions_for(request.tenant), pk=pk)
    if request.method == "POST":
        require_provider(request)
        try:
            statement = services.create_statement(action, request.user)
        except ValidationError as exc:
            _messages_from(request, exc)
            return redirect("attendance:statements", pk=action.pk)
        messages.success(request, f"État de présence de {statement.month:%m/%Y} créé.")
        return redirect("attendance:statement", pk=statement.pk)
    statements = selectors.statements_with_completion(action)
    return render(
        request,
        "attendance/statement_list.html",
        {
            "action": action,
            "statements": statements,
            "next_month": services.next_statement_month(action),
        },
    )


def _statement(request, pk):
    return get_object_or_404(selectors.statements_for(request.tenant), pk=pk)


def _tab(request) -> str:
    """The statement's tab to show: the part-time one when the request came from it."""
    return "part" if (request.POST.get("tab") or request.GET.get("tab")) == "part" else "full"


def _context(request, statement, bound=None, tab=None):
    """`bound`: the forms posted with errors, by line, shown again in place of fresh ones."""
    bound = bound or {}
    lines = list(
        statement.lines.select_related("enrollment__trainee", "dossier").prefetch_related(
            "absences", "events"
        )
    )
    weeks = services.weeks_of_month(statement.month)
    full = [line for line in lines if line.full_time]
    for line in lines:
        line.problems = services.line_problems(line)
    part = [
        (line, bound.get(line.pk) or forms.PartTimeForm(line=line, weeks=weeks))
        for line in lines
        if not line.full_time
    ]
    return {
        "statement": statement,
        "action": statement.action,
        "full_lines": full,
        "part_lines": part,
        "weeks": weeks,
        "presence_form": bound.get("presence") or forms.PresenceForm(statement=statement),
        "left": services.completion(lines),
        "can_edit": request.tenant.is_provider,
        "tab": tab or _tab(request),
        "partial": False,
    }


def _render_body(request, statement, status=200, bound=None, tab=None):
    """htmx: the statement's body alone (with the messages); without JavaScript, the page
    again when a form has errors to show, else a redirect to it (on the same tab)."""
    context = _context(request, statement, bound, tab)
    if _is_htmx(request):
        return render(
            request, "attendance/_statement_body.html", context | {"partial": True}, status=status
        )
    if bound:
        return render(request, "attendance/statement.html", context, status=status)
    url = reverse("attendance:statement", args=[statement.pk])
    return redirect(f"{url}?tab=part" if context["tab"] == "part" else url)


def statement_detail(request, pk):
    statement = _statement(request, pk)
    return render(request, "attendance/statement.html", _context(request, statement))


@require_POST
def statement_refresh(request, pk):
    require_provider(request)
    statement = _statement(request, pk)
    added = services.refresh_lines(statement, request.user)
    messages.info(request, f"{added} stagiaire(s) ajouté(s) à l'état de présence.")
    return _render_body(request, statement)


@require_POST
def declare_presence(request, pk):
    require_provider(request)
    statement = _statement(request, pk)
    form = forms.PresenceForm(request.POST, statement=statement)
    if form.is_valid():
        try:
            services.declare_presence(
                form.cleaned_data["lines"],
                form.cleaned_data["presence"],
                form.cleaned_data["period_start"],
                form.cleaned_data["period_end"],
            )
        except (ValidationError, PermissionDenied) as exc:
            for message in getattr(exc, "messages", [str(exc)]):
                form.add_error(None, message)
        else:
            messages.success(
                request,
                f"Présence enregistrée pour {len(form.cleaned_data['lines'])} stagiaire(s).",
            )
            return _render_body(request, statement)
    return _render_body(request, statement, bound={"presence": form})


def _line(request, pk) -> AttendanceLine:
    return get_object_or_404(AttendanceLine.objects.for_tenant(request.tenant), pk=pk)


def absence_add(request, pk):
    """GET: the absence form of one trainee (htmx, inside the row); POST: saves it."""
    require_provider(request)
    line = _line(request, pk)
    form = forms.AbsenceForm(request.POST or None, line=line)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.add_absence(
                line,
                reason=data["reason"],
                start=data["start"],
                end=data["end"],
                place=data["place"],
                hours=data["hours"],
                legal_leave_kind=data["legal_leave_kind"],
            )
        except ValidationError as exc:
            add_errors(form, exc)
        except PermissionDenied as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, f"Absence enregistrée pour {line.enrollment.trainee}.")
            response = _render_body(request, line.statement)
            if _is_htmx(request):  # the form asked to swap itself: the whole body changes
                response["HX-Retarget"] = "#statement-body"
                response["HX-Reswap"] = "innerHTML"
            return response
    template = "attendance/_absence_form.html" if _is_htmx(request) else "attendance/absence.html"
    return render(request, template, {"form": form, "line": line})


@require_POST
def absence_delete(request, pk):
    require_provider(request)
    absence = get_object_or_404(Absence.objects.for_tenant(request.tenant), pk=pk)
    statement = absence.line.statement
    try:
        services.delete_absence(absence)
    except PermissionDenied as exc:
        messages.error(request, str(exc))
    return _render_body(request, statement)


@require_POST
def part_time_save(request, pk):
    require_provider(request)
    line = _line(request, pk)
    form = forms.PartTimeForm(
        request.POST, line=line, weeks=services.weeks_of_month(line.statement.month)
    )
    if form.is_valid():
        try:
            services.save_part_time(
                line,
                form.weekly_hours(),
                form.cleaned_data["days_present"],
                confirm_over=form.confirmed_weeks(),
            )
        except NeedsConfirmation as exc:
            form.ask_confirmation(exc)
        except ValidationError as exc:
            form.add_service_errors(exc)
        except PermissionDenied as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, f"Heures enregistrées pour {line.enrollment.trainee}.")
            return _render_body(request, line.statement, tab="part")
    return _render_body(request, line.statement, bound={line.pk: form}, tab="part")


@require_POST
def validate(request, pk):
    """Validates the checked trainees (or one): the engine computes each month's amount."""
    require_provider(request)
    statement = _statement(request, pk)
    ids = [n for n in map(id_or_none, request.POST.getlist("lines")) if n is not None]
    lines = list(
        statement.lines.filter(pk__in=ids)
        .select_related("enrollment__trainee", "dossier__region")
        .prefetch_related("absences")
    )
    if not lines:
        messages.error(request, "Cochez les stagiaires à valider.")
    else:
        try:
            done = services.validate_lines(lines, request.user)
            messages.success(request, f"{len(done)} stagiaire(s) validé(s).")
        except ValidationError as exc:
            _messages_from(request, exc)
    return _render_body(request, statement)


def reopen(request, pk):
    require_agent(request)
    line = _line(request, pk)
    form = forms.ReopenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.reopen_line(line, request.user, form.cleaned_data["reason"])
        except ValidationError as exc:
            _messages_from(request, exc)
        else:
            messages.success(request, f"La ligne de {line.enrollment.trainee} est rouverte.")
        return redirect("attendance:statement", pk=line.statement_id)
    return render(request, "attendance/reopen.html", {"form": form, "line": line})


def certificate(request, pk):
    """« Certificat de validation » (PDF): trainees who entered, left or were absent."""
    statement = _statement(request, pk)
    first = statement.month
    rows = []
    for line in statement.lines.select_related("enrollment__trainee").prefetch_related("absences"):
        e = line.enrollment
        entered = e.entry_date >= first
        left = e.exit_date is not None and e.exit_date.replace(day=1) == first
        absences = list(line.absences.all())
        if entered or left or absences or line.presence in ("absent_month", "period"):
            rows.append({"line": line, "entered": entered, "left": left, "absences": absences})
    from weasyprint import HTML

    html = render_to_string(
        "attendance/certificate_pdf.html",
        {
            "statement": statement,
            "rows": rows,
            "now": timezone.localtime(),
            "validated": statement.lines.filter(status="validated").count(),
            "total": statement.lines.count(),
        },
        request=request,
    )
    pdf = HTML(string=html).write_pdf()
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = (
        f'inline; filename="certificat-{statement.action.number}-{statement.month:%Y-%m}.pdf"'
    )
    return response


def late(request):
    """Agents: late statements of the region, per provider (a page of months at a time)."""
    require_agent(request)
    late = selectors.late_statements(request.tenant)
    page, query = paginate(request, late, 100)
    return render(
        request,
        "attendance/late.html",
        {
            "groups": selectors.by_provider(page, late.per_provider() if late else {}),
            "page": page,
            "query": query,
        },
    )


# -- dropouts --------------------------------------------------------------------------------


def withdrawal_declare(request, pk):
    require_provider(request)
    enrollment = get_object_or_404(Enrollment.objects.for_tenant(request.tenant), pk=pk)
    form = forms.WithdrawalForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.declare_withdrawal(enrollment, user=request.user, **form.cleaned_data)
        except ValidationError as exc:
            add_errors(form, exc)
        else:
            messages.success(request, "L'abandon est déclaré ; la Région va le valider.")
            return redirect("attendance:trainees", pk=enrollment.action_id)
    return render(
        request, "attendance/withdrawal_form.html", {"form": form, "enrollment": enrollment}
    )


def withdrawal_list(request):
    require_agent(request)
    withdrawals = Withdrawal.objects.for_tenant(request.tenant).select_related(
        "decided_by", "enrollment__trainee", "enrollment__action__provider"
    )
    return render(
        request,
        "attendance/withdrawal_list.html",
        {
            "pending": withdrawals.filter(status="declared"),
            "decided": withdrawals.exclude(status="declared")[:50],
        },
    )


def withdrawal_decide(request, pk):
    require_agent(request)
    withdrawal = get_object_or_404(Withdrawal.objects.for_tenant(request.tenant), pk=pk)
    form = forms.WithdrawalDecisionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.decide_withdrawal(
                withdrawal,
                accept=form.cleaned_data["decision"] == "accept",
                comment=form.cleaned_data["decision_comment"],
                user=request.user,
            )
        except ValidationError as exc:
            for field, errors in getattr(exc, "message_dict", {None: exc.messages}).items():
                for error in errors:
                    form.add_error(field if field in form.fields else None, error)
        else:
            messages.success(request, "La décision est enregistrée.")
            return redirect("attendance:withdrawals")
    # What validating would claim from the trainee, computed now and written nowhere.
    claim = services.exit_preview(withdrawal) if withdrawal.status == "declared" else None
    return render(
        request,
        "attendance/withdrawal_decide.html",
        {"form": form, "withdrawal": withdrawal, "claim": claim},
    )


# -- bulk import ---------------------------------------------------------------------------


def import_declarations(request, pk):
    """Upload of a CSV or XLSX file of the month's declarations: all or nothing."""
    require_provider(request)
    statement = _statement(request, pk)
    form = forms.ImportForm(request.POST or None, request.FILES or None)
    errors, applied = [], None
    if request.method == "POST" and form.is_valid():
        try:
            rows = read_rows(form.cleaned_data["file"])
        except ValidationError as exc:
            form.add_error("file", exc)
        else:
            if not rows:
                form.add_error("file", "Le fichier ne contient aucune ligne.")
            else:
                applied, errors = declarations.apply_rows(statement, rows)
                if not errors:
                    messages.success(request, f"{applied} déclaration(s) importée(s).")
                    return redirect("attendance:statement", pk=statement.pk)
    return render(
        request,
        "attendance/import.html",
        {
            "statement": statement,
            "form": form,
            "errors": errors,
        },
    )


def import_template(request):
    response = HttpResponse(
        declarations.template_workbook(request.tenant.region),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    response["Content-Disposition"] = 'attachment; filename="modele-declarations-presence.xlsx"'
    return response
