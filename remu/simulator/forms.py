import datetime as dt
from decimal import Decimal

from django import forms

from remu.core.forms import DateInput, StyledForm
from remu.rules.calendar import age_on
from remu.rules.situation import Situation

YES_NO = [("non", "Non"), ("oui", "Oui")]


def region_choices(sets):
    choices = [(code, s.label) for code, s in sets.items() if code != "national"]
    choices.sort(key=lambda c: c[1])
    return [*choices, ("national", "Autre région (barème national de l'État)")]


class SimulatorForm(StyledForm):
    region = forms.ChoiceField(label="Région de la formation")
    birth_date = forms.DateField(label="Date de naissance", widget=DateInput())
    start_date = forms.DateField(label="Date de début de la formation", widget=DateInput())
    weekly_hours = forms.DecimalField(
        label="Durée de la formation (heures par semaine)",
        min_value=Decimal("1"),
        max_value=Decimal("60"),
        decimal_places=2,
        help_text="30 heures et plus : temps plein.",
    )
    distance_km = forms.DecimalField(
        label="Distance entre le domicile et le lieu de formation (km)",
        min_value=Decimal("0"),
        max_value=Decimal("2000"),
        decimal_places=1,
        required=False,
    )
    training_total_hours = forms.IntegerField(
        label="Durée totale de la formation (heures)",
        min_value=1,
        max_value=9999,
        required=False,
        help_text="Certaines régions ne rémunèrent que les formations d'une durée minimale "
        "et versent des indemnités selon la durée.",
    )
    unemployment_benefit = forms.ChoiceField(
        label="Percevez-vous l'allocation chômage (ARE) de France Travail ?",
        choices=YES_NO,
        widget=forms.RadioSelect,
        initial="non",
    )
    prior_activity = forms.BooleanField(
        label="J'ai travaillé comme salarié au moins 910 heures sur 12 mois "
        "(ou 6 mois sur 12, ou 12 mois sur 24)",
        required=False,
    )
    non_salaried = forms.BooleanField(
        label="J'ai eu une activité non salariée d'au moins un an dans les trois dernières années",
        required=False,
    )
    disabled_worker = forms.BooleanField(
        label="Je suis reconnu(e) travailleur handicapé (RQTH)", required=False
    )
    prior_salary = forms.DecimalField(
        label="Si oui, mon dernier salaire mensuel (€), si j'ai travaillé",
        min_value=Decimal("0"),
        decimal_places=2,
        required=False,
    )
    family_situation = forms.BooleanField(
        label="Je suis parent de 3 enfants ou plus, parent isolé, femme seule enceinte, ou veuf, "
        "divorcé ou séparé depuis moins de 3 ans",
        required=False,
    )
    rsa_or_youth_guarantee = forms.BooleanField(
        label="Je perçois le RSA ou la Garantie jeunes", required=False
    )
    ass_beneficiary = forms.BooleanField(
        label="Je perçois l'allocation de solidarité spécifique (ASS)", required=False
    )
    detainee = forms.BooleanField(
        label="La formation a lieu en établissement pénitentiaire", required=False
    )
    distance_learning = forms.BooleanField(label="La formation est à distance", required=False)
    housing = forms.BooleanField(label="Je dois me loger près du lieu de formation", required=False)

    def __init__(self, *args, sets, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["region"].choices = region_choices(sets)

    def clean(self):
        cleaned = super().clean()
        birth, start = cleaned.get("birth_date"), cleaned.get("start_date")
        if birth and start:
            if age_on(birth, start) < 16:
                self.add_error(
                    "birth_date", "Il faut avoir au moins 16 ans à l'entrée en formation."
                )
            if birth > dt.date.today():
                self.add_error("birth_date", "La date de naissance est dans le futur.")
        if start and start.year < 2003:
            self.add_error("start_date", "Le simulateur calcule à partir de 2003.")
        return cleaned

    def situation(self, full_time: bool) -> Situation:
        c = self.cleaned_data
        return Situation(
            age=age_on(c["birth_date"], c["start_date"]),
            detainee=c["detainee"],
            disabled_worker=c["disabled_worker"],
            prior_salary=c["prior_salary"] if c["disabled_worker"] else None,
            prior_activity=c["prior_activity"],
            non_salaried=c["non_salaried"],
            family_situation=c["family_situation"],
            rsa_or_youth_guarantee=c["rsa_or_youth_guarantee"],
            ass_beneficiary=c["ass_beneficiary"],
            part_time=not full_time,
        )
