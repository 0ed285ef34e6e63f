from django.db import models
from django.utils import timezone


class TimestampedModel(models.Model):
    created_at = models.DateTimeField("créé le", default=timezone.now, editable=False)
    updated_at = models.DateTimeField("modifié le", auto_now=True)

    class Meta:
        abstract = True


class TenantQuerySet(models.QuerySet):
    """The one scoping mechanism: `for_tenant` keeps what the tenant may see. Subclasses name
    the lookups: `provider_lookup` (what ties the object to a provider; None: region-wide
    objects that every provider of the region may see) and `region_lookup`; `agents_only`
    objects (runs, tax rates, scale versions...) are never a provider's."""

    provider_lookup: str | None = None
    region_lookup: str = "region"
    distinct_for_provider = False  # the provider lookup crosses a to-many relation
    agents_only = False

    def for_tenant(self, tenant):
        if tenant.provider is not None and self.agents_only:
            return self.none()
        if tenant.provider is not None and self.provider_lookup is not None:
            provider = tenant.provider.pk if self.provider_lookup == "pk" else tenant.provider
            scoped = self.filter(**{self.provider_lookup: provider})
            return scoped.distinct() if self.distinct_for_provider else scoped
        if tenant.region is not None:
            return self.filter(**{self.region_lookup: tenant.region})
        return self.none()


def scoped(provider_lookup=None, region_lookup="region", distinct=False, agents_only=False):
    """A TenantQuerySet subclass for the given lookups."""
    return type(
        "ScopedQuerySet",
        (TenantQuerySet,),
        {
            "provider_lookup": provider_lookup,
            "region_lookup": region_lookup,
            "distinct_for_provider": distinct,
            "agents_only": agents_only,
        },
    )
