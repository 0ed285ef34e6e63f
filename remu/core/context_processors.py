def tenant(request):
    """The region (name, logo, assistance) and, for provider users, their providers."""
    tenant = getattr(request, "tenant", None)
    user = getattr(request, "user", None)
    memberships = []
    if user is not None and user.is_authenticated and user.is_provider_user:
        memberships = list(user.memberships.select_related("provider"))
    return {
        "tenant": tenant,
        "region": tenant.region if tenant is not None else None,
        "memberships": memberships,
    }
