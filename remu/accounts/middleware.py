from django.shortcuts import redirect
from django.utils.functional import SimpleLazyObject

from remu.core.tenancy import tenant_for


class TenantMiddleware:
    """Sets request.tenant: the region and, for provider users, the provider they act for."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.tenant = SimpleLazyObject(lambda: tenant_for(request.user, request.session))
        return self.get_response(request)


class ForcePasswordChangeMiddleware:
    """A user logging in with a password someone else set must choose their own first."""

    allowed = ("accounts:password_change", "accounts:logout")

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        user = request.user
        if not (user.is_authenticated and user.must_change_password):
            return None
        match = request.resolver_match
        if match and match.view_name in self.allowed:
            return None
        if not getattr(view_func, "login_required", True):  # public pages
            return None
        return redirect("accounts:password_change")
