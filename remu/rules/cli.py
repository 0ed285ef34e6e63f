"""`python -m remu.rules compute [--input FILE]`: a JSON array of cases in, results out.

Any invalid case stops the run with exit status 2 and a message naming the case id and the
field; nothing is printed on stdout then.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
from decimal import Decimal, InvalidOperation

from .engine import Absence, Case, CaseError, HoursPeriod, Result, SickLeave, default_engine

REQUIRED = ("id", "region", "month", "category", "birth_date", "entry_date", "weekly_hours")
SPAN_DATES = ("pay_from", "pay_until", "resigned_contract_end", "benefit_end", "permit_end")


class InputError(ValueError):
    def __init__(self, case_id, field_name, message):
        super().__init__(f"cas « {case_id} », champ « {field_name} » : {message}")


def _date(raw, case_id, name, required=True):
    if raw is None:
        if required:
            raise InputError(case_id, name, "obligatoire")
        return None
    try:
        return dt.date.fromisoformat(raw)
    except (TypeError, ValueError) as exc:
        raise InputError(case_id, name, f"date invalide {raw!r} (AAAA-MM-JJ)") from exc


def _decimal(raw, case_id, name, required=False):
    if raw is None:
        if required:
            raise InputError(case_id, name, "obligatoire")
        return None
    if isinstance(raw, bool):
        raise InputError(case_id, name, f"nombre invalide {raw!r}")
    try:
        value = Decimal(str(raw))
    except InvalidOperation as exc:
        raise InputError(case_id, name, f"nombre invalide {raw!r}") from exc
    if not value.is_finite() or value < 0:
        raise InputError(case_id, name, f"nombre invalide {raw!r}")
    return value


def _count(raw, case_id) -> int:
    value = _decimal(raw, case_id, "prior_complement_days")
    if value is None:
        return 0
    if value != value.to_integral() or value > 10_000:
        raise InputError(case_id, "prior_complement_days", f"nombre de jours invalide {raw!r}")
    return int(value)


def _bool(raw, case_id, name) -> bool:
    if raw is None:
        return False
    if not isinstance(raw, bool):
        raise InputError(case_id, name, f"true ou false attendu, pas {raw!r}")
    return raw


def parse_case(raw, position: int) -> Case:
    if not isinstance(raw, dict):
        raise InputError(f"n° {position + 1}", "-", "un objet JSON est attendu")
    case_id = str(raw.get("id", f"n° {position + 1}"))
    for name in REQUIRED:
        if raw.get(name) is None:
            raise InputError(case_id, name, "obligatoire")
    month = raw["month"]
    try:
        year, month_number = (int(x) for x in str(month).split("-"))
        dt.date(year, month_number, 1)
    except ValueError as exc:
        raise InputError(case_id, "month", f"mois invalide {month!r} (AAAA-MM)") from exc
    absences = []
    for i, item in enumerate(raw.get("absences") or []):
        where = f"absences[{i}]"
        if not isinstance(item, dict):
            raise InputError(case_id, where, "un objet est attendu")
        absences.append(
            Absence(
                start=_date(item.get("start"), case_id, f"{where}.start"),
                end=_date(item.get("end"), case_id, f"{where}.end"),
                reason=str(item.get("reason")),
                hours=_decimal(item.get("hours"), case_id, f"{where}.hours"),
                kind=item.get("kind"),
            )
        )
    sick_leaves = []
    for i, item in enumerate(raw.get("sick_leaves") or []):
        where = f"sick_leaves[{i}]"
        if not isinstance(item, dict):
            raise InputError(case_id, where, "un objet est attendu")
        sick_leaves.append(
            SickLeave(
                start=_date(item.get("start"), case_id, f"{where}.start"),
                end=_date(item.get("end"), case_id, f"{where}.end"),
                daily_allowance=_decimal(
                    item.get("daily_allowance"), case_id, f"{where}.daily_allowance", required=True
                ),
                kind=str(item.get("kind") or "SICKNESS"),
            )
        )
    periods = []
    for i, item in enumerate(raw.get("weekly_hours_periods") or []):
        where = f"weekly_hours_periods[{i}]"
        if not isinstance(item, dict):
            raise InputError(case_id, where, "un objet est attendu")
        periods.append(
            HoursPeriod(
                start=_date(item.get("start"), case_id, f"{where}.start"),
                end=_date(item.get("end"), case_id, f"{where}.end"),
                weekly_hours=_decimal(
                    item.get("weekly_hours"), case_id, f"{where}.weekly_hours", required=True
                ),
                hours_present=_decimal(
                    item.get("hours_present"), case_id, f"{where}.hours_present"
                ),
            )
        )
    return Case(
        id=case_id,
        region=str(raw["region"]),
        year=year,
        month=month_number,
        category=str(raw["category"]),
        birth_date=_date(raw["birth_date"], case_id, "birth_date"),
        entry_date=_date(raw["entry_date"], case_id, "entry_date"),
        exit_date=_date(raw.get("exit_date"), case_id, "exit_date", required=False),
        weekly_hours=_decimal(raw["weekly_hours"], case_id, "weekly_hours", required=True),
        absences=tuple(absences),
        hours_present=_decimal(raw.get("hours_present"), case_id, "hours_present"),
        prior_monthly_salary=_decimal(
            raw.get("prior_monthly_salary"), case_id, "prior_monthly_salary"
        ),
        distance_km=_decimal(raw.get("distance_km"), case_id, "distance_km"),
        training_total_hours=_decimal(
            raw.get("training_total_hours"), case_id, "training_total_hours"
        ),
        tax_rate=_decimal(raw.get("tax_rate"), case_id, "tax_rate"),
        housing=bool(raw.get("housing", False)),
        prior_closure_days_paid=int(raw.get("prior_closure_days_paid") or 0),
        entry_bonus_granted=_bool(raw.get("entry_bonus_granted"), case_id, "entry_bonus_granted"),
        entry_bonus_paid=_bool(raw.get("entry_bonus_paid"), case_id, "entry_bonus_paid"),
        distance_learning=_bool(raw.get("distance_learning"), case_id, "distance_learning"),
        sick_leaves=tuple(sick_leaves),
        weekly_hours_periods=tuple(periods),
        prior_complement_days=_count(raw.get("prior_complement_days"), case_id),
        **{name: _date(raw.get(name), case_id, name, required=False) for name in SPAN_DATES},
    )


def _money(value):
    return None if value is None else f"{value:.2f}"


def result_to_json(result: Result) -> dict:
    return {
        "id": result.id,
        "monthly_amount": _money(result.monthly_amount),
        "hourly_rate": _money(result.hourly_rate),
        "paid_thirtieths": result.paid_thirtieths,
        "paid_hours": _money(result.paid_hours),
        "remuneration": _money(result.remuneration),
        "allowances": _money(result.allowances),
        "entry_bonus": _money(result.entry_bonus),
        "complement": _money(result.complement),
        "complement_days": result.complement_days,
        "social_contributions": _money(result.social_contributions),
        "social_contribution_hours": _money(result.social_contribution_hours),
        "gross": _money(result.gross),
        "withholding": _money(result.withholding),
        "net": _money(result.net),
        "explanation": result.explanation,
    }


def compute_all(raw_cases, explain: bool = True) -> list[dict]:
    """Every case computed, or InputError for the first invalid one (nothing else returned)."""
    if not isinstance(raw_cases, list):
        raise InputError("-", "-", "un tableau JSON de cas est attendu")
    engine = default_engine()
    results = []
    for position, raw in enumerate(raw_cases):
        case = parse_case(raw, position)
        try:
            result = engine.compute(case, explain=explain)
        except CaseError as exc:
            raise InputError(case.id, exc.field, exc.message) from exc
        results.append(result_to_json(result))
    return results


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m remu.rules")
    sub = parser.add_subparsers(dest="command", required=True)
    compute = sub.add_parser("compute", help="calcule la rémunération de chaque cas")
    compute.add_argument("--input", help="fichier JSON (entrée standard par défaut)")
    compute.add_argument("--no-explanation", action="store_true", help="sans explication")
    args = parser.parse_args(argv)
    try:
        if args.input:
            with open(args.input, encoding="utf-8") as f:
                raw = json.load(f)
        else:
            raw = json.load(sys.stdin)
    except (OSError, json.JSONDecodeError) as exc:
        print(f"Entrée illisible : {exc}", file=sys.stderr)
        return 2
    try:
        results = compute_all(raw, explain=not args.no_explanation)
    except InputError as exc:
        print(str(exc), file=sys.stderr)
        return 2
    json.dump(results, sys.stdout, ensure_ascii=False, indent=1)
    sys.stdout.write("\n")
    return 0
