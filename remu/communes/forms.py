"""Address forms: each commune list follows its postal code."""

from django.urls import reverse

from .models import Commune
from .selectors import communes_for_postal_code


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
