import datetime as dt
from decimal import Decimal

from ninja import Schema


class ActionOut(Schema):
    id: int
    number: str
    title: str
    start_date: dt.date
    end_date: dt.date
    weekly_hours: Decimal


class StatementOut(Schema):
    id: int
    action_id: int
    month: dt.date
    lines_to_validate: int


class AbsenceOut(Schema):
    reason: str
    start: dt.date
    end: dt.date
    place: str
    hours: Decimal | None


class LineOut(Schema):
    id: int
    dossier: str | None  # empty: not paid by the region (declared for invoicing only)
    paid_by_region: bool
    trainee: str
    full_time: bool
    status: str
    presence: str
    period_start: dt.date | None
    period_end: dt.date | None
    weekly_hours_present: list[Decimal]
    days_present: int | None
    absences: list[AbsenceOut]
    paid_thirtieths: int | None
    paid_hours: Decimal | None
    amount: Decimal | None


class StatementDetailOut(StatementOut):
    lines: list[LineOut]


class Declaration(Schema):
    """One declaration, the same columns as the import file (see the import template)."""

    dossier: str = ""
    nir: str = ""
    type: str
    presence: str = ""
    debut: str = ""
    fin: str = ""
    motif: str = ""
    motif_legal: str = ""
    lieu: str = ""
    heures: str = ""
    semaine_1: str = ""
    semaine_2: str = ""
    semaine_3: str = ""
    semaine_4: str = ""
    semaine_5: str = ""
    semaine_6: str = ""
    jours: str = ""
    confirmer_depassement: str = ""


class RowErrorOut(Schema):
    ligne: int
    colonne: str
    erreur: str


class DeclarationsResult(Schema):
    applied: int


class ErrorsOut(Schema):
    detail: str
    errors: list[RowErrorOut] = []


class ValidateIn(Schema):
    lines: list[int]


class ValidateOut(Schema):
    validated: list[int]


class Registration(Schema):
    """One trainee to register, the same columns as the registration import file (see its
    template): codes as documented there, dates JJ/MM/AAAA or AAAA-MM-JJ."""

    civilite: str
    sexe: str
    nom_naissance: str
    nom_usage: str = ""
    prenoms: str
    date_naissance: str
    nationalite: str = "FR"
    adresse: str
    complement: str = ""
    code_postal: str
    commune: str = ""
    courriel: str = ""
    telephone: str = ""
    date_entree: str
    remuneration: str
    niveau: str
    duree_chomage: str
    prescripteur: str
    categorie: str = ""
    rsa: str = ""
    travailleur_handicape: str = ""


class RegistrationsResult(Schema):
    registered: int
