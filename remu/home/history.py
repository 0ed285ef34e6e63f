"""The change history of a trainee and of their dossiers (django-simple-history), as the
region's rules administrators read it on the trainee's page: who changed what, and when. The
fields changed are named, never their values (the NIR and the IBAN stay out of the page; in
the history tables they stay encrypted)."""

from __future__ import annotations

from dataclasses import dataclass, field

from remu.dossiers.models import Dossier
from remu.trainees.models import Trainee

KINDS = {"+": "Création", "~": "Modification", "-": "Suppression"}
SKIPPED = {"id", "nir_hash"}  # the hash follows the NIR: named once, as the NIR


@dataclass
class Change:
    at: object
    user: object
    subject: str
    kind: str
    fields: list[str] = field(default_factory=list)


def _tracked(model) -> list:
    return [
        f
        for f in model.history.model._meta.fields
        if not f.name.startswith("history_") and f.name not in SKIPPED
    ]


def _changes(records, model, subject) -> list[Change]:
    fields = _tracked(model)
    previous, out = {}, []
    for record in records:
        before = previous.get(record.id)
        changed = (
            [
                str(f.verbose_name)
                for f in fields
                if getattr(record, f.attname) != getattr(before, f.attname)
            ]
            if before is not None
            else []
        )
        previous[record.id] = record
        if before is not None and not changed and record.history_type == "~":
            continue  # saved without a change
        out.append(
            Change(
                record.history_date,
                record.history_user,
                subject(record),
                KINDS[record.history_type],
                changed,
            )
        )
    return out


def trainee_changes(tenant, trainee: Trainee) -> list[Change]:
    """Newest first; the trainee's record and their dossiers' visible to the tenant (two
    queries)."""
    order = ("history_date", "history_id")
    people = trainee.history.select_related("history_user").order_by(*order)
    dossiers = (
        Dossier.history.filter(
            id__in=Dossier.objects.for_tenant(tenant)
            .filter(enrollment__trainee=trainee)
            .values("pk")
        )
        .select_related("history_user")
        .order_by(*order)
    )
    changes = _changes(people, Trainee, lambda r: "Fiche du stagiaire") + _changes(
        dossiers, Dossier, lambda r: f"Dossier {r.number or r.kind + ' (brouillon)'}"
    )
    return sorted(changes, key=lambda c: c.at, reverse=True)
