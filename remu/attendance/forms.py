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


class AbsenceForm(StyledForm):
    reason = forms.ChoiceField(
        label="Motif", choices=[(k, v[0].upper() + v[1:]) for k, v in ABSENCE_REASONS.items()]
    )
    start = forms.DateField(label="Du", widget=DateInput())
    end = forms.DateField(label="Au", widget=DateInput())
    place = forms.ChoiceField(label="Lieu", choices=Absence.Place.choices)
    hours = forms.DecimalField(
        label="Heures", min_value=0, max_value=300, decimal_places=2, required=False
    )
    legal_leave_kind = forms.ChoiceField(
        label="Motif légal (congé légal)", choices=LEGAL_LEAVE_KINDS, required=False
    )

    def __init__(self, *args, line=None, **kwargs):
        super().__init__(*args, **kwargs)
        if line is not None:  # ids unique per row on a page that holds many such forms
            self.auto_id = f"id_l{line.pk}_%s"


class PartTimeForm(StyledForm):
    days_present = forms.IntegerField(
        label="Jours de présence dans le mois", min_value=0, max_value=31
    )

    def __init__(self, *args, line, weeks, **kwargs):
        super().__init__(*args, **kwargs)
        self.auto_id = f"id_pt{line.pk}_%s"
        saved = line.weekly_hours_present or []
        for i, (start, end) in enumerate(weeks):
            self.fields[f"week_{i}"] = forms.DecimalField(
                label=f"Semaine du {start:%d/%m} au {end:%d/%m}",
                min_value=0,
                max_value=60,
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
        self.weeks = weeks

    def weekly_hours(self):
        return [self.cleaned_data[f"week_{i}"] for i in range(len(self.weeks))]


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
