from decimal import Decimal

from django import forms
from django.core.validators import MaxValueValidator, MinValueValidator
from django.urls import reverse

from remu.actions.models import TrainingAction
from remu.communes.forms import AddressFormMixin
from remu.communes.models import Commune
from remu.core.forms import (
    BicField,
    DateInput,
    IbanField,
    StyledForm,
    StyledModelForm,
    id_or_none,
)
from remu.referential.models import Campaign
from remu.rules.money import euros, number
from remu.rules.parameters import CATEGORIES
from remu.trainees.models import Trainee

from .documents import DOCUMENT_TYPES
from .models import Dossier, Journey, TravelSituation, WeeklyHoursChange

AFFILIATION_CENTRES = [
    "CPAM du Cher",
    "CPAM d'Eure-et-Loir",
    "CPAM de l'Indre",
    "CPAM d'Indre-et-Loire",
    "CPAM de Loir-et-Cher",
    "CPAM du Loiret",
    "CGSS de la Guadeloupe",
    "CPAM de la Côte-d'Or",
    "CPAM du Doubs",
    "CPAM du Jura",
    "CPAM de la Nièvre",
    "CPAM de la Haute-Saône",
    "CPAM de Saône-et-Loire",
    "CPAM de l'Yonne",
    "CPAM du Territoire de Belfort",
    "MSA Beauce Cœur de Loire",
    "MSA Berry-Touraine",
    "MSA Bourgogne",
    "MSA Franche-Comté",
    "Autre centre",
]


ACTION_OPTIONS = 50  # actions offered at once by the search of the blank dossier form


class BlankDossierForm(StyledForm):
    """« Pré-saisie des dossiers / Nouveau dossier » (seed 000): campaign, then action."""

    campaign = forms.ModelChoiceField(label="Campagne", queryset=Campaign.objects.none())
    # Search as you type (htmx): a big provider has thousands of actions in a campaign; the
    # list shows the first ones matching the number or the title.
    action_search = forms.CharField(
        label="Rechercher l'action (numéro ou intitulé)",
        required=False,
        max_length=100,
        help_text=f"Les {ACTION_OPTIONS} premières actions trouvées sont proposées.",
    )
    action = forms.ModelChoiceField(
        label="Action de formation (hors marché)", queryset=TrainingAction.objects.none()
    )
    birth_name = forms.CharField(label="Nom", max_length=100)
    first_names = forms.CharField(label="Prénom", max_length=150)
    birth_date = forms.DateField(label="Date de naissance", widget=DateInput())
    entry_date = forms.DateField(
        label="Date d'entrée en formation",
        required=False,
        widget=DateInput(),
        help_text="Laissez vide si le stagiaire entre au début de l'action.",
    )
    kind = forms.ChoiceField(
        label="Type de dossier",
        choices=[
            (Dossier.Kind.RS1, Dossier.Kind.RS1.label),
            (Dossier.Kind.P2S, Dossier.Kind.P2S.label),
            (Dossier.Kind.RS2, Dossier.Kind.RS2.label),
        ],
    )

    def __init__(self, *args, provider, **kwargs):
        super().__init__(*args, **kwargs)
        actions = TrainingAction.objects.filter(
            provider=provider, kind=TrainingAction.Kind.OFF_MARKET
        ).select_related("campaign")
        self.fields["campaign"].queryset = Campaign.objects.filter(
            pk__in=actions.values("campaign")
        ).order_by("-start_date")
        campaign = self.data.get("campaign") if self.is_bound else None
        # The actions follow the chosen campaign (htmx); none before a campaign is chosen.
        self.fields["action"].queryset = (
            actions.filter(campaign_id=id_or_none(campaign))
            if id_or_none(campaign)
            else actions.none()
        )
        self.fields["action"].empty_label = "— Choisir d'abord la campagne —"
        self.fields["campaign"].widget.attrs.update(
            {
                "hx-get": reverse("dossiers:action_options"),
                "hx-target": "#id_action",
                "hx-trigger": "change",
                "hx-include": "#id_action_search",
            }
        )
        self.fields["action_search"].widget.attrs.update(
            {
                "type": "search",
                "autocomplete": "off",
                "hx-get": reverse("dossiers:action_options"),
                "hx-target": "#id_action",
                "hx-trigger": "input changed delay:300ms, search",
                "hx-include": "#id_campaign",
            }
        )

    def clean(self):
        cleaned = super().clean()
        action, campaign = cleaned.get("action"), cleaned.get("campaign")
        if action and campaign and action.campaign_id != campaign.pk:
            self.add_error("action", "Cette action n'appartient pas à la campagne choisie.")
        return cleaned

    def add_service_errors(self, error) -> None:
        """The refusals of `services.create_blank`, next to their fields."""
        for name, messages in error.message_dict.items():
            for message in messages:
                self.add_error(name if name in self.fields else None, message)
        for name in self.errors:
            if name in self.fields:
                attrs = self.fields[name].widget.attrs
                attrs["aria-invalid"] = "true"
                attrs["aria-describedby"] = f"{self.add_prefix(name)}-errors"
                attrs["class"] = f"{attrs.get('class', '')} is-invalid"


class BannerForm(StyledModelForm):
    class Meta:
        model = Dossier
        fields = ["real_start", "real_end", "weekly_hours"]
        widgets = {"real_start": DateInput(), "real_end": DateInput()}
        help_texts = {
            "weekly_hours": "30 heures et plus : temps plein ; en dessous : temps "
            "partiel (parcours mixte : 29 h)."
        }


class CivilStatusForm(AddressFormMixin, StyledModelForm):
    birth_postal_code = forms.CharField(
        label="Code postal de la commune de naissance", max_length=5, required=False
    )
    address_pairs = (("postal_code", "commune"), ("birth_postal_code", "birth_commune"))

    class Meta:
        model = Trainee
        fields = [
            "civility",
            "birth_name",
            "usage_name",
            "first_names",
            "birth_date",
            "birth_postal_code",
            "birth_commune",
            "birth_country",
            "birth_place",
            "nationality",
            "nir",
            "address_line1",
            "address_line2",
            "postal_code",
            "commune",
            "email",
            "phone",
        ]
        widgets = {"birth_date": DateInput()}
        labels = {
            "birth_country": "Pays de naissance (code ISO, ex. FR, MA)",
            "nationality": "Nationalité (code ISO, ex. FR)",
        }
        help_texts = {
            "nir": "Pré-rempli depuis la civilité, la date et la commune de naissance ; "
            "numéro provisoire accepté (ordre « 000 » et clé calculée).",
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["birth_commune"].queryset = Commune.objects.none()
        self.fields["nir"].validators = []  # coherence is checked at validation, in context
        self.fields["nir"].max_length = 21
        self.fields["nir"].widget.attrs["maxlength"] = 21
        self.setup_address()
        for name in ("civility", "birth_name", "first_names", "birth_date"):
            self.fields[name].required = True

    def clean_nir(self):
        return "".join(self.cleaned_data["nir"].split()).upper()

    def clean_birth_country(self):
        return self.cleaned_data["birth_country"].upper()[:2]

    def clean_nationality(self):
        return self.cleaned_data["nationality"].upper()[:2]


class SituationForm(StyledModelForm):
    class Meta:
        model = Dossier
        fields = [
            "job_seeker",
            "registered_france_travail",
            "france_travail_id",
            "france_travail_benefit",
            "are_end_date",
            "particular_category",
            "non_salaried",
            "non_salaried_from",
            "non_salaried_to",
            "disabled_worker",
            "rqth_valid_until",
            "disabled_chooses_regional_pay",
            "youth_guarantee",
            "detainee",
            "salaried_hours_12_months",
            "salaried_months_12",
            "salaried_months_24",
            "last_monthly_salary",
            "children",
            "single_parent",
            "pregnant",
            "separated_since",
            "resignation",
            "contract_end_date",
            "residence_permit_until",
        ]
        widgets = {
            name: DateInput()
            for name in (
                "non_salaried_from",
                "non_salaried_to",
                "rqth_valid_until",
                "separated_since",
                "contract_end_date",
                "residence_permit_until",
                "are_end_date",
            )
        }
        help_texts = {
            "france_travail_benefit": "Un stagiaire indemnisé par France Travail (ARE) n'est pas "
            "rémunéré par la Région pendant ses droits ; la Région prend le relais le lendemain "
            "de la fin de l'ARE (relais, seed 001 §3.5.2).",
            "disabled_chooses_regional_pay": "Droit d'option (seed 001 §3.1.1) : conserver l'ARE "
            "ou choisir la rémunération publique de stage versée par la Région.",
            "resignation": "Un stagiaire qui a démissionné de son dernier emploi : selon la "
            "Région, la rémunération commence après un délai (Bourgogne-Franche-Comté : 60 jours "
            "après la fin d'un CDI à temps plein) ou dure 4 mois au plus (Centre-Val de Loire).",
            "contract_end_date": "Date réelle de fin du contrat (certificat de travail).",
            "residence_permit_until": "Stagiaire étranger : la rémunération s'arrête à la fin de "
            "validité du titre de séjour, sauf renouvellement.",
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["france_travail_benefit"].required = False  # not answered: none

    def clean_france_travail_benefit(self):
        return self.cleaned_data["france_travail_benefit"] or Dossier.Benefit.NONE

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("france_travail_benefit") != Dossier.Benefit.ARE:
            cleaned["are_end_date"] = None
        on_are = cleaned.get("france_travail_benefit") == Dossier.Benefit.ARE
        if not (on_are and cleaned.get("disabled_worker")):
            cleaned["disabled_chooses_regional_pay"] = False
        return cleaned


class SocialProtectionForm(StyledModelForm):
    affiliation_centre = forms.ChoiceField(
        label="Centre d'affiliation",
        choices=[("", "— Choisir —")] + [(c, c) for c in AFFILIATION_CENTRES],
        required=False,
    )

    class Meta:
        model = Dossier
        fields = ["regime", "affiliation_centre"]


class JourneyForm(StyledModelForm):
    class Meta:
        model = Journey
        fields = ["date", "purpose", "origin", "destination", "distance_km", "amount"]
        widgets = {"date": DateInput()}

    def clean_distance_km(self):
        distance = self.cleaned_data["distance_km"]
        if distance is not None and distance <= 25:
            raise forms.ValidationError("Seuls les trajets de plus de 25 km sont remboursés.")
        return distance

    def clean_amount(self):
        # Said next to the field (the database constraint would only give a generic message).
        amount = self.cleaned_data["amount"]
        if amount is not None and amount < 0:
            raise forms.ValidationError("Le montant ne peut pas être négatif.")
        return amount


JourneyFormSet = forms.inlineformset_factory(
    Dossier, Journey, form=JourneyForm, extra=1, can_delete=True
)


class UploadForm(StyledForm):
    doc_type = forms.ChoiceField(label="Pièce", choices=list(DOCUMENT_TYPES.items()))
    file = forms.FileField(label="Fichier (PDF, JPEG ou PNG, 10 Mo au plus)")

    def __init__(self, *args, doc_types, invalid_choice="", **kwargs):
        """`doc_types`: the pieces the dossier's status lets the provider add."""
        super().__init__(*args, **kwargs)
        self.fields["doc_type"].choices = [(d, DOCUMENT_TYPES[d]) for d in doc_types]
        if invalid_choice:
            self.fields["doc_type"].error_messages["invalid_choice"] = invalid_choice


class ReceptionForm(StyledForm):
    reception_date = forms.DateField(label="Date de réception", widget=DateInput())
    requested = forms.MultipleChoiceField(
        label="Pièces manquantes à demander",
        choices=list(DOCUMENT_TYPES.items()),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    request_message = forms.CharField(
        label="Précision pour l'organisme", required=False, max_length=250
    )

    def __init__(self, *args, documents, **kwargs):
        super().__init__(*args, **kwargs)
        self.documents = list(documents)
        for document in self.documents:
            self.fields[f"review_{document.pk}"] = forms.ChoiceField(
                label=f"{DOCUMENT_TYPES.get(document.doc_type, document.doc_type)} "
                f"({document.original_name})",
                choices=[
                    ("pending", "À vérifier"),
                    ("accepted", "Acceptée"),
                    ("refused", "Refusée"),
                ],
                initial=document.review,
            )
            self.fields[f"reason_{document.pk}"] = forms.CharField(
                label="Motif du refus",
                required=False,
                max_length=250,
                initial=document.refusal_reason,
            )
            for name in (f"review_{document.pk}", f"reason_{document.pk}"):
                widget = self.fields[name].widget
                widget.attrs["class"] = (
                    "form-select" if isinstance(widget, forms.Select) else "form-control"
                )

    def clean(self):
        cleaned = super().clean()
        for document in self.documents:
            if cleaned.get(f"review_{document.pk}") == "refused" and not cleaned.get(
                f"reason_{document.pk}"
            ):
                self.add_error(f"reason_{document.pk}", "Le motif du refus est obligatoire.")
        return cleaned

    def reviews(self):
        return {
            d.pk: (self.cleaned_data[f"review_{d.pk}"], self.cleaned_data[f"reason_{d.pk}"])
            for d in self.documents
        }


class DecisionForm(StyledForm):
    decision = forms.ChoiceField(
        label="Décision",
        choices=[("admit", "Admettre"), ("reject", "Rejeter")],
        widget=forms.RadioSelect,
    )
    category = forms.ChoiceField(
        label="Catégorie de rémunération",
        choices=[(c, label[0].upper() + label[1:]) for c, label in CATEGORIES.items()],
        required=False,
    )
    category_reason = forms.CharField(
        label="Motif, si vous retenez une autre catégorie que celle proposée",
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    account_holder = forms.CharField(label="Titulaire du compte", required=False, max_length=120)
    iban = IbanField(required=False)
    bic = BicField(required=False)
    decision_reason = forms.CharField(
        label="Motif du rejet", required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    exception_reason = forms.CharField(
        label="Motif de l'admission malgré les pièces manquantes",
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="La Région admet un dossier incomplet sur motif écrit : il figurera dans "
        "l'historique du dossier.",
    )
    provisional = forms.BooleanField(
        label="Admission provisoire au taux minimum (pièces annexes manquantes)",
        required=False,
    )

    def __init__(
        self, *args, exception_allowed: bool = False, minimum_category: str | None = None, **kwargs
    ):
        super().__init__(*args, **kwargs)
        if not exception_allowed:
            del self.fields["exception_reason"]
        if minimum_category is None:  # the region offers no provisional admission
            del self.fields["provisional"]
        else:
            self.fields["provisional"].help_text = (
                f"Catégorie retenue : {CATEGORIES[minimum_category]}. Le dossier reste marqué "
                "provisoire ; « Confirmer l'admission » fixera la catégorie définitive et "
                "régularisera les mois déjà payés."
            )

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("decision") == "admit":
            if not cleaned.get("category") and not cleaned.get("provisional"):
                self.add_error("category", "Choisissez la catégorie de rémunération.")
            for name, label in (("account_holder", "Le titulaire"), ("iban", "L'IBAN")):
                if not cleaned.get(name) and name not in self.errors:
                    self.add_error(name, f"{label} est obligatoire pour admettre le dossier.")
        if cleaned.get("decision") == "reject" and not cleaned.get("decision_reason"):
            self.add_error("decision_reason", "Le motif du rejet est obligatoire.")
        return cleaned


class TravelSituationForm(StyledModelForm):
    """The distance and housing at entry (RS1, « Situation à l'entrée »); empty: not yet
    known (no transport nor housing allowance is paid without it)."""

    class Meta:
        model = TravelSituation
        fields = ["distance_km", "distance_justification", "housing"]
        help_texts = {
            "distance_km": "De l'adresse du stagiaire au lieu de formation, trajet aller.",
            "distance_justification": "Comment la distance est établie (itinéraire, "
            "justificatif de domicile, attestation d'hébergement).",
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["distance_km"].required = False
        self.fields["distance_km"].min_value = 0
        self.fields["distance_km"].validators += [
            MinValueValidator(0, "La distance ne peut pas être négative."),
            MaxValueValidator(Decimal("999.9"), "La distance ne peut dépasser 999,9 km."),
        ]

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("distance_km") is not None and not cleaned.get("distance_justification"):
            self.add_error("distance_justification", "Indiquez comment la distance est établie.")
        return cleaned


class TravelMoveForm(TravelSituationForm):
    """A later situation: a move during the training, from its date."""

    class Meta(TravelSituationForm.Meta):
        fields = ["valid_from", "distance_km", "distance_justification", "housing"]
        widgets = {"valid_from": DateInput()}
        labels = {"valid_from": "Nouvelle situation à partir du"}
        help_texts = {
            **TravelSituationForm.Meta.help_texts,
            "valid_from": "Un mois est payé avec la situation de son premier jour : "
            "une situation qui commence en cours de mois s'applique au mois suivant.",
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["distance_km"].required = True


class JourneyReviewForm(StyledForm):
    """The agent's review of each RS2 journey's receipt (an accepted one becomes due)."""

    def __init__(self, *args, journeys, **kwargs):
        super().__init__(*args, **kwargs)
        self.journeys = list(journeys)
        for journey in self.journeys:
            self.fields[f"review_{journey.pk}"] = forms.ChoiceField(
                label=f"{journey.date:%d/%m/%Y} – {journey.origin} → {journey.destination} "
                f"({journey.get_purpose_display()}, {number(journey.distance_km)} km, "
                f"justificatif de {euros(journey.amount)})",
                choices=Journey._meta.get_field("review").choices,
                initial=journey.review,
                widget=forms.Select(attrs={"class": "form-select"}),
            )
            self.fields[f"reason_{journey.pk}"] = forms.CharField(
                label="Motif du refus",
                required=False,
                max_length=250,
                initial=journey.refusal_reason,
                widget=forms.TextInput(attrs={"class": "form-control"}),
            )

    def clean(self):
        cleaned = super().clean()
        for journey in self.journeys:
            if (
                cleaned.get(f"review_{journey.pk}") == "refused"
                and not cleaned.get(f"reason_{journey.pk}", "").strip()
            ):
                self.add_error(f"reason_{journey.pk}", "Le motif du refus est obligatoire.")
        return cleaned

    def reviews(self) -> dict:
        return {
            j.pk: (self.cleaned_data[f"review_{j.pk}"], self.cleaned_data[f"reason_{j.pk}"])
            for j in self.journeys
        }


class HoursChangeForm(StyledModelForm):
    """Weekly hours from a date (a training mixing full-time and part-time periods)."""

    class Meta:
        model = WeeklyHoursChange
        fields = ["valid_from", "weekly_hours"]
        widgets = {"valid_from": DateInput()}
        labels = {"valid_from": "Nouvelle durée à partir du"}
        help_texts = {
            "weekly_hours": "Un mois qui compte une période à temps partiel se saisit en heures "
            "sur l'état de présence ; les jours à temps plein sont payés en trentièmes.",
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields["weekly_hours"]
        field.validators += [MinValueValidator(Decimal("0.01")), MaxValueValidator(Decimal(60))]


class ConfirmAdmissionForm(StyledForm):
    category = forms.ChoiceField(
        label="Catégorie définitive",
        choices=[(c, label[0].upper() + label[1:]) for c, label in CATEGORIES.items()],
    )
    reason = forms.CharField(
        label="Motif (pièces reçues)",
        required=False,
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
