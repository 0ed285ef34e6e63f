"""A trainee-month's pay: plain data in (Case), plain data with its explanation out (Result).

RULES.md §4–§6. Every amount is a Decimal rounded half-up to the cent at the end of its
component. What a month and a parameter version share (the version, the options, the holidays,
the scale amounts per category and age band) is computed once and cached, so the per-case work
is small: the batch path (explain=False) skips building the French text.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from functools import lru_cache

from .calendar import fr, local_days, month_bounds, public_holidays, thirtieth
from .money import ZERO, cents, euros, number
from .parameters import (
    ABSENCE_REASONS,
    CATEGORIES,
    HOURLY_DIVISOR,
    PART_TIME_WEEKS_PER_MONTH,
    ParameterSet,
    WithholdingGrid,
    load_parameter_sets,
    load_withholding,
)

HUNDRED = Decimal(100)
# Reasons that, when the region pays them, pay every day of the absence (no day-by-day limit).
ALWAYS_PAID_WHEN_PAID = frozenset(
    ABSENCE_REASONS.keys() - {"PUBLIC_HOLIDAY", "LOCAL_DAY", "LEGAL_LEAVE", "CENTRE_CLOSURE"}
)
THIRTY = Decimal(30)


class CaseError(ValueError):
    """An input the engine cannot compute; names the field at fault, in French."""

    def __init__(self, field_name: str, message: str):
        super().__init__(f"{field_name} : {message}")
        self.field = field_name
        self.message = message


@dataclass(frozen=True, slots=True)
class Absence:
    start: dt.date
    end: dt.date
    reason: str
    hours: Decimal | None = None  # part time: the hours the absence covers
    kind: str | None = None  # LEGAL_LEAVE: OWN_MARRIAGE, BIRTH, ...


@dataclass(slots=True)
class Case:
    region: str
    year: int
    month: int
    category: str
    birth_date: dt.date
    entry_date: dt.date
    weekly_hours: Decimal
    exit_date: dt.date | None = None
    absences: tuple[Absence, ...] = ()
    hours_present: Decimal | None = None
    prior_monthly_salary: Decimal | None = None
    distance_km: Decimal | None = None
    training_total_hours: Decimal | None = None
    tax_rate: Decimal | None = None  # percent; None: the default grid
    housing: bool = False
    prior_closure_days_paid: int = 0  # centre-closure days already paid in the 6-month window
    id: str = ""
    # The Region pays from this day only (a relay after France Travail's ARE, seed 001 §3.5.2):
    # days before it are outside the paid span, like days before entry; `pay_start_note` says why.
    pay_start: dt.date | None = None
    pay_start_note: str = ""


@dataclass(slots=True)
class Result:
    id: str
    monthly_amount: Decimal | None
    hourly_rate: Decimal
    paid_thirtieths: int | None
    paid_hours: Decimal | None
    remuneration: Decimal
    allowances: Decimal
    gross: Decimal
    withholding: Decimal
    net: Decimal
    explanation: list[str] = field(default_factory=list)
    version_label: str = ""
    version_start: dt.date | None = None


@dataclass(frozen=True, slots=True)
class Scale:
    """A category's amount for one age band in the version in force on a month's first day."""

    monthly: Decimal | None  # None for hourly-only categories and prior-salary amounts
    hourly: Decimal | None
    floor: Decimal | None
    ceiling: Decimal | None
    version_label: str
    version_start: dt.date
    text: str  # the explanation line for this amount
    by_thirtieths: tuple[Decimal, ...] = ()  # monthly x k / 30, half-up, for k in 0..30


class Engine:
    def __init__(self, sets: dict[str, ParameterSet] | None = None, withholding=None):
        self.sets = sets if sets is not None else load_parameter_sets()
        self.withholding: dict[str, list[WithholdingGrid]] = (
            withholding if withholding is not None else load_withholding()
        )
        self._scales: dict = {}
        self._months: dict = {}
        self._caps: dict = {}  # weekly hours -> the monthly hours cap

    # -- what a month and a version share ------------------------------------------------

    def _month(self, code: str, year: int, month: int):
        key = (code, year, month)
        ctx = self._months.get(key)
        if ctx is None:
            pset = self.sets[code]
            first, last = month_bounds(year, month)
            options = pset.options_at(first)
            grid = self._grid(pset.territory, first)
            # Below the first bound of a 0 % band, no need to look the rate up.
            zero_limit = grid.bounds[0] if grid and grid.rates[0] == 0 else Decimal(-1)
            ctx = (
                pset,
                first,
                last,
                last.day,
                options,
                grid,
                zero_limit,
                options.get("pay_above_training_hours"),
                Decimal(str(options["full_time_weekly_hours"])),
            )
            self._months[key] = ctx
        return ctx

    def options(self, code: str, day: dt.date) -> dict:
        """The parameter set's options in force on `day`."""
        return self._month(code, day.year, day.month)[4]

    def is_full_time(self, code: str, day: dt.date, weekly_hours: Decimal) -> bool:
        """Full time or part time, by the parameter set's dated threshold."""
        return weekly_hours >= self._month(code, day.year, day.month)[8]

    def _grid(self, territory: str, day: dt.date) -> WithholdingGrid | None:
        grids = self.withholding.get(territory) or []
        found = grids[0] if grids else None  # before the first known grid: the earliest one
        for grid in grids:
            if grid.start <= day:
                found = grid
        return found

    def _scale(self, pset: ParameterSet, first: dt.date, category: str, age: int, options):
        """The scale for an age at entry; resolved once per set, month, category and age
        segment (the union of the age bands that can apply, national ones included)."""
        key = (pset.code, first, category)
        segments = self._scales.get(key)
        if segments is None:
            if category not in CATEGORIES:
                raise CaseError("category", f"catégorie inconnue « {category} »")
            segments = self._segments(pset, first, category, options)
            self._scales[key] = segments
        for max_age, scale in segments:
            if age <= max_age:
                return scale
        return segments[-1][1]

    def _segments(self, pset, first, category, options):
        found = pset.amount_at(first, category)
        if found is None:  # raise with the right message
            return [(200, self._resolve_scale(pset, first, category, 0, options))]
        limits = {band.max_age for band in found[0].age_bands if band.max_age is not None}
        favourable = options.get("more_favourable")
        if favourable in self.sets:
            other = self.sets[favourable].amount_at(first, category)
            if other is not None:
                limits |= {b.max_age for b in other[0].age_bands if b.max_age is not None}
        bounds = sorted(limits) + [200]
        return [
            (bound, self._resolve_scale(pset, first, category, bound, options)) for bound in bounds
        ]

    def _resolve_scale(self, pset, first, category, age, options) -> Scale:
        found = pset.amount_at(first, category)
        if found is None:
            raise CaseError(
                "category",
                f"la catégorie {category} n'est pas prévue par « {pset.label} » au {fr(first)}",
            )
        version, amount = found
        derived = (
            f" (revalorisation par coefficient {number(version.coefficient)} de la version du "
            f"{fr(version.derived_from)})"
            if version.coefficient is not None
            else ""
        )
        head = (
            f"Barème « {version.label} » en vigueur au {fr(version.start)}{derived}, "
            f"catégorie {CATEGORIES[category]}"
        )
        if amount.is_prior_salary:
            return Scale(
                None,
                None,
                amount.floor,
                amount.ceiling,
                version.label,
                version.start,
                f"{head} : 100 % du salaire antérieur, entre {euros(amount.floor)} "
                f"et {euros(amount.ceiling)}",
            )
        if amount.is_hourly_only:
            if amount.hourly is not None:
                hourly, how = amount.hourly, ""
            else:
                hourly = cents(amount.hourly_from_monthly / HOURLY_DIVISOR)
                how = f" ({euros(amount.hourly_from_monthly)} / {number(HOURLY_DIVISOR)})"
            return Scale(
                None,
                hourly,
                None,
                None,
                version.label,
                version.start,
                f"{head} : taux horaire {euros(hourly)}{how}",
            )
        band = version.band_for_age(age)
        by_band = amount.monthly_by_band
        monthly = by_band.get("all", by_band.get(band.code))
        band_text = "" if "all" in by_band else f", {band.label} à l'entrée"
        text = f"{head}{band_text} : {euros(monthly)}"
        favourable = options.get("more_favourable")
        if favourable and favourable in self.sets and favourable != pset.code:
            other = self.sets[favourable].amount_at(first, category)
            if other is not None and other[1].monthly_by_band is not None:
                o_version, o_amount = other
                o_band = o_version.band_for_age(age)
                o_monthly = o_amount.monthly_by_band.get(
                    "all", o_amount.monthly_by_band.get(o_band.code)
                )
                if o_monthly > monthly:
                    text += (
                        f" ; le barème national « {o_version.label} » est plus favorable : "
                        f"{euros(o_monthly)}"
                    )
                    monthly = o_monthly
                    version = o_version
        return Scale(
            monthly,
            cents(monthly / HOURLY_DIVISOR),
            None,
            None,
            version.label,
            version.start,
            text,
            _thirtieths_table(monthly),
        )

    # -- the month's pay -----------------------------------------------------------------

    def compute(self, case: Case, explain: bool = True) -> Result:
        # Hot path: the month context and the scale come from caches; checks that only an
        # uncached month can fail run on a cache miss.
        ctx = self._months.get((case.region, case.year, case.month))
        if ctx is None:
            if case.region not in self.sets:
                raise CaseError("region", f"jeu de paramètres inconnu « {case.region} »")
            ctx = self._month(case.region, case.year, case.month)
        pset, first, last, last_day, options, grid, zero_limit, threshold, full_time_hours = ctx
        entry, exit_date = case.entry_date, case.exit_date
        if entry > last or (exit_date is not None and exit_date < first):
            raise CaseError("month", "le mois est hors de la période d'inscription du stagiaire")
        if exit_date is not None and exit_date < entry:
            raise CaseError("exit_date", "la date de sortie précède la date d'entrée")
        weekly = case.weekly_hours
        if weekly <= 0:
            raise CaseError("weekly_hours", "la durée hebdomadaire doit être positive")
        birth = case.birth_date
        age = entry.year - birth.year - ((entry.month, entry.day) < (birth.month, birth.day))
        scale = self._scale(pset, first, case.category, age, options)
        lines = [scale.text] if explain else None

        monthly = scale.monthly
        hourly = scale.hourly
        if scale.floor is not None:
            salary = case.prior_monthly_salary
            if salary is None:
                raise CaseError("prior_monthly_salary", "le salaire antérieur est obligatoire")
            monthly = min(max(salary, scale.floor), scale.ceiling)
            hourly = cents(monthly / HOURLY_DIVISOR)
            if explain:
                lines.append(f"Salaire antérieur {euros(salary)} : montant retenu {euros(monthly)}")

        start = entry if entry > first else first
        end = exit_date if exit_date is not None and exit_date < last else last
        unpaid_month = False
        if case.pay_start is not None and case.pay_start > start:
            start = case.pay_start
            unpaid_month = start > end
            if explain:
                note = f" ({case.pay_start_note})" if case.pay_start_note else ""
                lines.append(
                    f"Rémunération par la Région à partir du {fr(case.pay_start)}{note}"
                    + (" : aucun jour rémunéré ce mois-ci" if unpaid_month else "")
                )
        full_time = weekly >= full_time_hours and monthly is not None
        absences = (
            self._absence_days(case, options, pset, start, end, lines) if case.absences else ()
        )

        if full_time:
            first_index = 30 if start.day == last_day else (start.day if start.day < 30 else 30)
            last_index = 30 if end.day == last_day else (end.day if end.day < 30 else 30)
            span = 0 if unpaid_month else last_index - first_index + 1
            if explain and 0 < span < 30:
                lines.append(f"Présence du {fr(start)} au {fr(end)} : {span} trentièmes")
            unpaid_mask = 0
            for absence, unpaid_runs in absences:
                before = unpaid_mask
                for run_start, run_end in unpaid_runs:
                    a, b = thirtieth(run_start, last_day), thirtieth(run_end, last_day)
                    unpaid_mask |= ((1 << (b - a + 1)) - 1) << a
                if explain and unpaid_runs:
                    retained = (unpaid_mask & ~before).bit_count()
                    lines.append(
                        f"{_absence_label(absence)} du {fr(absence.start)} au {fr(absence.end)} :"
                        f" {retained} trentième{'s' if retained > 1 else ''} retenu"
                        f"{'s' if retained > 1 else ''}"
                    )
            paid = span - unpaid_mask.bit_count()
            table = scale.by_thirtieths if monthly is scale.monthly else None
            remuneration = table[paid] if table else cents(monthly * paid / THIRTY)
            fraction = None  # paid / 30, only computed if an allowance needs it
            paid_thirtieths, paid_hours = paid, None
            if explain:
                lines.append(f"{paid}/30 × {euros(monthly)} = {euros(remuneration)}")
        else:
            if case.hours_present is None:
                raise CaseError(
                    "hours_present",
                    "les heures de présence sont obligatoires à "
                    "temps partiel et pour une rémunération horaire",
                )
            if case.hours_present < 0:
                raise CaseError("hours_present", "les heures de présence sont négatives")
            absence_hours = ZERO
            for absence, unpaid_runs in absences:
                if absence.hours:
                    total = (min(absence.end, end) - max(absence.start, start)).days + 1
                    unpaid = sum((b - a).days + 1 for a, b in unpaid_runs)
                    if total > 0 and unpaid < total:
                        absence_hours += absence.hours * (total - unpaid) / total
            absence_hours = cents(absence_hours)
            cap = self._caps.get(weekly)
            if cap is None:
                cap = self._caps[weekly] = cents(weekly * PART_TIME_WEEKS_PER_MONTH)
            paid_hours = ZERO if unpaid_month else min(case.hours_present + absence_hours, cap)
            remuneration = cents(paid_hours * hourly)
            fraction = paid_hours / cap if cap else ZERO
            paid_thirtieths = None
            if explain:
                if monthly is not None:
                    lines.append(
                        f"Temps partiel ({number(case.weekly_hours)} h par semaine) : taux horaire "
                        f"{euros(monthly)} / {number(HOURLY_DIVISOR)} = {euros(hourly)}"
                    )
                paid_text = f"{number(case.hours_present)} h de présence"
                if absence_hours:
                    paid_text += f" + {number(absence_hours)} h d'absences rémunérées"
                lines.append(
                    f"Heures rémunérées : {paid_text}, plafond {number(case.weekly_hours)} × "
                    f"{number(PART_TIME_WEEKS_PER_MONTH)} = {number(cap)} h : "
                    f"{number(paid_hours)} h"
                )
                lines.append(f"{number(paid_hours)} h × {euros(hourly)} = {euros(remuneration)}")

        if (
            threshold is not None
            and case.training_total_hours is not None
            and case.training_total_hours <= threshold
        ):
            remuneration = ZERO
            if explain:
                lines.append(
                    f"Formation de {number(case.training_total_hours)} h : la rémunération n'est "
                    f"versée que pour les formations de plus de {threshold} h"
                )

        if unpaid_month:
            allowances = ZERO  # allowances follow the pay (seed 001 annex 1, note 1)
            gross = remuneration
        elif case.distance_km is not None or case.training_total_hours is not None:
            if fraction is None:
                fraction = Decimal(paid_thirtieths) / THIRTY
            allowances = self._allowances(case, options, fraction, lines)
            gross = remuneration + allowances
        else:
            allowances = ZERO
            gross = remuneration
        if case.tax_rate is None and remuneration <= zero_limit:
            rate, rate_text = ZERO, "grille par défaut (article 204 H du CGI)"
        elif case.tax_rate is not None:
            if not 0 <= case.tax_rate <= 100:
                raise CaseError("tax_rate", "le taux doit être compris entre 0 et 100 %")
            rate, rate_text = case.tax_rate, "taux personnalisé"
        else:
            rate = grid.rate_for(remuneration) if grid else ZERO
            rate_text = "grille par défaut (article 204 H du CGI)"
        withholding = cents(remuneration * rate / HUNDRED) if rate else ZERO
        if explain:
            if allowances:
                lines.append(
                    f"Brut : {euros(remuneration)} + {euros(allowances)} d'indemnités "
                    f"(non imposables) = {euros(gross)}"
                )
            lines.append(
                f"Prélèvement à la source, {rate_text} {number(rate)} % de "
                f"{euros(remuneration)} : {euros(withholding)}"
            )
            lines.append(
                f"Net : {euros(gross)} − {euros(withholding)} = {euros(gross - withholding)}"
            )
        return Result(
            case.id,
            monthly,
            hourly,
            paid_thirtieths,
            paid_hours,
            remuneration,
            allowances,
            gross,
            withholding,
            gross - withholding if withholding else gross,
            lines if explain else [],
            scale.version_label,
            scale.version_start,
        )

    # -- absences ------------------------------------------------------------------------

    def _absence_days(self, case, options, pset, start, end, lines):
        """For each absence inside the paid span: the runs of consecutive unpaid days."""
        if not case.absences:
            return ()
        rules = options.get("absences", {})
        closure_paid_so_far = case.prior_closure_days_paid
        out = []
        for i, absence in enumerate(case.absences):
            if absence.reason not in ABSENCE_REASONS:
                raise CaseError(f"absences[{i}].reason", f"motif inconnu « {absence.reason} »")
            if absence.end < absence.start:
                raise CaseError(f"absences[{i}].end", "la fin de l'absence précède son début")
            rule = rules.get(absence.reason, {"paid": False})
            a = absence.start if absence.start > start else start
            b = absence.end if absence.end < end else end
            if a > b:
                continue
            paid_rule = rule.get("paid")
            if not paid_rule or absence.reason in ALWAYS_PAID_WHEN_PAID:
                # The whole absence is one run, unpaid or paid: no day-by-day look.
                runs = [] if paid_rule else [(a, b)]
                if lines is not None and not runs:
                    lines.append(
                        f"{_absence_label(absence)} du {fr(absence.start)} au "
                        f"{fr(absence.end)} : rémunérée"
                    )
                out.append((absence, runs))
                continue
            days = [a + dt.timedelta(days=n) for n in range((b - a).days + 1)]
            if absence.reason in ("PUBLIC_HOLIDAY", "LOCAL_DAY"):
                paid_flags = [self._is_holiday(d, pset, options) for d in days]
            elif absence.reason == "LEGAL_LEAVE":
                allowed = options.get("legal_leave_days", {}).get(absence.kind)
                if allowed is None:
                    raise CaseError(
                        f"absences[{i}].kind",
                        "précisez le motif légal du congé "
                        "(OWN_MARRIAGE, BIRTH, DEATH_SPOUSE_OR_CHILD, ...)",
                    )
                paid_flags = [(d - absence.start).days < allowed for d in days]
            elif absence.reason == "CENTRE_CLOSURE" and "limit_days" in rule:
                limit = rule["limit_days"]
                if rule.get("per") == "closure":
                    paid_flags = [(d - absence.start).days < limit for d in days]
                else:
                    paid_flags = []
                    for _ in days:
                        paid_flags.append(closure_paid_so_far < limit)
                        closure_paid_so_far += 1
            else:
                paid_flags = [True] * len(days)
            runs, run_start = [], None
            for day, paid in zip(days, paid_flags, strict=True):
                if not paid and run_start is None:
                    run_start = day
                elif paid and run_start is not None:
                    runs.append((run_start, day - dt.timedelta(days=1)))
                    run_start = None
            if run_start is not None:
                runs.append((run_start, days[-1]))
            if lines is not None and not runs:
                lines.append(
                    f"{_absence_label(absence)} du {fr(absence.start)} au "
                    f"{fr(absence.end)} : rémunérée"
                )
            out.append((absence, runs))
        return out

    def _is_holiday(self, day, pset, options) -> bool:
        return day in public_holidays(day.year, pset.holidays_subdivision) or day in local_days(
            day.year, tuple(options.get("local_days") or ())
        )

    # -- allowances ----------------------------------------------------------------------

    def _allowances(self, case, options, fraction, lines) -> Decimal:
        total = ZERO
        regional = options.get("allowances")
        distance = case.distance_km
        if regional and distance is not None:
            if case.category in (regional.get("excluded_categories") or ()):
                if lines is not None:
                    lines.append(
                        "Indemnités de transport et d'hébergement : non prévues pour "
                        "cette catégorie"
                    )
            else:
                transport = _band_amount(regional.get("transport"), distance)
                housing = _band_amount(regional.get("housing"), distance) if case.housing else None
                chosen = []
                if housing is not None and not regional.get("cumulative"):
                    chosen = [("hébergement", housing)]
                else:
                    chosen = [
                        (k, v) for k, v in (("transport", transport), ("hébergement", housing)) if v
                    ]
                for label, amount in chosen:
                    part = cents(amount * fraction)
                    total += part
                    if lines is not None:
                        lines.append(
                            f"Indemnité de {label} ({number(distance)} km) : "
                            f"{euros(amount)} × {_fraction_text(fraction)} = {euros(part)}"
                        )
        gp = options.get("guadeloupe_allowances")
        hours = case.training_total_hours
        if gp and hours is not None:
            if hours > gp["long_training_above_hours"]:
                band = gp["long_training_transport"]
                if distance is not None and distance > band["above_km"]:
                    amount = Decimal(band["amount"])
                    part = cents(amount * fraction)
                    total += part
                    if lines is not None:
                        lines.append(
                            f"Indemnité de transport ({number(distance)} km, formation de "
                            f"plus de {gp['long_training_above_hours']} h) : "
                            f"{euros(amount)} × {_fraction_text(fraction)} = {euros(part)}"
                        )
            elif hours < gp["short_training_below_hours"] and fraction > 0:
                meals = Decimal(gp["short_training_meals"])
                part = cents(meals * fraction)
                total += part
                if lines is not None:
                    lines.append(
                        f"Défraiement repas (formation de moins de "
                        f"{gp['short_training_below_hours']} h) : {euros(meals)} × "
                        f"{_fraction_text(fraction)} = {euros(part)}"
                    )
                transport = _band_amount(gp["short_training_transport"], distance)
                if transport is not None:
                    total += transport
                    if lines is not None:
                        lines.append(
                            f"Défraiement transport ({number(distance)} km) : {euros(transport)}"
                        )
        return total


def _thirtieths_table(monthly: Decimal) -> tuple[Decimal, ...]:
    return tuple(cents(monthly * k / THIRTY) for k in range(31))


def _band_amount(bands, distance) -> Decimal | None:
    if not bands or distance is None:
        return None
    found = None
    for band in bands:
        if distance > Decimal(str(band["above_km"])):
            found = Decimal(str(band["amount"]))
    return found


def _fraction_text(fraction: Decimal) -> str:
    return f"{number(cents(fraction * 100))} %"


def _absence_label(absence: Absence) -> str:
    label = ABSENCE_REASONS[absence.reason]
    return label[0].upper() + label[1:]


def default_tax_rate(engine: Engine, territory: str, day: dt.date, taxable: Decimal) -> Decimal:
    """The non-personalised withholding rate (article 204 H CGI) for a monthly taxable amount."""
    grid = engine._grid(territory, day)
    return grid.rate_for(taxable) if grid else ZERO


@lru_cache(maxsize=1)
def default_engine() -> Engine:
    return Engine()


def compute(case: Case, explain: bool = True) -> Result:
    return default_engine().compute(case, explain=explain)


def entry_bonus(region: str, day: dt.date, category: str, distance_learning: bool = False):
    """The entry bonus an admission on `day` opens, with its explanation line, or None."""
    engine = default_engine()
    pset = engine.sets[region]
    bonus = pset.options_at(day).get("entry_bonus")
    if not bonus:
        return None
    if category in (bonus.get("excluded_categories") or ()):
        return None
    if distance_learning and bonus.get("excluded_when_distance_learning"):
        return None
    amount = Decimal(bonus["amount"])
    return amount, f"Aide forfaitaire à l'entrée en formation : {euros(amount)}"
