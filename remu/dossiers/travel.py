"""An RS1 trainee's travel situation (distance home – training place, lodging away from home)
from a date: the engine's input for the transport and housing allowances (RULES.md §4).

The first situation applies from the entry; a later one records a move. A month is paid with
the situation in force on its first paid day (the month's first day, or the entry day): a move
dated the 1st changes that month, a move during a month changes the allowance from the next
one (the engine pays one distance a month)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction

from .models import Dossier, TravelSituation


@dataclass(frozen=True, slots=True)
class Travel:
    valid_from: dt.date
    distance_km: Decimal
    housing: bool


def in_force(situations: list[Travel], day: dt.date) -> Travel | None:
    """The situation in force on `day` among situations sorted by date; before the first one
    (an entry date moved earlier), the first one."""
    found = situations[0] if situations else None
    for situation in situations:
        if situation.valid_from <= day:
            found = situation
    return found


def situations_of(dossier) -> list[Travel]:
    return [
        Travel(*row)
        for row in dossier.travel_situations.order_by("valid_from").values_list(
            "valid_from", "distance_km", "housing"
        )
    ]


def may_record(dossier, user) -> bool:
    """Agents of the region (any time), providers while the dossier is editable."""
    if dossier.kind != Dossier.Kind.RS1:
        return False
    if user.is_agent:
        return dossier.status != Dossier.Status.REJECTED
    return dossier.is_editable_by_provider


@transaction.atomic
def save_first(dossier, *, distance_km, justification, housing, user) -> TravelSituation:
    """The situation at entry, from the RS1 form: created once, then updated in place."""
    if not may_record(dossier, user):
        raise PermissionDenied("Ce dossier n'est plus modifiable.")
    Dossier.objects.select_for_update().get(pk=dossier.pk)
    first = dossier.travel_situations.order_by("valid_from").first()
    if first is None:
        first = TravelSituation(dossier=dossier, valid_from=dossier.enrollment.entry_date)
    first.distance_km, first.distance_justification, first.housing = (
        distance_km,
        justification,
        housing,
    )
    first.recorded_by = user
    first.save()
    return first


@transaction.atomic
def add_move(dossier, *, valid_from, distance_km, justification, housing, user) -> TravelSituation:
    """A later situation (a move during the training), from its date."""
    if not may_record(dossier, user):
        raise PermissionDenied("Vous ne pouvez pas modifier la situation de ce dossier.")
    Dossier.objects.select_for_update().get(pk=dossier.pk)
    enrollment = dossier.enrollment
    first = dossier.travel_situations.order_by("valid_from").first()
    if first is None:
        raise ValidationError(
            {"valid_from": "Renseignez d'abord la distance et l'hébergement à l'entrée."}
        )
    if valid_from <= first.valid_from:
        raise ValidationError(
            {"valid_from": f"La date doit suivre celle de l'entrée ({first.valid_from:%d/%m/%Y})."}
        )
    if enrollment.exit_date and valid_from > enrollment.exit_date:
        raise ValidationError({"valid_from": "La date suit la sortie du stagiaire."})
    if dossier.travel_situations.filter(valid_from=valid_from).exists():
        raise ValidationError({"valid_from": "Une situation est déjà enregistrée à cette date."})
    return TravelSituation.objects.create(
        dossier=dossier,
        valid_from=valid_from,
        distance_km=distance_km,
        distance_justification=justification,
        housing=housing,
        recorded_by=user,
    )
