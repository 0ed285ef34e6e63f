"""Fast writes for the runs, from rows (dicts of column attributes, not model instances):
PostgreSQL's binary COPY, straight into the table when the chunk's enrollments have no row
there yet (a first run), else an upsert through a temporary table; other databases use
Django's bulk_create."""

from django.db import IntegrityError, connection, transaction
from django.db.models import JSONField

from .models import DueAmount, Payment, SocialContribution

# the dossier too: the one the run pays the month under now
DUE_UPDATED = ("dossier_id", "amount", "explanation", "version_label", "computed_at")
DUE_KEY = ("enrollment_id", "month", "component")


def _fields(model):
    return [f for f in model._meta.concrete_fields if not f.primary_key]


def _columns(fields) -> str:
    return ", ".join(connection.ops.quote_name(f.column) for f in fields)


_oids: dict[tuple[str, str], dict[str, int]] = {}


def _types(cursor, table: str, fields) -> list[int]:
    """The PostgreSQL type (oid) of each column, for a binary COPY (read once a process)."""
    key = (connection.settings_dict["NAME"], table)
    if key not in _oids:
        cursor.execute(
            "SELECT attname, atttypid FROM pg_attribute "
            "WHERE attrelid = %s::regclass AND attnum > 0 AND NOT attisdropped",
            [table],
        )
        _oids[key] = dict(cursor.fetchall())
    return [_oids[key][f.column] for f in fields]


def _copy(cursor, table, fields, rows, types) -> None:
    """Binary COPY of rows into a table; a column a row leaves out takes the field's default
    (evaluated once: one timestamp for the batch)."""
    from psycopg.types.json import Jsonb

    defaults = {f.attname: f.get_default() for f in fields}
    names = [f.attname for f in fields]
    json = {f.attname for f in fields if isinstance(f, JSONField)}
    # The components of a month (and, through the run's memo, the trainees of one situation)
    # share one explanation list: each is encoded once. Keyed by identity, which holds while
    # `rows` keeps the lists alive.
    encoded: dict[int, Jsonb] = {}

    def as_json(value):
        key = id(value)
        found = encoded.get(key)
        if found is None:
            found = encoded[key] = Jsonb(value, dumps=_dumps_once(value))
        return found

    statement = f"COPY {table} ({_columns(fields)}) FROM STDIN (FORMAT BINARY)"
    with cursor.cursor.copy(statement) as copy:
        copy.set_types(types)
        for row in rows:
            copy.write_row(
                [
                    as_json(row[name]) if name in json else row.get(name, defaults[name])
                    for name in names
                ]
            )


def _dumps_once(value):
    """A `dumps` for psycopg's Jsonb that encodes `value` the first time and then gives the
    same bytes (psycopg calls it at each row written)."""
    import json

    data = json.dumps(value).encode()  # psycopg takes bytes as they are
    return lambda _obj: data


def insert_payments(rows) -> None:
    if not rows:
        return
    if connection.vendor != "postgresql":
        Payment.objects.bulk_create([Payment(**row) for row in rows], batch_size=1000)
        return
    fields = _fields(Payment)
    table = Payment._meta.db_table
    with connection.cursor() as cursor:
        _copy(cursor, table, fields, rows, _types(cursor, table, fields))


def upsert(model, rows, key: tuple[str, ...], updated: tuple[str, ...], *, fresh=False) -> None:
    """Writes the rows, replacing the row of the same `key` where there is one. `fresh`: the
    rows' enrollments have no row in the table yet (read in the chunk's transaction), so the
    rows are COPYed straight into it; should another transaction have written one of them
    since, the COPY is rolled back to its savepoint and the rows upserted."""
    if not rows:
        return
    if connection.vendor != "postgresql":
        model.objects.bulk_create(
            [model(**row) for row in rows],
            update_conflicts=True,
            unique_fields=[name.removesuffix("_id") for name in key],
            update_fields=list(updated),
            batch_size=1000,
        )
        return
    fields = _fields(model)
    table = model._meta.db_table
    with connection.cursor() as cursor:
        types = _types(cursor, table, fields)
        if fresh:
            from psycopg import IntegrityError as CopyIntegrityError  # the raw cursor's

            try:
                with transaction.atomic():
                    _copy(cursor, table, fields, rows, types)
                return
            except (IntegrityError, CopyIntegrityError):
                pass
        columns = _columns(fields)
        temporary = f"{table}_upsert"
        updates = ", ".join(f"{c} = EXCLUDED.{c}" for c in updated)
        cursor.execute(
            f"CREATE TEMP TABLE IF NOT EXISTS {temporary} AS "
            f"SELECT {columns} FROM {table} WITH NO DATA"
        )
        cursor.execute(f"TRUNCATE {temporary}")
        _copy(cursor, temporary, fields, rows, types)
        cursor.execute(
            f"INSERT INTO {table} ({columns}) SELECT {columns} FROM {temporary} "
            f"ON CONFLICT ({', '.join(key)}) DO UPDATE SET {updates}"
        )


def upsert_dues(rows, *, fresh=False) -> None:
    upsert(DueAmount, rows, DUE_KEY, DUE_UPDATED, fresh=fresh)


def upsert_social(rows, updated, *, fresh=False) -> None:
    upsert(SocialContribution, rows, ("enrollment_id", "month"), updated, fresh=fresh)
