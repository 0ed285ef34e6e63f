"""An absence for a public holiday or a local day on a day that is not one is refused where
it is entered: the statement's absence form (next to the start date), the import and the API
(the row and its column), with the day named."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from remu.api.models import ApiToken
from remu.attendance import services
from remu.attendance.models import Absence
from remu.dossiers.models import Dossier

from . import factories as f
from .utils import text

HTMX = {"HTTP_HX_REQUEST": "true"}
NOT_A_HOLIDAY = "Le 16/03/2026 n'est pas un jour férié du calendrier"


@pytest.fixture
def statement(region, provider, provider_user):
    action = f.TrainingActionFactory(
        region=region,
        provider=provider,
        planned_start=dt.date(2026, 3, 2),
        planned_end=dt.date(2026, 9, 30),
    )
    enrollment = f.EnrollmentFactory(action=action, entry_date=dt.date(2026, 3, 2))
    Dossier.objects.create(
        region=region,
        action=action,
        enrollment=enrollment,
        kind="RS1",
        status="admitted",
        rate_category="JOB_SEEKER",
        weekly_hours=Decimal(35),
        number="CVL-2026-000001",
    )
    return services.create_statement(action, provider_user, dt.date(2026, 4, 2))


def test_the_absence_form_says_it_next_to_the_start_date(provider_client, statement):
    line = statement.lines.get()
    url = reverse("attendance:absence_add", args=[line.pk])
    response = provider_client.post(
        url,
        {"reason": "PUBLIC_HOLIDAY", "start": "2026-03-16", "end": "2026-03-16", "place": "centre"},
        **HTMX,
    )
    page = text(response)
    assert NOT_A_HOLIDAY in page
    errors = page.split('id="start-errors"')[1].split("</ul>")[0]
    assert NOT_A_HOLIDAY in errors  # under the start date, not on top of the form
    assert (
        'aria-invalid="true"'
        in page.split(f'id="id_l{line.pk}_start"')[0][-300:]
        + (page.split(f'id="id_l{line.pk}_start"')[1][:300])
    )
    assert not Absence.objects.exists()
    # another reason on the same day is accepted
    provider_client.post(
        url,
        {"reason": "UNJUSTIFIED", "start": "2026-03-16", "end": "2026-03-16", "place": "centre"},
        **HTMX,
    )
    assert Absence.objects.count() == 1


def test_a_local_day_that_is_a_public_holiday_says_which_reason_fits(statement, provider_user):
    april = services.create_statement(statement.action, provider_user, dt.date(2026, 5, 2))
    line = april.lines.get()
    with pytest.raises(services.ValidationError) as caught:
        services.add_absence(
            line,
            reason="LOCAL_DAY",
            start=dt.date(2026, 4, 6),  # Easter Monday
            end=dt.date(2026, 4, 6),
            place="centre",
        )
    assert "motif « jour férié »" in " ".join(caught.value.message_dict["start"])


def row(reason, start, end):
    return ["CVL-2026-000001", "", "ABSENCE", "", start, end, reason, "", "CENTRE"] + [""] * 8


def test_the_import_refuses_the_row(provider_client, statement):
    header = (
        "dossier;nir;type;presence;debut;fin;motif;motif_legal;lieu;heures;"
        "semaine_1;semaine_2;semaine_3;semaine_4;semaine_5;semaine_6;jours"
    )
    rows = [
        row("UNJUSTIFIED", "10/03/2026", "10/03/2026"),
        row("LOCAL_DAY", "16/03/2026", "17/03/2026"),
    ]
    content = "\n".join([header] + [";".join(r) for r in rows]).encode()
    upload = SimpleUploadedFile("declarations.csv", content, "text/csv")
    response = provider_client.post(
        reverse("attendance:import", args=[statement.pk]), {"file": upload}
    )
    page = text(response)
    assert "n'est pas un jour férié local du calendrier" in page
    assert "16/03/2026" in page and "17/03/2026" in page
    assert not Absence.objects.exists()  # all or nothing


def test_the_api_refuses_the_row_with_its_column(client, statement, provider, provider_user):
    _, raw = ApiToken.issue(provider=provider, name="Logiciel OF", user=provider_user)
    names = ["dossier", "nir", "type", "presence", "debut", "fin", "motif", "motif_legal", "lieu"]
    data = [dict(zip(names, row("PUBLIC_HOLIDAY", "16/03/2026", "16/03/2026"), strict=False))]
    response = client.post(
        f"/api/statements/{statement.pk}/declarations",
        data=data,
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {raw}",
    )
    assert response.status_code == 422
    error = response.json()["errors"][0]
    assert error["ligne"] == 1 and error["colonne"] == "debut"
    assert error["erreur"].startswith(NOT_A_HOLIDAY)
    assert not Absence.objects.exists()
