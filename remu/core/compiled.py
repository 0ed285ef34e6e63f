"""A query built and compiled by Django once a process, then run many times with other values
(a run's chunk queries: building and compiling a queryset took half of its reading step's CPU,
issue 18). Generic: it knows no model."""

from __future__ import annotations

import datetime as dt

from django.db import DEFAULT_DB_ALIAS, connections

# Placeholders a query is compiled with, replaced by each chunk's values (within the integer
# columns' range: Django rewrites a lookup beyond it).
FIRST, LAST = 2_000_000_011, 2_000_000_013
UPTO = dt.date(1901, 2, 3)
REGION = 2_000_000_017


class Compiled:
    """A chunk's query built and compiled by Django once a process, then run for each chunk with
    that chunk's values: building and compiling a queryset took half the reading step's CPU
    (15 queries a chunk, issue 18). `build(*args)` makes the `values_list` queryset; it is
    compiled with `placeholders`, each of which must land in the parameters as it is (an id, a
    date: PostgreSQL's parameters are the values themselves), the rows then converted as Django
    would (`get_converters`); the queryset must depend on its arguments alone (no clock, no
    setting read at build time). Elsewhere (SQLite adapts dates to text), or for a query whose
    SQL does not hold each placeholder, Django builds the queryset each time."""

    def __init__(self, build, *placeholders):
        self._build, self._placeholders = build, placeholders
        self._compiled = None  # (sql, params, slots, compiler, converters), or False

    def __call__(self, *args) -> list[tuple]:
        connection = connections[DEFAULT_DB_ALIAS]
        if connection.vendor != "postgresql":
            return list(self._build(*args))
        if self._compiled is None:
            self._compiled = self._compile()
        if not self._compiled:
            return list(self._build(*args))
        sql, params, slots, compiler, converters = self._compiled
        params = list(params)
        for index, which in slots:
            params[index] = args[which]
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            rows = cursor.fetchall()
        if converters:
            return [tuple(row) for row in compiler.apply_converters(rows, converters)]
        return rows

    def _compile(self):
        query = self._build(*self._placeholders).query
        compiler = query.get_compiler(DEFAULT_DB_ALIAS)
        sql, params = compiler.as_sql()
        places = self._placeholders
        slots = [
            (index, places.index(value))
            for index, value in enumerate(params)
            if type(value) in (int, dt.date) and value in places
        ]
        if compiler.has_extra_select or {which for _, which in slots} != set(range(len(places))):
            return False
        fields = [column[0] for column in compiler.select[: compiler.col_count]]
        return sql, tuple(params), slots, compiler, compiler.get_converters(fields)
