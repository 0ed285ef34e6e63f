"""A trainee-month's pay: plain data in (Case), plain data with its explanation out (Result).

RULES.md §4–§6. Every amount is a Decimal rounded half-up to the cent at the end of its
component. What a month and a parameter version share (the version, the options, the holidays,
the scale amounts per category and age band) is computed once and cached, so the per-case work
is small: the batch path (explain=False) skips building the French text.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, replace
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
FRACTIONS = tuple(Decimal(k) / THIRTY for k in range(31))  # paid thirtieths / 30
UNPAID_RULE = {"paid": False}  # a reason the set does not list
HOLIDAY_REASONS = ("PUBLIC_HOLIDAY", "LOCAL_DAY")
# Said once for the month, not per part.
PART_SKIP = ("Barème", "Prélèvement", "Net :", "Brut :", "Cotisations sociales")
MAX_HOLIDAY_SPAN_DAYS = 31  # a longer "holiday" is refused without looking day by day


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


@dataclass(frozen=True, slots=True)
class SickLeave:
    """A sick leave or a maternity / paternity leave, with the daily allowance the health
    insurance (CPAM) pays, as the agent enters it from the CPAM statement."""

    start: dt.date
    end: dt.date
    daily_allowance: Decimal
    kind: str = "SICKNESS"  # or MATERNITY_PATERNITY


SICK_LEAVE_KINDS = ("SICKNESS", "MATERNITY_PATERNITY")


@dataclass(frozen=True, slots=True)
class Journey:
    """An RS2 journey whose receipt the agent accepted: START_END (to the training at its
    start, or back at its end), TRAINING (required by the training: distance-learning periods,
    evaluations) or FAMILY (to visit the family)."""

    kind: str
    date: dt.date
    distance_km: Decimal
    receipt_amount: Decimal


JOURNEY_KINDS = {
    "START_END": "voyage de début ou de fin de stage",
    "TRAINING": "voyage lié aux nécessités du stage",
    "FAMILY": "voyage pour raison familiale",
}


@dataclass(frozen=True, slots=True)
class HoursPeriod:
    """A period of the training with its weekly hours; for a part-time period, the hours
    present during it in the month being paid."""

    start: dt.date
    end: dt.date
    weekly_hours: Decimal
    hours_present: Decimal | None = None


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
    # Entry bonus: the action's approval grants it; paid once per entry (the caller says
    # whether it already was); not for distance learning where the region says so.
    entry_bonus_granted: bool = False
    entry_bonus_paid: bool = False
    distance_learning: bool = False
    # Special publics (RULES.md §5, seed 001 §3.5-3.6, seed 004): the paid span, given as
    # dates or as the facts it follows from. Pay starts the day after a France Travail benefit
    # ends (relay), `latency_days` after the real end of a contract the trainee resigned from
    # (region option `resignation`), lasts `max_months` at most for a resigned trainee, and
    # stops at the end of a residence permit.
    pay_from: dt.date | None = None
    pay_until: dt.date | None = None
    resigned_contract_end: dt.date | None = None
    benefit_end: dt.date | None = None
    permit_end: dt.date | None = None
    # Sick / maternity leaves with the CPAM daily allowance: the region's complement where its
    # set says so (CVL), and the sickness complement days already paid in the enrollment.
    sick_leaves: tuple[SickLeave, ...] = ()
    prior_complement_days: int = 0
    # Weekly hours that change during the training (mixed full-time / part-time paths, seed
    # 001 §1.6): each period is paid by its own rule, see Engine._periods.
    weekly_hours_periods: tuple[HoursPeriod, ...] = ()
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
    entry_bonus: Decimal = ZERO  # taxable, in gross and in the withholding base
    # Paid by the region, not the trainee (L6342-3): the year's flat hourly base x the hours
    # (training hours and fully paid absence hours); None where the year's base is unknown.
    social_contributions: Decimal | None = None
    social_contribution_hours: Decimal | None = None
    # The region's complement to the health insurance's daily allowances (taxable), and the
    # sickness days it covers this month (to add to prior_complement_days next month).
    complement: Decimal = ZERO
    complement_days: int = 0


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
    # Prior-salary amounts where the national scale applies if more favourable: the national
    # floor and ceiling (the salary is per case, so the comparison is made per case).
    national_floor: Decimal | None = None
    national_ceiling: Decimal | None = None
    national_label: str = ""


class Engine:
    def __init__(self, sets: dict[str, ParameterSet] | None = None, withholding=None):
        self.sets = sets if sets is not None else load_parameter_sets()
        self.withholding: dict[str, list[WithholdingGrid]] = (
            withholding if withholding is not None else load_withholding()
        )
        self._scales: dict = {}
        self._resolved: dict = {}  # (category, age, version, amount, counterpart) -> Scale
        self._months: dict = {}
        self._caps: dict = {}  # weekly hours -> the monthly hours cap
        self._social: dict = {}  # (base, weekly hours, paid thirtieths) -> (hours, amount)
        self._bonuses: dict = {}  # (set, year, month, category, distance learning) -> bonus
        self._bands: dict = {}  # id of an option's band list -> its bands as Decimals

    # -- what a month and a version share ------------------------------------------------

    def _month(self, code: str, year: int, month: int):
        key = (code, year, month)
        ctx = self._months.get(key)
        if ctx is None:
            pset = self.sets[code]
            first, last = month_bounds(year, month)
            options = pset.options_at(first)
            grid = self._grid(pset.territory, first)
            # Below (strictly) the first bound of a 0 % band, no need to look the rate up.
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
                _social_base(options),
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
        if category == "ASS_PART_TIME" and options.get("ass_part_time") == "daily_ass_amount":
            return [(200, _ass_daily_scale(pset, first, options))]  # the same at every age
        found = pset.amount_at(first, category)
        if found is None:
            raise CaseError(
                "category",
                f"la catégorie {category} n'est pas prévue par « {pset.label} » au {fr(first)}",
            )
        limits = {band.max_age for band in found[0].age_bands if band.max_age is not None}
        counterpart = self._counterpart(pset, first, category, options)
        if counterpart is not None and counterpart[3] is None:
            limits |= {b.max_age for b in counterpart[0].age_bands if b.max_age is not None}
        bounds = sorted(limits) + [200]
        return [
            (bound, self._resolve_scale(found, counterpart, category, bound)) for bound in bounds
        ]

    def _counterpart(self, pset, first, category, options):
        """Where the region says the national scale applies when more favourable: the national
        (version, amount, category, fixed band or None) the category is compared with. A region
        category the national scale names differently is mapped by `national_equivalents`
        (category, and optionally a fixed band; else the band of the age at entry)."""
        favourable = options.get("more_favourable")
        if not favourable or favourable not in self.sets or favourable == pset.code:
            return None
        target, band = category, None
        equivalent = (options.get("national_equivalents") or {}).get(category)
        if isinstance(equivalent, str):
            target = equivalent
        elif isinstance(equivalent, dict):
            target, band = equivalent["category"], equivalent.get("band")
        other = self.sets[favourable].amount_at(first, target)
        if other is None:
            return None
        return other[0], other[1], target, band

    def _resolve_scale(self, found, counterpart, category, age) -> Scale:
        """The scale of a version's amount (`amount_at`) and national counterpart for an age.
        A version lasts many months: its scale (text included) is built once per version,
        amount, national counterpart and age, not once per month (the objects live in
        self.sets as long as the engine does, so their ids are stable)."""
        key = (
            category,
            age,
            id(found[0]),
            id(found[1]),
            None
            if counterpart is None
            else (id(counterpart[0]), id(counterpart[1]), *counterpart[2:]),
        )
        scale = self._resolved.get(key)
        if scale is None:
            scale = self._resolved[key] = self._build_scale(found, counterpart, category, age)
        return scale

    def _build_scale(self, found, counterpart, category, age) -> Scale:
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
            text = (
                f"{head} : 100 % du salaire antérieur, entre {euros(amount.floor)} "
                f"et {euros(amount.ceiling)}"
            )
            n_floor = n_ceiling = None
            n_label = ""
            if counterpart is not None and counterpart[1].is_prior_salary:
                n_version, n_amount = counterpart[0], counterpart[1]
                if (n_amount.floor, n_amount.ceiling) != (amount.floor, amount.ceiling):
                    n_floor, n_ceiling, n_label = n_amount.floor, n_amount.ceiling, n_version.label
                    text += (
                        f" ; barème national « {n_label} » si plus favorable : entre "
                        f"{euros(n_floor)} et {euros(n_ceiling)}"
                    )
            return Scale(
                None,
                None,
                amount.floor,
                amount.ceiling,
                version.label,
                version.start,
                text,
                national_floor=n_floor,
                national_ceiling=n_ceiling,
                national_label=n_label,
            )
        if amount.is_hourly_only:
            if amount.hourly is not None:
                hourly, how = amount.hourly, ""
            else:
                hourly = cents(amount.hourly_from_monthly / HOURLY_DIVISOR)
                how = f" ({euros(amount.hourly_from_monthly)} / {number(HOURLY_DIVISOR)})"
            text = f"{head} : taux horaire {euros(hourly)}{how}"
            if counterpart is not None and counterpart[1].hourly is not None:
                n_version, n_amount = counterpart[0], counterpart[1]
                if n_amount.hourly > hourly:
                    text += (
                        f" ; le barème national « {n_version.label} » est plus favorable : "
                        f"{euros(n_amount.hourly)} de l'heure"
                    )
                    hourly, version = n_amount.hourly, n_version
            return Scale(None, hourly, None, None, version.label, version.start, text)
        band = version.band_for_age(age)
        by_band = amount.monthly_by_band
        monthly = by_band.get("all", by_band.get(band.code))
        band_text = "" if "all" in by_band else f", {band.label} à l'entrée"
        text = f"{head}{band_text} : {euros(monthly)}"
        if counterpart is not None and counterpart[1].monthly_by_band is not None:
            o_version, o_amount, o_category, o_band_code = counterpart
            by_band = o_amount.monthly_by_band
            o_band = o_band_code or o_version.band_for_age(age).code
            o_monthly = by_band.get("all", by_band.get(o_band))
            if o_monthly is not None and o_monthly > monthly:
                named = f", catégorie {CATEGORIES[o_category]}" if o_category != category else ""
                text += (
                    f" ; le barème national « {o_version.label} »{named} est plus favorable : "
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

    def compute(
        self, case: Case, explain: bool = True, parts=None, period_hours: bool = False
    ) -> Result:
        # Hot path: the month context and the scale come from caches; checks that only an
        # uncached month can fail run on a cache miss. `parts`, `period_hours`: internal, for
        # a month of changing weekly hours (see _periods).
        if case.weekly_hours_periods and parts is None:
            return self._periods(case, explain)
        ctx = self._months.get((case.region, case.year, case.month))
        if ctx is None:
            if case.region not in self.sets:
                raise CaseError("region", f"jeu de paramètres inconnu « {case.region} »")
            ctx = self._month(case.region, case.year, case.month)
        (
            pset,
            first,
            last,
            last_day,
            options,
            grid,
            zero_limit,
            threshold,
            full_time_hours,
            social_base,
        ) = ctx
        entry, exit_date = case.entry_date, case.exit_date
        if entry > last or (exit_date is not None and exit_date < first and not case.sick_leaves):
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
            if scale.national_floor is not None:
                national = min(max(salary, scale.national_floor), scale.national_ceiling)
                if national > monthly:
                    if explain:
                        lines.append(
                            f"Salaire antérieur {euros(salary)} : {euros(monthly)} au barème "
                            f"régional, {euros(national)} au barème national, plus favorable"
                        )
                    monthly = national
            hourly = cents(monthly / HOURLY_DIVISOR)
            if explain:
                lines.append(f"Salaire antérieur {euros(salary)} : montant retenu {euros(monthly)}")

        if parts is not None:  # the month's periods of weekly hours, already paid
            (
                remuneration,
                allowances,
                paid_thirtieths,
                paid_hours,
                social,
                social_hours,
                part_lines,
            ) = parts
            gross = remuneration + allowances
            if explain:
                lines.extend(part_lines)
        else:
            start = entry if entry > first else first
            end = exit_date if exit_date is not None and exit_date < last else last
            present = case.hours_present
            if case.pay_start is not None and case.pay_start > start:
                # The relay's first day (admission): the caller counts part-time hours from it.
                start = case.pay_start
                if explain:
                    note = f" ({case.pay_start_note})" if case.pay_start_note else ""
                    lines.append(
                        f"Rémunération par la Région à partir du {fr(case.pay_start)}{note}"
                        + (" : aucun jour rémunéré ce mois-ci" if start > end else "")
                    )
            if (
                case.pay_from is not None
                or case.pay_until is not None
                or case.resigned_contract_end is not None
                or case.benefit_end is not None
                or case.permit_end is not None
            ):
                pay_from, pay_until = self._paid_span(case, pset, lines)
                enrolled_days = (end - start).days + 1
                if pay_from is not None and pay_from > start:
                    start = pay_from
                if pay_until is not None and pay_until < end:
                    end = pay_until
                paid_days = max(0, (end - start).days + 1)
                if paid_days < enrolled_days and present is not None and not period_hours:
                    # Hours are declared for the month: those of the paid days, prorated by days.
                    present = cents(present * paid_days / enrolled_days)
                if explain:
                    lines.append(
                        f"Période rémunérée du {fr(start)} au {fr(end)}"
                        if paid_days
                        else "Aucun jour rémunéré ce mois-ci"
                    )
            full_time = weekly >= full_time_hours and monthly is not None
            absences = (
                self._absence_days(case, options, pset, start, end, lines) if case.absences else ()
            )

            if full_time:
                first_index = 30 if start.day == last_day else (start.day if start.day < 30 else 30)
                last_index = 30 if end.day == last_day else (end.day if end.day < 30 else 30)
                span = last_index - first_index + 1 if start <= end else 0
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
                            f"{_absence_label(absence)} du {fr(absence.start)} au "
                            f"{fr(absence.end)} :"
                            f" {retained} trentième{'s' if retained > 1 else ''} retenu"
                            f"{'s' if retained > 1 else ''}"
                        )
                paid = span - unpaid_mask.bit_count()
                table = scale.by_thirtieths if monthly is scale.monthly else None
                remuneration = table[paid] if table else cents(monthly * paid / THIRTY)
                fraction = None  # paid / 30, only computed if an allowance needs it
                paid_thirtieths, paid_hours = paid, None
                if social_base is None:
                    social_hours = social = None
                elif present is not None:
                    social_hours = present + self._paid_absence_hours(absences, start, end)
                    social = cents(social_hours * social_base)
                else:  # no hours declared: the monthly hours x paid thirtieths / 30
                    key = (social_base, weekly, paid)
                    found = self._social.get(key)
                    if found is None:
                        hours = cents(self._cap(weekly) * paid / THIRTY)
                        found = self._social[key] = (hours, cents(hours * social_base))
                    social_hours, social = found
                if explain:
                    lines.append(f"{paid}/30 × {euros(monthly)} = {euros(remuneration)}")
            else:
                if start > end:
                    present = ZERO  # no paid day this month: no paid hour either
                if present is None:
                    raise CaseError(
                        "hours_present",
                        "les heures de présence sont obligatoires à "
                        "temps partiel et pour une rémunération horaire",
                    )
                if present < 0:
                    raise CaseError("hours_present", "les heures de présence sont négatives")
                absence_hours = self._paid_absence_hours(absences, start, end) if absences else ZERO
                cap = self._caps.get(weekly)
                if cap is None:
                    cap = self._cap(weekly)
                paid_hours = min(present + absence_hours, cap)
                remuneration = cents(paid_hours * hourly)
                if social_base is None:
                    social_hours = social = None
                else:
                    social_hours, social = paid_hours, cents(paid_hours * social_base)
                fraction = paid_hours / cap if cap else ZERO
                paid_thirtieths = None
                if explain:
                    if monthly is not None:
                        lines.append(
                            f"Temps partiel ({number(case.weekly_hours)} h par semaine) : "
                            f"taux horaire {euros(monthly)} / {number(HOURLY_DIVISOR)} = "
                            f"{euros(hourly)}"
                        )
                    paid_text = f"{number(present)} h de présence"
                    if absence_hours:
                        paid_text += f" + {number(absence_hours)} h d'absences rémunérées"
                    lines.append(
                        f"Heures rémunérées : {paid_text}, plafond {number(case.weekly_hours)} × "
                        f"{number(PART_TIME_WEEKS_PER_MONTH)} = {number(cap)} h : "
                        f"{number(paid_hours)} h"
                    )
                    lines.append(
                        f"{number(paid_hours)} h × {euros(hourly)} = {euros(remuneration)}"
                    )

            if (
                threshold is not None
                and case.training_total_hours is not None
                and case.training_total_hours <= threshold
            ):
                remuneration = ZERO
                if explain:
                    lines.append(
                        f"Formation de {number(case.training_total_hours)} h : la rémunération "
                        f"n'est versée que pour les formations de plus de {threshold} h"
                    )

            if start > end:
                allowances = ZERO  # allowances follow the pay (seed 001 annex 1, note 1)
                gross = remuneration
            elif case.distance_km is not None or case.training_total_hours is not None:
                if fraction is None:
                    fraction = FRACTIONS[paid_thirtieths]
                allowances = self._allowances(case, options, fraction, lines, age)
                gross = remuneration + allowances
            else:
                allowances = ZERO
                gross = remuneration
        taxable = remuneration
        complement, complement_days = ZERO, 0
        if case.sick_leaves:
            complement, complement_days = self._complement(case, monthly, first, last, lines)
            taxable += complement
            gross += complement
        bonus = ZERO
        if case.entry_bonus_granted and not case.entry_bonus_paid:
            found = self.entry_bonus(
                case.region, case.entry_date, case.category, case.distance_learning
            )
            if found is not None:
                bonus = found[0]
                taxable += bonus
                gross += bonus
            if explain:
                lines.append(
                    f"{found[1]} (imposable)"
                    if found is not None
                    else "Aide forfaitaire à l'entrée en formation : non prévue pour ce stagiaire"
                )
        if case.tax_rate is None and taxable < zero_limit:
            rate, rate_text = ZERO, "grille par défaut (article 204 H du CGI)"
        elif case.tax_rate is not None:
            if not 0 <= case.tax_rate <= 100:
                raise CaseError("tax_rate", "le taux doit être compris entre 0 et 100 %")
            rate, rate_text = case.tax_rate, "taux personnalisé"
        else:
            rate = grid.rate_for(taxable) if grid else ZERO
            rate_text = "grille par défaut (article 204 H du CGI)"
        withholding = cents(taxable * rate / HUNDRED) if rate else ZERO
        if explain:
            if allowances or bonus or complement:
                parts = [euros(remuneration)]
                if complement:
                    parts.append(f"{euros(complement)} de complément")
                if bonus:
                    parts.append(f"{euros(bonus)} d'aide à l'entrée")
                if allowances:
                    parts.append(f"{euros(allowances)} d'indemnités (non imposables)")
                lines.append(f"Brut : {' + '.join(parts)} = {euros(gross)}")
            lines.append(
                f"Prélèvement à la source, {rate_text} {number(rate)} % de "
                f"{euros(taxable)} : {euros(withholding)}"
            )
            lines.append(
                f"Net : {euros(gross)} − {euros(withholding)} = {euros(gross - withholding)}"
            )
            if social is not None:
                lines.append(_social_text(social_base, social_hours, case.year)[1])
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
            bonus,
            social,
            social_hours,
            complement,
            complement_days,
        )

    # -- many months at once ---------------------------------------------------------------

    def compute_many(self, cases) -> list[Result]:
        """The batch path: each case's result without explanation, in the cases' order (the
        explanation is computed on demand by `compute(case)`), through the columnar path
        (columns.py: integer cents in NumPy for the common shapes, this per-case path for the
        rest). Raises what `compute` raises for the first case in order that cannot be computed.
        Computing each distinct situation once was tried and measured (issue 18 §4): building
        its key costs about as much as the computation itself (about 3.5 µs), so it is not
        done."""
        return self.compute_columns(cases).results()

    def compute_columns(self, cases, errors: str = "raise"):
        """The batch path in columns (columns.Columns): `net` in int64 cents, `net_total()`,
        `result(i)` / `results()` for the Result objects; errors="skip": None for a case that
        raises CaseError."""
        from .columns import compute_columns

        return compute_columns(self, cases, errors)

    def compute_rows(self, rows, errors: str = "raise"):
        """compute_columns for rows of plain values (columns.ROW_FIELDS: the fields a Case of
        the common shapes is built from, as a database cursor gives them), read into columns
        without building a Case but for the rows the per-case path computes."""
        from .columns import compute_rows

        return compute_rows(self, rows, errors)

    def _periods(self, case: Case, explain: bool) -> Result:
        """A month of a training whose weekly hours change (seed 001 §1.6: REMU FP cannot
        mix full and part time and has agents regularise by hand; the product pays each part
        by its own rule). Each period's part of the month is paid as a month restricted to
        it: a full-time part in thirtieths of its days (absences in it retained as usual), a
        part-time part by the hour for the hours present in it (cap: its weekly hours x 4.33);
        allowances and social contributions likewise per part. The parts are added; the
        complement, the entry bonus and the withholding apply once to the month's total. Days
        of the month in no period are not paid."""
        first, last = month_bounds(case.year, case.month)
        count = 0
        remuneration = allowances = ZERO
        social = social_hours = None
        thirtieths = hours = None
        part_lines: list[str] = []
        for i, period in enumerate(sorted(case.weekly_hours_periods, key=lambda p: p.start)):
            if period.end < period.start:
                raise CaseError(f"weekly_hours_periods[{i}].end", "la fin précède le début")
            a, b = max(period.start, first), min(period.end, last)
            if a > b:
                continue
            part = self.compute(
                replace(
                    case,
                    weekly_hours=period.weekly_hours,
                    hours_present=period.hours_present,
                    pay_from=a if case.pay_from is None or a > case.pay_from else case.pay_from,
                    pay_until=b if case.pay_until is None or b < case.pay_until else case.pay_until,
                    weekly_hours_periods=(),
                    sick_leaves=(),
                    entry_bonus_granted=False,
                    tax_rate=ZERO,
                ),
                explain,
                period_hours=True,
            )
            count += 1
            remuneration += part.remuneration
            allowances += part.allowances
            if part.social_contributions is not None:
                social = (social or ZERO) + part.social_contributions
                social_hours = (social_hours or ZERO) + part.social_contribution_hours
            if part.paid_thirtieths is not None:
                thirtieths = (thirtieths or 0) + part.paid_thirtieths
            if part.paid_hours is not None:
                hours = (hours or ZERO) + part.paid_hours
            if explain:
                part_lines.append(
                    f"Période du {fr(a)} au {fr(b)}, {number(period.weekly_hours)} h par "
                    f"semaine : {euros(part.remuneration)}"
                )
                part_lines.extend(
                    "  " + line for line in part.explanation if not line.startswith(PART_SKIP)
                )
        if explain and count > 1:
            part_lines.append(f"Rémunération du mois : {euros(remuneration)}")
        return self.compute(
            case,
            explain,
            parts=(remuneration, allowances, thirtieths, hours, social, social_hours, part_lines),
        )

    def entry_bonus(
        self, code: str, day: dt.date, category: str, distance_learning: bool = False
    ) -> tuple[Decimal, str] | None:
        """The entry bonus an admission on `day` opens, with its explanation line, or None
        (the options of `day`'s month, like every option; cached per month)."""
        key = (code, day.year, day.month, category, distance_learning)
        if key in self._bonuses:
            return self._bonuses[key]
        bonus = self.options(code, day).get("entry_bonus")
        found = None
        if (
            bonus
            and category not in (bonus.get("excluded_categories") or ())
            and not (distance_learning and bonus.get("excluded_when_distance_learning"))
        ):
            amount = Decimal(bonus["amount"])
            found = amount, f"Aide forfaitaire à l'entrée en formation : {euros(amount)}"
        self._bonuses[key] = found
        return found

    def _paid_span(self, case: Case, pset, lines) -> tuple[dt.date | None, dt.date | None]:
        """The first and last day the trainee may be paid (None: not limited), with why."""
        pay_from, pay_until = case.pay_from, case.pay_until
        notes = []
        if case.benefit_end is not None:
            day = case.benefit_end + dt.timedelta(days=1)
            pay_from = day if pay_from is None or day > pay_from else pay_from
            notes.append(
                f"Relais France Travail : allocation jusqu'au {fr(case.benefit_end)}, "
                f"rémunération à partir du {fr(day)}"
            )
        if case.resigned_contract_end is not None:
            rule = self.options(pset.code, case.entry_date).get("resignation") or {}
            ended = case.resigned_contract_end
            if rule.get("latency_days") is not None:
                day = ended + dt.timedelta(days=int(rule["latency_days"]))
                pay_from = day if pay_from is None or day > pay_from else pay_from
                notes.append(
                    f"Démission (fin réelle du contrat le {fr(ended)}) : rémunération "
                    f"{rule['latency_days']} jours calendaires après, à partir du {fr(day)}"
                )
            if rule.get("max_months") is not None:
                first_paid = max(case.entry_date, pay_from or case.entry_date)
                day = _add_months(first_paid, int(rule["max_months"])) - dt.timedelta(days=1)
                pay_until = day if pay_until is None or day < pay_until else pay_until
                notes.append(
                    f"Démission : rémunération pendant {rule['max_months']} mois au plus, "
                    f"du {fr(first_paid)} au {fr(day)}"
                )
            if not rule:
                notes.append("Démission : pas de règle particulière dans ce jeu de paramètres")
        if case.permit_end is not None:
            pay_until = (
                case.permit_end if pay_until is None or case.permit_end < pay_until else pay_until
            )
            notes.append(
                f"Titre de séjour valable jusqu'au {fr(case.permit_end)} : rémunération "
                f"jusqu'à cette date"
            )
        if lines is not None:
            lines.extend(notes)
        return pay_from, pay_until

    def _complement(self, case, monthly, first, last, lines) -> tuple[Decimal, int]:
        """The region's complement to the CPAM daily allowances on the month's days of each
        leave: sickness after the waiting days, within the region's maximum days and no later
        than its limit after the training's end; maternity / paternity up to its percentage.
        Per calendar day: percent x monthly amount / 30 − the daily allowance, if positive."""
        options = self.options(case.region, first)
        waiting = options.get("sickness_waiting_days") or 0
        rules = {
            "SICKNESS": options.get("sickness_complement"),
            "MATERNITY_PATERNITY": options.get("maternity_complement"),
        }
        used = case.prior_complement_days
        total, sick_days = ZERO, 0
        for i, leave in enumerate(sorted(case.sick_leaves, key=lambda x: x.start)):
            if leave.kind not in SICK_LEAVE_KINDS:
                raise CaseError(f"sick_leaves[{i}].kind", f"type d'arrêt inconnu « {leave.kind} »")
            if leave.end < leave.start:
                raise CaseError(f"sick_leaves[{i}].end", "la fin de l'arrêt précède son début")
            if leave.daily_allowance < 0:
                raise CaseError(f"sick_leaves[{i}].daily_allowance", "montant négatif")
            a, b = max(leave.start, first), min(leave.end, last)
            if a > b:
                continue
            label = "Arrêt maladie" if leave.kind == "SICKNESS" else "Congé maternité ou paternité"
            head = f"{label} du {fr(leave.start)} au {fr(leave.end)}"
            if leave.kind == "SICKNESS" and waiting:
                last_waiting = leave.start + dt.timedelta(days=waiting - 1)
                if a <= last_waiting and lines is not None:
                    lines.append(
                        f"{head} : délai de carence de {waiting} jours, jusqu'au "
                        f"{fr(last_waiting)}, indemnisé par personne"
                    )
                a = max(a, last_waiting + dt.timedelta(days=1))
            rule = rules[leave.kind]
            if not rule:
                if lines is not None:
                    lines.append(f"{head} : pas de complément de la Région")
                continue
            if monthly is None:
                if lines is not None:
                    lines.append(f"{head} : pas de complément pour une rémunération horaire")
                continue
            limit_after = rule.get("until_days_after_training")
            if limit_after is not None and case.exit_date is not None:
                b = min(b, case.exit_date + dt.timedelta(days=limit_after))
            days = max(0, (b - a).days + 1)
            if leave.kind == "SICKNESS" and rule.get("max_days") is not None:
                days = max(0, min(days, rule["max_days"] - used))
                used += days
                sick_days += days
            if not days:
                if lines is not None:
                    lines.append(f"{head} : aucun jour de complément ce mois-ci")
                continue
            percent = Decimal(str(rule.get("percent", 100)))
            daily = monthly * percent / HUNDRED / THIRTY
            per_day = daily - leave.daily_allowance
            amount = cents(per_day * days) if per_day > 0 else ZERO
            total += amount
            if lines is not None:
                lines.append(
                    f"{head} : complément de la Région sur {days} jour{'s' if days > 1 else ''}, "
                    f"({number(percent)} % × {euros(monthly)} / 30 − {euros(leave.daily_allowance)}"
                    f" d'indemnités journalières) × {days} = {euros(amount)}"
                )
        return total, sick_days

    def transport_costs(
        self,
        code: str,
        day: dt.date,
        journeys: list[Journey] | tuple[Journey, ...],
        *,
        age: int,
        training_months: Decimal,
        family: bool = False,
    ) -> tuple[Decimal, list[Decimal], list[str]]:
        """RS2 actual transport costs: what the journeys (every accepted one of the training,
        so the limits count right) give back under the region's rules in force on `day` (the
        training's start), for a trainee of `age` at entry, married or with a family or not.
        Returns the total, the amount of each journey (same order) and the French lines. Not
        taxable; the runs pay it as its own component."""
        rule = self.options(code, day).get("transport_costs")
        if not rule:
            return ZERO, [ZERO] * len(journeys), ["Frais de transport au réel : non prévus"]
        above = Decimal(str(rule["above_km"]))
        full_kinds = set(rule.get("full") or ())
        limited = rule.get("limited") or {}
        limit = None
        for candidate in limited.get("rules") or ():
            if _limit_applies(candidate, age, training_months, family):
                limit = candidate
                break
        used: dict = {}
        amounts, lines = [], []
        total = ZERO
        for i, journey in enumerate(sorted(journeys, key=lambda j: j.date)):
            if journey.kind not in JOURNEY_KINDS:
                raise CaseError(f"journeys[{i}].kind", f"type de voyage inconnu « {journey.kind} »")
            if journey.receipt_amount < 0 or journey.distance_km < 0:
                raise CaseError(f"journeys[{i}]", "montant ou distance négatif")
            head = f"{JOURNEY_KINDS[journey.kind].capitalize()} du {fr(journey.date)}"
            amount, why = ZERO, ""
            if journey.distance_km <= above:
                why = f"{number(journey.distance_km)} km, pas plus de {number(above)} km"
            elif journey.kind in full_kinds:
                amount, why = cents(journey.receipt_amount), "en totalité"
            elif journey.kind in (limited.get("kinds") or ()) and limit is not None:
                period = _limit_period(limit["per"], journey.date)
                if used.get(period, 0) < limit["count"]:
                    used[period] = used.get(period, 0) + 1
                    percent = Decimal(str(limit.get("percent", 100)))
                    amount = cents(journey.receipt_amount * percent / HUNDRED)
                    why = f"{number(percent)} %, {_limit_text(limit)}"
                else:
                    why = f"au-delà de la limite ({_limit_text(limit)})"
            else:
                why = "non prévu pour ce stagiaire"
            amounts.append(amount)
            total += amount
            lines.append(
                f"{head} ({number(journey.distance_km)} km, justificatif "
                f"{euros(journey.receipt_amount)}) : {euros(amount)} ({why})"
            )
        lines.append(f"Frais de transport au réel (non imposables) : {euros(total)}")
        order = sorted(range(len(journeys)), key=lambda k: journeys[k].date)
        in_order = [ZERO] * len(journeys)
        for position, index in enumerate(order):
            in_order[index] = amounts[position]
        return total, in_order, lines

    def _band_amount(self, bands, distance) -> Decimal | None:
        """The amount of the last distance band the distance reaches, or None."""
        if not bands or distance is None:
            return None
        # The bands as Decimals, converted once (the option lists live as long as the engine).
        parsed = self._bands.get(id(bands))
        if parsed is None:
            parsed = self._bands[id(bands)] = tuple(
                (
                    "above_km" in band,
                    Decimal(str(band["above_km"] if "above_km" in band else band["from_km"])),
                    Decimal(str(band["amount"])),
                )
                for band in bands
            )
        found = None
        for strictly, limit, amount in parsed:  # above_km: more than; from_km: that or more
            if distance > limit if strictly else distance >= limit:
                found = amount
        return found

    def _cap(self, weekly: Decimal) -> Decimal:
        cap = self._caps.get(weekly)
        if cap is None:
            cap = self._caps[weekly] = cents(weekly * PART_TIME_WEEKS_PER_MONTH)
        return cap

    def _paid_absence_hours(self, absences, start, end) -> Decimal:
        """The declared hours of paid absence days (each absence prorated by its paid days)."""
        total_hours = ZERO
        for absence, unpaid_runs in absences:
            if absence.hours:
                total = (min(absence.end, end) - max(absence.start, start)).days + 1
                unpaid = sum((b - a).days + 1 for a, b in unpaid_runs)
                if total > 0 and unpaid < total:
                    total_hours += absence.hours * (total - unpaid) / total
        return cents(total_hours)

    def social_contributions(
        self, code: str, day: dt.date, hours: Decimal
    ) -> tuple[Decimal | None, str]:
        """What the region pays for `hours` of training in `day`'s month (a P2S-only trainee,
        not paid, has only these): the year's flat hourly base x hours, with its line."""
        if hours < 0:
            raise CaseError("hours", "les heures sont négatives")
        base = _social_base(self.options(code, day))
        return _social_text(base, hours, day.year)

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
            rule = rules.get(absence.reason, UNPAID_RULE)
            a = absence.start if absence.start > start else start
            b = absence.end if absence.end < end else end
            if a > b:
                continue
            if absence.reason in HOLIDAY_REASONS:
                errors = self.holiday_errors(pset.code, a, b, absence.reason)
                if errors:
                    raise CaseError(f"absences[{i}].start", " ; ".join(errors))
            paid_rule = rule.get("paid")
            if not paid_rule or absence.reason in ALWAYS_PAID_WHEN_PAID:
                # The whole absence is one run, unpaid or paid: no day-by-day look.
                runs = [] if paid_rule else [(a, b)]
                if (
                    paid_rule
                    and absence.reason == "SICKNESS"
                    and (waiting := options.get("sickness_waiting_days") or 0)
                ):
                    # Days 1-3 of a sick leave are paid by no one, even where it is paid.
                    last_waiting = absence.start + dt.timedelta(days=waiting - 1)
                    if a <= last_waiting:
                        runs = [(a, min(b, last_waiting))]
                if lines is not None and not runs:
                    lines.append(
                        f"{_absence_label(absence)} du {fr(absence.start)} au "
                        f"{fr(absence.end)} : rémunérée"
                    )
                out.append((absence, runs))
                continue
            days = [a + dt.timedelta(days=n) for n in range((b - a).days + 1)]
            if absence.reason in ("PUBLIC_HOLIDAY", "LOCAL_DAY"):
                paid_flags = [True] * len(days)  # every day is one (checked above)
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

    def holiday_errors(self, code: str, start: dt.date, end: dt.date, reason: str) -> list[str]:
        """Why an absence for a public holiday or a local day cannot be what it claims: one
        French message per day of start..end that is not one in the region's calendar (empty
        when every day is, or for any other reason). Statements, imports and the API call it
        where the absence is entered; the engine raises CaseError for such an absence."""
        if reason not in HOLIDAY_REASONS:
            return []
        if code not in self.sets:
            raise CaseError("region", f"jeu de paramètres inconnu « {code} »")
        pset = self.sets[code]
        if end < start:
            return ["la fin de l'absence précède son début"]
        if (end - start).days >= MAX_HOLIDAY_SPAN_DAYS:
            return [
                f"une absence pour jour férié du {fr(start)} au {fr(end)} couvre plus de "
                f"{MAX_HOLIDAY_SPAN_DAYS} jours"
            ]
        errors = []
        day = start
        while day <= end:
            public = day in public_holidays(day.year, pset.holidays_subdivision)
            local = day in local_days(
                day.year, tuple(self.options(code, day).get("local_days") or ())
            )
            if reason == "PUBLIC_HOLIDAY" and not public:
                hint = " (c'est un jour férié local : motif « jour férié local »)" if local else ""
                errors.append(
                    f"le {fr(day)} n'est pas un jour férié du calendrier « {pset.label} »{hint}"
                )
            elif reason == "LOCAL_DAY" and not local:
                hint = " (c'est un jour férié légal : motif « jour férié »)" if public else ""
                errors.append(
                    f"le {fr(day)} n'est pas un jour férié local du calendrier "
                    f"« {pset.label} »{hint}"
                )
            day += dt.timedelta(days=1)
        return errors

    # -- allowances ----------------------------------------------------------------------

    def _allowances(self, case, options, fraction, lines, age) -> Decimal:
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
                transport = self._band_amount(regional.get("transport"), distance)
                housing_bands = regional.get("housing")
                minors = regional.get("minors")
                if minors and age <= minors["max_age"] and "housing" in minors:
                    housing_bands = minors["housing"]  # minors' own housing amounts
                housing = self._band_amount(housing_bands, distance) if case.housing else None
                chosen = []
                if housing is not None and not regional.get("cumulative"):
                    chosen = [("d'hébergement", housing)]
                else:
                    chosen = [
                        (k, v)
                        for k, v in (("de transport", transport), ("d'hébergement", housing))
                        if v
                    ]
                for label, amount in chosen:
                    part = cents(amount * fraction)
                    total += part
                    if lines is not None:
                        lines.append(
                            f"Indemnité {label} ({number(distance)} km) : "
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
            elif fraction > 0:  # every other length: défraiements (no gap between the two)
                meals = Decimal(gp["short_training_meals"])
                part = cents(meals * fraction)
                total += part
                if lines is not None:
                    lines.append(
                        f"Défraiement repas (formation de {gp['long_training_above_hours']} h "
                        f"ou moins) : {euros(meals)} × {_fraction_text(fraction)} = {euros(part)}"
                    )
                transport = self._band_amount(gp["short_training_transport"], distance)
                if transport is not None:
                    total += transport
                    if lines is not None:
                        lines.append(
                            f"Défraiement transport ({number(distance)} km) : {euros(transport)}"
                        )
        return total


def _ass_daily_scale(pset, first: dt.date, options) -> Scale:
    """« Montant ASS journalier en vigueur » (BFC): the national daily ASS amount in force on
    the month's first day x 30 for the month, / 151.67 for the hour."""
    daily = options.get("ass_daily_amount")
    if daily is None:
        raise CaseError("category", f"montant journalier de l'ASS non renseigné au {fr(first)}")
    daily = Decimal(str(daily))
    monthly = daily * THIRTY
    hourly = cents(monthly / HOURLY_DIVISOR)
    return Scale(
        None,
        hourly,
        None,
        None,
        f"Montant journalier de l'ASS ({pset.label})",
        first,
        f"Catégorie {CATEGORIES['ASS_PART_TIME']} : montant journalier de l'ASS en vigueur "
        f"{euros(daily)} × 30 = {euros(monthly)}, / {number(HOURLY_DIVISOR)} : taux horaire "
        f"{euros(hourly)}",
    )


def _limit_applies(rule, age, months, family) -> bool:
    if "max_age" in rule and age > rule["max_age"]:
        return False
    if "min_age" in rule and age < rule["min_age"]:
        return False
    if "family" in rule and bool(rule["family"]) != family:
        return False
    if "min_months" in rule and months < rule["min_months"]:
        return False
    if "max_months" in rule and months > rule["max_months"]:
        return False
    return not ("above_months" in rule and months <= rule["above_months"])


def _limit_period(per: str, day: dt.date):
    if per == "month":
        return (day.year, day.month)
    if per == "quarter":
        return (day.year, (day.month - 1) // 3)
    return "training"


def _limit_text(rule) -> str:
    count = rule["count"]
    per = {"month": "par mois", "quarter": "par trimestre", "training": "sur la formation"}
    return f"{count} voyage{'s' if count > 1 else ''} {per[rule['per']]}"


def _add_months(day: dt.date, months: int) -> dt.date:
    """The same day `months` later (the month's last day where it has none)."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return dt.date(year, month, min(day.day, month_bounds(year, month)[1].day))


def _social_base(options) -> Decimal | None:
    base = options.get("social_contributions_hourly_base")
    return None if base is None else Decimal(str(base))


def _social_text(base, hours, year) -> tuple[Decimal | None, str]:
    if base is None:
        return None, (
            f"Cotisations sociales (à la charge de la Région) : base forfaitaire horaire de "
            f"{year} non renseignée"
        )
    amount = cents(hours * base)
    return amount, (
        f"Cotisations sociales (à la charge de la Région, non versées au stagiaire) : "
        f"{number(hours)} h × {euros(base)} = {euros(amount)}"
    )


@lru_cache(maxsize=4096)  # by value: many scales of many months share an amount
def _thirtieths_table(monthly: Decimal) -> tuple[Decimal, ...]:
    """cents(monthly x k / 30) for k in 0..30 (every entry has two decimals, so equal amounts
    written differently share one table). For a whole number of cents M, in integers:
    half-up of M x k / 30 (a quotient of exactly half a cent is a finite decimal, which the
    Decimal division holds exactly, so both round the same value the same way)."""
    scaled = monthly.scaleb(2)
    if monthly >= 0 and scaled == scaled.to_integral_value():
        m = int(scaled)
        return tuple(Decimal((2 * m * k + 30) // 60).scaleb(-2) for k in range(31))
    return tuple(cents(monthly * k / THIRTY) for k in range(31))


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
    return default_engine().entry_bonus(region, day, category, distance_learning)
