"""Retention (issue 14): expired trainees are anonymised, the accounting figures kept."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command

from remu.dossiers.models import Dossier, SupportingDocument
from remu.home.retention import anonymise_expired
from remu.overpayments.models import Overpayment
from remu.payments import services
from remu.payments.models import Payment
from remu.trainees.models import Enrollment, Trainee

MARCH = dt.date(2026, 3, 1)
LATER = dt.date(2040, 1, 1)  # more than ten years after the March 2026 payment
PDF = b"%PDF-1.4\n"


@pytest.fixture
def paid(pay_world):
    """The world's trainee, paid for March 2026, training completed, with an uploaded RIB."""
    run = services.start_run(pay_world["region"], "monthly", MARCH, pay_world["agent"])
    services.execute_run(run.pk)
    Enrollment.objects.filter(pk=pay_world["enrollment"].pk).update(status="completed")
    document = SupportingDocument.objects.create(
        dossier=pay_world["dossier"],
        doc_type="RIB",
        file=SimpleUploadedFile("rib.pdf", PDF),
        original_name="rib-lea-martin.pdf",
        content_type="application/pdf",
        size=len(PDF),
        uploaded_by=pay_world["provider_user"],
    )
    return {**pay_world, "document": document}


def amounts(trainee):
    return sorted(
        Payment.objects.filter(enrollment__trainee=trainee).values_list("component", "amount")
    )


def test_an_expired_trainee_is_anonymised_and_the_amounts_kept(
    paid, django_capture_on_commit_callbacks
):
    trainee = paid["enrollment"].trainee
    assert trainee.nir and amounts(trainee)
    before = amounts(trainee)
    storage, name = paid["document"].file.storage, paid["document"].file.name
    assert storage.exists(name)

    with django_capture_on_commit_callbacks(execute=True):
        outcome = anonymise_expired(LATER)

    assert (outcome.anonymised, outcome.kept) == (1, 0)
    trainee.refresh_from_db()
    assert trainee.anonymised_at is not None
    assert "Martin" not in trainee.full_name and trainee.nir == "" and trainee.email == ""
    assert trainee.address_line1 == "" and trainee.birth_commune is None
    dossier = Dossier.objects.get(pk=paid["dossier"].pk)
    assert (dossier.iban, dossier.bic, dossier.account_holder) == ("", "", "")
    assert not Payment.objects.filter(enrollment__trainee=trainee).exclude(iban="").exists()
    assert amounts(trainee) == before
    document = SupportingDocument.objects.get(pk=paid["document"].pk)
    assert not document.file and "supprimée" in document.original_name
    assert not storage.exists(name)


def test_a_recent_trainee_is_kept(paid):
    outcome = anonymise_expired(dt.date(2030, 1, 1))
    assert (outcome.anonymised, outcome.kept) == (0, 0)
    assert Trainee.objects.get(pk=paid["enrollment"].trainee_id).nir


def test_an_open_overpayment_or_an_active_enrollment_keeps_the_trainee(paid):
    enrollment = paid["enrollment"]
    Overpayment.objects.create(
        region=paid["region"],
        trainee=enrollment.trainee,
        enrollment=enrollment,
        source="dropout",
        amount=Decimal("100.00"),
        remaining=Decimal("40.00"),
        label="Abandon",
    )
    assert (anonymise_expired(dt.date(2050, 1, 1)).kept, Trainee.objects.get().nir != "") == (
        1,
        True,
    )
    Overpayment.objects.update(remaining=0)
    Enrollment.objects.filter(pk=enrollment.pk).update(status="active")
    assert anonymise_expired(dt.date(2050, 1, 1)).kept == 1
    assert Trainee.objects.get().anonymised_at is None


def backdate(world):
    """Moves the world's money into 2010, so that today's run finds it expired."""
    old = dt.datetime(2010, 1, 1, tzinfo=dt.UTC)
    Trainee.objects.update(created_at=old)
    Payment.objects.update(created_at=old, paid_on=None, rejected_on=None)


def test_dry_run_writes_nothing_and_a_second_run_changes_nothing(paid, capsys):
    backdate(paid)
    trainee = paid["enrollment"].trainee
    call_command("anonymise_expired", "--dry-run")
    assert "1 stagiaire(s) à anonymiser, 0 conservé(s)" in capsys.readouterr().out
    trainee.refresh_from_db()
    assert trainee.anonymised_at is None and trainee.nir
    assert SupportingDocument.objects.get().file

    call_command("anonymise_expired")
    assert "1 stagiaire(s) anonymisé(s), 0 conservé(s)" in capsys.readouterr().out
    first = Trainee.objects.values().get()
    call_command("anonymise_expired")
    assert "0 stagiaire(s) anonymisé(s)" in capsys.readouterr().out
    assert Trainee.objects.values().get() == first
