"""The « décision de prise en charge » of an admitted RS1 dossier (seed 002; issue 15 §1).

Admitting an RS1 dossier issues version 1; an agent's re-issue of the trainee's access codes
issues the next version (the old codes stop working). What the decision says is computed when
it is issued and frozen in `AdmissionDecision.content` (plain French text, no name, NIR or
IBAN: those are read from the dossier when the PDF is rendered).

The access codes belong to the trainee's space, a higher layer: it registers the function that
creates the login and its one-time password (`access_hooks.register`, from
`remu.trainee_space.apps`). Without it, the decision is issued without codes.

The one-time password is never stored in clear. It is kept encrypted (Fernet, a key derived
from SECRET_KEY) only until the decision's first download, which prints it and erases it;
later downloads print « code déjà remis » and tell how to get new codes (an agent's re-issue).
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.formats import date_format

from remu.rules.engine import Case, CaseError
from remu.rules.money import cents, euros, number
from remu.rules.parameters import ABSENCE_REASONS, CATEGORIES, PART_TIME_WEEKS_PER_MONTH
from remu.rules.proposal import first_full_month
from remu.scales.selectors import engine

from . import services, travel
from .models import AdmissionDecision, Dossier, DossierTransition


@dataclass(frozen=True)
class Codes:
    """What the trainee's space answers: the login to print and its one-time password."""

    login: str
    password: str  # "": the trainee keeps the password they chose


class AccessHooks:
    """`issue(dossier, user, reissue=bool) -> Codes | None`, registered by the trainee's space:
    creates or reuses the trainee's login and gives it a new one-time password (the old one
    stops working), inside the caller's transaction. A trainee already using their account
    keeps their password when another dossier of theirs is admitted (`Codes.password` "")."""

    def __init__(self):
        self.issue = None

    def register(self, issue) -> None:
        self.issue = issue


access_hooks = AccessHooks()


# --- sealing the one-time password ------------------------------------------------------------


def _fernet():
    from cryptography.fernet import Fernet

    key = hashlib.sha256(b"remu.admission-decision.password:" + settings.SECRET_KEY.encode())
    return Fernet(base64.urlsafe_b64encode(key.digest()))


def seal(password: str) -> str:
    return _fernet().encrypt(password.encode()).decode()


def unseal(sealed: str) -> str:
    return _fernet().decrypt(sealed.encode()).decode()


# --- issuing ----------------------------------------------------------------------------------


def _day(day: dt.date | None) -> str:
    return date_format(day, "j F Y") if day else ""


DUTIES = [
    "suivre les cours en centre et en entreprise avec assiduité jusqu'à la fin de la formation ;",
    "passer les examens prévus en fin de session ;",
    "respecter le règlement intérieur de l'organisme de formation ;",
    "signaler à l'organisme de formation tout changement d'adresse, tout abandon ou toute "
    "interruption du stage.",
]
DUTIES_NOTE = (
    "En cas de non-respect de ces obligations, des retenues peuvent être faites sur la "
    "rémunération mensuelle. Une réorientation vers une autre formation n'oblige pas à "
    "rembourser la rémunération perçue ; une exclusion pour motif grave ou disciplinaire, ou un "
    "abandon sans motif légitime, peut conduire la Région à demander le remboursement des sommes "
    "versées à tort (indu)."
)

LEGAL_LEAVE_LABELS = {
    "OWN_MARRIAGE": "mariage ou PACS du stagiaire",
    "BIRTH": "naissance d'un enfant",
    "DEATH_SPOUSE_OR_CHILD": "décès du conjoint ou d'un enfant",
    "DEATH_PARENT": "décès du père ou de la mère",
    "CHILD_MARRIAGE": "mariage d'un enfant",
    "CITIZENSHIP_DAY": "journée défense et citoyenneté",
}
PER = {"closure": "par fermeture", "six_months": "par période de six mois"}


def _days(count: int) -> str:
    return f"{count} jour{'s' if count > 1 else ''}"


def absence_rules(options: dict) -> tuple[list[str], list[str], list[str]]:
    """The region's paid and unpaid absences and its legal-leave days, in French, from the
    dated option `absences` (and `legal_leave_days`, `local_days`)."""
    paid, unpaid = [], []
    for code, rule in (options.get("absences") or {}).items():
        label = ABSENCE_REASONS.get(code, code).capitalize()
        if rule.get("paid"):
            limit = rule.get("limit_days")
            if limit:
                label += f" (dans la limite de {_days(limit)} {PER.get(rule.get('per'), '')})"
            paid.append(label.replace(" )", ")"))
        else:
            unpaid.append(label)
    leave = [
        f"{_days(days)} : {LEGAL_LEAVE_LABELS.get(kind, kind)}"
        for kind, days in (options.get("legal_leave_days") or {}).items()
    ]
    return paid, unpaid, leave


def payment_calendar(options: dict, bonus: bool) -> list[str]:
    """When the pay arrives, from the region's dated options (seed 001 §4.1)."""
    due = options.get("attendance_due_day")
    window = options.get("payment_days")
    when = (
        f"entre le {window['from']} et le {window['to']} du mois suivant"
        if window
        else "au cours du mois suivant"
    )
    lines = [
        f"La rémunération d'un mois est versée à terme échu, {when}, par virement sur le compte "
        "indiqué dans votre dossier, une fois l'état de présence du mois transmis par votre "
        "organisme de formation" + (f" (avant le {due} du mois suivant)." if due else "."),
        "Des séries de paiement complémentaires régularisent les paiements en cours de mois ; "
        "les délais interbancaires (2 à 5 jours en général) s'ajoutent.",
        "L'impôt sur le revenu est prélevé à la source sur chaque versement.",
    ]
    if bonus:
        lines.append("L'aide à l'entrée en formation est versée quelques jours après l'admission.")
    return lines


def contest_text(region) -> str:
    contact = " ; ".join(
        filter(None, [region.assistance_phone, region.assistance_email])
    )  # the region's assistance, where it has entered one
    return (
        "Vous pouvez contester cette décision dans un délai de deux mois à compter de sa "
        f"réception : par un recours gracieux adressé à la {region.name}, ou par un recours "
        "contentieux devant le tribunal administratif compétent (y compris par l'application "
        "Télérecours citoyens, www.telerecours.fr). Pour toute question sur votre rémunération"
        + (
            f", contactez l'assistance de la Région : {contact}."
            if contact
            else ", contactez la Région."
        )
    )


def build_content(dossier: Dossier) -> dict:
    """What the decision says, computed now by the engine (the first full month of training)."""
    region = dossier.region
    rules = engine(region)
    code = region.parameter_set
    entry, end = services._entry_and_end(dossier)
    pay = services.region_pay_of(dossier)
    options = rules.options(code, entry)
    weekly = dossier.weekly_hours or dossier.action.weekly_hours
    full_time = rules.is_full_time(code, entry, weekly)
    month = first_full_month(entry)
    if month > end:
        month = entry.replace(day=1)
    situation = travel.in_force(travel.situations_of(dossier), month)
    category = dossier.rate_category
    bonus = None
    if pay.entry_bonus and pay.paid_by_region:
        bonus = rules.entry_bonus(code, entry, category)
    amount, explanation, remuneration, allowances = "", [], "", ""
    try:
        result = rules.compute(
            Case(
                id=dossier.number,
                region=code,
                year=month.year,
                month=month.month,
                category=category,
                birth_date=dossier.trainee.birth_date,
                entry_date=entry,
                exit_date=end,
                weekly_hours=weekly,
                # A month of presence, as the admission page computes it (hourly categories
                # need the hours even at full time).
                hours_present=cents(weekly * PART_TIME_WEEKS_PER_MONTH),
                prior_monthly_salary=dossier.last_monthly_salary
                if category == "DISABLED_PRIOR_SALARY"
                else None,
                training_total_hours=Decimal(dossier.action.total_hours or 0) or None,
                distance_km=situation.distance_km if situation else None,
                housing=situation.housing if situation else False,
                pay_start=dossier.pay_start,
                pay_start_note=f"fin de l'ARE le {_day(dossier.pay_start - dt.timedelta(days=1))}"
                if dossier.pay_start
                else "",
            ),
            explain=True,
        )
    except CaseError as exc:
        explanation = [f"Montant non calculable à l'émission : {exc.message}."]
    else:
        time = f"temps {'plein' if full_time else 'partiel'}, {number(weekly)} h par semaine"
        if result.monthly_amount is not None and full_time:
            amount = f"{euros(result.monthly_amount)} par mois ({time})"
        else:
            amount = f"{euros(result.hourly_rate)} de l'heure ({time})"
        explanation = list(result.explanation)
        remuneration = euros(result.remuneration)
        allowances = euros(result.allowances) if result.allowances else ""
    paid, unpaid, leave = absence_rules(options)
    return {
        "category": CATEGORIES.get(category, category).capitalize(),
        "category_reason": dossier.category_reason,
        "amount": amount,
        "month": date_format(month, "F Y"),
        "remuneration": remuneration,
        "allowances": allowances,
        "explanation": explanation,
        "entry_bonus": euros(bonus[0]) if bonus else "",
        "pay_text": pay.text,
        "provisional": dossier.provisional,
        "entry": _day(entry),
        "end": _day(end),
        "calendar": payment_calendar(options, bool(bonus)),
        "duties": DUTIES,
        "duties_note": DUTIES_NOTE,
        "paid_absences": paid,
        "unpaid_absences": unpaid,
        "legal_leave": leave,
        "contest": contest_text(region),
    }


def _next_version(dossier: Dossier) -> int:
    last = dossier.decisions.order_by("-version").values_list("version", flat=True).first()
    return (last or 0) + 1


def _issue(dossier: Dossier, user, *, reissue: bool) -> AdmissionDecision:
    version = _next_version(dossier)
    codes = access_hooks.issue(dossier, user, reissue=reissue) if access_hooks.issue else None
    return AdmissionDecision.objects.create(
        dossier=dossier,
        version=version,
        number=f"{dossier.number}-D{version}",
        issued_by=user,
        login=codes.login if codes else "",
        sealed_password=seal(codes.password) if codes and codes.password else "",
        content=build_content(dossier),
    )


def issue_on_admission(dossier: Dossier, user) -> AdmissionDecision | None:
    """Called by `services.admit` inside its transaction (the dossier's row locked)."""
    if dossier.kind != Dossier.Kind.RS1:
        return None
    return _issue(dossier, user, reissue=False)


@transaction.atomic
def reissue(dossier: Dossier, user) -> AdmissionDecision:
    """An agent issues new access codes: a new version of the decision; the old password
    stops working. Locked on the dossier's row, so two agents at once issue two versions one
    after the other, never the same number; logged in the dossier's history."""
    if not user.is_agent:
        raise PermissionDenied
    status = Dossier.objects.select_for_update().values_list("status", flat=True).get(pk=dossier.pk)
    if dossier.kind != Dossier.Kind.RS1 or status != Dossier.Status.ADMITTED:
        raise ValidationError("Seul un dossier RS1 admis a une décision de prise en charge.")
    if access_hooks.issue is None:
        raise ValidationError("L'espace stagiaire n'est pas disponible : aucun code à émettre.")
    decision = _issue(dossier, user, reissue=True)
    DossierTransition.objects.create(
        dossier=dossier,
        from_status=status,
        to_status=status,
        by=user,
        reason=(
            f"Codes d'accès du stagiaire réédités : décision de prise en charge n° "
            f"{decision.number} (identifiant {decision.login}). Les codes précédents ne "
            "fonctionnent plus."
        ),
    )
    return decision


# --- delivering -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Delivery:
    password: str  # "" when not printed
    note: str  # why not, in French


@transaction.atomic
def deliver(decision: AdmissionDecision, user) -> Delivery:
    """The password to print on this download: only the first download of the latest version
    prints it (and erases it); the row is locked, so two simultaneous downloads print it once."""
    locked = AdmissionDecision.objects.select_for_update().get(pk=decision.pk)
    if not locked.login:
        return Delivery("", "Aucun code d'accès n'a été émis avec cette décision.")
    latest = (
        AdmissionDecision.objects.filter(dossier_id=locked.dossier_id)
        .order_by("-version")
        .values_list("pk", flat=True)
        .first()
    )
    if latest != locked.pk:
        return Delivery(
            "",
            "Ces codes ont été remplacés par une décision plus récente : ils ne fonctionnent plus.",
        )
    account = locked.dossier.trainee.user
    chosen = (
        "Le stagiaire a déjà choisi son mot de passe : il le garde (aucun mot de passe "
        "provisoire). En cas d'oubli : « Mot de passe oublié » sur la page de connexion."
    )
    if locked.sealed_password and account is not None and not account.must_change_password:
        # The trainee already chose a password (the e-mailed link, or a first login): the
        # one-time password no longer works; never print it.
        locked.sealed_password = ""
        locked.save(update_fields=["sealed_password"])
        return Delivery("", chosen)
    if not locked.sealed_password:
        if locked.codes_delivered_at is None:  # issued without one: an account in use
            return Delivery("", chosen)
        when = timezone.localtime(locked.codes_delivered_at)
        return Delivery(
            "",
            f"Code déjà remis le {_day(when.date())} : s'il est perdu, demandez à la Région une "
            "réédition de vos codes d'accès.",
        )
    password = unseal(locked.sealed_password)
    locked.sealed_password = ""
    locked.codes_delivered_at = timezone.now()
    locked.codes_delivered_to = user
    locked.save(update_fields=["sealed_password", "codes_delivered_at", "codes_delivered_to"])
    decision.codes_delivered_at = locked.codes_delivered_at
    return Delivery(password, "")


def latest_for_trainee(trainee) -> AdmissionDecision | None:
    """The trainee's latest decision (for their own space, a higher layer)."""
    return (
        AdmissionDecision.objects.filter(dossier__enrollment__trainee=trainee)
        .select_related("dossier__region", "dossier__action__provider")
        .order_by("-issued_at", "-pk")
        .first()
    )


TRAINEE_COPY = Delivery(
    "",
    "il ne figure pas sur cette copie (il vous a été remis avec la décision). Mot de passe "
    "oublié : « Mot de passe oublié » sur la page de connexion, ou demandez à la Région une "
    "réédition de vos codes.",
)


def trainee_copy(decision: AdmissionDecision, base_url: str) -> bytes:
    """The decision as the trainee downloads it from their space: never the password."""
    return render_pdf(decision, TRAINEE_COPY, base_url)


def render_pdf(decision: AdmissionDecision, delivery: Delivery, base_url: str) -> bytes:
    from weasyprint import HTML  # imported here: only the printouts need the system libraries

    dossier = decision.dossier
    html = render_to_string(
        "dossiers/admission_decision_pdf.html",
        {
            "decision": decision,
            "dossier": dossier,
            "trainee": dossier.trainee,
            "region": dossier.region,
            "content": {**EMPTY_CONTENT, **decision.content},
            "delivery": delivery,
            "site_url": settings.SITE_URL,
        },
    )
    return HTML(string=html, base_url=base_url).write_pdf()


EMPTY_CONTENT = {
    "category": "",
    "category_reason": "",
    "amount": "",
    "month": "",
    "remuneration": "",
    "allowances": "",
    "explanation": [],
    "entry_bonus": "",
    "pay_text": "",
    "provisional": False,
    "entry": "",
    "end": "",
    "calendar": [],
    "duties": [],
    "duties_note": "",
    "paid_absences": [],
    "unpaid_absences": [],
    "legal_leave": [],
    "contest": "",
}
