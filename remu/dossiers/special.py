"""Special publics (seed 001 §3.5.3 and §3.6, seed 004): the dossier's facts that restrict
the paid span, as the engine takes them (`Case.resigned_contract_end`, `Case.permit_end`),
and the warning agents read when a residence permit ends before the training."""

from __future__ import annotations

import datetime as dt

from remu.rules.engine import default_engine


def resigned_contract_end(
    parameter_set: str, entry: dt.date, resignation: str, contract_end: dt.date | None
) -> dt.date | None:
    """The contract's real end when the region's `resignation` rule applies to this
    resignation (BFC: a full-time permanent contract only; CVL: any), else None. Options come
    from the parameter files (no query)."""
    if not resignation or contract_end is None:
        return None
    rule = default_engine().options(parameter_set, entry).get("resignation") or {}
    contracts = rule.get("contracts")
    if contracts is not None and resignation not in contracts:
        return None
    return contract_end


def training_end(dossier) -> dt.date:
    return dossier.enrollment.exit_date or dossier.real_end or dossier.action.end_date


def permit_warning(dossier) -> str:
    """A residence permit ending before the training: pay stops at its end (the engine), and
    the agent should check its renewal."""
    until = dossier.residence_permit_until
    if until is None or until >= training_end(dossier):
        return ""
    return (
        f"Le titre de séjour est valable jusqu'au {until:%d/%m/%Y}, avant la fin de la "
        f"formation ({training_end(dossier):%d/%m/%Y}) : la rémunération s'arrête à cette date "
        "sauf renouvellement (nouveau titre à enregistrer sur le dossier)."
    )


def case_facts(dossier) -> dict:
    """The engine's facts for this dossier (keyword arguments of `build_case`)."""
    return {
        "resigned_contract_end": resigned_contract_end(
            dossier.region.parameter_set,
            dossier.enrollment.entry_date,
            dossier.resignation,
            dossier.contract_end_date,
        ),
        "permit_end": dossier.residence_permit_until,
    }
