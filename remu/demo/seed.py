"""Demo data: Centre-Val de Loire, its providers, campaigns, actions and 150 trainees.

Idempotent: every object is found by its natural key before being created, and the random
generators are seeded, so a second run changes nothing.
"""

import base64
import random
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice
from faker import Faker

from remu.accounts.models import ProviderMembership, User
from remu.actions.models import ActionPeriod, TrainingAction
from remu.attendance.models import Withdrawal
from remu.attendance.services import declare_withdrawal
from remu.communes.models import Commune
from remu.core import crypto
from remu.dossiers import nir
from remu.dossiers.models import DocumentRequest, Dossier
from remu.dossiers.services import assign_number, ensure_market_drafts, receive, transition
from remu.referential.models import Campaign, CampaignDocument, Programme, Provider, Region
from remu.trainees.models import Enrollment, Trainee

DEMO_PASSWORD = "remu-demo-2026"
# Demo agents' authenticator key (two-factor login is required for agents): 20 known bytes,
# given to an authenticator application (or `oathtool --totp -b KEY`) in base32.
DEMO_TOTP_SECRET = b"remu-demo-totp-2026!"
DEMO_TOTP_KEY = base64.b32encode(DEMO_TOTP_SECRET).decode()
CVL_DEPARTMENTS = ["18", "28", "36", "37", "41", "45"]

LOGO_SVG = """<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 96 96" role="img">
<rect width="96" height="96" rx="12" fill="#1c4f8a"/>
<path d="M20 70 L48 22 L76 70 Z" fill="#fff"/><circle cx="48" cy="58" r="8" fill="#b3471d"/>
</svg>"""

# A one-page PDF, enough for the demo's downloadable guide.
GUIDE_PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
    b"2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
    b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]/Contents 4 0 R"
    b"/Resources<</Font<</F1 5 0 R>>>>>>endobj\n"
    b"4 0 obj<</Length 60>>stream\nBT /F1 18 Tf 60 780 Td (Guide de l'organisme - Remu) Tj ET\n"
    b"endstream endobj\n5 0 obj<</Type/Font/Subtype/Type1/BaseFont/Helvetica>>endobj\n"
    b"trailer<</Root 1 0 R>>\n%%EOF\n"
)


@dataclass
class DemoLogin:
    email: str
    role: str
    what: str  # what the account gives access to, in French


def logins_table(logins: list[DemoLogin]) -> list[str]:
    """The demo accounts as printed by `seed_demo` (and so by `make run`)."""
    width = max(len(login.email) for login in logins)
    return [
        f"Comptes de démonstration (mot de passe : {DEMO_PASSWORD}) :",
        f"  {'Identifiant':<{width}}  Accès",
        *(f"  {login.email:<{width}}  {login.what}" for login in logins),
        "Agents : double authentification, clé TOTP de démonstration "
        f"{DEMO_TOTP_KEY} (application d'authentification, ou oathtool --totp -b {DEMO_TOTP_KEY})",
    ]


def nir_for(civility: str, birth: date, commune: Commune, order: int) -> str:
    """A NIR with the right key, from the same helpers the dossier form uses."""
    body = nir.prefix(civility, birth, commune.insee_code) + f"{order:03d}"
    return body + nir.key_for(body)


def _user(email, *, role, what, first_name, last_name, region=None, rules_admin=False, logins=None):
    user, created = User.objects.get_or_create(
        email=email,
        defaults={
            "role": role,
            "first_name": first_name,
            "last_name": last_name,
            "region": region,
            "is_rules_admin": rules_admin,
        },
    )
    if created:
        user.set_password(DEMO_PASSWORD)
        user.save()
    if role == User.Role.AGENT:
        TOTPDevice.objects.get_or_create(
            user=user,
            name="Démonstration",
            defaults={"key": DEMO_TOTP_SECRET.hex(), "confirmed": True},
        )
    logins.append(DemoLogin(email, role, what))
    return user


@transaction.atomic
def seed_demo() -> list[DemoLogin]:
    logins: list[DemoLogin] = []
    region, _ = Region.objects.get_or_create(
        code="centre-val-de-loire",
        defaults={
            "name": "Région Centre-Val de Loire",
            "assistance_phone": "02 38 70 30 30",
            "assistance_email": "remuneration@centrevaldeloire.example",
            "parameter_set": "centre-val-de-loire",
            "number_prefix": "CVL",
            "sepa_debtor_name": "Region Centre-Val de Loire",
            "sepa_debtor_iban": "FR7610011000201234567890188",
            "sepa_debtor_bic": "PSSTFRPPXXX",
        },
    )
    if not region.logo:
        region.logo.save("centre-val-de-loire.svg", ContentFile(LOGO_SVG.encode()))

    _user(
        "agent@cvl.remu.local",
        role=User.Role.AGENT,
        what="Agent de la Région (instruction, présences, paiements)",
        first_name="Camille",
        last_name="Martin",
        region=region,
        logins=logins,
    )
    _user(
        "regles@cvl.remu.local",
        role=User.Role.AGENT,
        what="Agent, administrateur des règles (barèmes, paramètres de la Région)",
        first_name="Dominique",
        last_name="Bernard",
        region=region,
        rules_admin=True,
        logins=logins,
    )

    campaigns = [
        Campaign.objects.get_or_create(
            region=region,
            code=str(year),
            defaults={
                "label": f"Campagne {year}",
                "start_date": date(year, 1, 1),
                "end_date": date(year, 12, 31),
                "is_open": year == 2026,
            },
        )[0]
        for year in (2025, 2026)
    ]
    for campaign in campaigns:
        if not campaign.documents.exists():
            document = CampaignDocument(
                campaign=campaign, title=f"Guide de l'organisme {campaign.code}"
            )
            document.file.save(
                f"guide-organisme-{campaign.code}.pdf", ContentFile(GUIDE_PDF), save=False
            )
            document.save()

    programmes = [
        Programme.objects.get_or_create(
            region=region, code=code, defaults={"name": name, "approved_for_remuneration": ok}
        )[0]
        for code, name, ok in [
            ("PM", "Parcours métiers", True),
            ("VS", "Visa compétences", True),
            ("PR", "Prépa apprentissage", True),
            ("FD", "Formation à distance certifiante", False),
        ]
    ]

    provider_specs = [
        ("AFPA Centre-Val de Loire", "41191232200012", "45234", "of1@demo.remu.local"),
        ("GRETA Loiret Formation", "19450042700019", "45208", "of2@demo.remu.local"),
        ("Institut Touraine Compétences", "73282932000017", "37261", "of3@demo.remu.local"),
    ]
    providers = []
    for name, siret, insee, email in provider_specs:
        commune = Commune.objects.get(insee_code=insee)
        provider, _ = Provider.objects.get_or_create(
            region=region,
            siret=siret,
            defaults={
                "name": name,
                "address_line1": "12 rue de la Formation",
                "postal_code": commune.postal_codes.first().code,
                "commune": commune,
                "contact_name": "Accueil formation",
                "email": email,
                "phone": "02 47 00 00 00",
            },
        )
        providers.append(provider)
        user = _user(
            email,
            role=User.Role.PROVIDER,
            what=f"Organisme : {name}",
            first_name="Alex",
            last_name=name.split()[0].title(),
            logins=logins,
        )
        ProviderMembership.objects.get_or_create(
            user=user, provider=provider, defaults={"is_admin": True}
        )
    # One person working for two providers, to show switching between them.
    multi = _user(
        "multi@demo.remu.local",
        role=User.Role.PROVIDER,
        what=f"Deux organismes : {providers[0].name}, {providers[1].name}",
        first_name="Sacha",
        last_name="Petit",
        logins=logins,
    )
    for provider in providers[:2]:
        ProviderMembership.objects.get_or_create(user=multi, provider=provider)

    rng = random.Random(2026)
    actions = []
    titles = [
        "Secrétaire assistant(e)",
        "Agent(e) de propreté",
        "Cuisinier(ère)",
        "Soudeur(se)",
        "Aide-soignant(e) : préparation",
        "Développeur(se) web",
        "Maçon(ne) VRD",
        "Conducteur(trice) de ligne",
        "Comptable assistant(e)",
        "Électricien(ne) du bâtiment",
        "Vendeur(se) conseil",
        "Remise à niveau",
    ]
    today = date.today()
    for i, title in enumerate(titles):
        campaign = campaigns[0] if i < 4 else campaigns[1]
        provider = providers[i % 3]
        start = date(campaign.start_date.year, 1 + (i % 9), 1 + i)
        end = start + timedelta(days=180 + 10 * i)
        full_time = i % 4 != 3
        if end < today:
            status = TrainingAction.Status.CLOSED
        elif start <= today:
            status = TrainingAction.Status.OPEN
        else:
            status = TrainingAction.Status.PLANNED
        action, _ = TrainingAction.objects.get_or_create(
            region=region,
            number=f"CVL-{campaign.code}-{i + 1:03d}",
            defaults=dict(
                title=title,
                provider=provider,
                campaign=campaign,
                programme=programmes[i % 3],
                kind="market" if i % 2 == 0 else "off_market",
                status=status,
                planned_start=start,
                planned_end=end,
                real_start=start if status != TrainingAction.Status.PLANNED else None,
                real_end=end if status == TrainingAction.Status.CLOSED else None,
                weekly_hours=Decimal("35") if full_time else Decimal("20"),
                hours_in_centre=600 + 20 * i,
                hours_in_company=140,
                training_place=f"Centre de formation {provider.name.split()[0]}",
                training_commune=provider.commune,
                fse_cofunded=i % 4 == 0,
                fse_information="Cofinancée par le FSE+ (programme régional)" if i % 4 == 0 else "",
                entry_bonus=True,
                max_trainees=15,
                max_paid_trainees=15,
                unit_cost_centre=Decimal("11.50"),
                unit_cost_company=Decimal("1.00"),
            ),
        )
        if not action.periods.exists():
            ActionPeriod.objects.create(
                action=action,
                place="centre",
                start_date=start,
                end_date=start + timedelta(days=120),
            )
            ActionPeriod.objects.create(
                action=action,
                place="company",
                start_date=start + timedelta(days=121),
                end_date=start + timedelta(days=150),
            )
        actions.append(action)

    _seed_trainees(region, actions, rng)
    ensure_market_drafts(actions)  # market actions: a draft dossier per enrolled trainee
    _seed_admissions(actions, User.objects.get(email="agent@cvl.remu.local"))
    _seed_attendance(TrainingAction.objects.get(number="CVL-2026-005"))
    _seed_invoicing(TrainingAction.objects.get(number="CVL-2026-005"))
    _seed_to_dos(User.objects.get(email="agent@cvl.remu.local"))
    seed_trainee_space(region, logins)
    _seed_overpayments(User.objects.get(email="agent@cvl.remu.local"))
    seed_execution(TrainingAction.objects.get(number="CVL-2026-007"))
    return logins


def seed_execution(action):
    """The demo provider's action in execution (issue 16): its summary, dates and periods
    confirmed, opened monthly, a « fiche d'entrée » per trainee and two trainers. Idempotent."""
    from remu.execution.models import (
        ActionExecution,
        ExecutionEvent,
        RegistrationRecord,
        Trainer,
    )

    TrainingAction.objects.filter(pk=action.pk).update(
        call_for_projects="Programme régional de formation 2026",
        decision_body="Commission permanente du Conseil régional",
        vote_date=date(2025, 12, 12),
        total_price=Decimal("96600.00"),
        price_centre=Decimal("88200.00"),
        price_company=Decimal("8400.00"),
        contract_number="2026QCA0007",
        market_number="26S00007",
        sector="Bâtiment – Travaux publics",
    )
    execution, created = ActionExecution.objects.get_or_create(
        action=action,
        defaults={
            "dates_locked": True,
            "opening": ActionExecution.Opening.OPENED,
            "payment_frequency": ActionExecution.Frequency.MONTHLY,
            "opened_at": timezone.now(),
        },
    )
    if not created:
        return
    enrollments = list(action.enrollments.order_by("pk"))
    seats = max(action.max_trainees, len(enrollments))
    paid_seats = max(action.max_paid_trainees, len(enrollments))
    for seat, enrollment in enumerate(enrollments, start=1):
        RegistrationRecord.objects.create(
            enrollment=enrollment,
            action=action,
            seat=seat,
            seats=seats,
            paid_seat=seat,
            paid_seats=paid_seats,
            sex="F" if enrollment.trainee.civility == "MME" else "M",
            paying_body="region",
            level_at_entry="3",
            unemployment_duration="6_12",
            prescriber="france_travail",
        )
    for last, first, field, status, hours in [
        ("Rocher", "Yves", "Maçonnerie, voirie et réseaux divers", "cdi", 320),
        ("Meunier", "Jacques", "Sécurité sur les chantiers", "vacataire", 42),
    ]:
        Trainer.objects.create(
            action=action,
            last_name=last,
            first_name=first,
            field=field,
            status=status,
            hours=hours,
            background="Dix ans de chantier, titre professionnel de formateur",
        )
    for kind in ("dates_locked", "opened"):
        ExecutionEvent.objects.create(action=action, kind=kind)


def _seed_attendance(action):
    """One action's past months are entered and validated (everyone present), so that the
    demo can run the month's payments at once."""
    from remu.attendance import services as attendance

    if action.statements.exists():
        return
    provider_user = action.provider.memberships.first().user
    today = date.today()
    while (month := attendance.next_statement_month(action, today)) is not None:
        if month >= today.replace(day=1):
            break
        statement = attendance.create_statement(action, provider_user, today)
        lines = list(statement.lines.all())
        attendance.declare_presence([ln for ln in lines if ln.full_time], "full_month")
        attendance.validate_lines(lines, provider_user)


def _seed_invoicing(action):
    """The same action's declarations of hours realised: its ended months confirmed up to the
    last one the provider may still confirm today (left for the demo), the first one invoiced
    and sent to the region."""
    from django.core.exceptions import ValidationError

    from remu.invoicing import selectors as invoicing_selectors
    from remu.invoicing import services as invoicing
    from remu.invoicing.models import InvoicingTerms

    if action.declarations.exists():
        return
    InvoicingTerms.objects.get_or_create(action=action)
    provider_user = action.provider.memberships.first().user
    today = date.today()
    ended = [
        m
        for m in invoicing_selectors.months_of(action)
        if invoicing.next_month(m) <= today.replace(day=1)
    ]
    timely = [
        m
        for m in ended
        if today <= invoicing_selectors.declaration_due(action, m)
        or today >= invoicing.next_month(invoicing.next_month(m))
    ]
    left = timely[-1] if timely else None
    for month in ended:
        if month == left:
            break
        try:
            invoicing.confirm_declaration(action, month, provider_user, today)
        except ValidationError:
            break
    first = action.declarations.filter(status="confirmed").order_by("month").first()
    if first is not None:
        invoice = invoicing.generate_invoice(action, [first.pk], provider_user)
        # confirmed back then, within its window (seed 003 §3.6.1.1: the first days of a month)
        window = invoicing_selectors.invoice_confirmation_window(
            invoice, invoicing.next_month(first.month)
        )
        day = window[0] if window else today
        invoicing.confirm_invoice(invoice, provider_user, min(day, today))


DEMO_IBAN = "FR7630006000011234567890189"


def _seed_to_dos(agent):
    """Something on each home's to-do list: three drafts validated by their provider 12, 6 and
    2 days ago, the second received with a document requested, and one dropout to decide."""
    if DocumentRequest.objects.filter(dossier__region=agent.region).exists():
        return  # seeded already (only this step asks for a document)
    drafts = list(
        Dossier.objects.filter(region=agent.region, status=Dossier.Status.DRAFT, kind="RS1")
        .select_related("enrollment__trainee", "action__provider")
        .order_by("pk")[:3]
    )
    for days, dossier in zip((12, 6, 2), drafts, strict=False):
        provider_user = dossier.action.provider.memberships.first().user
        assign_number(dossier)
        dossier.account_holder = dossier.enrollment.trainee.full_name
        dossier.iban, dossier.bic = DEMO_IBAN, "BNPAFRPP"
        dossier.save()
        transition(dossier, "submitted", provider_user, "Validation par l'organisme")
        dossier.transitions.filter(to_status="submitted").update(
            at=timezone.now() - timedelta(days=days)
        )
        if days == 6:
            receive(
                dossier,
                agent,
                reception_date=date.today(),
                reviews={},
                requests=[("RIB", "Le RIB joint est illisible.")],
            )
    enrollment = (
        Enrollment.objects.filter(
            action__region=agent.region,
            status=Enrollment.Status.ACTIVE,
            dossiers__status=Dossier.Status.ADMITTED,
        )
        .exclude(action__number="CVL-2026-005")  # its months are entered and validated
        .select_related("action__provider")
        .order_by("pk")
        .first()
    )
    if (
        enrollment is not None
        and not Withdrawal.objects.filter(enrollment__action__region=agent.region).exists()
    ):
        declare_withdrawal(
            enrollment,
            reason="job",
            exit_date=max(enrollment.entry_date, date.today() - timedelta(days=3)),
            comment="Reprise d'un emploi en CDI.",
            user=enrollment.action.provider.memberships.first().user,
        )


def _seed_admissions(actions, agent):
    """The trainees of the actions running today have admitted RS1 dossiers, so that
    attendance can be entered on the demo (the others' dossiers stay drafts)."""
    today = date.today()
    for action in actions:
        if not action.start_date <= today <= action.end_date:
            continue
        for enrollment in action.enrollments.select_related("trainee"):
            dossier = enrollment.dossiers.first()
            if dossier is None:
                dossier = Dossier(
                    region=action.region,
                    action=action,
                    enrollment=enrollment,
                    kind=Dossier.Kind.RS1,
                    real_start=enrollment.entry_date,
                    real_end=action.end_date,
                    weekly_hours=action.weekly_hours,
                )
            if dossier.status == Dossier.Status.ADMITTED:
                continue
            assign_number(dossier)
            dossier.regime, dossier.affiliation_centre = "general", "CPAM du Loiret"
            dossier.account_holder = enrollment.trainee.full_name
            dossier.iban, dossier.bic = DEMO_IBAN, "BNPAFRPP"
            dossier.save()
            for status, why in (
                ("submitted", "Validation par l'organisme"),
                ("received", "Dossier reçu"),
                ("admitted", "Admission"),
            ):
                if status == "admitted":
                    dossier.rate_category = "JOB_SEEKER"
                    dossier.proposed_category = "JOB_SEEKER"
                    dossier.save()
                transition(dossier, status, agent, why)


def _seed_trainees(region, actions, rng):
    fake = Faker("fr_FR")
    fake.seed_instance(2026)
    communes = list(
        Commune.objects.filter(department_code__in=CVL_DEPARTMENTS)
        .prefetch_related("postal_codes")
        .order_by("insee_code")
    )
    for n in range(150):
        sex = 1 if n % 2 == 0 else 2
        first = fake.first_name_male() if sex == 1 else fake.first_name_female()
        last = fake.last_name()
        birth = date(1965 + rng.randrange(42), 1 + rng.randrange(12), 1 + rng.randrange(28))
        birth_commune = rng.choice(communes)
        home = rng.choice(communes)
        nir_number = nir_for("M" if sex == 1 else "MME", birth, birth_commune, 1 + n)
        trainee, _ = Trainee.objects.get_or_create(
            region=region,
            nir_hash=crypto.nir_hash(nir_number),  # the NIR is encrypted: found by its hash
            defaults=dict(
                nir=nir_number,
                civility="M" if sex == 1 else "MME",
                birth_name=last,
                first_names=first,
                birth_date=birth,
                birth_commune=birth_commune,
                address_line1=fake.street_address(),
                postal_code=home.postal_codes.all()[0].code,
                commune=home,
                email=f"stagiaire{n + 1}@exemple.fr",
                phone="06 " + " ".join(str(rng.randrange(10, 99)) for _ in range(4)),
            ),
        )
        action = actions[n % len(actions)]
        entry = action.planned_start + timedelta(days=rng.randrange(0, 10))
        finished = action.status == TrainingAction.Status.CLOSED
        Enrollment.objects.get_or_create(
            trainee=trainee,
            action=action,
            defaults={
                "entry_date": entry,
                "exit_date": action.planned_end if finished else None,
                "status": Enrollment.Status.COMPLETED if finished else Enrollment.Status.ACTIVE,
            },
        )


DEMO_TRAINEES = [
    ("stagiaire1@demo.remu.local", "Stagiaire admis : paiements, une pièce demandée"),
    ("stagiaire2@demo.remu.local", "Stagiaire admis : paiements, une somme à rembourser (indu)"),
]


def seed_trainee_space(region, logins) -> None:
    """Two admitted trainees of CVL-2026-005 with their own login (« Mon espace »): their
    months up to two months ago paid (a run, its SEPA file by a second agent, the paymaster's
    return), the last month validated and not yet paid; the first has a document requested,
    the second an overpayment notified. The months' run leaves last month to the demo's own
    run."""
    from remu.dossiers import decisions
    from remu.overpayments import services as overpayments
    from remu.overpayments.models import Overpayment
    from remu.payments import sepa
    from remu.payments import services as payments
    from remu.payments.models import Payment

    agent = User.objects.get(email="agent@cvl.remu.local")
    second = User.objects.get(email="regles@cvl.remu.local")
    enrollments = list(
        Enrollment.objects.filter(
            action__number="CVL-2026-005", dossiers__status=Dossier.Status.ADMITTED
        )
        .select_related("trainee")
        .order_by("pk")[: len(DEMO_TRAINEES)]
    )
    for (email, what), enrollment in zip(DEMO_TRAINEES, enrollments, strict=False):
        trainee = enrollment.trainee
        user = _user(
            email,
            role=User.Role.TRAINEE,
            what=what,
            first_name=trainee.first_names,
            last_name=trainee.last_name,
            logins=logins,
        )
        if trainee.user_id is None:
            trainee.user = user
            trainee.save(update_fields=["user"])
        # The « décision de prise en charge » of the admitted RS1 dossier, through the
        # decisions service: the account is in use (the demo password), so the trainee's
        # space keeps it and the decision prints no one-time password.
        dossier = enrollment.dossiers.filter(
            kind=Dossier.Kind.RS1, status=Dossier.Status.ADMITTED
        ).first()
        if dossier is not None and not dossier.decisions.exists():
            decisions.issue_on_admission(dossier, agent)
    if len(enrollments) < len(DEMO_TRAINEES):
        return
    today = date.today()
    month = (today.replace(day=1) - timedelta(days=32)).replace(day=1)  # two months ago
    if not Payment.objects.filter(region=region, month__lte=month).exists():
        run = payments.start_run(region, "monthly", month, agent)
        run = payments.execute_run(run.pk)
        if run.payments.exists():
            sepa.export_run(run, second)
            for n, payment in enumerate(run.payments.filter(status="sent").order_by("pk")):
                payment.status = "paid"
                payment.paid_on = min(today, (payment.month + timedelta(days=32)).replace(day=18))
                payment.mandate_number = f"M-{payment.month.year}-{n + 1:05d}"
                payment.save(update_fields=["status", "paid_on", "mandate_number"])
    first, other = enrollments
    dossier = first.dossiers.filter(kind=Dossier.Kind.RS1).first()
    if not DocumentRequest.objects.filter(dossier=dossier).exists():
        DocumentRequest.objects.create(
            dossier=dossier,
            doc_type="ID",
            message="Une copie lisible de votre pièce d'identité, recto et verso.",
            requested_by=agent,
        )
    if not Overpayment.objects.filter(trainee=other.trainee).exists():
        claim = Overpayment.objects.create(
            region=region,
            trainee=other.trainee,
            enrollment=other,
            source=Overpayment.Source.WRONG_INFORMATION,
            amount=Decimal("180.00"),
            remaining=Decimal("180.00"),
            label="Information erronée : reprise d'emploi déclarée tardivement",
            explanation=[
                "Vous avez travaillé du 8 au 19 juin 2026 sans le signaler à votre organisme.",
                "Ces jours ont été payés par la Région : 180,00 € vous sont réclamés.",
            ],
        )
        overpayments.notify(claim, user=agent)


DEMO_CLAIM_LABEL = "Trop-perçu de fin de formation"


def _seed_overpayments(agent):
    """Overpayments in every state on trainees of finished trainings (paid before the platform:
    no run of the demo reads their dossiers): detected, notified with a pending waiver request,
    recovering on a plan with a late instalment, settled, written off under the threshold,
    waived. Through the services, so each has its explanation, history and recoveries."""
    from remu.overpayments import services as overpayments
    from remu.overpayments.claims import explain_item
    from remu.overpayments.models import Overpayment
    from remu.rules.money import euros

    region = agent.region
    # Idempotent: the trainee space's demo claim (seed_trainee_space) is not one of these.
    if Overpayment.objects.filter(region=region, label__startswith=DEMO_CLAIM_LABEL).exists():
        return
    enrollments = list(
        Enrollment.objects.filter(
            action__region=region, status=Enrollment.Status.COMPLETED, exit_date__isnull=False
        )
        .select_related("action")
        .order_by("pk")[:6]
    )
    if len(enrollments) < 6:
        return
    today = date.today()

    def claim(enrollment, source, why, rows):
        last = enrollment.exit_date.replace(day=1)
        months = [(last - timedelta(days=28 * n)).replace(day=1) for n in range(len(rows))]
        items = [
            overpayments.Item(
                month, component, Decimal(paid), Decimal(due), Decimal(paid) - Decimal(due)
            )
            for month, (component, paid, due) in zip(months, rows, strict=True)
        ]
        explanation = [why] + [explain_item(i.month, i.component, i.paid, i.due) for i in items]
        explanation.append(f"Total réclamé : {euros(sum((i.amount for i in items), Decimal(0)))}.")
        return overpayments.detect(
            region=region,
            trainee_id=enrollment.trainee_id,
            enrollment_id=enrollment.pk,
            source=source,
            label=f"{DEMO_CLAIM_LABEL} ({enrollment.action.number})",
            items=items,
            explanation=explanation,
            by=agent,
        )

    S = Overpayment.Source
    claim(
        enrollments[0], S.DROPOUT,
        "Abandon sans motif légitime : le dernier mois perçu et le mois de l'abandon sont "
        "réclamés en totalité.",
        [("remuneration", "743.84", "0.00")],
    )  # fmt: skip
    notified = claim(
        enrollments[1], S.ATTENDANCE_CORRECTION,
        "Le montant dû a été recalculé après paiement (présence corrigée).",
        [("remuneration", "743.84", "359.10"), ("remuneration", "769.49", "641.24")],
    )  # fmt: skip
    overpayments.notify(notified, user=agent)
    overpayments.request_waiver(
        notified, received_on=today - timedelta(days=5), requested_amount=Decimal("200.00"),
        reasons="Perte d'emploi du conjoint", situation="Revenus du foyer : 1 150 € par mois",
        user=agent,
    )  # fmt: skip
    recovering = claim(
        enrollments[2], S.FRANCE_TRAVAIL_OVERLAP,
        "Du 1er au 30 du mois, ARE versée par France Travail : les jours payés aussi par la "
        "Région sont réclamés.",
        [("remuneration", "769.49", "0.00"), ("allowances", "98.79", "0.00")],
    )  # fmt: skip
    overpayments.notify(recovering, user=agent)
    plan = overpayments.equal_instalments(recovering.remaining, 4, today - timedelta(days=45))
    overpayments.set_plan(recovering, plan, user=agent)
    first = recovering.instalments.order_by("due_on").first()
    overpayments.receive_instalment(
        first, amount=first.amount, on=first.due_on + timedelta(days=2), user=agent
    )
    settled = claim(
        enrollments[3], S.WRONG_INFORMATION,
        "Correction (catégorie de rémunération) : valeur déclarée travailleur non salarié, "
        "valeur exacte demandeur d'emploi.",
        [("remuneration", "708.59", "500.00")],
    )  # fmt: skip
    overpayments.notify(settled, user=agent)
    overpayments.receive(
        settled, amount=settled.remaining, on=today - timedelta(days=3), user=agent,
        note="Virement du stagiaire",
    )  # fmt: skip
    claim(
        enrollments[4], S.ATTENDANCE_CORRECTION,
        "Le montant dû a été recalculé après paiement (absence injustifiée déclarée après "
        "coup).",
        [("remuneration", "743.84", "692.54")],
    )  # fmt: skip
    # (51,30 €: written off at once, under the 100 € threshold; still withheld from later pay)
    waived = claim(
        enrollments[5], S.DROPOUT,
        "Seuls les jours payés après la date réelle de sortie sont réclamés.",
        [("remuneration", "743.84", "384.74")],
    )  # fmt: skip
    overpayments.notify(waived, user=agent)
    waiver = overpayments.request_waiver(
        waived, received_on=today - timedelta(days=30), requested_amount=waived.amount,
        reasons="Hospitalisation", situation="Sans ressources", user=agent,
    )  # fmt: skip
    overpayments.schedule_waiver(waiver, today - timedelta(days=10))
    overpayments.decide_waiver(
        waiver, decision="granted", granted_amount=None, decided_on=today - timedelta(days=10),
        reference="Commission du mois", user=agent,
    )  # fmt: skip
