"""Who is asking, for which organisation: every read path scopes its queryset with a Tenant."""

from dataclasses import dataclass

from django.core.exceptions import PermissionDenied

SESSION_PROVIDER_KEY = "current_provider_id"


@dataclass(frozen=True)
class Tenant:
    region: object | None = None  # referential.Region
    provider: object | None = None  # referential.Provider, for provider users
    is_agent: bool = False
    memberships: tuple = ()  # a provider user's memberships, loaded once per request

    @property
    def is_provider(self) -> bool:
        return self.provider is not None


ANONYMOUS = Tenant()


def tenant_for(user, session) -> Tenant:
    """The organisation the user acts for in this session."""
    if not user.is_authenticated:
        return ANONYMOUS
    if user.is_agent:
        return Tenant(region=user.region, is_agent=True)
    if user.is_provider_user:
        memberships = list(user.memberships.select_related("provider__region"))
        chosen = session.get(SESSION_PROVIDER_KEY)
        membership = next((m for m in memberships if m.provider_id == chosen), None)
        if membership is None and memberships:
            membership = memberships[0]
            session[SESSION_PROVIDER_KEY] = membership.provider_id
        if membership is None:
            return ANONYMOUS
        return Tenant(
            region=membership.provider.region,
            provider=membership.provider,
            memberships=tuple(memberships),
        )
    return ANONYMOUS


def require_agent(request) -> None:
    if not request.tenant.is_agent:
        raise PermissionDenied("Espace réservé aux agents de la Région.")


def require_provider(request) -> None:
    if not request.tenant.is_provider:
        raise PermissionDenied("Espace réservé aux organismes de formation.")
