from django.conf import settings
from django.db import models
from django.db.models import F, Q

from remu.communes.models import AddressFields
from remu.core.models import TimestampedModel, scoped

from .validators import validate_siret


class Region(models.Model):
    """The tenant: a regional council running its trainees' remuneration."""

    code = models.SlugField("code", max_length=50, unique=True)
    name = models.CharField("nom", max_length=120)
    number_prefix = models.CharField(
        "préfixe des numéros de dossier", max_length=5, default="REG", help_text="Ex. : CVL"
    )
    logo = models.FileField("logo", upload_to="regions/logos/", blank=True)
    assistance_phone = models.CharField("téléphone d'assistance", max_length=30, blank=True)
    assistance_email = models.EmailField("courriel d'assistance", blank=True)
    # Rule options. The dated rate tables live in the rules engine's parameter sets (YAML);
    # `parameter_set` names the one this region follows.
    parameter_set = models.SlugField("jeu de paramètres de rémunération", max_length=50)
    sepa_debtor_name = models.CharField(
        "titulaire du compte payeur (SEPA)", max_length=70, blank=True
    )
    sepa_debtor_iban = models.CharField("IBAN du compte payeur", max_length=34, blank=True)
    sepa_debtor_bic = models.CharField("BIC du compte payeur", max_length=11, blank=True)

    class Meta:
        ordering = ["name"]
        verbose_name = "région"

    def __str__(self):
        return self.name


# Region-wide objects (campaigns, programmes): the region's agents and providers see them.
RegionScopedQuerySet = scoped()


class Campaign(TimestampedModel):
    """A programming year (campagne): actions, dossiers and documents hang off it."""

    region = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="campaigns")
    code = models.CharField("code", max_length=30)
    label = models.CharField("libellé", max_length=120)
    start_date = models.DateField("début")
    end_date = models.DateField("fin")
    is_open = models.BooleanField("ouverte", default=True)

    objects = RegionScopedQuerySet.as_manager()

    class Meta:
        ordering = ["-start_date", "code"]
        verbose_name = "campagne"
        constraints = [
            models.UniqueConstraint(
                fields=["region", "code"],
                violation_error_message="Ce code de campagne existe déjà dans la région.",
                name="unique_campaign_code",
            ),
            models.CheckConstraint(
                condition=Q(end_date__gte=F("start_date")), name="campaign_dates_ordered"
            ),
        ]

    def __str__(self):
        return self.label


class CampaignDocument(TimestampedModel):
    """A document (guide, blank form) that agents publish to providers for one campaign."""

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="documents")
    title = models.CharField("titre", max_length=200)
    file = models.FileField("fichier", upload_to="campaign-documents/%Y/")
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )

    class Meta:
        ordering = ["title"]
        verbose_name = "document de campagne"

    def __str__(self):
        return self.title


class Programme(TimestampedModel):
    """A dispositif (e.g. « Parcours métiers »), approved for remuneration or not."""

    region = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="programmes")
    code = models.CharField("code", max_length=30)
    name = models.CharField("nom", max_length=200)
    approved_for_remuneration = models.BooleanField("agréé rémunération", default=True)

    objects = RegionScopedQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        verbose_name = "dispositif"
        constraints = [
            models.UniqueConstraint(
                fields=["region", "code"],
                violation_error_message="Ce code de dispositif existe déjà dans la région.",
                name="unique_programme_code",
            ),
        ]

    def __str__(self):
        return self.name


ProviderQuerySet = scoped(provider_lookup="pk")  # a provider user sees its own provider


class Provider(AddressFields, TimestampedModel):
    """A training provider (organisme de formation) known to one region."""

    region = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="providers")
    name = models.CharField("raison sociale", max_length=200)
    siret = models.CharField("SIRET", max_length=14, validators=[validate_siret])
    contact_name = models.CharField("contact", max_length=120, blank=True)
    email = models.EmailField("courriel", blank=True)
    phone = models.CharField("téléphone", max_length=30, blank=True)
    main_provider = models.ForeignKey(
        "self",
        verbose_name="organisme principal (si sous-traitant)",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="subcontractors",
    )

    objects = ProviderQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        verbose_name = "organisme de formation"
        constraints = [
            models.UniqueConstraint(
                fields=["region", "siret"],
                violation_error_message="Un organisme avec ce SIRET existe déjà dans la région.",
                name="unique_provider_siret",
            ),
        ]

    def __str__(self):
        return self.name
