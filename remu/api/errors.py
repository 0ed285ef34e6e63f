"""The API's error answers in French, like the UI: ninja's defaults are English."""

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.http import Http404
from ninja.errors import AuthenticationError, AuthorizationError, HttpError, Throttled
from ninja.errors import ValidationError as NinjaValidationError

# Pydantic's error types (https://docs.pydantic.dev/latest/errors/validation_errors/).
MESSAGES = {
    "missing": "champ obligatoire",
    "int_parsing": "nombre entier attendu",
    "int_type": "nombre entier attendu",
    "int_from_float": "nombre entier attendu",
    "decimal_parsing": "nombre décimal attendu",
    "decimal_type": "nombre décimal attendu",
    "float_parsing": "nombre attendu",
    "bool_parsing": "booléen attendu (true ou false)",
    "bool_type": "booléen attendu (true ou false)",
    "string_type": "texte attendu",
    "string_too_long": "texte trop long",
    "date_parsing": "date attendue (AAAA-MM-JJ)",
    "date_from_datetime_parsing": "date attendue (AAAA-MM-JJ)",
    "date_type": "date attendue (AAAA-MM-JJ)",
    "list_type": "liste attendue",
    "dict_type": "objet attendu",
    "model_attributes_type": "objet attendu",
    "json_invalid": "JSON invalide",
    "extra_forbidden": "champ inconnu",
    "enum": "valeur non autorisée",
    "literal_error": "valeur non autorisée",
}
INVALID = "valeur invalide"
WHERE = {"body": "corps", "query": "paramètre", "path": "chemin", "header": "en-tête"}


def french_error(error: dict) -> dict:
    """{"type": "missing", "loc": ["body", "rows", 0, "type"], "msg": "Field required"} ->
    the same with « champ obligatoire » and the field named: « corps → rows[0].type »."""
    loc = list(error.get("loc", ()))
    place = WHERE.get(loc[0], str(loc[0])) if loc else ""
    path = ""
    for part in loc[1:]:
        path += f"[{part}]" if isinstance(part, int) else f".{part}" if path else str(part)
    return {
        "type": error.get("type", ""),
        "loc": loc,
        "msg": MESSAGES.get(error.get("type"), INVALID),
        "champ": f"{place} → {path}" if path else place,
    }


def install(api) -> None:
    """Replaces ninja's English answers on `api` (404, 401, 403, 413, 422, 429)."""

    def answer(request, detail, status):
        return api.create_response(request, {"detail": detail}, status=status)

    @api.exception_handler(NinjaValidationError)
    def invalid(request, exc):
        return answer(request, [french_error(e) for e in exc.errors], 422)

    @api.exception_handler(Http404)
    def not_found(request, exc):
        return answer(request, "Introuvable (ou d'un autre organisme).", 404)

    @api.exception_handler(AuthenticationError)
    def unauthenticated(request, exc):
        return answer(request, "Jeton d'accès manquant ou invalide.", 401)

    @api.exception_handler(AuthorizationError)
    def forbidden(request, exc):
        return answer(request, "Accès refusé.", 403)

    @api.exception_handler(Throttled)
    def throttled(request, exc):
        return answer(request, "Trop de requêtes : réessayez plus tard.", 429)

    @api.exception_handler(RequestDataTooBig)
    def too_big(request, exc):
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE / 1024 / 1024
        detail = (
            f"Corps de la requête trop volumineux (au plus {limit:.0f} Mo) : "
            "envoyez moins de lignes à la fois."
        )
        return answer(request, detail, 413)

    @api.exception_handler(HttpError)
    def http_error(request, exc):
        return answer(request, str(exc), exc.status_code)
