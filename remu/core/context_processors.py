def tenant(request):
    """The region (name, logo, assistance) and, for provider users, their providers."""
    tenant = getattr(request, "tenant", None)
    return {
        "tenant": tenant,
        "region": tenant.region if tenant is not None else None,
        "memberships": tenant.memberships if tenant is not None else (),
        # A session opened through OpenID Connect also ends at the provider (oidc:logout).
        "oidc_session": "oidc_id_token" in getattr(request, "session", {}),
    }
