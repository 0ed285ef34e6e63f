from decimal import Decimal

from django import forms

from remu.core.forms import DateInput, StyledForm, StyledModelForm

from .models import COLUMN_LABELS, COLUMNS, InvoicingTerms, ProviderTaxProfile


def _hours(label):
    return forms.DecimalField(
        label=label, min_value=0, max_value=Decimal(9999), decimal_places=2, max_digits=6
    )


class CorrectionForm(StyledForm):
    """« Saisie horaire »: the seed's six columns and why."""

    centre_realised = _hours(COLUMN_LABELS["centre_realised"])
    centre_justified = _hours(COLUMN_LABELS["centre_justified"])
    centre_unjustified = _hours(COLUMN_LABELS["centre_unjustified"])
    company_realised = _hours(COLUMN_LABELS["company_realised"])
    company_justified = _hours(COLUMN_LABELS["company_justified"])
    company_unjustified = _hours(COLUMN_LABELS["company_unjustified"])
    reason = forms.CharField(
        label="Motif de la correction", max_length=1000, widget=forms.Textarea({"rows": 2})
    )

    def values(self) -> dict:
        return {k: self.cleaned_data[k] for k in COLUMNS}


class SubcontractForm(StyledForm):
    subcontractor = forms.CharField(label="Sous-traitant (contractant)", max_length=200)
    amount_ht = forms.DecimalField(
        label="Montant HT (€)",
        min_value=Decimal("0.01"),
        max_value=Decimal(10_000_000),
        decimal_places=2,
        max_digits=10,
    )


class DecisionForm(StyledForm):
    decision = forms.ChoiceField(
        label="Décision",
        choices=[("validate", "Valider la facture"), ("reject", "Rejeter la facture")],
        widget=forms.RadioSelect,
    )
    reason = forms.CharField(
        label="Motif (obligatoire pour un rejet)",
        max_length=1000,
        required=False,
        widget=forms.Textarea({"rows": 2}),
    )


class PaidForm(StyledForm):
    paid_on = forms.DateField(label="Payée le", widget=DateInput())


class TermsForm(StyledModelForm):
    class Meta:
        model = InvoicingTerms
        fields = ["frequency", "unit_cost_centre", "unit_cost_company", "planned_hours", "price"]


class TaxProfileForm(StyledModelForm):
    """The provider's VAT: a rate, or the reference of its exemption."""

    class Meta:
        model = ProviderTaxProfile
        fields = ["vat_rate", "exemption_reference", "vat_number"]

    def clean(self):
        data = super().clean()
        rate, exemption = data.get("vat_rate"), (data.get("exemption_reference") or "").strip()
        if rate is None and not exemption:
            self.add_error(
                "exemption_reference", "Indiquez un taux de TVA ou la mention d'exonération."
            )
        if rate is not None and not 0 <= rate <= 100:
            self.add_error("vat_rate", "Un taux entre 0 et 100 % est attendu.")
        return data
