"""A run's chunk checks the foreign keys of its ledger rows once a chunk, set-wise
(`payments.keys`): a wrong key is still refused, nothing of the chunk is kept, and the rows
it refers to are locked until the commit as PostgreSQL's own checks lock them."""

import datetime as dt

import psycopg
import pytest
from django.db import IntegrityError, connection, transaction

from remu.core.fields import Ciphertext
from remu.payments import bulk, keys
from remu.payments.models import DueAmount, Payment, PaymentRun

from .test_payments_copy import due_rows, ledger_world

pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="PostgreSQL's triggers and replica mode"
)


@pytest.fixture
def world(db, region, agent, provider):
    return ledger_world(region, agent, provider)


@pytest.fixture
def fresh_catalogue(monkeypatch):
    """What this connection may do, read again (a test changes the role or the triggers)."""
    monkeypatch.setattr(keys, "_catalogue", {})


def payment_row(world, **changes) -> dict:
    row = {
        "region_id": world["region"].pk,
        "run_id": world["run"].pk,
        "enrollment_id": world["enrollment"].pk,
        "dossier_id": world["dossier"].pk,
        "month": dt.date(2026, 3, 1),
        "component": "remuneration",
        "amount": 100,
        "label": "Rémunération",
        "withholding": 0,
        "offset": 0,
        "net": 100,
        "tax_rate": 0,
        "iban": Ciphertext("gAAAAABtoken"),  # copied as it is
        "bic": "BNPAFRPP",
        "account_holder": "Léa Martin",
        "reference": "REMU-TEST-1",
    }
    return row | changes


def write(rows_by_model):
    with transaction.atomic(), keys.checked_by_chunk(rows_by_model):
        for model, rows in rows_by_model.items():
            if model is DueAmount:
                bulk.upsert_dues(rows, fresh=True)
            else:
                bulk.insert_payments(rows)
        connection.check_constraints()  # what the commit would check row by row


def test_the_test_database_may_use_replica_mode(world):
    assert keys.replica_allowed([DueAmount._meta.db_table, Payment._meta.db_table])


def test_rows_with_right_keys_are_written(world):
    dues, payment = due_rows(world), payment_row(world)
    write({DueAmount: dues, Payment: [payment]})
    assert DueAmount.objects.count() == len(dues)
    assert list(Payment.objects.values_list("reference", flat=True)) == ["REMU-TEST-1"]


@pytest.mark.parametrize(
    "model, change, constraint",
    [
        (DueAmount, "region", "dueamount_dossier_enrollment_region_fk"),
        (DueAmount, "enrollment", "dueamount_dossier_enrollment_region_fk"),
        (Payment, "region", "payment_dossier_enrollment_region_fk"),
        (Payment, "run", "payments_payment_run_id"),
    ],
)
def test_a_row_whose_key_refers_to_nothing_is_refused_and_nothing_is_kept(
    world, other_region, model, change, constraint
):
    wrong = {
        "region": {"region_id": other_region.pk},
        "enrollment": {"enrollment_id": world["enrollment"].pk + 1000},
        "run": {"run_id": world["run"].pk + 1000},
    }[change]
    dues = due_rows(world)
    payments = [payment_row(world), payment_row(world, reference="REMU-TEST-2")]
    if model is DueAmount:
        dues[3] |= wrong
    else:
        payments[1] |= wrong
    with pytest.raises(IntegrityError, match=constraint):
        write({DueAmount: dues, Payment: payments})
    assert not DueAmount.objects.exists() and not Payment.objects.exists()
    write({DueAmount: due_rows(world)})  # the mode went back with the block: the next is checked
    assert DueAmount.objects.count() == len(dues)


def test_without_the_privilege_rows_are_checked_one_by_one_at_the_commit(
    world, other_region, fresh_catalogue
):
    tables = [DueAmount._meta.db_table, Payment._meta.db_table]
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("CREATE ROLE remu_keys_plain NOSUPERUSER")
        cursor.execute("GRANT ALL ON ALL TABLES IN SCHEMA public TO remu_keys_plain")
        cursor.execute("GRANT ALL ON ALL SEQUENCES IN SCHEMA public TO remu_keys_plain")
        cursor.execute("SET LOCAL ROLE remu_keys_plain")
        assert not keys.replica_allowed(tables)
        dues = due_rows(world)
        dues[0]["region_id"] = other_region.pk
        with keys.checked_by_chunk({DueAmount: dues}):
            bulk.upsert_dues(dues, fresh=True)  # written: the checks are queued
        with (
            pytest.raises(IntegrityError, match="dueamount_dossier_enrollment_region_fk"),
            transaction.atomic(),
        ):
            connection.check_constraints()
        transaction.set_rollback(True)


def test_a_table_with_a_trigger_of_its_own_keeps_the_row_checks(world, fresh_catalogue):
    table = DueAmount._meta.db_table
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "CREATE FUNCTION remu_keys_noop() RETURNS trigger LANGUAGE plpgsql "
            "AS 'BEGIN RETURN NEW; END'"
        )
        cursor.execute(
            f"CREATE TRIGGER remu_keys_noop BEFORE INSERT ON {table} "
            "FOR EACH ROW EXECUTE FUNCTION remu_keys_noop()"
        )
        assert not keys.replica_allowed([table])  # replica mode would switch it off
        transaction.set_rollback(True)


@pytest.mark.django_db(transaction=True)
def test_the_rows_referred_to_are_locked_until_the_commit(world):
    settings = connection.settings_dict
    other = psycopg.connect(
        dbname=settings["NAME"],
        user=settings["USER"],
        host=settings["HOST"] or None,
        port=settings["PORT"] or None,
        password=settings["PASSWORD"] or None,
    )
    try:
        with transaction.atomic(), keys.checked_by_chunk({Payment: [payment_row(world)]}):
            bulk.insert_payments([payment_row(world)])
            inside = True
        assert inside
        # committed: the locks are gone, another transaction may lock the dossier again
        other.execute(
            "SELECT 1 FROM dossiers_dossier WHERE id = %s FOR UPDATE NOWAIT",
            [world["dossier"].pk],
        )
        other.rollback()
        with transaction.atomic():
            with keys.checked_by_chunk({Payment: [payment_row(world, reference="REMU-2")]}):
                bulk.insert_payments([payment_row(world, reference="REMU-2")])
            for table, pk in (
                ("dossiers_dossier", world["dossier"].pk),
                (PaymentRun._meta.db_table, world["run"].pk),
            ):
                with pytest.raises(psycopg.errors.LockNotAvailable):
                    other.execute(f"SELECT 1 FROM {table} WHERE id = %s FOR UPDATE NOWAIT", [pk])
                other.rollback()
    finally:
        other.close()
