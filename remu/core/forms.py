"""Form helpers: Bootstrap classes, errors tied to their field for screen readers, addresses."""

from django import forms
from django.urls import reverse

from remu.communes.models import Commune
from remu.communes.selectors import communes_for_postal_code


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs=attrs, format="%Y-%m-%d")


class StyledFormMixin:
    """Adds Bootstrap classes to every widget, and marks invalid fields for assistive tech."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
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


class StyledForm(StyledFormMixin, forms.Form):
    pass


class StyledModelForm(StyledFormMixin, forms.ModelForm):
    pass


class AddressFormMixin:
    """Postal codes and the communes they serve: each commune list follows its postal code
    (htmx lookup, or a plain re-submission without JavaScript). Call `setup_address()` at the
    end of `__init__`. `address_pairs` names the (postal code, commune) fields."""

    address_pairs = (("postal_code", "commune"),)

    def setup_address(self):
        for postal_name, commune_name in self.address_pairs:
            self._setup_pair(postal_name, commune_name)

    def _setup_pair(self, postal_name, commune_name):
        self.fields[postal_name].widget.attrs.update(
            {
                "inputmode": "numeric",
                "pattern": "[0-9]{5}",
                "autocomplete": "postal-code" if postal_name == "postal_code" else "off",
                "hx-get": reverse("communes:lookup"),
                "hx-trigger": "input changed delay:300ms, change",
                "hx-target": f"#id_{self.add_prefix(commune_name)}",
                "hx-include": f"#id_{self.add_prefix(commune_name)}",
                "hx-swap": "innerHTML",
            }
        )
        if self.is_bound:
            code = self.data.get(self.add_prefix(postal_name), "")
        else:
            code = self.initial.get(postal_name) or getattr(self.instance, postal_name, "")
            commune = getattr(self.instance, commune_name, None)
            if not code and commune is not None:  # a commune without a stored postal code
                first = commune.postal_codes.first()
                code = self.initial[postal_name] = first.code if first else ""
        self.fields[commune_name].queryset = communes_for_postal_code(code)
        self.fields[commune_name].empty_label = "— Choisir la commune —"

    def clean(self):
        cleaned = super().clean()
        for postal_name, commune_name in self.address_pairs:
            code = cleaned.get(postal_name)
            commune: Commune | None = cleaned.get(commune_name)
            if code and not communes_for_postal_code(code).exists():
                self.add_error(postal_name, "Ce code postal ne correspond à aucune commune.")
            elif code and commune is None and commune_name not in self.errors:
                self.add_error(commune_name, "Choisissez la commune correspondant au code postal.")
        return cleaned


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
