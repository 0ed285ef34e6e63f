"""Operations that write dossiers: creation, numbering, saving, the lifecycle transitions
(each checked and logged), documents, reception and decision. All-or-nothing."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import ProtectedError, RestrictedError
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format

from remu.accounts.models import ProviderMembership
from remu.core.stored_files import delete_on_commit
from remu.rules.calendar import age_on
from remu.rules.proposal import Proposal, RegionPay, propose, region_pay
from remu.rules.situation import Situation, prior_activity
from remu.scales.selectors import engine
from remu.trainees.models import Enrollment, Trainee

from . import deadlines, nir, person
from . import documents as docs
from . import provisional as provisional_admission
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


@transaction.atomic
def transition(dossier: Dossier, to: str, user, reason: str = "") -> None:
    """The only way a dossier changes status: locks the row, checks the move against the status
    read under the lock, writes the history."""
    lock(dossier)
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


def lock(dossier: Dossier, expected: str | None = None) -> None:
    """Locks the dossier's row until the transaction ends; refuses if someone changed its
    status since the page was read (or if it is not `expected`)."""
    locked = Dossier.objects.select_for_update().values_list("status", flat=True)
    current = locked.get(pk=dossier.pk)
    if current != dossier.status or (expected is not None and current != expected):
        raise TransitionError(changed_meanwhile(dossier.pk, current))


DONE_AS = {
    S.DRAFT: "remis en brouillon",
    S.SUBMITTED: "validé (pré-saisi)",
    S.RECEIVED: "reçu",
    S.ADMITTED: "admis",
    S.REJECTED: "rejeté",
}


def changed_meanwhile(dossier_pk: int, current: str) -> str:
    """The loser of two simultaneous decisions is told who won, and when."""
    last = (
        DossierTransition.objects.filter(dossier_id=dossier_pk, to_status=current)
        .select_related("by")
        .last()
    )
    if last is None:
        return (
            f"Le dossier est désormais « {Dossier.Status(current).label} » : il a été modifié "
            "entre-temps. Rechargez la page."
        )
    at = timezone.localtime(last.at)
    return (
        f"Le dossier a déjà été {DONE_AS[current]} par {last.by} le {at:%d/%m/%Y à %H:%M}. "
        "Rechargez la page."
    )


@transaction.atomic
def assign_number(dossier: Dossier) -> None:
    """CVL-2026-000123: unique per region and year, from a locked counter (held until the
    caller's transaction ends, so two dossiers never share a number)."""
    if dossier.number:
        return
    year = timezone.localdate().year
    sequence, _ = DossierNumberSequence.objects.get_or_create(region=dossier.region, year=year)
    sequence = DossierNumberSequence.objects.select_for_update().get(pk=sequence.pk)
    sequence.last += 1
    sequence.save(update_fields=["last"])
    dossier.number = f"{dossier.region.number_prefix}-{year}-{sequence.last:06d}"


def creation_errors(action, birth_date, entry_date, today: dt.date) -> dict[str, list[str]]:
    """Why a blank dossier cannot be created, by form field. Registrations are closed when the
    action is closed, its campaign is closed, or its end date has passed (no other notion of
    registration exists); the minimum age is the dated option `minimum_age`."""
    errors: dict[str, list[str]] = {}

    def refuse(name, message):
        errors.setdefault(name, []).append(message)

    start, end = action.start_date, action.end_date
    if action.status == action.Status.CLOSED:
        refuse("action", "Cette action est clôturée : aucun dossier ne peut plus y être créé.")
    elif not action.campaign.is_open:
        refuse("action", "La campagne de cette action est close : les inscriptions sont fermées.")
    elif end < today:
        refuse(
            "action",
            f"Cette action est terminée depuis le {_day(end)} : les inscriptions sont fermées.",
        )
    if not start <= entry_date <= end:
        refuse(
            "entry_date",
            f"La date d'entrée doit être comprise entre le début ({_day(start)}) et la fin "
            f"({_day(end)}) de l'action.",
        )
    if birth_date > today:
        refuse("birth_date", "La date de naissance est dans le futur.")
    elif birth_date >= entry_date:
        refuse("birth_date", "La date de naissance est postérieure à l'entrée en formation.")
    else:
        rules = engine(action.region)
        minimum = rules.options(action.region.parameter_set, entry_date)["minimum_age"]
        age = age_on(birth_date, entry_date)
        if age < minimum:
            refuse(
                "birth_date",
                f"Il faut avoir au moins {minimum} ans à l'entrée en formation : le stagiaire "
                f"aurait {age} ans le {_day(entry_date)}.",
            )
    return errors


def _day(day: dt.date) -> str:
    return date_format(day, "j F Y")


@transaction.atomic
def create_blank(
    *, action, kind, birth_name, first_names, birth_date, user, entry_date=None
) -> Dossier:
    """Off-market actions: a new trainee, enrolled on `entry_date` (by default the action's
    start), with a draft. Refused (ValidationError by field) as `creation_errors` says."""
    entry_date = entry_date or action.start_date
    errors = creation_errors(action, birth_date, entry_date, timezone.localdate())
    if errors:
        raise ValidationError(errors)
    trainee = Trainee.objects.create(
        region=action.region,
        civility=Trainee.Civility.MRS,
        birth_name=birth_name.strip().upper(),
        first_names=first_names.strip(),
        birth_date=birth_date,
    )
    enrollment = Enrollment.objects.create(trainee=trainee, action=action, entry_date=entry_date)
    dossier = Dossier(
        region=action.region,
        action=action,
        enrollment=enrollment,
        kind=kind,
        real_start=entry_date,
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
    person.save_trainee(dossier, trainee)  # joins the region's trainee with this NIR, if any
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


def unaccepted_documents(dossier: Dossier) -> list[str]:
    """The required documents an agent has not accepted (yet)."""
    accepted = {d.doc_type for d in dossier.documents.all() if d.review == "accepted"}
    return [d for d in required_documents(dossier) if d not in accepted]


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
        if dossier.on_are and not dossier.are_end_date:
            add("are_end_date", "Indiquez la date de fin des droits ARE.")
        if dossier.disabled_worker and not dossier.rqth_valid_until:
            add("rqth_valid_until", "Indiquez la date de fin de validité de la RQTH.")
        if dossier.non_salaried and not (dossier.non_salaried_from and dossier.non_salaried_to):
            add("non_salaried_from", "Indiquez les dates de l'activité non salariée.")
        if dossier.resignation and not dossier.contract_end_date:
            add("contract_end_date", "Indiquez la date réelle de fin du contrat.")
        start = dossier.real_start or dossier.enrollment.entry_date
        if dossier.residence_permit_until and start and dossier.residence_permit_until < start:
            add(
                "residence_permit_until",
                "Le titre de séjour a expiré avant l'entrée en formation : joignez le titre en "
                "cours de validité.",
            )
    if dossier.kind == Dossier.Kind.RS2 and not dossier.journeys.exists():
        add("journeys", "Déclarez au moins un trajet.")
    if action.kind == action.Kind.MARKET:
        missing = [d for d in missing_documents(dossier) if d not in docs.MAY_FOLLOW]
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
    due = deadlines.due_at(dossier)
    if due is not None and timezone.now() >= due:
        dossier.submitted_late = True
        dossier.save(update_fields=["submitted_late", "updated_at"])
    transition(dossier, S.SUBMITTED, user, "Validation par l'organisme")


@transaction.atomic
def delete_draft(dossier: Dossier) -> bool:
    """Deletes a draft, its row locked and its status checked again (its pieces' files once the
    deletion is committed). An off-market trainee exists through its dossier: it goes with its
    last dossier, unless something else holds it (the provider declared its months present:
    they stay, for the invoice). Returns whether the trainee stayed."""
    locked = Dossier.objects.select_for_update().filter(pk=dossier.pk).first()
    if locked is None or locked.status != S.DRAFT:
        raise PermissionDenied("Seul un brouillon peut être supprimé.")
    files = [document.file.name for document in locked.documents.all()]
    enrollment = locked.enrollment
    locked.delete()
    delete_on_commit(SupportingDocument._meta.get_field("file").storage, files)
    if enrollment.action.kind != enrollment.action.Kind.OFF_MARKET or enrollment.dossiers.exists():
        return False
    trainee = enrollment.trainee
    try:
        with transaction.atomic():  # a savepoint: a protected trainee leaves the rest done
            enrollment.delete()
            if not trainee.enrollments.exists():
                trainee.delete()
    except (ProtectedError, RestrictedError):
        return True
    return False


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
    lock(dossier)
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
        for hook in document_request_hooks:  # e.g. the trainee's e-mail (trainee_space)
            transaction.on_commit(lambda hook=hook: hook(dossier, asked))
    dossier.reception_date = reception_date
    if dossier.complete_on is None and not unaccepted_documents(dossier):
        dossier.complete_on = reception_date  # every required document accepted
    dossier.save(update_fields=["reception_date", "complete_on", "updated_at"])
    if dossier.status == S.SUBMITTED:
        transition(dossier, S.RECEIVED, user, f"Dossier reçu le {reception_date:%d/%m/%Y}")


# Called after commit with (dossier, [DocumentRequest]) when an agent asks for documents: a
# higher layer registers what it does then (the trainee's space e-mails the trainee).
document_request_hooks: list = []


def admission_gaps(dossier: Dossier, provisional: bool = False) -> dict[str, str]:
    """What stands against admitting, by the decision form's field, in French: required
    documents not accepted at reception, bank details not verified (the RIB not accepted).
    A provisional admission at the minimum rate needs the minimum pieces only, not the
    annexes (seed 001 §2.2)."""
    not_accepted = unaccepted_documents(dossier)
    if provisional:
        not_accepted = [d for d in not_accepted if d not in docs.ANNEXES]
    gaps = {}
    documents = [d for d in not_accepted if d != "RIB"]
    if documents:
        gaps["documents"] = (
            "Pièces obligatoires non acceptées à la réception : "
            + ", ".join(docs.DOCUMENT_TYPES[d] for d in documents)
            + "."
        )
    if "RIB" in not_accepted:
        gaps["iban"] = (
            "Coordonnées bancaires non vérifiées : le RIB n'a pas été accepté à la réception."
        )
    return gaps


def admission_policy(dossier: Dossier) -> str:
    """The region's dated option: `refused`, or `allowed_with_reason` (a written reason goes in
    the history and on the dossier)."""
    start = dossier.real_start or dossier.enrollment.entry_date
    options = engine(dossier.region).options(dossier.region.parameter_set, start)
    return options.get("admission_without_documents") or "refused"


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
    exception_reason: str = "",
    provisional: bool = False,
) -> None:
    """Admits a received dossier; refuses it with a document missing or the bank details
    unverified unless the region allows that with a written reason. A provisional admission
    (the region's minimum category) may leave annexes missing, not the minimum pieces."""
    lock(dossier, S.RECEIVED)
    if provisional:  # the region's minimum category while annexes are missing
        category, reason = provisional_admission.provisional_category(dossier, reason)
    elif category != proposed and not reason.strip():
        raise ValidationError(
            {"category_reason": "Expliquez pourquoi la catégorie proposée n'est pas retenue."}
        )
    if dossier.kind != Dossier.Kind.P2S and not iban:
        raise ValidationError({"iban": "Les coordonnées bancaires sont obligatoires."})
    gaps = admission_gaps(dossier, provisional)
    exception_reason = exception_reason.strip()
    if gaps and admission_policy(dossier) != "allowed_with_reason":
        refused = "La Région n'admet pas un dossier incomplet."
        raise ValidationError({field: f"{text} {refused}" for field, text in gaps.items()})
    if gaps and not exception_reason:
        # The missing documents are told next to the reason to write; the RIB next to the IBAN.
        errors = {"exception_reason": [gaps["documents"]] if "documents" in gaps else []}
        if "iban" in gaps:
            errors["iban"] = [gaps["iban"]]
        errors["exception_reason"].append(
            "Pour admettre malgré tout, écrivez le motif (il figurera dans l'historique)."
        )
        raise ValidationError(errors)
    pay = region_pay_of(dossier)
    dossier.rate_category = category
    dossier.proposed_category = proposed
    dossier.category_reason = reason
    dossier.decision_reason = exception_reason if gaps else ""
    dossier.pay_start = pay.pay_start
    dossier.account_holder, dossier.iban, dossier.bic = holder, iban, bic
    dossier.save()
    history = [reason or "Catégorie proposée retenue"]
    if pay.text:
        history.append(pay.text)
    if gaps:
        history.append("Admis malgré : " + " ".join(gaps.values()) + f" Motif : {exception_reason}")
    transition(dossier, S.ADMITTED, user, "\n".join(history))
    if provisional:  # once admitted (a database constraint)
        dossier.provisional = True
        dossier.save(update_fields=["provisional", "updated_at"])
    from . import decisions  # imports this module

    # The « décision de prise en charge » with the trainee's access codes (RS1 only).
    decisions.issue_on_admission(dossier, user)


@transaction.atomic
def reject(dossier: Dossier, user, *, reason: str) -> None:
    lock(dossier, S.RECEIVED)
    if not reason.strip():
        raise ValidationError({"decision_reason": "Le motif du rejet est obligatoire."})
    dossier.decision_reason = reason
    dossier.save(update_fields=["decision_reason", "updated_at"])
    transition(dossier, S.REJECTED, user, reason)


def _entry_and_end(dossier: Dossier) -> tuple[dt.date, dt.date]:
    entry = dossier.real_start or dossier.enrollment.entry_date
    return entry, dossier.real_end or dossier.enrollment.exit_date or dossier.action.end_date


def region_pay_of(dossier: Dossier) -> RegionPay:
    """From when the Region pays this trainee (ARE, relay, disabled worker's option)."""
    entry, end = _entry_and_end(dossier)
    return region_pay(
        on_are=dossier.on_are,
        are_end=dossier.are_end_date,
        disabled_worker=dossier.disabled_worker,
        disabled_chooses_regional_pay=dossier.disabled_chooses_regional_pay,
        entry=entry,
        end=end,
    )


def proposal(dossier: Dossier) -> Proposal:
    """The rate category the dossier's answers lead to, among those the region's scale has in
    force, with what decided it, the amounts compared and a full month (the agent decides)."""
    rules = engine(dossier.region)
    code = dossier.region.parameter_set
    start, _ = _entry_and_end(dossier)
    salary_ok, salary_fact = prior_activity(
        dossier.salaried_hours_12_months,
        dossier.salaried_months_12,
        dossier.salaried_months_24,
        rules.options(code, start)["prior_activity"],
    )
    weekly = dossier.weekly_hours or dossier.action.weekly_hours
    situation = Situation(
        age=age_at_entry(dossier) or 0,
        detainee=dossier.detainee,
        disabled_worker=dossier.disabled_worker,
        prior_salary=dossier.last_monthly_salary if dossier.disabled_worker and salary_ok else None,
        prior_activity=salary_ok,
        prior_activity_fact=salary_fact,
        non_salaried=dossier.non_salaried,
        family_situation=dossier.children >= 3
        or dossier.single_parent
        or dossier.pregnant
        or bool(dossier.separated_since),
        rsa_or_youth_guarantee=dossier.rsa or dossier.youth_guarantee,
        ass_beneficiary=dossier.ass,
        part_time=not rules.is_full_time(code, start, weekly),
    )
    return propose(
        rules,
        code,
        situation,
        birth_date=dossier.trainee.birth_date,
        entry=start,
        weekly_hours=weekly,
        pay=region_pay_of(dossier),
    )
