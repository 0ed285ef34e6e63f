from django.conf import settings
from django.core.exceptions import PermissionDenied
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


class TraineeAreaMiddleware:
    """A trainee's login reaches only their own space, their account pages and the home that
    sends them there: every agent or provider page answers 403 (issue 15 §4), whatever the
    page's own checks."""

    namespaces = ("trainee_space", "accounts")
    views = ("home:home",)

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        user = request.user
        if not (user.is_authenticated and user.role == user.Role.TRAINEE):
            return None
        if not getattr(view_func, "login_required", True):  # public pages
            return None
        match = request.resolver_match
        if match and (match.namespace in self.namespaces or match.view_name in self.views):
            return None
        raise PermissionDenied("Espace réservé aux agents de la Région et aux organismes.")


NO_DEVICE = "two_factor_no_device"


class TwoFactorMiddleware:
    """Second factor (django-otp): an agent, or a provider user who has enrolled a device, stays
    on the verification (or, for an agent without a device, enrolment) page until a code is
    checked in this session."""

    allowed = (
        "accounts:two_factor_setup",
        "accounts:two_factor_verify",
        "accounts:two_factor_codes",
        "accounts:logout",
        "accounts:password_change",
    )

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        from . import two_factor

        user = request.user
        if not settings.TWO_FACTOR_LOGIN or not user.is_authenticated or user.is_verified():
            return None
        if request.session.get(NO_DEVICE) == user.pk:  # an optional second factor, not enrolled
            return None
        match = request.resolver_match
        if match and match.view_name in self.allowed:
            return None
        if not getattr(view_func, "login_required", True):  # public pages
            return None
        if two_factor.has_device(user):
            return two_factor.redirect_to("accounts:two_factor_verify", request)
        if two_factor.required(user):
            return two_factor.redirect_to("accounts:two_factor_setup", request)
        request.session[NO_DEVICE] = user.pk  # asked once per session, not on every request
        return None
