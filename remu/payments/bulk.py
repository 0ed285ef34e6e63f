"""Fast writes for the runs, from rows (dicts of column attributes, not model instances):
PostgreSQL's COPY (text format, formatted here), straight into the table when the chunk's
enrollments have no row there yet (a first run), else an upsert through a temporary table;
other databases use Django's bulk_create."""

import datetime as dt
import itertools
import json
import operator
from operator import itemgetter

from django.db import IntegrityError, connection, transaction
from django.db.models import JSONField

from .models import DueAmount, Payment, SocialContribution

DUE_UPDATED = ("amount", "explanation", "version_label", "computed_at")
DUE_KEY = ("enrollment_id", "month", "component")


def _fields(model):
    return [f for f in model._meta.concrete_fields if not f.primary_key]


def _columns(fields) -> str:
    return ", ".join(connection.ops.quote_name(f.column) for f in fields)


NULL = b"\\N"  # COPY's text format, in the connection's encoding (UTF-8: Django sets it)
BLOCK = 2000  # rows sent to the COPY at a time (about 1.5 MB of dues)

# Each column of a block of rows becomes text by a chain of C functions (map), not a Python
# call per value: a value's text is its str() encoded, text escaped for COPY (backslash, tab,
# newline, carriage return; a str subclass, a `Ciphertext` or a choice, gives its plain text).
_ESCAPES = [
    operator.methodcaller("replace", old, new)
    for old, new in (("\\", "\\\\"), ("\t", "\\t"), ("\n", "\\n"), ("\r", "\\r"))
]


def _texts(values) -> map:
    joined = "".join(values)  # one look at the whole column: most have nothing to escape
    if "\\" in joined or "\t" in joined or "\n" in joined or "\r" in joined:
        for escape in _ESCAPES:
            values = map(escape, values)
    return map(str.encode, values)


def _decimals(values) -> map:
    # PostgreSQL rounds each to the column's scale as it rounded the binary value
    return map(str.encode, map(str, values))


def _integers(values) -> map:
    # a Decimal or a float is refused (operator.index), not truncated
    return map(str.encode, map(str, map(operator.index, values)))


def _dates(values) -> map:
    # a datetime gives its date, as the binary COPY did
    return map(str.encode, map(dt.date.isoformat, values))


def _timestamp(value) -> bytes:
    if value.tzinfo is None:  # the binary COPY refused it too: no time zone guessed
        raise ValueError(f"Date et heure sans fuseau horaire : {value}")
    return value.isoformat().encode()


def _timestamps(values) -> map:
    return map(_timestamp, values)


_BOOLEAN = {True: b"t", False: b"f", None: NULL}.__getitem__


def _booleans(values) -> map:
    return map(_BOOLEAN, values)


_COLUMNS = {
    "BooleanField": _booleans,
    "CharField": _texts,
    "TextField": _texts,
    "DateField": _dates,
    "DateTimeField": _timestamps,
    "DecimalField": _decimals,
    "IntegerField": _integers,
    "BigIntegerField": _integers,
    "PositiveIntegerField": _integers,
    "AutoField": _integers,
    "BigAutoField": _integers,
}


class _Texts(dict):
    """A column's texts by value, each value converted once: for a column of few distinct
    values (the region, the month, a label, the batch's timestamp), a lookup instead of a
    conversion. Equal values are stored alike (Decimal("1.5") and Decimal("1.50") in a
    numeric(9, 2), two offsets of one instant), so either's text will do."""

    def __init__(self, column):
        super().__init__()
        self.column = column  # the column's conversion, applied to one value

    def __missing__(self, value):
        text = self[value] = _text(self.column, value)
        return text

    def __call__(self, values) -> map:
        return map(self.__getitem__, values)


class _Json:
    """A JSON column's texts: the components of a month (and, through the run's memo, the
    trainees of one situation) share one explanation list, encoded once. Keyed by identity,
    which holds while the rows keep the lists alive. None is JSON null, as before."""

    def __init__(self):
        self.encoded: dict[int, bytes] = {}

    def __call__(self, values) -> map:
        ids = list(map(id, values))
        new = set(ids).difference(self.encoded)
        if new:
            found = dict(zip(ids, values, strict=True))
            for key in new:
                self.encoded[key] = _text(_texts, json.dumps(found[key]))
        return map(self.encoded.__getitem__, ids)


def _repeated(values: list) -> bool:
    """Whether a column's first values repeat: one in four distinct at most."""
    try:
        return len(set(values)) * 4 <= len(values)
    except TypeError:  # unhashable
        return False


def _nullable(column):
    def with_nulls(values) -> list:
        texts = iter(column([value for value in values if value is not None]))
        return [NULL if value is None else next(texts) for value in values]

    return with_nulls


def _text(converter, value) -> bytes:
    """One value's text."""
    return next(iter(converter((value,))))


def _converter(field, sample: list):
    """The function giving a column's texts in the COPY from its values (`sample`: the
    column's first values)."""
    if isinstance(field, JSONField):
        return _Json()
    target = field.target_field if field.is_relation else field
    column = _COLUMNS[target.get_internal_type()]
    if field.null and column is not _booleans:
        column = _nullable(column)
    # else a None fails as the NOT NULL constraint would
    return _Texts(column) if _repeated(sample) else column


def _copy(cursor, table, fields, rows) -> None:
    """COPY (text format) of rows into a table, formatted here a block of rows at a time:
    psycopg's binary adaptation of each value cost the run more than PostgreSQL's storing
    them. A column a row leaves out takes the field's default (evaluated once: one timestamp
    for the batch).

    The columns the first row has come first, each turned into text by a function chosen once
    for the column; the others follow as one fixed text. A block with a row of another shape
    (other keys) goes the slow way, each column of each row read with its default."""
    first = rows[0]
    given = [f for f in fields if f.attname in first]
    ordered = given + [f for f in fields if f.attname not in first]
    every = [(f.attname, f.get_default()) for f in ordered]  # each evaluated once
    converters = [
        _converter(f, [row.get(f.attname, d) for row in rows[:BLOCK]])
        for f, (_name, d) in zip(ordered, every, strict=True)
    ]
    size = len(given)
    fixed = [_text(c, d) for c, (_n, d) in zip(converters[size:], every[size:], strict=True)]
    tail = b"\t".join(fixed) if fixed else None  # one more column, the same in every row
    getters = [itemgetter(f.attname) for f in given]

    def lines(columns, converters, tail, count: int) -> bytes:
        texts = [convert(column) for convert, column in zip(converters, columns, strict=True)]
        if tail is not None:
            texts.append(itertools.repeat(tail, count))
        return b"\n".join(map(b"\t".join, zip(*texts, strict=True))) + b"\n"

    def block(part) -> bytes:
        # Read column by column: a list per column, no tuple per row (which, alive by the
        # thousand, had the garbage collector go through the process's every object).
        if set(map(len, part)) == {size}:  # each row has the first row's columns, or another
            try:
                columns = [list(map(get, part)) for get in getters]
            except KeyError:  # another key in place of one of them
                pass
            else:
                return lines(columns, converters[:size], tail, len(part))
        columns = [[row.get(name, d) for row in part] for name, d in every]
        return lines(columns, converters, None, len(part))

    statement = f"COPY {table} ({_columns(ordered)}) FROM STDIN"
    with cursor.cursor.copy(statement) as copy:
        for start in range(0, len(rows), BLOCK):
            copy.write(block(rows[start : start + BLOCK]))


def insert_payments(rows) -> None:
    if not rows:
        return
    if connection.vendor != "postgresql":
        Payment.objects.bulk_create([Payment(**row) for row in rows], batch_size=1000)
        return
    fields = _fields(Payment)
    table = Payment._meta.db_table
    with connection.cursor() as cursor:
        _copy(cursor, table, fields, rows)


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
        if fresh:
            from psycopg import IntegrityError as CopyIntegrityError  # the raw cursor's

            try:
                with transaction.atomic():
                    _copy(cursor, table, fields, rows)
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
        _copy(cursor, temporary, fields, rows)
        cursor.execute(
            f"INSERT INTO {table} ({columns}) SELECT {columns} FROM {temporary} "
            f"ON CONFLICT ({', '.join(key)}) DO UPDATE SET {updates}"
        )


def upsert_dues(rows, *, fresh=False) -> None:
    upsert(DueAmount, rows, DUE_KEY, DUE_UPDATED, fresh=fresh)


def upsert_social(rows, updated, *, fresh=False) -> None:
    upsert(SocialContribution, rows, ("enrollment_id", "month"), updated, fresh=fresh)
