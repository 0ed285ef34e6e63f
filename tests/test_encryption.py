"""Data protection at rest (issue 14 §2): NIRs, IBANs and SEPA files encrypted in the database
(Fernet, keys from the environment, rotation), NIRs found and kept unique by a keyed hash, the
change history of trainees and dossiers (encrypted there too) shown to rules administrators."""

import datetime as dt
from decimal import Decimal

import pytest
from cryptography.fernet import Fernet, InvalidToken
from django.core.exceptions import FieldError
from django.core.management import call_command
from django.db import IntegrityError, connection, transaction
from django.urls import reverse

from remu.core import crypto
from remu.dossiers.models import Dossier
from remu.home.retention import anonymise_expired
from remu.payments import sepa as sepa_files
from remu.payments import services
from remu.payments.models import Payment, SepaFile, TaxRate
from remu.trainees.models import Enrollment, Trainee

from . import factories as f
from .test_settings import run_manage
from .utils import text

IBAN = "FR7630006000011234567890189"
MARCH = dt.date(2026, 3, 1)
FIRST_KEY = "HHTfLczG7N-GHm9JhLRhXI1BnTTWGKKUv0Imm9yqOWA="  # remu/settings/test.py


def raw(table, column, pk, pk_column="id"):
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {column} FROM {table} WHERE {pk_column} = %s", [pk])
        value = cursor.fetchone()[0]
    return bytes(value) if isinstance(value, memoryview | bytes) else value


@pytest.fixture
def sent(pay_world):
    """The world's March paid: a run, then its SEPA file (by a second agent)."""
    region = pay_world["region"]
    region.sepa_debtor_name, region.sepa_debtor_iban = "Région", "FR7610011000201234567890188"
    region.save()
    run = services.start_run(region, "monthly", MARCH, pay_world["agent"])
    services.execute_run(run.pk)
    (sepa,) = sepa_files.export_run(run, f.AgentFactory(region=region))
    return {**pay_world, "run": run, "sepa": sepa}


def test_the_database_holds_tokens_not_the_values(sent):
    trainee = sent["enrollment"].trainee
    nir = trainee.nir
    stored = raw("trainees_trainee", "nir", trainee.pk)
    assert stored.startswith(crypto.TOKEN_PREFIX) and nir not in stored
    assert raw("trainees_trainee", "nir_hash", trainee.pk) == crypto.nir_hash(nir) != nir
    dossier = sent["dossier"]
    assert IBAN not in raw("dossiers_dossier", "iban", dossier.pk)
    payment = Payment.objects.filter(net__gt=0).first()
    assert IBAN not in raw("payments_payment", "iban", payment.pk)
    content = raw("payments_sepafile", "content", sent["sepa"].pk)
    assert content.startswith(crypto.TOKEN_PREFIX.encode()) and IBAN.encode() not in content
    # round trip: what the application reads is the plain value
    assert Trainee.objects.get(pk=trainee.pk).nir == nir
    assert Dossier.objects.get(pk=dossier.pk).iban == IBAN
    assert Payment.objects.get(pk=payment.pk).iban == IBAN
    assert IBAN.encode() in SepaFile.objects.get(pk=sent["sepa"].pk).content


def test_two_encryptions_of_one_value_differ_and_blank_stays_blank(region, other_region):
    a = f.TraineeFactory(region=region, nir="")
    b = f.TraineeFactory(region=region, nir="")
    assert raw("trainees_trainee", "nir", a.pk) == "" and a.nir_hash == ""
    assert Trainee.objects.filter(pk__in=[a.pk, b.pk], nir="").count() == 2  # blank: 2 allowed
    c = f.TraineeFactory(region=region)
    d = f.TraineeFactory(region=other_region, nir=c.nir)
    assert raw("trainees_trainee", "nir", c.pk) != raw("trainees_trainee", "nir", d.pk)
    assert c.nir_hash == d.nir_hash


@pytest.fixture
def one_region_trainee(region):
    return f.TraineeFactory(region=region)


def test_a_nir_is_unique_in_a_region_by_its_hash(one_region_trainee, other_region):
    known = one_region_trainee
    twin = f.TraineeFactory.build(region=known.region, nir=known.nir)
    with pytest.raises(IntegrityError), transaction.atomic():
        twin.save()
    # the same person in another region is another trainee
    f.TraineeFactory(region=other_region, nir=known.nir)
    assert Trainee.objects.filter(nir_hash=crypto.nir_hash(known.nir)).count() == 2


def test_a_nir_is_found_by_its_hash_and_never_compared_as_a_token(one_region_trainee):
    known = one_region_trainee
    spaced = " ".join([known.nir[:1], known.nir[1:3], known.nir[3:]]).lower()
    assert Trainee.objects.get(nir_hash=crypto.nir_hash(spaced)) == known
    with pytest.raises(FieldError):
        Trainee.objects.filter(nir=known.nir).exists()
    with pytest.raises(FieldError):
        Dossier.objects.filter(iban__startswith="FR76").exists()


def test_a_hash_needs_its_key(one_region_trainee, settings):
    before = one_region_trainee.nir_hash
    settings.NIR_HASH_KEY = "another-key-for-the-hash-" + "x" * 20
    assert crypto.nir_hash(one_region_trainee.nir) != before


def test_rotation_with_two_keys(sent, settings, capsys):
    trainee, dossier = sent["enrollment"].trainee, sent["dossier"]
    nir = trainee.nir
    old = raw("trainees_trainee", "nir", trainee.pk)
    new_key = Fernet.generate_key().decode()
    settings.FIELD_ENCRYPTION_KEYS = [new_key, FIRST_KEY]  # the new key first, the old after
    assert Trainee.objects.get(pk=trainee.pk).nir == nir  # still readable before the rotation
    call_command("rotate_encryption_key", "--batch", "1")
    assert "Rotation terminée" in capsys.readouterr().out
    assert raw("trainees_trainee", "nir", trainee.pk) != old
    settings.FIELD_ENCRYPTION_KEYS = [new_key]  # the old key removed
    assert Trainee.objects.get(pk=trainee.pk).nir == nir
    assert Dossier.objects.get(pk=dossier.pk).iban == IBAN
    assert {p.iban for p in Payment.objects.all()} == {IBAN}
    assert IBAN.encode() in SepaFile.objects.get().content
    history = trainee.history.first()
    assert history.nir == nir  # the history tables are rotated too
    settings.FIELD_ENCRYPTION_KEYS = [FIRST_KEY]  # the old key alone reads nothing any more
    with pytest.raises(InvalidToken):
        Trainee.objects.get(pk=trainee.pk)


def test_the_history_keeps_the_nir_and_iban_encrypted(pay_world):
    trainee, dossier = pay_world["enrollment"].trainee, pay_world["dossier"]
    trainee.phone = "06 12 34 56 78"
    trainee.save()
    dossier.iban = "FR1420041010050500013M02606"
    dossier.save()
    record = trainee.history.first()
    stored = raw("trainees_historicaltrainee", "nir", record.history_id, "history_id")
    assert stored.startswith(crypto.TOKEN_PREFIX) and trainee.nir not in stored
    record = dossier.history.first()
    stored = raw("dossiers_historicaldossier", "iban", record.history_id, "history_id")
    assert "FR1420041010050500013M02606" not in stored
    assert record.iban == "FR1420041010050500013M02606"


def test_rules_administrators_see_who_changed_what_on_the_trainee_page(
    client, pay_world, django_assert_max_num_queries
):
    trainee, dossier = pay_world["enrollment"].trainee, pay_world["dossier"]
    agent = pay_world["agent"]  # a rules administrator
    client.force_login(agent)
    dossier.iban = "FR1420041010050500013M02606"
    dossier.save()
    trainee.phone = "06 12 34 56 78"
    trainee.save()
    url = reverse("home:trainee", args=[trainee.pk])
    with django_assert_max_num_queries(40):
        page = text(client.get(url))
    assert "Historique des modifications" in page
    assert "Fiche du stagiaire" in page and "Modification : téléphone" in page
    assert f"Dossier {dossier.number}" in page and "Modification : IBAN" in page
    assert "FR1420041010050500013M02606" not in page
    other = f.AgentFactory(region=pay_world["region"])  # not a rules administrator
    client.force_login(other)
    assert "Historique des modifications" not in text(client.get(url))
    client.force_login(pay_world["provider_user"])
    assert "Historique des modifications" not in text(client.get(url))


def test_the_history_is_paginated(client, pay_world):
    trainee = pay_world["enrollment"].trainee
    for n in range(25):
        trainee.phone = f"06 00 00 00 {n:02d}"
        trainee.save()
    client.force_login(pay_world["agent"])
    url = reverse("home:trainee", args=[trainee.pk])
    assert "Page 1 sur 2" in text(client.get(url))
    assert "Page 2 sur 2" in text(client.get(url, {"page": "2"}))


def test_anonymisation_erases_the_history_too(pay_world, django_capture_on_commit_callbacks):
    run = services.start_run(pay_world["region"], "monthly", MARCH, pay_world["agent"])
    services.execute_run(run.pk)
    Enrollment.objects.filter(pk=pay_world["enrollment"].pk).update(status="completed")
    trainee, dossier = pay_world["enrollment"].trainee, pay_world["dossier"]
    trainee.phone = "06 12 34 56 78"
    trainee.save()
    name = trainee.birth_name
    with django_capture_on_commit_callbacks(execute=True):
        assert anonymise_expired(dt.date(2040, 1, 1)).anonymised == 1
    trainee.refresh_from_db()
    assert (trainee.nir, trainee.nir_hash) == ("", "")
    assert not trainee.history.filter(birth_name=name).exists()
    assert not trainee.history.exclude(phone="").exists()
    assert not dossier.history.exclude(iban="").exists()
    assert Payment.objects.filter(enrollment__trainee=trainee).exclude(iban="").count() == 0
    assert sum(p.amount for p in Payment.objects.all()) > Decimal(0)


def test_the_tax_rates_are_encrypted_and_found_by_hash(pay_world):
    trainee = pay_world["enrollment"].trainee
    rate = TaxRate.objects.create(
        region=pay_world["region"], nir=trainee.nir, rate=Decimal("7.5"), valid_from=MARCH
    )
    assert trainee.nir not in raw("payments_taxrate", "nir", rate.pk)
    assert rate.nir_hash == trainee.nir_hash
    with pytest.raises(IntegrityError), transaction.atomic():
        TaxRate.objects.create(
            region=pay_world["region"], nir=trainee.nir, rate=Decimal("2"), valid_from=MARCH
        )


def test_production_refuses_to_start_without_the_keys():
    base = {
        "DJANGO_SETTINGS_MODULE": "remu.settings.production",
        "SECRET_KEY": "k" * 60,
        "ALLOWED_HOSTS": "remu.example.fr",
        "DATABASE_URL": "sqlite:////tmp/remu-deploy-check.sqlite3",
    }
    result = run_manage("check", **base, FIELD_ENCRYPTION_KEYS="", NIR_HASH_KEY="x" * 40)
    assert result.returncode != 0 and "FIELD_ENCRYPTION_KEYS est obligatoire" in result.stderr
    result = run_manage("check", **base, FIELD_ENCRYPTION_KEYS=FIRST_KEY, NIR_HASH_KEY="")
    assert result.returncode != 0 and "NIR_HASH_KEY doit compter" in result.stderr


def test_the_sepa_file_is_decrypted_on_download_and_the_download_logged(client, sent):
    from remu.audit.models import AccessEvent

    client.force_login(sent["agent"])
    response = client.get(reverse("payments:sepa_download", args=[sent["sepa"].pk]))
    assert response.status_code == 200
    assert response.content.startswith(b"<?xml") and IBAN.encode() in response.content
    assert AccessEvent.objects.filter(kind="sepa", user=sent["agent"]).exists()
