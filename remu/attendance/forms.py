from django import forms

from remu.core.forms import DateInput, StyledForm
from remu.rules.parameters import ABSENCE_REASONS

from .models import Absence, AttendanceLine, SickLeave, Withdrawal

LEGAL_LEAVE_KINDS = [
    ("", "—"),
    ("OWN_MARRIAGE", "Mariage ou PACS du stagiaire (4 jours)"),
    ("BIRTH", "Naissance (3 jours)"),
    ("DEATH_SPOUSE_OR_CHILD", "Décès du conjoint ou d'un enfant (2 jours)"),
    ("DEATH_PARENT", "Décès d'un parent (1 jour)"),
    ("CHILD_MARRIAGE", "Mariage d'un enfant (1 jour)"),
    ("CITIZENSHIP_DAY", "Journée défense et citoyenneté (1 jour)"),
]


class PresenceForm(StyledForm):
    presence = forms.ChoiceField(
        label="Présence à déclarer",
        choices=[c for c in AttendanceLine.Presence.choices if c[0]],
        widget=forms.RadioSelect,
    )
    period_start = forms.DateField(label="Présent du", required=False, widget=DateInput())
    period_end = forms.DateField(label="au", required=False, widget=DateInput())
    lines = forms.ModelMultipleChoiceField(
        queryset=AttendanceLine.objects.none(),
        error_messages={"required": "Cochez au moins un stagiaire."},
    )

    def __init__(self, *args, statement, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["lines"].queryset = statement.lines.filter(full_time=True, status="draft")


# What an absence or a week can hold, for the forms and the import alike.
ABSENCE_MAX_HOURS = 300
WEEK_MAX_HOURS = 168  # the hours of a week: above the legal maximum, the service asks


class AbsenceForm(StyledForm):
    reason = forms.ChoiceField(
        label="Motif", choices=[(k, v[0].upper() + v[1:]) for k, v in ABSENCE_REASONS.items()]
    )
    start = forms.DateField(label="Du", widget=DateInput())
    end = forms.DateField(label="Au", widget=DateInput())
    place = forms.ChoiceField(label="Lieu", choices=Absence.Place.choices)
    hours = forms.DecimalField(
        label="Heures",
        min_value=0,
        max_value=ABSENCE_MAX_HOURS,
        decimal_places=2,
        required=False,
    )
    legal_leave_kind = forms.ChoiceField(
        label="Motif légal (congé légal)", choices=LEGAL_LEAVE_KINDS, required=False
    )

    def __init__(self, *args, line=None, **kwargs):
        super().__init__(*args, **kwargs)
        if line is not None:  # ids unique per row on a page that holds many such forms
            self.auto_id = f"id_l{line.pk}_%s"


class PartTimeForm(StyledForm):
    """One trainee's hours, week by week. The service's refusals land on their week's cell;
    hours above the enrollment's weekly hours bring up `confirm_over`."""

    days_present = forms.IntegerField(
        label="Jours de présence dans le mois", min_value=0, max_value=31
    )
    # the weeks confirmed, as the checkbox shown with them posts them: « week_3,week_4 »
    confirm_over = forms.CharField(required=False, max_length=60)

    def __init__(self, *args, line, weeks, **kwargs):
        super().__init__(*args, **kwargs)
        self.line_pk = line.pk
        self.auto_id = f"id_pt{line.pk}_%s"
        saved = line.weekly_hours_present or []
        for i, (start, end) in enumerate(weeks):
            self.fields[f"week_{i}"] = forms.DecimalField(
                label=f"Semaine du {start:%d/%m} au {end:%d/%m}",
                min_value=0,
                max_value=WEEK_MAX_HOURS,  # a sanity bound; the legal maximum is the service's
                max_digits=5,
                decimal_places=2,
                initial=saved[i] if i < len(saved) else None,
            )
            widget = self.fields[f"week_{i}"].widget = forms.TextInput(
                attrs={"inputmode": "decimal", "class": "form-control form-control-sm"}
            )
            widget.is_localized = True
            self.fields[f"week_{i}"].localize = True
        self.fields["days_present"].initial = line.days_present
        self.fields["days_present"].widget.attrs["class"] = "form-control form-control-sm"
        self.order_fields([*(f"week_{i}" for i in range(len(weeks))), "days_present"])
        self.weeks = weeks
        self.over = {}  # weeks above the enrollment's weekly hours, to confirm
        self.confirm_label = self.confirm_value = ""

    def weekly_hours(self):
        return [self.cleaned_data[f"week_{i}"] for i in range(len(self.weeks))]

    def confirmed_weeks(self) -> set[str]:
        return {w for w in self.cleaned_data["confirm_over"].split(",") if w in self.fields}

    def entry_fields(self):
        """The cells of the row (weeks, days): the confirmation box is shown on its own."""
        return [self[name] for name in self.fields if name != "confirm_over"]

    def errors_id(self, name) -> str:
        return f"pt{self.line_pk}-{name}-errors"  # unique on a page of many such forms

    def full_clean(self):
        super().full_clean()
        self._describe_errors()

    def add_service_errors(self, error) -> None:
        """A ValidationError from the service, on its fields (week_<i>, days_present)."""
        for name, messages in getattr(error, "message_dict", {None: error.messages}).items():
            for message in messages:
                self.add_error(name if name in self.fields else None, message)
        self._describe_errors()

    def ask_confirmation(self, error) -> None:
        self.over = error.message_dict
        self.add_service_errors(error)
        weeks = ", ".join(message.split(" : ")[0].lower() for message in self.errors_over())
        self.confirm_label = (
            f"Je confirme les heures au-delà de la durée hebdomadaire du stagiaire ({weeks})"
        )
        self.confirm_value = ",".join(self.over)

    def errors_over(self):
        return [m for messages in self.over.values() for m in messages]

    def _describe_errors(self):
        for name in self.errors:
            if name in self.fields:
                self.fields[name].widget.attrs["aria-describedby"] = self.errors_id(name)


class ReopenForm(StyledForm):
    reason = forms.CharField(label="Motif de la réouverture", max_length=300)


class WithdrawalForm(StyledForm):
    reason = forms.ChoiceField(label="Motif", choices=Withdrawal.Reason.choices)
    exit_date = forms.DateField(label="Date réelle de sortie", widget=DateInput())
    comment = forms.CharField(
        label="Commentaire", required=False, widget=forms.Textarea(attrs={"rows": 3})
    )


class WithdrawalDecisionForm(StyledForm):
    decision = forms.ChoiceField(
        label="Décision",
        choices=[
            ("accept", "Valider l'abandon"),
            ("refuse", "Refuser : le stagiaire reste en formation"),
        ],
        widget=forms.RadioSelect,
    )
    decision_comment = forms.CharField(
        label="Commentaire pour l'organisme",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class ImportForm(StyledForm):
    file = forms.FileField(label="Fichier CSV ou XLSX (modèle ci-dessus)")

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > 5 * 1024 * 1024:
            raise forms.ValidationError("Le fichier dépasse 5 Mo.")
        return upload


class SickLeaveForm(StyledForm):
    """A leave from the CPAM statement, with its daily allowance."""

    kind = forms.ChoiceField(label="Type d'arrêt", choices=SickLeave.Kind.choices)
    start = forms.DateField(label="Du", widget=DateInput())
    end = forms.DateField(label="Au", widget=DateInput())
    daily_allowance = forms.DecimalField(
        label="Indemnités journalières de la CPAM (€ par jour)",
        max_digits=6,
        decimal_places=2,
        min_value=0,
        max_value=1000,
        help_text="Le montant journalier du relevé de la CPAM (0,00 si elle ne verse rien).",
    )

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("start"), cleaned.get("end")
        if start and end and end < start:
            self.add_error("end", "La fin de l'arrêt précède son début.")
        return cleaned
