"""The region's complement to the CPAM daily allowances after the training (issue 12 §2, seed
001 §2.8): Centre-Val de Loire complements a sick leave that goes on after the exit, until 90
days after the training's end. Those months have no attendance line; the run computes them from
the sick leaves alone (the engine pays no remuneration then, only the complement)."""

from __future__ import annotations

import datetime as dt

from remu.attendance.services import build_case
from remu.rules.engine import CaseError

from .models import Component


def _next_month(day: dt.date) -> dt.date:
    return (day.replace(day=1) + dt.timedelta(days=32)).replace(day=1)


def add_after_exit(ctx, payables, leaves, complement_days, dues: list[dict], anomaly) -> list:
    """Adds the complement of the months after each exited trainee's exit month that a sick
    leave reaches, up to the run's month, counting the complement days already paid
    (`complement_days`: by dossier, the validated months'). Returns the anomalies."""
    region, anomalies = ctx.region, []
    for payable in payables:
        mine = leaves.get(payable.enrollment_id)
        if payable.exit_date is None or not mine:
            continue
        action = ctx.actions[payable.action_id]
        month = _next_month(payable.exit_date)
        last = min(max(leave.end for leave in mine).replace(day=1), ctx.month)
        while month <= last:
            case = build_case(
                line_id=f"{payable.dossier_id}-{month:%Y-%m}",
                month=month,
                full_time=True,
                presence="full_month",
                period=(None, None),
                weekly_hours_present=[],
                declared_absences=[],
                parameter_set=region.parameter_set,
                category=payable.category,
                birth_date=payable.birth_date,
                entry_date=payable.entry_date,
                exit_date=payable.exit_date,
                weekly_hours=payable.weekly_hours or action.weekly_hours,
                prior_monthly_salary=payable.prior_monthly_salary,
                training_total_hours=action.total_hours,
                sick_leaves=mine,
                prior_complement_days=complement_days[payable.dossier_id],
                pay_start=payable.pay_start,
            )
            try:
                result = ctx.rules.compute(case)
            except CaseError as exc:
                anomalies.append(
                    anomaly(
                        f"{payable.name} ({month:%m/%Y}, complément) : {exc.message}",
                        "complement",
                        dossier=payable.dossier_id,
                    )
                )
                break
            complement_days[payable.dossier_id] += result.complement_days
            if result.complement:
                dues.append(
                    {
                        "region_id": region.pk,
                        "enrollment_id": payable.enrollment_id,
                        "dossier_id": payable.dossier_id,
                        "month": month,
                        "component": Component.COMPLEMENT.value,
                        "amount": result.complement,
                        "explanation": result.explanation,
                        "version_label": result.version_label,
                    }
                )
            month = _next_month(month)
    return anomalies
