"""Dated parameter sets, read from the reviewable YAML files beside this module.

A parameter set (a region, or the national tables) has dated *versions* of its rate scale and
dated *options* (absence rules, entry bonus, allowances, "national if more favourable", ...).
A set may `extends` another: where it has no version in force, the parent's applies, and its
options are merged over the parent's. A version may be a `revaluation` of the previous one by a
coefficient (R6341-24-8): every amount x coefficient, half-up to the cent, prior-salary amounts
excepted (only their floor and ceiling are revalued).

Loading validates everything: a malformed file raises ParameterError naming the file and key.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path

import yaml

from .money import cents

PARAMETERS_DIR = Path(__file__).parent / "parameters"
HOURLY_DIVISOR = Decimal("151.67")
PART_TIME_WEEKS_PER_MONTH = Decimal("4.33")

CATEGORIES = {
    "JOB_SEEKER": "demandeur d'emploi",
    "PRIOR_ACTIVITY": "activité salariée antérieure suffisante",
    "NON_SALARIED": "travailleur non salarié",
    "FAMILY_SITUATION": "situation familiale particulière",
    "RSA_GJ": "bénéficiaire du RSA ou de la Garantie jeunes",
    "DISABLED": "travailleur handicapé",
    "DISABLED_PRIOR_SALARY": "travailleur handicapé avec activité salariée antérieure",
    "DETAINEE": "personne détenue",
    "ASS_PART_TIME": "bénéficiaire de l'ASS à temps partiel",
}
ABSENCE_REASONS = {
    "PUBLIC_HOLIDAY": "jour férié",
    "LOCAL_DAY": "jour férié local",
    "LEGAL_LEAVE": "congé pour motif légal",
    "JUSTIFIED_PAID": "absence justifiée",
    "CENTRE_CLOSURE": "fermeture du centre",
    "WEATHER": "intempéries",
    "SICKNESS": "maladie",
    "MATERNITY_PATERNITY": "congé maternité ou paternité",
    "PARENTAL_LEAVE": "congé parental",
    "WORK_ACCIDENT": "accident du travail",
    "UNJUSTIFIED": "absence non justifiée",
}


class ParameterError(ValueError):
    """A parameter file that cannot be used; the message names the file and the key."""


@dataclass(frozen=True)
class AgeBand:
    code: str
    label: str
    max_age: int | None  # inclusive; None: open-ended


@dataclass(frozen=True)
class Amount:
    """One category's amount in a version: a monthly amount per age band (a flat amount is a
    single band "all"), or a prior-salary clamp, or an hourly rate only."""

    monthly_by_band: dict[str, Decimal] | None = None
    floor: Decimal | None = None
    ceiling: Decimal | None = None
    hourly: Decimal | None = None
    hourly_from_monthly: Decimal | None = None  # ASS: an hourly rate from a monthly amount

    @property
    def is_hourly_only(self) -> bool:
        return self.hourly is not None or self.hourly_from_monthly is not None

    @property
    def is_prior_salary(self) -> bool:
        return self.floor is not None

    def revalued(self, coefficient: Decimal) -> Amount:
        def r(v):
            return None if v is None else cents(v * coefficient)

        return Amount(
            monthly_by_band=(
                None
                if self.monthly_by_band is None
                else {b: cents(v * coefficient) for b, v in self.monthly_by_band.items()}
            ),
            floor=r(self.floor),
            ceiling=r(self.ceiling),
            hourly=r(self.hourly),
            hourly_from_monthly=self.hourly_from_monthly,  # the ASS amount is not ours to revalue
        )


@dataclass(frozen=True)
class Version:
    set_code: str
    start: dt.date
    label: str
    age_bands: tuple[AgeBand, ...]
    amounts: dict[str, Amount]
    derived_from: dt.date | None = None  # a revaluation of the version in force that day
    coefficient: Decimal | None = None
    note: str = ""

    def band_for_age(self, age: int) -> AgeBand:
        for band in self.age_bands:
            if band.max_age is None or age <= band.max_age:
                return band
        return self.age_bands[-1]


@dataclass
class ParameterSet:
    code: str
    label: str
    territory: str
    holidays_subdivision: str | None
    versions: list[Version]  # sorted by start
    options: list[tuple[dt.date, dict]]  # sorted by start; merged in order
    parent: ParameterSet | None = None
    source: str = ""
    _options_cache: dict = field(default_factory=dict, repr=False)

    def own_version_at(self, day: dt.date) -> Version | None:
        found = None
        for version in self.versions:
            if version.start <= day:
                found = version
        return found

    def version_at(self, day: dt.date) -> Version | None:
        """The scale version in force on `day`: this set's own, else its parent's."""
        own = self.own_version_at(day)
        if own is not None:
            return own
        return self.parent.version_at(day) if self.parent else None

    def amount_at(self, day: dt.date, category: str) -> tuple[Version, Amount] | None:
        """The category's amount in force: the set's own version if it defines the category,
        else the parent's (a region table need not restate every national category)."""
        own = self.own_version_at(day)
        if own is not None and category in own.amounts:
            return own, own.amounts[category]
        if self.parent is not None:
            return self.parent.amount_at(day, category)
        return None

    def categories_at(self, day: dt.date) -> set[str]:
        """Every category this set (or its parent) can pay on `day`."""
        own = self.own_version_at(day)
        categories = set(own.amounts) if own is not None else set()
        if self.parent is not None:
            categories |= self.parent.categories_at(day)
        if self.options_at(day).get("ass_part_time"):
            categories.add("ASS_PART_TIME")
        return categories

    def options_at(self, day: dt.date) -> dict:
        key = day
        if key not in self._options_cache:
            merged = dict(self.parent.options_at(day)) if self.parent else {}
            for start, opts in self.options:
                if start <= day:
                    for name, value in opts.items():
                        if name == "absences":
                            absences = dict(merged.get("absences", {}))
                            absences.update(value)
                            merged["absences"] = absences
                        elif name != "note":
                            merged[name] = value
            self._options_cache[key] = merged
        return self._options_cache[key]


def _decimal(value, where: str) -> Decimal:
    if isinstance(value, bool):
        raise ParameterError(f"{where}: montant invalide ({_boolean(value)})")
    try:
        result = Decimal(str(value))
    except (InvalidOperation, ValueError) as exc:
        raise ParameterError(f"{where}: montant invalide {value!r}") from exc
    if result < 0 or not result.is_finite():
        raise ParameterError(f"{where}: montant invalide {value!r}")
    return result


def _boolean(value: bool) -> str:
    return f"« {'true' if value else 'false'} » est un booléen, pas un nombre"


def _number(
    value,
    where: str,
    expected: str,
    *,
    integer: bool = False,
    low=None,
    high=None,
    above=None,
):
    """One checked number of a parameter file: a whole number (`integer`) or a decimal, within
    `low` <= value <= `high` and value > `above` (each bound optional). A YAML true / false is
    refused with its own message: Python counts True as 1, so an isinstance(int) test alone
    would read `payment_days: {from: true}` as the 1st of the month."""
    if isinstance(value, bool):
        raise ParameterError(f"{where}: {expected} ({_boolean(value)})")
    if integer:
        if not isinstance(value, int):
            raise ParameterError(f"{where}: {expected}")
        number = value
    else:
        try:
            number = Decimal(str(value))
        except (InvalidOperation, ValueError):
            raise ParameterError(f"{where}: {expected}") from None
        if not number.is_finite():
            raise ParameterError(f"{where}: {expected}")
    if (
        (low is not None and number < low)
        or (high is not None and number > high)
        or (above is not None and number <= above)
    ):
        raise ParameterError(f"{where}: {expected}")
    return number


def _option(opts: dict, key: str, where: str, expected: str, **bounds):
    """The checked number `opts[key]` (see `_number`), or None when the option is absent."""
    value = opts.get(key)
    if value is None:
        return None
    return _number(value, f"{where}.{key}", expected, **bounds)


def _date(value, where: str) -> dt.date:
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError as exc:
        raise ParameterError(f"{where}: date invalide {value!r} (AAAA-MM-JJ attendu)") from exc


def _bands(raw, where: str) -> tuple[AgeBand, ...]:
    if not isinstance(raw, list) or not raw:
        raise ParameterError(f"{where}: une liste de tranches d'âge est attendue")
    bands = []
    for i, item in enumerate(raw):
        at = f"{where}[{i}]"
        if not isinstance(item, dict) or "code" not in item or "label" not in item:
            raise ParameterError(f"{at}: « code » et « label » sont obligatoires")
        max_age = _option(item, "max_age", at, "un entier est attendu", integer=True, low=0)
        bands.append(AgeBand(str(item["code"]), str(item["label"]), max_age))
    if bands[-1].max_age is not None:
        raise ParameterError(f"{where}: la dernière tranche doit être ouverte (sans max_age)")
    return tuple(bands)


def _amount(raw, bands: tuple[AgeBand, ...], where: str) -> Amount:
    if isinstance(raw, str | int | float):
        return Amount(monthly_by_band={"all": _decimal(raw, where)})
    if not isinstance(raw, dict) or not raw:
        raise ParameterError(f"{where}: montant, table par tranche d'âge ou objet attendu")
    if "floor" in raw or "ceiling" in raw:
        floor = _decimal(raw.get("floor"), f"{where}.floor")
        ceiling = _decimal(raw.get("ceiling"), f"{where}.ceiling")
        if ceiling < floor:
            raise ParameterError(f"{where}: le plafond est inférieur au plancher")
        return Amount(floor=floor, ceiling=ceiling)
    if "hourly" in raw:
        return Amount(hourly=_decimal(raw["hourly"], f"{where}.hourly"))
    if "hourly_from_monthly" in raw:
        return Amount(
            hourly_from_monthly=_decimal(raw["hourly_from_monthly"], f"{where}.hourly_from_monthly")
        )
    codes = {b.code for b in bands}
    if set(map(str, raw)) != codes:
        raise ParameterError(
            f"{where}: les tranches {sorted(map(str, raw))} ne correspondent pas aux tranches "
            f"d'âge de la version {sorted(codes)}"
        )
    return Amount(monthly_by_band={str(k): _decimal(v, f"{where}.{k}") for k, v in raw.items()})


def _version(raw, previous: Version | None, set_code: str, where: str) -> Version:
    if not isinstance(raw, dict):
        raise ParameterError(f"{where}: un objet est attendu")
    start = _date(raw.get("from"), f"{where}.from")
    if start.day != 1:
        raise ParameterError(f"{where}.from: une version prend effet le 1er d'un mois")
    label = str(raw.get("label") or "")
    if not label:
        raise ParameterError(f"{where}.label: obligatoire")
    if "revaluation" in raw:
        if previous is None:
            raise ParameterError(f"{where}.revaluation: aucune version précédente à revaloriser")
        coefficient = _decimal(
            (raw["revaluation"] or {}).get("coefficient"), f"{where}.revaluation.coefficient"
        )
        return Version(
            set_code=set_code,
            start=start,
            label=label,
            age_bands=previous.age_bands,
            amounts={c: a.revalued(coefficient) for c, a in previous.amounts.items()},
            derived_from=previous.start,
            coefficient=coefficient,
            note=str(raw.get("note") or ""),
        )
    bands = _bands(raw.get("age_bands"), f"{where}.age_bands")
    amounts_raw = raw.get("amounts")
    if not isinstance(amounts_raw, dict) or not amounts_raw:
        raise ParameterError(f"{where}.amounts: obligatoire")
    amounts = {}
    for category, value in amounts_raw.items():
        if category not in CATEGORIES:
            raise ParameterError(f"{where}.amounts.{category}: catégorie inconnue")
        amounts[category] = _amount(value, bands, f"{where}.amounts.{category}")
    return Version(set_code, start, label, bands, amounts, note=str(raw.get("note") or ""))


def _validate_options(opts: dict, where: str) -> None:
    for reason in opts.get("absences") or {}:
        if reason not in ABSENCE_REASONS:
            raise ParameterError(f"{where}.absences.{reason}: motif d'absence inconnu")
    _option(opts, "full_time_weekly_hours", where, "un nombre positif est attendu", above=0)
    _option(
        opts, "social_contributions_hourly_base", where, "un montant positif est attendu", low=0
    )
    for category, target in (opts.get("national_equivalents") or {}).items():
        at = f"{where}.national_equivalents.{category}"
        if category not in CATEGORIES:
            raise ParameterError(f"{at}: catégorie inconnue")
        if isinstance(target, dict):
            target = target.get("category")
        if target not in CATEGORIES:
            raise ParameterError(f"{at}: catégorie nationale inconnue {target!r}")
    _option(opts, "max_weekly_hours", where, "entre 1 et 168 heures attendu", above=0, high=168)
    _option(
        opts,
        "minimum_age",
        where,
        "un âge entier entre 1 et 29 est attendu",
        integer=True,
        low=1,
        high=29,
    )
    payment_days = opts.get("payment_days")
    if payment_days is not None:
        expected = "{from, to} entre le 1 et le 28 attendus"
        if not isinstance(payment_days, dict):
            raise ParameterError(f"{where}.payment_days: {expected}")
        first, last = (
            _number(payment_days.get(k), f"{where}.payment_days.{k}", expected, integer=True)
            for k in ("from", "to")
        )
        if not 1 <= first <= last <= 28:
            raise ParameterError(f"{where}.payment_days: {expected}")
    _option(
        opts,
        "attendance_due_day",
        where,
        "un jour entre 1 et 28 est attendu",
        integer=True,
        low=1,
        high=28,
    )
    for key, allowed in (
        ("overpayment_without_reason", {"after_exit", "last_month"}),
        ("overpayment_misconduct", {"after_exit", "as_without_reason", "everything"}),
    ):
        if key in opts and opts[key] not in allowed:
            raise ParameterError(f"{where}.{key}: une des valeurs {sorted(allowed)} est attendue")
    _option(opts, "overpayment_write_off_below", where, "valeur hors limites", low=0, high=100000)
    _option(opts, "overpayment_offset_cap_percent", where, "valeur hors limites", low=0, high=100)
    admission = opts.get("admission_without_documents")
    if admission is not None and admission not in ("refused", "allowed_with_reason"):
        raise ParameterError(
            f"{where}.admission_without_documents: « refused » ou « allowed_with_reason » attendu"
        )
    if opts.get("sepa_export_by_another_agent") not in (None, True, False):
        raise ParameterError(f"{where}.sepa_export_by_another_agent: true ou false attendu")
    for key, expected in (
        ("sepa_max_transactions_per_file", "un nombre de virements positif est attendu"),
        ("access_log_months", "un nombre de mois positif est attendu"),
        ("retention_years", "un nombre d'années positif est attendu"),
    ):
        _option(opts, key, where, expected, integer=True, low=1)
    thresholds = opts.get("instalment_thresholds")
    if thresholds is not None:
        expected = "trois pourcentages croissants entre 1 et 100 attendus"
        if not (isinstance(thresholds, list) and len(thresholds) == 3):
            raise ParameterError(f"{where}.instalment_thresholds: {expected}")
        for i, threshold in enumerate(thresholds):
            at = f"{where}.instalment_thresholds[{i}]"
            _number(threshold, at, expected, integer=True, low=1, high=100)
        if not thresholds[0] < thresholds[1] < thresholds[2]:
            raise ParameterError(f"{where}.instalment_thresholds: {expected}")
    _option(
        opts,
        "declaration_due_day",
        where,
        "un jour entre le 1 et le 28 attendu",
        integer=True,
        low=1,
        high=28,
    )
    _option(
        opts,
        "invoice_confirmation_day",
        where,
        "un jour entre le 1 et le 28 attendu",
        integer=True,
        low=1,
        high=28,
    )
    reasons = opts.get("invoicing_admissible_exit_reasons")
    if reasons is not None and not (
        isinstance(reasons, list) and all(isinstance(r, str) and r for r in reasons)
    ):
        raise ParameterError(
            f"{where}.invoicing_admissible_exit_reasons: une liste de codes de motifs attendue"
        )
    if opts.get("entry_bonus") is not None:
        _decimal(opts["entry_bonus"].get("amount"), f"{where}.entry_bonus.amount")
    for name in ("sickness_complement", "maternity_complement"):
        rule = opts.get(name)
        if rule is None:
            continue
        if not isinstance(rule, dict):
            raise ParameterError(f"{where}.{name}: un objet est attendu")
        _option(rule, "percent", f"{where}.{name}", "un pourcentage d'au plus 100", low=0, high=100)
        for key in ("max_days", "until_days_after_training"):
            _option(
                rule, key, f"{where}.{name}", "un entier positif est attendu", integer=True, low=0
            )
    if opts.get("ass_daily_amount") is not None:
        _decimal(opts["ass_daily_amount"], f"{where}.ass_daily_amount")
    if opts.get("ass_part_time") not in (None, "daily_ass_amount"):
        raise ParameterError(f"{where}.ass_part_time: seule la valeur daily_ass_amount est prévue")
    costs = opts.get("transport_costs")
    if costs:
        at = f"{where}.transport_costs"
        _decimal(costs.get("above_km"), f"{at}.above_km")
        for i, rule in enumerate((costs.get("limited") or {}).get("rules") or ()):
            if rule.get("per") not in ("month", "quarter", "training"):
                raise ParameterError(f"{at}.limited.rules[{i}].per: month, quarter ou training")
            _number(
                rule.get("count"),
                f"{at}.limited.rules[{i}].count",
                "un entier positif est attendu",
                integer=True,
                low=1,
            )
            _decimal(rule.get("percent", 100), f"{at}.limited.rules[{i}].percent")
    resignation = opts.get("resignation")
    if resignation is not None:
        if not isinstance(resignation, dict):
            raise ParameterError(f"{where}.resignation: un objet est attendu")
        for key in ("latency_days", "max_months"):
            _option(
                resignation,
                key,
                f"{where}.resignation",
                "un entier positif est attendu",
                integer=True,
                low=1,
            )
    gp = opts.get("guadeloupe_allowances")
    if gp:
        if "short_training_below_hours" in gp:
            raise ParameterError(
                f"{where}.guadeloupe_allowances.short_training_below_hours: une seule borne, "
                "long_training_above_hours (au-delà : indemnités ; sinon : défraiements), pour "
                "qu'aucune durée de formation ne tombe entre les deux"
            )
        _decimal(gp.get("long_training_above_hours"), f"{where}.guadeloupe_allowances")
    allowances = opts.get("allowances")
    if allowances:
        minors = allowances.get("minors") or {}
        if minors:
            _number(
                minors.get("max_age"),
                f"{where}.allowances.minors.max_age",
                "un entier est attendu",
                integer=True,
                low=0,
            )
        for prefix, holder in (("allowances", allowances), ("allowances.minors", minors)):
            for kind in ("transport", "housing"):
                for i, band in enumerate(holder.get(kind) or []):
                    at = f"{where}.{prefix}.{kind}[{i}]"
                    _decimal(band.get("amount"), f"{at}.amount")
                    key = "above_km" if "above_km" in band else "from_km"
                    _decimal(band.get(key), f"{at}.{key}")


def _read(path: Path) -> dict:
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise ParameterError(f"{path.name}: YAML illisible ({exc})") from exc
    if not isinstance(raw, dict):
        raise ParameterError(f"{path.name}: un objet YAML est attendu")
    return raw


def version_from_raw(raw: dict, previous: Version | None, set_code: str, where: str) -> Version:
    """A version from the same plain data as a YAML entry (used for versions stored in the
    application), validated the same way."""
    return _version(raw, previous, set_code, where)


def version_to_raw(version: Version) -> dict:
    """The plain, YAML-shaped data of a version (amounts as strings)."""
    amounts = {}
    for category, amount in version.amounts.items():
        if amount.is_prior_salary:
            amounts[category] = {"floor": str(amount.floor), "ceiling": str(amount.ceiling)}
        elif amount.hourly is not None:
            amounts[category] = {"hourly": str(amount.hourly)}
        elif amount.hourly_from_monthly is not None:
            amounts[category] = {"hourly_from_monthly": str(amount.hourly_from_monthly)}
        elif set(amount.monthly_by_band) == {"all"}:
            amounts[category] = str(amount.monthly_by_band["all"])
        else:
            amounts[category] = {b: str(v) for b, v in amount.monthly_by_band.items()}
    return {
        "from": version.start.isoformat(),
        "label": version.label,
        "age_bands": [
            {
                "code": b.code,
                "label": b.label,
                **({} if b.max_age is None else {"max_age": b.max_age}),
            }
            for b in version.age_bands
        ],
        "amounts": amounts,
    }


def with_stored_versions(
    sets: dict[str, ParameterSet], stored: dict[str, list[Version]]
) -> dict[str, ParameterSet]:
    """A copy of the sets where stored versions take precedence from their date (a stored
    version replaces a file version of the same date). Children are re-linked to the copies."""
    copies = {
        code: ParameterSet(
            code=pset.code,
            label=pset.label,
            territory=pset.territory,
            holidays_subdivision=pset.holidays_subdivision,
            versions=sorted(
                {v.start: v for v in [*pset.versions, *stored.get(code, [])]}.values(),
                key=lambda v: v.start,
            ),
            options=pset.options,
            source=pset.source,
        )
        for code, pset in sets.items()
    }
    for code, pset in sets.items():
        if pset.parent is not None:
            copies[code].parent = copies[pset.parent.code]
    return copies


def load_parameter_sets(directory: Path = PARAMETERS_DIR) -> dict[str, ParameterSet]:
    """Every parameter set of the directory (withholding.yaml aside), validated and linked."""
    raws = {}
    for path in sorted(directory.glob("*.yaml")):
        if path.stem == "withholding":
            continue
        raw = _read(path)
        code = raw.get("code")
        if code != path.stem:
            raise ParameterError(f"{path.name}.code: « {code} » devrait être « {path.stem} »")
        raws[code] = (path.name, raw)
    sets: dict[str, ParameterSet] = {}
    for code, (name, raw) in raws.items():
        versions: list[Version] = []
        for i, item in enumerate(raw.get("versions") or []):
            version = _version(
                item, versions[-1] if versions else None, code, f"{name}.versions[{i}]"
            )
            if versions and version.start <= versions[-1].start:
                raise ParameterError(f"{name}.versions[{i}].from: les dates doivent croître")
            versions.append(version)
        options = []
        for i, item in enumerate(raw.get("options") or []):
            where = f"{name}.options[{i}]"
            if not isinstance(item, dict):
                raise ParameterError(f"{where}: un objet est attendu")
            start = _date(item.get("from"), f"{where}.from")
            opts = {k: v for k, v in item.items() if k != "from"}
            _validate_options(opts, where)
            options.append((start, opts))
        options.sort(key=lambda pair: pair[0])
        territory = raw.get("territory", "mainland")
        if territory not in ("mainland", "gp-mq-re", "gf-yt"):
            raise ParameterError(f"{name}.territory: « {territory} » inconnu")
        sets[code] = ParameterSet(
            code=code,
            label=str(raw.get("label") or code),
            territory=territory,
            holidays_subdivision=raw.get("holidays_subdivision"),
            versions=versions,
            options=options,
            source=name,
        )
    for code, (name, raw) in raws.items():
        parent = raw.get("extends")
        if parent is not None:
            if parent not in sets:
                raise ParameterError(f"{name}.extends: jeu de paramètres « {parent} » inconnu")
            sets[code].parent = sets[parent]
            if sets[code].holidays_subdivision is None:
                sets[code].holidays_subdivision = sets[parent].holidays_subdivision
    return sets


@dataclass(frozen=True)
class WithholdingGrid:
    start: dt.date
    bounds: tuple[Decimal, ...]
    rates: tuple[Decimal, ...]

    def rate_for(self, taxable: Decimal) -> Decimal:
        # Article 204 H III: « inférieure à B1 : 0 % ; supérieure ou égale à B1 et inférieure à
        # B2 : 0,5 % ; ... » -- a base equal to a bound takes the band above (strict <).
        for bound, rate in zip(self.bounds, self.rates, strict=False):
            if taxable < bound:
                return rate
        return self.rates[-1]


def _withholding_rates(values, where: str) -> tuple[Decimal, ...]:
    rates = tuple(
        _number(r, f"{where}[{i}]", "un taux entre 0 et 100 attendu", low=0, high=100)
        for i, r in enumerate(values or [])
    )
    if not rates or rates[0] != 0 or any(a >= b for a, b in zip(rates, rates[1:], strict=False)):
        raise ParameterError(f"{where}: des taux croissants à partir de 0 attendus")
    return rates


def load_withholding(directory: Path = PARAMETERS_DIR) -> dict[str, list[WithholdingGrid]]:
    """The default-rate grids by territory, each checked: as many bounds as rates less one,
    bounds strictly increasing, rates increasing from 0 % and at most 100 %, dates unique. A
    grid takes the file's `rates` unless it has its own (the 2019 grids had other rates)."""
    raw = _read(directory / "withholding.yaml")
    common = _withholding_rates(raw.get("rates"), "withholding.yaml.rates")
    grids: dict[str, list[WithholdingGrid]] = {}
    for territory, items in (raw.get("grids") or {}).items():
        grids[territory] = []
        for i, item in enumerate(items or []):
            where = f"withholding.yaml.grids.{territory}[{i}]"
            if not isinstance(item, dict):
                raise ParameterError(f"{where}: un objet {{from, bounds}} est attendu")
            rates = common
            if "rates" in item:
                rates = _withholding_rates(item["rates"], f"{where}.rates")
            bounds = tuple(
                _number(b, f"{where}.bounds[{j}]", "un montant positif attendu", above=0)
                for j, b in enumerate(item.get("bounds") or [])
            )
            if len(bounds) != len(rates) - 1:
                raise ParameterError(f"{where}.bounds: {len(rates) - 1} bornes attendues")
            for j in range(1, len(bounds)):
                if bounds[j] <= bounds[j - 1]:
                    raise ParameterError(
                        f"{where}.bounds[{j}]: {bounds[j]} n'est pas supérieur à la borne "
                        f"précédente {bounds[j - 1]}"
                    )
            start = _date(item.get("from"), f"{where}.from")
            if any(grid.start == start for grid in grids[territory]):
                raise ParameterError(f"{where}.from: une autre grille commence le {start}")
            grids[territory].append(WithholdingGrid(start, bounds, rates))
        grids[territory].sort(key=lambda g: g.start)
    return grids
