"""Social contributions the region pays: base x hours per trainee and month, recorded by the
runs (a paid trainee from the engine, a P2S-only trainee from the schedule), never ordered to
the trainee; the agents' monthly summary per programme and its Excel export."""

import datetime as dt
import io
from decimal import Decimal

import pytest
from django.urls import reverse
from openpyxl import load_workbook
from pypdf import PdfReader

from remu.dossiers.models import Dossier
from remu.payments import contributions, services
from remu.payments.models import Payment, SocialContribution

from . import factories as f
from .utils import text

MARCH, APRIL = dt.date(2026, 3, 1), dt.date(2026, 4, 1)
BASE = Decimal("2.03")  # 2026's flat hourly base (national parameter set)


def run(world, month=MARCH, preview=False):
    created = services.start_run(world["region"], "monthly", month, world["agent"], preview=preview)
    return services.execute_run(created.pk)


def p2s_only(world, **dossier):
    """A trainee of the same action with social protection only (no pay, no statement line)."""
    action = world["line"].statement.action
    enrollment = f.EnrollmentFactory(action=action, entry_date=dt.date(2026, 3, 2))
    Dossier.objects.create(
        region=world["region"],
        action=action,
        enrollment=enrollment,
        kind="P2S",
        status="admitted",
        rate_category="JOB_SEEKER",
        weekly_hours=Decimal(35),
        number="CVL-2026-000900",
        **dossier,
    )
    return enrollment


def test_a_paid_trainees_contributions_are_base_times_hours_and_never_ordered(pay_world):
    run(pay_world)
    c = SocialContribution.objects.get()
    # March from the 2nd, full time 35 h: 35 x 4.33 = 151.55 h a month, x 29/30 = 146.50 h;
    # 146.50 x 2.03 = 297.395 -> 297.40
    assert (c.month, c.kind, c.hours, c.base) == (MARCH, "paid", Decimal("146.50"), BASE)
    assert c.amount == Decimal("297.40") == (c.hours * c.base).quantize(Decimal("0.01"))
    assert "146,50 h × 2,03 € = 297,40 €" in c.explanation
    assert set(Payment.objects.values_list("component", flat=True)) == {
        "remuneration",
        "entry_bonus",
    }
    assert sum(p.amount for p in Payment.objects.all()) == Decimal("943.84")  # nothing added
    run(pay_world)  # a second run rewrites the same row
    assert SocialContribution.objects.count() == 1


def test_without_bank_details_the_contributions_are_still_recorded(pay_world):
    dossier = pay_world["dossier"]
    dossier.iban = ""
    dossier.save()
    run(pay_world)
    assert not Payment.objects.exists()
    assert SocialContribution.objects.get().amount == Decimal("297.40")


def test_a_p2s_only_trainee_is_counted_from_the_schedule(pay_world):
    enrollment = p2s_only(pay_world)
    run(pay_world, APRIL)
    rows = {c.month: c for c in SocialContribution.objects.filter(enrollment=enrollment)}
    # no attendance line: the schedule, 35 h x 4.33 = 151.55 h a month (29/30 in March)
    assert rows[MARCH].kind == "p2s" and rows[MARCH].hours == Decimal("146.50")
    assert rows[MARCH].amount == Decimal("297.40")
    assert rows[APRIL].hours == Decimal("151.55")
    assert rows[APRIL].amount == Decimal("307.65")  # 151.55 x 2.03 = 307.6465
    assert "heures prévues de la formation" in rows[APRIL].explanation
    assert not Payment.objects.filter(enrollment=enrollment).exists()
    # paid under its P2S dossier, the database checks their region is the enrollment's
    assert {c.dossier_id for c in rows.values()} == {enrollment.dossiers.get().pk}


@pytest.mark.django_db(transaction=True)
def test_the_migration_gives_existing_rows_the_dossier_the_runs_pay_under(pay_world):
    """Rows written before the ledger named its dossier (payments 0019) take the admitted RS1
    (not a later RS2 of the same enrollment), the P2S-only trainee's the admitted P2S."""
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    from remu.payments.models import DueAmount

    enrollment = p2s_only(pay_world)
    rs1 = pay_world["dossier"]
    Dossier.objects.create(
        region=pay_world["region"],
        action=rs1.action,
        enrollment=rs1.enrollment,
        kind="RS2",
        status="admitted",
        rate_category="JOB_SEEKER",
        number="CVL-2026-000901",
    )
    run(pay_world, APRIL)
    p2s = enrollment.dossiers.get()
    before = [("payments", "0018_ledger_region_indexes_dropped")]
    executor = MigrationExecutor(connection)
    executor.migrate(before)
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())  # back to the latest schema
    assert set(DueAmount.objects.values_list("dossier_id", flat=True)) == {rs1.pk}
    assert set(SocialContribution.objects.values_list("enrollment_id", "dossier_id")) == {
        (rs1.enrollment_id, rs1.pk),
        (enrollment.pk, p2s.pk),
    }


def test_scheduled_hours_of_entry_and_exit_months():
    hours = contributions.scheduled_hours
    assert hours(Decimal(35), APRIL, dt.date(2026, 3, 2), None) == Decimal("151.55")
    assert hours(Decimal(35), APRIL, dt.date(2026, 4, 16), None) == Decimal("75.78")  # 15/30
    assert hours(Decimal(20), APRIL, dt.date(2026, 3, 2), dt.date(2026, 4, 10)) == Decimal("28.87")
    assert hours(Decimal(35), APRIL, dt.date(2026, 5, 4), None) == Decimal("0.00")


def test_the_preview_and_the_run_page_show_them_apart(pay_world, client):
    preview = run(pay_world, preview=True)
    assert preview.summary["social_contributions"] == {"hours": "146.50", "amount": "297.40"}
    assert not SocialContribution.objects.exists()  # a preview writes nothing
    client.force_login(pay_world["agent"])
    page = text(client.get(reverse("payments:run", args=[preview.pk])))
    assert "Cotisations sociales versées par la Région" in page
    assert "297,40 € pour 146,50 h" in page


@pytest.fixture
def summary_world(pay_world):
    p2s_only(pay_world)
    programme = pay_world["line"].statement.action.programme
    programme.name = '=HYPERLINK("http://x")'
    programme.save()
    run(pay_world)
    return pay_world


def test_the_monthly_summary_per_programme(summary_world, client, django_assert_max_num_queries):
    client.force_login(summary_world["agent"])
    url = reverse("payments:contributions") + "?mois=2026-03"
    with django_assert_max_num_queries(12):
        page = text(client.get(url))
    assert "Cotisations sociales versées par la Région" in page
    row = page.split('=HYPERLINK("http://x")')[1].split("</tr>")[0]
    # two trainees (one P2S only), 146.50 h each, 297.40 EUR each
    assert ">2<" in row and ">1<" in row and "293,00 h" in row and "594,80 €" in row
    assert "Total du mois" in page
    assert "Aucune cotisation" in text(
        client.get(reverse("payments:contributions") + "?mois=2026-05")
    )
    assert client.get(reverse("payments:contributions") + "?mois=%00").status_code < 500


def test_the_excel_export_neutralises_text_cells(summary_world, client):
    client.force_login(summary_world["agent"])
    response = client.get(reverse("payments:contributions_xlsx") + "?mois=2026-03")
    book = load_workbook(io.BytesIO(response.content))
    rows = list(book["Par dispositif"].iter_rows(values_only=True))
    cell = book["Par dispositif"]["A2"]
    assert cell.value == '=HYPERLINK("http://x")'
    assert cell.data_type == "s" and cell.quotePrefix  # read as text, never as a formula
    assert rows[1][1:] == (2, 1, 293, 2.03, 594.8)
    trainees = list(book["Par stagiaire"].iter_rows(values_only=True))
    assert len(trainees) == 3 and {r[5] for r in trainees[1:]} == {
        "Stagiaire rémunéré",
        "Protection sociale seule",
    }


def test_the_trainee_page_and_the_advice_show_them(pay_world, client):
    run(pay_world)
    client.force_login(pay_world["agent"])
    trainee = pay_world["enrollment"].trainee
    page = text(client.get(reverse("home:trainee", args=[trainee.pk])))
    block = page.split("Cotisations sociales versées par la Région</caption>")[1]
    assert "297,40 €" in block and "146,50 h" in block
    payment = Payment.objects.get(component="remuneration")
    payment.status, payment.paid_on = "paid", dt.date(2026, 4, 18)
    payment.save()
    pdf = client.get(reverse("payments:advice", args=[payment.pk]))
    advice = " ".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.content)).pages)
    advice = " ".join(advice.split())
    assert "Détail du calcul" in advice
    assert "Aide forfaitaire à l'entrée en formation : 200,00 €" in advice
    assert "Cotisations sociales (à la charge de la Région, non versées au stagiaire)" in advice
