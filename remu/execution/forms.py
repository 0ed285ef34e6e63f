from django import forms

from remu.actions.models import ActionPeriod
from remu.communes.forms import AddressFormMixin
from remu.core.forms import DateInput, StyledForm, StyledModelForm
from remu.trainees.models import Trainee

from .models import ActionExecution, RegistrationRecord, Survey, Trainer

MAX_TEXT = 2000


class NoNulMixin:
    def clean(self):
        cleaned = super().clean()
        for name, value in list(cleaned.items()):
            if isinstance(value, str) and "\x00" in value:
                self.add_error(name, "Caractère non autorisé.")
        return cleaned


class IdentityForm(NoNulMixin, AddressFormMixin, StyledModelForm):
    """Tab 1 « Identité générale »: the trainee's identity, shared with the dossiers."""

    class Meta:
        model = Trainee
        fields = [
            "civility",
            "birth_name",
            "usage_name",
            "first_names",
            "birth_date",
            "nationality",
            "address_line1",
            "address_line2",
            "postal_code",
            "commune",
            "email",
            "phone",
        ]
        widgets = {"birth_date": DateInput()}
        labels = {
            "nationality": "Nationalité (code ISO, ex. FR)",
            "address_line1": "Adresse où le stagiaire reçoit son courrier",
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["address_line1"].required = True
        self.fields["postal_code"].required = True
        self.setup_address()

    def clean_nationality(self):
        value = (self.cleaned_data.get("nationality") or "").upper()
        if len(value) != 2 or not value.isascii() or not value.isalpha():
            raise forms.ValidationError("Deux lettres attendues (FR pour française).")
        return value


class RegistrationForm(NoNulMixin, AddressFormMixin, StyledModelForm):
    """The rest of tab 1 and, for individualised actions, tab 2 « Parcours individualisé »."""

    address_pairs = (("training_postal_code", "training_commune"),)
    entry_date = forms.DateField(label="Date d'entrée", widget=DateInput())

    IDENTITY = [
        "entry_date",
        "sex",
        "socio_category",
        "training_address",
        "training_postal_code",
        "training_commune",
        "paying_body",
        "level_at_entry",
        "unemployment_duration",
        "prescriber",
        "rsa_beneficiary",
        "disabled_worker",
    ]
    PATH = [
        "planned_job",
        "path_hours_centre",
        "path_hours_company",
        "company_period_count",
        "general_modules",
        "vocational_modules",
        "company_objectives",
        "training_objectives",
        "vae_considered",
        "path_start",
        "path_end",
    ]

    class Meta:
        model = RegistrationRecord
        fields = [
            "sex",
            "socio_category",
            "training_address",
            "training_postal_code",
            "training_commune",
            "paying_body",
            "level_at_entry",
            "unemployment_duration",
            "prescriber",
            "rsa_beneficiary",
            "disabled_worker",
            "planned_job",
            "path_hours_centre",
            "path_hours_company",
            "company_period_count",
            "general_modules",
            "vocational_modules",
            "company_objectives",
            "training_objectives",
            "vae_considered",
            "path_start",
            "path_end",
        ]
        widgets = {
            "path_start": DateInput(),
            "path_end": DateInput(),
            "vae_considered": forms.NullBooleanSelect(),
            **{
                name: forms.Textarea(attrs={"rows": 2, "maxlength": MAX_TEXT})
                for name in (
                    "general_modules",
                    "vocational_modules",
                    "company_objectives",
                    "training_objectives",
                )
            },
        }

    def __init__(self, *args, individualised=False, **kwargs):
        super().__init__(*args, **kwargs)
        self.individualised = individualised
        if not individualised:
            for name in self.PATH:
                del self.fields[name]
        else:
            for name in (
                "planned_job",
                "path_hours_centre",
                "path_hours_company",
                "path_start",
                "path_end",
            ):
                self.fields[name].required = True
        self.setup_address()

    def clean(self):
        cleaned = super().clean()
        for name in (
            "general_modules",
            "vocational_modules",
            "company_objectives",
            "training_objectives",
        ):
            if len(cleaned.get(name) or "") > MAX_TEXT:
                self.add_error(name, f"{MAX_TEXT} caractères au plus.")
        start, end = cleaned.get("path_start"), cleaned.get("path_end")
        if start and end and end < start:
            self.add_error("path_end", "La fin du parcours doit suivre son début.")
        for name in ("path_hours_centre", "path_hours_company"):
            if (cleaned.get(name) or 0) > 10000:
                self.add_error(name, "10 000 heures au plus.")
        if (cleaned.get("company_period_count") or 0) > 50:
            self.add_error("company_period_count", "50 périodes au plus.")
        return cleaned

    def identity_fields(self):
        return [self[name] for name in self.IDENTITY]

    def path_fields(self):
        return [self[name] for name in self.PATH if name in self.fields]


class PeriodForm(StyledForm):
    place = forms.ChoiceField(label="Lieu", choices=[("", "—"), *ActionPeriod.Place.choices])
    start_date = forms.DateField(label="Début", widget=DateInput())
    end_date = forms.DateField(label="Fin", widget=DateInput())


PeriodFormSet = forms.formset_factory(PeriodForm, extra=2, can_delete=True, max_num=60)
PathPeriodFormSet = forms.formset_factory(PeriodForm, extra=2, can_delete=True, max_num=20)


def periods_of(formset) -> list:
    """The (place, start, end) of a valid period formset's filled rows."""
    return [
        (f.cleaned_data["place"], f.cleaned_data["start_date"], f.cleaned_data["end_date"])
        for f in formset.forms
        if f.cleaned_data and not f.cleaned_data.get("DELETE")
    ]


class ReasonForm(NoNulMixin, StyledForm):
    reason = forms.CharField(
        label="Motif", max_length=1000, widget=forms.Textarea(attrs={"rows": 3})
    )


class AgentReopenForm(ReasonForm):
    WHAT = [
        ("dates", "Rouvrir les dates et périodes (demande de report)"),
        ("registrations", "Rouvrir les fiches d'entrée des stagiaires"),
        ("registrations_lock", "Verrouiller à nouveau les fiches d'entrée"),
    ]
    what = forms.ChoiceField(label="Réouverture", choices=WHAT, widget=forms.RadioSelect)
    field_order = ["what", "reason"]


class TrainerForm(NoNulMixin, StyledModelForm):
    class Meta:
        model = Trainer
        fields = ["last_name", "first_name", "field", "hours", "status", "background"]
        widgets = {"background": forms.Textarea(attrs={"rows": 2, "maxlength": MAX_TEXT})}

    def clean_hours(self):
        hours = self.cleaned_data["hours"]
        if hours is not None and not 0 <= hours <= 100000:
            raise forms.ValidationError("Entre 0 et 100 000 heures.")
        return hours


class OpeningForm(StyledForm):
    opened = forms.TypedChoiceField(
        label="Ouverture de l'action",
        choices=[("yes", "Oui"), ("no", "Non")],
        coerce=lambda v: v == "yes",
        widget=forms.RadioSelect,
    )
    opening_date = forms.DateField(
        label="Date d'ouverture de l'action", widget=DateInput(), required=False
    )
    frequency = forms.ChoiceField(
        label="Fréquence de paiement",
        choices=ActionExecution.Frequency.choices,
        widget=forms.RadioSelect,
        required=False,
    )


class ClosureForm(StyledForm):
    real_end = forms.DateField(label="Date de fermeture de l'action", widget=DateInput())


class ExitForm(StyledForm):
    exit_date = forms.DateField(label="Date de sortie", widget=DateInput())


class SurveyForm(StyledForm):
    outcome = forms.ChoiceField(
        label="Situation", choices=Survey.Outcome.choices, widget=forms.RadioSelect
    )
    contract = forms.ChoiceField(
        label="Contrat (en emploi)",
        choices=[c for c in Survey.Contract.choices if c[0]],
        widget=forms.RadioSelect,
        required=False,
    )


class ImportForm(StyledForm):
    file = forms.FileField(label="Fichier CSV ou Excel")

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > 2 * 1024 * 1024:
            raise forms.ValidationError("Le fichier dépasse 2 Mo.")
        return upload


class AgentFilterForm(StyledForm):
    def __init__(self, *args, tenant, states, **kwargs):
        from remu.referential.models import Campaign, Programme, Provider

        super().__init__(*args, **kwargs)
        self.fields["campaign"] = forms.ModelChoiceField(
            label="Année de programmation",
            queryset=Campaign.objects.for_tenant(tenant),
            required=False,
            empty_label="Toutes",
        )
        self.fields["programme"] = forms.ModelChoiceField(
            label="Dispositif",
            queryset=Programme.objects.for_tenant(tenant),
            required=False,
            empty_label="Tous",
        )
        self.fields["provider"] = forms.ModelChoiceField(
            label="Organisme",
            queryset=Provider.objects.for_tenant(tenant),
            required=False,
            empty_label="Tous",
        )
        self.fields["state"] = forms.ChoiceField(
            label="État", choices=[("", "Tous"), *states], required=False
        )
