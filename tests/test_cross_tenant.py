"""Walks every URL of the application as users of another provider and of another region.

Every URL must be declared below: a new view fails `test_every_url_is_declared` until it says
which object its parameters name and which area it belongs to. Another organisation's object
answers 404; an area a role may not enter answers 403; a list never shows another
organisation's objects.
"""

from datetime import date, timedelta

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone

from remu.accounts.models import ProviderMembership, User
from remu.api.models import ApiToken
from remu.attendance.models import (
    Absence,
    AttendanceLine,
    AttendanceStatement,
    SickLeave,
    Withdrawal,
)
from remu.dossiers.models import (
    AdmissionDecision,
    DocumentRequest,
    Dossier,
    Journey,
    SupportingDocument,
)
from remu.execution.models import Trainer
from remu.invoicing.models import Invoice, SubcontractInvoice, Subcontractor
from remu.overpayments.models import Overpayment, WaiverRequest
from remu.payments.models import Adjustment, Payment, PaymentRun, SepaFile, SocialContribution
from remu.referential.models import CampaignDocument
from remu.scales.models import ScaleVersion
from remu.trainee_space.models import BankDetailsChange

from . import factories as f

# Reachable without logging in; token URLs carry no tenant object.
PUBLIC = {
    "accounts:login",
    "accounts:logout",
    "accounts:password_reset",
    "accounts:password_reset_done",
    "accounts:password_reset_confirm",
    "accounts:password_reset_complete",
    "accounts:invitation",
    "referential:region_logo",
    "simulator:simulate",
    "attendance:import_template",
    "api:openapi-json",
    "api:openapi-view",
    "api:api-root",
    # Trainees' OpenID Connect login (404 while it is off, as in these tests).
    "oidc:authenticate",
    "oidc:callback",
    "oidc:logout",
}

# JSON API: authenticated by a provider's token (not the session); URL name -> the victim's
# object whose pk goes in the URL, and the HTTP method.
API_URLS = {
    "api:list_actions": (None, "get"),
    "api:list_statements": ("action", "get"),
    "api:create_statement": ("action", "post"),
    "api:get_statement": ("statement", "get"),
    "api:declare": ("statement", "post"),
    "api:validate": ("statement", "post"),
    "api:invoicing_hours": ("action", "get"),
    "api:confirm_declaration": ("action", "post"),
    "api:list_invoices": (None, "get"),
    "api:register_trainees": ("action", "post"),
}

# URL name -> (area, the victim's object whose pk goes in the URL). Areas: "agent" (regional
# agents only), "provider" (provider users only), "any" (both, scoped to the provider or the
# region), "region" (both; shared by every organisation of the region, such as the guides a
# region publishes for a campaign), "rules_admin" (agents with the rules-administrator right;
# the attackers have not got it), "provider_admin" (administrators of the provider; neither).
OBJECT_URLS = {
    "actions:detail": ("any", "action"),
    "actions:update": ("agent", "action"),
    "referential:campaign_update": ("agent", "campaign"),
    "referential:campaign_documents": ("agent", "campaign"),
    "referential:campaign_document_delete": ("agent", "document"),
    "referential:campaign_document_download": ("region", "document"),
    "referential:programme_update": ("agent", "programme"),
    "referential:provider_detail": ("agent", "provider"),
    "referential:provider_update": ("agent", "provider"),
    "accounts:provider_invite": ("agent", "provider"),
    "accounts:membership_resend": ("agent", "membership"),
    "accounts:membership_remove": ("agent", "membership"),
    "dossiers:detail": ("any", "dossier"),
    "dossiers:confirm": ("provider", "dossier"),
    "dossiers:delete": ("provider", "dossier"),
    "dossiers:upload": ("provider", "dossier"),
    "dossiers:print": ("any", "dossier"),
    "dossiers:nir_prefill": ("provider", "dossier"),
    "dossiers:travel_move": ("any", "dossier"),
    "dossiers:hours_change": ("any", "dossier"),
    "dossiers:document": ("any", "supporting_document"),
    "dossiers:reception": ("agent", "submitted_dossier"),
    "dossiers:decision": ("agent", "submitted_dossier"),
    "dossiers:confirm_admission": ("agent", "admitted_dossier"),
    "dossiers:admission_decision": ("any", "admission_decision"),
    "dossiers:reissue_codes": ("agent", "admitted_dossier"),
    "attendance:trainees": ("any", "action"),
    "attendance:trainees_xlsx": ("any", "action"),
    "attendance:statements": ("any", "action"),
    "home:trainee": ("any", "trainee"),
    "attendance:statement": ("any", "statement"),
    "attendance:refresh": ("provider", "statement"),
    "attendance:presence": ("provider", "statement"),
    "attendance:validate": ("provider", "statement"),
    "attendance:certificate": ("any", "statement"),
    "attendance:absence_add": ("provider", "line"),
    "attendance:part_time": ("provider", "line"),
    "attendance:reopen": ("agent", "line"),
    "attendance:absence_delete": ("provider", "absence"),
    "attendance:withdrawal": ("provider", "enrollment"),
    "attendance:withdrawal_decide": ("agent", "withdrawal"),
    "attendance:import": ("provider", "statement"),
    "tokens:agent": ("agent", "provider"),
    "tokens:revoke": ("any", "token"),
    "payments:run": ("agent", "run"),
    "payments:progress": ("agent", "run"),
    "payments:sepa_export": ("agent", "run"),
    "payments:sepa_download": ("agent", "sepa_file"),
    "payments:bank_details": ("agent", "admitted_dossier"),
    "payments:advice": ("any", "paid_payment"),
    "overpayments:detail": ("agent", "overpayment"),
    "overpayments:notify": ("agent", "overpayment"),
    "overpayments:notice": ("agent", "overpayment"),
    "overpayments:plan": ("agent", "overpayment"),
    "overpayments:receipt": ("agent", "overpayment"),
    "overpayments:waiver_request": ("agent", "overpayment"),
    "overpayments:waiver_schedule": ("agent", "waiver"),
    "overpayments:waiver_decide": ("agent", "waiver"),
    "overpayments:benefit_period": ("agent", "enrollment"),
    "overpayments:correction": ("agent", "admitted_dossier"),
    "dossiers:journey_review": ("agent", "rs2_dossier"),
    "payments:adjustment_add": ("agent", "enrollment"),
    "payments:adjustment_decide": ("agent", "adjustment"),
    "payments:adjustment_document": ("agent", "adjustment"),
    "attendance:sick_leaves": ("agent", "enrollment"),
    "attendance:sick_leave_delete": ("agent", "sick_leave"),
    # The trainee's own space (issue 15): the victim trainee's objects.
    "trainee_space:month": ("trainee", "line"),
    "trainee_space:advice": ("trainee", "paid_payment"),
    "trainee_space:decision": ("trainee", "admission_decision"),
    "trainee_space:upload": ("trainee", "document_request"),
    "trainee_space:overpayment": ("trainee", "overpayment"),
    "trainee_space:agent_bank_change": ("agent", "bank_change"),
    "trainee_space:agent_bank_change_document": ("agent", "bank_change"),
    "invoicing:declarations": ("any", "action"),
    "invoicing:correction": ("provider", "enrollment"),
    "invoicing:billing": ("any", "action"),
    "invoicing:subcontract_add": ("provider", "action"),
    "invoicing:balance": ("provider", "action"),
    "invoicing:terms": ("agent", "action"),
    "invoicing:subcontract_confirm": ("provider", "subcontract"),
    "invoicing:invoice": ("any", "invoice"),
    "invoicing:invoice_confirm": ("provider", "invoice"),
    "invoicing:invoice_delete": ("provider", "invoice"),
    "invoicing:invoice_pdf": ("any", "invoice"),
    "invoicing:invoice_decide": ("agent", "invoice"),
    "invoicing:invoice_paid": ("agent", "invoice"),
    "execution:action": ("any", "action"),
    "execution:dates": ("any", "action"),
    "execution:report_request": ("any", "action"),
    "execution:registrations": ("any", "action"),
    "execution:register": ("provider", "action"),
    "execution:import": ("provider", "action"),
    "execution:trainers": ("any", "action"),
    "execution:opening": ("provider", "action"),
    "execution:closure": ("provider", "action"),
    "execution:surveys": ("any", "action"),
    "execution:editions": ("any", "action"),
    "execution:edition": ("any", "action"),
    "execution:blank_document": ("any", "action"),
    "execution:reopen": ("agent", "action"),
    "execution:registration": ("provider", "enrollment"),
    "execution:unregister": ("provider", "enrollment"),
    "execution:exit": ("provider", "enrollment"),
    "execution:survey": ("provider", "enrollment"),
    "execution:trainer_remove": ("provider", "trainer"),
}

# URL name -> area, for pages without parameters (lists, dashboards, forms, own account).
PAGE_URLS = {
    "home:home": "any",
    "home:provider_home": "provider",
    "home:agent_dashboard": "agent",
    "home:statements": "provider",
    "home:runs_todo": "agent",
    "overpayments:list": "agent",
    "overpayments:export": "agent",
    "overpayments:agenda": "agent",
    "overpayments:receipts": "agent",
    "accounts:account": "any",
    "accounts:password_change": "any",
    "accounts:two_factor_setup": "any",
    "accounts:two_factor_verify": "any",
    "accounts:two_factor_codes": "any",
    "audit:log": "rules_admin",
    "accounts:switch_provider": "provider",
    "communes:lookup": "any",
    "actions:list": "agent",
    "actions:create": "agent",
    "referential:campaign_list": "agent",
    "referential:campaign_create": "agent",
    "referential:programme_list": "agent",
    "referential:programme_create": "agent",
    "referential:provider_list": "agent",
    "referential:provider_create": "agent",
    "scales:list": "agent",
    "dossiers:list": "any",
    "dossiers:create": "provider",
    "dossiers:action_options": "provider",
    "dossiers:action_numbers": "any",
    "attendance:withdrawals": "agent",
    "attendance:late": "agent",
    "tokens:provider": "provider_admin",
    "payments:runs": "agent",
    "referential:region_settings": "rules_admin",
    "payments:returns": "agent",
    "payments:tax_rates": "agent",
    "payments:contributions": "agent",
    "payments:contributions_xlsx": "agent",
    "scales:create": "rules_admin",
    "scales:revaluation": "rules_admin",
    "payments:adjustments": "agent",
    "trainee_space:home": "trainee",
    "trainee_space:payments": "trainee",
    "trainee_space:bank_details": "trainee",
    "trainee_space:rights": "trainee",
    "trainee_space:notifications": "trainee",
    "trainee_space:agent_bank_changes": "agent",
    "invoicing:invoices": "any",
    "invoicing:late": "agent",
    "invoicing:dashboard": "agent",
    "invoicing:dashboard_xlsx": "agent",
    "execution:actions": "provider",
    "execution:surveys_due": "provider",
    "execution:import_template": "provider",
    "execution:agent_list": "agent",
}

# Area "trainee": the logged-in trainee's own space (the victim trainee's objects; another
# trainee gets 404, agents and providers 403). A trainee reaches nothing else but these pages
# of every role (their account, the home that sends them to their space): 403 elsewhere.
TRAINEE_ALSO = {
    "home:home",
    "accounts:account",
    "accounts:password_change",
    "accounts:two_factor_setup",
    "accounts:two_factor_verify",
    "accounts:two_factor_codes",
}


def all_url_names():
    def walk(patterns, namespace):
        for p in patterns:
            if isinstance(p, URLResolver):
                ns = p.namespace or namespace
                yield from walk(p.url_patterns, ns)
            elif isinstance(p, URLPattern) and p.name:
                yield f"{namespace}:{p.name}" if namespace else p.name

    return set(walk(get_resolver().url_patterns, None))


def test_every_url_is_declared():
    declared = PUBLIC | set(OBJECT_URLS) | set(PAGE_URLS) | set(API_URLS)
    undeclared = all_url_names() - declared
    assert not undeclared, f"Declare these URLs in tests/test_cross_tenant.py: {undeclared}"
    assert not declared - all_url_names(), "Declared URLs that no longer exist"


# What only the victim provider (and its region's agents) may see, and what the whole region
# shares (campaigns, programmes, published guides).
PRIVATE_MARKERS = ["VICTIM-ACT-001", "Organisme Victime", "victime@of.example"]
PRIVATE_MARKERS += ["VICTIME-DOSSIER", "VICTIME-REF", "VICTIME-AJUSTEMENT"]
REGION_MARKERS = ["Campagne Victime", "Dispositif Victime", "Guide Victime", "Version Victime"]


@pytest.fixture
def world(db, region, other_region):
    """The victim's objects (provider « Victime » in the first region) and the attackers."""
    victim_provider = f.ProviderFactory(region=region, name="Organisme Victime")
    campaign = f.CampaignFactory(region=region, label="Campagne Victime")
    programme = f.ProgrammeFactory(region=region, name="Dispositif Victime")
    action = f.TrainingActionFactory(
        region=region,
        provider=victim_provider,
        campaign=campaign,
        programme=programme,
        number="VICTIM-ACT-001",
    )
    first, second = f.EnrollmentFactory(action=action), f.EnrollmentFactory(action=action)
    victim_user = f.ProviderUserFactory(email="victime@of.example", providers=[victim_provider])
    document = CampaignDocument(campaign=campaign, title="Guide Victime")
    document.file.save("guide.pdf", __import__("io").BytesIO(b"%PDF-1.4 test"), save=False)
    document.save()
    dossier = Dossier.objects.create(
        region=region,
        action=action,
        enrollment=first,
        kind="RS1",
        number="VICTIME-DOSSIER",
    )
    submitted = Dossier.objects.create(
        region=region,
        action=action,
        enrollment=first,
        kind="P2S",
        number="VICTIME-DOSSIER-2",
        status="submitted",
    )
    supporting = SupportingDocument(
        dossier=dossier,
        doc_type="ID",
        original_name="id.pdf",
        content_type="application/pdf",
        size=12,
        uploaded_by=victim_user,
    )
    supporting.file.save("upload", __import__("io").BytesIO(b"%PDF-1.4 id"), save=False)
    supporting.save()
    admitted = Dossier.objects.create(
        region=region,
        action=action,
        enrollment=second,
        kind="RS1",
        number="VICTIME-DOSSIER-3",
        status="admitted",
        rate_category="JOB_SEEKER",
        weekly_hours=35,
    )
    statement = AttendanceStatement.objects.create(
        action=action, month=date(2026, 3, 1), created_by=victim_user
    )
    line = AttendanceLine.objects.create(
        statement=statement, dossier=admitted, enrollment=admitted.enrollment, full_time=True
    )
    absence = Absence.objects.create(
        line=line, reason="UNJUSTIFIED", start=date(2026, 3, 10), end=date(2026, 3, 10)
    )
    withdrawal = Withdrawal.objects.create(
        enrollment=admitted.enrollment,
        reason="job",
        exit_date=date(2026, 4, 1),
        declared_by=victim_user,
    )
    token, _ = ApiToken.issue(provider=victim_provider, name="Logiciel victime", user=victim_user)
    run = PaymentRun.objects.create(
        region=region, kind="monthly", month=date(2026, 3, 1), status="done", created_by=victim_user
    )
    paid = Payment.objects.create(
        region=region,
        run=run,
        enrollment=admitted.enrollment,
        dossier=admitted,
        month=date(2026, 3, 1),
        component="remuneration",
        amount=100,
        net=100,
        label="Rémunération de mars 2026",
        iban="FR7630006000011234567890189",
        account_holder="Victime",
        reference="VICTIME-REF",
        status="paid",
        paid_on=date(2026, 4, 18),
        mandate_number="M-1",
    )
    # The victim's social contributions of last month (the summary page's default month).
    SocialContribution.objects.create(
        region=region,
        enrollment=admitted.enrollment,
        dossier=admitted,
        month=(timezone.localdate().replace(day=1) - timedelta(days=1)).replace(day=1),
        kind="paid",
        hours=151,
        base="2.03",
        amount="306.53",
    )
    sepa_file = SepaFile.objects.create(
        run=run, created_by=victim_user, message_id="M", content=b"<xml/>", count=1, total=100
    )
    overpayment = Overpayment.objects.create(
        region=region,
        trainee=admitted.enrollment.trainee,
        enrollment=admitted.enrollment,
        source="dropout",
        status="notified",
        amount=100,
        remaining=100,
        label="Indu VICTIME-REF",
    )
    waiver = WaiverRequest.objects.create(
        overpayment=overpayment,
        received_on=date(2026, 5, 2),
        requested_amount=50,
        reasons="Situation difficile",
        recorded_by=f.AgentFactory(region=region),
    )
    rs2 = Dossier.objects.create(
        region=region,
        action=action,
        enrollment=second,
        kind="RS2",
        number="VICTIME-DOSSIER-4",
        status="received",
    )
    Journey.objects.create(
        dossier=rs2,
        date=date(2026, 3, 2),
        purpose="start_end",
        origin="Tours",
        destination="Orléans",
        distance_km=115,
        amount=30,
    )
    adjustment = Adjustment(
        region=region,
        enrollment=admitted.enrollment,
        month=date(2026, 3, 1),
        corrects="adjustment",
        amount=50,
        reason="VICTIME-AJUSTEMENT",
        created_by=f.AgentFactory(region=region),
        document_type="application/pdf",
        document_name="piece.pdf",
    )
    adjustment.document.save("upload", __import__("io").BytesIO(b"%PDF-1.4 adj"), save=False)
    adjustment.save()
    sick_leave = SickLeave.objects.create(
        enrollment=admitted.enrollment,
        kind="SICKNESS",
        start=date(2026, 3, 9),
        end=date(2026, 3, 20),
        daily_allowance=20,
        created_by=adjustment.created_by,
    )
    victim_trainee = admitted.enrollment.trainee
    victim_trainee.user = User.objects.create_user(
        "stagiaire-victime@example.org", "x", role=User.Role.TRAINEE
    )
    victim_trainee.save(update_fields=["user"])
    document_request = DocumentRequest.objects.create(
        dossier=admitted, doc_type="ID", requested_by=adjustment.created_by
    )
    bank_change = BankDetailsChange(
        region=region,
        trainee=victim_trainee,
        account_holder="Victime",
        iban="FR1420041010050500013M02606",
        document_name="rib.pdf",
        document_type="application/pdf",
    )
    bank_change.document.save("upload", __import__("io").BytesIO(b"%PDF-1.4 rib"), save=False)
    bank_change.save()
    second_trainee = f.EnrollmentFactory(action=action).trainee
    second_trainee.user = User.objects.create_user(
        "stagiaire-voisin@example.org", "x", role=User.Role.TRAINEE
    )
    second_trainee.save(update_fields=["user"])
    admission_decision = AdmissionDecision.objects.create(
        dossier=admitted, version=1, number="VICTIME-DOSSIER-3-D1", issued_by=victim_user
    )
    invoice = Invoice.objects.create(
        provider=victim_provider,
        action=action,
        status="confirmed",
        sequence=1,
        number="F-000001",
        lines_total=100,
        total_ht=100,
        total_ttc=100,
        vat_exemption="Exonération",
        created_by=victim_user,
    )
    subcontract = SubcontractInvoice.objects.create(
        subcontractor=Subcontractor.objects.create(action=action, name="Sous-traitant Victime"),
        amount_ht=10,
        created_by=victim_user,
    )
    trainer = Trainer.objects.create(
        action=action,
        last_name="Formateur",
        first_name="Victime",
        field="gestion",
        status="cdd",
        background="VICTIME-REF",
    )
    objects = {
        "admission_decision": admission_decision,
        "document_request": document_request,
        "bank_change": bank_change,
        "invoice": invoice,
        "subcontract": subcontract,
        "trainer": trainer,
        "overpayment": overpayment,
        "waiver": waiver,
        "rs2_dossier": rs2,
        "adjustment": adjustment,
        "sick_leave": sick_leave,
        "run": run,
        "paid_payment": paid,
        "sepa_file": sepa_file,
        "admitted_dossier": admitted,
        "token": token,
        "statement": statement,
        "line": line,
        "absence": absence,
        "withdrawal": withdrawal,
        "enrollment": admitted.enrollment,
        "trainee": admitted.enrollment.trainee,
        "dossier": dossier,
        "submitted_dossier": submitted,
        "supporting_document": supporting,
        "action": action,
        "campaign": campaign,
        "programme": programme,
        "provider": victim_provider,
        "membership": ProviderMembership.objects.get(user=victim_user),
        "document": document,
    }
    # A scale version stored by the victim's region, for the parameter set both regions follow.
    ScaleVersion.objects.create(
        region=region,
        start=date(2026, 1, 1),
        label="Version Victime",
        age_bands=[{"code": "all", "label": "tous"}],
        amounts={"JOB_SEEKER": "999.00"},
        created_by=f.AgentFactory(region=region),
    )
    same_region_provider = f.ProviderFactory(region=region, name="Organisme Voisin")
    f.TrainingActionFactory(region=region, provider=same_region_provider, campaign=campaign)
    far_provider = f.ProviderFactory(region=other_region, name="Organisme Lointain")
    f.TrainingActionFactory(region=other_region, provider=far_provider)
    attackers = {
        "provider of the same region": (
            "provider",
            f.ProviderUserFactory(email="voisin@of.example", providers=[same_region_provider]),
        ),
        "provider of another region": (
            "provider",
            f.ProviderUserFactory(email="lointain@of.example", providers=[far_provider]),
        ),
        "agent of another region": ("agent", f.AgentFactory(region=other_region)),
        "another trainee of the same action": ("trainee", second_trainee.user),
    }
    owners = {
        "agent": f.AgentFactory(region=region),
        "provider": victim_user,
        "trainee": victim_trainee.user,
    }
    return objects, attackers, owners


def _allowed(area, role, name=""):
    if role == "trainee":
        return area == "trainee" or name in TRAINEE_ALSO
    return area in ("any", "region") or area == role


def _status(client, method, url):
    response = getattr(client, method)(url)
    if response.streaming:  # reading a download to its end closes its file
        b"".join(response.streaming_content)
    return response.status_code


def _body(response) -> str:
    """A page's text; an Excel export's cells (its XML, unzipped)."""
    if response["Content-Type"].startswith("application/vnd.openxmlformats"):
        import io
        import zipfile

        with zipfile.ZipFile(io.BytesIO(response.content)) as book:
            return " ".join(book.read(n).decode() for n in book.namelist() if n.endswith(".xml"))
    return response.content.decode()


def _same_region(label):
    return label == "provider of the same region"


def test_other_organisations_objects_answer_404(client, world):
    objects, attackers, owners = world
    for name, (area, key) in OBJECT_URLS.items():
        url = reverse(name, args=[objects[key].pk])
        for label, (role, attacker) in attackers.items():
            if area == "region" and _same_region(label):
                continue  # shared within the region, by design
            client.force_login(attacker)
            expected = 404 if _allowed(area, role, name) else 403
            statuses = {_status(client, "get", url), _status(client, "post", url)}
            assert expected in statuses and statuses <= {expected, 405}, (
                f"{name} as {label}: {statuses}, expected {expected}"
            )
        # The owner reaches it: the test would notice a URL that answers 404 to everyone.
        owner = owners[area if area in ("provider", "trainee") else "agent"]
        if name == "tokens:revoke":
            continue  # the owner revoking would change the world for the next checks
        client.force_login(owner)
        assert _status(client, "get", url) in (200, 302, 405), f"{name} as its owner"


def test_pages_never_show_other_organisations_objects(client, world):
    objects, attackers, owners = world
    for name, area in PAGE_URLS.items():
        url = reverse(name)
        for label, (role, attacker) in attackers.items():
            client.force_login(attacker)
            response = client.get(url)
            if not _allowed(area, role, name):
                assert response.status_code in (403, 405), f"{name} as {label}"
                continue
            assert response.status_code in (200, 302, 405), f"{name} as {label}"
            body = _body(response)
            markers = PRIVATE_MARKERS + ([] if _same_region(label) else REGION_MARKERS)
            for marker in markers:
                assert marker not in body, f"{name} as {label} shows {marker}"


def test_anonymous_users_are_sent_to_login(client, world):
    objects, _, _ = world
    urls = [reverse(n) for n in PAGE_URLS] + [
        reverse(n, args=[objects[key].pk]) for n, (_, key) in OBJECT_URLS.items()
    ]
    for url in urls:
        response = client.get(url)
        assert response.status_code == 302 and "/connexion/" in response["Location"], url


def test_switching_to_another_providers_space_is_refused(client, world):
    objects, attackers, _ = world
    _, neighbour = attackers["provider of the same region"]
    client.force_login(neighbour)
    response = client.post(
        reverse("accounts:switch_provider"), {"provider": objects["provider"].pk}
    )
    assert response.status_code == 404
    home = client.get(reverse("home:provider_home"))
    assert "VICTIM-ACT-001" not in home.content.decode()


def test_a_region_agent_cannot_attach_another_regions_objects(client, world, other_region):
    """Forms only offer, and only accept, the agent's own region's campaigns and providers."""
    objects, attackers, _ = world
    _, far_agent = attackers["agent of another region"]
    client.force_login(far_agent)
    own = f.TrainingActionFactory(region=other_region)
    response = client.post(
        reverse("actions:create"),
        {
            "number": "INTRUS-1",
            "title": "Intrusion",
            "campaign": objects["campaign"].pk,
            "programme": own.programme.pk,
            "provider": objects["provider"].pk,
            "kind": "market",
            "status": "planned",
            "planned_start": date(2026, 1, 5),
            "planned_end": date(2026, 6, 5),
            "weekly_hours": "35",
            "hours_in_centre": "10",
            "hours_in_company": "0",
            "max_trainees": "5",
            "max_paid_trainees": "5",
            "unit_cost_centre": "1",
            "unit_cost_company": "1",
            "periods-TOTAL_FORMS": "0",
            "periods-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert "Sélectionnez un choix valide" in body
    assert not own.region.actions.filter(number="INTRUS-1").exists()


def test_the_markers_are_visible_to_their_owners(client, world):
    """Guards the marker test: the owners do see what the attackers must not."""
    _, _, owners = world
    client.force_login(owners["agent"])
    assert "Version Victime" in client.get(reverse("scales:list")).content.decode()
    assert "VICTIM-ACT-001" in client.get(reverse("actions:list")).content.decode()
    assert "Dispositif Victime" in client.get(reverse("payments:contributions")).content.decode()
    assert "Dispositif Victime" in _body(client.get(reverse("payments:contributions_xlsx")))
    assert "VICTIME-AJUSTEMENT" in client.get(reverse("payments:adjustments")).content.decode()
    client.force_login(owners["provider"])
    assert "VICTIM-ACT-001" in client.get(reverse("home:provider_home")).content.decode()


def test_the_api_answers_404_with_another_providers_token(client, world, other_region):
    objects, attackers, owners = world
    _, neighbour = attackers["provider of the same region"]
    _, neighbour_token = ApiToken.issue(
        provider=neighbour.memberships.get().provider, name="Voisin", user=neighbour
    )
    _, victim_token = ApiToken.issue(
        provider=objects["action"].provider, name="Victime", user=owners["provider"]
    )
    bodies = {
        "api:declare": [],
        "api:validate": {"lines": []},
        "api:confirm_declaration": {"month": "2026-03-01"},
        "api:register_trainees": [],
    }
    for name, (key, method) in API_URLS.items():
        url = reverse(name, args=[objects[key].pk] if key else [])
        call = getattr(client, method)
        kwargs = {"content_type": "application/json"}
        if name in bodies:
            kwargs["data"] = bodies[name]
        assert call(url, **kwargs).status_code == 401, f"{name} without a token"
        response = call(url, HTTP_AUTHORIZATION=f"Bearer {neighbour_token}", **kwargs)
        if key is None:
            assert "VICTIM-ACT-001" not in response.content.decode()
            assert "F-000001" not in response.content.decode()
        else:
            assert response.status_code == 404, f"{name} with another provider's token"
        if method == "get":
            own = call(url, HTTP_AUTHORIZATION=f"Bearer {victim_token}", **kwargs)
            assert own.status_code == 200, f"{name} with the owner's token"
