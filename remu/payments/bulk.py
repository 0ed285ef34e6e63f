"""Fast writes for the runs: PostgreSQL's COPY (with an upsert through a temporary table for
the ledger); other databases use Django's bulk_create."""

from django.db import connection

from .models import DueAmount, Payment

DUE_UPDATED = ("amount", "explanation", "version_label", "computed_at")


def _fields(model):
    return [f for f in model._meta.concrete_fields if not f.primary_key]


def _columns(fields) -> str:
    return ", ".join(connection.ops.quote_name(f.column) for f in fields)


def _rows(objects, fields):
    """Raw values: psycopg adapts dates, decimals and strings itself; JSON is wrapped."""
    from django.db.models import JSONField
    from psycopg.types.json import Jsonb

    attnames = [f.attname for f in fields]
    json = {i for i, f in enumerate(fields) if isinstance(f, JSONField)}
    for obj in objects:
        row = [getattr(obj, name) for name in attnames]
        for i in json:
            row[i] = Jsonb(row[i])
        yield row


def insert_payments(payments) -> None:
    if not payments:
        return
    if connection.vendor != "postgresql":
        Payment.objects.bulk_create(payments, batch_size=1000)
        return
    fields = _fields(Payment)
    statement = f"COPY {Payment._meta.db_table} ({_columns(fields)}) FROM STDIN"
    with connection.cursor() as cursor, cursor.cursor.copy(statement) as copy:
        for row in _rows(payments, fields):
            copy.write_row(row)


def upsert_dues(dues) -> None:
    if not dues:
        return
    if connection.vendor != "postgresql":
        DueAmount.objects.bulk_create(
            dues,
            update_conflicts=True,
            unique_fields=["enrollment", "month", "component"],
            update_fields=list(DUE_UPDATED),
            batch_size=1000,
        )
        return
    fields = _fields(DueAmount)
    columns = _columns(fields)
    table = DueAmount._meta.db_table
    updates = ", ".join(f"{c} = EXCLUDED.{c}" for c in DUE_UPDATED)
    with connection.cursor() as cursor:
        cursor.execute(
            f"CREATE TEMP TABLE IF NOT EXISTS due_upsert AS "
            f"SELECT {columns} FROM {table} WITH NO DATA"
        )
        cursor.execute("TRUNCATE due_upsert")
        with cursor.cursor.copy(f"COPY due_upsert ({columns}) FROM STDIN") as copy:
            for row in _rows(dues, fields):
                copy.write_row(row)
        cursor.execute(
            f"INSERT INTO {table} ({columns}) SELECT {columns} FROM due_upsert "
            f"ON CONFLICT (enrollment_id, month, component) DO UPDATE SET {updates}"
        )
