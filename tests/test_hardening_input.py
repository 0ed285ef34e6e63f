"""Issue 14 §1.3 and §1.8: every input the probe sent that gave a 500 or held a CPU now gets a
French answer at once."""

import time

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from remu.api.models import ApiToken
from remu.attendance.models import Absence
from remu.payments.models import TaxRate

from . import factories as f
from .test_declarations import GOOD, csv_file, statement  # noqa: F401 (fixture)
from .utils import text

HEADER = (
    "dossier;nir;type;presence;debut;fin;motif;motif_legal;lieu;heures;"
    "semaine_1;semaine_2;semaine_3;semaine_4;semaine_5;semaine_6;jours"
)
HUGE = "1E+1000000"


def hours_row(days=HUGE, week="20"):
    return ["CVL-2026-000003", "", "HEURES"] + [""] * 7 + [week] * 6 + [days]


def absence_row(hours):
    return [
        "CVL-2026-000003",
        "",
        "ABSENCE",
        "",
        "16/03/2026",
        "17/03/2026",
        "UNJUSTIFIED",
        "",
        "CENTRE",
        hours,
    ] + [""] * 7


@pytest.fixture
def api(client, provider, provider_user):
    _, raw = ApiToken.issue(provider=provider, name="Logiciel OF", user=provider_user)
    return {"HTTP_AUTHORIZATION": f"Bearer {raw}"}


def declare(client, statement, rows, auth):  # noqa: F811
    keys = HEADER.split(";")
    body = [dict(zip(keys, row, strict=False)) for row in rows]
    url = f"/api/statements/{statement.pk}/declarations"
    return client.post(url, body, content_type="application/json", **auth)


def test_huge_days_through_the_api_answer_at_once_in_french(client, statement, api):  # noqa: F811
    began = time.monotonic()
    response = declare(client, statement, [hours_row()], api)
    assert time.monotonic() - began < 2
    assert response.status_code == 422
    assert response.json()["errors"] == [
        {"ligne": 1, "colonne": "jours", "erreur": "nombre trop grand"}
    ]


@pytest.mark.parametrize("value", ["1E+1000000", "1" * 5000, "0." + "0" * 40 + "1", "12,345"])
def test_bounded_numbers_in_an_import(provider_client, statement, value):  # noqa: F811
    began = time.monotonic()
    response = provider_client.post(
        reverse("attendance:import", args=[statement.pk]), {"file": csv_file([hours_row(value)])}
    )
    assert time.monotonic() - began < 2
    assert response.status_code == 200
    assert "Rien n'a été importé : 1 erreur" in text(response)


@pytest.mark.parametrize("hours", ["1E+10", "99999", "1000.5", "-3"])
def test_absence_hours_out_of_bounds_are_a_row_error(client, statement, api, hours):  # noqa: F811
    response = declare(client, statement, [absence_row(hours)], api)
    assert response.status_code == 422
    assert response.json()["errors"][0]["colonne"] == "heures"
    assert not Absence.objects.exists()


def test_nul_byte_in_a_search_is_refused(agent_client):
    response = agent_client.get(reverse("dossiers:list"), {"status": "submitted\x00"})
    assert response.status_code == 400
    assert "caractère nul" in response.content.decode()


BAD_CSVS = {
    "no separator": "reference statut date\nX PAYE 01/01/2026\n",
    "blank first line": "\n\n{header}\n{row}\n",
    "more columns than the header": "{header}\n{row};en trop;encore\n",
}


def _csv(kind, header, row):
    return BAD_CSVS[kind].format(header=header, row=row).encode()


@pytest.mark.parametrize("kind", BAD_CSVS)
def test_odd_csv_files_in_the_payment_imports(client, pay_world, kind):
    nir = pay_world["enrollment"].trainee.nir
    client.force_login(pay_world["agent"])
    for url, header, row in [
        (reverse("payments:tax_rates"), "nir;taux;date", f"{nir};7,5;01/01/2026"),
        (reverse("payments:returns"), "reference;statut;date;mandat", "X;PAYE;01/01/2026;1"),
    ]:
        upload = SimpleUploadedFile("f.csv", _csv(kind, header, row))
        response = client.post(url, {"file": upload})
        assert response.status_code in (200, 302), url


@pytest.mark.parametrize("kind", BAD_CSVS)
def test_odd_csv_files_in_the_attendance_import(provider_client, statement, kind):  # noqa: F811
    upload = SimpleUploadedFile("f.csv", _csv(kind, HEADER, ";".join(GOOD[0])))
    url = reverse("attendance:import", args=[statement.pk])
    assert provider_client.post(url, {"file": upload}).status_code in (200, 302)


def test_csv_messages_are_french(client, pay_world):
    client.force_login(pay_world["agent"])
    url = reverse("payments:tax_rates")
    page = text(client.post(url, {"file": SimpleUploadedFile("t.csv", b"nir taux date\n1 2 3\n")}))
    assert "séparées par « ; » ou « , »" in page
    more = b"nir;taux;date\n1;2;3;4\n"
    page = text(client.post(url, {"file": SimpleUploadedFile("t.csv", more)}))
    assert "Ligne 2 : 4 colonnes, plus que les 3 de la ligne d'en-tête." in page


def test_duplicate_tax_rate_rows_are_reported(client, pay_world):
    client.force_login(pay_world["agent"])
    nir = pay_world["enrollment"].trainee.nir
    content = f"nir;taux;date\n{nir};7,5;01/01/2026\n{nir};8;01/01/2026\n".encode()
    page = text(
        client.post(reverse("payments:tax_rates"), {"file": SimpleUploadedFile("t.csv", content)})
    )
    assert "taux en double pour ce NIR à cette date" in page
    assert not TaxRate.objects.exists()


def test_api_body_over_the_limit_is_413_in_french(client, statement, api, settings):  # noqa: F811
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    rows = [hours_row("18")] * 50
    response = declare(client, statement, rows, api)
    assert response.status_code == 413
    assert "trop volumineux" in response.json()["detail"]


@pytest.fixture
def rules_admin(db):
    region = f.RegionFactory(code="centre-val-de-loire", parameter_set="centre-val-de-loire")
    return f.AgentFactory(region=region, is_rules_admin=True)


def test_scale_forms_refuse_absurd_amounts_and_months(client, rules_admin):
    client.force_login(rules_admin)
    url = reverse("scales:create")
    data = {"start": "0001-01", "label": "Délibération", "JOB_SEEKER__all": "1e308"}
    response = client.post(url, data)
    assert response.status_code == 200
    page = text(response)
    assert "vérifiez l'année" in page
    assert "inférieure ou égale à 99999.99" in page
    response = client.post(
        reverse("scales:revaluation"),
        {"start": "0001-01", "label": "x", "coefficient": "1e308"},
    )
    assert response.status_code == 200 and "vérifiez l'année" in text(response)


def test_simulator_far_dates(client, db):
    base = {
        "region": "centre-val-de-loire",
        "birth_date": "1990-05-04",
        "weekly_hours": "35",
        "unemployment_benefit": "non",
    }
    for start in ("9999-12-31", "0001-01-01"):
        response = client.get(reverse("simulator:simulate"), {**base, "start_date": start})
        assert response.status_code == 200
        assert "vérifiez l'année" in text(response)


def test_nul_byte_in_a_posted_search_is_dropped(agent_client):
    response = agent_client.post(reverse("dossiers:list"), {"name": "Dupont\x00"}, follow=True)
    assert response.status_code == 200
