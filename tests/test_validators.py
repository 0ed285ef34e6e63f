from datetime import date

import pytest
from django.core.exceptions import ValidationError

from remu.referential.validators import validate_siret
from remu.trainees.validators import validate_nir

from .factories import make_nir


@pytest.mark.parametrize("value", ["73282932000075", "12345678900012", "7328293200001"])
def test_invalid_siret_is_refused_in_french(value):
    with pytest.raises(ValidationError, match="Numéro SIRET invalide"):
        validate_siret(value)


def test_valid_siret():
    validate_siret("73282932000017")


def test_nir_key_is_checked():
    good = make_nir(2, date(1995, 5, 1), "45234", 1)
    validate_nir(good)
    wrong_key = good[:-2] + f"{(int(good[-2:]) + 1) % 97:02d}"
    for value in (wrong_key, good[:-1], "3" + good[1:]):
        with pytest.raises(ValidationError, match="sécurité sociale invalide"):
            validate_nir(value)


def test_corsican_nir_is_accepted():
    # 2A / 2B departments: the key is computed with 19 / 18 in place of 2A / 2B.
    body = "1800" + "5" + "2A" + "004" + "123"
    number = int(body.replace("2A", "19"))
    validate_nir(body + f"{97 - number % 97:02d}")
