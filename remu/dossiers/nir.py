"""The NIR (social security number): pre-filling from civil status, provisional numbers, and
its coherence with the trainee's sex, birth date and birth place (seed 000, seed 001 §2.3)."""

from __future__ import annotations

import datetime as dt

from stdnum.fr import nir as stdnum_nir


def compact(value: str) -> str:
    return "".join(value.split()).upper()


def prefix(
    civility: str,
    birth_date: dt.date | None,
    birth_insee: str | None,
    born_abroad_country_code: str | None = None,
) -> str:
    """The first 10 characters: sex, year, month, department and commune (99 + country code
    for people born abroad, when the INSEE country code is known)."""
    if birth_date is None or civility not in ("M", "MME"):
        return ""
    sex = "1" if civility == "M" else "2"
    head = f"{sex}{birth_date:%y}{birth_date:%m}"
    if birth_insee:
        return head + birth_insee
    if born_abroad_country_code:
        return head + "99" + born_abroad_country_code
    return head


def key_for(first_13: str) -> str:
    number = int(first_13.replace("2A", "19").replace("2B", "18"))
    return f"{97 - number % 97:02d}"


def is_provisional(value: str) -> bool:
    """A provisional number: the order number (characters 11 to 13) is « 000 »."""
    value = compact(value)
    return len(value) == 15 and value[10:13] == "000"


def coherence_errors(
    value: str, civility: str, birth_date: dt.date | None, birth_insee: str | None
) -> list[str]:
    """Why a NIR does not match the civil status (empty when it does)."""
    value = compact(value)
    if not value:
        return []
    if not stdnum_nir.is_valid(value):
        return [
            "Numéro de sécurité sociale invalide : 13 caractères et une clé de 2 chiffres "
            "(vérifiez la clé)."
        ]
    errors = []
    sex = value[0]
    if civility == "M" and sex not in "137":
        errors.append("Le premier chiffre (1) ne correspond pas à la civilité « Monsieur ».")
    if civility == "MME" and sex not in "248":
        errors.append("Le premier chiffre (2) ne correspond pas à la civilité « Madame ».")
    if birth_date is not None:
        if value[1:3] != f"{birth_date:%y}":
            errors.append(
                "L'année de naissance du numéro ne correspond pas à la date de naissance."
            )
        month = value[3:5]
        # 20 and above, or 99: the month was unknown at registration
        if month != f"{birth_date:%m}" and not (month == "99" or "20" <= month <= "42"):
            errors.append(
                "Le mois de naissance du numéro ne correspond pas à la date de naissance."
            )
    if birth_insee and value[5:7] not in ("99", birth_insee[:2]):  # born abroad: 99
        errors.append(
            "Le département de naissance du numéro ne correspond pas à la commune de naissance."
        )
    return errors
