"""Which rate category a trainee's situation leads to (RULES.md §4 « Rate category »).

The agent decides at admission; this proposes, with the reason, from plain answers. The order
follows the tables: the most specific situation first.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from .parameters import CATEGORIES


@dataclass(frozen=True)
class Situation:
    age: int
    detainee: bool = False
    disabled_worker: bool = False
    prior_salary: Decimal | None = None  # last monthly salary, for disabled workers
    prior_activity: bool = False  # 910 h in 12 months, or 6 months in 12 / 12 in 24
    non_salaried: bool = False  # at least 1 year of activity in the 3 years before
    family_situation: bool = False  # 3 children or more, single parent, single pregnant, ...
    rsa_or_youth_guarantee: bool = False
    ass_beneficiary: bool = False
    part_time: bool = False
    prior_activity_fact: str = ""  # the salaried activity that met the threshold, in French


def prior_activity(
    hours_12: int | None, months_12: int | None, months_24: int | None, thresholds: dict
) -> tuple[bool, str]:
    """Whether the salaried activity reaches the region's threshold (RULES.md §4
    PRIOR_ACTIVITY), and the fact that decides it, in French."""
    checks = (
        (hours_12, thresholds["hours_in_12_months"], "h salariées sur les 12 derniers mois"),
        (months_12, thresholds["months_in_12"], "mois salariés sur les 12 derniers mois"),
        (months_24, thresholds["months_in_24"], "mois salariés sur les 24 derniers mois"),
    )
    for value, threshold, unit in checks:
        if (value or 0) >= threshold:
            return True, f"{value} {unit} (seuil : {threshold})"
    return False, ""


def propose_category(situation: Situation, available: set[str]) -> tuple[str, str]:
    """The proposed category code and why, among the categories the region's scale has."""
    candidates = []
    if situation.detainee:
        candidates.append(("DETAINEE", "formation en milieu pénitentiaire"))
    if situation.ass_beneficiary and situation.part_time:
        candidates.append(
            ("ASS_PART_TIME", "bénéficiaire de l'ASS sur une formation à temps partiel")
        )
    if situation.disabled_worker and situation.prior_salary:
        candidates.append(
            ("DISABLED_PRIOR_SALARY", "travailleur handicapé ayant un salaire antérieur")
        )
    if situation.disabled_worker:
        candidates.append(("DISABLED", "travailleur handicapé"))
    if situation.non_salaried:
        candidates.append(
            (
                "NON_SALARIED",
                "au moins un an d'activité non salariée dans les trois dernières années",
            )
        )
    if situation.prior_activity:
        candidates.append(("PRIOR_ACTIVITY", "activité salariée antérieure suffisante"))
    if situation.family_situation:
        candidates.append(("FAMILY_SITUATION", "situation familiale particulière"))
    if situation.rsa_or_youth_guarantee:
        candidates.append(("RSA_GJ", "bénéficiaire du RSA ou de la Garantie jeunes"))
    candidates.append(("JOB_SEEKER", "demandeur d'emploi, rémunéré selon l'âge"))
    for code, reason in candidates:
        if code in available:
            return code, f"Catégorie proposée : {CATEGORIES[code]} ({reason})"
    return "JOB_SEEKER", "Catégorie proposée : demandeur d'emploi"
