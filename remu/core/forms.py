"""Form helpers: Bootstrap classes, errors tied to their field for screen readers, bank codes.

The address helpers (postal code → communes) live in `remu.communes.forms`."""

import datetime as dt
from decimal import Decimal

from django import forms
from django.core.validators import MaxValueValidator, MinValueValidator

# Bounds every typed number and date gets unless its field sets narrower ones: what Remu can
# compute with (a date of year 1 or 9999 overflows a month's arithmetic; 1e308 overflows amounts).
NUMBER_LIMIT = Decimal(10) ** 12
DATE_MIN, DATE_MAX = dt.date(1900, 1, 1), dt.date(2199, 12, 31)


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs=attrs, format="%Y-%m-%d")


class StyledFormMixin:
    """Adds Bootstrap classes to every widget, and marks invalid fields for assistive tech."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            bound_field(field)
            if isinstance(field, forms.DecimalField):
                # French users type « 1,5 »: localised text input, decimal keypad on phones.
                field.localize = True
                field.widget = forms.TextInput(attrs={**field.widget.attrs, "inputmode": "decimal"})
                field.widget.is_localized = True
                field.widget.attrs.pop("step", None)
            widget = field.widget
            if isinstance(widget, forms.CheckboxInput | forms.RadioSelect):
                css = "form-check-input"
            elif isinstance(widget, forms.Select | forms.SelectMultiple):
                css = "form-select"
            else:
                css = "form-control"
            widget.attrs["class"] = f"{widget.attrs.get('class', '')} {css}".strip()

    def full_clean(self):
        super().full_clean()
        for name in self.errors:
            if name in self.fields:
                attrs = self.fields[name].widget.attrs
                attrs["aria-invalid"] = "true"
                attrs["aria-describedby"] = f"{self.add_prefix(name)}-errors"
                attrs["class"] = f"{attrs.get('class', '')} is-invalid"


def bound_field(field) -> None:
    """Gives a number or date field the application's outer bounds when it has none."""
    if isinstance(field, forms.IntegerField):  # DecimalField and FloatField included
        if field.max_value is None:
            field.max_value = NUMBER_LIMIT
            field.validators.append(MaxValueValidator(NUMBER_LIMIT))
        if field.min_value is None:
            field.min_value = -NUMBER_LIMIT
            field.validators.append(MinValueValidator(-NUMBER_LIMIT))
    elif isinstance(field, forms.DateField) and not getattr(field, "_bounded", False):
        field._bounded = True
        field.validators.append(
            MinValueValidator(
                DATE_MIN, f"Date antérieure au {DATE_MIN:%d/%m/%Y} : vérifiez l'année."
            )
        )
        field.validators.append(
            MaxValueValidator(
                DATE_MAX, f"Date postérieure au {DATE_MAX:%d/%m/%Y} : vérifiez l'année."
            )
        )


class StyledForm(StyledFormMixin, forms.Form):
    pass


class StyledModelForm(StyledFormMixin, forms.ModelForm):
    pass


class _BankCodeField(forms.CharField):
    """A bank code checked with schwifty, spaces removed, upper case; empty stays empty."""

    code_class = ""  # "IBAN" or "BIC", schwifty's class
    message = ""

    def __init__(self, **kwargs):
        kwargs.setdefault("label", self.code_class)
        super().__init__(**kwargs)

    def clean(self, value):
        value = super().clean(value).replace(" ", "").upper()
        if not value:
            return ""
        import schwifty
        from schwifty.exceptions import SchwiftyException

        try:
            code = getattr(schwifty, self.code_class)(value)
        except SchwiftyException as exc:
            raise forms.ValidationError(self.message) from exc
        return code.compact


class IbanField(_BankCodeField):
    code_class = "IBAN"
    message = "IBAN invalide. Vérifiez le pays, la longueur et la clé."

    def __init__(self, **kwargs):
        super().__init__(max_length=42, **kwargs)


class BicField(_BankCodeField):
    code_class = "BIC"
    message = "BIC invalide (8 ou 11 caractères)."

    def __init__(self, **kwargs):
        super().__init__(max_length=11, **kwargs)


def add_errors(form, exc) -> None:
    """A service's refusal (a ValidationError) shown on the form: each error next to its field
    when the form has that field, the others on top of the form."""
    if hasattr(exc, "error_dict"):
        for field, errors in exc.message_dict.items():
            for error in errors:
                form.add_error(field if field in form.fields else None, error)
    else:
        for error in exc.messages:
            form.add_error(None, error)


def id_or_none(text) -> int | None:
    """An id read from a query string or a posted list: a small ASCII number, else None. (« ² »
    passes str.isdigit() but not int(); 40 digits overflow the database's integers.)"""
    if isinstance(text, str) and text.isascii() and text.isdigit() and len(text) <= 18:
        return int(text)
    return None
