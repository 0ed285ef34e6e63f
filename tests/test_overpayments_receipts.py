"""The paymaster's return file of sums cashed (« encaissé », issue 13 §2): all or nothing,
each faulty row in French; sums pay the plan's instalments in order; never imported twice.
And the automatic write-off traced in the dossier history on the trainee page."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from remu.attendance import services as attendance
from remu.overpayments import services as overpayments
from remu.overpayments.models import Overpayment, Recovery
from remu.overpayments.receipts import import_receipts

from .test_overpayments import MARCH, dropout, march_and_april_paid, run
from .utils import text


@pytest.fixture
def claim(pay_world):
    march_and_april_paid(pay_world)
    dropout(pay_world, "other", dt.date(2026, 4, 15))
    claim = overpayments.notify(Overpayment.objects.get(), user=pay_world["agent"])
    plan = overpayments.equal_instalments(claim.remaining, 3, dt.date(2026, 6, 10))
    overpayments.set_plan(claim, plan, user=pay_world["agent"])
    claim.refresh_from_db()
    return claim


def upload(rows, name="encaissements.csv"):
    content = "ordre;montant;date;reference\n" + "\n".join(";".join(r) for r in rows)
    return SimpleUploadedFile(name, content.encode())


def test_cashed_sums_pay_the_instalments_in_order(claim, pay_world):
    first, second, third = claim.instalments.all()
    amount = first.amount + Decimal("10.00")
    count, errors = import_receipts(
        pay_world["region"],
        upload([[claim.notice_number, f"{amount}".replace(".", ","), "15/06/2026", "TP-1"]]),
        pay_world["agent"],
    )
    assert (count, errors) == (1, [])
    claim.refresh_from_db()
    assert claim.remaining == claim.amount - amount and claim.status == "recovering"
    first, second, third = claim.instalments.prefetch_related("recoveries")
    assert first.cashed and not second.cashed and second.received == Decimal("10.00")
    assert {r.cashed_reference for r in claim.recoveries.all()} == {"TP-1"}
    # The rest, in one file, settles it; the same file again records nothing.
    rest = f"{claim.remaining}"
    import_receipts(
        pay_world["region"],
        upload([[claim.notice_number, rest, "2026-07-01", "TP-2"]]),
        pay_world["agent"],
    )
    claim.refresh_from_db()
    assert claim.status == "settled" and claim.remaining == 0
    assert all(i.cashed for i in claim.instalments.prefetch_related("recoveries"))
    count, errors = import_receipts(
        pay_world["region"],
        upload([[claim.notice_number, "1", "01/07/2026", "TP-2"]]),
        pay_world["agent"],
    )
    assert count == 0 and [e.message for e in errors] == ["encaissement « TP-2 » déjà importé"]


def test_a_faulty_file_records_nothing_and_reports_every_row(client, claim, pay_world):
    before = Recovery.objects.count()
    rows = [
        [claim.notice_number, "50,00", "15/06/2026", "TP-1"],  # fine alone
        ["CVL-OR-2026-99999", "10", "15/06/2026", "TP-2"],
        [claim.notice_number, "1E+1000000", "15/06/2026", "TP-3"],
        [claim.notice_number, "10", "31/02/2026", "TP-4"],
        [claim.notice_number, "10", "15/06/2026", "TP-1"],
        [claim.notice_number, f"{claim.remaining}", "15/06/2026", "TP-5"],  # with row 2: too much
        ["", "10", "15/06/2026", "TP-6"],
    ]
    client.force_login(pay_world["agent"])
    response = client.post(reverse("overpayments:receipts"), {"file": upload(rows)})
    assert response.status_code == 400
    page = text(response)
    assert "Rien n'a été appliqué : 6 erreurs" in page
    for message in (
        "ordre de reversement inconnu « CVL-OR-2026-99999 »",
        "nombre trop grand",
        "date invalide « 31/02/2026 »",
        "référence en double dans le fichier",
        "dépasse le reste dû de l'indu",
        "n° d'ordre de reversement manquant",
    ):
        assert message in page
    assert Recovery.objects.count() == before
    # Manual recording stays, and a good file goes through the page.
    response = client.post(
        reverse("overpayments:receipts"),
        {"file": upload([[claim.notice_number, "50,00", "15/06/2026", "TP-1"]])},
        follow=True,
    )
    assert "1 encaissement(s) enregistré(s)" in text(response)
    detail = text(client.get(reverse("overpayments:detail", args=[claim.pk])))
    assert "Encaissé par le payeur, réf. TP-1" in detail


def test_another_region_s_notice_is_unknown(claim, pay_world, other_region):
    count, errors = import_receipts(
        other_region,
        upload([[claim.notice_number, "10", "15/06/2026", "TP-1"]]),
        pay_world["agent"],
    )
    assert count == 0 and "inconnu" in errors[0].message


def test_the_automatic_write_off_is_in_the_dossier_history(client, pay_world):
    world = pay_world
    run(world, MARCH)
    line = world["line"]
    attendance.reopen_line(line, world["agent"], "Absence oubliée")
    attendance.add_absence(
        line, reason="UNJUSTIFIED", start=dt.date(2026, 3, 16), end=dt.date(2026, 3, 17),
        place="centre",
    )  # fmt: skip
    attendance.validate_lines([line], world["provider_user"])
    run(world, MARCH)
    claim = Overpayment.objects.get(status="written_off")
    client.force_login(world["agent"])
    page = text(client.get(reverse("home:trainee", args=[claim.trainee_id])))
    history = page.split("Dossiers et leur historique")[1].split("Barèmes appliqués")[0]
    assert "admis en non-valeur" in history and "seuil de 100,00 €" in history
    assert "51,30 € encore retenus sur une rémunération ultérieure" in page
    client.force_login(world["provider_user"])
    page = text(client.get(reverse("home:trainee", args=[claim.trainee_id])))
    assert "non-valeur" not in page and "Un indu a été constaté" in page
