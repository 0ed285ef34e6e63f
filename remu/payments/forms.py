import datetime as dt

from django import forms

from remu.core.forms import BicField, IbanField, StyledForm
from remu.scales.forms import MonthField

from .models import PaymentRun


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
