"""What the agent reads before admitting: the proposed category and what decided it, the
region's amount beside the national one where the region pays « le plus favorable », a full
month's pay, and who pays while the trainee is on France Travail's ARE (seed 001 §3.1.1,
§3.5, §3.5.2). Plain data in, plain data and French text out."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from .calendar import fr
from .engine import Case, CaseError, Engine
from .money import cents, euros, number
from .parameters import CATEGORIES, HOURLY_DIVISOR, PART_TIME_WEEKS_PER_MONTH
from .situation import Situation, propose_category


@dataclass(frozen=True)
class RegionPay:
    """From when the Region pays, and why. `pay_start` None: from entry."""

    pay_start: dt.date | None
    text: str = ""
    paid_by_region: bool = True  # False: France Travail pays for the whole training
    entry_bonus: bool = True  # entered on ARE: no entry bonus (seed 001 §3.5)


def region_pay(
    *,
    on_are: bool,
    are_end: dt.date | None,
    disabled_worker: bool,
    disabled_chooses_regional_pay: bool,
    entry: dt.date,
    end: dt.date,
) -> RegionPay:
    if not on_are or are_end is None:
        return RegionPay(None)
    if are_end < entry:
        return RegionPay(
            None, f"ARE terminée le {fr(are_end)}, avant l'entrée : rémunération par la Région."
        )
    if disabled_worker and disabled_chooses_regional_pay:
        return RegionPay(
            None,
            "Travailleur handicapé : a choisi la rémunération de la Région plutôt que l'ARE "
            "(droit d'option, seed 001 §3.1.1).",
        )
    option = (
        " Travailleur handicapé : il peut choisir la rémunération de la Région à la place "
        "(droit d'option, seed 001 §3.1.1, à indiquer dans le dossier)."
        if disabled_worker
        else ""
    )
    day_after = are_end + dt.timedelta(days=1)
    if are_end >= end:
        return RegionPay(
            day_after,
            "Non rémunéré par la Région : allocation France Travail (ARE jusqu'au "
            f"{fr(are_end)}, au-delà de la fin de la formation le {fr(end)}). Protection "
            "sociale seule : ni rémunération, ni indemnités, ni aide à l'entrée." + option,
            paid_by_region=False,
            entry_bonus=False,
        )
    return RegionPay(
        day_after,
        f"Non rémunéré par la Région jusqu'au {fr(are_end)} : allocation France Travail (ARE). "
        f"Barème régional à partir du {fr(day_after)} (relais, seed 001 §3.5.2) ; pas d'aide "
        "à l'entrée." + option,
        entry_bonus=False,
    )


@dataclass(frozen=True)
class Proposal:
    category: str
    label: str
    reason: str  # « Catégorie proposée : … (why) »
    facts: tuple[str, ...]  # what decided the amount: age band, prior salary, hours worked
    region_amount: str  # the region's own monthly amount (or hourly rate), in French
    national_amount: str  # where the region pays the national amount if more favourable
    full_month: Decimal | None
    full_month_text: str
    pay: RegionPay


def first_full_month(start: dt.date) -> dt.date:
    """The first month spent wholly in training: the start month if it starts on the 1st."""
    month = start.replace(day=1)
    return month if start.day == 1 else (month + dt.timedelta(days=32)).replace(day=1)


def propose(
    engine: Engine,
    code: str,
    situation: Situation,
    *,
    birth_date: dt.date,
    entry: dt.date,
    weekly_hours: Decimal,
    pay: RegionPay,
) -> Proposal:
    month = first_full_month(entry)
    pset = engine.sets[code]
    category, reason = propose_category(situation, pset.categories_at(month))
    facts, region_text, national_text = _amounts(engine, code, month, category, situation)
    try:
        result = engine.compute(
            Case(
                id="proposal",
                region=code,
                year=month.year,
                month=month.month,
                category=category,
                birth_date=birth_date,
                entry_date=entry,
                weekly_hours=weekly_hours,
                hours_present=cents(weekly_hours * PART_TIME_WEEKS_PER_MONTH),
                prior_monthly_salary=situation.prior_salary,
            )
        )
    except CaseError as exc:
        full, full_text = None, f"Montant d'un mois complet non calculable : {exc.message}."
    else:
        full = result.remuneration
        how = (
            f"{number(result.paid_hours)} h × {euros(result.hourly_rate)}"
            if result.paid_hours is not None
            else "30/30"
        )
        full_text = (
            f"Un mois complet ({month:%m/%Y}) : {euros(full)} brut ({how}, barème "
            f"« {result.version_label} »)."
        )
    return Proposal(
        category,
        CATEGORIES[category],
        reason,
        tuple(facts),
        region_text,
        national_text,
        full,
        full_text,
        pay,
    )


def _amounts(engine: Engine, code: str, month: dt.date, category: str, situation: Situation):
    """The deciding facts and the region's and national amounts for the category."""
    facts: list[str] = []
    found = engine.sets[code].amount_at(month, category)
    if found is None:
        return facts, "", ""
    version, amount = found
    band = version.band_for_age(situation.age)
    if category == "PRIOR_ACTIVITY" and situation.prior_activity_fact:
        facts.append(f"Activité salariée antérieure : {situation.prior_activity_fact}")
    if category == "ASS_PART_TIME":
        facts.append("Bénéficiaire de l'ASS sur une formation à temps partiel")
    if amount.is_prior_salary:
        salary = situation.prior_salary
        if salary is not None:
            kept = min(max(salary, amount.floor), amount.ceiling)
            clamp = (
                "plancher"
                if salary < amount.floor
                else "plafond"
                if salary > amount.ceiling
                else "dans les bornes"
            )
            facts.append(
                f"Salaire antérieur {euros(salary)} ; plancher {euros(amount.floor)}, plafond "
                f"{euros(amount.ceiling)} ({clamp}) : {euros(kept)} par mois"
            )
        return (
            facts,
            f"100 % du salaire antérieur, entre {euros(amount.floor)} et "
            + (f"{euros(amount.ceiling)} (« {version.label} »)"),
            "",
        )
    if amount.is_hourly_only:
        hourly = amount.hourly or cents(amount.hourly_from_monthly / HOURLY_DIVISOR)
        return facts, f"{euros(hourly)} de l'heure (« {version.label} »)", ""
    by_band = amount.monthly_by_band
    monthly = by_band.get("all", by_band.get(band.code))
    if "all" not in by_band:
        facts.append(f"{situation.age} ans à l'entrée : tranche « {band.label} »")

    region_text = f"{euros(monthly)} par mois (« {version.label} »)"
    favourable = engine.options(code, month).get("more_favourable")
    national_text = ""
    if favourable and favourable != code and favourable in engine.sets:
        other = engine.sets[favourable].amount_at(month, category)
        if other is not None and other[1].monthly_by_band is not None:
            o_version, o_amount = other
            o_band = o_version.band_for_age(situation.age)
            o_monthly = o_amount.monthly_by_band.get(
                "all", o_amount.monthly_by_band.get(o_band.code)
            )
            region_band = band.label if "all" not in by_band else None
            if "all" not in o_amount.monthly_by_band and o_band.label != region_band:
                facts.append(
                    f"{situation.age} ans à l'entrée : tranche nationale « {o_band.label} »"
                )
            kept = "le national est retenu" if o_monthly > monthly else "le régional est retenu"
            national_text = (
                f"{euros(o_monthly)} par mois (« {o_version.label} ») ; la Région verse le "
                f"plus favorable : {kept}"
            )
    return facts, region_text, national_text
