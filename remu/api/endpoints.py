"""The providers' JSON API: providers' software declares attendance without typing.
Authentication: « Authorization: Bearer <token> » with a token from the provider's page.
OpenAPI documentation at /api/docs."""

from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404
from django.utils import timezone
from ninja import NinjaAPI, Status
from ninja.security import HttpBearer

from remu.actions.selectors import actions_for
from remu.attendance import declarations, selectors, services
from remu.core.tenancy import Tenant
from remu.execution import registrations

from . import errors, schemas
from .invoicing_endpoints import router as invoicing_router
from .models import ApiToken, hash_token


class TokenAuth(HttpBearer):
    def authenticate(self, request, token):
        found = (
            ApiToken.objects.active()
            .select_related("provider__region")
            .filter(key_hash=hash_token(token))
            .first()
        )
        if found is None:
            return None
        ApiToken.objects.filter(pk=found.pk).update(last_used_at=timezone.now())
        request.tenant = Tenant(region=found.provider.region, provider=found.provider)
        return found


api = NinjaAPI(
    title="Remu – API des organismes de formation",
    version="1",
    description=__doc__,
    auth=TokenAuth(),
    urls_namespace="api",
)
errors.install(api)
# The invoicing endpoints live in their own module, a Router that needs nothing from this one.
api.add_router("/", invoicing_router)


def _statement_out(statement):
    return {
        "id": statement.pk,
        "action_id": statement.action_id,
        "month": statement.month,
        "lines_to_validate": statement.lines.filter(status="draft").count(),
    }


@api.get("/actions", response=list[schemas.ActionOut], summary="Les actions de l'organisme")
def list_actions(request):
    return list(actions_for(request.tenant).order_by("number"))


@api.get(
    "/actions/{action_id}/statements",
    response=list[schemas.StatementOut],
    summary="Les états de présence d'une action",
)
def list_statements(request, action_id: int):
    action = get_object_or_404(actions_for(request.tenant), pk=action_id)
    return [_statement_out(s) for s in action.statements.order_by("-month")]


@api.post(
    "/actions/{action_id}/statements",
    response={201: schemas.StatementOut, 409: schemas.ErrorsOut},
    summary="Créer l'état de présence du mois suivant",
)
def create_statement(request, action_id: int):
    action = get_object_or_404(actions_for(request.tenant), pk=action_id)
    try:
        statement = services.create_statement(action, request.auth.created_by)
    except ValidationError as exc:
        return Status(409, {"detail": " ".join(exc.messages)})
    return Status(201, _statement_out(statement))


@api.get(
    "/statements/{statement_id}",
    response=schemas.StatementDetailOut,
    summary="Un état de présence et ses lignes",
)
def get_statement(request, statement_id: int):
    statement = get_object_or_404(selectors.statements_for(request.tenant), pk=statement_id)
    lines = statement.lines.select_related("dossier", "enrollment__trainee").prefetch_related(
        "absences"
    )
    return {
        **_statement_out(statement),
        "lines": [
            {
                "id": line.pk,
                "dossier": line.dossier.number if line.dossier_id else None,
                "paid_by_region": line.paid,
                "trainee": line.enrollment.trainee.full_name,
                "full_time": line.full_time,
                "status": line.status,
                "presence": line.presence,
                "period_start": line.period_start,
                "period_end": line.period_end,
                "weekly_hours_present": line.weekly_hours_present,
                "days_present": line.days_present,
                "absences": list(line.absences.all()),
                "paid_thirtieths": line.paid_thirtieths,
                "paid_hours": line.paid_hours,
                "amount": line.amount,
            }
            for line in lines
        ],
    }


@api.post(
    "/statements/{statement_id}/declarations",
    response={200: schemas.DeclarationsResult, 422: schemas.ErrorsOut},
    summary="Déclarer présences, absences et heures (tout ou rien)",
)
def declare(request, statement_id: int, rows: list[schemas.Declaration]):
    statement = get_object_or_404(selectors.statements_for(request.tenant), pk=statement_id)
    applied, errors = declarations.apply_rows(statement, [row.dict() for row in rows], first_row=1)
    if errors:
        return Status(
            422,
            {
                "detail": "Rien n'a été enregistré : des déclarations sont en erreur.",
                "errors": [e.as_dict() for e in errors],
            },
        )
    return Status(200, {"applied": applied})


@api.post(
    "/statements/{statement_id}/validate",
    response={200: schemas.ValidateOut, 422: schemas.ErrorsOut},
    summary="Valider des lignes (le montant est calculé par le moteur de règles)",
)
def validate(request, statement_id: int, body: schemas.ValidateIn):
    statement = get_object_or_404(selectors.statements_for(request.tenant), pk=statement_id)
    lines = list(statement.lines.filter(pk__in=body.lines))
    try:
        done = services.validate_lines(lines, request.auth.created_by)
    except (ValidationError, PermissionDenied) as exc:
        return Status(422, {"detail": " ".join(getattr(exc, "messages", [str(exc)]))})
    return Status(200, {"validated": [line.pk for line in done]})


@api.post(
    "/actions/{action_id}/registrations",
    response={201: schemas.RegistrationsResult, 422: schemas.ErrorsOut},
    summary="Inscrire des stagiaires sur une action (tout ou rien)",
)
def register_trainees(request, action_id: int, rows: list[schemas.Registration]):
    """Registers the trainees (the « fiche d'entrée »); a market action's trainees get their
    pre-filled draft RS1. The action's headcounts are checked."""
    action = get_object_or_404(actions_for(request.tenant), pk=action_id)
    done, errors = registrations.apply_rows(
        action, [row.dict() for row in rows], request.auth.created_by, first_row=1
    )
    if errors:
        return Status(
            422,
            {
                "detail": "Personne n'a été inscrit : des lignes sont en erreur.",
                "errors": [e.as_dict() for e in errors],
            },
        )
    return Status(201, {"registered": done})
