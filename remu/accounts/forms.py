from django import forms
from django.contrib.auth import forms as auth_forms

from remu.communes.forms import AddressFormMixin
from remu.core.forms import StyledForm, StyledFormMixin, StyledModelForm
from remu.referential.models import Provider

from .models import User


class LoginForm(StyledFormMixin, auth_forms.AuthenticationForm):
    username = forms.EmailField(
        label="Adresse électronique",
        widget=forms.EmailInput(attrs={"autofocus": True, "autocomplete": "username"}),
    )
    error_messages = {
        "invalid_login": "Adresse électronique ou mot de passe incorrect.",
        "inactive": "Ce compte est désactivé. Contactez la Région.",
    }


class PasswordResetForm(StyledFormMixin, auth_forms.PasswordResetForm):
    pass


class SetPasswordForm(StyledFormMixin, auth_forms.SetPasswordForm):
    pass


class PasswordChangeForm(StyledFormMixin, auth_forms.PasswordChangeForm):
    pass


class LoginChangeForm(StyledForm):
    """Changing one's login (the e-mail address) needs the current password."""

    email = forms.EmailField(label="Nouvelle adresse électronique (identifiant)")
    password = forms.CharField(
        label="Mot de passe actuel",
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )

    def __init__(self, user, *args, **kwargs):
        self.user = user
        super().__init__(*args, **kwargs)

    def clean_email(self):
        email = self.cleaned_data["email"].lower()
        if User.objects.filter(email__iexact=email).exclude(pk=self.user.pk).exists():
            raise forms.ValidationError("Cette adresse est déjà utilisée par un autre compte.")
        return email

    def clean_password(self):
        password = self.cleaned_data["password"]
        if not self.user.check_password(password):
            raise forms.ValidationError("Mot de passe incorrect.")
        return password


class ProviderAddressForm(AddressFormMixin, StyledModelForm):
    class Meta:
        model = Provider
        fields = ["address_line1", "address_line2", "postal_code", "commune", "phone", "email"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.setup_address()
        self.fields["address_line1"].required = True
        self.fields["postal_code"].required = True


class InvitationForm(StyledForm):
    email = forms.EmailField(label="Adresse électronique")
    first_name = forms.CharField(label="Prénom", max_length=150)
    last_name = forms.CharField(label="Nom", max_length=150)
    is_admin = forms.BooleanField(
        label="Administrateur de l'organisme (gère les jetons d'accès de l'organisme)",
        required=False,
    )

    def clean_email(self):
        email = self.cleaned_data["email"].lower()
        existing = User.objects.filter(email__iexact=email).first()
        if existing and existing.role != User.Role.PROVIDER:
            raise forms.ValidationError(
                "Cette adresse appartient déjà à un compte qui n'est pas celui d'un organisme."
            )
        return email
