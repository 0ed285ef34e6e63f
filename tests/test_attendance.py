import datetime as dt
import io
import re
from decimal import Decimal

import pytest
from django.core import mail
from django.core.management import call_command
from django.urls import reverse
from openpyxl import load_workbook
from pypdf import PdfReader

from remu.attendance import services
from remu.attendance.models import AttendanceLine, AttendanceStatement, Withdrawal
from remu.dossiers.models import Dossier
from remu.scales.selectors import engine

from . import factories as f
from .utils import text

HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def setup(region, provider, provider_user):
    action = f.TrainingActionFactory(
        region=region,
        provider=provider,
        planned_start=dt.date(2026, 3, 2),
        planned_end=dt.date(2026, 9, 30),
    )
    lines = []
    for name, hours in (("Dupond", 35), ("Durand", 35), ("Partiel", 20)):
        enrollment = f.EnrollmentFactory(
            action=action,
            trainee__birth_name=name,
            trainee__birth_date=dt.date(1990, 1, 1),
            entry_date=dt.date(2026, 3, 2),
        )
        Dossier.objects.create(
            region=region,
            action=action,
            enrollment=enrollment,
            kind="RS1",
            status="admitted",
            rate_category="JOB_SEEKER",
            weekly_hours=Decimal(hours),
            number=f"N-{name}",
        )
        lines.append(enrollment)
    # an enrollment whose dossier is not admitted is declared, not paid (seed 003 §3.5)
    draft = f.EnrollmentFactory(action=action, trainee__birth_name="Brouillon")
    Dossier.objects.create(region=region, action=action, enrollment=draft, kind="RS1")
    return action


def line_of(statement, name):
    return statement.lines.get(enrollment__trainee__birth_name=name)


def test_statements_one_per_month_from_the_action_start(setup, provider_user):
    action = setup
    today = dt.date(2026, 4, 15)
    assert services.next_statement_month(action, today) == dt.date(2026, 3, 1)
    march = services.create_statement(action, provider_user, today)
    assert services.next_statement_month(action, today) == dt.date(2026, 4, 1)
    services.create_statement(action, provider_user, today)
    assert services.next_statement_month(action, today) is None  # May has not begun
    names = set(march.lines.values_list("enrollment__trainee__birth_name", flat=True))
    assert names == {"Dupond", "Durand", "Partiel", "Brouillon"}
    assert line_of(march, "Partiel").full_time is False
    assert line_of(march, "Brouillon").dossier is None  # on the statement, not paid


def test_everyone_present_then_an_absence_then_validation(provider_client, setup, provider_user):
    action = setup
    statement = services.create_statement(action, provider_user, dt.date(2026, 4, 2))
    url = reverse("attendance:statement", args=[statement.pk])
    full_ids = [str(line.pk) for line in statement.lines.filter(full_time=True)]
    body = text(
        provider_client.post(
            reverse("attendance:presence", args=[statement.pk]),
            {"presence": "full_month", "lines": full_ids},
            **HTMX,
        )
    )
    assert "Présence enregistrée pour 3 stagiaire(s)." in body  # Brouillon: declared, not paid
    dupond = line_of(statement, "Dupond")
    form = text(provider_client.get(reverse("attendance:absence_add", args=[dupond.pk]), **HTMX))
    assert "Absence non enregistrée" in form
    response = provider_client.post(
        reverse("attendance:absence_add", args=[dupond.pk]),
        {"reason": "UNJUSTIFIED", "start": "2026-03-16", "end": "2026-03-17", "place": "centre"},
        **HTMX,
    )
    assert response["HX-Retarget"] == "#statement-body"
    body = text(
        provider_client.post(
            reverse("attendance:validate", args=[statement.pk]), {"lines": full_ids}, **HTMX
        )
    )
    assert "3 stagiaire(s) validé(s)." in body  # Brouillon validated, unpaid
    dupond.refresh_from_db()
    expected = engine(action.region).compute(services.case_for(dupond)).remuneration
    assert dupond.status == "validated" and dupond.amount == expected
    assert dupond.paid_thirtieths == 27  # entry on the 2nd: 29 thirtieths, 2 retained
    assert f"{dupond.amount}".replace(".", ",") in text(provider_client.get(url))
    # locked for the provider
    response = provider_client.post(
        reverse("attendance:absence_add", args=[dupond.pk]),
        {"reason": "UNJUSTIFIED", "start": "2026-03-20", "end": "2026-03-20", "place": "centre"},
    )
    assert "seule la Région peut la rouvrir" in text(response)


def test_absence_checks(provider_client, setup, provider_user):
    statement = services.create_statement(setup, provider_user, dt.date(2026, 4, 2))
    line = line_of(statement, "Dupond")
    url = reverse("attendance:absence_add", args=[line.pk])
    page = text(
        provider_client.post(
            url,
            {
                "reason": "UNJUSTIFIED",
                "start": "2026-04-01",
                "end": "2026-04-02",
                "place": "centre",
            },
            **HTMX,
        )
    )
    assert "L'absence doit être comprise dans le mois" in page
    provider_client.post(
        url,
        {"reason": "SICKNESS", "start": "2026-03-10", "end": "2026-03-12", "place": "centre"},
        **HTMX,
    )
    page = text(
        provider_client.post(
            url,
            {
                "reason": "UNJUSTIFIED",
                "start": "2026-03-12",
                "end": "2026-03-13",
                "place": "centre",
            },
            **HTMX,
        )
    )
    assert "chevauche une absence déjà déclarée" in page
    page = text(
        provider_client.post(
            url,
            {
                "reason": "LEGAL_LEAVE",
                "start": "2026-03-20",
                "end": "2026-03-20",
                "place": "centre",
            },
            **HTMX,
        )
    )
    assert "Précisez le motif du congé légal." in page


def test_part_time_hours_are_paid_by_the_hour(provider_client, setup, provider_user):
    statement = services.create_statement(setup, provider_user, dt.date(2026, 4, 2))
    line = line_of(statement, "Partiel")
    weeks = services.weeks_of_month(statement.month)
    data = {f"week_{i}": "20" for i in range(len(weeks))} | {"days_present": "20"}
    data["week_0"] = "0"  # Sunday 1 March, before the entry on the 2nd
    provider_client.post(reverse("attendance:part_time", args=[line.pk]), data, **HTMX)
    line.refresh_from_db()
    assert line.hours_present == 20 * (len(weeks) - 1)
    provider_client.post(
        reverse("attendance:validate", args=[statement.pk]), {"lines": [line.pk]}, **HTMX
    )
    line.refresh_from_db()
    assert line.paid_hours == Decimal("86.60")  # capped at 20 x 4.33
    assert line.amount == (Decimal("86.60") * Decimal("5.07")).quantize(Decimal("0.01"))


def test_incomplete_lines_cannot_be_validated(provider_client, setup, provider_user):
    statement = services.create_statement(setup, provider_user, dt.date(2026, 4, 2))
    line = line_of(statement, "Durand")
    body = text(
        provider_client.post(
            reverse("attendance:validate", args=[statement.pk]), {"lines": [line.pk]}, **HTMX
        )
    )
    assert "présence non déclarée" in body
    assert AttendanceLine.objects.get(pk=line.pk).status == "draft"
    plain = " ".join(re.sub(r"<[^>]+>", "", body).split())
    assert "Reste à valider : 3 à temps plein, 1 à temps partiel" in plain


def test_agent_reopens_a_line_with_a_reason(client, setup, provider_user, region):
    statement = services.create_statement(setup, provider_user, dt.date(2026, 4, 2))
    line = line_of(statement, "Dupond")
    services.declare_presence([line], "full_month")
    services.validate_lines([line], provider_user)
    agent = f.AgentFactory(region=region)
    client.force_login(agent)
    url = reverse("attendance:reopen", args=[line.pk])
    assert "Ce champ est obligatoire" in text(client.post(url, {"reason": ""}))
    client.post(url, {"reason": "Absence du 10 oubliée"})
    line.refresh_from_db()
    assert line.status == "draft" and line.amount is None
    assert list(line.events.values_list("action", "reason")) == [
        ("validated", ""),
        ("reopened", "Absence du 10 oubliée"),
    ]


def test_certificate_lists_the_absent_trainee(provider_client, setup, provider_user):
    statement = services.create_statement(setup, provider_user, dt.date(2026, 4, 2))
    dupond = line_of(statement, "Dupond")
    services.declare_presence([dupond, line_of(statement, "Durand")], "full_month")
    services.add_absence(
        dupond,
        reason="UNJUSTIFIED",
        start=dt.date(2026, 3, 16),
        end=dt.date(2026, 3, 17),
        place="centre",
    )
    response = provider_client.get(reverse("attendance:certificate", args=[statement.pk]))
    content = "".join(p.extract_text() for p in PdfReader(io.BytesIO(response.content)).pages)
    assert "DUPOND" in content and "Absence non justifiée du 16/03/2026" in content


def test_trainee_list_and_excel_export(provider_client, setup):
    action = setup
    trainee = action.enrollments.first().trainee
    trainee.address_line1 = "4 place du Martroi"
    trainee.save()
    page = text(provider_client.get(reverse("attendance:trainees", args=[action.pk])))
    assert "Suspendre" in page and "Admis" in page and "Brouillon" in page
    response = provider_client.get(reverse("attendance:trainees_xlsx", args=[action.pk]))
    sheet = load_workbook(io.BytesIO(response.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:4] == ("Nom", "Prénoms", "Date de naissance", "Adresse")
    assert any(r[3] == "4 place du Martroi" for r in rows[1:])
    assert len(rows) == 1 + action.enrollments.count()


def test_dropout_declared_then_validated_or_refused(client, setup, provider_user, region):
    action = setup
    enrollment = action.enrollments.get(trainee__birth_name="Durand")
    client.force_login(provider_user)
    url = reverse("attendance:withdrawal", args=[enrollment.pk])
    client.post(url, {"reason": "job", "exit_date": "2026-03-20", "comment": "CDI"})
    enrollment.refresh_from_db()
    assert enrollment.status == "withdrawal_declared"
    statement = services.create_statement(action, provider_user, dt.date(2026, 4, 2))
    line = line_of(statement, "Durand")
    with pytest.raises(Exception, match="abandon est déclaré"):
        services.declare_presence([line], "full_month")
    agent = f.AgentFactory(region=region)
    client.force_login(agent)
    withdrawal = Withdrawal.objects.get()
    assert "Durand".upper() in text(client.get(reverse("attendance:withdrawals")))
    decide = reverse("attendance:withdrawal_decide", args=[withdrawal.pk])
    client.post(decide, {"decision": "accept", "decision_comment": ""})
    enrollment.refresh_from_db()
    withdrawal.refresh_from_db()
    assert enrollment.status == "exited" and enrollment.exit_date == dt.date(2026, 3, 20)
    assert withdrawal.decided_by == agent
    # a second one, refused: the trainee is active again
    other = action.enrollments.get(trainee__birth_name="Dupond")
    client.force_login(provider_user)
    client.post(
        reverse("attendance:withdrawal", args=[other.pk]),
        {"reason": "other", "exit_date": "2026-03-25"},
    )
    client.force_login(agent)
    pending = Withdrawal.objects.get(status="declared")
    page = text(
        client.post(
            reverse("attendance:withdrawal_decide", args=[pending.pk]),
            {"decision": "refuse", "decision_comment": ""},
        )
    )
    assert "Expliquez le refus à l'organisme." in page
    client.post(
        reverse("attendance:withdrawal_decide", args=[pending.pk]),
        {"decision": "refuse", "decision_comment": "Présent le 26/03"},
    )
    other.refresh_from_db()
    assert other.status == "active"


def test_late_statements_dashboard_home_and_reminders(client, setup, provider_user, region):
    assert AttendanceStatement.objects.count() == 0
    client.force_login(provider_user)
    home = text(client.get(reverse("home:provider_home")))
    assert "États de présence en retard" in home and "mars 2026" in home
    agent = f.AgentFactory(region=region)
    client.force_login(agent)
    page = text(client.get(reverse("attendance:late")))
    assert setup.provider.name in page and "état non créé" in page
    call_command("send_attendance_reminders", stdout=io.StringIO())
    assert len(mail.outbox) == 1 and mail.outbox[0].to == [provider_user.email]
    assert setup.number in mail.outbox[0].body
