import datetime as dt
from decimal import Decimal

from django import forms

from remu.core.forms import StyledForm
from remu.rules.parameters import CATEGORIES, Version


class MonthField(forms.DateField):
    """A month (`<input type="month">`), as the date of its first day."""

    widget = forms.DateInput(attrs={"type": "month"}, format="%Y-%m")
    input_formats = ["%Y-%m", "%Y-%m-%d"]

    def to_python(self, value):
        day = super().to_python(value)
        return day.replace(day=1) if day else day


class VersionHeadForm(StyledForm):
    start = MonthField(label="En vigueur à partir du mois", help_text="Le 1er du mois choisi.")
    label = forms.CharField(label="Libellé (décret, délibération)", max_length=200)


class RevaluationForm(VersionHeadForm):
    coefficient = forms.DecimalField(
        label="Coefficient de revalorisation",
        min_value=Decimal("0.5"),
        max_value=Decimal("2"),
        decimal_places=4,
        help_text="Par exemple 1,017 pour une revalorisation de 1,7 %.",
    )


# No amount of a scale (monthly, hourly, floor, ceiling) comes near; payments hold 9 digits.
AMOUNT_MAX = Decimal("99999.99")


def amount_fields(version: Version):
    """(field name, label, initial) for every amount of a version, in table order."""
    for category, amount in version.amounts.items():
        name = CATEGORIES[category][0].upper() + CATEGORIES[category][1:]
        if amount.is_prior_salary:
            yield f"{category}__floor", f"{name} : plancher", amount.floor
            yield f"{category}__ceiling", f"{name} : plafond", amount.ceiling
        elif amount.hourly is not None:
            yield f"{category}__hourly", f"{name} : taux horaire", amount.hourly
        elif amount.hourly_from_monthly is not None:
            yield (
                f"{category}__hourly_from_monthly",
                f"{name} : montant mensuel de référence",
                (amount.hourly_from_monthly),
            )
        else:
            bands = {b.code: b.label for b in version.age_bands}
            for band, value in amount.monthly_by_band.items():
                suffix = "" if band == "all" else f" ({bands[band]})"
                yield f"{category}__{band}", f"{name}{suffix}", value


class VersionForm(VersionHeadForm):
    """A new dated version: every amount of the version in force, editable."""

    def __init__(self, *args, base: Version, **kwargs):
        super().__init__(*args, **kwargs)
        self.base = base
        for name, label, initial in amount_fields(base):
            self.fields[name] = forms.DecimalField(
                label=f"{label} (€)",
                min_value=0,
                max_value=AMOUNT_MAX,
                decimal_places=2,
                initial=initial,
            )
            self.fields[name].widget.attrs["class"] = "form-control"

    def amounts(self) -> dict:
        out: dict = {}
        for name, value in self.cleaned_data.items():
            if "__" not in name:
                continue
            category, key = name.split("__", 1)
            if key == "all":
                out[category] = str(value)
            else:
                out.setdefault(category, {})[key] = str(value)
        return out

    def clean_start(self):
        start = self.cleaned_data["start"]
        if start <= dt.date(2003, 1, 1):
            raise forms.ValidationError("Choisissez un mois postérieur à 2003.")
        return start
