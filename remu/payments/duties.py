"""Separation of duties on money (public accounting): the agent who prepared a payment run is
not the one who confirms its transfer file. A dated option of the region's parameter set,
`sepa_export_by_another_agent`, on by default."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.utils import timezone

from remu.scales.selectors import engine

REFUSED = (
    "Vous avez lancé cette série : son fichier SEPA doit être confirmé par un autre agent "
    "de la Région (séparation des tâches)."
)


def second_agent_required(region) -> bool:
    options = engine(region).options(region.parameter_set, timezone.localdate())
    return options.get("sepa_export_by_another_agent", True) is not False


def check_sepa_export(run, user) -> None:
    """Refuses the export to the agent who started the run, where the region requires it."""
    if run.created_by_id == user.pk and second_agent_required(run.region):
        raise ValidationError(REFUSED)
