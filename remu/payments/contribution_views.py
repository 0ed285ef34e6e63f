"""The agents' monthly summary of the social contributions the region pays (per programme, for
its declaration), on the page and as an Excel file."""

import datetime as dt
import io

from django.http import HttpResponse
from django.shortcuts import render
from django.utils import timezone

from remu.core.forms import StyledForm
from remu.core.tabular import safe_append
from remu.core.tenancy import require_agent
from remu.core.views_generic import paginate
from remu.scales.forms import MonthField

from . import contributions
from .models import SocialContribution

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class MonthForm(StyledForm):
    mois = MonthField(label="Mois")


def _month(request) -> tuple[MonthForm, dt.date]:
    """The month asked (the previous one by default, or when the answer is not a month)."""
    today = timezone.localdate()
    default = (today.replace(day=1) - dt.timedelta(days=1)).replace(day=1)
    form = MonthForm(request.GET if "mois" in request.GET else None, initial={"mois": default})
    month = form.cleaned_data["mois"] if form.is_valid() else default
    return form, month


def summary(request):
    require_agent(request)
    form, month = _month(request)
    scoped = SocialContribution.objects.for_tenant(request.tenant)
    page, query = paginate(request, contributions.monthly_summary(scoped, month), per_page=50)
    return render(
        request,
        "payments/contributions.html",
        {
            "form": form,
            "month": month,
            "page": page,
            "query": query,
            "totals": contributions.month_totals(scoped, month),
        },
    )


def summary_xlsx(request):
    """The month's summary per programme, and every trainee's row on a second sheet (text a
    spreadsheet would read as a formula is written as text: core.tabular.safe_append)."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    require_agent(request)
    _, month = _month(request)
    scoped = SocialContribution.objects.for_tenant(request.tenant)
    book = Workbook()
    sheet = book.active
    sheet.title = "Par dispositif"
    sheet.append(
        [
            "Dispositif",
            "Stagiaires",
            "Dont protection sociale seule",
            "Heures",
            "Base horaire",
            "Cotisations",
        ]
    )
    for row in contributions.monthly_summary(scoped, month):
        safe_append(
            sheet,
            [
                row["enrollment__action__programme__name"],
                row["trainees"],
                row["p2s"],
                row["hours"],
                row["base"],
                row["amount"],
            ],
        )
    trainees = book.create_sheet("Par stagiaire")
    trainees.append(
        [
            "Nom",
            "Prénoms",
            "NIR",
            "Action",
            "Dispositif",
            "Situation",
            "Heures",
            "Base horaire",
            "Cotisations",
        ]
    )
    for c in (
        scoped.filter(month=month)
        .select_related("enrollment__trainee", "enrollment__action__programme")
        .order_by("enrollment__trainee__birth_name", "enrollment_id")
    ):
        trainee, action = c.enrollment.trainee, c.enrollment.action
        safe_append(
            trainees,
            [
                trainee.last_name,
                trainee.first_names,
                trainee.nir,
                action.number,
                action.programme.name,
                c.get_kind_display(),
                c.hours,
                c.base,
                c.amount,
            ],
        )
    for each in (sheet, trainees):
        for cell in each[1]:
            cell.font = Font(bold=True)
    out = io.BytesIO()
    book.save(out)
    response = HttpResponse(out.getvalue(), content_type=XLSX)
    name = f"cotisations-sociales-{month:%Y-%m}.xlsx"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response
