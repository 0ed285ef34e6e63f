from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_not_required
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse, reverse_lazy
from django.views.decorators.http import require_POST

from remu.core.tenancy import SESSION_PROVIDER_KEY

from . import forms, services


class LoginView(auth_views.LoginView):
    template_name = "accounts/login.html"
    form_class = forms.LoginForm
    redirect_authenticated_user = True

    def get_context_data(self, **kwargs):
        # The trainees' OpenID Connect button (remu.trainee_space.oidc), only when configured.
        return super().get_context_data(oidc_enabled=settings.OIDC_ENABLED, **kwargs)


class PasswordResetView(auth_views.PasswordResetView):
    template_name = "accounts/password_reset.html"
    email_template_name = "accounts/emails/password_reset.txt"
    subject_template_name = "accounts/emails/password_reset_subject.txt"
    form_class = forms.PasswordResetForm
    success_url = reverse_lazy("accounts:password_reset_done")


class PasswordResetDoneView(auth_views.PasswordResetDoneView):
    template_name = "accounts/password_reset_done.html"


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    template_name = "accounts/password_set.html"
    form_class = forms.SetPasswordForm
    success_url = reverse_lazy("accounts:password_reset_complete")
    extra_context = {"title": "Choisir un nouveau mot de passe"}

    def form_valid(self, form):
        response = super().form_valid(form)
        services.mark_password_chosen(form.user)
        return response


class InvitationView(PasswordResetConfirmView):
    """The link of an invitation e-mail: the invited person chooses a password."""

    extra_context = {"title": "Activer votre compte : choisissez votre mot de passe"}


class PasswordResetCompleteView(auth_views.PasswordResetCompleteView):
    template_name = "accounts/password_reset_complete.html"


class PasswordChangeView(auth_views.PasswordChangeView):
    template_name = "accounts/password_change.html"
    form_class = forms.PasswordChangeForm
    success_url = reverse_lazy("accounts:account")

    def get_success_url(self):
        if self.request.user.role == self.request.user.Role.TRAINEE:
            return reverse("home:home")  # which sends a trainee to their own space
        return super().get_success_url()

    def form_valid(self, form):
        response = super().form_valid(form)
        services.mark_password_chosen(self.request.user)
        messages.success(self.request, "Votre mot de passe a été modifié.")
        return response


def account(request):
    """« Mon compte »: login, password and, for a provider user, the provider's address."""
    user = request.user
    provider = request.tenant.provider
    login_form = forms.LoginChangeForm(user, prefix="login")
    address_form = (
        forms.ProviderAddressForm(instance=provider, prefix="address") if provider else None
    )
    if request.method == "POST":
        if "save_login" in request.POST:
            login_form = forms.LoginChangeForm(user, request.POST, prefix="login")
            if login_form.is_valid():
                services.change_login(user, login_form.cleaned_data["email"])
                messages.success(request, "Votre identifiant a été modifié.")
                return redirect("accounts:account")
        elif "save_address" in request.POST and provider is not None:
            address_form = forms.ProviderAddressForm(
                request.POST, instance=provider, prefix="address"
            )
            if address_form.is_valid():
                address_form.save()
                messages.success(request, "L'adresse de l'organisme a été enregistrée.")
                return redirect("accounts:account")
    return render(
        request,
        "accounts/account.html",
        {"login_form": login_form, "address_form": address_form, "provider": provider},
    )


@require_POST
def switch_provider(request):
    """A provider user working for several providers chooses the one they act for."""
    if not request.user.is_provider_user:
        raise Http404
    try:
        provider_id = int(request.POST.get("provider", ""))
    except ValueError as exc:
        raise Http404 from exc
    membership = get_object_or_404(request.user.memberships, provider_id=provider_id)
    request.session[SESSION_PROVIDER_KEY] = membership.provider_id
    messages.info(request, f"Vous agissez désormais pour {membership.provider.name}.")
    return redirect("home:home")


@login_not_required
def locked_out(request, credentials=None, *args, **kwargs):
    return render(request, "accounts/locked_out.html", status=429)
