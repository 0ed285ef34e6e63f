"""Bulk declarations of a month's attendance (file import and JSON API share this):
presence styles, absences and part-time hours, one row each, checked row by row and applied
all or nothing, with every faulty row reported (row, column, why) in French."""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from remu.core import crypto
from remu.core.tabular import RowError, parse_date, parse_decimal, safe_append
from remu.rules.engine import default_engine
from remu.rules.parameters import ABSENCE_REASONS
from remu.scales.selectors import engine

from . import services
from .forms import ABSENCE_MAX_HOURS, LEGAL_LEAVE_KINDS, WEEK_MAX_HOURS
from .hours_bounds import NeedsConfirmation, hours_text
from .models import AttendanceLine

KINDS = {"PRESENCE", "ABSENCE", "HEURES"}
PRESENCES = {
    "TOUT_LE_MOIS": "full_month",
    "ABSENT_TOUT_LE_MOIS": "absent_month",
    "PERIODE": "period",
}
PLACES = {"CENTRE": "centre", "ENTREPRISE": "company"}
WEEK_COLUMNS = [f"semaine_{i}" for i in range(1, 7)]

COLUMNS = [
    ("dossier", "Numéro du dossier de rémunération (ou laisser vide et renseigner nir)"),
    ("nir", "Numéro de sécurité sociale du stagiaire (si le numéro de dossier est vide)"),
    ("type", "PRESENCE, ABSENCE ou HEURES"),
    ("presence", "PRESENCE : TOUT_LE_MOIS, ABSENT_TOUT_LE_MOIS ou PERIODE"),
    ("debut", "Date de début (JJ/MM/AAAA) : période de présence ou absence"),
    ("fin", "Date de fin (JJ/MM/AAAA)"),
    ("motif", "ABSENCE : code du motif (voir la liste des codes)"),
    ("motif_legal", "ABSENCE pour congé légal : code du motif légal"),
    ("lieu", "ABSENCE : CENTRE ou ENTREPRISE"),
    ("heures", "ABSENCE : heures d'absence (obligatoire à temps partiel)"),
    *[(c, f"HEURES : heures de présence de la semaine {c[-1]} du mois") for c in WEEK_COLUMNS],
    ("jours", "HEURES : jours de présence dans le mois"),
    (
        "confirmer_depassement",
        "HEURES : OUI pour confirmer des heures au-delà de la durée hebdomadaire du stagiaire",
    ),
]
CONFIRM = "confirmer_depassement"
# What the template says of the hours a HEURES row may hold (the service's rules).
HOURS_RULES = [
    "Une semaine entièrement avant l'entrée ou après la sortie du stagiaire : aucune heure.",
    "Une semaine : jamais au-delà de la durée maximale légale du travail ({maximum} h).",
    "Au-delà de la durée hebdomadaire du stagiaire (au prorata des jours en formation pour "
    "la semaine de son entrée ou de sa sortie) : la ligne est refusée sauf si la colonne "
    "confirmer_depassement vaut OUI.",
    "Jours de présence : pas plus que les jours du mois passés en formation.",
]
FIELD_COLUMNS = {f"week_{i}": column for i, column in enumerate(WEEK_COLUMNS)} | {
    "days_present": "jours",
    "start": "debut",  # an absence's start (a holiday that is none)
}


@dataclass
class Row:
    number: int
    values: dict
    errors: list = field(default_factory=list)

    def get(self, name):
        return (self.values.get(name) or "").strip()

    def error(self, column, message):
        self.errors.append(RowError(self.number, column, message))

    def date(self, name, required=True):
        value = self.get(name)
        if not value:
            if required:
                self.error(name, "date obligatoire")
            return None
        day = parse_date(value)
        if day is None:
            self.error(name, f"date invalide « {value} » (JJ/MM/AAAA attendu)")
        return day

    def decimal(self, name, required=False, max_value=None):
        value = self.get(name)
        if not value:
            if required:
                self.error(name, "nombre obligatoire")
            return None
        try:
            return parse_decimal(value, max_value=max_value, decimal_places=2)
        except ValueError as exc:
            self.error(name, str(exc))
            return None


def _lines_by_key(statement):
    lines = statement.lines.select_related("dossier", "enrollment__trainee")
    by_dossier, by_nir = {}, {}
    for line in lines:
        if line.dossier_id and line.dossier.number:
            by_dossier[line.dossier.number.upper()] = line
        if line.enrollment.trainee.nir_hash:  # the NIR is encrypted: matched by its hash
            by_nir[line.enrollment.trainee.nir_hash] = line
    return by_dossier, by_nir


def apply_rows(statement, raw_rows: list[dict], *, first_row: int = 2) -> tuple[int, list]:
    """Applies every row, or none: returns (rows applied, errors)."""
    by_dossier, by_nir = _lines_by_key(statement)
    errors: list[RowError] = []
    legal_kinds = {code for code, _ in LEGAL_LEAVE_KINDS if code}
    with transaction.atomic():
        for offset, values in enumerate(raw_rows):
            row = Row(first_row + offset, values)
            line = _find_line(row, by_dossier, by_nir)
            kind = row.get("type").upper()
            if kind not in KINDS:
                row.error("type", "PRESENCE, ABSENCE ou HEURES attendu")
            if line is not None and not row.errors:
                _apply(row, line, kind, legal_kinds)
            errors.extend(row.errors)
        if errors:
            transaction.set_rollback(True)
    return (0 if errors else len(raw_rows)), errors


def _find_line(row, by_dossier, by_nir) -> AttendanceLine | None:
    number, nir = row.get("dossier").upper(), "".join(row.get("nir").split())
    if number:
        line = by_dossier.get(number)
        if line is None:
            row.error("dossier", f"aucun stagiaire admis de cet état n'a le dossier « {number} »")
        return line
    if nir:
        line = by_nir.get(crypto.nir_hash(nir))
        if line is None:
            row.error("nir", "aucun stagiaire admis de cet état n'a ce numéro")
        return line
    row.error("dossier", "renseignez le numéro de dossier ou le NIR du stagiaire")
    return None


def _apply(row, line, kind, legal_kinds):
    try:
        with transaction.atomic():
            if kind == "PRESENCE":
                presence = PRESENCES.get(row.get("presence").upper())
                if presence is None:
                    row.error("presence", "TOUT_LE_MOIS, ABSENT_TOUT_LE_MOIS ou PERIODE attendu")
                    return
                start = row.date("debut", required=presence == "period")
                end = row.date("fin", required=presence == "period")
                if not row.errors:
                    services.declare_presence([line], presence, start, end)
            elif kind == "ABSENCE":
                reason = row.get("motif").upper()
                if reason not in ABSENCE_REASONS:
                    row.error("motif", f"code de motif inconnu « {row.get('motif')} »")
                place = PLACES.get(row.get("lieu").upper() or "CENTRE")
                if place is None:
                    row.error("lieu", "CENTRE ou ENTREPRISE attendu")
                kind_code = row.get("motif_legal").upper()
                if kind_code and kind_code not in legal_kinds:
                    row.error("motif_legal", f"code de motif légal inconnu « {kind_code} »")
                start, end = row.date("debut"), row.date("fin")
                hours = row.decimal("heures", max_value=ABSENCE_MAX_HOURS)
                if not row.errors:
                    services.add_absence(
                        line,
                        reason=reason,
                        start=start,
                        end=end,
                        place=place,
                        hours=hours,
                        legal_leave_kind=kind_code,
                    )
            else:
                weeks = services.weeks_of_month(line.statement.month)
                hours = [
                    row.decimal(WEEK_COLUMNS[i], required=True, max_value=WEEK_MAX_HOURS)
                    for i in range(len(weeks))
                ]
                days = row.decimal("jours", required=True, max_value=31)
                if days is not None and days != days.to_integral():
                    row.error("jours", "nombre entier de jours attendu")
                confirm = row.get(CONFIRM).upper()
                if confirm not in ("", "OUI", "NON"):
                    row.error(CONFIRM, "OUI, NON ou vide attendu")
                if not row.errors:
                    services.save_part_time(line, hours, int(days), confirm_over=confirm == "OUI")
    except NeedsConfirmation as exc:
        _field_errors(row, exc, f" Pour les confirmer, indiquez OUI dans la colonne {CONFIRM}.")
    except ValidationError as exc:
        _field_errors(row, exc)
    except PermissionDenied as exc:
        row.error("-", str(exc))


def _field_errors(row, exc: ValidationError, suffix: str = "") -> None:
    """The service's errors on the columns of their fields (a week, the days), else « - »."""
    for name, messages in getattr(exc, "message_dict", {None: exc.messages}).items():
        for message in messages:
            row.error(FIELD_COLUMNS.get(name, "-"), message + suffix)


def template_workbook(region) -> bytes:
    """The import template: the columns, an example, every code and the hours rules (with
    the region's legal weekly maximum in force today) documented."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    book = Workbook()
    sheet = book.active
    sheet.title = "Déclarations"
    safe_append(sheet, [name for name, _ in COLUMNS])
    safe_append(sheet, ["CVL-2026-000123", "", "PRESENCE", "TOUT_LE_MOIS"])
    safe_append(
        sheet,
        [
            "CVL-2026-000123",
            "",
            "ABSENCE",
            "",
            "16/03/2026",
            "17/03/2026",
            "UNJUSTIFIED",
            "",
            "CENTRE",
        ],
    )
    safe_append(
        sheet,
        [
            "",
            "2960437261123xx",
            "HEURES",
            "",
            "",
            "",
            "",
            "",
            "",
            "",
            "20",
            "20",
            "20",
            "20",
            "8",
            "",
            "18",
        ],
    )
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    doc = book.create_sheet("Colonnes et codes")
    safe_append(doc, ["Colonne", "Contenu"])
    for name, meaning in COLUMNS:
        safe_append(doc, [name, meaning])
    safe_append(doc, [])
    safe_append(doc, ["Heures à temps partiel (HEURES)", "Règle"])
    # the template is public: without a region, the national set's maximum
    rules, code = (engine(region), region.parameter_set) if region else (default_engine(), "")
    code = code or "national"
    maximum = rules.options(code, timezone.localdate())["max_weekly_hours"]
    maximum = hours_text(Decimal(str(maximum)))
    for i, rule in enumerate(HOURS_RULES, start=1):
        safe_append(doc, [f"Règle {i}", rule.format(maximum=maximum)])
    safe_append(doc, [])
    safe_append(doc, ["Code de motif (colonne motif)", "Motif"])
    for code, label in ABSENCE_REASONS.items():
        safe_append(doc, [code, label])
    safe_append(doc, [])
    safe_append(doc, ["Code de motif légal (colonne motif_legal)", "Motif"])
    for code, label in LEGAL_LEAVE_KINDS[1:]:
        safe_append(doc, [code, label])
    doc.column_dimensions["A"].width = 40
    doc.column_dimensions["B"].width = 80
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
