"""Rules administrators add dated versions of their region's scale."""

import datetime as dt
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction

from remu.rules.parameters import ParameterError, Version, version_from_raw, version_to_raw

from .models import ScaleVersion


def require_rules_admin(user) -> None:
    if not (user.is_agent and user.is_rules_admin):
        raise PermissionDenied("Réservé aux administrateurs des règles de la Région.")


def revalued(base: Version, start: dt.date, coefficient: Decimal, label: str) -> Version:
    """The version a revaluation by coefficient would create (for the preview and the save)."""
    raw = {"from": start, "label": label, "revaluation": {"coefficient": str(coefficient)}}
    return version_from_raw(raw, base, base.set_code, "revalorisation")


def edited(base: Version, start: dt.date, label: str, amounts: dict) -> Version:
    """A new version with the base's age bands and the amounts an agent typed."""
    raw = version_to_raw(base)
    raw.update({"from": start, "label": label, "amounts": amounts})
    try:
        return version_from_raw(raw, base, base.set_code, "nouvelle version")
    except ParameterError as exc:
        raise ValidationError(str(exc)) from exc


@transaction.atomic
def store_version(*, region, version: Version, user) -> ScaleVersion:
    require_rules_admin(user)
    raw = version_to_raw(version)
    row = ScaleVersion(
        region=region,
        start=version.start,
        label=version.label,
        age_bands=raw["age_bands"],
        amounts=raw["amounts"],
        coefficient=version.coefficient,
        derived_from=version.derived_from,
        created_by=user,
    )
    row.full_clean()
    row.save()
    return row
