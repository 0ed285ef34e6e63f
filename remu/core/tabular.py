"""Uploaded tables (CSV or XLSX) read row by row, and the errors reported per row, shared by
every all-or-nothing import (attendance declarations, paymaster returns, tax rates)."""

from __future__ import annotations

import csv
import datetime as dt
import io
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError


@dataclass
class RowError:
    row: int
    column: str
    message: str

    def as_dict(self):
        return {"ligne": self.row, "colonne": self.column, "erreur": self.message}


def parse_date(value: str) -> dt.date | None:
    """JJ/MM/AAAA or AAAA-MM-JJ; None when it is neither."""
    for fmt in ("%d/%m/%Y", "%Y-%m-%d"):
        try:
            return dt.datetime.strptime(value.strip(), fmt).date()
        except ValueError:
            continue
    return None


# A number typed in a form, a file or an API body is never longer than this: « 1E+1000000 » is
# short, so the exponent is bounded too, before any arithmetic (an int() of it takes seconds).
MAX_NUMBER_LENGTH = 30
MAX_INTEGER_DIGITS = 12


def parse_decimal(
    text: str,
    *,
    min_value: Decimal | int | None = 0,
    max_value: Decimal | int | None = None,
    decimal_places: int | None = None,
) -> Decimal:
    """A number typed by a person (« 1,5 » or « 1.5 ») as a Decimal, bounded in length,
    magnitude and digits before anything is computed with it; ValueError with the French
    reason otherwise (the caller puts it next to the field or row)."""
    value = "".join(str(text).split()).replace(",", ".")
    if len(value) > MAX_NUMBER_LENGTH:
        raise ValueError(f"nombre trop long (au plus {MAX_NUMBER_LENGTH} caractères)")
    try:
        number = Decimal(value)
    except InvalidOperation:
        raise ValueError(f"nombre invalide « {text} »") from None
    if not number.is_finite():
        raise ValueError(f"nombre invalide « {text} »")
    if number and number.adjusted() >= MAX_INTEGER_DIGITS:
        raise ValueError("nombre trop grand")
    if number and number.adjusted() < -MAX_INTEGER_DIGITS:
        raise ValueError("nombre trop petit")
    if min_value is not None and number < min_value:
        raise ValueError(f"nombre supérieur ou égal à {min_value} attendu")
    if max_value is not None and number > max_value:
        raise ValueError(f"nombre inférieur ou égal à {max_value} attendu")
    if decimal_places is not None and number != number.quantize(Decimal(1).scaleb(-decimal_places)):
        raise ValueError(f"au plus {decimal_places} chiffres après la virgule")
    return number


def read_rows(upload) -> list[dict[str, str]]:
    """The rows of a CSV (UTF-8, « ; » or « , ») or XLSX upload as dicts keyed by the
    lower-cased header, values stripped, blank rows skipped."""
    name = upload.name.lower()
    content = upload.read()
    if not content.strip():
        raise ValidationError("Le fichier est vide.")
    if name.endswith(".xlsx"):
        return _xlsx_rows(content)
    if name.endswith(".csv"):
        return _csv_rows(content)
    raise ValidationError("Format non accepté : fichier CSV ou XLSX attendu.")


def _csv_rows(content: bytes) -> list[dict[str, str]]:
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ValidationError("Le fichier CSV doit être encodé en UTF-8.") from exc
    if "\x00" in text:
        raise ValidationError("Le fichier CSV contient des caractères nuls : est-ce bien un CSV ?")
    lines = text.splitlines()
    skipped = next(i for i, line in enumerate(lines) if line.strip())  # blank lines on top
    header = lines[skipped]
    if ";" not in header and "," not in header:
        raise ValidationError(
            "La première ligne doit nommer les colonnes, séparées par « ; » ou « , »."
        )
    try:
        dialect = csv.Sniffer().sniff(header, delimiters=";,")
        reader = csv.reader(io.StringIO("\n".join(lines[skipped:])), dialect=dialect)
        names = [name.strip().lower() for name in next(reader)]
        rows = []
        for number, values in enumerate(reader, start=skipped + 2):
            if not any(v.strip() for v in values):
                continue
            if len(values) > len(names):
                raise ValidationError(
                    f"Ligne {number} : {len(values)} colonnes, plus que les {len(names)} "
                    "de la ligne d'en-tête."
                )
            values += [""] * (len(names) - len(values))
            rows.append({n: v.strip() for n, v in zip(names, values, strict=True)})
    except csv.Error as exc:
        raise ValidationError("Fichier CSV illisible.") from exc
    return rows


def _xlsx_rows(content: bytes) -> list[dict[str, str]]:
    from openpyxl import load_workbook

    try:
        sheet = load_workbook(io.BytesIO(content), read_only=True, data_only=True).worksheets[0]
    except Exception as exc:  # any unreadable workbook gets the same message
        raise ValidationError("Fichier Excel illisible.") from exc
    rows = list(sheet.iter_rows(values_only=True))
    if not rows:
        return []
    header = [str(h or "").strip().lower() for h in rows[0]]
    return [
        {h: _cell(v) for h, v in zip(header, values, strict=False) if h}
        for values in rows[1:]
        if not all(v in (None, "") for v in values)
    ]


def _cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.date):  # datetime included
        return value.strftime("%d/%m/%Y")
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


EXCEL_DATE = "DD/MM/YYYY"

# A text starting with one of these is a formula to a spreadsheet (« =HYPERLINK(…) » typed as a
# trainee's address would run on the agent's computer): OWASP's list for CSV/formula injection.
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def safe_append(sheet, values) -> None:
    """Append a row to an exported sheet, every text written as text: a value that a
    spreadsheet would read as a formula is stored as a string cell with the quote prefix (what
    Excel sets for a typed « '= »), so it shows as typed and never runs. Every export appends
    its rows through here."""
    sheet.append(list(values))
    for cell in sheet[sheet.max_row]:
        if isinstance(cell.value, str) and cell.value.startswith(FORMULA_TRIGGERS):
            cell.data_type = "s"
            cell.quotePrefix = True


def french_dates(sheet) -> None:
    """Dates of an exported sheet shown as 04/08/2026 (openpyxl's default is 2026-08-04); they
    stay real dates, which Excel can sort and filter."""
    for row in sheet.iter_rows(min_row=2):
        for cell in row:
            if isinstance(cell.value, dt.date):
                cell.number_format = EXCEL_DATE
