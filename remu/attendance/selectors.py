import bisect
import datetime as dt

from django.db import connection
from django.db.models import Count, Exists, F, Min, OuterRef, Q
from django.db.models.functions import Coalesce
from django.utils import timezone

from remu.actions.models import TrainingAction
from remu.dossiers.models import Dossier
from remu.referential.models import Region
from remu.rules.engine import default_engine

from .models import AttendanceLine, AttendanceStatement
from .services import next_month


def statements_for(tenant):
    return AttendanceStatement.objects.for_tenant(tenant).select_related(
        "action__provider", "action__region"
    )


def statements_with_completion(action) -> list[tuple]:
    """The action's statements, newest first, each with what is left to validate (one query)."""
    statements = action.statements.order_by("-month").annotate(
        drafts_full=Count("lines", filter=Q(lines__status="draft", lines__full_time=True)),
        drafts_part=Count("lines", filter=Q(lines__status="draft", lines__full_time=False)),
        line_count=Count("lines"),
    )
    return [
        (
            s,
            {
                "full_time": s.drafts_full,
                "part_time": s.drafts_part,
                "complete": s.line_count > 0 and not (s.drafts_full or s.drafts_part),
            },
        )
        for s in statements
    ]


def due_date(region, month: dt.date) -> dt.date:
    """Attendance for month M is due before the region's day of M+1 (RULES.md §9), a dated
    option of its parameter set (options come from the files: no query)."""
    day = default_engine().options(region.parameter_set, month)["attendance_due_day"]
    return next_month(month).replace(day=day)


def late_statements(tenant, today: dt.date | None = None, *, provider=None) -> "UnfinishedMonths":
    """Months whose statement is missing or not fully validated once its due date has come,
    per action (agents: their region's; providers: their own; `provider`: only its actions
    among those)."""
    calendar = MonthCalendar(tenant, today or timezone.localdate(), provider=provider)
    return UnfinishedMonths(calendar, late=True)


def statements_to_enter(tenant, today: dt.date | None = None) -> "UnfinishedMonths":
    """Months already begun whose statement is missing or not fully validated and whose due
    date has not come yet: what to enter before the deadline (same rows as late_statements)."""
    return UnfinishedMonths(MonthCalendar(tenant, today or timezone.localdate()), late=False)


def statements_to_enter_and_late(tenant, today: dt.date | None = None):
    """Both lists (the provider's home and statements page), sharing their calendar and
    their counts (two queries for both counts)."""
    calendar = MonthCalendar(tenant, today or timezone.localdate())
    return UnfinishedMonths(calendar, late=False), UnfinishedMonths(calendar, late=True)


class MonthCalendar:
    """The begun months from the tenant's oldest action start to today, per region of its
    actions, each with its due date (the region's dated option), and how many unfinished
    months each has: what the late and the to-enter lists share."""

    def __init__(
        self,
        tenant,
        today: dt.date,
        *,
        actions=None,
        due=None,
        is_late=None,
        done="",
        provider=None,
    ):
        """By default the attendance statements'; another monthly duty (the providers'
        declarations) gives its `actions` queryset, its `due(region, month)` date, when a
        due date is late (`is_late(due)`) and `done`: the SELECT of the (action_id, month)
        pairs already done, its table aliased `s`, ending with its WHERE clause."""
        self.tenant = tenant
        self.today = today
        self.provider = provider
        self._actions = actions
        self.due = due or due_date
        self.is_late = is_late or (lambda due: due <= today)
        self.done = done or self.FINISHED_STATEMENTS
        self._months = None
        self._counts = None

    FINISHED_STATEMENTS = f"""
        SELECT s.action_id, s.month FROM {AttendanceStatement._meta.db_table} s
        WHERE NOT EXISTS (SELECT 1 FROM {AttendanceLine._meta.db_table} l
                          WHERE l.statement_id = s.id AND l.status = 'draft')"""

    def actions(self):
        if self._actions is not None:
            return self._actions
        # A semi-join (EXISTS) on the dossiers of each action (partial index
        # dossier_admitted_rs1_by_action), never a DISTINCT over every admitted dossier.
        admitted = Dossier.objects.filter(action=OuterRef("pk"), status="admitted", kind="RS1")
        actions = TrainingAction.objects.for_tenant(self.tenant).filter(Exists(admitted))
        return actions.filter(provider=self.provider) if self.provider is not None else actions

    def months(self) -> list[tuple]:
        """(index, region id, month, last day of the month, due date, late) (one query)."""
        if self._months is None:
            starts = dict(
                TrainingAction.objects.for_tenant(self.tenant)
                .order_by()
                .values("region")
                .annotate(start=Min(Coalesce("real_start", "planned_start")))
                .values_list("region", "start")
            )
            regions = {r.pk: r for r in [self.tenant.region] if r is not None}
            if set(starts) - set(regions):  # a provider's action in another region
                regions |= Region.objects.in_bulk(set(starts) - set(regions))
            months = []
            for region_id, start in sorted(starts.items()):
                month = start.replace(day=1)
                while month <= self.today:
                    due = self.due(regions[region_id], month)
                    last = next_month(month) - dt.timedelta(days=1)
                    months.append((len(months), region_id, month, last, due, self.is_late(due)))
                    month = next_month(month)
            self._months = months
        return self._months

    def sql(self) -> tuple[str | None, list]:
        """The SELECT of the unfinished months (its columns left as `{columns}`) and its
        parameters; None when there is no month.

        The months are a VALUES table; the actions (tenant's, with admitted trainees) a
        materialised CTE, joined to the months they cover; a month is unfinished unless
        its statement exists without draft lines: a NOT IN over the finished statements,
        which PostgreSQL hashes once (a per-row anti-join probed the statements' index
        28,000 times on the bench data)."""
        months = self.months()
        if not months:
            return None, []
        values = ", ".join(["(%s, %s, %s, %s, %s)"] * len(months))
        params = [
            v
            for index, region, month, last, _, late in months
            for v in (index, region, month, last, int(late))
        ]
        actions_sql, actions_params = (
            self.actions()
            .order_by()
            .values(
                action_id=F("pk"),
                provider_ref=F("provider_id"),
                region_ref=F("region_id"),
                action_number=F("number"),
                provider_name=F("provider__name"),
                start_on=Coalesce("real_start", "planned_start"),
                end_on=Coalesce("real_end", "planned_end"),
            )
            .query.sql_with_params()
        )
        # PostgreSQL would inline it and test the dossiers once per month: materialised
        materialized = "MATERIALIZED " if connection.vendor == "postgresql" else ""
        sql = f"""
            WITH calendar (idx, region_id, month, month_end, late) AS (VALUES {values}),
            a AS {materialized}({actions_sql})
            SELECT {{columns}}
            FROM a
            INNER JOIN calendar m ON m.region_id = a.region_ref
                AND m.month <= a.end_on AND m.month_end >= a.start_on
            WHERE (a.action_id, m.month) NOT IN ({self.done}
                  AND s.action_id IN (SELECT action_id FROM a)
                  AND s.month IN (SELECT month FROM calendar))
        """
        return sql, params + list(actions_params)

    def counts(self) -> dict[int, int]:
        """How many unfinished months per calendar index (one query).

        Never the join of every action to every month it covers (tens of thousands of rows
        for a big provider): the months an action covers are those from its start's month
        to its end's, so a month's actions are those started by its last day less those
        ended before its first (the actions counted by start date and by end date), less
        the months done among them (the finished statements: a few thousand rows)."""
        if self._counts is None:
            sql, params = self.sql()
            self._counts = {}
            if sql is not None:
                self._counts = self._count(sql, params)
        return self._counts

    def _count(self, sql: str, params: list) -> dict[int, int]:
        head = sql[: sql.index("SELECT {columns}")]  # the calendar and the actions
        # the months done, with their action's region and dates, materialised before they
        # meet the calendar (else PostgreSQL joins every action to every month first)
        materialized = "MATERIALIZED " if connection.vendor == "postgresql" else ""
        head = f"""{head.rstrip()},
            d AS {materialized}(
                SELECT x.month, a.region_ref, a.start_on, a.end_on
                FROM (SELECT DISTINCT s.action_id, s.month FROM ({self.done}
                      AND s.action_id IN (SELECT action_id FROM a)
                      AND s.month IN (SELECT month FROM calendar)) s) x
                INNER JOIN a ON a.action_id = x.action_id)
        """
        # kind 0: actions by (region, start), 1: by (region, end), 2: an inverted action
        # (its end before its start: a real start after the planned end), 3: done months
        query = f"""{head}
            SELECT 0, a.region_ref, a.start_on, a.start_on, COUNT(*) FROM a
            WHERE a.start_on <= a.end_on GROUP BY a.region_ref, a.start_on
            UNION ALL
            SELECT 1, a.region_ref, a.end_on, a.end_on, COUNT(*) FROM a
            WHERE a.start_on <= a.end_on GROUP BY a.region_ref, a.end_on
            UNION ALL
            SELECT 2, a.region_ref, a.start_on, a.end_on, 1 FROM a WHERE a.start_on > a.end_on
            UNION ALL
            SELECT 3, m.idx, MIN(m.month), MIN(m.month), COUNT(*) FROM d
            INNER JOIN calendar m ON m.region_id = d.region_ref AND m.month = d.month
            WHERE m.month <= d.end_on AND m.month_end >= d.start_on
            GROUP BY m.idx
        """
        starts, ends, inverted, finished = {}, {}, [], {}
        with connection.cursor() as cursor:
            cursor.execute(query, params)
            for kind, key, first, last, n in cursor.fetchall():
                if kind == 0:
                    starts.setdefault(key, []).append((_day(first), n))
                elif kind == 1:
                    ends.setdefault(key, []).append((_day(first), n))
                elif kind == 2:
                    inverted.append((key, _day(first), _day(last)))
                else:
                    finished[int(key)] = n
        # per region, the dates in order with the running count: a month's is a bisection
        starts = {region: _running(rows) for region, rows in starts.items()}
        ends = {region: _running(rows) for region, rows in ends.items()}
        counts = {}
        for index, region_id, month, month_end, _, _ in self.months():
            days, totals = starts.get(region_id, ((), ()))
            started = totals[i - 1] if (i := bisect.bisect_right(days, month_end)) else 0
            days, totals = ends.get(region_id, ((), ()))
            ended = totals[i - 1] if (i := bisect.bisect_left(days, month)) else 0
            odd = sum(
                1
                for r, first, last in inverted
                if r == region_id and first <= month_end and last >= month
            )
            n = started - ended + odd - finished.get(index, 0)
            if n:
                counts[index] = n
        return counts


def _running(rows: list[tuple]) -> tuple[list, list]:
    """(dates in order, how many up to and including each)."""
    days, totals, total = [], [], 0
    for day, n in sorted(rows):
        total += n
        days.append(day)
        totals.append(total)
    return days, totals


def _day(value) -> dt.date:
    """A date read by a raw cursor (SQLite gives its text)."""
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value)[:10])


class UnfinishedMonths:
    """Begun months of actions with admitted trainees whose statement is missing or has lines
    to validate, late (due date come) or to enter (not yet), ordered by provider name, action
    number and month: a lazy sequence computed in SQL (a big provider has tens of thousands of
    such months: never built in Python). `count()` (and `len()`) counts them, a slice builds
    the rows of that slice only (two queries), so that it pages with Django's Paginator. Each
    row is a dict: action, provider, month, due, missing, drafts."""

    def __init__(self, calendar: MonthCalendar, *, late: bool):
        self.calendar = calendar
        self.late = late

    def _counts(self) -> dict[int, int]:
        months = self.calendar.months()
        return {i: n for i, n in self.calendar.counts().items() if months[i][5] == self.late}

    def count(self) -> int:
        return sum(self._counts().values())

    def __len__(self) -> int:
        return self.count()

    def __bool__(self) -> bool:
        return self.count() > 0

    def oldest_month(self) -> dt.date | None:
        return min((self.calendar.months()[i][2] for i in self._counts()), default=None)

    def first_due(self) -> dt.date | None:
        return min((self.calendar.months()[i][4] for i in self._counts()), default=None)

    def per_provider(self) -> dict[int, int]:
        """How many unfinished months per provider id (one query)."""
        sql, params = self.calendar.sql()
        if sql is None:
            return {}
        sql = sql.replace("{columns}", "a.provider_ref, COUNT(*)")
        with connection.cursor() as cursor:
            cursor.execute(
                sql + " AND m.late = %s GROUP BY a.provider_ref", [*params, int(self.late)]
            )
            return dict(cursor.fetchall())

    def action_ids(self) -> tuple[str, list]:
        """SQL (and parameters) of the ids of the actions with an unfinished month, for an
        `id IN (...)` filter."""
        sql, params = self.calendar.sql()
        if sql is None:
            return "SELECT NULL WHERE 1 = 0", []
        return sql.replace("{columns}", "DISTINCT a.action_id") + " AND m.late = %s", [
            *params,
            int(self.late),
        ]

    def __getitem__(self, key):
        if not isinstance(key, slice):
            rows = self[key : key + 1]
            if not rows:
                raise IndexError(key)
            return rows[0]
        start, stop = key.start or 0, key.stop
        sql, params = self.calendar.sql()
        if sql is None or (stop is not None and stop <= start) or start >= self.count():
            return []
        # code-point order, as Python sorted them (SQLite's BINARY; PostgreSQL's "C")
        c = ' COLLATE "C"' if connection.vendor == "postgresql" else ""
        sql = (
            sql.replace(
                "{columns}", "a.action_id, m.idx, m.month, a.provider_name, a.action_number"
            )
            + " AND m.late = %s"
        )
        sql += f" ORDER BY a.provider_name{c}, a.action_number{c}, m.month, a.action_id"
        params = [*params, int(self.late)]
        if stop is not None:
            sql += " LIMIT %s OFFSET %s"
            params += [stop - start, start]
        elif start:
            sql += " LIMIT -1 OFFSET %s" if connection.vendor == "sqlite" else " OFFSET %s"
            params += [start]
        # the page's statements and their draft lines, for its rows only
        statement = AttendanceStatement._meta.db_table
        line = AttendanceLine._meta.db_table
        sql = f"""
            SELECT page.action_id, page.idx, s.id, (
                SELECT COUNT(*) FROM {line} l WHERE l.statement_id = s.id AND l.status = 'draft')
            FROM ({sql}) page
            LEFT OUTER JOIN {statement} s ON s.action_id = page.action_id AND s.month = page.month
            ORDER BY page.provider_name{c}, page.action_number{c}, page.month, page.action_id
        """
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            found = cursor.fetchall()
        return self._rows(found)

    def __iter__(self):
        return iter(self[:])

    def _rows(self, found: list[tuple]) -> list[dict]:
        months = self.calendar.months()
        actions = TrainingAction.objects.select_related("provider", "region").in_bulk(
            {action_id for action_id, _, _, _ in found}
        )
        rows = []
        for action_id, idx, statement_id, drafts in found:
            action = actions[action_id]
            _, _, month, _, due, _ = months[int(idx)]
            rows.append(
                {
                    "action": action,
                    "provider": action.provider,
                    "month": month,
                    "due": due,
                    "missing": statement_id is None,
                    "drafts": drafts if statement_id is not None else 0,
                }
            )
        return rows


def by_provider(rows, totals: dict[int, int]) -> list[tuple]:
    """A page of late months grouped by provider, in its order: (provider, the provider's
    count over every page, its rows on this page)."""
    grouped = {}
    for row in rows:
        grouped.setdefault(row["provider"].pk, (row["provider"], []))[1].append(row)
    return [(provider, totals.get(pk, len(r)), r) for pk, (provider, r) in grouped.items()]
