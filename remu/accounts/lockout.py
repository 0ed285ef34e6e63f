"""What django-axes counts failed logins on: the normalised login and the real client address.

Logins ignore case (``UserManager.get_by_natural_key``), so the lockout must too, else
``OF@X`` would still log in while ``of@x`` is locked. Behind a reverse proxy every request
comes from the proxy's address: the client's is read from the header the proxy sets, counting
the configured number of trusted proxies from the right (the left part can be forged).
"""

from django.conf import settings


def normalised_username(request, credentials=None) -> str | None:
    """The login as the lockout counts it: stripped, lower-case (AXES_USERNAME_CALLABLE)."""
    field = settings.AXES_USERNAME_FORM_FIELD
    if credentials and credentials.get(field) is not None:
        username = credentials.get(field)
    else:
        data = getattr(request, "data", None) or getattr(request, "POST", {})
        username = data.get(field)
    if username is None:
        return None
    return normalise_login(str(username))


def normalise_login(value: str) -> str:
    """A login as stored: lower-case; a trainee's identifier typed alone (no « @ », as printed
    on the admission decision) gets the trainees' login domain (TRAINEE_LOGIN_DOMAIN), so the
    login form and the lockout count every spelling of one identifier as one login."""
    value = value.strip().lower()
    if value and "@" not in value:
        value = f"{value}@{settings.TRAINEE_LOGIN_DOMAIN}"
    return value


def client_ip(request) -> str | None:
    """The client's address (AXES_CLIENT_IP_CALLABLE).

    With TRUSTED_PROXY_COUNT = n > 0, the address the n-th proxy from the right saw in the
    TRUSTED_PROXY_HEADER header (X-Forwarded-For by default); else the socket's address.
    """
    remote = request.META.get("REMOTE_ADDR")
    count = getattr(settings, "TRUSTED_PROXY_COUNT", 0)
    if count <= 0:
        return remote
    header = request.META.get(settings.TRUSTED_PROXY_HEADER, "")
    hops = [hop.strip() for hop in header.split(",") if hop.strip()]
    if len(hops) < count:
        return remote  # not through the expected proxies: keep the socket's address
    return hops[-count]
