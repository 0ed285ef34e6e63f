import datetime as dt

from django import forms

from remu.core.forms import StyledForm
from remu.dossiers.forms import DecisionForm
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
    account_holder = DecisionForm.base_fields["account_holder"]
    iban = DecisionForm.base_fields["iban"]
    bic = DecisionForm.base_fields["bic"]
    clean_iban = DecisionForm.clean_iban
    clean_bic = DecisionForm.clean_bic

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in ("account_holder", "iban"):
            self.fields[name].required = True
