from django.core.exceptions import ValidationError
from stdnum.exceptions import ValidationError as StdnumError
from stdnum.fr import nir


def validate_nir(value: str) -> None:
    try:
        nir.validate(value)
    except StdnumError as exc:
        raise ValidationError(
            "Numéro de sécurité sociale invalide : 13 caractères et une clé de 2 chiffres.",
            code="invalid_nir",
        ) from exc
