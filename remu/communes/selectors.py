from .models import Commune


def communes_for_postal_code(code: str):
    """The communes a postal code serves, by name; nothing for a malformed code."""
    code = (code or "").strip()
    if len(code) != 5 or not code.isdigit():
        return Commune.objects.none()
    return Commune.objects.filter(postal_codes__code=code).distinct().order_by("name")
