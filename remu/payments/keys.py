"""The foreign keys of a chunk's bulk rows, checked once a chunk over its distinct values
instead of once a row.

PostgreSQL checks a foreign key with one query per row and key (an RI trigger, deferred here
to the commit): a run of 100,000 trainees wrote 400,000 ledger rows and made about 550,000
such queries, a quarter of its time. Where the database role may set
`session_replication_role` (a superuser, or on PostgreSQL 15+ a role given
`GRANT SET ON PARAMETER session_replication_role`), and the tables have no trigger of their
own, the chunk's writes to those tables run in « replica » mode, which queues no trigger, and
every foreign key of those tables (read from the catalogue, so that a key added later is
checked too) is then checked by one statement over the rows' distinct values. That statement
locks the referenced rows FOR KEY SHARE, as the row checks do, so that no other transaction
deletes them or changes their key before the commit. Otherwise the rows are checked row by
row at the commit, as before. The constraints stay declared: every other writer is checked
by them."""

from contextlib import contextmanager
from operator import itemgetter

from django.db import IntegrityError, connection, transaction

_catalogue: dict = {}  # per database: whether replica mode may be used, each table's keys


def _cached(key, read):
    key = (connection.settings_dict["NAME"], connection.settings_dict["USER"], key)
    if key not in _catalogue:
        _catalogue[key] = read()
    return _catalogue[key]


def replica_allowed(tables: list[str]) -> bool:
    """Whether this connection's role may switch triggers off for its transaction and the
    tables have no trigger but the foreign keys' own (which the set-wise check replaces)."""
    if connection.vendor != "postgresql":
        return False

    def read():
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT has_parameter_privilege('session_replication_role', 'SET') "
                "AND NOT EXISTS (SELECT 1 FROM pg_trigger "
                "WHERE tgrelid = ANY(%s::regclass[]) AND NOT tgisinternal)",
                [tables],
            )
            return cursor.fetchone()[0]

    return _cached(("replica", tuple(tables)), read)


def foreign_keys(table: str) -> list[tuple]:
    """The table's foreign keys: (name, columns, referenced table, referenced columns, the
    columns' SQL types, match type), from the catalogue."""

    def read():
        with connection.cursor() as cursor:
            cursor.execute(
                """
                SELECT c.conname, c.confrelid::regclass::text, c.confmatchtype,
                  ARRAY(SELECT a.attname FROM unnest(c.conkey) WITH ORDINALITY k(n, i)
                        JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = k.n
                        ORDER BY k.i),
                  ARRAY(SELECT a.attname FROM unnest(c.confkey) WITH ORDINALITY k(n, i)
                        JOIN pg_attribute a ON a.attrelid = c.confrelid AND a.attnum = k.n
                        ORDER BY k.i),
                  ARRAY(SELECT format_type(a.atttypid, a.atttypmod)
                        FROM unnest(c.conkey) WITH ORDINALITY k(n, i)
                        JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = k.n
                        ORDER BY k.i)
                FROM pg_constraint c
                WHERE c.contype = 'f' AND c.conrelid = %s::regclass
                ORDER BY c.conname
                """,
                [table],
            )
            return [
                (name, columns, referenced, ref_columns, types, match)
                for name, referenced, match, columns, ref_columns, types in cursor.fetchall()
            ]

    return _cached(("keys", table), read)


@contextmanager
def checked_by_chunk(rows_by_model: dict):
    """Runs the block's writes (to the models given, of these rows only) with no row trigger,
    then checks and locks their foreign keys set-wise; where replica mode may not be used,
    only runs the block (the row checks stay). An error inside rolls the mode back with the
    block's savepoint."""
    tables = [model._meta.db_table for model in rows_by_model]
    if not replica_allowed(tables):
        yield
        return
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL session_replication_role = replica")
        yield
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL session_replication_role = origin")
            check(cursor, rows_by_model)


def check(cursor, rows_by_model: dict) -> None:
    """Checks and locks, on this cursor, the foreign keys of these rows (per model) set-wise:
    one statement per referenced key over its distinct values."""
    for (referenced, ref_columns, types), values in _wanted(rows_by_model).items():
        if values:
            _check(cursor, referenced, ref_columns, types, values)


def _wanted(rows_by_model: dict) -> dict[tuple, dict]:
    """Per referenced key (table, columns, types): each distinct value the rows give it, with
    the first (model, constraint, columns) that gave it. The tables' keys that refer to the
    same columns are checked together: the ledger's three tables each refer to the dossier by
    one composite key."""
    wanted: dict[tuple, dict] = {}
    for model, rows in rows_by_model.items():
        if not rows:
            continue
        for name, columns, referenced, ref_columns, types, match in foreign_keys(
            model._meta.db_table
        ):
            values = wanted.setdefault((referenced, tuple(ref_columns), tuple(types)), {})
            found = _values(model, rows, name, columns, referenced, match)
            values.update(dict.fromkeys(found - values.keys(), (model, name, columns)))
    return wanted


def _values(model, rows, name, columns, referenced, match) -> set:
    """The distinct values of a key in the rows, those with a NULL part left out (MATCH
    SIMPLE, Django's, does not check them; MATCH FULL refuses a value partly NULL)."""
    attnames = {f.column: f.attname for f in model._meta.concrete_fields}
    names = [attnames[column] for column in columns]
    try:  # C-level over rows that all have the key's columns (a run's rows have)
        values = set(map(itemgetter(*names), rows))
        if len(names) == 1:
            values = {(value,) for value in values}
    except KeyError:  # a row leaves a column out: NULL, or its default
        defaults = [model._meta.get_field(name).get_default() for name in names]
        values = {tuple(map(row.get, names, defaults)) for row in rows}
    if match == "f":
        for value in values:
            if None in value and any(v is not None for v in value):
                _violation(model, name, columns, value, referenced)
    return {value for value in values if None not in value}


def _check(cursor, referenced, ref_columns, types, values: dict) -> None:
    """Locks the referenced row of each value FOR KEY SHARE; raises IntegrityError, naming the
    first table and key at fault, if one has none."""
    arrays = list(map(_array, zip(*values, strict=True)))
    keys = ", ".join(f"k{i}" for i in range(len(ref_columns)))
    unnest = ", ".join(f"%s::{sql_type}[]" for sql_type in types)
    joined = " AND ".join(
        f"r.{connection.ops.quote_name(column)} = k.k{i}" for i, column in enumerate(ref_columns)
    )
    # one probe of the referenced table's unique index per value (a locking subquery is never
    # flattened into a join: with thousands of values, the planner would hash the whole table)
    cursor.execute(
        f"SELECT count(*) FROM unnest({unnest}) AS k({keys}), "
        f"LATERAL (SELECT 1 FROM {referenced} r WHERE {joined} FOR KEY SHARE) AS found",
        arrays,
    )
    if cursor.fetchone()[0] == len(values):  # a key refers to a unique row
        return
    cursor.execute(
        f"SELECT {keys} FROM unnest({unnest}) AS k({keys}) "
        f"WHERE NOT EXISTS (SELECT 1 FROM {referenced} r WHERE {joined}) LIMIT 1",
        arrays,
    )
    missing = tuple(cursor.fetchone())
    model, name, columns = values.get(missing) or next(iter(values.values()))
    _violation(model, name, columns, missing, referenced)


def _array(values: tuple):
    """A column of values as an SQL array: integers written out at C speed (psycopg adapts a
    list's items one by one in Python), other types adapted by psycopg."""
    if all(type(value) is int for value in values):
        return "{" + ",".join(map(str, values)) + "}"
    return list(values)


def _violation(model, name, columns, value, referenced):
    """PostgreSQL's own message for a foreign key violation."""
    raise IntegrityError(
        f'insert or update on table "{model._meta.db_table}" violates foreign key '
        f'constraint "{name}"\nDETAIL:  Key ({", ".join(columns)})='
        f'({", ".join(str(v) for v in value)}) is not present in table "{referenced}".'
    )
