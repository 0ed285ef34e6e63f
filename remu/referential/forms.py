from django import forms
from django.core.exceptions import NON_FIELD_ERRORS

from remu.communes.forms import AddressFormMixin
from remu.core.forms import BicField, DateInput, IbanField, StyledModelForm

from .models import Campaign, CampaignDocument, Programme, Provider, Region

ALLOWED_DOCUMENT_TYPES = {".pdf", ".doc", ".docx", ".odt", ".xls", ".xlsx", ".ods", ".zip"}
MAX_DOCUMENT_SIZE = 10 * 1024 * 1024


class TenantFormMixin:
    """Forms of region-owned objects: the region comes from the agent, never from the page."""

    def __init__(self, *args, tenant, **kwargs):
        self.tenant = tenant
        super().__init__(*args, **kwargs)
        if not self.instance.pk and hasattr(self.instance, "region_id"):
            self.instance.region = tenant.region

    # The field that a (region, field) uniqueness error belongs next to.
    unique_field = "code"

    def validate_unique(self):
        # `region` is not a form field, so Django would skip the (region, code) constraints.
        self._validate_unique = True
        exclude = self._get_validation_exclusions() - {"region"}
        try:
            self.instance.validate_unique(exclude=exclude)
            self.instance.validate_constraints(exclude=exclude)
        except forms.ValidationError as e:
            errors = e.update_error_dict({})
            if NON_FIELD_ERRORS in errors and self.unique_field in self.fields:
                errors.setdefault(self.unique_field, []).extend(errors.pop(NON_FIELD_ERRORS))
            self._update_errors(forms.ValidationError(errors))


class CampaignForm(TenantFormMixin, StyledModelForm):
    class Meta:
        model = Campaign
        fields = ["code", "label", "start_date", "end_date", "is_open"]
        widgets = {"start_date": DateInput(), "end_date": DateInput()}

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("start_date"), cleaned.get("end_date")
        if start and end and end < start:
            self.add_error("end_date", "La fin doit suivre le début.")
        return cleaned


class CampaignDocumentForm(StyledModelForm):
    class Meta:
        model = CampaignDocument
        fields = ["title", "file"]

    def __init__(self, *args, tenant=None, **kwargs):
        super().__init__(*args, **kwargs)

    def clean_file(self):
        upload = self.cleaned_data["file"]
        name = upload.name.lower()
        if not any(name.endswith(ext) for ext in ALLOWED_DOCUMENT_TYPES):
            raise forms.ValidationError(
                "Format non accepté : PDF, documents et tableurs bureautiques ou ZIP."
            )
        if upload.size > MAX_DOCUMENT_SIZE:
            raise forms.ValidationError("Le fichier dépasse 10 Mo.")
        return upload


class ProgrammeForm(TenantFormMixin, StyledModelForm):
    class Meta:
        model = Programme
        fields = ["code", "name", "approved_for_remuneration"]


class ProviderForm(TenantFormMixin, AddressFormMixin, StyledModelForm):
    unique_field = "siret"
    siret = forms.CharField(
        label="SIRET",
        max_length=20,
        help_text="14 chiffres ; les espaces sont acceptés.",
        widget=forms.TextInput(attrs={"inputmode": "numeric"}),
    )

    class Meta:
        model = Provider
        fields = [
            "name",
            "siret",
            "main_provider",
            "contact_name",
            "email",
            "phone",
            "address_line1",
            "address_line2",
            "postal_code",
            "commune",
        ]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.setup_address()
        main = Provider.objects.for_tenant(self.tenant).filter(main_provider__isnull=True)
        if self.instance.pk:
            main = main.exclude(pk=self.instance.pk)
        self.fields["main_provider"].queryset = main

    def clean_siret(self):
        return "".join(self.cleaned_data["siret"].split())


class RegionSettingsForm(StyledModelForm):
    """The region's own settings, for its rules administrators."""

    sepa_debtor_iban = IbanField(label="IBAN du compte payeur", required=False)
    sepa_debtor_bic = BicField(label="BIC du compte payeur", required=False)

    class Meta:
        model = Region
        fields = [
            "name",
            "logo",
            "assistance_phone",
            "assistance_email",
            "sepa_debtor_name",
            "sepa_debtor_iban",
            "sepa_debtor_bic",
        ]

    def clean_logo(self):
        logo = self.cleaned_data.get("logo")
        if logo and hasattr(logo, "size"):
            head = logo.read(16)
            logo.seek(0)
            if not (
                head.startswith(b"\x89PNG")
                or head.startswith(b"\xff\xd8\xff")
                or b"<svg" in logo.read(512)
            ):
                raise forms.ValidationError("Logo au format PNG, JPEG ou SVG attendu.")
            logo.seek(0)
            if logo.size > 1024 * 1024:
                raise forms.ValidationError("Le logo dépasse 1 Mo.")
        return logo
