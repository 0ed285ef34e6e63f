"""Fast writes for the runs, from rows (dicts of column attributes, not model instances):
PostgreSQL's COPY (with an upsert through a temporary table for the ledger); other databases
use Django's bulk_create."""

from django.db import connection
from django.db.models import JSONField

from .models import DueAmount, Payment

DUE_UPDATED = ("amount", "explanation", "version_label", "computed_at")


def _fields(model):
    return [f for f in model._meta.concrete_fields if not f.primary_key]


def _columns(fields) -> str:
    return ", ".join(connection.ops.quote_name(f.column) for f in fields)


def _copy(cursor, table, fields, rows) -> None:
    """COPY rows into a table; a column a row leaves out takes the field's default (evaluated
    once: one timestamp for the batch)."""
    from psycopg.types.json import Jsonb

    defaults = {f.attname: f.get_default() for f in fields}
    names = [f.attname for f in fields]
    json = {f.attname for f in fields if isinstance(f, JSONField)}
    statement = f"COPY {table} ({_columns(fields)}) FROM STDIN"
    with cursor.cursor.copy(statement) as copy:
        for row in rows:
            copy.write_row(
                [
                    Jsonb(row[name]) if name in json else row.get(name, defaults[name])
                    for name in names
                ]
            )


def insert_payments(rows) -> None:
    if not rows:
        return
    if connection.vendor != "postgresql":
        Payment.objects.bulk_create([Payment(**row) for row in rows], batch_size=1000)
        return
    with connection.cursor() as cursor:
        _copy(cursor, Payment._meta.db_table, _fields(Payment), rows)


def upsert_dues(rows) -> None:
    if not rows:
        return
    if connection.vendor != "postgresql":
        DueAmount.objects.bulk_create(
            [DueAmount(**row) for row in rows],
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
        _copy(cursor, "due_upsert", fields, rows)
        cursor.execute(
            f"INSERT INTO {table} ({columns}) SELECT {columns} FROM due_upsert "
            f"ON CONFLICT (enrollment_id, month, component) DO UPDATE SET {updates}"
        )
