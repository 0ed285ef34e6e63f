"""The supporting documents a dossier needs, derived from its answers (seed 001 §2.2, seed 002
« Les pièces justificatives »), and the check of an uploaded file by its content."""

from __future__ import annotations

DOCUMENT_TYPES = {
    "ID": "Pièce d'identité recto verso (ou passeport)",
    "RESIDENCE_PERMIT": "Titre de séjour autorisant l'accès à la formation, en cours de validité",
    "PARENTAL_AUTHORISATION": "Autorisation parentale (stagiaire mineur)",
    "PARENT_ID": "Pièce d'identité du parent signataire",
    "VITALE": "Attestation de carte Vitale au nom du stagiaire",
    "RIB": "RIB ou RIP au nom du stagiaire",
    "FRANCE_TRAVAIL": "Attestation d'inscription à France Travail",
    "SWORN_STATEMENT": (
        "Attestation sur l'honneur de non-inscription ou de non-perception de droits"
    ),
    "RQTH": "Reconnaissance de la qualité de travailleur handicapé (RQTH) en cours de validité",
    "PAY_SLIPS": "Bulletins de salaire justifiant l'activité salariée antérieure",
    "NON_SALARIED_PROOF": "Justificatif d'activité non salariée (Kbis, URSSAF)",
    "RESIGNATION": "Lettre de démission et certificat de travail (date réelle de fin du contrat)",
    "ARE_END": "Attestation de fin de droits ARE (relais de France Travail)",
    "CAF": "Attestation de droits CAF (RSA)",
    "ASS_NOTICE": "Notification d'ASS",
    "YOUTH_GUARANTEE": "Attestation de la Garantie jeunes (Mission locale)",
    "FAMILY_BOOK": "Livret de famille ou acte de naissance des enfants",
    "PREGNANCY": "Déclaration de grossesse",
    "SEPARATION": "Justificatif de la séparation, du divorce ou du décès du conjoint",
    "TRANSPORT_RECEIPTS": "Justificatifs des frais de transport (billets, factures)",
    "SIGNED_FORM": "Formulaire pré-rempli, daté et signé par l'organisme et le stagiaire",
    "OTHER": "Autre pièce",
}
# The printed form, dated and signed: it exists only once the dossier is validated, so the
# provider uploads it afterwards (the other pieces after validation: only those asked for).
SIGNED_FORM = "SIGNED_FORM"

# The annexes that prove a situation (seed 001 §2.2 « annexes requises en fonction de la
# situation »): without them an agent may admit provisionally at the minimum rate; the other
# required pieces are the minimum for any admission.
ANNEXES = frozenset(
    {
        "RQTH",
        "PAY_SLIPS",
        "NON_SALARIED_PROOF",
        "RESIGNATION",
        "ARE_END",
        "CAF",
        "ASS_NOTICE",
        "YOUTH_GUARANTEE",
        "FAMILY_BOOK",
        "PREGNANCY",
        "SEPARATION",
    }
)

MAX_UPLOAD_BYTES = 10 * 1024 * 1024
SIGNATURES = {  # content type -> magic bytes at the start of the file
    "application/pdf": (b"%PDF-",),
    "image/jpeg": (b"\xff\xd8\xff",),
    "image/png": (b"\x89PNG\r\n\x1a\n",),
}


def sniff(head: bytes) -> str | None:
    """The content type a file's first bytes show, among the accepted ones; None otherwise."""
    for content_type, signatures in SIGNATURES.items():
        if any(head.startswith(sig) for sig in signatures):
            return content_type
    return None


# Seed 001 §3.5.2: a relay dossier may be sent before France Travail's notice is out.
MAY_FOLLOW = frozenset({"ARE_END"})


def relay_during_training(dossier) -> bool:
    """The ARE ends before the training does: the Region takes over the day after."""
    end = dossier.real_end or dossier.action.end_date
    return dossier.are_end_date is not None and dossier.are_end_date < end


def required_documents(dossier, age_at_entry: int | None) -> list[str]:
    """The documents this dossier's answers call for, in the order the form lists them."""
    kind = dossier.kind
    trainee = dossier.enrollment.trainee
    docs = ["SIGNED_FORM", "ID" if trainee.nationality == "FR" else "RESIDENCE_PERMIT"]
    if age_at_entry is not None and age_at_entry < 18:
        docs += ["PARENTAL_AUTHORISATION", "PARENT_ID"]
    docs.append("VITALE")
    if kind == "P2S":
        return docs
    if kind == "RS2":
        return [*docs, "RIB", "TRANSPORT_RECEIPTS"]
    docs.append("RIB")
    docs.append("FRANCE_TRAVAIL" if dossier.registered_france_travail else "SWORN_STATEMENT")
    if dossier.disabled_worker:
        docs.append("RQTH")
    if (
        dossier.salaried_hours_12_months
        or dossier.salaried_months_12
        or (dossier.salaried_months_24)
    ):
        docs.append("PAY_SLIPS")
    if dossier.non_salaried:
        docs.append("NON_SALARIED_PROOF")
    if dossier.resignation:
        docs.append("RESIGNATION")
    if dossier.residence_permit_until and "RESIDENCE_PERMIT" not in docs:
        docs.append("RESIDENCE_PERMIT")
    if dossier.on_are and relay_during_training(dossier):
        docs.append("ARE_END")
    if dossier.rsa:
        docs.append("CAF")
    if dossier.ass:
        docs.append("ASS_NOTICE")
    if dossier.youth_guarantee:
        docs.append("YOUTH_GUARANTEE")
    if dossier.children >= 3 or dossier.single_parent:
        docs.append("FAMILY_BOOK")
    if dossier.pregnant:
        docs.append("PREGNANCY")
    if dossier.separated_since:
        docs.append("SEPARATION")
    return docs
