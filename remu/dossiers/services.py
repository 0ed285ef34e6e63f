"""Operations that write dossiers: creation, numbering, saving, the lifecycle transitions
(each checked and logged), documents, reception and decision. All-or-nothing."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from remu.accounts.models import ProviderMembership
from remu.rules.calendar import age_on
from remu.rules.situation import Situation, propose_category
from remu.scales.selectors import engine
from remu.trainees.models import Enrollment, Trainee

from . import documents as docs
from . import nir
from .models import (
    DocumentRequest,
    Dossier,
    DossierNumberSequence,
    DossierTransition,
    SupportingDocument,
)

S = Dossier.Status
ALLOWED = {
    S.DRAFT: {S.SUBMITTED},
    S.SUBMITTED: {S.RECEIVED, S.DRAFT},
    S.RECEIVED: {S.ADMITTED, S.REJECTED},
}


class TransitionError(ValidationError):
    pass


def transition(dossier: Dossier, to: str, user, reason: str = "") -> None:
    """The only way a dossier changes status: checks the move, writes the history."""
    if to not in ALLOWED.get(dossier.status, set()):
        raise TransitionError(
            f"Un dossier « {dossier.get_status_display()} » ne peut pas passer au statut "
            f"« {Dossier.Status(to).label} »."
        )
    DossierTransition.objects.create(
        dossier=dossier, from_status=dossier.status, to_status=to, by=user, reason=reason
    )
    dossier.status = to
    dossier.save(update_fields=["status", "updated_at"])


def assign_number(dossier: Dossier) -> None:
    """CVL-2026-000123: unique per region and year, from a locked counter."""
    if dossier.number:
        return
    year = timezone.localdate().year
    sequence, _ = DossierNumberSequence.objects.get_or_create(region=dossier.region, year=year)
    sequence = DossierNumberSequence.objects.select_for_update().get(pk=sequence.pk)
    sequence.last += 1
    sequence.save(update_fields=["last"])
    dossier.number = f"{dossier.region.number_prefix}-{year}-{sequence.last:06d}"


@transaction.atomic
def create_blank(*, action, kind, birth_name, first_names, birth_date, user) -> Dossier:
    """Off-market actions: a new trainee, enrolled at the action's start, with a draft."""
    trainee = Trainee.objects.create(
        region=action.region,
        civility=Trainee.Civility.MRS,
        birth_name=birth_name.strip().upper(),
        first_names=first_names.strip(),
        birth_date=birth_date,
    )
    enrollment = Enrollment.objects.create(
        trainee=trainee, action=action, entry_date=action.start_date
    )
    dossier = Dossier(
        region=action.region,
        action=action,
        enrollment=enrollment,
        kind=kind,
        real_start=action.start_date,
        real_end=action.end_date,
        weekly_hours=action.weekly_hours,
    )
    assign_number(dossier)
    dossier.save()
    DossierTransition.objects.create(
        dossier=dossier, to_status=S.DRAFT, by=user, reason="Création du dossier"
    )
    return dossier


@transaction.atomic
def ensure_market_drafts(actions) -> int:
    """Market actions: a draft RS1 for every enrolled trainee who has none, pre-filled from the
    enrollment. Returns how many were created."""
    created = 0
    for action in actions:
        if action.kind != action.Kind.MARKET:
            continue
        for enrollment in action.enrollments.filter(dossiers__isnull=True):
            Dossier.objects.create(
                region=action.region,
                action=action,
                enrollment=enrollment,
                kind=Dossier.Kind.RS1,
                real_start=enrollment.entry_date,
                real_end=enrollment.exit_date or action.end_date,
                weekly_hours=action.weekly_hours,
            )
            created += 1
    return created


@transaction.atomic
def save_draft(dossier: Dossier, trainee: Trainee, user) -> Dossier:
    if not dossier.is_editable_by_provider:
        raise PermissionDenied("Ce dossier n'est plus modifiable.")
    trainee.nir = nir.compact(trainee.nir)
    trainee.save()
    first_save = not dossier.number
    assign_number(dossier)
    dossier.save()
    if first_save:
        DossierTransition.objects.create(
            dossier=dossier, to_status=S.DRAFT, by=user, reason="Premier enregistrement"
        )
    return dossier


def age_at_entry(dossier: Dossier) -> int | None:
    start = dossier.real_start or dossier.enrollment.entry_date
    return age_on(dossier.trainee.birth_date, start) if start else None


def required_documents(dossier: Dossier) -> list[str]:
    return docs.required_documents(dossier, age_at_entry(dossier))


def missing_documents(dossier: Dossier) -> list[str]:
    present = {d.doc_type for d in dossier.documents.all() if d.review != "refused"}
    return [d for d in required_documents(dossier) if d not in present]


def consistency_errors(dossier: Dossier) -> dict[str, list[str]]:
    """Every check « Valider » runs, by field, in French."""
    errors: dict[str, list[str]] = {}

    def add(field, message):
        errors.setdefault(field, []).append(message)

    trainee = dossier.trainee
    action = dossier.action
    if not dossier.real_start:
        add("real_start", "La date réelle de début est obligatoire.")
    if not dossier.real_end:
        add("real_end", "La date réelle de fin est obligatoire.")
    if dossier.real_start and dossier.real_end and dossier.real_end < dossier.real_start:
        add("real_end", "La date de fin doit suivre la date de début.")
    for name in ("real_start", "real_end"):
        value = getattr(dossier, name)
        if value and not action.start_date <= value <= action.end_date:
            add(
                name,
                f"La date doit être comprise dans les dates de l'action "
                f"({action.start_date:%d/%m/%Y} – {action.end_date:%d/%m/%Y}).",
            )
    if not dossier.weekly_hours:
        add("weekly_hours", "La durée hebdomadaire est obligatoire.")
    if not trainee.civility:
        add("civility", "La civilité est obligatoire.")
    for name, label in (
        ("birth_name", "Le nom de naissance"),
        ("first_names", "Le prénom"),
        ("address_line1", "L'adresse"),
        ("postal_code", "Le code postal"),
    ):
        if not getattr(trainee, name):
            add(name, f"{label} est obligatoire.")
    if trainee.postal_code and not trainee.commune_id:
        add("commune", "Choisissez la commune.")
    if not trainee.birth_commune_id and not trainee.birth_place:
        add(
            "birth_place",
            "Indiquez la commune de naissance, ou le lieu pour une naissance à l'étranger.",
        )
    age = age_at_entry(dossier)
    if age is not None and age < 16:
        add("birth_date", "Le stagiaire doit avoir au moins 16 ans à l'entrée en formation.")
    if not trainee.nir:
        add("nir", "Le numéro de sécurité sociale est obligatoire (numéro provisoire accepté).")
    else:
        birth_insee = trainee.birth_commune.insee_code if trainee.birth_commune_id else None
        for message in nir.coherence_errors(
            trainee.nir, trainee.civility, trainee.birth_date, birth_insee
        ):
            add("nir", message)
    if dossier.kind != Dossier.Kind.RS2 and not dossier.regime:
        add("regime", "Choisissez le régime de protection sociale.")
    if dossier.kind != Dossier.Kind.RS2 and not dossier.affiliation_centre:
        add("affiliation_centre", "Choisissez le centre d'affiliation.")
    if dossier.kind == Dossier.Kind.RS1:
        if dossier.registered_france_travail and not dossier.france_travail_id:
            add(
                "france_travail_id", "L'identifiant France Travail est obligatoire pour un inscrit."
            )
        if dossier.disabled_worker and not dossier.rqth_valid_until:
            add("rqth_valid_until", "Indiquez la date de fin de validité de la RQTH.")
        if dossier.non_salaried and not (dossier.non_salaried_from and dossier.non_salaried_to):
            add("non_salaried_from", "Indiquez les dates de l'activité non salariée.")
    if dossier.kind == Dossier.Kind.RS2 and not dossier.journeys.exists():
        add("journeys", "Déclarez au moins un trajet.")
    if action.kind == action.Kind.MARKET:
        missing = missing_documents(dossier)
        if missing:
            add(
                "documents",
                "Pièces obligatoires manquantes pour une action « marché » : "
                + ", ".join(docs.DOCUMENT_TYPES[d] for d in missing)
                + ".",
            )
    return errors


@transaction.atomic
def submit(dossier: Dossier, user) -> None:
    """« Valider » then confirm: the provider hands the dossier to the region."""
    errors = consistency_errors(dossier)
    if errors:
        raise ValidationError(errors)
    transition(dossier, S.SUBMITTED, user, "Validation par l'organisme")


@transaction.atomic
def delete_draft(dossier: Dossier) -> None:
    if dossier.status != S.DRAFT:
        raise PermissionDenied("Seul un brouillon peut être supprimé.")
    enrollment = dossier.enrollment
    for document in dossier.documents.all():
        document.file.delete(save=False)
    dossier.delete()
    # An off-market trainee exists through its dossier: remove it with its last dossier.
    if (
        enrollment.action.kind == enrollment.action.Kind.OFF_MARKET
        and not enrollment.dossiers.exists()
    ):
        trainee = enrollment.trainee
        enrollment.delete()
        if not trainee.enrollments.exists():
            trainee.delete()


SIGNED_FORM_STATUSES = (S.SUBMITTED, S.RECEIVED, S.ADMITTED)


def upload_refusal(dossier: Dossier) -> str:
    """Why a piece outside `uploadable_types` is refused, in French."""
    if dossier.status == S.REJECTED:
        return (
            "Ce dossier est rejeté : seules les pièces demandées par la Région peuvent y être "
            "ajoutées."
        )
    return (
        "Ce dossier est validé : seuls le formulaire signé et les pièces demandées par la "
        "Région peuvent être ajoutés."
    )


def uploadable_types(dossier: Dossier) -> list[str]:
    """The pieces the provider may add now: any to a draft; once validated, the signed form
    (until the decision, and after an admission) and what the region asked for."""
    if dossier.status == S.DRAFT:
        return list(docs.DOCUMENT_TYPES)
    requested = set(
        dossier.requests.filter(fulfilled_at__isnull=True).values_list("doc_type", flat=True)
    )
    if dossier.status in SIGNED_FORM_STATUSES:
        requested.add(docs.SIGNED_FORM)
    return [d for d in docs.DOCUMENT_TYPES if d in requested]


def signed_form_due(dossier: Dossier) -> bool:
    """Validated, and no signed form received yet (or only refused ones)."""
    return dossier.status in SIGNED_FORM_STATUSES and not any(
        d.doc_type == docs.SIGNED_FORM and d.review != "refused" for d in dossier.documents.all()
    )


@transaction.atomic
def upload(dossier: Dossier, doc_type: str, uploaded, user) -> SupportingDocument:
    """A supporting document, checked by its content (PDF, JPEG or PNG) and size, if the
    dossier's status (read under lock) lets the provider add this piece."""
    if doc_type not in docs.DOCUMENT_TYPES:
        raise ValidationError({"doc_type": "Type de pièce inconnu."})
    dossier.status = (
        Dossier.objects.select_for_update().values_list("status", flat=True).get(pk=dossier.pk)
    )
    if doc_type not in uploadable_types(dossier):
        raise ValidationError({"doc_type": upload_refusal(dossier)})
    if uploaded.size > docs.MAX_UPLOAD_BYTES:
        raise ValidationError({"file": "Le fichier dépasse 10 Mo."})
    head = uploaded.read(16)
    uploaded.seek(0)
    content_type = docs.sniff(head)
    if content_type is None:
        raise ValidationError(
            {
                "file": "Seuls les fichiers PDF, JPEG ou PNG sont acceptés (le "
                "contenu du fichier a été vérifié)."
            }
        )
    document = SupportingDocument(
        dossier=dossier,
        doc_type=doc_type,
        original_name=uploaded.name[:255],
        content_type=content_type,
        size=uploaded.size,
        uploaded_by=user,
    )
    document.file.save("upload", uploaded, save=False)
    document.save()
    DocumentRequest.objects.filter(
        dossier=dossier, doc_type=doc_type, fulfilled_at__isnull=True
    ).update(fulfilled_at=timezone.now())
    return document


@transaction.atomic
def receive(
    dossier: Dossier,
    user,
    *,
    reception_date: dt.date,
    reviews: dict,
    requests: list[tuple[str, str]],
) -> None:
    """The agent records the reception, reviews each document, asks for what is missing."""
    for document in dossier.documents.all():
        decision = reviews.get(document.pk)
        if decision is None:
            continue
        review, reason = decision
        document.review = review
        document.refusal_reason = reason if review == "refused" else ""
        document.full_clean()
        document.save(update_fields=["review", "refusal_reason"])
    asked = [
        DocumentRequest.objects.create(
            dossier=dossier, doc_type=doc_type, message=message, requested_by=user
        )
        for doc_type, message in requests
    ]
    if asked:
        # The mail leaves only if the reception is recorded.
        transaction.on_commit(lambda: notify_document_requests(dossier, asked))
    dossier.reception_date = reception_date
    dossier.save(update_fields=["reception_date", "updated_at"])
    if dossier.status == S.SUBMITTED:
        transition(dossier, S.RECEIVED, user, f"Dossier reçu le {reception_date:%d/%m/%Y}")


def notify_document_requests(dossier: Dossier, asked: list[DocumentRequest]) -> int:
    """E-mails the provider's active users the pieces the region asks for, with the link to the
    dossier where they upload them. Returns how many people were written to."""
    provider = dossier.action.provider
    recipients = list(
        ProviderMembership.objects.filter(provider=provider, user__is_active=True)
        .exclude(user__email="")
        .values_list("user__email", flat=True)
    )
    if not recipients:
        return 0
    context = {
        "dossier": dossier,
        "trainee": dossier.trainee,
        "provider": provider,
        "region": dossier.region,
        "asked": asked,
        "url": settings.SITE_URL + reverse("dossiers:detail", args=[dossier.pk]),
    }
    send_mail(
        subject=f"Remu – pièces demandées pour le dossier {dossier.number}",
        message=render_to_string("dossiers/emails/document_request.txt", context),
        from_email=None,
        recipient_list=recipients,
    )
    return len(recipients)


JOURNEY_REVIEW_STATUSES = (S.SUBMITTED, S.RECEIVED, S.ADMITTED)


@transaction.atomic
def review_journeys(dossier: Dossier, user, reviews: dict) -> int:
    """The agent accepts or refuses each RS2 journey's receipt (a refusal needs a reason); an
    accepted journey becomes an amount due at the next run (remu.payments.transport_costs).
    The dossier's row is locked and its status re-checked. Returns how many changed."""
    status = Dossier.objects.select_for_update().values_list("status", flat=True).get(pk=dossier.pk)
    if dossier.kind != Dossier.Kind.RS2 or status not in JOURNEY_REVIEW_STATUSES:
        raise ValidationError("Les trajets d'un dossier RS2 transmis se vérifient ici.")
    changed = 0
    for journey in dossier.journeys.select_for_update():
        review, reason = reviews.get(journey.pk, (journey.review, journey.refusal_reason))
        reason = reason.strip() if review == "refused" else ""
        if review == "refused" and not reason:
            raise ValidationError({f"reason_{journey.pk}": "Le motif du refus est obligatoire."})
        if (review, reason) == (journey.review, journey.refusal_reason):
            continue
        journey.review, journey.refusal_reason = review, reason
        journey.reviewed_by = user if review != "pending" else None
        journey.reviewed_at = timezone.now() if review != "pending" else None
        journey.save(update_fields=["review", "refusal_reason", "reviewed_by", "reviewed_at"])
        changed += 1
    return changed


@transaction.atomic
def admit(
    dossier: Dossier,
    user,
    *,
    category: str,
    proposed: str,
    reason: str,
    holder: str,
    iban: str,
    bic: str,
) -> None:
    if category != proposed and not reason.strip():
        raise ValidationError(
            {"category_reason": "Expliquez pourquoi la catégorie proposée n'est pas retenue."}
        )
    if dossier.kind != Dossier.Kind.P2S and not iban:
        raise ValidationError({"iban": "Les coordonnées bancaires sont obligatoires."})
    dossier.rate_category = category
    dossier.proposed_category = proposed
    dossier.category_reason = reason
    dossier.account_holder, dossier.iban, dossier.bic = holder, iban, bic
    dossier.save()
    transition(dossier, S.ADMITTED, user, reason or "Catégorie proposée retenue")


@transaction.atomic
def reject(dossier: Dossier, user, *, reason: str) -> None:
    if not reason.strip():
        raise ValidationError({"decision_reason": "Le motif du rejet est obligatoire."})
    dossier.decision_reason = reason
    dossier.save(update_fields=["decision_reason", "updated_at"])
    transition(dossier, S.REJECTED, user, reason)


def proposed_category(dossier: Dossier) -> tuple[str, str]:
    """The rate category the dossier's answers lead to, among those the region's scale has in
    force at the start, with the reason (the agent decides at admission)."""
    rules = engine(dossier.region)
    code = dossier.region.parameter_set
    start = dossier.real_start or dossier.enrollment.entry_date
    pset = rules.sets.get(code)
    if pset is None:
        return "JOB_SEEKER", "Catégorie proposée : demandeur d'emploi"
    prior = rules.options(code, start)["prior_activity"]
    salary_ok = (
        (dossier.salaried_hours_12_months or 0) >= prior["hours_in_12_months"]
        or (dossier.salaried_months_12 or 0) >= prior["months_in_12"]
        or (dossier.salaried_months_24 or 0) >= prior["months_in_24"]
    )
    weekly = dossier.weekly_hours or dossier.action.weekly_hours
    situation = Situation(
        age=age_at_entry(dossier) or 0,
        detainee=dossier.detainee,
        disabled_worker=dossier.disabled_worker,
        prior_salary=dossier.last_monthly_salary if dossier.disabled_worker and salary_ok else None,
        prior_activity=salary_ok,
        non_salaried=dossier.non_salaried,
        family_situation=dossier.children >= 3
        or dossier.single_parent
        or dossier.pregnant
        or bool(dossier.separated_since),
        rsa_or_youth_guarantee=dossier.rsa or dossier.youth_guarantee,
        ass_beneficiary=dossier.ass,
        part_time=not rules.is_full_time(code, start, weekly),
    )
    return propose_category(situation, pset.categories_at(start.replace(day=1)))
