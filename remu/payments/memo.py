"""Each distinct month computed once within a run (the memo is the run's context's, shared by
its chunks).

A run computes every trainee-month with its explanation (written with the dues), which costs
about eight times the amounts alone (26 µs against 3 µs a month, issue 18); most months of a
chunk repeat a few situations (a whole month at the same scale, same entry, same hours). The
engine reads a case's birth date only for the age at entry (`Engine.compute`: the age picks the
scale's band), so two cases equal in every field but the line id and the birth date, with the
same age at entry, have the same result, explanation included. `tests/test_payments_memo.py`
holds the engine to it.

A run keys its months by what the case is built from (`keyed`: every argument of
`attendance.services.build_case` but the line id and the birth date, plus the age at entry) and
builds the case only for a key not met yet (building it costs more than looking it up); a case
already built is keyed by its own fields (`__call__`).
"""

from __future__ import annotations

from dataclasses import fields
from operator import attrgetter

from remu.rules.calendar import age_on
from remu.rules.engine import Case, Result

# every field of the case except the line id (`Result.id`) and the birth date (its age is added)
_FIELDS = attrgetter(*(f.name for f in fields(Case) if f.name not in ("id", "birth_date")))


# The distinct months a memo keeps: it lives as long as its run, and a varied population (each
# trainee's own absences) may have as many as it has months; past this it starts again.
LIMIT = 20_000


def _itself(case: Case) -> Case:
    return case


class CaseMemo:
    """`compute(case)` for the engine's `compute`, each distinct case computed once. The results
    are shared: callers must not change them (`dataclasses.replace` makes a new one), and a
    shared result's `id` is the first case's. An error (CaseError) is raised again each time.
    At most `limit` cases are kept (then the memo is emptied: a month met again is computed
    again, to the same result)."""

    __slots__ = ("_compute", "_results", "_keyed", "computed", "limit")

    def __init__(self, compute, limit: int = LIMIT):
        self._compute = compute
        self._results: dict = {}  # by the case's fields
        self._keyed: dict = {}  # by what the case is built from (`keyed`)
        self.computed = 0  # cases the engine computed (the others came from the memo)
        self.limit = limit

    def __call__(self, case: Case) -> Result:
        key = (_FIELDS(case), age_on(case.birth_date, case.entry_date))  # the engine's age
        return self._lookup(self._results, key, _itself, (case,))

    def keyed(self, key: tuple, build, *args) -> Result:
        """The result of the case `build(*args)` makes, `key` being everything that case is
        built from but the line id and the birth date, plus the age at entry (the engine's,
        `calendar.age_on`); the case is built only when the key is new."""
        return self._lookup(self._keyed, key, build, args)

    def _lookup(self, table: dict, key, build, args) -> Result:
        try:
            return table[key]
        except KeyError:
            pass
        except TypeError:  # a value that cannot be hashed: computed each time
            self.computed += 1
            return self._compute(build(*args))
        self.computed += 1
        if len(table) >= self.limit:
            table.clear()
        result = table[key] = self._compute(build(*args))
        return result


class NoMemo:
    """The memo's interface, every case built and computed: the reference the tests compare a
    run's memoised results with."""

    def __init__(self, compute):
        self._compute = compute
        self.computed = 0

    def __call__(self, case: Case) -> Result:
        self.computed += 1
        return self._compute(case)

    def keyed(self, key: tuple, build, *args) -> Result:
        self.computed += 1
        return self._compute(build(*args))
