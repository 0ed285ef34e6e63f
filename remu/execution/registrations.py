"""Bulk registration of trainees (file import and JSON API share this): one row per trainee,
checked row by row and applied all or nothing, every faulty row reported in French."""

from __future__ import annotations

import io

from django.core.exceptions import ValidationError
from django.db import transaction

from remu.communes.models import Commune
from remu.core.tabular import RowError, parse_date, safe_append
from remu.trainees.models import Trainee

from . import services
from .models import RegistrationRecord as R

MAX_ROWS = 500
CHOICES = {
    "civilite": dict(Trainee.Civility.choices),
    "sexe": dict(R.Sex.choices),
    "remuneration": dict(R.PayingBody.choices),
    "niveau": dict(R.Level.choices),
    "duree_chomage": dict(R.Unemployment.choices),
    "prescripteur": dict(R.Prescriber.choices),
    "categorie": dict(R.Category.choices),
}
REQUIRED = {
    "civilite",
    "sexe",
    "nom_naissance",
    "prenoms",
    "date_naissance",
    "adresse",
    "code_postal",
    "date_entree",
    "remuneration",
    "niveau",
    "duree_chomage",
    "prescripteur",
}
COLUMNS = [
    ("civilite", "M ou MME"),
    ("sexe", "F ou M"),
    ("nom_naissance", "Nom de naissance"),
    ("nom_usage", "Nom d'usage (facultatif)"),
    ("prenoms", "Prénoms"),
    ("date_naissance", "Date de naissance (JJ/MM/AAAA)"),
    ("nationalite", "Code ISO de la nationalité (FR par défaut)"),
    ("adresse", "Adresse où le stagiaire reçoit son courrier"),
    ("complement", "Complément d'adresse (facultatif)"),
    ("code_postal", "Code postal (5 chiffres)"),
    ("commune", "Code INSEE de la commune, si le code postal en dessert plusieurs"),
    ("courriel", "Courriel (facultatif)"),
    ("telephone", "Téléphone (facultatif)"),
    ("date_entree", "Date d'entrée en formation (JJ/MM/AAAA)"),
    ("remuneration", "Organisme chargé de la rémunération : voir les codes"),
    ("niveau", "Niveau à l'entrée : voir les codes"),
    ("duree_chomage", "Durée de chômage : voir les codes"),
    ("prescripteur", "Prescripteur : voir les codes"),
    ("categorie", "Catégorie socio-professionnelle (facultatif) : voir les codes"),
    ("rsa", "Bénéficiaire du RSA : OUI ou NON"),
    ("travailleur_handicape", "Travailleur handicapé : OUI ou NON"),
]
MAX_LENGTHS = {"nom_naissance": 100, "nom_usage": 100, "prenoms": 150, "adresse": 200}
MAX_LENGTHS |= {"complement": 200, "courriel": 254, "telephone": 30}


def _value(values, name) -> str:
    return str(values.get(name) or "").strip()


def _parse(values: dict, number: int, errors: list[RowError]):
    """The row as (trainee, record, entry date), or None with its errors appended."""
    before = len(errors)

    def err(column, message):
        errors.append(RowError(number, column, message))

    for name in REQUIRED:
        if not _value(values, name):
            err(name, "valeur obligatoire")
    for name, limit in MAX_LENGTHS.items():
        if len(_value(values, name)) > limit:
            err(name, f"{limit} caractères au plus")
    for name, value in values.items():
        if "\x00" in str(value or ""):
            err(str(name)[:40], "caractère non autorisé")
    codes = {}
    for name, choices in CHOICES.items():
        raw = _value(values, name)
        if not raw:
            codes[name] = ""
            continue
        found = next((code for code in choices if code.lower() == raw.lower()), None)
        if found is None:
            err(name, f"code inconnu « {raw[:30]} » (attendu : {', '.join(choices)})")
        codes[name] = found or ""
    dates = {}
    for name in ("date_naissance", "date_entree"):
        raw = _value(values, name)
        if raw:
            dates[name] = parse_date(raw)
            if dates[name] is None:
                err(name, f"date invalide « {raw[:30]} » (JJ/MM/AAAA attendu)")
    flags = {}
    for name in ("rsa", "travailleur_handicape"):
        raw = _value(values, name).upper()
        if raw not in ("", "OUI", "NON"):
            err(name, "OUI ou NON attendu")
        flags[name] = raw == "OUI"
    nationality = (_value(values, "nationalite") or "FR").upper()
    if len(nationality) != 2 or not nationality.isascii() or not nationality.isalpha():
        err("nationalite", "deux lettres attendues (FR pour française)")
    postal = _value(values, "code_postal")
    commune = None
    if postal:
        communes = Commune.objects.filter(postal_codes__code=postal).distinct()
        insee = _value(values, "commune")
        if insee:
            commune = communes.filter(insee_code=insee).first()
            if commune is None:
                err(
                    "commune", f"la commune « {insee[:10]} » n'est pas desservie par ce code postal"
                )
        else:
            found = list(communes[:2])
            if not found:
                err("code_postal", f"code postal inconnu « {postal[:10]} »")
            elif len(found) > 1:
                err("commune", "ce code postal dessert plusieurs communes : indiquez le code INSEE")
            else:
                commune = found[0]
    if len(errors) > before:
        return None
    trainee = Trainee(
        civility=codes["civilite"],
        birth_name=_value(values, "nom_naissance"),
        usage_name=_value(values, "nom_usage"),
        first_names=_value(values, "prenoms"),
        birth_date=dates["date_naissance"],
        nationality=nationality,
        address_line1=_value(values, "adresse"),
        address_line2=_value(values, "complement"),
        postal_code=postal,
        commune=commune,
        email=_value(values, "courriel"),
        phone=_value(values, "telephone"),
    )
    record = R(
        sex=codes["sexe"],
        socio_category=codes["categorie"],
        paying_body=codes["remuneration"],
        level_at_entry=codes["niveau"],
        unemployment_duration=codes["duree_chomage"],
        prescriber=codes["prescripteur"],
        rsa_beneficiary=flags["rsa"],
        disabled_worker=flags["travailleur_handicape"],
    )
    return trainee, record, dates["date_entree"]


FIELD_COLUMNS = {
    "entry_date": "date_entree",
    "paying_body": "remuneration",
    "birth_date": "date_naissance",
    "email": "courriel",
    "birth_name": "nom_naissance",
    "first_names": "prenoms",
}


def apply_rows(action, raw_rows: list[dict], user, *, first_row: int = 2):
    """Registers every row's trainee, or none: returns (registered, errors)."""
    errors: list[RowError] = []
    if len(raw_rows) > MAX_ROWS:
        return 0, [RowError(first_row, "-", f"{MAX_ROWS} lignes au plus par fichier")]
    parsed = [
        (first_row + i, _parse(values, first_row + i, errors)) for i, values in enumerate(raw_rows)
    ]
    registered = 0
    with transaction.atomic():
        for number, row in parsed:
            if row is None:
                continue
            trainee, record, entry_date = row
            try:
                with transaction.atomic():
                    services.register(action, trainee, record, entry_date, user)
                registered += 1
            except ValidationError as exc:
                for name, messages in getattr(exc, "message_dict", {None: exc.messages}).items():
                    for message in messages:
                        errors.append(RowError(number, FIELD_COLUMNS.get(name, "-"), message))
        if errors:
            transaction.set_rollback(True)
    return (0 if errors else registered), errors


def template_workbook() -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    book = Workbook()
    sheet = book.active
    sheet.title = "Stagiaires"
    safe_append(sheet, [name for name, _ in COLUMNS])
    safe_append(
        sheet,
        [
            "MME",
            "F",
            "MARTIN",
            "",
            "Claire",
            "17/05/1990",
            "FR",
            "12 rue des Lilas",
            "",
            "45000",
            "",
            "",
            "",
            "02/03/2026",
            "region",
            "4",
            "6_12",
            "france_travail",
            "job_seeker",
            "NON",
            "NON",
        ],
    )
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    doc = book.create_sheet("Colonnes et codes")
    safe_append(doc, ["Colonne", "Contenu"])
    for name, meaning in COLUMNS:
        safe_append(doc, [name + (" *" if name in REQUIRED else ""), meaning])
    for name, choices in CHOICES.items():
        safe_append(doc, [])
        safe_append(doc, [f"Codes de la colonne {name}", "Signification"])
        for code, label in choices.items():
            safe_append(doc, [code, label])
    doc.column_dimensions["A"].width = 40
    doc.column_dimensions["B"].width = 70
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
