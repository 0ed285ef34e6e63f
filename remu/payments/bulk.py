"""Fast writes for the runs, from rows (dicts of column attributes, not model instances):
PostgreSQL's binary COPY (formatted here), straight into the table when the chunk's
enrollments have no row there yet (a first run), else an upsert through a temporary table;
other databases use Django's bulk_create."""

import itertools
import json
import operator
import struct
from operator import itemgetter

from django.db import IntegrityError, connection, transaction
from django.db.models import JSONField
from psycopg.adapt import Transformer
from psycopg.pq import Format
from psycopg.types.json import Jsonb

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


# Binary COPY: a header, then each row as its number of fields and each field as its length
# and psycopg's binary form of the value (`dump`: the very bytes `write_row` sent), then -1.
SIGNATURE = b"PGCOPY\n\xff\r\n\0" + bytes(8)
TRAILER = b"\xff\xff"
NULL = b"\xff\xff\xff\xff"
# Rows sent to the COPY at a time (PostgreSQL stores a block while the next is made); the first
# block's values choose how each column is converted.
BLOCK = 250
_length = struct.Struct(">i").pack


def _binary(dump):
    """A column's fields from its values, by C functions mapped over the column (no Python
    call per value): each value dumped by psycopg, its length put before it."""

    def fields(values) -> map:
        dumped = list(map(dump, values))
        return map(operator.add, map(_length, map(len, dumped)), dumped)

    return fields


class _Fields(dict):
    """A column's fields by value, each value dumped once: for a column of few distinct
    values (the region, the month, a label, the batch's timestamp), a lookup instead of a
    dump. Equal values are stored alike (Decimal("1.5") and Decimal("1.50") in a
    numeric(9, 2), two offsets of one instant), so either's field will do."""

    def __init__(self, column):
        super().__init__()
        self.column = column  # the column's conversion, applied to one value

    def __call__(self, values) -> map:
        # the values not seen yet, converted together (a C-mapped call, not one per value)
        new = set(values).difference(self)
        if new:
            new = list(new)
            self.update(zip(new, self.column(new), strict=True))
        return map(self.__getitem__, values)


class _Json:
    """A JSON column's fields: the components of a month (and, through the run's memo, the
    trainees of one situation) share one explanation list, encoded once. Keyed by identity,
    which holds while the rows keep the lists alive. None is JSON null, as before."""

    def __init__(self, dump):
        self.dump = dump
        self.encoded: dict[int, bytes] = {}

    def __call__(self, values) -> map:
        ids = list(map(id, values))
        new = set(ids).difference(self.encoded)
        if new:
            found = dict(zip(ids, values, strict=True))
            for key in new:
                data = self.dump(Jsonb(found[key], dumps=json.dumps))  # as the ORM encodes it
                self.encoded[key] = _length(len(data)) + data
        return map(self.encoded.__getitem__, ids)


def _repeated(values: list) -> bool:
    """Whether a column's first values repeat: one in four distinct at most."""
    try:
        return len(set(values)) * 4 <= len(values)
    except TypeError:  # unhashable
        return False


def _nullable(column):
    def with_nulls(values) -> list:
        fields = iter(column([value for value in values if value is not None]))
        return [NULL if value is None else next(fields) for value in values]

    return with_nulls


def _field(converter, value) -> bytes:
    """One value's field."""
    return next(iter(converter((value,))))


def _converter(field, dump, sample: list):
    """The function giving a column's fields in the COPY from its values (`dump`: psycopg's
    for the column's type; `sample`: the column's first values)."""
    if isinstance(field, JSONField):
        return _Json(dump)
    column = _binary(dump)
    if field.null:
        column = _nullable(column)
    # else a None fails (psycopg refuses it) as the NOT NULL constraint would
    return _Fields(column) if _repeated(sample) else column


def _dumps(raw_cursor, fields, types) -> dict:
    """psycopg's binary dump of each column's type, as `copy.set_types(types)` chose them."""
    context = Transformer.from_context(raw_cursor)
    adapters = raw_cursor.adapters
    return {
        f.attname: adapters.get_dumper_by_oid(oid, Format.BINARY)(type(None), context).dump
        for f, oid in zip(fields, types, strict=True)
    }


def _copy(cursor, table, fields, rows, types) -> None:
    """Binary COPY of rows into a table, formatted here a block of rows at a time, column by
    column: psycopg's `write_row` (its adaptation of each value, row by row) cost the run more
    than PostgreSQL's storing them. A column a row leaves out takes the field's default
    (evaluated once: one timestamp for the batch).

    The columns the first row has come first, each turned into fields by a function chosen
    once for the column; the others follow as fixed bytes. A block with a row of another shape
    (other keys) goes the slow way, each column of each row read with its default."""
    first = rows[0]
    dumps = _dumps(cursor.cursor, fields, types)
    given = [f for f in fields if f.attname in first]
    ordered = given + [f for f in fields if f.attname not in first]
    every = [(f.attname, f.get_default()) for f in ordered]  # each evaluated once
    converters = [
        _converter(f, dumps[f.attname], [row.get(f.attname, d) for row in rows[:BLOCK]])
        for f, (_name, d) in zip(ordered, every, strict=True)
    ]
    size = len(given)
    tail = b"".join(
        _field(c, d) for c, (_n, d) in zip(converters[size:], every[size:], strict=True)
    )
    getters = [itemgetter(f.attname) for f in given]

    def block(part) -> bytes:
        # Read column by column: a list per column, no tuple per row (which, alive by the
        # thousand, had the garbage collector go through the process's every object).
        if set(map(len, part)) == {size}:  # each row has the first row's columns, or another
            try:
                columns = [list(map(get, part)) for get in getters]
            except KeyError:  # another key in place of one of them
                pass
            else:
                return rows_of(columns, converters[:size], tail, len(part))
        columns = [[row.get(name, d) for row in part] for name, d in every]
        return rows_of(columns, converters, b"", len(part))

    def rows_of(columns, converters, tail: bytes, count: int) -> bytes:
        # each row: its number of fields, its fields, those of the columns left out
        parts = [itertools.repeat(header, count)]
        parts += [convert(column) for convert, column in zip(converters, columns, strict=True)]
        if tail:
            parts.append(itertools.repeat(tail, count))
        return b"".join(map(b"".join, zip(*parts, strict=True)))

    header = struct.pack(">h", len(ordered))
    statement = f"COPY {table} ({_columns(ordered)}) FROM STDIN (FORMAT BINARY)"
    with cursor.cursor.copy(statement) as copy:
        copy.write(SIGNATURE)
        for start in range(0, len(rows), BLOCK):
            copy.write(block(rows[start : start + BLOCK]))
        copy.write(TRAILER)


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
