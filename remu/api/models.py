import hashlib
import secrets

from django.conf import settings
from django.db import models
from django.utils import timezone

from remu.core.models import scoped


def hash_token(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


class ApiTokenQuerySet(scoped(provider_lookup="provider", region_lookup="provider__region")):
    def active(self):
        return self.filter(revoked_at__isnull=True)


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
