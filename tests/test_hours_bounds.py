"""Hours and days that cannot be paid are refused: part-time weeks outside the enrolled period
or above the legal weekly maximum, hours above the enrollment's weekly hours only once
confirmed, presence periods outside the enrollment; in the page, the import and the API."""

import datetime as dt
import io
import re
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import load_workbook

from remu.api.models import ApiToken
from remu.attendance import services
from remu.attendance.hours_bounds import NeedsConfirmation
from remu.dossiers.models import Dossier
from remu.rules.parameters import ParameterError, _validate_options
from remu.scales.selectors import engine

from . import factories as f
from .utils import text

HTMX = {"HTTP_HX_REQUEST": "true"}
# March 2026: weeks 1-1, 2-8, 9-15, 16-22, 23-29, 30-31
BEFORE_ENTRY = (
    "Semaine du 2 au 8 mars : le stagiaire n'est pas encore entré en formation "
    "(entrée le 10 mars 2026)."
)


@pytest.fixture
def march(region, provider, provider_user):
    """A statement of March 2026 with a 20 h/week trainee who entered on Tuesday 10 March."""
    action = f.TrainingActionFactory(
        region=region,
        provider=provider,
        planned_start=dt.date(2026, 3, 2),
        planned_end=dt.date(2026, 9, 30),
    )
    for number, hours, entry, exit_ in (
        ("PT", 20, dt.date(2026, 3, 10), None),
        ("OUT", 20, dt.date(2026, 3, 2), dt.date(2026, 3, 18)),
        ("FT", 35, dt.date(2026, 3, 10), None),
    ):
        enrollment = f.EnrollmentFactory(action=action, entry_date=entry, exit_date=exit_)
        Dossier.objects.create(
            region=region,
            action=action,
            enrollment=enrollment,
            kind="RS1",
            status="admitted",
            rate_category="JOB_SEEKER",
            weekly_hours=Decimal(hours),
            number=number,
        )
    return services.create_statement(action, provider_user, dt.date(2026, 4, 2))


def hours(*weeks, days="15", **extra):
    return {f"week_{i}": h for i, h in enumerate(weeks)} | {"days_present": days} | extra


def save(client, line, data, htmx=True):
    url = reverse("attendance:part_time", args=[line.pk])
    return client.post(url, data, **(HTMX if htmx else {}))


def plain(response) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", text(response)).split())


def test_a_week_before_the_entry_is_refused_on_its_cell(provider_client, march):
    line = march.lines.get(dossier__number="PT")
    response = save(provider_client, line, hours("0", "5", "16", "20", "20", "8"))
    page = text(response)
    # the message sits in the error list of the week's cell, the cell is marked invalid
    cell = re.search(rf'id="pt{line.pk}-week_1-errors">(.*?)</ul>', page, re.S)
    assert cell and BEFORE_ENTRY in cell.group(1)
    assert f'aria-describedby="pt{line.pk}-week_1-errors"' in page
    assert "Heures non enregistrées : corrigez les cases signalées." in page
    line.refresh_from_db()
    assert line.weekly_hours_present == [] and line.days_present is None  # nothing saved
    # the part-time tab stays open
    assert re.search(r'class="nav-link active" id="tab-part"', page)
    assert re.search(r'class="tab-pane fade show active" id="pane-part"', page)


def test_a_week_after_the_exit_and_too_many_days_are_refused(provider_client, march):
    line = march.lines.get(dossier__number="OUT")
    page = text(save(provider_client, line, hours("0", "20", "20", "12", "4", "0", days="20")))
    assert (
        "Semaine du 23 au 29 mars : le stagiaire est sorti de formation "
        "(sortie le 18 mars 2026)." in page
    )
    assert (
        "Le stagiaire n'est en formation que 17 jours ce mois-ci : 20 jours de présence "
        "ne peuvent pas être payés." in page
    )
    line.refresh_from_db()
    assert line.weekly_hours_present == []


def test_above_the_legal_maximum_is_refused_even_confirmed(provider_client, march):
    line = march.lines.get(dossier__number="PT")
    data = hours("0", "0", "16", "50", "20", "8", confirm_over="week_3")
    page = text(save(provider_client, line, data))
    assert (
        "Semaine du 16 au 22 mars : 50 h dépassent la durée maximale légale de 48 h par semaine."
        in page
    )
    line.refresh_from_db()
    assert line.weekly_hours_present == []


def test_above_the_weekly_hours_needs_a_confirmation(provider_client, march):
    line = march.lines.get(dossier__number="PT")
    data = hours("0", "0", "16", "25", "20", "8")
    page = text(save(provider_client, line, data))
    assert (
        "Semaine du 16 au 22 mars : 25 h dépassent la durée hebdomadaire du stagiaire (20 h)."
        in page
    )
    assert (
        "Je confirme les heures au-delà de la durée hebdomadaire du stagiaire "
        "(semaine du 16 au 22 mars)" in page
    )
    line.refresh_from_db()
    assert line.weekly_hours_present == []
    assert 'name="confirm_over" value="week_3"' in page
    # a week made to exceed after the question was asked is asked again
    page = text(save(provider_client, line, data | {"week_4": "22", "confirm_over": "week_3"}))
    assert "(semaine du 16 au 22 mars, semaine du 23 au 29 mars)" in page
    line.refresh_from_db()
    assert line.weekly_hours_present == []
    response = save(provider_client, line, data | {"confirm_over": "week_3"})
    line.refresh_from_db()
    assert line.hours_present == Decimal("69") and line.days_present == 15
    body = plain(response)
    assert body.count(f"Heures enregistrées pour {line.enrollment.trainee}.") == 1
    assert re.search(r'class="nav-link active" id="tab-part"', text(response))


def test_the_week_of_the_entry_is_bounded_pro_rata(provider_client, march):
    """Entry on Tuesday 10 March: 4 working days of 5 in training, 16 h before confirming."""
    line = march.lines.get(dossier__number="PT")
    page = text(save(provider_client, line, hours("0", "0", "17", "20", "20", "8")))
    assert (
        "Semaine du 9 au 15 mars : 17 h dépassent la durée hebdomadaire du stagiaire "
        "(16 h au prorata des jours en formation)." in page
    )
    save(provider_client, line, hours("0", "0", "16", "20", "20", "8"))
    line.refresh_from_db()
    assert line.hours_present == Decimal("64")


def test_without_javascript_the_page_comes_back_with_the_errors_then_the_part_tab(
    provider_client, march
):
    line = march.lines.get(dossier__number="PT")
    response = save(provider_client, line, hours("0", "5", "16", "20", "20", "8"), htmx=False)
    assert response.status_code == 200 and BEFORE_ENTRY in text(response)
    response = save(provider_client, line, hours("0", "0", "16", "20", "20", "8"), htmx=False)
    url = reverse("attendance:statement", args=[march.pk])
    assert response.status_code == 302 and response.url == f"{url}?tab=part"
    page = provider_client.get(response.url)
    assert plain(page).count(f"Heures enregistrées pour {line.enrollment.trainee}.") == 1
    assert re.search(r'class="nav-link active" id="tab-part"', text(page))


def test_a_message_shows_once_on_the_statement_page(provider_client, march):
    """The page and its body both included the messages: every message showed twice."""
    url = reverse("attendance:statements", args=[march.action.pk])
    march.delete()
    response = provider_client.post(url, follow=True)
    assert plain(response).count("État de présence de 03/2026 créé.") == 1


def test_presence_period_outside_the_enrollment_is_refused(provider_client, march):
    line = march.lines.get(dossier__number="FT")
    page = text(
        provider_client.post(
            reverse("attendance:presence", args=[march.pk]),
            {
                "presence": "period",
                "period_start": "2026-03-02",
                "period_end": "2026-03-20",
                "lines": [line.pk],
            },
            **HTMX,
        )
    )
    assert "Présence non enregistrée" in page
    assert (
        f"{line.enrollment.trainee} : la période de présence commence avant son entrée en "
        "formation (entrée le 10 mars 2026)." in page
    )
    line.refresh_from_db()
    assert line.presence == ""


def test_hours_saved_before_the_entry_moved_are_not_validated(march, provider_user):
    line = march.lines.get(dossier__number="PT")
    services.save_part_time(line, [Decimal(h) for h in (0, 0, 16, 20, 20, 8)], 15)
    line.enrollment.entry_date = dt.date(2026, 3, 17)
    line.enrollment.save()
    line.refresh_from_db()
    with pytest.raises(ValidationError) as caught:
        services.validate_lines([line], provider_user)
    assert "Semaine du 9 au 15 mars : le stagiaire n'est pas encore entré" in str(caught.value)
    line.refresh_from_db()
    assert line.status == "draft"


def test_the_service_says_which_weeks_to_confirm(march):
    line = march.lines.get(dossier__number="PT")
    week_hours = [Decimal(h) for h in (0, 0, 16, 21, 20, 8)]
    with pytest.raises(NeedsConfirmation) as caught:
        services.save_part_time(line, week_hours, 15)
    assert list(caught.value.message_dict) == ["week_3"]
    services.save_part_time(line, week_hours, 15, confirm_over=True)
    line.refresh_from_db()
    assert line.hours_present == Decimal("65")


# -- import and API ------------------------------------------------------------------------


HEADER = "dossier;type;semaine_1;semaine_2;semaine_3;semaine_4;semaine_5;semaine_6;jours"


def upload(client, statement, *rows):
    content = "\n".join([HEADER + ";confirmer_depassement", *(";".join(r) for r in rows)])
    file = SimpleUploadedFile("h.csv", content.encode(), "text/csv")
    return client.post(reverse("attendance:import", args=[statement.pk]), {"file": file})


def test_the_import_refuses_the_row_on_its_week_column(provider_client, march):
    page = text(
        upload(provider_client, march, ["PT", "HEURES", "0", "5", "16", "20", "20", "8", "15", ""])
    )
    assert "Rien n'a été importé : 1 erreur." in page
    assert f"<td>2</td><td>semaine_2</td><td>{BEFORE_ENTRY}</td>" in page
    over = ["PT", "HEURES", "0", "0", "16", "25", "20", "8", "15"]
    page = text(upload(provider_client, march, [*over, ""]))
    assert (
        "<td>semaine_4</td><td>Semaine du 16 au 22 mars : 25 h dépassent la durée hebdomadaire "
        "du stagiaire (20 h). Pour les confirmer, indiquez OUI dans la colonne "
        "confirmer_depassement.</td>" in page
    )
    assert upload(provider_client, march, [*over, "OUI"]).status_code == 302
    assert march.lines.get(dossier__number="PT").hours_present == Decimal("69")


def test_the_api_refuses_then_accepts_the_confirmed_hours(client, march, provider, provider_user):
    _, raw = ApiToken.issue(provider=provider, name="Logiciel OF", user=provider_user)
    auth = {"HTTP_AUTHORIZATION": f"Bearer {raw}"}
    url = f"/api/statements/{march.pk}/declarations"
    row = {"dossier": "PT", "type": "HEURES", "jours": "15"} | {
        f"semaine_{i + 1}": h for i, h in enumerate(("0", "5", "16", "25", "20", "8"))
    }
    bad = client.post(url, data=[row], content_type="application/json", **auth)
    assert bad.status_code == 422
    errors = bad.json()["errors"]
    assert errors == [{"ligne": 1, "colonne": "semaine_2", "erreur": BEFORE_ENTRY}]
    row["semaine_2"] = "0"
    bad = client.post(url, data=[row], content_type="application/json", **auth)
    assert bad.json()["errors"][0]["colonne"] == "semaine_4"
    assert "confirmer_depassement" in bad.json()["errors"][0]["erreur"]
    row["confirmer_depassement"] = "OUI"
    ok = client.post(url, data=[row], content_type="application/json", **auth)
    assert ok.json() == {"applied": 1}


def test_the_template_documents_the_confirmation_and_the_maximum(provider_client):
    response = provider_client.get(reverse("attendance:import_template"))
    sheet = load_workbook(io.BytesIO(response.content))["Colonnes et codes"]
    cells = [row[1] for row in sheet.iter_rows(values_only=True)]
    codes = [row[0] for row in sheet.iter_rows(values_only=True)]
    assert "confirmer_depassement" in codes
    assert any(c and "durée maximale légale du travail (48 h)" in c for c in cells)


# -- the dated option ----------------------------------------------------------------------


def test_the_legal_maximum_is_a_dated_option(region):
    options = engine(region).options(region.parameter_set, dt.date(2026, 3, 1))
    assert options["max_weekly_hours"] == 48 and options["minimum_age"] == 16
    for bad in ({"max_weekly_hours": 0}, {"max_weekly_hours": "x"}, {"minimum_age": 16.5}):
        with pytest.raises(ParameterError):
            _validate_options(bad, "test")


def test_an_absence_after_the_exit_is_refused_in_the_import(provider_client, march):
    content = "dossier;type;motif;debut;fin;heures\nOUT;ABSENCE;SICKNESS;19/03/2026;20/03/2026;4"
    file = SimpleUploadedFile("a.csv", content.encode(), "text/csv")
    page = text(provider_client.post(reverse("attendance:import", args=[march.pk]), {"file": file}))
    assert "elle finit après sa sortie de formation (sortie le 18 mars 2026)." in page
    assert not march.lines.get(dossier__number="OUT").absences.exists()
