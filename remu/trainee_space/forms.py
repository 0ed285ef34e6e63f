from decimal import Decimal

from django import forms

from remu.core.forms import BicField, IbanField, StyledForm, StyledModelForm

from .models import NotificationPreferences

ACCEPT = "application/pdf,image/jpeg,image/png"


def _no_nul(form, data):
    for name, value in data.items():
        if isinstance(value, str) and "\x00" in value:
            form.add_error(name, "Caractère interdit.")
    return data


class UploadForm(StyledForm):
    file = forms.FileField(
        label="Fichier (PDF, JPEG ou PNG, 10 Mo au plus)",
        widget=forms.ClearableFileInput(attrs={"accept": ACCEPT}),
    )


class WaiverForm(StyledForm):
    requested_amount = forms.DecimalField(
        label="Montant dont vous demandez la remise (€)",
        max_digits=9,
        decimal_places=2,
        min_value=Decimal("0.01"),
        max_value=Decimal("999999.99"),
    )
    reasons = forms.CharField(
        label="Pourquoi demandez-vous une remise ?",
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    situation = forms.CharField(
        label="Votre situation financière (ressources, charges)",
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def clean(self):
        return _no_nul(self, super().clean())


class BankChangeForm(StyledForm):
    account_holder = forms.CharField(label="Titulaire du compte", max_length=120)
    iban = IbanField(label="IBAN")
    bic = BicField(label="BIC (facultatif)", required=False)
    document = forms.FileField(
        label="Votre RIB (PDF, JPEG ou PNG, 10 Mo au plus)",
        widget=forms.ClearableFileInput(attrs={"accept": ACCEPT}),
    )

    def clean(self):
        return _no_nul(self, super().clean())


class PreferencesForm(StyledModelForm):
    class Meta:
        model = NotificationPreferences
        fields = ["payment_sent", "document_requested", "overpayment_notified"]


class DecisionForm(StyledForm):
    decision = forms.ChoiceField(
        label="Décision",
        choices=[("validate", "Valider le nouveau RIB"), ("reject", "Refuser")],
    )  # sent by the page's two buttons
    reason = forms.CharField(label="Motif du refus", required=False, max_length=250)

    def clean(self):
        data = _no_nul(self, super().clean())
        if data.get("decision") == "reject" and not (data.get("reason") or "").strip():
            self.add_error("reason", "Indiquez le motif du refus.")
        return data
