"""Two-factor login (django-otp): a TOTP device (an authenticator application) enrolled by
scanning or typing its key, recovery codes (django-otp's static tokens, each usable once), and
the verification step after the password. Required for agents, optional for providers."""

from __future__ import annotations

import base64
from urllib.parse import urlencode

from django import forms
from django.conf import settings
from django.contrib import messages
from django.db import transaction
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django_otp import login as otp_login
from django_otp import match_token, user_has_device
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from remu.core.forms import StyledForm

from .middleware import NO_DEVICE

RECOVERY_CODES = 10


def required(user) -> bool:
    return user.is_agent and settings.TWO_FACTOR_LOGIN


def has_device(user) -> bool:
    return user_has_device(user, confirmed=True)


def redirect_to(view_name: str, request):
    url = reverse(view_name)
    if request.method == "GET":
        url += "?" + urlencode({"next": request.get_full_path()})
    return redirect(url)


def _next(request) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure()):
        return target
    return reverse(settings.LOGIN_REDIRECT_URL)


class CodeForm(StyledForm):
    token = forms.CharField(
        label="Code",
        max_length=16,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}),
    )

    def clean_token(self):
        return "".join(self.cleaned_data["token"].split())


def enrolment_device(user) -> TOTPDevice:
    """The user's device being enrolled (unconfirmed), created on the first visit."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).first()
    return device or TOTPDevice.objects.create(
        user=user, name="Application d'authentification", confirmed=False
    )


@transaction.atomic
def new_recovery_codes(user) -> list[str]:
    """Replaces the user's recovery codes by new ones (each works once)."""
    device, _ = StaticDevice.objects.get_or_create(user=user, name="Codes de secours")
    device.token_set.all().delete()
    codes = [StaticToken.random_token() for _ in range(RECOVERY_CODES)]
    StaticToken.objects.bulk_create(StaticToken(device=device, token=code) for code in codes)
    return codes


def setup(request):
    """Enrolment: the key (as an otpauth:// link and as text), then a first code confirms it."""
    user = request.user
    if user.is_verified():
        return redirect(_next(request))
    if has_device(user):  # enrolled already: verify instead
        return redirect_to("accounts:two_factor_verify", request)
    device = enrolment_device(user)
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if device.verify_token(form.cleaned_data["token"]):
            device.confirmed = True
            device.save(update_fields=["confirmed"])
            otp_login(request, device)
            request.session.pop(NO_DEVICE, None)
            request.session["recovery_codes"] = new_recovery_codes(user)
            return redirect(
                reverse("accounts:two_factor_codes") + "?" + urlencode({"next": _next(request)})
            )
        form.add_error("token", "Code incorrect : vérifiez l'heure du téléphone et réessayez.")
    key = base64.b32encode(device.bin_key).decode()
    return render(
        request,
        "accounts/two_factor_setup.html",
        {
            "form": form,
            "uri": device.config_url,
            "key": " ".join(key[i : i + 4] for i in range(0, len(key), 4)),
            "next": _next(request),
            "required": required(user),
        },
    )


def verify(request):
    """After the password: a code of the application, or a recovery code."""
    user = request.user
    if user.is_verified():
        return redirect(_next(request))
    if not has_device(user):
        return redirect_to("accounts:two_factor_setup", request)
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        device = match_token(user, form.cleaned_data["token"])
        if device is not None:
            otp_login(request, device)
            if isinstance(device, StaticDevice):
                left = device.token_set.count()
                messages.warning(request, f"Code de secours utilisé : il vous en reste {left}.")
            return redirect(_next(request))
        form.add_error("token", "Code incorrect ou expiré.")
    return render(
        request, "accounts/two_factor_verify.html", {"form": form, "next": _next(request)}
    )


def codes(request):
    """The recovery codes, shown once right after enrolment (or on renewal)."""
    shown = request.session.pop("recovery_codes", None)
    if not shown:
        return redirect(_next(request))
    return render(
        request, "accounts/two_factor_codes.html", {"codes": shown, "next": _next(request)}
    )
