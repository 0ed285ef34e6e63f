"""Fast writes for the batch path (`services.batch_confirm_and_invoice`), from rows (dicts of
column attributes, not model instances): PostgreSQL's COPY; other databases use Django's
bulk_create. No signal, no history: the invoicing models have neither."""

from django.db import connection
from django.db.models import JSONField


def insert_rows(model, rows) -> None:
    """Inserts rows (dicts by field attname; a missing field takes its default, evaluated
    once for the batch)."""
    if not rows:
        return
    if connection.vendor != "postgresql":
        model.objects.bulk_create([model(**row) for row in rows], batch_size=1000)
        return
    from psycopg.types.json import Jsonb

    fields = [f for f in model._meta.concrete_fields if not f.primary_key]
    defaults = {f.attname: f.get_default() for f in fields}
    names = [f.attname for f in fields]
    json = {f.attname for f in fields if isinstance(f, JSONField)}
    columns = ", ".join(connection.ops.quote_name(f.column) for f in fields)
    statement = f"COPY {model._meta.db_table} ({columns}) FROM STDIN"
    with connection.cursor() as cursor, cursor.cursor.copy(statement) as copy:
        for row in rows:
            copy.write_row(
                [
                    Jsonb(row[name]) if name in json else row.get(name, defaults[name])
                    for name in names
                ]
            )


def set_foreign_key(model, field: str, pairs) -> None:
    """Sets `field` (a foreign key's attname) row by row from (pk, value) pairs, in one
    UPDATE … FROM (VALUES …) per thousand rows (PostgreSQL, SQLite ≥ 3.33): `bulk_update`'s
    CASE costs more in Python than the rows it writes."""
    pairs = list(pairs)
    table = connection.ops.quote_name(model._meta.db_table)
    column = connection.ops.quote_name(model._meta.get_field(field).column)
    pk = connection.ops.quote_name(model._meta.pk.column)
    with connection.cursor() as cursor:
        for start in range(0, len(pairs), 1000):
            part = pairs[start : start + 1000]
            values = ", ".join(["(%s, %s)"] * len(part))
            cursor.execute(
                f"WITH v(id, value) AS (VALUES {values}) "
                f"UPDATE {table} SET {column} = v.value FROM v WHERE {table}.{pk} = v.id",
                [x for pair in part for x in pair],
            )
