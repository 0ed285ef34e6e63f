from django.core.exceptions import ValidationError
from stdnum.exceptions import ValidationError as StdnumError
from stdnum.fr import siret


def validate_siret(value: str) -> None:
    try:
        siret.validate(value)
    except StdnumError as exc:
        raise ValidationError(
            "Numéro SIRET invalide : 14 chiffres dont le dernier est une clé de contrôle.",
            code="invalid_siret",
        ) from exc
