"""One person is one `Trainee` per region: a dossier whose NIR is already a trainee's of the
region joins that person, once the identity typed matches theirs (names and birth date).

The provider typing the NIR learns nothing else: a mismatch gets the same neutral message
whether the number is unknown to the person or belongs to someone else, and a match only
replaces the person's record with what this provider typed (the person's latest details).
"""

from __future__ import annotations

import unicodedata

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from remu.core import crypto
from remu.trainees.models import Trainee

MISMATCH = "Ce numéro de sécurité sociale ne correspond pas à l'identité saisie."
# What the typed record never carries over: identity of the row and its bookkeeping.
KEPT_FIELDS = {"id", "region", "created_at"}


def _plain(text: str) -> str:
    """« Éloïse-Marie  » -> « ELOISE MARIE »: case, accents, hyphens and spaces aside."""
    decomposed = unicodedata.normalize("NFKD", text or "")
    letters = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(letters.replace("-", " ").replace("'", " ").upper().split())


def same_person(a: Trainee, b: Trainee) -> bool:
    """Same birth name, first first name and birth date."""
    first = lambda t: (_plain(t.first_names).split() or [""])[0]  # noqa: E731
    return (
        _plain(a.birth_name) == _plain(b.birth_name)
        and first(a) == first(b)
        and a.birth_date == b.birth_date
    )


def save_trainee(dossier, trainee: Trainee) -> Trainee:
    """Saves the trainee typed on the dossier; when the NIR is another trainee's of the region,
    the dossier's enrollment moves to that person (ValidationError on the NIR otherwise).
    Returns the trainee the dossier now belongs to."""
    other = (
        Trainee.objects.select_for_update()
        .filter(region_id=trainee.region_id, nir_hash=crypto.nir_hash(trainee.nir or ""))
        .exclude(nir_hash="")
        .exclude(pk=trainee.pk)
        .first()
    )
    if other is None:
        try:
            with transaction.atomic():
                trainee.save()
        except IntegrityError:  # saved meanwhile by another request: same neutral answer
            raise ValidationError({"nir": MISMATCH}) from None
        return trainee
    if not same_person(trainee, other):
        raise ValidationError({"nir": MISMATCH})
    for field in Trainee._meta.concrete_fields:
        if field.name not in KEPT_FIELDS:
            setattr(other, field.attname, getattr(trainee, field.attname))
    other.save()
    enrollment = dossier.enrollment
    if other.enrollments.filter(
        action=enrollment.action, entry_date=enrollment.entry_date
    ).exists():
        raise ValidationError(
            {"nir": "Cette personne est déjà inscrite à cette action à cette date."}
        )
    enrollment.trainee = other
    enrollment.save(update_fields=["trainee", "updated_at"])
    if trainee.pk and not trainee.enrollments.exists():
        trainee.delete()  # the placeholder typed for this dossier, now the person's
    dossier.enrollment = enrollment
    return other
