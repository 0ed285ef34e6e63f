import hashlib
import secrets

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone

from remu.core.models import scoped


def hash_token(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


# A token is its creator's, for one provider: it dies with their right to act for it. It works
# only while the creator is active and either an agent of the provider's region or a member of
# the provider since before the token was made (removed then invited again: old tokens stay dead).
HOLDER_ENTITLED = Q(created_by__is_active=True) & (
    Q(created_by__role="agent", created_by__region=F("provider__region"))
    | Q(
        created_by__memberships__provider=F("provider"),
        created_by__memberships__created_at__lte=F("created_at"),
    )
)


class ApiTokenQuerySet(scoped(provider_lookup="provider", region_lookup="provider__region")):
    def active(self):
        return self.filter(HOLDER_ENTITLED, revoked_at__isnull=True)

    def orphaned(self):
        """Not revoked, but whose creator has lost the right to act for the provider."""
        return self.filter(revoked_at__isnull=True).exclude(pk__in=self.active().values("pk"))

    def revoke_orphans(self) -> int:
        """Records the revocation the creator's departure implied (shown on the tokens page)."""
        return self.orphaned().update(revoked_at=timezone.now())


class ApiToken(models.Model):
    """A provider's API token: only its hash is kept; the token is shown once, at creation."""

    provider = models.ForeignKey(
        "referential.Provider", on_delete=models.CASCADE, related_name="api_tokens"
    )
    name = models.CharField("nom (logiciel, usage)", max_length=100)
    prefix = models.CharField(max_length=12)
    key_hash = models.CharField(max_length=64, unique=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    objects = ApiTokenQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]

    def __str__(self):
        return f"{self.name} ({self.prefix}…)"

    @classmethod
    def issue(cls, *, provider, name, user) -> tuple["ApiToken", str]:
        raw = "remu_" + secrets.token_urlsafe(32)
        token = cls.objects.create(
            provider=provider, name=name, prefix=raw[:12], key_hash=hash_token(raw), created_by=user
        )
        return token, raw
