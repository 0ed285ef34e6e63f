import datetime as dt
import io
from decimal import Decimal

import pytest
import xmlschema
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from pypdf import PdfReader

from remu.payments import services
from remu.payments.models import Payment, PaymentRun, TaxRate

from . import factories as f
from .utils import text

XSD = "pain.001.001.03.xsd"


@pytest.fixture
def agent_in(pay_world):
    world = pay_world
    region = world["region"]
    region.sepa_debtor_name = "Region Centre-Val de Loire"
    region.sepa_debtor_iban = "FR7610011000201234567890188"
    region.sepa_debtor_bic = "PSSTFRPPXXX"
    region.save()
    return world


def start(client, kind="monthly", month="2026-03"):
    client.post(reverse("payments:runs"), {"kind": kind, "month": month, "start": "1"})
    return PaymentRun.objects.exclude(status="done").first() or PaymentRun.objects.first()


def test_preview_then_run_then_sepa_then_returns(client, agent_in):
    world = agent_in
    client.force_login(world["agent"])
    page = text(
        client.post(
            reverse("payments:runs"),
            {"kind": "monthly", "month": "2026-03", "preview": "1"},
            follow=True,  # the preview page: the immediate task backend has worked it through
        )
    )
    assert "Aperçu : 2 ligne(s), 943,84 €" in page
    assert not Payment.objects.exists()
    assert not PaymentRun.objects.filter(is_preview=False).exists()
    assert "Aucune série." in text(client.get(reverse("payments:runs")))  # previews not listed
    client.post(reverse("payments:runs"), {"kind": "monthly", "month": "2026-03", "start": "1"})
    run = PaymentRun.objects.get(is_preview=False)  # the immediate backend has worked it
    assert run.status == "done" and run.summary["lines"] == 2
    page = text(client.get(reverse("payments:run", args=[run.pk])))
    assert "Rémunération de mars 2026" in page and "En attente de traitement" in page
    assert "Créer le fichier SEPA (2 ligne(s) en attente)" in page  # from the run's summary
    # separation of duties: the agent who started the run cannot confirm its transfer file
    page = text(client.post(reverse("payments:sepa_export", args=[run.pk]), follow=True))
    assert "Vous avez lancé cette série : son fichier SEPA doit être confirmé par un autre" in page
    assert not run.sepa_files.exists()
    client.force_login(f.AgentFactory(region=world["region"]))
    client.post(reverse("payments:sepa_export", args=[run.pk]))
    sepa = run.sepa_files.get()
    import sepaxml

    schema = xmlschema.XMLSchema(f"{sepaxml.__path__[0]}/schemas/{XSD}")
    schema.validate(bytes(sepa.content).decode())
    assert sepa.count == 2 and sepa.total == Decimal("943.84")
    assert set(Payment.objects.values_list("status", flat=True)) == {"sent"}
    assert "ligne(s) en attente" not in text(client.get(reverse("payments:run", args=[run.pk])))
    download = client.get(reverse("payments:sepa_download", args=[sepa.pk]))
    assert b"<CdtTrfTxInf>" in download.content
    # the paymaster's return file: a bad file changes nothing
    refs = list(Payment.objects.values_list("reference", flat=True))
    bad = (
        "reference;statut;date;mandat\n" + f"{refs[0]};PAYE;18/04/2026;M-1\n"
        "INCONNUE;PAYE;18/04/2026;M-2\n" + f"{refs[1]};PERDU;31/04/2026;\n"
    )
    page = text(
        client.post(
            reverse("payments:returns"), {"file": SimpleUploadedFile("retour.csv", bad.encode())}
        )
    )
    assert "Rien n'a été appliqué : 2 erreurs." in page
    assert "référence inconnue « INCONNUE »" in page and "PAYE ou REJETE attendu" in page
    assert set(Payment.objects.values_list("status", flat=True)) == {"sent"}
    good = (
        "reference;statut;date;mandat\n"
        + f"{refs[0]};PAYE;18/04/2026;M-2026-0001\n"
        + f"{refs[1]};REJETE;19/04/2026;\n"
    )
    client.post(
        reverse("payments:returns"), {"file": SimpleUploadedFile("retour.csv", good.encode())}
    )
    paid = Payment.objects.get(reference=refs[0])
    rejected = Payment.objects.get(reference=refs[1])
    assert paid.status == "paid" and paid.mandate_number == "M-2026-0001"
    assert rejected.status == "rejected" and rejected.dossier.bank_details_rejected
    # the advice: only for a paid line
    assert client.get(reverse("payments:advice", args=[rejected.pk])).status_code == 404
    pdf = client.get(reverse("payments:advice", args=[paid.pk]))
    content = "".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.content)).pages)
    assert "M-2026-0001" in content and "Avis de paiement" in content
    # the trainee's page: colours, status date and mandate, the advice
    trainee = paid.enrollment.trainee
    page = text(client.get(reverse("home:trainee", args=[trainee.pk])))
    assert "badge payment-paid" in page and "mandat n° M-2026-0001" in page
    assert "Payé le 18/04/2026" in page and "Avis de paiement" in page
    # bank details fixed: the rejected line is ordered again by the next run
    client.post(
        reverse("payments:bank_details", args=[rejected.dossier.pk]),
        {"account_holder": "Léa Martin", "iban": "FR7630006000011234567890189"},
    )
    start(client, kind="complementary")
    assert Payment.objects.ordered().filter(component=rejected.component).count() == 1
    # the returned line is « reissued », its history logged from the export on
    rejected.refresh_from_db()
    assert rejected.status == "reissued"
    assert [(t.from_status, t.to_status) for t in rejected.transitions.all()] == [
        ("pending", "sent"),
        ("sent", "rejected"),
        ("rejected", "reissued"),
    ]
    assert paid.transitions.last().reason == "retour du payeur du 18/04/2026, mandat n° M-2026-0001"


def test_personalised_tax_rates(client, agent_in):
    world = agent_in
    trainee = world["enrollment"].trainee
    client.force_login(world["agent"])
    bad = "nir;taux;date\n123;7,5;01/01/2026\n" + f"{trainee.nir};150;01/01/2026\n"
    page = text(
        client.post(
            reverse("payments:tax_rates"), {"file": SimpleUploadedFile("taux.csv", bad.encode())}
        )
    )
    assert "Rien n'a été appliqué : 2 erreurs." in page
    good = f"nir;taux;date\n{trainee.nir};7,5;01/01/2026\n"
    client.post(
        reverse("payments:tax_rates"), {"file": SimpleUploadedFile("taux.csv", good.encode())}
    )
    assert TaxRate.objects.get().rate == Decimal("7.5")
    start(client)
    remuneration = Payment.objects.get(component="remuneration")
    assert remuneration.withholding == Decimal("55.79")  # 7.5 % of 743.84
    assert remuneration.net == Decimal("743.84") - Decimal("55.79")
    allowances_free = Payment.objects.get(component="entry_bonus")
    assert allowances_free.withholding == Decimal("15.00")  # the entry bonus is taxable


def test_one_run_at_a_time_said_in_french(client, agent_in):
    world = agent_in
    PaymentRun.objects.create(
        region=world["region"],
        kind="monthly",
        month=dt.date(2026, 3, 1),
        status="running",
        created_by=world["agent"],
        heartbeat_at=dt.datetime.now(dt.UTC),
    )
    client.force_login(world["agent"])
    response = client.post(
        reverse("payments:runs"), {"kind": "monthly", "month": "2026-03", "start": "1"}, follow=True
    )
    assert "Une série de paiement est déjà en cours pour la région." in text(response)


def test_providers_see_their_trainees_payments_not_the_runs(client, agent_in):
    world = agent_in
    client.force_login(world["agent"])
    start(client)
    client.force_login(world["provider_user"])
    assert client.get(reverse("payments:runs")).status_code == 403
    trainee = world["enrollment"].trainee
    page = text(client.get(reverse("home:trainee", args=[trainee.pk])))
    assert "Rémunération de mars 2026" in page and "badge payment-pending" in page


def test_progress_polls_while_the_preview_works_then_reloads_the_page(client, agent_in):
    world = agent_in
    client.force_login(world["agent"])
    queued = PaymentRun.objects.create(
        region=world["region"],
        kind="monthly",
        month=dt.date(2026, 3, 1),
        created_by=world["agent"],
        is_preview=True,
    )
    url = reverse("payments:progress", args=[queued.pk])
    polling = client.get(url, headers={"HX-Request": "true"})
    assert 'hx-trigger="every 2s"' in text(polling) and "HX-Refresh" not in polling.headers
    page = text(client.get(reverse("payments:run", args=[queued.pk])))
    assert "Aperçu : série mensuelle de mars 2026" in page and "Lancer la série" not in page
    services.execute_run(queued.pk)
    over = client.get(url, headers={"HX-Request": "true"})
    assert over.headers["HX-Refresh"] == "true"
    page = text(client.get(reverse("payments:run", args=[queued.pk])))
    assert "Aperçu : 2 ligne(s), 943,84 €" in page and "Lancer la série" in page
