"""The engine in bulk: many trainee-months at once, in columns of integer cents (issue 18 §4).

`compute_columns(engine, cases)` turns the list of `Case` objects, and `compute_rows(engine,
rows)` the list of rows of plain values (ROW_FIELDS, as a database cursor gives them: no `Case`
built but for the per-case path), into NumPy columns (a block of rows at a time, each field
through C-level calls, each distinct value converted once per engine), computes the shapes
that dominate (a month's thirtieths at full time, hours at part time, entry / exit inside the
month, at most one absence per case, regional transport allowances, the entry bonus, the
default withholding grid) with int64 arithmetic, and sends every other case to the exact
per-case path (`Engine.compute(case, False)`): prior-salary and special-public cases, several
absences, holidays, centre closures with a day limit, sick leaves, periods of weekly hours, a
personal tax rate, housing, ... and every case that raises (so the error raised is compute's,
in order).

Exactness: each amount is the same half-up rounding to the cent of the same exact value the
engine rounds. Where the engine divides (a thirtieth fraction, hours / cap), the Decimal
quotient is rounded to 28 digits before the product is: for thirtieths the amounts come from a
table built with the engine's own Decimals, and for hours the rare products that land exactly
on half a cent are recomputed with Decimals. `Columns.results()` gives the `Result` objects,
field by field and in written form the same as `compute(case, False)`; the explanation stays
on demand through `compute(case, True)`. tests/rules/test_batch_path_differential.py is the
gate. Pure Python + NumPy, no Django.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections import deque
from decimal import Decimal
from itertools import chain, compress
from operator import attrgetter, itemgetter, truth

import numpy as np

from .engine import Absence, Case, CaseError, Result
from .money import ZERO, cents
from .parameters import ABSENCE_REASONS, CATEGORIES

I64 = np.int64
EPOCH = dt.date(1970, 1, 1).toordinal()
THIRTY = Decimal(30)
FRACTIONS = tuple(Decimal(k) / THIRTY for k in range(31))
HUNDRED = Decimal(100)
MAX_AGE_INDEX = 200

# Fields whose value, when not the default, sends a case to the per-case path.
EXOTIC_NAMES = (
    "training_total_hours",
    "tax_rate",
    "pay_start",
    "pay_from",
    "pay_until",
    "resigned_contract_end",
    "benefit_end",
    "permit_end",
    "housing",
    "sick_leaves",
    "weekly_hours_periods",
    "entry_bonus_paid",
    "distance_learning",
)
DEFAULTS = (None,) * 8 + (False, (), (), False, False)
EXOTIC = attrgetter(*EXOTIC_NAMES)
EXOTIC_DEFAULTS = dict(zip(EXOTIC_NAMES, DEFAULTS, strict=True))

GROUP_FIELDS = ("region", "year", "month", "category")
READ_FIELDS = ("weekly_hours", "hours_present", "distance_km")
# A row: the plain values a Case of the common shapes is built from, in this order, as a
# database cursor gives them. `absences`: a sequence of (start, end, reason, hours, kind)
# tuples (or Absence objects); `extra`: None, or a dict of the Case's other fields (keyword
# arguments; one that is not its default sends the row to the per-case path).
ROW_FIELDS = (
    "id",
    "region",
    "year",
    "month",
    "category",
    "birth_date",
    "entry_date",
    "exit_date",
    "weekly_hours",
    "hours_present",
    "distance_km",
    "entry_bonus_granted",
    "absences",
    "extra",
)
ROW_INDEX = {name: i for i, name in enumerate(ROW_FIELDS)}
# The Case's other fields (a row's `extra`) and their defaults.
ROWLESS_DEFAULTS = {f.name: f.default for f in dataclasses.fields(Case) if f.name not in ROW_INDEX}
ABSENCE_FIELDS = attrgetter("start", "end", "reason", "hours", "kind")
REASON_CODES = {reason: i for i, reason in enumerate(ABSENCE_REASONS)}
CATEGORY_CODES = {category: i for i, category in enumerate(CATEGORIES)}
# Absence rule kinds, per month context and reason.
UNPAID, PAID, SICK_WAITING, LEGAL, OTHER = 0, 1, 2, 3, 9
ALWAYS_PAID_WHEN_PAID = frozenset(
    ABSENCE_REASONS.keys() - {"PUBLIC_HOLIDAY", "LOCAL_DAY", "LEGAL_LEAVE", "CENTRE_CLOSURE"}
)
ONE = np.int64(1)


def _half_up(num, den):
    """round(num / den) half-up, for num >= 0 and den > 0 (integers or int64 arrays)."""
    return (2 * num + den) // (2 * den)


def _scaled(value: Decimal, places: int = 2) -> int | None:
    """value x 10^places as an int when that is exact, else None."""
    scaled = value.scaleb(places)
    return int(scaled) if scaled == scaled.to_integral_value() else None


class _Table(dict):
    """value -> int code; a value it lacks is converted once by `convert` and kept (the
    engine's tables live as long as it does: distinct values are few)."""

    __slots__ = ("convert",)

    def __init__(self, convert):
        super().__init__()
        self.convert = convert

    def __missing__(self, value):
        code = self[value] = self.convert(value)
        return code


def _codes(values, table: _Table, n: int) -> np.ndarray:
    """The codes of n values (any iterable), one C-level dict lookup each."""
    return np.fromiter(map(table.__getitem__, values), I64, n)


NO_DATE, BAD_DATE = -1, -2
DATE_ONLY = {dt.date}


def _ordinals(column: list, n: int, dates: _Table) -> np.ndarray:
    """The ordinals of a column of dates: C-level toordinal when every value is a date (no
    table: birth dates are many), else through the table (NO_DATE for None, BAD_DATE for
    anything else)."""
    if set(map(type, column)) == DATE_ONLY:
        return np.fromiter(map(dt.date.toordinal, column), I64, n)
    return _codes(column, dates, n)


def _ordinal(value) -> int:
    """A date's proleptic ordinal; None: NO_DATE; anything else: BAD_DATE (per-case path)."""
    if value is None:
        return NO_DATE
    if type(value) is not dt.date:
        return BAD_DATE
    return value.toordinal()


def _cents_or_flag(value):
    """Decimal -> cents (>= 0); None -> -1; negative or finer than the cent -> -2."""
    if value is None:
        return -1
    if not isinstance(value, Decimal) or not value.is_finite() or value < 0:
        return -2
    scaled = _scaled(value)
    return -2 if scaled is None else scaled


class _Groups:
    """Per engine: the scale of each age in each (set, month, category), and per scale the
    columns the batch reads (a thirtieths table in cents, the hourly rate in cents), kept
    across batches (the engine keeps its scales as long as it lives). Group 0 and scale 0
    stand for "no scale": the per-case path."""

    def __init__(self):
        self.index: dict = {}
        self.ages: list = [[]]
        self.sids: list = [[]]
        self.scales: list = [None]
        self.rows: list = [(False, False, 0, None, None)]
        self.scale_index: dict = {}
        self.row_cache: dict = {}
        self.cached = None

    def group(self, engine, name, ctx, category: str) -> int:
        key = (*name, category)
        found = self.index.get(key)
        if found is not None:
            return found
        segments = None
        if ctx is not None:
            try:
                pset, first_day, options = ctx[0], ctx[1], ctx[4]
                engine._scale(pset, first_day, category, 0, options)
                segments = engine._scales[(pset.code, first_day, category)]
            except (ValueError, KeyError, TypeError, ArithmeticError):
                segments = None
        ages, sids = [], []
        for max_age, scale in segments or ():
            sid = self.scale_index.get(id(scale))
            if sid is None:
                sid = self.scale_index[id(scale)] = len(self.scales)
                self.scales.append(scale)
                # Versions share Scale objects across months, and amounts across versions.
                values = (scale.floor, scale.hourly, scale.monthly, scale.by_thirtieths)
                row = self.row_cache.get(values)
                if row is None:
                    row = self.row_cache[values] = _scale_row(scale)
                self.rows.append(row)
            ages.append(max_age)
            sids.append(sid)
        found = self.index[key] = len(self.ages)
        self.ages.append(ages)
        self.sids.append(sids)
        self.cached = None
        return found

    def arrays(self):
        if self.cached is None:
            count = len(self.ages)
            width = max(len(a) for a in self.ages) or 1
            seg_len = np.fromiter(map(len, self.ages), I64, count)
            padding = [[10**6] * width, [0] * width]
            seg_age = np.array([(a + padding[0])[:width] for a in self.ages], I64)
            seg_sid = np.array([(s + padding[1])[:width] for s in self.sids], I64)
            # The first segment the age is under or at, else the last one.
            ages = np.arange(MAX_AGE_INDEX + 1)
            position = np.zeros((count, len(ages)), I64)
            for k in range(width):  # (a sum over a short last axis is slow)
                position += ages[None, :] > seg_age[:, k, None]
            position = np.minimum(position, np.maximum(seg_len - 1, 0)[:, None])
            age_table = np.take_along_axis(seg_sid, position, axis=1)
            # cents(monthly x k / 30): the exact quotient is a half cent only where it is a
            # finite decimal, which the engine's Decimal division then holds exactly.
            monthly = np.array([0 if row[3] is None else row[3] for row in self.rows], I64)
            table = (2 * monthly[:, None] * np.arange(31, dtype=I64) + 30) // 60
            for s, row in enumerate(self.rows):
                if row[4] is not None:
                    table[s] = row[4]
            self.cached = (
                age_table,
                seg_len,
                np.array([row[0] for row in self.rows], bool),
                np.array([row[1] for row in self.rows], bool),
                np.array([row[2] for row in self.rows], I64),
                table,
            )
        return self.cached


def _scale_row(scale):
    """(usable, has a monthly amount, hourly rate in cents, monthly amount in cents or None,
    thirtieths table in cents where the monthly amount is not whole cents, else None)."""
    hourly = None if scale.hourly is None else _scaled(scale.hourly)
    if scale.floor is not None or hourly is None:
        return False, False, 0, None, None
    if scale.monthly is None:
        return True, False, hourly, None, None
    monthly = _scaled(scale.monthly)
    if monthly is not None and len(scale.by_thirtieths) == 31:
        return True, True, hourly, monthly, None
    row = [_scaled(v) for v in scale.by_thirtieths]
    if len(row) != 31 or None in row:
        return False, False, 0, None, None
    return True, True, hourly, None, row


def _year_month_day(ordinals):
    """(year, month x 100 + day) of each proleptic ordinal, through a table of the span."""
    low, high = int(ordinals.min()), int(ordinals.max())
    days = np.arange(low - EPOCH, high - EPOCH + 1).astype("datetime64[D]")
    months = days.astype("datetime64[M]")
    years = months.astype("datetime64[Y]").astype(I64) + 1970
    month_day = (months.astype(I64) % 12 + 1) * 100 + (
        (days - months.astype("datetime64[D]")).astype(I64) + 1
    )
    index = ordinals - low
    return years[index], month_day[index]


def _dec(n) -> Decimal:
    return Decimal(int(n)).scaleb(-2)


class Columns:
    """The results of a batch: `net` (int64 cents, fallback cases included), the columnar
    fields, and the per-case results of the cases computed by the exact path."""

    def __init__(self, source, n):
        self.source = source
        self.n = n
        self.fallback: dict[int, object] = {}
        self.net = np.zeros(0, I64)  # set by the computation
        self.fallback_net = Decimal(0)

    def net_total(self) -> Decimal:
        """The sum of the net pay of every case, as the per-case Decimals add up."""
        return _dec(self.net.sum()) + self.fallback_net

    def results(self) -> list:
        return [self.result(i) for i in range(self.n)]

    def result(self, i: int):

        if i in self.fallback:
            return self.fallback[i]
        source = self.source
        scale = self.scales[self.sid[i]]
        if self.full[i]:
            paid_thirtieths, paid_hours = int(self.paid[i]), None
            social_hours = None if self.social[i] < 0 else _dec(self.social_hours[i])
        else:
            paid_thirtieths = None
            present = source.value(i, "hours_present") if self.start[i] <= self.end[i] else ZERO
            total = present + _dec(self.absence_hours[i])
            cap = self.caps[self.wcode[i]]
            paid_hours = cap if cap < total else total
            social_hours = None if self.social[i] < 0 else paid_hours
        social = None if self.social[i] < 0 else _dec(self.social[i])
        bonus = self.bonus_objects[self.bonus_code[i]]
        withholding = _dec(self.withholding[i]) if self.withholding[i] else ZERO
        gross = _dec(self.gross[i])
        return Result(
            source.value(i, "id"),
            scale.monthly,
            scale.hourly,
            paid_thirtieths,
            paid_hours,
            _dec(self.remuneration[i]),
            _dec(self.allowances[i]),
            gross,
            withholding,
            gross - withholding if withholding else gross,
            [],
            scale.version_label,
            scale.version_start,
            bonus,
            social,
            social_hours,
            ZERO,
            0,
        )


def _state(engine) -> dict:
    """What the columnar path keeps per engine (the engine's parameters do not change)."""
    state = engine.__dict__.get("_column_state")
    if state is None:
        weekly_values = []

        def weekly_code(value):
            weekly_values.append(value)
            return len(weekly_values) - 1

        kind_values = []  # a legal leave's kind: its code in the month's context, later

        def kind_code(value):
            kind_values.append(value)
            return len(kind_values) - 1

        # An absence's (reason, hours, kind), one lookup: (reason code, cents, kind code).
        absence_values = []

        def absence_code(key):
            reason, hours, kind = key
            codes = (REASON_CODES.get(reason, -1), state["hours"][hours], state["kinds"][kind])
            absence_values.append(codes)
            return len(absence_values) - 1

        state = engine._column_state = {
            "weekly": _Table(weekly_code),
            "weekly_values": weekly_values,
            "present": _Table(_cents_or_flag),
            "distance": _Table(_cents_or_flag),
            "hours": _Table(lambda v: 0 if v is None else _cents_or_flag(v)),
            "dates": _Table(_ordinal),
            "kinds": _Table(kind_code),
            "kind_values": kind_values,
            "absence_kinds": _Table(absence_code),
            "absence_values": absence_values,
            "group_keys": _Table(lambda key: _group(engine, key)),
            "context_keys": {},
            "contexts": [None],  # context 0: none (the per-case path)
            "context_names": [("", 0, 0)],
            "group_context": {0: 0},
            "groups": _Groups(),
            "region_names": list(engine.sets),
            "bonus": {},
            "bonus_objects": [ZERO],
        }
    return state


def _group(engine, key) -> int:
    """The scale group of a (region, year, month, category), 0 if it has none."""
    state = engine._column_state
    try:
        region, year, month, category = key
    except (TypeError, ValueError):
        return 0
    if (
        category not in CATEGORY_CODES
        or region not in state["region_names"]
        or type(year) is not int
        or type(month) is not int
        or not (1 <= month <= 12 and 1 <= year <= 9998)
    ):
        return 0
    name = (region, year, month)
    j = state["context_keys"].get(name)
    if j is None:
        try:
            ctx = engine._month(region, year, month)
        except (ValueError, KeyError, TypeError, ArithmeticError):
            ctx = None
        j = 0
        if ctx is not None:
            j = len(state["contexts"])
            state["contexts"].append(ctx)
            state["context_names"].append(name)
        state["context_keys"][name] = j
        state.pop("arrays", None)
    if j == 0:
        return 0
    g = state["groups"].group(engine, name, state["contexts"][j], category)
    if g not in state["group_context"]:
        state["group_context"][g] = j
        state.pop("arrays", None)
    return g


def _bonus(engine, key: int, n_cat: int, objects: list) -> tuple[int, int, bool]:
    """(index in `objects`, cents, unusable) of the entry bonus of a (set, entry month,
    category) key; index 0 is no bonus."""
    rest, cat = divmod(key, n_cat)
    rest, month = divmod(rest, 13)
    r, year = divmod(rest, 20000)
    region = engine._column_state["region_names"][r]
    try:
        found = engine.entry_bonus(region, dt.date(year, month, 1), list(CATEGORY_CODES)[cat])
    except (ValueError, KeyError, TypeError, ArithmeticError):
        return 0, 0, True
    if found is None:
        return 0, 0, False
    amount = _scaled(found[0])
    if amount is None:
        return 0, 0, True
    objects.append(found[0])
    return len(objects) - 1, amount, False


def _context_arrays(state) -> dict:
    """Per context (set and month): what the batch reads, as arrays indexed by context."""
    contexts = state["contexts"]
    n_ctx = len(contexts)
    first_ord = np.zeros(n_ctx, I64)
    last_ord = np.zeros(n_ctx, I64)
    last_day = np.zeros(n_ctx, I64)
    ctx_region = np.zeros(n_ctx, I64)
    region_index = {r: i for i, r in enumerate(state["region_names"])}
    for j, ctx in enumerate(contexts):
        if ctx is not None:
            first_ord[j], last_ord[j], last_day[j] = ctx[1].toordinal(), ctx[2].toordinal(), ctx[3]
            ctx_region[j] = region_index[state["context_names"][j][0]]
    groups = state["groups"]
    group_ctx = np.zeros(len(groups.ages), I64)
    group_cat = np.zeros(len(groups.ages), I64)
    for key, g in groups.index.items():
        group_ctx[g] = state["group_context"].get(g, 0)
        group_cat[g] = CATEGORY_CODES[key[3]]
    fth_values, fth_index = [], {}
    base_values, base_index = [], {}
    ctx_fth = np.zeros(max(n_ctx, 1), I64)
    ctx_base = np.full(max(n_ctx, 1), -1, I64)
    n_reasons = len(REASON_CODES)
    kinds = {}
    rule_kind = np.full((max(n_ctx, 1), n_reasons), OTHER, I64)
    rule_param = np.zeros((max(n_ctx, 1), n_reasons), I64)
    legal_rows = []
    allowance_rows = []  # per context: None, or (excluded categories, parsed bands)
    for j, ctx in enumerate(contexts):
        legal_rows.append({})
        allowance_rows.append(None)
        if ctx is None:
            continue
        options, full_time_hours, social_base = ctx[4], ctx[8], ctx[9]
        if full_time_hours not in fth_index:
            fth_index[full_time_hours] = len(fth_values)
            fth_values.append(full_time_hours)
        ctx_fth[j] = fth_index[full_time_hours]
        if social_base is not None:
            if social_base not in base_index:
                base_index[social_base] = len(base_values)
                base_values.append(social_base)
            ctx_base[j] = base_index[social_base]
        rules = options.get("absences", {})
        waiting = options.get("sickness_waiting_days") or 0
        for reason, code in REASON_CODES.items():
            rule = rules.get(reason, {"paid": False})
            paid = rule.get("paid")
            if reason in ("PUBLIC_HOLIDAY", "LOCAL_DAY"):
                kind = OTHER
            elif not paid:
                kind = UNPAID
            elif reason in ALWAYS_PAID_WHEN_PAID:
                kind = SICK_WAITING if reason == "SICKNESS" and waiting else PAID
                rule_param[j, code] = waiting
            elif reason == "LEGAL_LEAVE":
                kind = LEGAL
            elif reason == "CENTRE_CLOSURE" and "limit_days" in rule:
                kind = OTHER
            else:
                kind = PAID
            rule_kind[j, code] = kind
        for leave_kind, allowed in (options.get("legal_leave_days") or {}).items():
            if isinstance(allowed, int):
                kinds.setdefault(leave_kind, len(kinds))
                legal_rows[j][leave_kind] = allowed
        regional = options.get("allowances")
        if regional:
            parsed = []
            for band in regional.get("transport") or ():
                strictly = "above_km" in band
                limit = Decimal(str(band["above_km"] if strictly else band["from_km"]))
                parsed.append((strictly, limit, Decimal(str(band["amount"]))))
            allowance_rows[j] = (
                frozenset(regional.get("excluded_categories") or ()),
                tuple(parsed),
            )
    n_kinds = max(len(kinds), 1)
    legal_allowed = np.full((max(n_ctx, 1), n_kinds), -1, I64)
    for j, row in enumerate(legal_rows):
        for leave_kind, allowed in row.items():
            legal_allowed[j, kinds[leave_kind]] = allowed

    return {
        "first_ord": first_ord,
        "last_ord": last_ord,
        "last_day": last_day,
        "ctx_region": ctx_region,
        "group_ctx": group_ctx,
        "group_cat": group_cat,
        "fth_values": fth_values,
        "ctx_fth": ctx_fth,
        "base_values": base_values,
        "ctx_base": ctx_base,
        "rule_kind": rule_kind,
        "rule_param": rule_param,
        "kinds": kinds,
        "legal_allowed": legal_allowed,
        "allowance_rows": allowance_rows,
    }


class _CaseSource:
    """Case objects: each field read with a C-level attrgetter, the case itself for the
    per-case path."""

    def __init__(self, cases: list):
        self.items = cases

    def block(self, start: int, stop: int) -> tuple[dict, np.ndarray]:
        """The fields of cases start to stop as lists, and which of them are unusual."""
        items = self.items[start:stop]
        columns = {name: list(map(attrgetter(name), items)) for name in ROW_FIELDS[1:-1]}
        return columns, np.fromiter(map(DEFAULTS.__ne__, map(EXOTIC, items)), bool, len(items))

    def case(self, i: int) -> Case:
        return self.items[i]

    def value(self, i: int, name: str):
        return getattr(self.items[i], name)


class _RowSource:
    """Rows of plain values (ROW_FIELDS), read a block at a time; a Case is built only for a
    row sent to the per-case path."""

    def __init__(self, rows: list):
        self.items = rows

    def block(self, start: int, stop: int) -> tuple[dict, np.ndarray]:
        """The fields of rows start to stop as lists, and which rows are unusual: every value
        in one pass over the rows, each field then a strided slice (cheaper than one pass over
        the rows per field)."""
        width = len(ROW_FIELDS)
        rows = self.items[start:stop]
        if set(map(len, rows)) != {width}:
            raise ValueError(f"each row has {width} values: {', '.join(ROW_FIELDS)}")
        flat = []  # list.extend copies a row's values in C: cheaper than chaining them
        deque(map(flat.extend, rows), 0)
        columns = {name: flat[i::width] for i, name in enumerate(ROW_FIELDS) if i}
        extra, m = columns["extra"], stop - start
        if extra.count(None) == m:  # identity compares, no call per row
            return columns, np.zeros(m, bool)
        flags = np.fromiter(map(truth, extra), bool, m)
        for i in np.flatnonzero(flags).tolist():
            flags[i] = _unusual_extra(extra[i])
        return columns, flags

    def case(self, i: int) -> Case:
        return case_of_row(self.items[i])

    def value(self, i: int, name: str):
        return self.items[i][ROW_INDEX[name]]


def _unusual_extra(extra) -> bool:
    """A row's other Case fields: one not its default sends the row to the per-case path, and
    so does a name that is not one of them (the Case built there raises)."""
    for name, value in extra.items():
        if name in EXOTIC_DEFAULTS:
            if value != EXOTIC_DEFAULTS[name]:
                return True
        elif name not in ROWLESS_DEFAULTS:
            return True
    return False


def case_of_row(row) -> Case:
    """The Case a row stands for (ROW_FIELDS)."""
    values = dict(zip(ROW_FIELDS, row, strict=True))
    extra = values.pop("extra") or {}
    absences = values.pop("absences") or ()
    values["absences"] = tuple(a if isinstance(a, Absence) else Absence(*a) for a in absences)
    return Case(**values, **extra)


def row_of_case(case: Case) -> tuple:
    """A Case as a row (ROW_FIELDS): its other fields in `extra` where not their default."""
    absences = tuple(ABSENCE_FIELDS(a) for a in case.absences)
    extra = {
        name: value
        for name, default in ROWLESS_DEFAULTS.items()
        if (value := getattr(case, name)) != default
    }
    basic = tuple(getattr(case, name) for name in ROW_FIELDS[:-2])
    return (*basic, absences, extra or None)


GRID_SPAN = 1 << 40  # cents: above any bound or taxable amount
BROKEN_GRID = -2


def _grid_arrays(contexts):
    """The default withholding grids of the contexts, for one search over all of them: per
    context its grid (-1 none, BROKEN_GRID: a bound out of range, the per-case path) and the
    offset of its taxable amounts (grid g's bounds are shifted by g x GRID_SPAN, plus 1 where
    a bound equal to the amount is in the band above, 0 where below, as rate_for says: article
    204 H); the bounds in cents of every grid, each followed by a sentinel above any of its
    amounts, so that a position found in them is one rate (past a grid's last bound, its last
    rate); the rate at each position; every grid's rates as num / den."""
    grid_ids, grids = {}, []
    ctx_grid = np.full(max(len(contexts), 1), -1, I64)
    for j, ctx in enumerate(contexts):
        if ctx is None or ctx[5] is None:
            continue
        grid = ctx[5]
        if id(grid) not in grid_ids:
            grid_ids[id(grid)] = len(grids)
            grids.append(grid)
        ctx_grid[j] = grid_ids[id(grid)]
    keys, rate_at, offset = [], [], []
    nums, dens = [0], [1]  # rate 0: none (a grid without rates is broken)
    for g, grid in enumerate(grids):
        inclusive = grid.rate_for(grid.bounds[0]) == grid.rates[0]
        rounding = "ROUND_FLOOR" if inclusive else "ROUND_CEILING"
        bounds = [int((b * 100).to_integral_value(rounding=rounding)) for b in grid.bounds]
        if len(grid.rates) < len(bounds) + 1 or any(not 0 <= b < GRID_SPAN - 2 for b in bounds):
            ctx_grid[ctx_grid == g] = BROKEN_GRID
            bounds = []
        keys += [b + g * GRID_SPAN for b in bounds] + [(g + 1) * GRID_SPAN - 1]
        offset.append(g * GRID_SPAN + (0 if inclusive else 1))
        first = len(nums)
        for rate in grid.rates if bounds else ():
            num, den = rate.as_integer_ratio()
            nums.append(num)
            dens.append(den)
        rate_at += [first + k for k in range(len(bounds))] + [len(nums) - 1 if bounds else 0]
    if not grids:  # the arrays are indexed before the mask applies
        keys, rate_at = [GRID_SPAN - 1], [0]
    ctx_offset = np.array([offset[g] if g >= 0 else 0 for g in ctx_grid.tolist()], I64)
    # Below a grid's first bound (most trainees' pay), its first rate without a search.
    starts = [0] + [i + 1 for i, key in enumerate(keys) if key % GRID_SPAN == GRID_SPAN - 1]
    ctx_first = np.array([starts[g] if g >= 0 else 0 for g in ctx_grid.tolist()], I64)
    keys, rate_at = np.array(keys, I64), np.array(rate_at, I64)
    first_key, first_rate = keys[ctx_first], rate_at[ctx_first]
    num, den = np.array(nums, I64), np.array(dens, I64)
    return ctx_grid, ctx_offset, first_key, first_rate, keys, rate_at, num, den


BLOCK = 4096  # rows read at a time: their objects stay in the CPU caches between the fields
READ = ("weekly", "present", "distance")


def _read(state, source, n: int) -> dict:
    """Every field the batch reads, as arrays of codes, a block of rows at a time: the
    per-engine tables' codes (group, weekly hours, hours present, distance), the dates'
    ordinals (NO_DATE, BAD_DATE), the entry bonus flag, the unusual flag, and the absences
    (see _read_absences): each value is touched while its row is still in the cache."""
    out = {name: np.empty(n, I64) for name in ("gid", "entry", "birth", "exit", *READ)}
    unusual, granted = np.empty(n, bool), np.empty(n, bool)
    group_keys, dates = state["group_keys"], state["dates"]
    tables = [(name, state[name], field) for name, field in zip(READ, READ_FIELDS, strict=True)]
    absences = []
    for start in range(0, n, BLOCK):
        stop = min(start + BLOCK, n)
        m = stop - start
        cols, unusual[start:stop] = source.block(start, stop)
        key = zip(*map(cols.__getitem__, GROUP_FIELDS), strict=True)
        out["gid"][start:stop] = _codes(key, group_keys, m)
        out["entry"][start:stop] = _ordinals(cols["entry_date"], m, dates)
        out["birth"][start:stop] = _ordinals(cols["birth_date"], m, dates)
        out["exit"][start:stop] = _sparse_codes(cols["exit_date"], dates, m, NO_DATE)
        for name, table, field in tables:
            out[name][start:stop] = _codes(cols[field], table, m)
        granted[start:stop] = np.fromiter(cols["entry_bonus_granted"], bool, m)
        found = _read_absences(state, cols["absences"], m)
        if found is not None:
            found[0] += start
            absences.append(found)
    out["unusual"], out["granted"] = unusual, granted
    out["absences"] = [np.concatenate(a) for a in zip(*absences, strict=True)] if absences else None
    return out


def _sparse_codes(column: list, table: _Table, m: int, none: int) -> np.ndarray:
    """_codes of a column mostly None whose other values are all true (dates): only those
    looked up, found without a call per row."""
    index = list(compress(range(m), column))
    if m - len(index) != column.count(None):  # a false value that is not None
        return _codes(column, table, m)
    codes = np.full(m, none, I64)
    if index:
        codes[index] = _codes(map(column.__getitem__, index), table, len(index))
    return codes


def _read_absences(state, column: list, m: int):
    """The rows with absences: (their indices, more than one absence or unreadable, and the
    first absence's start and end ordinals, reason code, hours in cents, kind code) as
    arrays, or None."""
    index = list(compress(range(m), column))  # the non-empty ones, no call per row
    if not index:
        return None
    lists = list(map(column.__getitem__, index))
    count = len(lists)
    # Each non-empty: one value each exactly when there are as many values as rows.
    firsts = list(chain.from_iterable(lists))
    if len(firsts) == count:
        many = np.zeros(count, bool)
    else:
        many = np.fromiter(map(len, lists), I64, count) != 1
        firsts = list(map(itemgetter(0), lists))
    # The first absence's (start, end, reason, hours, kind): a row's tuple, or read from an
    # Absence; anything else is left to the per-case path.
    if set(map(type, firsts)) != {tuple}:
        firsts = [
            a if type(a) is tuple else ABSENCE_FIELDS(a) if type(a) is Absence else ()
            for a in firsts
        ]
    # Their fields read in one pass: five values each (else the careful way).
    flat = list(chain.from_iterable(firsts))
    if len(flat) != 5 * count:
        many |= np.fromiter(map(len, firsts), I64, count) != 5
        firsts = [a if len(a) == 5 else (None,) * 5 for a in firsts]
        flat = list(chain.from_iterable(firsts))
    dates = state["dates"]
    return [
        np.array(index, I64),
        many,
        _ordinals(flat[0::5], count, dates),
        _ordinals(flat[1::5], count, dates),
        _codes(zip(flat[2::5], flat[3::5], flat[4::5], strict=True), state["absence_kinds"], count),
    ]


def _allowance_arrays(allowance_rows, n_ctx: int, n_cat: int) -> tuple:
    """The regional transport bands of every context as arrays (limits in cents, strictly
    above or from, amount codes), the excluded categories, the contexts whose limits are not
    whole cents, and per distinct amount: cents (or None), cents > 0 (else 0), and the
    amount by thirtieths in cents."""
    amounts, amount_index = [], {}
    width = max([len(row[1]) for row in allowance_rows if row is not None] + [1])
    band_limit = np.zeros((max(n_ctx, 1), width), I64)
    band_strict = np.zeros((max(n_ctx, 1), width), bool)
    band_amount = np.full((max(n_ctx, 1), width), -1, I64)
    excluded = np.ones((max(n_ctx, 1), n_cat), bool)  # no regional allowances
    ctx_broken = np.zeros(max(n_ctx, 1), bool)
    for j, row in enumerate(allowance_rows):
        if row is None:
            continue
        excluded_names, bands = row
        excluded[j] = [name in excluded_names for name in CATEGORY_CODES]
        for k, (strictly, limit, amount) in enumerate(bands):
            limit_cents = _scaled(limit)
            if limit_cents is None:
                ctx_broken[j] = True
                continue
            if amount not in amount_index:
                amount_index[amount] = len(amounts)
                amounts.append(amount)
            band_limit[j, k] = limit_cents
            band_strict[j, k] = strictly
            band_amount[j, k] = amount_index[amount]
    usable = [_scaled(a) for a in amounts]
    amount_cents = np.array([u if u is not None and u > 0 else 0 for u in usable], I64)
    by_thirtieths = np.array(
        [[_scaled(cents(a * FRACTIONS[k])) for k in range(31)] for a in amounts] or [[0] * 31],
        I64,
    )
    return (
        amounts,
        width,
        band_limit,
        band_strict,
        band_amount,
        excluded,
        ctx_broken,
        usable,
        amount_cents,
        by_thirtieths,
    )


def compute_columns(engine, cases, errors: str = "raise") -> Columns:
    """The batch of `Case` objects. `errors="raise"`: raise what compute raises for the first
    case in order that cannot be computed; `"skip"`: its result is None (a CaseError only)."""
    cases = cases if isinstance(cases, list) else list(cases)
    return _compute(engine, _CaseSource(cases), len(cases), errors)


def compute_rows(engine, rows, errors: str = "raise") -> Columns:
    """The batch of rows of plain values (ROW_FIELDS, as a database cursor gives them), read
    into columns without building a Case (but for the rows the per-case path computes);
    `errors` as for compute_columns."""
    rows = rows if isinstance(rows, list) else list(rows)
    return _compute(engine, _RowSource(rows), len(rows), errors)


def _compute(engine, source, n: int, errors: str) -> Columns:  # noqa: C901 - one pass over the columns
    out = Columns(source, n)
    if n == 0:
        out.scales, out.caps, out.bonus_objects = [], [], [ZERO]
        return out
    state = _state(engine)
    groups = state["groups"]
    read = _read(state, source, n)
    fb = read["unusual"]

    # -- the month context and the scale group: (region, year, month, category) -----------
    gid = read["gid"]
    arrays = state.get("arrays")
    if arrays is None:
        arrays = state["arrays"] = _context_arrays(state)
    contexts = state["contexts"]
    n_ctx = len(contexts)
    ctxc = arrays["group_ctx"][gid]
    category = arrays["group_cat"][gid]
    region = arrays["ctx_region"][ctxc]
    first_ord, last_ord, last_day = arrays["first_ord"], arrays["last_ord"], arrays["last_day"]
    fth_values, ctx_fth = arrays["fth_values"], arrays["ctx_fth"]
    base_values, ctx_base = arrays["base_values"], arrays["ctx_base"]
    rule_kind, rule_param = arrays["rule_kind"], arrays["rule_param"]
    kinds, legal_allowed = arrays["kinds"], arrays["legal_allowed"]
    allowance_rows = arrays["allowance_rows"]
    fb |= gid == 0

    # -- dates, ages ------------------------------------------------------------------------
    entry, birth, exit_ = read["entry"], read["birth"], read["exit"]
    bad_dates = (entry < 0) | (birth < 0) | (exit_ == BAD_DATE)
    if bad_dates.any():  # the per-case path says why; a harmless date meanwhile
        fb |= bad_dates
        entry[entry < 0] = EPOCH
        birth[birth < 0] = EPOCH
        exit_[exit_ == BAD_DATE] = NO_DATE
    no_exit = np.iinfo(I64).max // 4
    exit_[exit_ == NO_DATE] = no_exit
    first = first_ord[ctxc]
    last = last_ord[ctxc]
    fb |= (entry > last) | (exit_ < first) | (exit_ < entry)
    start = np.maximum(entry, first)
    end = np.minimum(exit_, last)

    ey, emd = _year_month_day(entry)
    by, bmd = _year_month_day(birth)
    em = emd // 100
    age = ey - by - (emd < bmd)
    fb |= (age < 0) | (age > MAX_AGE_INDEX)

    # -- weekly hours, hours present, distance --------------------------------------------
    weekly_values = state["weekly_values"]
    wcode = read["weekly"]
    weekly_bad = np.array(
        [not isinstance(w, Decimal) or not w.is_finite() or w <= 0 for w in weekly_values], bool
    )
    fb |= weekly_bad[wcode]
    caps = [
        Decimal(1) if bad else engine._cap(w)
        for w, bad in zip(weekly_values, weekly_bad, strict=True)
    ]
    cap_cents = np.array([_scaled(c) if _scaled(c) is not None else 0 for c in caps], I64)
    present, distance = read["present"], read["distance"]
    fb |= (present == -2) | (distance == -2)

    # -- the scale of the age at entry ---------------------------------------------------------
    n_cat = len(CATEGORY_CODES)
    age_table, seg_len, scale_ok, has_monthly, hourly_cents, table = groups.arrays()
    scales = groups.scales
    grp = np.where(fb, 0, gid)
    fb |= seg_len[grp] == 0
    sid = age_table[grp, np.clip(age, 0, MAX_AGE_INDEX)]
    fb |= ~scale_ok[sid]

    weekly_ok = np.zeros((max(len(fth_values), 1), len(weekly_values)), bool)
    for f, threshold in enumerate(fth_values):
        for k, w in enumerate(weekly_values):
            weekly_ok[f, k] = w >= threshold
    full = weekly_ok[ctx_fth[ctxc], wcode] & has_monthly[sid]
    fb |= full & (present != -1)  # declared hours at full time: the per-case path
    part = ~full
    nonempty = start <= end
    fb |= part & nonempty & (present < 0)

    # -- absences (at most one, the common reasons) -----------------------------------------
    has_run = np.zeros(n, bool)
    run_a = np.zeros(n, I64)
    run_b = np.zeros(n, I64)
    absence_hours = np.zeros(n, I64)
    if read["absences"] is not None:
        ai, many, a_start, a_end, a_code = read["absences"]
        a_reason, a_hours, a_kind = np.array(state["absence_values"], I64)[a_code].T
        kind_map = np.array([kinds.get(v, -1) for v in state["kind_values"]] or [-1], I64)
        a_kind = kind_map[a_kind]
        bad = many | (a_start < 0) | (a_end < 0) | (a_reason < 0) | (a_end < a_start)
        bad |= a_hours == -2
        c_ctx = ctxc[ai]
        kind = rule_kind[c_ctx, np.maximum(a_reason, 0)]
        bad |= kind == OTHER
        s, e = start[ai], end[ai]
        a = np.maximum(a_start, s)
        b = np.minimum(a_end, e)
        overlap = a <= b
        allowed = legal_allowed[c_ctx, np.maximum(a_kind, 0)]
        bad |= (kind == LEGAL) & ((a_kind < 0) | (allowed < 0))
        last_waiting = a_start + rule_param[c_ctx, np.maximum(a_reason, 0)] - 1
        ua = np.where(kind == LEGAL, np.maximum(a, a_start + allowed), a)
        ub = np.where(kind == SICK_WAITING, np.minimum(b, last_waiting), b)
        run = overlap & (
            (kind == UNPAID)
            | ((kind == SICK_WAITING) & (a <= last_waiting))
            | ((kind == LEGAL) & (ua <= ub))
        )
        fb[ai] |= bad
        has_run[ai] = run
        run_a[ai] = ua
        run_b[ai] = ub
        total_days = b - a + 1
        unpaid_days = np.where(run, ub - ua + 1, 0)
        hours_paid = overlap & (a_hours > 0) & (unpaid_days < total_days)
        absence_hours[ai] = np.where(
            hours_paid,
            _half_up(
                np.maximum(a_hours, 0) * (total_days - unpaid_days), np.maximum(total_days, 1)
            ),
            0,
        )

    # -- full time: thirtieths ----------------------------------------------------------------
    ld = last_day[ctxc]

    def thirtieth(ordinals):
        day = ordinals - first + 1
        return np.where(day == ld, 30, np.minimum(day, 30))

    span = np.where(nonempty, thirtieth(end) - thirtieth(start) + 1, 0)
    unpaid = np.where(has_run, thirtieth(run_b) - thirtieth(run_a) + 1, 0)
    paid = np.clip(span - unpaid, 0, 30)
    remuneration = np.zeros(n, I64)
    remuneration_full = table[sid, paid]

    # -- part time: hours -------------------------------------------------------------------
    present_paid = np.where(nonempty, np.maximum(present, 0), 0)
    cap = cap_cents[wcode]
    hours = np.minimum(present_paid + absence_hours, cap)
    remuneration_part = _half_up(hours * hourly_cents[sid], 100)
    remuneration = np.where(full, remuneration_full, remuneration_part)

    # -- social contributions -----------------------------------------------------------------
    base = ctx_base[ctxc]
    social_key = (tuple(base_values), len(weekly_values))
    if state.get("social_key") != social_key:
        n_bases = max(len(base_values), 1)
        social_table = np.zeros((n_bases, len(weekly_values), 31), I64)
        social_hours_table = np.zeros((n_bases, len(weekly_values), 31), I64)
        for bi, base_value in enumerate(base_values):
            for k, w in enumerate(weekly_values):
                if weekly_bad[k]:
                    continue
                for p in range(31):
                    key = (base_value, w, p)
                    found = engine._social.get(key)
                    if found is None:
                        h = cents(engine._cap(w) * p / THIRTY)
                        found = engine._social[key] = (h, cents(h * base_value))
                    social_hours_table[bi, k, p] = _scaled(found[0])
                    social_table[bi, k, p] = _scaled(found[1])
        state["social_key"] = social_key
        state["social_tables"] = social_table, social_hours_table
    social_table, social_hours_table = state["social_tables"]
    with_base = base >= 0
    fmask = full & with_base
    bsafe = np.maximum(base, 0)
    # One flat index into both tables (every row's is in range; the mask picks).
    index = (bsafe * len(weekly_values) + wcode) * 31 + paid
    social = np.where(fmask, social_table.ravel().take(index), -1)
    social_hours = np.where(fmask, social_hours_table.ravel().take(index), -1)
    pmask = part & with_base
    if pmask.any():
        ratios = [v.as_integer_ratio() for v in base_values]
        num = np.array([r[0] for r in ratios], I64)[bsafe[pmask]]
        den = np.array([r[1] for r in ratios], I64)[bsafe[pmask]]
        social[pmask] = _half_up(hours[pmask] * num, den)
        social_hours[pmask] = hours[pmask]

    # -- allowances (regional transport by distance) ----------------------------------------
    allowances = np.zeros(n, I64)
    with_distance = np.flatnonzero((distance >= 0) & nonempty & ~fb)
    if len(with_distance):
        setup = arrays.get("allowances")
        if setup is None:  # per context, kept until a new context comes
            setup = arrays["allowances"] = _allowance_arrays(allowance_rows, n_ctx, n_cat)
        amounts, width, band_limit, band_strict, band_amount, excluded, ctx_broken = setup[:7]
        usable, amount_cents, by_thirtieths = setup[7:]
        w_ctx = ctxc[with_distance]
        w_distance = distance[with_distance]
        fb[with_distance] |= ctx_broken[w_ctx]
        found = np.full(len(with_distance), -1, I64)
        for k in range(width):
            limit = band_limit[w_ctx, k]
            hit = np.where(band_strict[w_ctx, k], w_distance > limit, w_distance >= limit)
            code = band_amount[w_ctx, k]
            found = np.where(hit & (code >= 0), code, found)
        found[excluded[w_ctx, category[with_distance]]] = -1
        if amounts:
            fb[with_distance] |= np.isin(found, [i for i, u in enumerate(usable) if u is None])
            has = found >= 0
            code = np.maximum(found, 0)
            w_full = full[with_distance]
            w_paid = paid[with_distance]
            value = np.where(has & w_full, by_thirtieths[code, w_paid], 0)
            w_part = has & ~w_full
            if w_part.any():
                big_a = amount_cents[code[w_part]]
                big_p = hours[with_distance][w_part]
                big_c = cap[with_distance][w_part]
                safe_c = np.maximum(big_c, 1)
                part_value = np.where(big_c > 0, _half_up(big_a * big_p, safe_c), 0)
                twice = 2 * big_a * big_p
                half = (big_c > 0) & (twice % safe_c == 0) & ((twice // safe_c) % 2 == 1)
                codes = code[w_part]
                for k in np.flatnonzero(half).tolist():
                    fraction = _dec(big_p[k]) / _dec(big_c[k])
                    part_value[k] = _scaled(cents(amounts[codes[k]] * fraction))
                value[w_part] = part_value
            allowances[with_distance] = value
    allowances[~nonempty] = 0

    # -- entry bonus ----------------------------------------------------------------------------
    granted = read["granted"] & ~fb
    bonus = np.zeros(n, I64)
    bonus_code = np.zeros(n, I64)
    bonus_objects = state["bonus_objects"]
    bonus_cache = state["bonus"]
    if granted.any():
        gi = np.flatnonzero(granted)
        keys = ((region[gi] * 20000 + ey[gi]) * 13 + em[gi]) * n_cat + category[gi]
        distinct, inverse = np.unique(keys, return_inverse=True)
        codes = np.zeros(len(distinct), I64)
        values = np.zeros(len(distinct), I64)
        broken = np.zeros(len(distinct), bool)
        for u, key in enumerate(distinct.tolist()):
            found = bonus_cache.get(key)
            if found is None:
                found = bonus_cache[key] = _bonus(engine, key, n_cat, bonus_objects)
            codes[u], values[u], broken[u] = found
        bonus[gi] = values[inverse]
        bonus_code[gi] = codes[inverse]
        fb[gi] |= broken[inverse]

    # -- withholding (the default grid), gross, net ------------------------------------------
    taxable = remuneration + bonus
    grids = state.get("grids")
    if grids is None or grids[0] != n_ctx:
        grids = state["grids"] = (n_ctx, *_grid_arrays(contexts))
    _, ctx_grid, ctx_offset, first_key, first_rate, keys, rate_at, num, den = grids
    g = ctx_grid[ctxc]
    fb |= g == BROKEN_GRID
    taxed = (g >= 0) & ~fb
    # Each grid's bounds, shifted apart, in one sorted array: one search for all those at or
    # above their grid's first bound.
    shifted = np.clip(taxable, 0, GRID_SPAN - 2) + ctx_offset[ctxc]
    k = first_rate[ctxc]
    high = np.flatnonzero(shifted >= first_key[ctxc])
    k[high] = rate_at[np.searchsorted(keys, shifted[high])]
    rate = num[k]
    withholding = np.zeros(n, I64)
    w = np.flatnonzero(taxed & (rate != 0))  # (most trainees' rate is 0)
    withholding[w] = _half_up(taxable[w] * rate[w], den[k[w]] * 100)
    gross = remuneration + allowances + bonus

    out.scales = scales
    out.caps = caps
    out.bonus_objects = bonus_objects
    out.sid, out.full, out.paid, out.start, out.end = sid, full, paid, start, end
    out.wcode, out.absence_hours = wcode, absence_hours
    out.remuneration, out.allowances, out.gross = remuneration, allowances, gross
    out.withholding, out.social, out.social_hours = withholding, social, social_hours
    out.bonus_code = bonus_code
    out.net = np.where(fb, 0, gross - withholding)
    compute = engine.compute
    fallback = out.fallback
    for i in np.flatnonzero(fb).tolist():
        if errors == "skip":
            try:
                fallback[i] = compute(source.case(i), False)
            except CaseError:
                fallback[i] = None
        else:
            fallback[i] = compute(source.case(i), False)
    out.fallback_net = sum((r.net for r in fallback.values() if r is not None), Decimal(0))
    return out
