from decimal import Decimal

from django import forms

from remu.core.forms import DateInput, StyledForm
from remu.rules.parameters import CATEGORIES

from .models import BenefitPeriod, InformationCorrection, Overpayment, WaiverRequest

AMOUNT = {"max_digits": 9, "decimal_places": 2, "min_value": Decimal("0.01")}


class ListFilterForm(StyledForm):
    statut = forms.ChoiceField(
        label="Statut", required=False, choices=[("", "Tous")] + Overpayment.Status.choices
    )
    origine = forms.ChoiceField(
        label="Origine", required=False, choices=[("", "Toutes")] + Overpayment.Source.choices
    )
    organisme = forms.CharField(label="Organisme", required=False, max_length=100)
    action = forms.CharField(label="N° d'action", required=False, max_length=40)
    montant_min = forms.DecimalField(
        label="Montant minimum", required=False, max_digits=9, decimal_places=2, min_value=0
    )
    montant_max = forms.DecimalField(
        label="Montant maximum", required=False, max_digits=9, decimal_places=2, min_value=0
    )
    anciennete = forms.ChoiceField(
        label="Ancienneté",
        required=False,
        choices=[
            ("", "Toutes"),
            ("0-3", "0 à 3 mois"),
            ("3-6", "3 à 6 mois"),
            ("6-12", "6 à 12 mois"),
            ("12+", "Plus de 12 mois"),
        ],
    )
    suivi = forms.BooleanField(label="Seulement ceux à suivre", required=False)

    def clean(self):
        data = super().clean()
        for name, value in data.items():
            if isinstance(value, str) and "\x00" in value:
                self.add_error(name, "Caractère interdit.")
        return data


class PlanForm(StyledForm):
    count = forms.IntegerField(label="Nombre d'échéances", min_value=1, max_value=60)
    first_due_on = forms.DateField(label="Première échéance", widget=DateInput())


class ReceiptForm(StyledForm):
    amount = forms.DecimalField(label="Montant reçu", **AMOUNT)
    on = forms.DateField(label="Reçu le", widget=DateInput())
    instalment = forms.TypedChoiceField(
        label="Échéance", required=False, coerce=int, empty_value=None
    )
    note = forms.CharField(label="Référence ou commentaire", required=False, max_length=250)

    def __init__(self, *args, instalments=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["instalment"].choices = [("", "Hors échéancier")] + [
            (i.pk, f"{i.due_on:%d/%m/%Y} – {i.amount} €") for i in instalments
        ]


class WaiverRequestForm(StyledForm):
    received_on = forms.DateField(label="Courrier reçu le", widget=DateInput())
    requested_amount = forms.DecimalField(label="Montant dont la remise est demandée", **AMOUNT)
    reasons = forms.CharField(label="Motifs", widget=forms.Textarea(attrs={"rows": 3}))
    situation = forms.CharField(
        label="Situation financière", required=False, widget=forms.Textarea(attrs={"rows": 3})
    )


class ScheduleForm(StyledForm):
    commission_on = forms.DateField(label="Date de la commission", widget=DateInput())


class WaiverDecisionForm(StyledForm):
    decision = forms.ChoiceField(
        label="Décision",
        choices=[c for c in WaiverRequest.Decision.choices if c[0] != "pending"],
        widget=forms.RadioSelect,
    )
    granted_amount = forms.DecimalField(
        label="Montant remis (remise partielle)", required=False, **AMOUNT
    )
    decided_on = forms.DateField(label="Décidée le", widget=DateInput())
    reference = forms.CharField(label="Référence de la décision", max_length=60)


class BenefitPeriodForm(StyledForm):
    start = forms.DateField(label="Du", widget=DateInput())
    end = forms.DateField(label="Au", widget=DateInput())
    source = forms.ChoiceField(label="Allocation", choices=BenefitPeriod.Source.choices)
    reference = forms.CharField(label="Référence France Travail", required=False, max_length=60)

    def clean(self):
        data = super().clean()
        if data.get("start") and data.get("end") and data["end"] < data["start"]:
            self.add_error("end", "La fin de la période ne peut pas précéder son début.")
        return data


class CorrectionForm(StyledForm):
    """A correction of the dossier after wrong information from the trainee."""

    field = forms.ChoiceField(
        label="Information corrigée", choices=InformationCorrection.Field.choices
    )
    new_category = forms.ChoiceField(
        label="Catégorie exacte",
        required=False,
        choices=[("", "—")] + [(code, label.capitalize()) for code, label in CATEGORIES.items()],
    )
    new_prior_monthly_salary = forms.DecimalField(
        label="Dernier salaire mensuel brut exact (€)",
        required=False,
        max_digits=8,
        decimal_places=2,
        min_value=0,
        max_value=Decimal("99999.99"),
    )
    new_birth_date = forms.DateField(
        label="Date de naissance exacte", required=False, widget=DateInput()
    )
    effective_from = forms.DateField(
        label="À compter du",
        help_text="La correction vaut pour tout le mois de cette date et les suivants ; les mois "
        "précédents gardent la valeur déclarée.",
        widget=DateInput(),
    )
    why = forms.CharField(label="Motif", max_length=1000, widget=forms.Textarea(attrs={"rows": 3}))

    def clean(self):
        data = super().clean()
        name = data.get("field")
        if name == InformationCorrection.Field.CATEGORY and not data.get("new_category"):
            self.add_error("new_category", "Choisissez la catégorie exacte.")
        if name == InformationCorrection.Field.BIRTH_DATE and not data.get("new_birth_date"):
            self.add_error("new_birth_date", "Indiquez la date de naissance exacte.")
        if (
            name == InformationCorrection.Field.PRIOR_SALARY
            and data.get("new_prior_monthly_salary") is None
        ):
            self.add_error("new_prior_monthly_salary", "Indiquez le salaire exact.")
        return data

    @property
    def value(self):
        return self.cleaned_data.get("new_" + self.cleaned_data["field"])
