import datetime as dt

from django import forms

from remu.core.forms import BicField, IbanField, StyledForm
from remu.core.french import month_year
from remu.scales.forms import MonthField

from .models import ADJUSTMENT_LIMIT, Adjustment, PaymentRun


class RunForm(StyledForm):
    kind = forms.ChoiceField(label="Type de série", choices=PaymentRun.Kind.choices)
    month = MonthField(label="Mois payé")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        today = dt.date.today()
        self.fields["month"].initial = (today.replace(day=1) - dt.timedelta(days=1)).replace(day=1)


class UploadForm(StyledForm):
    file = forms.FileField(label="Fichier CSV")


class BankDetailsForm(StyledForm):
    account_holder = forms.CharField(label="Titulaire du compte", max_length=120)
    iban = IbanField()
    bic = BicField(required=False)


class AdjustmentForm(StyledForm):
    """A manual adjustment of one of the trainee's months (a second agent approves it)."""

    month = forms.TypedChoiceField(label="Mois ajusté", coerce=dt.date.fromisoformat)
    corrects = forms.ChoiceField(
        label="Il corrige",
        choices=Adjustment.Corrects.choices,
        widget=forms.RadioSelect,
        initial=Adjustment.Corrects.REMUNERATION,
        help_text="La rémunération est imposable (prélèvement à la source), les indemnités ne "
        "le sont pas.",
    )
    amount = forms.DecimalField(
        label="Montant (€)",
        max_digits=9,
        decimal_places=2,
        min_value=-ADJUSTMENT_LIMIT,
        max_value=ADJUSTMENT_LIMIT,
        help_text="Positif : somme versée en plus ; négatif (« -50,00 ») : somme retenue sur les "
        "prochains paiements.",
    )
    reason = forms.CharField(label="Motif", max_length=200)
    document = forms.FileField(
        label="Justificatif (facultatif)",
        required=False,
        help_text="PDF, JPEG ou PNG, 10 Mo au plus.",
    )

    def __init__(self, *args, months: list[dt.date], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["month"].choices = [(m.isoformat(), month_year(m)) for m in months]
        if months:
            self.fields["month"].initial = months[-1].isoformat()

    def clean_amount(self):
        amount = self.cleaned_data["amount"]
        if amount == 0:
            raise forms.ValidationError("Un ajustement de 0,00 € ne change rien.")
        return amount

    def clean_reason(self):
        reason = self.cleaned_data["reason"].strip()
        if not reason:
            raise forms.ValidationError("Le motif est obligatoire.")
        return reason


class AdjustmentRefusalForm(StyledForm):
    decision_reason = forms.CharField(label="Motif du refus", max_length=250)
