"""The providers' API for invoicing (issue 17): the hours realised of an action's month (the
same computation as the « Réalisé horaire » page), the confirmation of a month's declaration,
and the provider's invoices. Same token, same French errors as the rest of the API."""

import datetime as dt
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404
from django.utils import timezone
from ninja import Router, Schema, Status

from remu.actions.selectors import actions_for
from remu.invoicing import selectors, services

from . import schemas

router = Router(tags=["Réalisé et facturation"])


class HoursRowOut(Schema):
    enrollment_id: int
    trainee: str
    source: str
    corrected: bool
    centre_realised: Decimal
    centre_justified: Decimal
    centre_unjustified: Decimal
    company_realised: Decimal
    company_justified: Decimal
    company_unjustified: Decimal


class HoursOut(Schema):
    action_id: int
    month: dt.date
    confirmed: bool
    rows: list[HoursRowOut]


class ConfirmIn(Schema):
    month: dt.date


class ConfirmOut(Schema):
    action_id: int
    month: dt.date
    confirmed_late: bool


class InvoiceOut(Schema):
    id: int
    number: str
    action_id: int
    kind: str
    status: str
    total_ht: Decimal
    vat: Decimal
    total_ttc: Decimal
    issued_on: dt.date | None
    rejection_reason: str
    paid_on: dt.date | None


def _month(action, month: dt.date | None) -> dt.date:
    months = selectors.months_of(action)
    month = month.replace(day=1) if month else None
    if month not in months:
        today = timezone.localdate()
        ended = [m for m in months if services.next_month(m) <= today]
        month = ended[-1] if ended else months[0]
    return month


@router.get(
    "/actions/{action_id}/hours",
    response=HoursOut,
    summary="Le réalisé horaire d'un mois (calculé des états de présence, corrections comprises)",
)
def invoicing_hours(request, action_id: int, month: dt.date | None = None):
    action = get_object_or_404(actions_for(request.tenant).select_related("region"), pk=action_id)
    month = _month(action, month)
    data = selectors.ActionHours(action)
    declaration = data.declarations.get(month)
    return {
        "action_id": action.pk,
        "month": month,
        "confirmed": bool(declaration and declaration.status == "confirmed"),
        "rows": [
            {
                "enrollment_id": row.enrollment.pk,
                "trainee": row.enrollment.trainee.full_name,
                "source": row.source,
                "corrected": row.correction is not None,
                **row.hours.as_dict(),
            }
            for row in data.rows(month)
        ],
    }


@router.post(
    "/actions/{action_id}/declarations/confirm",
    response={200: ConfirmOut, 422: schemas.ErrorsOut},
    summary="Confirmer la déclaration de réalisé d'un mois (elle devient facturable)",
)
def confirm_declaration(request, action_id: int, body: ConfirmIn):
    action = get_object_or_404(actions_for(request.tenant).select_related("region"), pk=action_id)
    try:
        declaration = services.confirm_declaration(
            action, body.month.replace(day=1), request.auth.created_by
        )
    except ValidationError as exc:
        return Status(422, {"detail": " ".join(exc.messages)})
    return Status(
        200,
        {
            "action_id": action.pk,
            "month": declaration.month,
            "confirmed_late": declaration.confirmed_late,
        },
    )


@router.get("/invoices", response=list[InvoiceOut], summary="Les factures de l'organisme")
def list_invoices(request, limit: int = 100, offset: int = 0):
    limit, offset = max(1, min(limit, 500)), max(0, min(offset, 10**9))
    return list(
        selectors.invoices_for(request.tenant).order_by("-created_at", "-pk")[
            offset : offset + limit
        ]
    )
