"""Bulk declarations: the file import and the JSON API (all or nothing, every bad row said)."""

import datetime as dt
import io
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import Workbook, load_workbook

from remu.api.models import ApiToken
from remu.attendance import services
from remu.attendance.models import Absence, AttendanceLine
from remu.dossiers.models import Dossier

from . import factories as f
from .utils import text


@pytest.fixture
def statement(region, provider, provider_user):
    action = f.TrainingActionFactory(
        region=region,
        provider=provider,
        planned_start=dt.date(2026, 3, 2),
        planned_end=dt.date(2026, 9, 30),
    )
    for i, hours in enumerate((35, 35, 20)):
        enrollment = f.EnrollmentFactory(action=action, entry_date=dt.date(2026, 3, 2))
        Dossier.objects.create(
            region=region,
            action=action,
            enrollment=enrollment,
            kind="RS1",
            status="admitted",
            rate_category="JOB_SEEKER",
            weekly_hours=Decimal(hours),
            number=f"CVL-2026-00000{i + 1}",
        )
    return services.create_statement(action, provider_user, dt.date(2026, 4, 2))


def csv_file(rows, name="declarations.csv"):
    header = (
        "dossier;nir;type;presence;debut;fin;motif;motif_legal;lieu;heures;"
        "semaine_1;semaine_2;semaine_3;semaine_4;semaine_5;semaine_6;jours"
    )
    lines = [header] + [";".join(r) for r in rows]
    return SimpleUploadedFile(name, "\n".join(lines).encode("utf-8"), "text/csv")


GOOD = [
    ["CVL-2026-000001", "", "PRESENCE", "TOUT_LE_MOIS"] + [""] * 13,
    ["CVL-2026-000001", "", "ABSENCE", "", "16/03/2026", "17/03/2026", "UNJUSTIFIED", "", "CENTRE"]
    + [""] * 8,
    [
        "CVL-2026-000003",
        "",
        "HEURES",
        "",
        "",
        "",
        "",
        "",
        "",
        "",
        "0",  # Sunday 1 March: before the entry on the 2nd
        "20",
        "20",
        "20",
        "20",
        "20",
        "18",
    ],
]


def test_template_documents_every_column_and_code(provider_client):
    response = provider_client.get(reverse("attendance:import_template"))
    book = load_workbook(io.BytesIO(response.content))
    assert book.sheetnames == ["Déclarations", "Colonnes et codes"]
    codes = [row[0] for row in book["Colonnes et codes"].iter_rows(values_only=True)]
    for needed in ("dossier", "motif", "UNJUSTIFIED", "CENTRE_CLOSURE", "OWN_MARRIAGE"):
        assert needed in codes


def test_a_good_file_is_imported(provider_client, statement):
    url = reverse("attendance:import", args=[statement.pk])
    response = provider_client.post(url, {"file": csv_file(GOOD)})
    assert response.status_code == 302
    first = statement.lines.get(dossier__number="CVL-2026-000001")
    assert first.presence == "full_month" and first.absences.count() == 1
    part = statement.lines.get(dossier__number="CVL-2026-000003")
    assert part.days_present == 18 and part.hours_present > 0


def test_one_bad_row_and_nothing_is_imported(provider_client, statement):
    bad = GOOD + [
        [
            "CVL-2026-999999",
            "",
            "ABSENCE",
            "",
            "16/03/2026",
            "17/03/2026",
            "UNJUSTIFIED",
            "",
            "CENTRE",
        ]
        + [""] * 8,
        ["CVL-2026-000002", "", "ABSENCE", "", "32/03/2026", "17/03/2026", "SIESTE", "", "PLAGE"]
        + [""] * 8,
        ["CVL-2026-000002", "", "VACANCES"] + [""] * 14,
    ]
    page = text(
        provider_client.post(
            reverse("attendance:import", args=[statement.pk]), {"file": csv_file(bad)}
        )
    )
    assert "Rien n'a été importé : 5 erreurs." in page
    for expected in (
        "aucun stagiaire admis de cet état n'a le dossier « CVL-2026-999999 »",
        "date invalide « 32/03/2026 »",
        "code de motif inconnu « SIESTE »",
        "CENTRE ou ENTREPRISE attendu",
        "PRESENCE, ABSENCE ou HEURES attendu",
    ):
        assert expected in page
    assert "<td>5</td>" in page and "<td>6</td>" in page  # file row numbers
    assert not Absence.objects.exists()
    assert not AttendanceLine.objects.exclude(presence="").exists()


def test_a_500_row_xlsx_reports_every_bad_row(provider_client, statement):
    book = Workbook()
    sheet = book.active
    sheet.append(["dossier", "type", "motif", "debut", "fin", "lieu", "heures"])
    line = statement.lines.get(dossier__number="CVL-2026-000003")
    for i in range(500):
        day = dt.date(2026, 3, 1) + dt.timedelta(days=i % 31)
        # every row but one overlaps another: 499 row errors, all reported
        sheet.append([line.dossier.number, "ABSENCE", "UNJUSTIFIED", day, day, "CENTRE", "2"])
    buffer = io.BytesIO()
    book.save(buffer)
    upload = SimpleUploadedFile("absences.xlsx", buffer.getvalue())
    page = text(
        provider_client.post(reverse("attendance:import", args=[statement.pk]), {"file": upload})
    )
    # 1 March is before the entry (2 March), and every day after its first row overlaps
    assert "Rien n'a été importé : 470 erreurs." in page
    assert not Absence.objects.exists()


def test_the_api_declares_and_validates_with_a_token(client, statement, provider, provider_user):
    token, raw = ApiToken.issue(provider=provider, name="Logiciel OF", user=provider_user)
    auth = {"HTTP_AUTHORIZATION": f"Bearer {raw}"}
    actions = client.get("/api/actions", **auth).json()
    assert [a["number"] for a in actions] == [statement.action.number]
    rows = [
        dict(
            zip(
                [
                    "dossier",
                    "nir",
                    "type",
                    "presence",
                    "debut",
                    "fin",
                    "motif",
                    "motif_legal",
                    "lieu",
                ],
                r,
                strict=False,
            )
        )
        for r in GOOD[:2]
    ]
    bad = client.post(
        f"/api/statements/{statement.pk}/declarations",
        data=[*rows, {"dossier": "X", "type": "ABSENCE"}],
        content_type="application/json",
        **auth,
    )
    assert bad.status_code == 422
    assert bad.json()["errors"][0] == {
        "ligne": 3,
        "colonne": "dossier",
        "erreur": "aucun stagiaire admis de cet état n'a le dossier « X »",
    }
    assert not Absence.objects.exists()
    ok = client.post(
        f"/api/statements/{statement.pk}/declarations",
        data=rows,
        content_type="application/json",
        **auth,
    )
    assert ok.json() == {"applied": 2}
    line = statement.lines.get(dossier__number="CVL-2026-000001")
    done = client.post(
        f"/api/statements/{statement.pk}/validate",
        data={"lines": [line.pk]},
        content_type="application/json",
        **auth,
    )
    assert done.json() == {"validated": [line.pk]}
    detail = client.get(f"/api/statements/{statement.pk}", **auth).json()
    validated = next(x for x in detail["lines"] if x["id"] == line.pk)
    assert validated["status"] == "validated" and validated["paid_thirtieths"] == 27
    token.refresh_from_db()
    assert token.last_used_at is not None
    assert client.get("/api/docs").status_code == 200


def test_tokens_are_created_shown_once_and_revoked(client, provider, provider_user):
    membership = provider_user.memberships.get()
    client.force_login(provider_user)
    assert client.get(reverse("tokens:provider")).status_code == 403  # not an admin
    membership.is_admin = True
    membership.save()
    page = text(client.post(reverse("tokens:provider"), {"name": "Logiciel OF"}))
    raw = page.split('<code id="new-token">')[1].split("<")[0]
    assert raw.startswith("remu_")
    token = ApiToken.objects.get()
    assert token.key_hash != raw and raw not in text(client.get(reverse("tokens:provider")))
    assert client.get("/api/actions", HTTP_AUTHORIZATION=f"Bearer {raw}").status_code == 200
    client.post(reverse("tokens:revoke", args=[token.pk]))
    assert client.get("/api/actions", HTTP_AUTHORIZATION=f"Bearer {raw}").status_code == 401


def test_agents_manage_a_providers_tokens(client, provider, region):
    client.force_login(f.AgentFactory(region=region))
    client.post(reverse("tokens:agent", args=[provider.pk]), {"name": "Pour l'OF"})
    assert ApiToken.objects.get().provider == provider
