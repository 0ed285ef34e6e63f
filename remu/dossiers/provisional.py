"""Provisional admission at the minimum rate (seed 001 §2.2): « en l'absence des pièces
annexes requises, [...] une première mise en paiement sur la base du taux minimum ». An agent
admits with the region's minimum category (`provisional_admission_category`, a dated option),
the dossier marked provisional; « confirmer l'admission » later sets the final category, and
the next run regularises every month paid (the ledger recomputes them with it)."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from remu.rules.parameters import CATEGORIES
from remu.scales.selectors import engine

from .models import Dossier, DossierTransition

PROVISIONAL_TEXT = "Admission provisoire au taux minimum (pièces annexes manquantes)"


def minimum_category(dossier: Dossier) -> str | None:
    """The region's category for a provisional admission at the entry, or None (not offered)."""
    entry = dossier.real_start or dossier.enrollment.entry_date
    return (
        engine(dossier.region)
        .options(dossier.region.parameter_set, entry)
        .get("provisional_admission_category")
    )


def provisional_category(dossier: Dossier, reason: str) -> tuple[str, str]:
    """The category and the history's reason of a provisional admission."""
    category = minimum_category(dossier)
    if category is None:
        raise ValidationError(
            {"provisional": "La Région ne prévoit pas d'admission provisoire au taux minimum."}
        )
    text = f"{PROVISIONAL_TEXT} : {CATEGORIES[category]}"
    return category, f"{text}. {reason.strip()}" if reason.strip() else text


@transaction.atomic
def confirm_admission(dossier: Dossier, user, *, category: str, reason: str = "") -> None:
    """Fixes the final category of a provisionally admitted dossier (row locked, state
    re-checked); the history says from which category to which."""
    current = (
        Dossier.objects.select_for_update()
        .values_list("status", "provisional", "rate_category")
        .get(pk=dossier.pk)
    )
    if current[:2] != (Dossier.Status.ADMITTED, True):
        raise ValidationError("Ce dossier n'est pas admis à titre provisoire.")
    if category not in CATEGORIES:
        raise ValidationError({"category": "Catégorie inconnue."})
    before = current[2]
    dossier.rate_category = category
    dossier.provisional = False
    dossier.category_reason = reason.strip()
    from .services import missing_documents  # services imports this module

    if dossier.complete_on is None and not missing_documents(dossier):
        dossier.complete_on = timezone.localdate()  # the annexes are in: complete from today
    fields = ["rate_category", "provisional", "category_reason", "complete_on", "updated_at"]
    dossier.save(update_fields=fields)
    text = (
        f"Admission confirmée : {CATEGORIES[category]} (au lieu de {CATEGORIES[before]} à titre "
        "provisoire) ; les mois déjà payés sont régularisés à la prochaine série"
    )
    from . import decisions  # imports services, which imports this module

    # The final « décision de prise en charge »: a new version with the confirmed category.
    decision = decisions.issue_on_admission(dossier, user)
    if decision is not None:
        text += f" ; décision de prise en charge définitive n° {decision.number}"
    DossierTransition.objects.create(
        dossier=dossier,
        from_status=Dossier.Status.ADMITTED,
        to_status=Dossier.Status.ADMITTED,
        by=user,
        reason=f"{text}. {reason.strip()}" if reason.strip() else text,
    )
