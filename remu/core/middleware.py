"""Request-wide input guards, before any view reads a parameter."""

from django.http import HttpResponseBadRequest

NUL_MESSAGE = "Requête refusée : un paramètre contient un caractère nul."


class RejectNulBytesMiddleware:
    """A NUL character in the path or a query parameter answers 400: PostgreSQL refuses it in
    any text (a search with « %00 » was a 500), and no person types one. Posted form fields are
    left to the forms, which say so next to the field (Django's CharField refuses it)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if "\x00" in request.path or _has_nul(request.GET):
            return HttpResponseBadRequest(NUL_MESSAGE, content_type="text/plain; charset=utf-8")
        return self.get_response(request)


def _has_nul(params) -> bool:
    return any("\x00" in key or any("\x00" in v for v in values) for key, values in params.lists())
