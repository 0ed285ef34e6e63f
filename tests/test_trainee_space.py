"""The trainee's space (issue 15 §3, §4): the next payment and the last ones, a month in
detail with its advice, the documents asked for, overpayments and waiver requests, bank-details
changes validated by an agent, the rights page from the region's parameters, e-mail
notifications, and who may see what."""

import datetime as dt
import io
import os
from decimal import Decimal

import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.urls import reverse

from remu.accounts.models import User
from remu.attendance import services as attendance
from remu.audit.models import AccessEvent
from remu.dossiers import services as dossier_services
from remu.dossiers.models import DocumentRequest, SupportingDocument
from remu.overpayments import services as overpayment_services
from remu.overpayments.models import Overpayment, WaiverRequest
from remu.payments import sepa
from remu.payments import services as payments
from remu.payments.models import Payment
from remu.trainee_space import selectors, services
from remu.trainee_space.models import BankDetailsChange, NotificationPreferences

from . import factories as f

MARCH = dt.date(2026, 3, 1)
PDF = b"%PDF-1.4 piece"
NEW_IBAN = "FR1420041010050500013M02606"


def trainee_user(trainee, email):
    user = User.objects.create_user(email, "mot-de-passe-stagiaire-2026", role=User.Role.TRAINEE)
    trainee.user = user
    trainee.save(update_fields=["user"])
    return user


@pytest.fixture
def space(pay_world, settings, tmp_path):
    """The pay world's trainee with a login, March run, exported and paid (mandate M-42)."""
    settings.MEDIA_ROOT = tmp_path
    world = pay_world
    region = world["region"]
    region.sepa_debtor_name, region.sepa_debtor_iban = "Région", "FR7630006000011234567890189"
    region.save()
    trainee = world["enrollment"].trainee
    trainee.email = "lea@example.org"
    trainee.save(update_fields=["email"])
    user = trainee_user(trainee, "lea.stagiaire@example.org")
    run = payments.start_run(region, "monthly", MARCH, world["agent"])
    payments.execute_run(run.pk)
    run.refresh_from_db()
    return {**world, "trainee": trainee, "user": user, "run": run}


def pay(run, agent2):
    """Export the run (by a second agent) and mark its lines paid."""
    sepa.export_run(run, agent2)
    Payment.objects.filter(run=run).update(
        status="paid", paid_on=dt.date(2026, 4, 18), mandate_number="M-42"
    )


@pytest.fixture
def paid(space, django_capture_on_commit_callbacks):
    agent2 = f.AgentFactory(region=space["region"])
    with django_capture_on_commit_callbacks(execute=True):
        pay(space["run"], agent2)
    return {**space, "agent2": agent2}


def test_the_next_payment_follows_the_months_attendance(space):
    trainee = space["trainee"]
    # March validated and ordered, not yet sent: validated, expected 15-20 April (CVL default)
    next_ = selectors.next_payment(trainee, dt.date(2026, 4, 10))
    assert (next_.month, next_.status, next_.text) == (MARCH, "validated", "validé")
    assert (next_.expected_from, next_.expected_to) == (dt.date(2026, 4, 15), dt.date(2026, 4, 20))
    Payment.objects.filter(run=space["run"]).update(status="paid", paid_on=dt.date(2026, 4, 18))
    # March paid: April is next, its statement not yet validated by the provider
    next_ = selectors.next_payment(trainee, dt.date(2026, 5, 2))
    assert next_.month == dt.date(2026, 4, 1)
    assert next_.text == "en attente de l'état de présence de votre organisme"
    assert next_.expected_from == dt.date(2026, 5, 15)
    assert selectors.last_paid(trainee).paid_on == dt.date(2026, 4, 18)


def test_home_shows_the_last_payments_in_colour_with_their_mandate(client, paid):
    client.force_login(paid["user"])
    response = client.get(reverse("trainee_space:home"))
    body = response.content.decode()
    assert response.status_code == 200
    assert "payment-card payment-paid" in body and "mandat n° M-42" in body
    assert "payé le 18 avril 2026" in body
    advice = Payment.objects.filter(run=paid["run"], component="remuneration").get()
    assert reverse("trainee_space:advice", args=[advice.pk]) in body
    pdf = client.get(reverse("trainee_space:advice", args=[advice.pk]))
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF")


def test_the_home_page_after_login_is_the_trainees_space(client, space):
    client.force_login(space["user"])
    assert client.get(reverse("home:home"))["Location"] == reverse("trainee_space:home")


def test_a_month_explains_what_was_paid(client, paid):
    line = paid["line"]
    attendance.reopen_line(line, paid["agent"], "Absences")
    attendance.add_absence(
        line, reason="UNJUSTIFIED", start=dt.date(2026, 3, 10), end=dt.date(2026, 3, 10),
        place="centre",
    )  # fmt: skip
    attendance.add_absence(
        line, reason="CENTRE_CLOSURE", start=dt.date(2026, 3, 16), end=dt.date(2026, 3, 16),
        place="centre",
    )  # fmt: skip
    attendance.validate_lines([line], paid["provider_user"])
    client.force_login(paid["user"])
    body = client.get(reverse("trainee_space:month", args=[line.pk])).content.decode()
    assert "Mon mois de mars 2026" in body
    assert "trentièmes payés sur 30" in body
    assert "absence non justifiée n&#x27;est pas payée" in body
    assert "dans la limite de 15 jours par période de six mois" in body  # CVL's closures
    assert "Impôt prélevé à la source" in body and "Net versé" in body
    assert "Le calcul, pas à pas" in body and "€" in body


def test_another_trainees_objects_are_not_found(client, paid, region):
    other = f.EnrollmentFactory(action=paid["enrollment"].action).trainee
    client.force_login(trainee_user(other, "autre@example.org"))
    advice = Payment.objects.filter(run=paid["run"]).first()
    claim = Overpayment.objects.create(
        region=region, trainee=paid["trainee"], enrollment=paid["enrollment"],
        source="dropout", status="notified", amount=100, remaining=100, label="Indu",
    )  # fmt: skip
    asked = DocumentRequest.objects.create(
        dossier=paid["dossier"], doc_type="ID", requested_by=paid["agent"]
    )
    for url in [
        reverse("trainee_space:month", args=[paid["line"].pk]),
        reverse("trainee_space:advice", args=[advice.pk]),
        reverse("trainee_space:overpayment", args=[claim.pk]),
        reverse("trainee_space:upload", args=[asked.pk]),
    ]:
        assert client.get(url).status_code == 404, url
    home = client.get(reverse("trainee_space:home")).content.decode()
    assert "M-42" not in home and paid["dossier"].number not in home


def test_other_roles_are_refused_and_trainees_stay_in_their_space(client, space, agent):
    for user in (agent, space["provider_user"]):
        client.force_login(user)
        assert client.get(reverse("trainee_space:home")).status_code == 403
    client.force_login(space["user"])
    for url in [
        reverse("dossiers:list"),
        reverse("home:trainee", args=[space["trainee"].pk]),
        reverse("payments:advice", args=[Payment.objects.first().pk]),
        reverse("trainee_space:agent_bank_changes"),
    ]:
        assert client.get(url).status_code == 403, url


def test_the_trainee_uploads_a_requested_document_from_the_phone(client, space, agent):
    asked = DocumentRequest.objects.create(
        dossier=space["dossier"], doc_type="ID", message="Recto verso", requested_by=agent
    )
    client.force_login(space["user"])
    home = client.get(reverse("trainee_space:home")).content.decode()
    assert "Pièces demandées par la Région" in home and "Recto verso" in home
    url = reverse("trainee_space:upload", args=[asked.pk])
    refused = client.post(url, {"file": SimpleUploadedFile("piece.pdf", b"MZ not a pdf")})
    assert "Seuls les fichiers PDF, JPEG ou PNG sont acceptés" in refused.content.decode()
    # The refusal is shown next to the file field (remu.core.forms.add_errors).
    assert "Seuls les fichiers PDF" in refused.context["form"].errors["file"][0]
    assert not SupportingDocument.objects.filter(dossier=space["dossier"]).exists()
    response = client.post(url, {"file": SimpleUploadedFile("piece.pdf", PDF)})
    assert response.status_code == 302
    document = SupportingDocument.objects.get(dossier=space["dossier"], doc_type="ID")
    assert document.uploaded_by == space["user"] and document.review == "pending"
    asked.refresh_from_db()
    assert asked.fulfilled_at is not None
    assert client.get(url).status_code == 404  # no longer asked


def test_an_overpayment_shows_why_the_plan_and_a_waiver_request_reaches_the_agents(
    client, space, agent
):
    claim = Overpayment.objects.create(
        region=space["region"], trainee=space["trainee"], enrollment=space["enrollment"],
        source="dropout", amount=Decimal("300.00"), remaining=Decimal("300.00"),
        label="Abandon sans motif légitime", explanation=["Sortie le 20/03/2026 sans motif."],
    )  # fmt: skip
    overpayment_services.notify(claim, user=agent)
    overpayment_services.set_plan(
        claim, overpayment_services.equal_instalments(Decimal("300"), 3, dt.date(2026, 6, 1)),
        user=agent,
    )  # fmt: skip
    client.force_login(space["user"])
    url = reverse("trainee_space:overpayment", args=[claim.pk])
    body = client.get(url).content.decode()
    assert "Sortie le 20/03/2026 sans motif." in body and "300,00" in body
    assert "1 juin 2026" in body and "100,00" in body  # the plan
    bad = client.post(url, {"requested_amount": "999", "reasons": "Pas de ressources"})
    assert "reste dû" in bad.content.decode()
    response = client.post(
        url, {"requested_amount": "150,00", "reasons": "Pas de ressources", "situation": ""}
    )
    assert response.status_code == 302
    waiver = WaiverRequest.objects.get(overpayment=claim)
    assert waiver.requested_amount == Decimal("150.00") and waiver.recorded_by == space["user"]
    client.force_login(agent)
    assert "Pas de ressources" in client.get(reverse("overpayments:agenda")).content.decode()


def _rib():
    return SimpleUploadedFile("rib.pdf", PDF, content_type="application/pdf")


def test_a_new_rib_is_used_only_once_an_agent_validates_it(client, space, agent, other_region):
    client.force_login(space["user"])
    url = reverse("trainee_space:bank_details")
    bad = client.post(url, {"account_holder": "Léa", "iban": "FR00 1234", "document": _rib()})
    assert "IBAN invalide" in bad.content.decode()
    response = client.post(
        url, {"account_holder": "Léa Martin", "iban": NEW_IBAN, "bic": "", "document": _rib()}
    )
    assert response.status_code == 302
    change = BankDetailsChange.objects.get()
    assert change.status == "pending" and change.transitions.count() == 1
    # Encrypted at rest like every IBAN (docs/architecture.md, « Data protection »).
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT iban FROM trainee_space_bankdetailschange WHERE id = %s", [change.pk]
        )
        stored = cursor.fetchone()[0]
    assert NEW_IBAN.replace(" ", "") not in stored.replace(" ", "") and change.iban == NEW_IBAN
    space["dossier"].refresh_from_db()
    assert space["dossier"].iban == "FR7630006000011234567890189"  # not applied
    assert "attend la validation de la Région" in client.get(url).content.decode()
    again = client.post(url, {"account_holder": "X", "iban": NEW_IBAN, "document": _rib()})
    assert "déjà en attente" in again.content.decode()
    assert BankDetailsChange.objects.count() == 1
    # the agents' to-do and list, scoped to the region
    client.force_login(agent)
    assert (
        "Changements de RIB à valider"
        in client.get(reverse("home:agent_dashboard")).content.decode()
    )
    assert (
        space["trainee"].full_name
        in client.get(reverse("trainee_space:agent_bank_changes")).content.decode()
    )
    client.force_login(f.AgentFactory(region=other_region))
    detail = reverse("trainee_space:agent_bank_change", args=[change.pk])
    assert client.get(detail).status_code == 404
    client.force_login(agent)
    assert client.get(detail).status_code == 200
    assert AccessEvent.objects.filter(label=f"Changement de RIB n° {change.pk}").exists()
    response = client.post(detail, {"decision": "validate"})
    assert response.status_code == 302
    space["dossier"].refresh_from_db()
    assert space["dossier"].iban == NEW_IBAN
    change.refresh_from_db()
    assert change.status == "validated" and change.decided_by == agent
    assert [t.to_status for t in change.transitions.all()] == ["pending", "validated"]
    # a second decision is refused with who decided
    late = client.post(detail, {"decision": "reject", "reason": "Trop tard"})
    assert "déjà été validé" in late.content.decode()


def test_a_rejected_rib_needs_a_reason(client, space, agent):
    change = services.submit_bank_change(
        space["trainee"], space["user"], holder="Léa", iban=NEW_IBAN, bic="", document=_rib()
    )
    client.force_login(agent)
    url = reverse("trainee_space:agent_bank_change", args=[change.pk])
    assert "Indiquez le motif du refus" in client.post(url, {"decision": "reject"}).content.decode()
    client.post(url, {"decision": "reject", "reason": "RIB illisible"})
    change.refresh_from_db()
    assert change.status == "rejected" and change.decision_reason == "RIB illisible"
    client.force_login(space["user"])
    assert "RIB illisible" in client.get(reverse("trainee_space:bank_details")).content.decode()


def test_rights_follow_the_regions_parameters(client, space, region):
    client.force_login(space["user"])
    url = reverse("trainee_space:rights")
    cvl = client.get(url).content.decode()
    assert "Fermeture du centre : dans la limite de 15 jours" in cvl
    assert "5 premières semaines" in cvl and "dernier mois perçu" in cvl
    assert "Votre mariage ou PACS : 4 jours" in cvl
    region.parameter_set = "national"
    region.save()
    national = client.get(url).content.decode()
    assert "Fermeture du centre : dans la limite" not in national
    assert "premières semaines" not in national and "jours payés après votre sortie" in national


def test_notifications_are_sent_and_can_be_turned_off(
    space, agent, django_capture_on_commit_callbacks
):
    agent2 = f.AgentFactory(region=space["region"])
    with django_capture_on_commit_callbacks(execute=True):
        sepa.export_run(space["run"], agent2)
    assert [m.to for m in mail.outbox] == [["lea@example.org"]]
    assert "a transmis au payeur" in mail.outbox[0].body
    services.save_preferences(
        space["trainee"], payment_sent=True, document_requested=False, overpayment_notified=True
    )
    dossier = space["dossier"]
    with django_capture_on_commit_callbacks(execute=True):
        dossier_services.receive(
            dossier, agent, reception_date=dt.date(2026, 3, 5), reviews={},
            requests=[("ID", "")],
        )  # fmt: skip
    assert all(m.to != ["lea@example.org"] for m in mail.outbox[1:])
    NotificationPreferences.objects.update(document_requested=True)
    with django_capture_on_commit_callbacks(execute=True):
        dossier_services.receive(
            dossier, agent, reception_date=dt.date(2026, 3, 5), reviews={},
            requests=[("RIB", "")],
        )  # fmt: skip
    assert any(m.to == ["lea@example.org"] and "pièces" in m.subject for m in mail.outbox)
    claim = Overpayment.objects.create(
        region=space["region"], trainee=space["trainee"], enrollment=space["enrollment"],
        source="dropout", amount=100, remaining=100, label="Indu",
    )  # fmt: skip
    before = len(mail.outbox)
    with django_capture_on_commit_callbacks(execute=True):
        overpayment_services.notify(claim, user=agent)
    assert mail.outbox[before].to == ["lea@example.org"]
    assert claim.notice_number in mail.outbox[before].subject


def test_preferences_page(client, space):
    client.force_login(space["user"])
    url = reverse("trainee_space:notifications")
    assert client.get(url).status_code == 200
    client.post(url, {"payment_sent": "on", "overpayment_notified": "on"})
    preferences = NotificationPreferences.objects.get(trainee=space["trainee"])
    assert preferences.payment_sent and not preferences.document_requested


def test_agents_see_who_accessed_the_trainees_data(client, space, agent):
    change = services.submit_bank_change(
        space["trainee"], space["user"], holder="Léa", iban=NEW_IBAN, bic="", document=_rib()
    )
    client.force_login(agent)
    client.get(reverse("trainee_space:agent_bank_change", args=[change.pk]))
    url = reverse("home:trainee", args=[space["trainee"].pk])
    body = client.get(url).content.decode()
    assert "Accès aux données du stagiaire" in body and str(agent) in body
    assert f"Changement de RIB n° {change.pk}" in body  # the access, and the change itself:
    assert reverse("trainee_space:agent_bank_change", args=[change.pk]) in body
    client.force_login(space["provider_user"])  # the provider sees neither
    body = client.get(url).content.decode()
    assert "Changement de RIB" not in body and "Accès aux données" not in body


def test_home_and_month_query_counts(client, paid, django_assert_max_num_queries):
    DocumentRequest.objects.create(
        dossier=paid["dossier"], doc_type="ID", requested_by=paid["agent"]
    )
    client.force_login(paid["user"])
    client.get(reverse("trainee_space:home"))  # warm the engine's cache
    with django_assert_max_num_queries(17):  # the 17th: the link to the latest decision
        assert client.get(reverse("trainee_space:home")).status_code == 200
    url = reverse("trainee_space:month", args=[paid["line"].pk])
    client.get(url)
    with django_assert_max_num_queries(11):
        assert client.get(url).status_code == 200


def test_the_payment_window_is_in_the_following_month(space):
    start, stop = selectors.payment_window(space["region"], dt.date(2026, 12, 1))
    assert (start, stop) == (dt.date(2027, 1, 15), dt.date(2027, 1, 20))


def test_anonymisation_erases_the_bank_changes(space, django_capture_on_commit_callbacks):
    from remu.home import retention

    change = services.submit_bank_change(
        space["trainee"], space["user"], holder="Léa", iban=NEW_IBAN, bic="", document=_rib()
    )
    path = change.document.path
    enrollment = space["enrollment"]
    enrollment.status, enrollment.exit_date = "completed", dt.date(2026, 9, 30)
    enrollment.save()
    with django_capture_on_commit_callbacks(execute=True):
        assert retention.anonymise(space["trainee"].pk, dt.date(2040, 1, 1))
    change.refresh_from_db()
    assert (change.iban, change.document.name) == ("", "")
    assert not os.path.exists(path)


def test_a_trainee_login_without_a_record_is_refused(client, db):
    user = User.objects.create_user("seul@example.org", "x", role=User.Role.TRAINEE)
    client.force_login(user)
    assert client.get(reverse("trainee_space:home")).status_code == 403


def test_the_demo_trainees_follow_their_pay(client, db):
    from django.core.management import call_command

    from remu.demo.seed import DEMO_PASSWORD

    call_command("seed_demo", stdout=io.StringIO())
    pages = {}
    for email in ("stagiaire1@demo.remu.local", "stagiaire2@demo.remu.local"):
        assert (
            client.post("/connexion/", {"username": email, "password": DEMO_PASSWORD}).status_code
            == 302
        )
        response = client.get("/", follow=True)
        assert response.redirect_chain[-1][0] == reverse("trainee_space:home")
        pages[email] = response.content.decode()
        client.post("/deconnexion/")
    assert all("payment-card payment-paid" in page for page in pages.values())
    assert "Pièces demandées par la Région" in pages["stagiaire1@demo.remu.local"]
    assert "Sommes à rembourser" in pages["stagiaire2@demo.remu.local"]


def test_every_page_keeps_the_content_security_policy(client, paid, agent):
    from .test_csp import assert_protected

    claim = Overpayment.objects.create(
        region=paid["region"], trainee=paid["trainee"], enrollment=paid["enrollment"],
        source="dropout", status="notified", amount=100, remaining=100, label="Indu",
    )  # fmt: skip
    asked = DocumentRequest.objects.create(
        dossier=paid["dossier"], doc_type="ID", requested_by=agent
    )
    change = services.submit_bank_change(
        paid["trainee"], paid["user"], holder="Léa", iban=NEW_IBAN, bic="", document=_rib()
    )
    client.force_login(paid["user"])
    for name, args in [
        ("trainee_space:home", []),
        ("trainee_space:payments", []),
        ("trainee_space:month", [paid["line"].pk]),
        ("trainee_space:upload", [asked.pk]),
        ("trainee_space:overpayment", [claim.pk]),
        ("trainee_space:bank_details", []),
        ("trainee_space:rights", []),
        ("trainee_space:notifications", []),
    ]:
        assert_protected(client.get(reverse(name, args=args)), name)
    client.force_login(agent)
    for name, args in [
        ("trainee_space:agent_bank_changes", []),
        ("trainee_space:agent_bank_change", [change.pk]),
    ]:
        assert_protected(client.get(reverse(name, args=args)), name)
