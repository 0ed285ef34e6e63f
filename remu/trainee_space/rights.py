"""« Mes droits et obligations » written from the region's parameters (the options the engine
and the overpayment detection read), so the page is always true for the trainee's region
(seed 002: obligations, paid and unpaid absences, legal-reason days, closures, dropouts)."""

from __future__ import annotations

from decimal import Decimal

from remu.rules.money import euros
from remu.rules.parameters import ABSENCE_REASONS

from .selectors import LEGAL_LEAVE_LABELS


def _days(n) -> str:
    return f"{n} jour{'s' if int(n) > 1 else ''}"


def _absences(options: dict) -> tuple[list[str], list[str]]:
    paid, unpaid = [], []
    rules = options.get("absences") or {}
    for reason, label in ABSENCE_REASONS.items():
        rule = rules.get(reason) or {}
        text = label[0].upper() + label[1:]
        if reason == "LEGAL_LEAVE" and rule.get("paid"):
            paid.append(f"{text} : dans la limite des jours ci-dessous ; au-delà, non payé.")
        elif rule.get("paid") and rule.get("limit_days"):
            per = {"six_months": " par période de six mois de formation", "closure": ""}.get(
                rule.get("per"), ""
            )
            paid.append(
                f"{text} : dans la limite de {_days(rule['limit_days'])}{per} ; au-delà, non payée."
            )
        elif rule.get("paid"):
            paid.append(f"{text}.")
        else:
            unpaid.append(f"{text}.")
    return paid, unpaid


def _sickness(options: dict) -> list[str]:
    lines = []
    waiting = options.get("sickness_waiting_days")
    if waiting:
        lines.append(
            f"Les {waiting} premiers jours d'un arrêt maladie ne sont payés ni par l'Assurance "
            "maladie ni par la Région (délai de carence)."
        )
    complement = options.get("sickness_complement")
    if complement:
        lines.append(
            f"La Région complète les indemnités journalières de l'Assurance maladie jusqu'à "
            f"{complement.get('percent', 100)} % de votre rémunération, "
            f"{_days(complement.get('max_days', 0))} au plus"
            + (
                f", et au plus tard {_days(complement['until_days_after_training'])} après la "
                "fin de la formation."
                if complement.get("until_days_after_training")
                else "."
            )
        )
    else:
        lines.append(
            "Pendant un arrêt maladie, l'Assurance maladie vous verse des indemnités "
            "journalières ; la Région ne paie pas ces jours."
        )
    maternity = options.get("maternity_complement")
    if maternity:
        lines.append(
            "Pendant un congé maternité ou paternité, la Région complète les indemnités "
            f"journalières jusqu'à {maternity.get('percent')} % de votre rémunération."
        )
    return lines


def _dropout(options: dict) -> list[str]:
    lines = [
        "Si vous quittez la formation, votre organisme le déclare à la Région avec le motif ; "
        "la rémunération s'arrête à la date de sortie.",
        "Motifs légitimes : maladie, maternité, hospitalisation ; déménagement ; reprise d'un "
        "emploi ; reprise d'études ; événement familial ou situation financière. Avec un motif "
        "légitime, seuls les jours payés après votre sortie vous sont réclamés.",
    ]
    grace = options.get("overpayment_grace_weeks")
    if grace:
        lines.append(
            f"Si vous quittez la formation dans ses {grace} premières semaines, rien ne vous "
            "est réclamé."
        )
    without = options.get("overpayment_without_reason")
    if without == "last_month":
        lines.append(
            "Sans motif légitime, la Région vous réclame le dernier mois perçu et les jours "
            "payés du mois de l'abandon."
        )
    else:
        lines.append(
            "Sans motif légitime, la Région vous réclame les jours payés après votre sortie."
        )
    misconduct = options.get("overpayment_misconduct")
    if misconduct == "everything":
        lines.append(
            "En cas d'exclusion pour faute grave, tout ce que vous avez perçu vous est réclamé."
        )
    elif misconduct == "as_without_reason":
        lines.append("Une exclusion pour faute grave est traitée comme un abandon sans motif.")
    else:
        lines.append(
            "En cas d'exclusion pour faute grave, les jours payés après la sortie vous sont "
            "réclamés."
        )
    lines.append("Entrer dans une autre formation n'entraîne aucune réclamation pour la première.")
    below = options.get("overpayment_write_off_below")
    if below and Decimal(str(below)) > 0:
        lines.append(
            f"Une somme réclamée de moins de {euros(Decimal(str(below)))} n'est pas "
            "recouvrée, mais peut être retenue sur une rémunération future."
        )
    lines.append(
        "Vous pouvez demander une remise gracieuse (totale ou partielle) depuis votre espace ; "
        "une commission de la Région décide, et le recouvrement est suspendu en attendant."
    )
    return lines


def sections(options: dict) -> list[dict]:
    """The page's sections: a title and its sentences (or a list of legal-leave days)."""
    paid, unpaid = _absences(options)
    legal = [
        f"{LEGAL_LEAVE_LABELS.get(kind, kind)[0].upper()}"
        f"{LEGAL_LEAVE_LABELS.get(kind, kind)[1:]} : {_days(days)}"
        for kind, days in (options.get("legal_leave_days") or {}).items()
    ]
    due_day = options.get("attendance_due_day", 5)
    window = options["payment_days"]  # a dated option of every set (national.yaml)
    obligations = [
        "Suivre la formation avec assiduité, aux horaires prévus, en centre comme en entreprise.",
        "Justifier toute absence auprès de votre organisme de formation, avec un document.",
        "Signaler sans attendre tout changement de situation (adresse, coordonnées "
        "bancaires, emploi, allocation de France Travail) : une information erronée donne "
        "lieu au remboursement des sommes perçues à tort.",
        f"Votre organisme déclare vos présences de chaque mois avant le {due_day} du mois suivant.",
    ]
    payment = [
        f"Vous êtes payé à terme échu : le mois écoulé est payé entre le {window['from']} et "
        f"le {window['to']} du mois suivant, une fois l'état de présence validé.",
        "L'impôt sur le revenu est prélevé à la source sur votre rémunération, au taux que "
        "vous a communiqué l'administration fiscale.",
    ]
    bonus = options.get("entry_bonus")
    if bonus and bonus.get("amount"):
        payment.append(
            f"Une aide forfaitaire de {euros(Decimal(str(bonus['amount'])))} est versée à "
            "l'entrée en formation, avec votre premier mois."
        )
    resignation = options.get("resignation")
    if resignation and resignation.get("max_months"):
        payment.append(
            "Si vous avez démissionné de votre emploi, la Région vous rémunère "
            f"{resignation['max_months']} mois au plus."
        )
    elif resignation and resignation.get("latency_days"):
        payment.append(
            "Si vous avez démissionné d'un emploi, la rémunération ne commence qu'après un délai "
            f"de {_days(resignation['latency_days'])}."
        )
    return [
        {"title": "Vos obligations", "lines": obligations},
        {"title": "Votre paiement", "lines": payment},
        {"title": "Absences payées", "lines": paid},
        {"title": "Absences non payées", "lines": unpaid},
        {"title": "Jours de congé pour motif légal (payés)", "lines": legal},
        {"title": "Maladie, maternité, paternité", "lines": _sickness(options)},
        {"title": "Abandon, exclusion et sommes réclamées", "lines": _dropout(options)},
    ]
