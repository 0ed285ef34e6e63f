from django import forms

from remu.communes.forms import AddressFormMixin
from remu.core.forms import DateInput, StyledForm, StyledModelForm
from remu.referential.forms import TenantFormMixin
from remu.referential.models import Campaign, Programme, Provider

from .models import ActionPeriod, TrainingAction

# The action's summary (seed 003 §3 « résumé de l'action »): agents enter and correct them.
SUMMARY_FIELDS = [
    "organisation",
    "call_for_projects",
    "decision_body",
    "vote_date",
    "total_price",
    "price_centre",
    "price_company",
    "subcontractor_count",
    "contract_number",
    "market_number",
    "sector",
]


class TrainingActionForm(TenantFormMixin, AddressFormMixin, StyledModelForm):
    address_pairs = (("training_postal_code", "training_commune"),)
    unique_field = "number"
    training_postal_code = forms.CharField(
        label="Code postal du lieu de formation", max_length=5, required=False
    )

    class Meta:
        model = TrainingAction
        fields = [
            "number",
            "title",
            "campaign",
            "programme",
            "provider",
            "kind",
            "status",
            "planned_start",
            "planned_end",
            "real_start",
            "real_end",
            "weekly_hours",
            "hours_in_centre",
            "hours_in_company",
            "training_place",
            "training_postal_code",
            "training_commune",
            "max_trainees",
            "max_paid_trainees",
            "unit_cost_centre",
            "unit_cost_company",
            "approved_for_remuneration",
            "entry_bonus",
            "distance_learning",
            "fse_cofunded",
            "fse_information",
            *SUMMARY_FIELDS,
        ]
        widgets = {
            name: DateInput()
            for name in ("planned_start", "planned_end", "real_start", "real_end", "vote_date")
        }
        help_texts = {
            "weekly_hours": "30 heures et plus : temps plein ; en dessous : temps partiel.",
            "fse_information": "Par exemple : « Cofinancée par le FSE+ à 50 % ».",
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        tenant = self.tenant
        self.fields["campaign"].queryset = Campaign.objects.for_tenant(tenant)
        self.fields["programme"].queryset = Programme.objects.for_tenant(tenant)
        self.fields["provider"].queryset = Provider.objects.for_tenant(tenant)
        # Summary fields with a default: a form posted without them keeps the default.
        self.fields["organisation"].required = False
        self.fields["subcontractor_count"].required = False
        self.setup_address()

    def summary_fields(self):
        return [self[name] for name in SUMMARY_FIELDS]

    def clean_organisation(self):
        return self.cleaned_data.get("organisation") or TrainingAction.Organisation.COLLECTIVE

    def clean_subcontractor_count(self):
        count = self.cleaned_data.get("subcontractor_count")
        if count is not None and count > 999:
            raise forms.ValidationError("999 au plus.")
        return count or 0

    def clean(self):
        cleaned = super().clean()
        for start, end, label in (
            ("planned_start", "planned_end", "La fin prévue doit suivre le début prévu."),
            ("real_start", "real_end", "La fin réelle doit suivre le début réel."),
        ):
            if cleaned.get(start) and cleaned.get(end) and cleaned[end] < cleaned[start]:
                self.add_error(end, label)
        maximum, paid = cleaned.get("max_trainees"), cleaned.get("max_paid_trainees")
        if maximum is not None and paid is not None and paid > maximum:
            self.add_error(
                "max_paid_trainees", "L'effectif rémunéré ne peut dépasser l'effectif maximum."
            )
        hours = cleaned.get("weekly_hours")
        if hours is not None and not 0 < hours <= 60:
            self.add_error(
                "weekly_hours", "La durée hebdomadaire doit être comprise entre 0 et 60 h."
            )
        for name in ("total_price", "price_centre", "price_company"):
            price = cleaned.get(name)
            if price is not None and not 0 <= price < 10**10:
                self.add_error(name, "Un montant positif est attendu.")
        if cleaned.get("fse_cofunded") is False and cleaned.get("fse_information"):
            self.add_error("fse_information", "Sans cofinancement FSE, laissez ce champ vide.")
        return cleaned


class ActionPeriodForm(StyledModelForm):
    class Meta:
        model = ActionPeriod
        fields = ["place", "start_date", "end_date"]
        widgets = {"start_date": DateInput(), "end_date": DateInput()}

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("start_date"), cleaned.get("end_date")
        if start and end and end < start:
            self.add_error("end_date", "La fin de la période doit suivre son début.")
        return cleaned


ActionPeriodFormSet = forms.inlineformset_factory(
    TrainingAction, ActionPeriod, form=ActionPeriodForm, extra=2, can_delete=True
)


class ActionFilterForm(StyledForm):
    q = forms.CharField(label="Rechercher", required=False)
    campaign = forms.ModelChoiceField(
        label="Campagne", queryset=Campaign.objects.none(), required=False, empty_label="Toutes"
    )
    programme = forms.ModelChoiceField(
        label="Dispositif", queryset=Programme.objects.none(), required=False, empty_label="Tous"
    )
    provider = forms.ModelChoiceField(
        label="Organisme", queryset=Provider.objects.none(), required=False, empty_label="Tous"
    )
    kind = forms.ChoiceField(
        label="Type", choices=[("", "Tous"), *TrainingAction.Kind.choices], required=False
    )
    status = forms.ChoiceField(
        label="Statut", choices=[("", "Tous"), *TrainingAction.Status.choices], required=False
    )

    def __init__(self, *args, tenant, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["campaign"].queryset = Campaign.objects.for_tenant(tenant)
        self.fields["programme"].queryset = Programme.objects.for_tenant(tenant)
        self.fields["provider"].queryset = Provider.objects.for_tenant(tenant)
